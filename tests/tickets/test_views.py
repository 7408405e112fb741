"""Pages: the public web form, the work lists, the ticket page (clocks, history), and the admin."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets import services
from tickets.models import Channel, SLAPolicy, Status, Ticket

pytestmark = pytest.mark.django_db


def form_data(**extra) -> dict:
    return {
        "name": "Guest",
        "email": "zhang@example.com",
        "subject": "Cannot log in",
        "description": "Help",
        **extra,
    }


def test_anyone_can_open_a_ticket_from_the_web_form(
    frozen, client, customer, django_capture_on_commit_callbacks
) -> None:
    assert client.get(reverse("tickets:form")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tickets:form"), form_data(files=[SimpleUploadedFile("a.txt", b"log")])
        )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.number.encode() in response.content
    assert (ticket.channel, ticket.customer, ticket.requester_name) == (Channel.WEB_FORM, customer, "Guest")
    assert ticket.attachments.get().name == "a.txt"
    assert mail.outbox[0].to == ["zhang@example.com"]


def test_the_web_form_refuses_bad_files_and_drops_bots(frozen, client) -> None:
    response = client.post(reverse("tickets:form"), form_data(files=[SimpleUploadedFile("x.exe", b"MZ")]))
    assert response.status_code == 400 and Ticket.objects.count() == 0
    assert client.post(reverse("tickets:form"), form_data(website="spam.example")).status_code == 200
    assert Ticket.objects.count() == 0


def test_the_lists_need_the_view_permission(frozen, client, make_user, agent) -> None:
    services.create_ticket(subject="Mine", assignee=agent)
    client.force_login(make_user("nobody"))
    assert client.get(reverse("tickets:list")).status_code == 403
    client.force_login(agent)
    for view in ("mine", "team", "unassigned", "overdue", "watching", "all"):
        response = client.get(reverse("tickets:list"), {"view": view})
        assert response.status_code == 200
        assert (b"Mine" in response.content) == (view in ("mine", "all")), view


def test_the_ticket_page_shows_clocks_and_history_and_takes_actions(frozen, client, agent) -> None:
    SLAPolicy.objects.create(name="std", first_response_minutes=60, resolution_minutes=240)
    ticket = services.create_ticket(subject="Page me")
    client.force_login(agent)
    url = reverse("tickets:detail", args=[ticket.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["clocks"]["resolution"]["due_at"] == ticket.resolution_due_at
    assert client.post(url, {"body": "Looking", "public": "on"}).status_code == 302
    ticket.refresh_from_db()  # the first response raised the version
    assert client.post(url, {"status": "resolved", "version": ticket.version}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and ticket.first_responded_at == frozen.at
    stale = client.post(url, {"status": "open", "version": 1}, follow=True, headers={"accept-language": "en"})
    assert [str(m) for m in stale.context["messages"]] == [
        f"Ticket {ticket.number} was changed by someone else (now version {ticket.version}, yours 1)."
    ]
    assert Ticket.objects.get().status == Status.RESOLVED
    assert len(client.get(url).context["history"]) == ticket.history.count() >= 3


def test_the_admin_lists_tickets_and_their_history(frozen, client, django_user_model) -> None:
    ticket = services.create_ticket(subject="Admin me")
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    assert client.get("/admin/tickets/ticket/").status_code == 200
    assert client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").status_code == 200
    assert client.get(f"/admin/tickets/ticket/{ticket.pk}/history/").status_code == 200
    assert client.get("/admin/tickets/slapolicy/add/").status_code == 200


def test_the_webhook_secret_is_hidden_from_readers(client, make_user) -> None:
    from tickets.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(name="erp", url="https://erp.example.com/h", secret="TOPSECRET")
    reader = make_user("reader", "tickets.view_webhookendpoint")
    reader.is_staff = True
    reader.save()
    client.force_login(reader)
    page = client.get(f"/admin/tickets/webhookendpoint/{endpoint.pk}/change/")
    assert page.status_code == 200 and b"TOPSECRET" not in page.content
    editor = make_user("editor", "tickets.view_webhookendpoint", "tickets.change_webhookendpoint")
    editor.is_staff = True
    editor.save()
    client.force_login(editor)
    assert b"TOPSECRET" in client.get(f"/admin/tickets/webhookendpoint/{endpoint.pk}/change/").content
