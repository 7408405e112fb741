"""Each demo role logs in and sees what it may see, and gets 403 where it may not."""

from __future__ import annotations

import pytest
from django.test import Client

from ccapp import demo
from ccapp.demo_accounts import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

# (path, {role: expected status})
MATRIX = [
    ("/", {"agent1": 200, "supervisor": 200, "admin": 200}),
    ("/admin/", {"agent1": 200, "supervisor": 200, "admin": 200}),
    ("/admin/ccapp/call/", {"agent1": 200, "supervisor": 200, "admin": 200}),
    ("/admin/ccapp/queue/add/", {"agent1": 403, "supervisor": 200, "admin": 200}),
    ("/admin/ccapp/ivrflow/add/", {"agent1": 403, "supervisor": 200, "admin": 200}),
    ("/admin/auth/user/add/", {"agent1": 403, "supervisor": 403, "admin": 200}),
    ("/admin/auth/group/", {"agent1": 403, "supervisor": 403, "admin": 200}),
    ("/admin/django_celery_beat/periodictask/", {"agent1": 403, "supervisor": 403, "admin": 200}),
    ("/api/queues/", {"agent1": 200, "supervisor": 200, "admin": 200}),
    ("/api/calls/", {"agent1": 200, "supervisor": 200, "admin": 200}),
    ("/api/schema/", {"agent1": 200, "supervisor": 200, "admin": 200}),
]


@pytest.fixture
def demo_center():
    demo.seed(apps=())  # users, roles and the call center; customers and tickets are not needed here


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD)
    return client


@pytest.mark.parametrize(("path", "expected"), MATRIX)
def test_it_gives_each_role_what_it_may_see(demo_center, path, expected):
    for username, status in expected.items():
        response = login(username).get(path)
        assert response.status_code == status, (username, path, response.status_code)


@pytest.mark.parametrize("username", ["agent1", "supervisor"])
def test_it_forbids_queue_changes_by_api_to_agents_only(demo_center, username):
    response = login(username).post(
        "/api/queues/", {"name": "Billing", "code": "billing"}, content_type="application/json"
    )
    assert response.status_code == (403 if username == "agent1" else 201), response.content


def test_it_shows_agents_only_their_own_calls(demo_center):
    from ccapp.models import Agent, Call

    mine = Call.objects.create(channel_id="c1", agent=Agent.objects.get(extension="1001"))
    Call.objects.create(channel_id="c2", agent=Agent.objects.get(extension="1002"))
    ids = [row["id"] for row in login("agent1").get("/api/calls/").json()["results"]]
    assert ids == [mine.id]
    assert len(login("supervisor").get("/api/calls/").json()["results"]) == 2


def test_it_redirects_anonymous_users_to_login(demo_center):
    client = Client()
    assert client.get("/").status_code == 302
    assert client.get("/api/queues/").status_code == 403
    assert client.get("/admin/").status_code == 302


def test_it_rejects_a_wrong_password(demo_center):
    assert not Client().login(username="agent1", password="wrong")


def test_it_lists_only_permitted_links_on_home(demo_center):
    agent_page = login("agent1").get("/").content.decode()
    supervisor_page = login("supervisor").get("/").content.decode()
    assert "/admin/ccapp/queue/" not in agent_page
    assert "/admin/ccapp/queue/" in supervisor_page
