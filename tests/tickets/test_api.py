"""The tickets API: permissions by role, filters, versions (409), transitions, attachments, bulk, schema."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tickets import services
from tickets.models import Category, SLAPolicy, Ticket

pytestmark = pytest.mark.django_db
BASE = "/tickets/api/tickets/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_anonymous_users_are_refused(frozen) -> None:
    assert APIClient().get(BASE).status_code in (401, 403)


def test_reading_needs_the_view_permission(frozen, make_user) -> None:
    services.create_ticket(subject="x")
    assert api(make_user("nobody")).get(BASE).status_code == 403
    response = api(make_user("reader", "tickets.view_ticket")).get(BASE)
    assert response.status_code == 200 and response.json()["count"] == 1


def test_an_agent_creates_and_a_reader_cannot(frozen, agent, make_user, customer) -> None:
    reader = make_user("reader", "tickets.view_ticket")
    body = {"subject": "No signal", "customer": customer.pk, "priority": 3, "tags": ["5g"]}
    assert api(reader).post(BASE, body, format="json").status_code == 403
    response = api(agent).post(BASE, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["number"], data["status"], data["priority"], data["version"]) == (
        "T-2026-000001",
        "new",
        3,
        1,
    )
    assert set(data["clocks"]) == {"first_response", "resolution"}


def test_bad_input_gets_a_clear_400(frozen, agent, make_user) -> None:
    make_user("viewer", "tickets.view_ticket")
    response = api(agent).post(BASE, {"subject": "x", "assignee": "viewer"}, format="json")
    assert response.status_code == 400
    assert response.json()["error_id"] == "assignee_not_allowed"
    assert api(agent).post(BASE, {"subject": ""}, format="json").status_code == 400
    assert api(agent).post(BASE, {"subject": "x", "channel": "fax"}, format="json").status_code == 400


def test_the_second_concurrent_editor_gets_409(frozen, agent, supervisor) -> None:
    ticket = services.create_ticket(subject="Original")
    url = f"{BASE}{ticket.pk}/"
    first = api(agent).patch(url, {"version": 1, "subject": "First"}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    second = api(supervisor).patch(url, {"version": 1, "subject": "Second"}, format="json")
    assert second.status_code == 409 and second.json()["error_id"] == "stale_version"
    assert Ticket.objects.get().subject == "First"
    assert api(agent).patch(url, {"subject": "No version"}, format="json").status_code == 400
    smuggled = api(agent).patch(url, {"version": 2, "status": "closed"}, format="json")
    assert smuggled.status_code == 400 and "status" in smuggled.json()
    assert Ticket.objects.get().status == "new"


def test_transitions_through_the_api(frozen, agent, make_user) -> None:
    ticket = services.create_ticket(subject="x")
    url = f"{BASE}{ticket.pk}/transition/"
    reader = make_user("reader", "tickets.view_ticket")
    assert api(reader).post(url, {"status": "open"}, format="json").status_code == 403
    assert api(agent).post(url, {"status": "closed"}, format="json").status_code == 200
    illegal = api(agent).post(url, {"status": "pending_customer"}, format="json")
    assert illegal.status_code == 409 and illegal.json()["error_id"] == "illegal_transition"
    assert api(agent).post(url, {"status": "open", "version": 1}, format="json").status_code == 409


def test_assign_merge_watch_link_and_history(frozen, agent, supervisor) -> None:
    a, b = services.create_ticket(subject="a"), services.create_ticket(subject="b")
    client = api(supervisor)
    assigned = client.post(f"{BASE}{a.pk}/assign/", {"assignee": "li.na"}, format="json")
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "li.na"
    assert (
        client.post(f"{BASE}{a.pk}/link/", {"target": b.pk, "kind": "relates"}, format="json").status_code
        == 201
    )
    assert client.post(f"{BASE}{a.pk}/watch/").status_code == 204
    assert client.get(f"{BASE}{a.pk}/").json()["watchers"] == ["wang.wei"]
    merged = client.post(f"{BASE}{b.pk}/merge/", {"into": a.pk}, format="json")
    assert merged.status_code == 200 and merged.json()["id"] == a.pk
    history = client.get(f"{BASE}{a.pk}/history/").json()
    assert [e["kind"] for e in history["events"]][:2] == ["created", "transition"]
    assert history["changes"][0]["version"] == a.__class__.objects.get(pk=a.pk).version


def test_comments_with_attachments_and_limits(frozen, agent, settings) -> None:
    settings.TICKETS_ATTACHMENT_MAX_BYTES = 1024
    ticket = services.create_ticket(subject="x")
    url = f"{BASE}{ticket.pk}/comments/"
    photo = SimpleUploadedFile("photo.png", b"\x89PNG" + b"0" * 100)
    ok = api(agent).post(url, {"body": "see photo", "public": True, "files": [photo]}, format="multipart")
    assert ok.status_code == 201, ok.json()
    assert ok.json()["attachments"][0]["content_type"] == "image/png"
    too_big = api(agent).post(
        url, {"body": "big", "files": [SimpleUploadedFile("a.pdf", b"0" * 2048)]}, format="multipart"
    )
    assert too_big.status_code == 400 and too_big.json()["error_id"] == "attachment_too_large"
    forbidden = api(agent).post(
        url, {"body": "exe", "files": [SimpleUploadedFile("run.exe", b"MZ")]}, format="multipart"
    )
    assert forbidden.status_code == 400 and forbidden.json()["error_id"] == "attachment_type_forbidden"
    assert [c["body"] for c in api(agent).get(url).json()] == ["see photo"]
    assert ticket.attachments.count() == 1


def test_work_lists_and_filters(frozen, agent, make_user) -> None:
    other = make_user("other", "tickets.view_ticket", "tickets.change_ticket")
    mine = services.create_ticket(subject="router", assignee=agent, tags=["net"])
    services.create_ticket(subject="invoice", assignee=other)
    client = api(agent)

    def numbers(query: str) -> list[str]:
        return [t["number"] for t in client.get(BASE + query).json()["results"]]

    assert numbers("?view=mine") == [mine.number]
    assert numbers("?assignee=me") == [mine.number]
    assert numbers("?tag=net") == [mine.number]
    assert numbers("?q=invoice") == ["T-2026-000002"]
    assert numbers("?status=open") == []
    assert len(numbers("?status=new,open")) == 2
    assert len(numbers("?view=unassigned")) == 0


def test_bulk_actions_need_change_permission(frozen, agent, make_user) -> None:
    a, b = services.create_ticket(subject="a"), services.create_ticket(subject="b")
    body = {"ids": [a.pk, b.pk], "action": "priority", "priority": 4}
    assert (
        api(make_user("reader", "tickets.view_ticket")).post(BASE + "bulk/", body, format="json").status_code
        == 403
    )
    response = api(agent).post(BASE + "bulk/", body, format="json")
    assert response.status_code == 200
    assert all(r["ok"] for r in response.json()["results"].values())
    assert set(Ticket.objects.values_list("priority", flat=True)) == {4}
    missing = api(agent).post(BASE + "bulk/", {"ids": [a.pk], "action": "assign"}, format="json")
    assert missing.status_code == 400


def test_sla_policies_are_configured_by_supervisors_only(frozen, agent, supervisor) -> None:
    body = {"name": "gold", "first_response_minutes": 30, "resolution_minutes": 240}
    assert api(agent).post("/tickets/api/sla-policies/", body, format="json").status_code == 403
    assert api(supervisor).post("/tickets/api/sla-policies/", body, format="json").status_code == 201
    assert SLAPolicy.objects.get().name == "gold"
    assert api(agent).delete(f"{BASE}{services.create_ticket(subject='x').pk}/").status_code in (403, 405)


def test_categories_are_readable_with_view_permission(frozen, make_user) -> None:
    Category.objects.create(name="Billing", code="billing")
    client = api(make_user("reader", "tickets.view_category"))
    assert [c["code"] for c in client.get("/tickets/api/categories/").json()["results"]] == ["billing"]


def test_the_openapi_schema_describes_the_tickets_api(frozen, agent) -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "/tickets/api/tickets/{id}/transition/" in paths
    assert "/tickets/api/tickets/bulk/" in paths
    params = {p["name"] for p in paths["/tickets/api/tickets/"]["get"]["parameters"]}
    assert {"view", "sla_state", "status", "assignee", "tag"} <= params
