"""Live views of the floor: the agent desktop and the wallboard, as a snapshot plus pushed events.

A screen loads `desk_snapshot` / `wallboard_snapshot`, then applies each frame its socket receives
with `apply_desk_frame` / `apply_wallboard_frame` (static/desk/*.js does the same in the browser).
The invariant, tested: snapshot before + frames == snapshot after, timestamps aside (events carry
none; a frame's `at` is when the web server relayed it).
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from typing import Any

from ccapp import clock
from ccapp.models import Agent, AgentState, AgentStateChange, Call, CallEvent, CallOutcome, Queue, QueueMember

log = logging.getLogger(__name__)

Snapshot = dict[str, Any]
TIME_KEYS = frozenset({"since", "queued_at", "at", "until"})
# CallEvent kinds that switch a flag of the call on the agent's screen, and the flag they set.
FLAG_EVENTS = {
    "hold": ("held", True),
    "unhold": ("held", False),
    "mute": ("muted", True),
    "unmute": ("muted", False),
    "recording_paused": ("recording_paused", True),
    "recording_resumed": ("recording_paused", False),
}
CALL_STATES = (AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP)
# CallEvent kinds whose data carries the call's consultation (attended transfer) or conference guest:
# the latest one says what the screens show (None: there is none).
PARTY_EVENTS = {
    "consult_started": "consult",
    "consult_answered": "consult",
    "consult_ended": "consult",
    "transfer_completed": "consult",
    "guest_invited": "guest",
    "guest_joined": "guest",
    "guest_left": "guest",
}


def today_block(day: clock.Day) -> dict[str, Any]:
    """Which day a screen's 'today' figures count, and when that day ends (the next snapshot is due)."""
    return {"day": day.date.isoformat(), "until": _iso(day.end.astimezone(dt.UTC))}


def _new_day(state: Snapshot, frame: dict[str, Any]) -> bool:
    """A frame stamped with a later day than the screen counts: its 'today' figures start again.

    The end of the new day is not known here; the consumer sends a fresh snapshot at midnight.
    """
    day = frame.get("day")
    if not day or day <= state["today"]["day"]:
        return False
    state["today"] = {"day": day, "until": None}
    return True


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def customer_card(number: str) -> dict[str, Any]:
    """The CRM card of a number (a 'new customer' card when unknown or when the CRM fails)."""
    try:
        from crm.selectors import customer_for_number

        return customer_for_number(number).as_dict()
    except Exception:  # the screen pop is a convenience: a CRM failure must not break the desk
        log.exception("customer card failed")
        return {"known": False, "number": number, "number_raw": number, "number_valid": bool(number)}


# ---- the agent desktop ------------------------------------------------------------------------
def desk_call(call_id: int, *, ringing: bool = False) -> dict[str, Any] | None:
    """Everything the agent's screen shows about one call: the screen pop and the call's flags.

    While it rings (`ringing`) the CRM is not asked: the toast shows the number, and the ring is
    short, so the full card comes with the answer.
    """
    call = Call.objects.select_related("queue", "disposition").filter(pk=call_id).first()
    if call is None:
        return None
    flags: dict[str, Any] = {
        "held": False,
        "muted": False,
        "recording_paused": False,
        "consult": None,
        "guest": None,
    }
    steps = call.events.filter(kind__in=[*FLAG_EVENTS, *PARTY_EVENTS]).values_list("kind", "data")
    for kind, data in steps:
        if kind in PARTY_EVENTS:
            flags[PARTY_EVENTS[kind]] = data.get(PARTY_EVENTS[kind])
        else:
            flag, value = FLAG_EVENTS[kind]
            flags[flag] = value
    # A transferred caller is a new Call whose variables carry the note and the call it came from.
    variables = call.variables or {}
    note_from = None
    if variables.get("transferred_from") and not ringing:
        parent = Call.objects.select_related("agent__user").filter(pk=variables["transferred_from"]).first()
        if parent is not None and parent.agent is not None:
            note_from = parent.agent.user.get_full_name() or parent.agent.user.get_username()
    wait = (call.answered_at - call.queued_at).total_seconds() if call.answered_at and call.queued_at else 0
    queue = call.queue
    return {
        "call_id": call.pk,
        "agent_id": call.agent_id,
        "caller": call.caller or call.caller_raw,
        "customer": None if ringing else customer_card(call.caller or call.caller_raw),
        "queue": {"id": queue.pk, "name": queue.name} if queue else None,
        "require_disposition": bool(queue and queue.require_disposition),
        "wrapup_seconds": queue.wrapup_seconds if queue else 0,
        "ivr_path": list(call.ivr_path or []),
        "ivr_digits": dict(call.ivr_digits or {}),
        "wait_seconds": round(wait, 1),
        "transfer_note": str(variables.get("transfer_note", "")),
        "transfer_from": note_from,
        "ended": call.ended_at is not None,
        "disposition": call.disposition.code if call.disposition else "",
        "notes": call.notes,
        **flags,
    }


