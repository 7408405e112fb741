"""Services of a call's life on real PostgreSQL: rows, timeline, agent states and pushes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ccapp import realtime, services
from ccapp.errors import Conflict
from ccapp.models import AgentState, AgentStateChange, Call, CallEvent, CallOutcome
from tests.services.factories import Listener, make_agent, make_queue, make_route

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0)


def at(seconds: float):
    return T0 + timedelta(seconds=seconds)


def kinds(call: Call) -> list[str]:
    return list(call.events.order_by("at", "id").values_list("kind", flat=True))


def test_it_starts_a_call_with_e164_route_and_timeline() -> None:
    queue = make_queue()
    route = make_route("4001", queue=queue, language="en")
    call = services.start_call(channel_id="c1", caller_raw="0086 138 0013 8000", dnis="4001", at=at(0))
    assert (call.caller, call.route_id, call.language, call.vip) == ("+8613800138000", route.pk, "en", False)
    assert kinds(call) == ["started"]


def test_it_is_idempotent_per_open_channel() -> None:
    first = services.start_call(channel_id="c1", caller_raw="13800138000", dnis="1")
    again = services.start_call(channel_id="c1", caller_raw="13800138000", dnis="1")
    assert first.pk == again.pk
    assert Call.objects.count() == 1


def test_it_marks_a_caller_with_no_number() -> None:
    call = services.start_call(channel_id="c1", caller_raw="", dnis="9")
    assert call.caller == ""
    assert call.events.get().data["caller_invalid"] is True


def test_it_gives_vip_customers_priority() -> None:
    from crm.models import Customer

    vip = Customer.objects.create(name="Big Spender", vip_level=3)
    vip.phones.create(number="+8613800138000", raw="13800138000")
    call = services.start_call(channel_id="c1", caller_raw="13800138000", dnis="1")
    plain = services.start_call(channel_id="c2", caller_raw="13800138001", dnis="1")
    assert (call.vip, call.priority, call.customer_id) == (True, 30, vip.pk)
    assert (plain.vip, plain.priority, plain.customer_id) == (False, 0, None)


def test_it_runs_a_call_from_queue_to_wrap_up(django_capture_on_commit_callbacks) -> None:
    queue = make_queue(wrapup_seconds=30)
    agent = make_agent(queue)
    listener = Listener(realtime.agent_group(agent.pk), realtime.WALLBOARD)
    with django_capture_on_commit_callbacks(execute=True):
        call = services.start_call(channel_id="c1", caller_raw="13800138000", dnis="1", at=at(0))
        services.record_ivr_exit(
            call_id=call.pk,
            path=["menu", "sales"],
            digits={"menu": "1"},
            variables={"account": "42"},
            language="zh",
            exit_kind="queue",
            target="support",
            at=at(5),
        )
        services.enqueue_call(call_id=call.pk, queue_id=queue.pk, at=at(5))
        claimed = services.claim_agent(call_id=call.pk, agent_ids=[agent.pk], at=at(8))
        services.offer_call(call_id=call.pk, agent_id=agent.pk, at=at(8))
        services.answer_call(call_id=call.pk, agent_id=agent.pk, at=at(12))
        services.finish_call(call_id=call.pk, at=at(72))
    assert claimed is not None and claimed.pk == agent.pk
    call.refresh_from_db()
    agent.refresh_from_db()
    assert (call.outcome, call.wait_seconds, call.talk_seconds) == (CallOutcome.ANSWERED, 7.0, 60.0)
    assert call.ivr_path == ["menu", "sales"] and call.ivr_digits == {"menu": "1"}
    assert (agent.state, agent.current_call_id) == (AgentState.WRAP_UP, call.pk)
    assert kinds(call) == ["started", "ivr_exit", "queued", "offered", "answered", "ended"]
    assert list(
        AgentStateChange.objects.filter(agent=agent).order_by("at").values_list("state", flat=True)
    ) == [
        "ringing",
        "on_call",
        "wrap_up",
    ]
    events = listener.events()
    names = [m["event"] for m in events]
    assert names.count("call_answered") == 2  # the agent's screen pop and the wallboard
    pop = next(m["data"] for m in events if m["event"] == "call_answered")
    assert (pop["ivr_path"], pop["wait_seconds"], pop["variables"]) == (
        ["menu", "sales"],
        7.0,
        {"account": "42"},
    )
    assert {"call_started", "call_offered", "agent_state_changed", "call_ended"} <= set(names)

    services.set_agent_state(agent_id=agent.pk, state=AgentState.READY, at=at(90))
    call.refresh_from_db()
    agent.refresh_from_db()
    assert (call.wrapup_seconds, agent.current_call_id, agent.state) == (18.0, None, AgentState.READY)


def test_it_finishes_once_and_derives_abandoned_outcomes() -> None:
    queue = make_queue()
    in_ivr = services.start_call(channel_id="a", caller_raw="13800138000", dnis="1", at=at(0))
    in_queue = services.start_call(channel_id="b", caller_raw="13800138001", dnis="1", at=at(0))
    services.enqueue_call(call_id=in_queue.pk, queue_id=queue.pk, at=at(3))
    services.finish_call(call_id=in_ivr.pk, at=at(10))
    services.finish_call(call_id=in_queue.pk, at=at(43))
    again = services.finish_call(call_id=in_queue.pk, outcome=CallOutcome.FAILED, at=at(99))
    assert Call.objects.get(pk=in_ivr.pk).outcome == CallOutcome.ABANDONED_IVR
    assert (again.outcome, again.wait_seconds) == (CallOutcome.ABANDONED_QUEUE, 40.0)
    assert CallEvent.objects.filter(call=in_queue, kind="ended").count() == 1


def test_it_never_claims_an_agent_twice_and_skips_unready_ones() -> None:
    queue = make_queue()
    busy = make_agent(queue, state=AgentState.PAUSED)
    agent = make_agent(queue)
    first = services.start_call(channel_id="a", caller_raw="13800138000", dnis="1")
    second = services.start_call(channel_id="b", caller_raw="13800138001", dnis="1")
    assert services.claim_agent(call_id=first.pk, agent_ids=[busy.pk, agent.pk]).pk == agent.pk
    assert services.claim_agent(call_id=second.pk, agent_ids=[busy.pk, agent.pk]) is None


def test_it_makes_a_missed_offer_not_ready_and_keeps_the_place_in_line() -> None:
    queue = make_queue()
    agent = make_agent(queue)
    call = services.start_call(channel_id="a", caller_raw="13800138000", dnis="1", at=at(0))
    services.enqueue_call(call_id=call.pk, queue_id=queue.pk, at=at(1))
    services.claim_agent(call_id=call.pk, agent_ids=[agent.pk])
    services.miss_offer(call_id=call.pk, agent_id=agent.pk, reason="no_answer", at=at(20))
    services.enqueue_call(call_id=call.pk, queue_id=queue.pk, at=at(30))
    agent.refresh_from_db()
    call.refresh_from_db()
    assert (agent.state, agent.state_reason, agent.current_call_id) == (
        AgentState.PAUSED,
        "missed_call",
        None,
    )
    assert call.queued_at == at(1)
    assert kinds(call)[-2:] == ["offer_missed", "requeued"]


def test_it_refuses_to_answer_an_ended_call() -> None:
    queue = make_queue()
    agent = make_agent(queue)
    call = services.start_call(channel_id="a", caller_raw="13800138000", dnis="1")
    services.finish_call(call_id=call.pk)
    with pytest.raises(Conflict):
        services.answer_call(call_id=call.pk, agent_id=agent.pk)


def test_it_frees_a_ringing_agent_when_the_caller_hangs_up() -> None:
    queue = make_queue()
    agent = make_agent(queue)
    call = services.start_call(channel_id="a", caller_raw="13800138000", dnis="1")
    services.enqueue_call(call_id=call.pk, queue_id=queue.pk)
    services.claim_agent(call_id=call.pk, agent_ids=[agent.pk])
    services.finish_call(call_id=call.pk)
    agent.refresh_from_db()
    assert (agent.state, agent.current_call_id) == (AgentState.READY, None)


def test_it_counts_hold_seconds() -> None:
    call = services.start_call(channel_id="a", caller_raw="13800138000", dnis="1", at=at(0))
    services.append_call_event(call_id=call.pk, kind="hold", at=at(10))
    services.append_call_event(call_id=call.pk, kind="unhold", at=at(25))
    services.append_call_event(call_id=call.pk, kind="hold", at=at(30))
    done = services.finish_call(call_id=call.pk, at=at(35))
    assert done.hold_seconds == 20.0


def test_it_keeps_agent_state_changes_out_of_the_configuration_history() -> None:
    queue = make_queue()
    agent = make_agent(queue)
    versions = agent.history.count()
    call = services.start_call(channel_id="c1", caller_raw="13800138000", dnis="1")
    services.claim_agent(call_id=call.pk, agent_ids=[agent.pk])
    services.cancel_offer(call_id=call.pk, agent_id=agent.pk)
    agent.refresh_from_db()
    assert agent.state == AgentState.READY
    assert list(AgentStateChange.objects.filter(agent=agent).values_list("state", flat=True)) == [
        AgentState.READY,
        AgentState.RINGING,
    ]
    assert agent.history.count() == versions


def test_it_puts_a_known_customers_finished_call_on_the_crm_timeline() -> None:
    from crm.models import Customer
    from crm.selectors import timeline

    customer = Customer.objects.create(name="Known Caller")
    customer.phones.create(number="+8613800138000", raw="13800138000")
    queue = make_queue()
    known = services.start_call(channel_id="k", caller_raw="13800138000", dnis="1", at=at(0))
    stranger = services.start_call(channel_id="s", caller_raw="13800138001", dnis="1", at=at(0))
    services.enqueue_call(call_id=known.pk, queue_id=queue.pk, at=at(2))
    services.finish_call(call_id=known.pk, at=at(12))
    services.finish_call(call_id=known.pk, at=at(30))  # idempotent: one entry
    services.finish_call(call_id=stranger.pk, at=at(12))
    (entry,) = timeline(customer)
    assert (entry.kind, entry.link_id, entry.at) == ("call", str(known.pk), at(0))
    assert entry.data["outcome"] == CallOutcome.ABANDONED_QUEUE
    assert entry.data["wait_seconds"] == 10.0
