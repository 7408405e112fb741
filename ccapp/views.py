"""Plain Django views of the core: home and health."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from ccapp import health
from ccapp.roles import ADMIN, AGENT, SUPERVISOR, role_of

ROLE_LABELS = {AGENT: _("Agent"), SUPERVISOR: _("Supervisor"), ADMIN: _("Administrator"), None: _("No role")}

# (permission needed, or None for any staff user, url, title, text). Every role works in the admin-style
# CRM, so every demo user is staff; the admin itself shows each role only what its permissions allow.
HOME_LINKS = [
    ("ccapp.handle_calls", "/desk/", _("Agent desktop"), _("Take calls: screen pop, call controls, wrap-up")),
    ("ccapp.view_reports", "/wallboard/", _("Wallboard"), _("Queues and agents, live; monitoring")),
    ("crm.view_customer", "/admin/crm/customer/", _("Customers"), _("Customer records and history")),
    ("tickets.view_ticket", "/tickets/", _("Tickets"), _("Customer requests and their SLA clocks")),
    ("ccapp.view_call", "/admin/ccapp/call/", _("Calls"), _("Every call with its timeline")),
    ("ccapp.change_queue", "/admin/ccapp/queue/", _("Queues"), _("Routing, service levels, overflow")),
    ("ccapp.view_reports", "/admin/ccapp/agent/", _("Agents"), _("Agents, skills and states")),
    ("ccapp.view_reports", "/wfm/calculator/", _("Erlang calculator"), _("Agents for a service level")),
    ("ccapp.view_reports", "/wfm/plan/", _("Staffing plan"), _("Forecast and staff per interval")),
    ("crm.view_article", "/crm/help/", _("Help center"), _("The public knowledge base")),
    (None, "/admin/", _("Administration"), _("Everything, in Django admin")),
    (None, "/api/docs/", _("API"), _("The REST API and its OpenAPI schema")),
]


def healthz(request: HttpRequest) -> JsonResponse:
    """Report database, Redis, Celery and ARI state as JSON (503 when the database or Redis is down)."""
    report = health.report()
    status = 200 if report["database"]["ok"] and report["redis"]["ok"] else 503
    return JsonResponse(report, status=status)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page after login: links to what the user's role may open."""
    user = request.user
    links = [
        {"url": url, "title": title, "text": text}
        for perm, url, title, text in HOME_LINKS
        if user.is_staff and (perm is None or user.has_perm(perm))
    ]
    return render(request, "ccapp/home.html", {"links": links, "role_label": ROLE_LABELS[role_of(user)]})
