"""Writes of a call's life: start, IVR exit, queue, offer, answer, finish."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ccapp import realtime
from ccapp.errors import Conflict
from ccapp.models import Agent, AgentState, Call, CallDirection, CallEvent, CallOutcome, InboundRoute, Queue
from ccapp.phones import normalize
from ccapp.services import rows
from ccapp.services.agents import change_agent_state, claim_ready_agent
from ccapp.services.customers import CallerInfo, call_to_timeline, customer_card, find_customer
from ccapp.services.media import register_recording

log = logging.getLogger(__name__)

# Priority points per VIP level: a VIP caller is served before ordinary callers of the same queue.
VIP_PRIORITY_STEP = 10


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _locked_call(call_id: int) -> Call:
    return rows.locked(Call, call_id)


@transaction.atomic
def start_call(
    *,
    channel_id: str,
    caller_raw: str,
    dnis: str,
    direction: str = CallDirection.INBOUND,
    stasis_node: str = "",
    parent_id: int | None = None,
    at: datetime | None = None,
) -> Call:
    """Create the Call of a new channel (idempotent per open channel): E.164, customer, route, VIP."""
    open_calls = rows.find(Call, channel_id=channel_id, ended_at=None)
    existing = max(open_calls, key=lambda c: (c.arrived_at, c.pk), default=None)  # the latest, as .first()
    if existing is not None:
        return existing
    number = normalize(caller_raw)
    caller = find_customer(number.e164) if number.e164 else CallerInfo()
    vip_level = caller.vip_level
    route = next(iter(rows.find(InboundRoute, dnis=dnis, active=True)), None) if dnis else None
    call = rows.add(
        Call(
            channel_id=channel_id,
            direction=direction,
            caller_raw=caller_raw or "",
            caller=number.e164,
            dnis=dnis or "",
            customer_id=caller.customer_id,
            route=route,
            vip=vip_level > 0,
            priority=min(100, vip_level * VIP_PRIORITY_STEP),
            language=route.language if route else "zh",
            arrived_at=_now(at),
            stasis_node=stasis_node,
            parent_id=parent_id,
        )
    )
    data = {"caller": call.caller or caller_raw, "dnis": dnis, "route": route.pk if route else None}
    if not number.valid:
        data["caller_invalid"] = True
    rows.add(CallEvent(call=call, kind="started", at=call.arrived_at, data=data))
    realtime.publish(
        [realtime.WALLBOARD],
        realtime.CallStarted(call.pk, call.caller or call.caller_raw, call.dnis, call.vip),
    )
    return call


@transaction.atomic
def start_transferred_call(
    *, parent_id: int, note: str = "", stasis_node: str = "", queue_id: int | None = None
) -> Call:
    """The caller's next leg after a transfer: same channel, customer, queue and context carried over.

    The queue (the parent's unless `queue_id` is given) gives the receiving agent their wrap-up and
    dispositions; the call counts in the queue's figures only if it is queued again (`queued_at`).
    """
    parent = Call.objects.get(pk=parent_id)
    call = rows.add(
        Call(
            channel_id=parent.channel_id,
            direction=parent.direction,
            caller_raw=parent.caller_raw,
            caller=parent.caller,
            dnis=parent.dnis,
            customer_id=parent.customer_id,
            route_id=parent.route_id,
            queue_id=queue_id or parent.queue_id,
            priority=parent.priority,
            vip=parent.vip,
            language=parent.language,
            ivr_path=parent.ivr_path,
            ivr_digits=parent.ivr_digits,
            variables={**(parent.variables or {}), "transfer_note": note, "transferred_from": parent.pk},
            stasis_node=stasis_node or parent.stasis_node,
            parent=parent,
        )
    )
    rows.add(CallEvent(call=call, kind="transferred_in", at=call.arrived_at, data={"from": parent.pk}))
    return call


# Steps of a call's timeline that the worker carries to its next write: (kind, data, at).
Carried = Sequence[tuple[str, dict[str, Any], datetime]]


@transaction.atomic
def append_call_event(
    *, call_id: int, kind: str, data: dict[str, Any] | None = None, at=None, carried: Carried = ()
) -> CallEvent:
    """Append one step to a call's timeline (after the `carried` steps noted before it)."""
    _add_carried(call_id, carried)
    return rows.add(CallEvent(call_id=call_id, kind=kind, data=data or {}, at=_now(at)))


def _add_carried(call_id: int, carried: Carried) -> None:
    for kind, data, at in carried:
        rows.add(CallEvent(call_id=call_id, kind=kind, data=data, at=at))


@transaction.atomic
def record_ivr_exit(*, call_id: int, carried: Carried = (), **exit_: Any) -> Call:
    """Store what the caller did in the IVR (path, digits, variables) and how they left it."""
    _add_carried(call_id, carried)
    return _ivr_exit(_locked_call(call_id), **exit_)


def _ivr_exit(
    call: Call,
    *,
    path: list[str],
    digits: dict[str, str],
    variables: dict[str, Any],
    language: str,
    exit_kind: str,
    target: str = "",
    reason: str = "",
    flow_version: int | None = None,
    at: datetime | None = None,
) -> Call:
    call.ivr_path = list(call.ivr_path or []) + list(path)
    call.ivr_digits = {**(call.ivr_digits or {}), **digits}
    call.variables = {**(call.variables or {}), **_jsonable(variables)}
    call.language = language or call.language
    call.flow_version = flow_version or call.flow_version
    call.ivr_exit_at = _now(at)
    # Past the IVR nothing resumes in it, except in the flow it exits to (from that flow's start).
    call.ivr_checkpoint = {"flow": target, "node": ""} if exit_kind == "flow" else {}
    rows.save_fields(
        call, "ivr_path", "ivr_digits", "variables", "language", "flow_version", "ivr_exit_at",
        "ivr_checkpoint",
    )  # fmt: skip
    rows.add(
        CallEvent(
            call=call,
            kind="ivr_exit",
            at=call.ivr_exit_at,
            data={"exit": exit_kind, "target": target, "reason": reason},
        )
    )
    return call


@transaction.atomic
def save_ivr_checkpoint(*, call_id: int, checkpoint: dict[str, Any], carried: Carried = ()) -> None:
    """Remember where a caller inside an IVR flow is, so a restarted worker can resume them there."""
    checkpoint = {**checkpoint, "variables": _jsonable(dict(checkpoint.get("variables") or {}))}
    _add_carried(call_id, carried)
    value = Call._meta.get_field("ivr_checkpoint").get_db_prep_save(checkpoint, connection)
    with connection.cursor() as cursor:
        cursor.execute(SAVE_CHECKPOINT_SQL, [value, call_id])


def _jsonable(variables: dict[str, Any]) -> dict[str, Any]:
    return {
        str(k): v if isinstance(v, str | int | float | bool | type(None)) else str(v)
        for k, v in variables.items()
    }


@transaction.atomic
def enqueue_call(
    *,
    call_id: int,
    queue_id: int,
    priority: int | None = None,
    at: datetime | None = None,
    ivr_exit: dict[str, Any] | None = None,
    carried: Carried = (),
) -> Call:
    """Put a call in a queue; a call sent back (missed offer) keeps its original place in line.

    `ivr_exit`: the IVR exit that sends the call here (`record_ivr_exit`'s fields), stored with it.
    """
    _add_carried(call_id, carried)
    call = _locked_call(call_id)
    if ivr_exit is not None:
        _ivr_exit(call, **ivr_exit)
    found = rows.find(Queue, id=queue_id)
    if not found:
        raise Queue.DoesNotExist(f"Queue {queue_id} does not exist")
    queue = found[0]
    first_time = call.queued_at is None or call.queue_id != queue_id
    if first_time:
        call.queued_at = _now(at)
    call.queue = queue
    if priority is not None:
        call.priority = max(call.priority, priority)
    rows.save_fields(call, "queue", "queued_at", "priority")
    kind = "queued" if first_time else "requeued"
    rows.add(
        CallEvent(call=call, kind=kind, at=_now(at), data={"queue": queue.code, "priority": call.priority})
    )
    event = realtime.CallQueued(call.pk, queue.pk, call.caller or call.caller_raw, call.priority, call.vip)
    realtime.publish([realtime.queue_group(queue.pk), realtime.WALLBOARD], event)
    return call


@transaction.atomic
def offer_call(*, call_id: int, agent_id: int, at: datetime | None = None) -> Call:
    """Record that an agent's phone rings for this call (the agent was claimed before)."""
    return _record_offer(call_id, agent_id, _now(at))


@transaction.atomic
def claim_and_offer(*, call_id: int, agent_id: int, at: datetime | None = None) -> Agent | None:
    """Claim a ready agent for a call and record the offer in one transaction (the ACD's claim)."""
    when = _now(at)
    agent = claim_ready_agent(call_id=call_id, agent_ids=[agent_id], at=when)
    if agent is not None:
        _record_offer(call_id, agent_id, when)
    return agent


def _record_offer(call_id: int, agent_id: int, when: datetime) -> Call:
    call = _locked_call(call_id)
    if call.offered_at is None:
        call.offered_at = when
        rows.save_fields(call, "offered_at")
    rows.add(CallEvent(call=call, kind="offered", at=when, data={"agent": agent_id}))
    realtime.publish(
        [realtime.agent_group(agent_id)],
        realtime.CallOffered(call.pk, agent_id, call.queue_id, call.caller or call.caller_raw),
    )
    return call


@transaction.atomic
def answer_call(
    *,
    call_id: int,
    agent_id: int,
    recording: str = "",
    legs: Sequence[str] = (),
    at: datetime | None = None,
) -> Call:
    """The agent answered and is bridged: agent on call, screen pop pushed after commit.

    `recording`: the name of the recording the worker starts next on the call's bridge (with its
    `legs`), registered in the same transaction.
    """
    call = _locked_call(call_id)
    if call.ended_at is not None:
        raise Conflict("The caller already hung up.", error_id="call_ended")
    when = _now(at)
    call.answered_at = when
    call.agent_id = agent_id
    rows.save_fields(call, "answered_at", "agent")
    agent = rows.locked(Agent, agent_id)
    change_agent_state(agent, AgentState.ON_CALL, call=call, at=when)
    wait = (when - call.queued_at).total_seconds() if call.queued_at else 0.0
    rows.add(CallEvent(call=call, kind="answered", at=when, data={"agent": agent_id, "wait": round(wait, 3)}))
    if recording:
        register_recording(call_id=call.pk, name=recording, legs=list(legs), at=when)
    card, history = customer_card(call)
    pop = realtime.CallAnswered(
        call_id=call.pk,
        agent_id=agent_id,
        queue_id=call.queue_id,
        caller=call.caller or call.caller_raw,
        customer=card,
        history=history,
        ivr_path=list(call.ivr_path or []),
        ivr_digits=dict(call.ivr_digits or {}),
        variables=dict(call.variables or {}),
        wait_seconds=round(wait, 3),
    )
    realtime.publish([realtime.agent_group(agent_id), realtime.WALLBOARD], pop)
    return call


@transaction.atomic
def finish_call(
    *,
    call_id: int,
    outcome: str | None = None,
    keep_agents: Sequence[int] = (),
    at: datetime | None = None,
    carried: Carried = (),
) -> Call:
    """Close a call: outcome and wait/talk/hold seconds; frees its agents (but `keep_agents`). Idempotent.

    `keep_agents`: agents still talking after the caller left (a conference); freed when they hang up.
    """
    _add_carried(call_id, carried)
    call = _locked_call(call_id)
    if call.ended_at is not None:
        return call
    when = _now(at)
    call.ended_at = when
    call.outcome = outcome or _derived_outcome(call)
    if call.queued_at:
        call.wait_seconds = max(0.0, ((call.answered_at or when) - call.queued_at).total_seconds())
    if call.answered_at:
        call.talk_seconds = max(0.0, (when - call.answered_at).total_seconds())
    call.hold_seconds = _hold_seconds(call, when)
    rows.save_fields(call, "ended_at", "outcome", "wait_seconds", "talk_seconds", "hold_seconds")
    _release_agents(call, when, keep_agents)
    rows.add(
        CallEvent(
            call=call,
            kind="ended",
            at=when,
            data={
                "outcome": call.outcome,
                "wait": round(call.wait_seconds, 3),
                "talk": round(call.talk_seconds, 3),
            },
        )
    )
    groups = [realtime.WALLBOARD] + ([realtime.queue_group(call.queue_id)] if call.queue_id else [])
    if call.agent_id:
        groups.append(realtime.agent_group(call.agent_id))
    ended = realtime.CallEnded(
        call.pk, call.queue_id, call.agent_id, call.outcome, call.wait_seconds, call.talk_seconds
    )
    realtime.publish(groups, ended)
    call_to_timeline(call)
    return call


def _derived_outcome(call: Call) -> str:
    if call.outcome != CallOutcome.IN_PROGRESS:
        return call.outcome
    if call.answered_at:
        return CallOutcome.ANSWERED
    if call.queued_at:
        return CallOutcome.ABANDONED_QUEUE
    return CallOutcome.ABANDONED_IVR


SAVE_CHECKPOINT_SQL = (
    f"UPDATE {Call._meta.db_table} SET ivr_checkpoint = %s WHERE id = %s AND ended_at IS NULL"
)
HOLD_EVENTS_SQL = (
    f"SELECT kind, at FROM {CallEvent._meta.db_table} "
    "WHERE call_id = %s AND kind IN ('hold', 'unhold') ORDER BY at, id"
)


def _hold_seconds(call: Call, until: datetime) -> float:
    total, since = 0.0, None
    # Raw: this runs for every call that ends, and almost always finds nothing.
    with connection.cursor() as cursor:
        cursor.execute(HOLD_EVENTS_SQL, [call.pk])
        events = cursor.fetchall()
    for kind, at in events:
        if kind == "hold" and since is None:
            since = at
        elif kind == "unhold" and since is not None:
            total += (at - since).total_seconds()
            since = None
    if since is not None:
        total += (until - since).total_seconds()
    return total


def _release_agents(call: Call, when: datetime, keep: Sequence[int] = ()) -> None:
    """Agents still tied to this call: the one who talked goes to wrap-up, ringing ones to ready."""
    for agent in rows.find(Agent, current_call=call.pk, lock=True):
        if agent.pk in keep:
            continue
        if agent.state == AgentState.ON_CALL and call.answered_at:
            # A queue that needs a disposition keeps the agent in wrap-up until it is saved.
            queue = rows.find(Queue, id=call.queue_id)[0] if call.queue_id else None
            wrapup = (queue.wrapup_seconds or queue.require_disposition) if queue else 0
            state = AgentState.WRAP_UP if wrapup else AgentState.READY
            change_agent_state(agent, state, call=call if wrapup else None, reason="call_ended", at=when)
        elif agent.state in (AgentState.RINGING, AgentState.ON_CALL):
            change_agent_state(agent, AgentState.READY, call=None, reason="call_ended", at=when)
