"""Pages of the tickets app: work lists, the ticket page, the public web form, the satisfaction link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from ccapp.errors import DomainError
from tickets import clock, selectors, services
from tickets.forms import CommentForm, PublicTicketForm, SatisfactionForm, StatusForm
from tickets.models import Channel, Ticket
from tickets.sla import SLA_STATE_LABELS, SLAState


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
def ticket_list(request: HttpRequest) -> HttpResponse:
    """My tickets, team queue, unassigned, overdue, watching; filter by SLA state."""
    view = request.GET.get("view", "mine")
    view = view if view in selectors.VIEWS else "mine"
    state = request.GET.get("sla") or None
    qs = selectors.ticket_list(request.user, view=view, now=clock.now(), sla_state=state)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "tickets/list.html",
        {"page": page, "view": view, "views": selectors.VIEWS, "sla": state,
         "sla_states": [(s.value, SLA_STATE_LABELS[s]) for s in SLAState]},
    )  # fmt: skip


@login_required
@permission_required("tickets.view_ticket", raise_exception=True)
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket with its SLA clocks, comments, events and full change history; comment and move it."""
    ticket = get_object_or_404(Ticket.objects.select_related("customer", "assignee", "sla_policy"), pk=pk)
    comment_form, status_form = CommentForm(), StatusForm(initial={"version": ticket.version})
    if request.method == "POST":
        try:
            if "body" in request.POST and request.user.has_perm("tickets.add_comment"):
                comment_form = CommentForm(request.POST, request.FILES)
                if comment_form.is_valid():
                    services.add_comment(ticket.pk, author=request.user, **comment_form.cleaned_data)
                    return redirect("tickets:detail", pk=ticket.pk)
            elif "status" in request.POST and request.user.has_perm("tickets.change_ticket"):
                status_form = StatusForm(request.POST)
                if status_form.is_valid():
                    services.transition_ticket(
                        ticket.pk, to=status_form.cleaned_data["status"], actor=request.user,
                        version=status_form.cleaned_data["version"],
                    )  # fmt: skip
                    return redirect("tickets:detail", pk=ticket.pk)
            else:
                return HttpResponse(status=403)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("tickets:detail", pk=ticket.pk)
    context = selectors.ticket_page(ticket, now=clock.now())
    context.update(comment_form=comment_form, status_form=status_form)
    return render(request, "tickets/detail.html", context)


@require_http_methods(["GET", "POST"])
def public_form(request: HttpRequest) -> HttpResponse:
    """The public web form: anyone may open a ticket, and gets its number by email."""
    form = PublicTicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["website"]:
            return render(request, "tickets/form_thanks.html", {"number": None})
        try:
            ticket = _create_from_form(data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return render(request, "tickets/form_thanks.html", {"number": ticket.number})
    return render(request, "tickets/form.html", {"form": form}, status=400 if form.errors else 200)


def _create_from_form(data: dict) -> Ticket:
    # A known customer by email gets the ticket on their timeline; otherwise the requester fields hold it.
    customer = selectors.customer_for_email(data["email"])
    with transaction.atomic():
        services.check_attachments(data["files"])
        ticket = services.create_ticket(
            subject=data["subject"], description=data["description"], channel=Channel.WEB_FORM,
            customer=customer, category=data["category"], requester_name=data["name"],
            requester_email=data["email"], requester_phone=data["phone"],
            language="en" if (translation.get_language() or "").startswith("en") else "zh",
        )  # fmt: skip
        if data["files"]:
            services.add_comment(
                ticket.pk,
                body=data["description"],
                public=True,
                author=None,
                files=data["files"],
                from_customer=True,
            )
    return ticket


@require_http_methods(["GET", "POST"])
def satisfaction(request: HttpRequest, token: str) -> HttpResponse:
    """The satisfaction link of a resolved ticket: one answer, stored on the ticket and the timeline."""
    ticket = get_object_or_404(Ticket, satisfaction_token=token)
    form = SatisfactionForm(request.POST or None, initial={"rating": request.GET.get("rating")})
    done = ticket.satisfaction_at is not None
    if request.method == "POST" and not done and form.is_valid():
        try:
            services.record_satisfaction(token, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            done = True
    return render(request, "tickets/satisfaction.html", {"ticket": ticket, "form": form, "done": done})
