"""SLA clocks in business time, pausing, warnings and escalation with a frozen clock, auto-close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django_celery_beat.models import PeriodicTask

from ccapp.hours import calendar_for
from tickets import selectors, services, sla, tasks
from tickets.models import Category, EventKind, Priority, SLAPolicy, Status

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def policy(office_hours, supervisor) -> SLAPolicy:
    # 1 business hour to answer, 1 business day (8 h) to resolve.
    return SLAPolicy.objects.create(
        name="standard", first_response_minutes=60, resolution_minutes=480, warn_before_minutes=15,
        calendar=office_hours, supervisor=supervisor,
    )  # fmt: skip


def test_the_adapter_reads_ranges_holidays_and_working_days(office_hours) -> None:
    calendar = calendar_for(office_hours)
    assert calendar.is_open(sh(5, 9, 30)) and not calendar.is_open(sh(5, 12, 30))
    assert not calendar.is_open(sh(1, 10)) and calendar.is_open(sh(10, 10))


@pytest.mark.parametrize(
    ("created", "first_due", "resolution_due"),
    [
        pytest.param(sh(5, 10), sh(5, 11), sh(6, 10), id="monday-morning"),
        pytest.param(sh(5, 17, 30), sh(6, 9, 30), sh(6, 17, 30), id="over-a-night"),
        pytest.param(sh(16, 17), sh(16, 18), sh(19, 17), id="friday-over-a-weekend"),
        pytest.param(sh(30, 17, month=9), sh(30, 18, month=9), sh(5, 17), id="over-national-day"),
        pytest.param(sh(9, 17, 30), sh(10, 9, 30), sh(10, 17, 30), id="into-a-worked-saturday"),
        pytest.param(sh(3, 11), sh(5, 10), sh(5, 18), id="created-on-a-weekend"),
    ],
)
def test_due_times_count_business_hours(frozen, policy, created, first_due, resolution_due) -> None:
    frozen.set(created)
    ticket = services.create_ticket(subject="x")
    assert ticket.sla_policy == policy
    assert (ticket.first_response_due_at, ticket.resolution_due_at) == (first_due, resolution_due)


def test_the_most_specific_policy_wins(frozen, office_hours, customer, vip_customer) -> None:
    hardware = Category.objects.create(name="Hardware", code="hw")
    router = Category.objects.create(name="Router", code="router", parent=hardware)
    SLAPolicy.objects.create(name="any", first_response_minutes=240, resolution_minutes=2400)
    SLAPolicy.objects.create(
        name="urgent", priority=Priority.URGENT, first_response_minutes=30, resolution_minutes=240
    )
    SLAPolicy.objects.create(name="vip", min_vip_level=2, first_response_minutes=20, resolution_minutes=240)
    SLAPolicy.objects.create(
        name="hardware", category=hardware, first_response_minutes=60, resolution_minutes=600
    )
    SLAPolicy.objects.create(
        name="off", category=router, active=False, first_response_minutes=1, resolution_minutes=2
    )
    cases = [
        ({}, "any"),
        ({"priority": Priority.URGENT}, "urgent"),
        ({"customer": vip_customer}, "vip"),
        ({"customer": customer}, "any"),
        ({"category": router}, "hardware"),
        ({"category": router, "customer": vip_customer}, "hardware"),
    ]
    for fields, expected in cases:
        assert services.create_ticket(subject="x", **fields).sla_policy.name == expected, fields


def test_changing_the_priority_reselects_the_policy(frozen, agent) -> None:
    SLAPolicy.objects.create(name="any", first_response_minutes=240, resolution_minutes=2400)
    SLAPolicy.objects.create(
        name="urgent", priority=Priority.URGENT, first_response_minutes=30, resolution_minutes=60
    )
    ticket = services.create_ticket(subject="x")
    ticket = services.update_ticket(ticket.pk, version=ticket.version, actor=agent, priority=Priority.URGENT)
    assert ticket.sla_policy.name == "urgent"
    assert ticket.resolution_due_at == frozen.at + timedelta(minutes=60)


def test_the_clocks_pause_while_pending_the_customer(frozen, policy, agent) -> None:
    frozen.set(sh(5, 10))
    ticket = services.create_ticket(subject="x")
    services.add_comment(ticket.pk, body="Can you send a photo?", public=True, author=agent)
    services.transition_ticket(ticket.pk, to=Status.PENDING_CUSTOMER, actor=agent)
    frozen.set(sh(6, 11))  # paused 8 business hours (Mon 10-12, 13-18, Tue 9-11... = 2+5+2 = 9 h)
    ticket.refresh_from_db()
    assert sla.clocks(ticket, now=frozen.at)["resolution"]["state"] == "paused"
    comment = services.add_comment(ticket.pk, body="Here it is", public=True, author=None, from_customer=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and comment.public
    assert ticket.sla_paused_seconds == 9 * 3600
    assert ticket.resolution_due_at == sh(7, 11)  # Tue 10:00 + 9 business hours
    assert ticket.first_responded_at == sh(5, 10)


def test_reopening_does_not_count_the_time_resolved(frozen, policy, agent) -> None:
    frozen.set(sh(5, 10))
    ticket = services.create_ticket(subject="x")
    services.transition_ticket(ticket.pk, to=Status.RESOLVED, actor=agent)
    frozen.set(sh(6, 10))
    ticket = services.transition_ticket(ticket.pk, to=Status.OPEN, actor=agent)
    assert ticket.resolution_due_at == sh(7, 10)
    assert ticket.sla_paused_at is None and ticket.resolved_at is None


def test_it_warns_then_escalates_once_with_a_frozen_clock(
    frozen, policy, agent, supervisor, make_user, django_capture_on_commit_callbacks
) -> None:
    backup = make_user("backup", "tickets.view_ticket", "tickets.change_ticket")
    policy.escalate_to = backup
    policy.save()
    frozen.set(sh(5, 10))
    ticket = services.create_ticket(subject="Printer on fire", assignee=agent)
    mail.outbox.clear()

    frozen.set(sh(5, 10, 44))
    assert tasks.check_sla() == 0
    frozen.set(sh(5, 10, 45))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.process_sla(ticket.pk, now=frozen.at) == ["warned:first_response"]
        assert services.process_sla(ticket.pk, now=frozen.at) == []
    assert [m.to for m in mail.outbox] == [["li.na@example.com"]]

    frozen.set(sh(5, 11))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.check_sla() == 1
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at == sh(5, 11)
    assert (ticket.priority, ticket.escalation_level, ticket.assignee) == (Priority.HIGH, 1, backup)
    assert ticket.events.filter(kind=EventKind.ESCALATED).count() == 1
    subjects = [m.subject for m in mail.outbox]
    assert any(
        "SLA" in s and "wang.wei@example.com" in m.to for s, m in zip(subjects, mail.outbox, strict=True)
    )
    assert any(m.to == ["backup@example.com"] for m in mail.outbox)
    assert tasks.check_sla() == 0  # idempotent: nothing left to do
    assert sla.clocks(ticket, now=frozen.at)["first_response"]["breached_at"] == sh(5, 11)


def test_a_paused_ticket_is_not_escalated(frozen, policy, agent) -> None:
    frozen.set(sh(5, 10))
    ticket = services.create_ticket(subject="x")
    services.transition_ticket(ticket.pk, to=Status.PENDING_CUSTOMER, actor=agent)
    frozen.set(sh(12, 10))
    assert tasks.check_sla() == 0
    ticket.refresh_from_db()
    assert ticket.escalation_level == 0


def test_resolved_tickets_close_after_the_delay(frozen, agent, settings) -> None:
    settings.TICKETS_AUTOCLOSE_DAYS = 3
    ticket = services.create_ticket(subject="x")
    services.transition_ticket(ticket.pk, to=Status.RESOLVED, actor=agent)
    frozen.move(days=2, hours=23)
    assert tasks.autoclose_resolved() == 0
    frozen.move(hours=1)
    assert tasks.autoclose_resolved() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert tasks.autoclose_resolved() == 0


def test_lists_by_sla_state_and_overdue(frozen, policy, agent) -> None:
    frozen.set(sh(5, 10))
    late = services.create_ticket(subject="late")
    frozen.set(sh(5, 10, 50))
    soon = services.create_ticket(subject="soon")
    paused = services.create_ticket(subject="paused")
    services.transition_ticket(paused.pk, to=Status.PENDING_CUSTOMER, actor=agent)
    frozen.set(sh(5, 11, 40))
    states = {t.subject: t.sla_state for t in selectors.ticket_list(agent, now=frozen.at)}
    assert states == {"late": "breached", "soon": "warning", "paused": "paused"}
    assert [t.pk for t in selectors.ticket_list(agent, view="overdue", now=frozen.at)] == [late.pk]
    assert [t.pk for t in selectors.ticket_list(agent, now=frozen.at, sla_state="warning")] == [soon.pk]
    for ticket in (late, soon):
        assert sla.sla_state(ticket, now=frozen.at).value == states[ticket.subject]


def test_the_beat_entries_exist_after_migrate_and_are_ensured_once() -> None:
    assert PeriodicTask.objects.filter(task__startswith="tickets.tasks.").count() == 2  # data migration
    names = services.ensure_schedules()
    services.ensure_schedules()
    tasks_by_name = dict(PeriodicTask.objects.filter(name__in=names).values_list("name", "task"))
    assert sorted(tasks_by_name.values()) == ["tickets.tasks.autoclose_resolved", "tickets.tasks.check_sla"]


def test_no_policy_means_no_clock(frozen) -> None:
    ticket = services.create_ticket(subject="x")
    assert ticket.sla_policy is None and ticket.resolution_due_at is None
    assert sla.sla_state(ticket, now=datetime(2030, 1, 1, tzinfo=UTC)).value == "none"