def _within(field: str, day: clock.Day) -> dict[str, dt.datetime]:
    """A lookup for `field` in `day`: from its midnight, up to (not including) the next one."""
    return {f"{field}__gte": day.start, f"{field}__lt": day.end}


def desk_counters(agent_id: int, day: clock.Day | None = None) -> dict[str, Any]:
    """Calls taken, talk time and missed offers of one agent in the center's local day (default: today)."""
    day = day or clock.today()
    taken = CallEvent.objects.filter(
        kind__in=("answered", "transferred"), data__agent=agent_id, **_within("at", day)
    ).count()
    talk = sum(
        Call.objects.filter(agent_id=agent_id, **_within("ended_at", day)).values_list(
            "talk_seconds", flat=True
        )
    )
    missed = AgentStateChange.objects.filter(agent_id=agent_id, reason="missed_call", **_within("at", day))
    return {"calls": taken, "talk_seconds": round(talk, 1), "missed": missed.count()}


def desk_snapshot(agent_id: int) -> Snapshot:
    """The whole desktop of one agent right now."""
    agent = Agent.objects.select_related("user").get(pk=agent_id)
    queues = [
        {"id": m.queue_id, "name": m.queue.name, "logged_in": m.logged_in}
        for m in QueueMember.objects.filter(agent=agent).select_related("queue").order_by("queue__name")
    ]
    call_id = agent.current_call_id if agent.state in CALL_STATES else None
    day = clock.today()
    return {
        "today": today_block(day),
        "agent": {
            "id": agent.pk,
            "name": agent.user.get_full_name() or agent.user.get_username(),
            "extension": agent.extension,
            "state": agent.state,
            "reason": agent.state_reason,
            "call_id": call_id,
            "since": _iso(agent.state_since),
        },
        "queues": queues,
        "counters": desk_counters(agent.pk, day),
        "call": desk_call(call_id, ringing=agent.state == AgentState.RINGING) if call_id else None,
    }


def apply_desk_frame(snapshot: Snapshot, frame: dict[str, Any]) -> Snapshot:
    """The desktop after one pushed frame (mirrors static/desk/live.js)."""
    state = copy.deepcopy(snapshot)
    name, data = frame.get("event"), frame.get("data", {})
    if _new_day(state, frame):
        state["counters"] = {"calls": 0, "talk_seconds": 0.0, "missed": 0}
    agent, counters, call = state["agent"], state["counters"], state["call"]
    if name == "agent_state_changed":
        agent.update(state=data["state"], reason=data["reason"], call_id=data["call_id"], since=frame["at"])
        if data["reason"] == "missed_call":
            counters["missed"] += 1
        if data["call_id"] is None or data["state"] not in CALL_STATES:
            agent["call_id"] = None
            state["call"] = None
        elif call and call["call_id"] != data["call_id"]:
            state["call"] = None  # a new call rings: its pop follows in call_offered
    elif name in ("call_offered", "call_answered", "call_joined"):
        state["call"] = frame.get("call")
        if name == "call_answered":
            counters["calls"] += 1
    elif name == "call_ended":
        counters["talk_seconds"] = round(counters["talk_seconds"] + data["talk_seconds"], 1)
        if call and call["call_id"] == data["call_id"]:
            call["ended"] = True
    elif name == "call_updated" and call and call["call_id"] == data["call_id"]:
        if data["kind"] in FLAG_EVENTS:
            flag, value = FLAG_EVENTS[data["kind"]]
            call[flag] = value
        elif data["kind"] in PARTY_EVENTS:
            key = PARTY_EVENTS[data["kind"]]
            call[key] = data["data"].get(key)
        elif data["kind"] == "wrapup_saved":
            call.update(disposition=data["data"]["disposition"], notes=data["data"]["notes"])
    return state


# ---- the wallboard ----------------------------------------------------------------------------
def _queue_row(queue: Queue) -> dict[str, Any]:
    return {
        "id": queue.pk,
        "name": queue.name,
        "sl_target_seconds": queue.sl_target_seconds,
        "sl_target_percent": queue.sl_target_percent,
        "offered": 0,
        "answered": 0,
        "abandoned": 0,
        "answered_in_sl": 0,
        "wait_sum": 0.0,
    }


