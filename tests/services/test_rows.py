"""The call path's prebuilt row statements agree with the ORM on real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from ccapp.models import Agent, Call, CallEvent
from ccapp.services import rows
from tests.services.factories import make_agent, make_queue

pytestmark = pytest.mark.django_db


def test_it_adds_a_row_with_its_defaults_json_and_foreign_keys() -> None:
    queue = make_queue()
    call = rows.add(Call(channel_id="c1", caller="+8613800138000", queue=queue, ivr_path=["menu", "q"]))
    event = rows.add(CallEvent(call=call, kind="started", data={"caller": "+86 138", "n": [1, 2]}))
    stored = Call.objects.get(pk=call.pk)
    assert (stored.channel_id, stored.queue_id, stored.ivr_path, stored.ivr_digits) == (
        "c1",
        queue.pk,
        ["menu", "q"],
        {},
    )
    assert (stored.uuid, stored.arrived_at, stored.outcome) == (call.uuid, call.arrived_at, call.outcome)
    assert CallEvent.objects.get(pk=event.pk).data == {"caller": "+86 138", "n": [1, 2]}
    assert not event._state.adding


def test_it_saves_only_the_fields_named() -> None:
    call = rows.add(Call(channel_id="c1"))
    later = timezone.now() + timedelta(seconds=5)
    call.answered_at, call.variables, call.caller = later, {"account": "42"}, "not saved"
    rows.save_fields(call, "answered_at", "variables")
    stored = Call.objects.get(pk=call.pk)
    assert (stored.answered_at, stored.variables, stored.caller) == (later, {"account": "42"}, "")


def test_it_reads_a_locked_row_as_the_orm_does() -> None:
    agent = make_agent(make_queue())
    call = rows.add(Call(channel_id="c1", ivr_digits={"menu": "1"}, agent=agent))
    with transaction.atomic():
        locked = rows.locked(Call, call.pk)
        assert locked.ivr_digits == {"menu": "1"}
        assert [getattr(locked, f.attname) for f in Call._meta.concrete_fields] == [
            getattr(Call.objects.get(pk=call.pk), f.attname) for f in Call._meta.concrete_fields
        ]
        assert locked.agent == agent
        with pytest.raises(Call.DoesNotExist):
            rows.locked(Call, call.pk + 1000)


@pytest.mark.django_db(transaction=True)
def test_it_skips_a_row_another_transaction_holds() -> None:
    agent = make_agent(make_queue())
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            rows.locked(Agent, agent.pk)
            held.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        with transaction.atomic(), pytest.raises(Agent.DoesNotExist):
            rows.locked(Agent, agent.pk, skip_locked=True)
    finally:
        release.set()
        holder.join(10)
    with transaction.atomic():
        assert rows.locked(Agent, agent.pk, skip_locked=True).pk == agent.pk


def test_it_finds_rows_by_equal_and_null_fields_in_primary_key_order() -> None:
    queue = make_queue()
    agent = make_agent(queue)
    first = rows.add(Call(channel_id="c1", queue=queue))
    ended = rows.add(Call(channel_id="c1", queue=queue, ended_at=timezone.now()))
    second = rows.add(Call(channel_id="c1", queue=queue, agent=agent))
    rows.add(Call(channel_id="c2", queue=queue))
    assert [c.pk for c in rows.find(Call, channel_id="c1", ended_at=None)] == [first.pk, second.pk]
    assert [c.pk for c in rows.find(Call, channel_id="c1", agent=agent)] == [second.pk]
    assert [c.pk for c in rows.find(Call, ended_at=None, queue=queue.pk)] == [
        first.pk,
        second.pk,
        second.pk + 1,
    ]
    with transaction.atomic():
        assert [c.pk for c in rows.find(Call, channel_id="c1", lock=True)] == [first.pk, ended.pk, second.pk]
    assert rows.find(Call, channel_id="nobody") == []
