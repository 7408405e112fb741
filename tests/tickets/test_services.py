"""Ticket services on real PostgreSQL: numbering, edits under concurrency, transitions, merge, sources."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from ccapp.errors import Conflict, DomainError, NotFound
from ccapp.models import Call, Queue, Recording, Voicemail
from tickets import services
from tickets.models import (
    AssignmentRule,
    Category,
    Channel,
    CustomField,
    EventKind,
    LinkKind,
    Priority,
    Status,
    Ticket,
    TicketLink,
)

pytestmark = pytest.mark.django_db


def test_it_numbers_tickets_per_year(frozen, customer) -> None:
    first = services.create_ticket(subject="Router broken", customer=customer)
    second = services.create_ticket(subject="Invoice wrong", customer=customer)
    assert first.number == "T-2026-000001"
    assert second.number == "T-2026-000002"
    frozen.set(frozen.at.replace(year=2027, month=1, day=4))
    assert services.create_ticket(subject="New year").number == "T-2027-000001"


def _in_threads(count: int, work) -> list:
    results: list = []
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results.append(work(i))
        except Exception as exc:  # collected: the test asserts on what each thread got
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# One transactional test for both races: flushing every table after it is what makes these slow.
@pytest.mark.django_db(transaction=True)
def test_it_is_race_free_for_numbers_and_concurrent_edits(agent, supervisor) -> None:
    numbers = _in_threads(8, lambda i: [services.next_number(2031) for _ in range(5)])
    assert sorted(n for batch in numbers for n in batch) == [f"T-2031-{n:06d}" for n in range(1, 41)]

    ticket = services.create_ticket(subject="Original")
    editors = [agent, supervisor]
    results = _in_threads(
        2, lambda i: services.update_ticket(ticket.pk, version=1, actor=editors[i], subject=f"by {i}")
    )
    conflicts = [r for r in results if isinstance(r, Conflict)]
    saved = [r for r in results if isinstance(r, Ticket)]
    assert len(conflicts) == 1 and len(saved) == 1
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.version) == (saved[0].subject, 2)


def test_it_records_creation_and_links_the_sources(frozen, customer, agent) -> None:
    ticket = services.create_ticket(subject="Help", customer=customer, assignee=agent, tags=["b", "a", "a"])
    assert ticket.status == Status.NEW
    assert ticket.language == "zh"
    assert ticket.tags == ["a", "b"]
    assert ticket.created_at == frozen.at
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED]
    assert ticket.history.count() == 1


def test_the_second_editor_gets_a_conflict_not_an_overwrite(frozen, agent, supervisor) -> None:
    ticket = services.create_ticket(subject="Original")
    seen = ticket.version
    services.update_ticket(ticket.pk, version=seen, actor=agent, subject="Agent's subject")
    with pytest.raises(Conflict) as info:
        services.update_ticket(ticket.pk, version=seen, actor=supervisor, subject="Supervisor's subject")
    assert info.value.error_id == "stale_version"
    ticket.refresh_from_db()
    assert ticket.subject == "Agent's subject"
    assert ticket.version == seen + 1


def test_it_refuses_fields_that_are_not_editable(frozen, agent) -> None:
    ticket = services.create_ticket(subject="x")
    with pytest.raises(DomainError):
        services.update_ticket(ticket.pk, version=ticket.version, actor=agent, status=Status.CLOSED)


def test_every_transition_is_checked_and_recorded(frozen, agent) -> None:
    ticket = services.create_ticket(subject="x")
    for target in (Status.OPEN, Status.PENDING_THIRD_PARTY, Status.RESOLVED, Status.CLOSED):
        ticket = services.transition_ticket(ticket.pk, to=target, actor=agent)
    with pytest.raises(Conflict) as info:
        services.transition_ticket(ticket.pk, to=Status.PENDING_CUSTOMER, actor=agent)
    assert info.value.error_id == "illegal_transition"
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    moves = list(ticket.events.filter(kind=EventKind.TRANSITION).values_list("from_status", "to_status"))
    assert moves == [("new", "open"), ("open", "pending_third_party"), ("pending_third_party", "resolved"),
                     ("resolved", "closed")]  # fmt: skip
    assert ticket.closed_at == frozen.at


def test_reopen_is_refused_after_the_window(frozen, agent, settings) -> None:
    settings.TICKETS_REOPEN_DAYS = 2
    ticket = services.create_ticket(subject="x")
    services.transition_ticket(ticket.pk, to=Status.RESOLVED, actor=agent)
    frozen.move(days=1)
    assert services.transition_ticket(ticket.pk, to=Status.OPEN, actor=agent).resolved_at is None
    services.transition_ticket(ticket.pk, to=Status.RESOLVED, actor=agent)
    frozen.move(days=3)
    with pytest.raises(Conflict, match="reopen_window_passed"):
        services.transition_ticket(ticket.pk, to=Status.OPEN, actor=agent)


def test_an_assignee_without_the_permission_is_refused(frozen, make_user) -> None:
    viewer = make_user("viewer", "tickets.view_ticket")
    ticket = services.create_ticket(subject="x")
    with pytest.raises(DomainError) as info:
        services.assign_ticket(ticket.pk, assignee=viewer, actor=None)
    assert info.value.error_id == "assignee_not_allowed"
    with pytest.raises(DomainError):
        services.create_ticket(subject="y", assignee=viewer)
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.version == 1


def test_assigning_a_new_ticket_opens_it(frozen, agent, supervisor) -> None:
    ticket = services.create_ticket(subject="x")
    ticket = services.assign_ticket(ticket.pk, assignee=agent, actor=supervisor)
    assert (ticket.assignee, ticket.status) == (agent, Status.OPEN)
    assert ticket.events.filter(kind=EventKind.ASSIGNED, data__assignee="li.na").exists()


def test_custom_fields_are_validated(frozen, agent) -> None:
    CustomField.objects.create(key="order_no", label="Order", kind="text", required=True)
    CustomField.objects.create(key="amount", label="Amount", kind="number")
    CustomField.objects.create(key="region", label="Region", kind="choice", choices=["north", "south"])
    CustomField.objects.create(key="due", label="Due", kind="date")
    ok = services.create_ticket(
        subject="x",
        created_by=agent,
        custom={"order_no": "A1", "amount": 12.5, "region": "north", "due": "2026-10-09"},
    )
    assert ok.custom["amount"] == 12.5
    bad_values = [
        {"amount": 1},  # the required order number is missing
        {"order_no": "A", "amount": "12"},
        {"order_no": "A", "region": "east"},
        {"order_no": "A", "due": "next week"},
        {"order_no": "A", "colour": "red"},
    ]
    for bad in bad_values:
        with pytest.raises(DomainError) as info:
            services.create_ticket(subject="x", created_by=agent, custom=bad)
        assert info.value.error_id == "invalid_custom"
    # Nobody can fill required fields for a voicemail or the public form: they are not enforced there.
    assert services.create_ticket(subject="voicemail", created_by=None).custom == {}


def test_rules_assign_by_keyword_and_category(frozen, agent, make_user) -> None:
    billing = Category.objects.create(name="Billing", code="billing")
    refunds = Category.objects.create(name="Refunds", code="refunds", parent=billing)
    team = Queue.objects.create(name="Billing team", code="billing")
    AssignmentRule.objects.create(name="refund words", order=1, keywords="退款, refund", assign_to=agent,
                                  set_priority=Priority.HIGH, add_tags=["refund"])  # fmt: skip
    AssignmentRule.objects.create(name="billing", order=2, category=billing, team=team)
    by_keyword = services.create_ticket(subject="我要退款")
    assert (by_keyword.assignee, by_keyword.priority, by_keyword.tags) == (agent, Priority.HIGH, ["refund"])
    by_category = services.create_ticket(subject="Question", category=refunds)
    assert (by_category.assignee, by_category.team) == (None, team)
    assert by_category.events.filter(kind=EventKind.RULE, data__rule="billing").exists()
    untouched = services.create_ticket(subject="Hello")
    assert (untouched.assignee, untouched.team) == (None, None)


def test_merge_moves_everything_and_closes_the_duplicate(frozen, agent, customer) -> None:
    target = services.create_ticket(subject="Original", customer=customer, tags=["a"])
    duplicate = services.create_ticket(subject="Again", customer=customer, tags=["b"])
    services.add_comment(duplicate.pk, body="More details", public=False, author=agent)
    duplicate.watchers.add(agent)
    merged = services.merge_tickets(duplicate.pk, into_id=target.pk, actor=agent)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED and duplicate.merged_into == merged
    assert merged.tags == ["a", "b"]
    assert list(merged.watchers.all()) == [agent]
    assert merged.comments.filter(body="More details").exists()
    assert TicketLink.objects.filter(source=duplicate, target=target, kind=LinkKind.DUPLICATES).exists()
    with pytest.raises(Conflict):
        services.merge_tickets(duplicate.pk, into_id=target.pk, actor=agent)
    with pytest.raises(DomainError):
        services.merge_tickets(target.pk, into_id=target.pk, actor=agent)


def test_links_between_tickets(frozen) -> None:
    a, b = services.create_ticket(subject="a"), services.create_ticket(subject="b")
    link = services.link_tickets(a.pk, b.pk, kind=LinkKind.BLOCKS)
    assert (link.source, link.target, link.kind) == (a, b, LinkKind.BLOCKS)
    with pytest.raises(DomainError):
        services.link_tickets(a.pk, a.pk)


def test_a_ticket_from_a_call_carries_the_caller_the_call_and_its_recording(frozen, customer, agent) -> None:
    queue = Queue.objects.create(name="Support", code="support")
    call = Call.objects.create(
        channel_id="c-1", caller="+8613800000000", customer=customer, queue=queue, notes="No dial tone"
    )
    recording = Recording.objects.create(call=call, name="rec-1")
    ticket = services.create_ticket_from_call(call.pk, actor=agent, category=None)
    assert ticket.channel == Channel.PHONE
    assert (ticket.customer, ticket.team, ticket.assignee, ticket.created_by) == (
        customer,
        queue,
        agent,
        agent,
    )
    assert list(ticket.calls.all()) == [call] and list(ticket.recordings.all()) == [recording]
    assert ticket.requester_phone == "+8613800000000" and ticket.description == "No dial tone"
    with pytest.raises(NotFound):
        services.create_ticket_from_call(999999)


def test_a_voicemail_makes_one_ticket_however_often_asked(frozen, customer) -> None:
    voicemail = Voicemail.objects.create(caller="+8613900000000", customer=customer, duration_seconds=31.6)
    first = services.create_ticket_from_voicemail(voicemail.pk)
    again = services.create_ticket_from_voicemail(voicemail.pk)
    assert first == again
    assert first.channel == Channel.VOICEMAIL and list(first.voicemails.all()) == [voicemail]
    assert Ticket.objects.count() == 1


def test_bulk_actions_report_each_ticket(frozen, agent, supervisor) -> None:
    a, b = services.create_ticket(subject="a"), services.create_ticket(subject="b")
    services.transition_ticket(b.pk, to=Status.CLOSED, actor=agent)
    results = services.bulk_update(
        [a.pk, b.pk], action="transition", actor=supervisor, params={"status": "resolved"}
    )
    assert results[a.pk]["ok"] is True
    assert results[b.pk] == {"ok": False, "error_id": "illegal_transition", "detail": results[b.pk]["detail"]}
    services.bulk_update([a.pk], action="add_tags", actor=supervisor, params={"tags": ["x"]})
    a.refresh_from_db()
    assert (a.status, a.tags) == (Status.RESOLVED, ["x"])