def wallboard_snapshot() -> Snapshot:
    """Queues with today's figures, agents with their states, live calls (keys are strings, as in JSON)."""
    queues = {str(q.pk): _queue_row(q) for q in Queue.objects.filter(active=True)}
    day = clock.today()
    # Today's figures count the calls queued today (in the queue they are in now).
    rows = Call.objects.filter(queue_id__in=[int(k) for k in queues], **_within("queued_at", day)).values(
        "queue_id", "queued_at", "answered_at", "outcome"
    )
    for row in rows:
        queue = queues[str(row["queue_id"])]
        queue["offered"] += 1
        if row["answered_at"]:
            wait = round((row["answered_at"] - row["queued_at"]).total_seconds(), 3)
            queue["answered"] += 1
            queue["wait_sum"] += wait
            queue["answered_in_sl"] += int(wait <= queue["sl_target_seconds"])
        elif row["outcome"] == CallOutcome.ABANDONED_QUEUE:
            queue["abandoned"] += 1
    for queue in queues.values():
        queue["wait_sum"] = round(queue["wait_sum"], 3)
    memberships: dict[int, list[int]] = {}
    for agent_id, queue_id in QueueMember.objects.values_list("agent_id", "queue_id").order_by("queue_id"):
        memberships.setdefault(agent_id, []).append(queue_id)
    agents = {
        str(a.pk): {
            "id": a.pk,
            "name": a.user.get_full_name() or a.user.get_username(),
            "extension": a.extension,
            "state": a.state,
            "reason": a.state_reason,
            "call_id": a.current_call_id if a.state in CALL_STATES else None,
            "since": _iso(a.state_since),
            "queues": memberships.get(a.pk, []),
        }
        for a in Agent.objects.select_related("user")
    }
    calls = {
        str(c.pk): {
            "id": c.pk,
            "caller": c.caller or c.caller_raw,
            "queue_id": c.queue_id,
            "answered": c.answered_at is not None,
            "vip": c.vip,
            "queued_at": _iso(c.queued_at),
            "queued_day": clock.day_of(c.queued_at).date.isoformat() if c.queued_at else None,
        }
        for c in Call.objects.filter(ended_at__isnull=True, arrived_at__gte=day.start - dt.timedelta(days=1))
    }
    return {"today": today_block(day), "queues": queues, "agents": agents, "calls": calls}


def _counted_today(state: Snapshot, call: dict[str, Any] | None) -> bool:
    """Whether a call is in today's figures: queued (in its queue) on the day the screen counts."""
    return bool(call) and call.get("queued_day") == state["today"]["day"]


def apply_wallboard_frame(snapshot: Snapshot, frame: dict[str, Any]) -> Snapshot:
    """The wallboard after one pushed frame (mirrors static/desk/live.js)."""
    state = copy.deepcopy(snapshot)
    name, data = frame.get("event"), frame.get("data", {})
    queues, calls = state["queues"], state["calls"]
    if _new_day(state, frame):
        for queue in queues.values():
            queue.update(offered=0, answered=0, abandoned=0, answered_in_sl=0, wait_sum=0.0)
    key = str(data.get("call_id"))
    if name == "call_started":
        calls[key] = {
            "id": data["call_id"],
            "caller": data["caller"],
            "queue_id": None,
            "answered": False,
            "vip": data["vip"],
            "queued_at": None,
            "queued_day": None,
        }
    elif name == "call_queued":
        call = calls.setdefault(
            key, {"id": data["call_id"], "caller": data["caller"], "answered": False, "vip": data["vip"]}
        )
        previous = call.get("queue_id")
        if previous != data["queue_id"]:
            if str(previous) in queues and _counted_today(state, call):
                queues[str(previous)]["offered"] -= 1  # moved: today's figures count it in its new queue
            if str(data["queue_id"]) in queues:
                queues[str(data["queue_id"])]["offered"] += 1
            call.update(queue_id=data["queue_id"], queued_at=frame["at"], queued_day=state["today"]["day"])
    elif name == "call_answered":
        # A transferred caller's new Call is first seen here (it has no call_started of its own).
        customer = data.get("customer") or {}
        call = calls.setdefault(
            key,
            {
                "id": data["call_id"],
                "caller": data["caller"],
                "queue_id": data["queue_id"],
                "vip": bool(customer.get("vip_level")),
                "queued_at": None,
                "queued_day": None,
            },
        )
        call["answered"] = True
        # Only a call that waited in the queue counts in its figures (a transferred caller keeps the
        # queue for the wrap-up without being queued again).
        queue = queues.get(str(data["queue_id"])) if _counted_today(state, call) else None
        if queue is not None:
            queue["answered"] += 1
            queue["wait_sum"] = round(queue["wait_sum"] + data["wait_seconds"], 3)
            queue["answered_in_sl"] += int(data["wait_seconds"] <= queue["sl_target_seconds"])
    elif name == "call_ended":
        call = calls.pop(key, None)
        queue = queues.get(str(data["queue_id"])) if _counted_today(state, call) else None
        if queue is not None and data["outcome"] == CallOutcome.ABANDONED_QUEUE:
            queue["abandoned"] += 1
    elif name == "agent_state_changed" and str(data["agent_id"]) in state["agents"]:
        in_call = data["state"] in CALL_STATES
        state["agents"][str(data["agent_id"])].update(
            state=data["state"], reason=data["reason"], call_id=data["call_id"] if in_call else None
        )
        state["agents"][str(data["agent_id"])]["since"] = frame["at"]
    return state


def without_times(value: Any) -> Any:
    """A snapshot with its timestamps removed (events carry none), for comparing two snapshots."""
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if k not in TIME_KEYS}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value
