"""Who sees and cancels which callback (service, selector and /api/callbacks/) on real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from ccapp import selectors, services
from ccapp.errors import Conflict, PermissionDenied
from ccapp.models import Agent, CallbackRequest, CallbackStatus, Queue, QueueMember
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NUMBER = "+8613900139000"


@dataclass
class Book:
    """Alice and Bob in Sales, Carol in Support; callbacks free, promised by each, one promise expired."""

    alice: Agent
    bob: Agent
    free: CallbackRequest
    alices: CallbackRequest
    bobs: CallbackRequest
    expired: CallbackRequest
    support: CallbackRequest


def _agent(name: str, ext: str, queue: Queue) -> Agent:
    agent = Agent.objects.create(user=make_user(name, "agent"), extension=ext, endpoint=f"PJSIP/{ext}")
    QueueMember.objects.create(queue=queue, agent=agent)
    return agent


@pytest.fixture
def book() -> Book:
    sales = Queue.objects.create(name="Sales", code="sales")
    support = Queue.objects.create(name="Support", code="support")
    alice, bob = _agent("alice", "1001", sales), _agent("bob", "1002", sales)
    _agent("carol", "1003", support)
    later = timezone.now() + dt.timedelta(hours=2)

    def promise(agent: Agent) -> CallbackRequest:
        return services.request_callback(
            queue_id=sales.pk, number=NUMBER, scheduled_for=later, agent_id=agent.pk
        )

    expired = promise(bob)
    # Bob's promise was for yesterday: after its reservation any agent of the queue may take it.
    CallbackRequest.objects.filter(pk=expired.pk).update(
        reserved_until=timezone.now() - dt.timedelta(hours=1)
    )
    return Book(
        alice=alice,
        bob=bob,
        free=services.request_callback(queue_id=sales.pk, number=NUMBER),
        alices=promise(alice),
        bobs=promise(bob),
        expired=expired,
        support=services.request_callback(queue_id=support.pk, number=NUMBER),
    )


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def cancel(client: Client, callback_id: int):
    return client.post(f"/api/callbacks/{callback_id}/cancel/")


def test_an_agent_sees_theirs_and_the_free_ones_of_their_queues(book) -> None:
    visible = set(selectors.visible_callbacks(book.alice.user).values_list("pk", flat=True))
    assert visible == {book.free.pk, book.alices.pk, book.expired.pk}
    assert selectors.visible_callbacks(make_user("sue", "supervisor")).count() == 5
    assert not selectors.visible_callbacks(make_user("nobody")).exists()


def test_an_agent_cancels_a_free_callback_once_and_never_a_colleagues(book) -> None:
    done = services.cancel_callback(callback_id=book.free.pk, user=book.alice.user)
    assert done.status == CallbackStatus.CANCELLED
    assert done.agent_id is None  # cancelling does not make it hers
    with pytest.raises(Conflict) as closed:
        services.cancel_callback(callback_id=book.free.pk, user=book.alice.user)
    assert closed.value.error_id == "callback_closed"
    for other in (book.bobs, book.support):
        with pytest.raises(PermissionDenied) as refused:
            services.cancel_callback(callback_id=other.pk, user=book.alice.user)
        assert refused.value.error_id == "callback_not_yours"
    assert CallbackRequest.objects.filter(status=CallbackStatus.PENDING).count() == 4


def test_a_user_without_the_permission_cancels_nothing(book) -> None:
    with pytest.raises(PermissionDenied) as refused:
        services.cancel_callback(callback_id=book.free.pk, user=make_user("viewer"))
    assert refused.value.error_id == "forbidden"
    assert CallbackRequest.objects.get(pk=book.free.pk).status == CallbackStatus.PENDING


def test_the_api_lists_and_cancels_what_the_agent_may_see(book) -> None:
    alice = login("alice")
    rows = alice.get("/api/callbacks/").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert {r["id"] for r in rows} == {book.free.pk, book.alices.pk, book.expired.pk}
    assert alice.get(f"/api/callbacks/{book.bobs.pk}/").status_code == 404
    response = cancel(alice, book.alices.pk)
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    again = cancel(alice, book.alices.pk)
    assert (again.status_code, again.json()["error_id"]) == (409, "callback_closed")
    refused = cancel(alice, book.bobs.pk)
    assert (refused.status_code, refused.json()["error_id"]) == (403, "callback_not_yours")
    assert refused.json()["detail"] == "此回呼属于同事或其他队列。"
    assert cancel(alice, 2**31 - 1).status_code == 404
    assert cancel(alice, "x1").status_code == 404
    assert CallbackRequest.objects.get(pk=book.bobs.pk).status == CallbackStatus.PENDING


def test_a_supervisor_cancels_any_callback_and_a_viewer_none(book) -> None:
    make_user("sue", "supervisor")
    assert cancel(login("sue"), book.bobs.pk).status_code == 200
    make_user("viewer")
    assert cancel(login("viewer"), book.support.pk).status_code == 403
    statuses = dict(CallbackRequest.objects.values_list("pk", "status"))
    assert (statuses[book.bobs.pk], statuses[book.support.pk]) == ("cancelled", "pending")


def test_the_desk_lists_open_callbacks_by_due_time_then_the_agents_results(book) -> None:
    services.cancel_callback(callback_id=book.alices.pk, user=None)
    rows = selectors.desk_callbacks(book.alice.pk)
    assert [r.pk for r in rows] == [book.free.pk, book.expired.pk, book.alices.pk]
    assert [r.status for r in rows] == ["pending", "pending", "cancelled"]
    assert [r.pk for r in selectors.desk_callbacks(book.bob.pk)] == [
        book.free.pk,
        book.expired.pk,
        book.bobs.pk,
    ]
