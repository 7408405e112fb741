"""Notifications through Django's email outbox, in the customer's language; the satisfaction loop."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from ccapp.errors import Conflict, DomainError, NotFound
from tickets import services
from tickets.models import EventKind, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_the_customer_hears_of_creation_reply_and_resolution_in_chinese(
    frozen, customer, agent, commit
) -> None:
    with commit():
        ticket = services.create_ticket(subject="宽带断网", customer=customer)
    with commit():
        services.add_comment(ticket.pk, body="请重启路由器。", public=True, author=agent)
        services.add_comment(ticket.pk, body="internal only", public=False, author=agent)
    with commit():
        services.transition_ticket(ticket.pk, to=Status.RESOLVED, actor=agent)
    assert [m.to for m in mail.outbox] == [["zhang@example.com"]] * 3
    created, reply, resolved = mail.outbox
    assert created.subject == "【T-2026-000001】我们已收到您的请求：宽带断网"
    assert "请重启路由器。" in reply.body and "internal only" not in reply.body
    ticket.refresh_from_db()
    link = "https://cc.example.com" + reverse("tickets:satisfaction", args=[ticket.satisfaction_token])
    assert "已解决" in resolved.subject and link in resolved.body


def test_english_customers_get_english_and_no_html_escaping(frozen, vip_customer, commit) -> None:
    with commit():
        services.create_ticket(subject="Can't log in & locked", customer=vip_customer)
    (message,) = mail.outbox
    assert message.subject == "[T-2026-000001] We received your request: Can't log in & locked"
    assert message.body.startswith("Hello Alice VIP,")


def test_a_web_requester_without_a_customer_gets_the_mail(frozen, commit) -> None:
    with commit():
        services.create_ticket(subject="Hi", requester_email="guest@example.com", language="en")
    assert mail.outbox[0].to == ["guest@example.com"]


def test_nothing_is_sent_when_the_change_rolls_back(frozen, customer, commit, make_user) -> None:
    viewer = make_user("viewer", "tickets.view_ticket")
    with commit(), pytest.raises(DomainError):
        services.create_ticket(subject="x", customer=customer, assignee=viewer)
    assert mail.outbox == []


def test_the_assignee_and_mentioned_colleagues_are_told(frozen, agent, supervisor, make_user, commit) -> None:
    outsider = make_user("outsider")
    ticket = services.create_ticket(subject="x")
    with commit():
        services.assign_ticket(ticket.pk, assignee=agent, actor=supervisor)
    with commit():
        comment = services.add_comment(
            ticket.pk, body="Please look, @wang.wei. cc @outsider @nobody", public=False, author=agent
        )
    assert [m.to for m in mail.outbox] == [["li.na@example.com"], ["wang.wei@example.com"]]
    assert mail.outbox[1].subject.startswith("【T-2026-000001】有人提到了您")  # staff mail: LANGUAGE_CODE
    assert list(comment.mentions.all()) == [supervisor]
    assert supervisor in ticket.watchers.all() and outsider not in ticket.watchers.all()


def test_the_satisfaction_answer_lands_on_the_ticket_and_the_timeline(
    frozen, customer, agent, client
) -> None:
    ticket = services.create_ticket(subject="x", customer=customer)
    services.transition_ticket(ticket.pk, to=Status.RESOLVED, actor=agent)
    ticket.refresh_from_db()
    url = reverse("tickets:satisfaction", args=[ticket.satisfaction_token])
    assert client.get(url).status_code == 200
    response = client.post(url, {"rating": "4", "comment": "快"})
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.satisfaction_rating, ticket.satisfaction_comment) == (4, "快")
    assert ticket.events.filter(kind=EventKind.SATISFACTION).exists()
    with pytest.raises(Conflict):
        services.record_satisfaction(ticket.satisfaction_token, rating=1)
    with pytest.raises(NotFound):
        services.record_satisfaction("forged", rating=5)
    assert client.get(reverse("tickets:satisfaction", args=["forged"])).status_code == 404
    interactions = customer.interactions.filter(kind="survey")
    assert [i.data["rating"] for i in interactions] == [4]
    assert customer.interactions.filter(kind="ticket").count() == 1


def test_a_rating_out_of_range_is_refused(frozen, agent) -> None:
    ticket = services.create_ticket(subject="x")
    services.transition_ticket(ticket.pk, to=Status.RESOLVED, actor=agent)
    ticket.refresh_from_db()
    with pytest.raises(DomainError):
        services.record_satisfaction(ticket.satisfaction_token, rating=6)
