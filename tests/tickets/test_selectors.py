"""Reads: the team queue, the CRM card's open tickets, and the voicemail task."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from ccapp.models import Agent, Queue, QueueMember, Voicemail
from tickets import selectors, services, tasks
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db


def test_the_team_queue_holds_my_queues_and_groups_unfinished_tickets(frozen, agent, make_user) -> None:
    mine, other = (
        Queue.objects.create(name="Support", code="support"),
        Queue.objects.create(name="Sales", code="sales"),
    )
    QueueMember.objects.create(queue=mine, agent=Agent.objects.create(user=agent, extension="1001"))
    backoffice = Group.objects.create(name="backoffice")
    agent.groups.add(backoffice)
    in_queue = services.create_ticket(subject="queue", team=mine)
    services.create_ticket(subject="elsewhere", team=other)
    done = services.create_ticket(subject="done", team=mine)
    services.transition_ticket(done.pk, to=Status.RESOLVED, actor=agent)
    by_group = services.create_ticket(subject="group")
    services.update_ticket(by_group.pk, version=by_group.version, actor=agent, group=backoffice)
    team = selectors.ticket_list(agent, view="team", now=frozen.at)
    assert sorted(t.subject for t in team) == sorted([in_queue.subject, by_group.subject])


def test_the_crm_card_lists_open_tickets_only(frozen, customer, agent) -> None:
    from crm.hooks import open_tickets_for

    open_one = services.create_ticket(subject="open", customer=customer)
    closed = services.create_ticket(subject="closed", customer=customer)
    services.transition_ticket(closed.pk, to=Status.CLOSED, actor=agent)
    cards = open_tickets_for(customer.pk)
    assert [c["id"] for c in cards] == [open_one.pk]
    assert cards[0]["url"] == f"/tickets/{open_one.pk}/"


def test_the_voicemail_task_is_idempotent(frozen, customer) -> None:
    voicemail = Voicemail.objects.create(caller="+8613700000000", customer=customer)
    first = tasks.ticket_from_voicemail.delay(voicemail.pk).get()
    assert tasks.ticket_from_voicemail.delay(voicemail.pk).get() == first
    assert Ticket.objects.get().voicemails.get() == voicemail
