"""Bad configuration gets a clear field error, never a 500, and nothing half-saved."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from ccapp import models as m
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

GOOD_FLOW = {"start": "a", "nodes": {"a": {"type": "hangup"}}}
DANGLING = {"start": "a", "nodes": {"a": {"type": "play", "prompt": {"sound": "hello"}, "next": "gone"}}}


@pytest.fixture
def supervisor() -> Client:
    make_user("sue", "supervisor")
    client = Client()
    client.login(username="sue", password=PASSWORD)
    return client


def post(client: Client, path: str, data: dict):
    return client.post(path, json.dumps(data), content_type="application/json")


def test_it_rejects_an_ivr_flow_with_a_dangling_edge_by_api(supervisor):
    response = post(supervisor, "/api/ivr-flows/", {"name": "Main", "code": "main", "graph": DANGLING})
    assert response.status_code == 400
    assert "a.next: points to missing node 'gone'" in response.json()["graph"]
    assert not m.IVRFlow.objects.exists()


def test_it_rejects_an_ivr_flow_with_a_dangling_edge_in_the_admin(supervisor):
    response = supervisor.post(
        "/admin/ccapp/ivrflow/add/", {"name": "Main", "code": "main", "graph": json.dumps(DANGLING)}
    )
    assert response.status_code == 200
    assert "points to missing node" in response.content.decode()
    assert not m.IVRFlow.objects.exists()


def test_it_versions_a_flow_on_every_save(supervisor):
    created = post(supervisor, "/api/ivr-flows/", {"name": "Main", "code": "main", "graph": GOOD_FLOW}).json()
    assert created["version"] == 1
    path = f"/api/ivr-flows/{created['id']}/"
    updated = supervisor.patch(
        path, json.dumps({"description": "v2"}), content_type="application/json"
    ).json()
    assert updated["version"] == 2
    assert m.IVRFlow.history.filter(id=created["id"]).count() == 2


def test_it_rejects_a_negative_wrap_up(supervisor):
    response = post(supervisor, "/api/queues/", {"name": "Sales", "code": "sales", "wrapup_seconds": -5})
    assert response.status_code == 400
    assert "wrapup_seconds" in response.json()
    assert not m.Queue.objects.exists()


def test_it_rejects_an_overflow_queue_that_is_missing(supervisor):
    response = post(
        supervisor, "/api/queues/", {"name": "Sales", "code": "sales", "overflow_action": "queue"}
    )
    assert response.status_code == 400
    assert "overflow_queue" in response.json()
    assert not m.Queue.objects.exists()


def test_it_rejects_a_route_with_neither_flow_nor_queue(supervisor):
    response = post(supervisor, "/api/inbound-routes/", {"dnis": "4000", "name": "Hotline"})
    assert response.status_code == 400
    assert "flow" in response.json()


def test_it_rejects_a_bad_endpoint_for_an_agent(supervisor):
    user = make_user("bob", "agent")
    agent = m.Agent(user=user, extension="1009", endpoint="not an endpoint")
    with pytest.raises(Exception) as caught:
        agent.full_clean()
    assert "endpoint" in str(caught.value)


def test_it_rejects_an_unknown_time_zone_in_the_admin():
    make_user("root", "admin", is_superuser=True)
    client = Client()
    client.login(username="root", password=PASSWORD)
    response = client.post(
        "/admin/ccapp/businesshours/add/",
        {"name": "Office", "timezone": "Mars/Olympus", "ranges-TOTAL_FORMS": 0, "ranges-INITIAL_FORMS": 0,
         "holidays-TOTAL_FORMS": 0, "holidays-INITIAL_FORMS": 0},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Mars/Olympus" in response.content.decode()
    assert not m.BusinessHours.objects.exists()
