"""The IVR interpreter: a pure state machine over the flow format of `ccapp.ivr.schema`.

`handle(state, event, *, now) -> (state, commands)`. No Django, no asyncio, no clock, no I/O: the
Stasis worker turns the commands into ARI calls and feeds ARI events back in. Every event either
leads to an `Exit` command or leaves the engine waiting for a playback, a digit, a timer or a
lookup; a broken flow (node edited away, bad value) ends in an `Exit('failover')`, never a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ccapp.ivr.conditions import render, select_branch
from ccapp.ivr.messages import (
    CancelTimer,
    Checkpoint,
    Command,
    Digit,
    Event,
    Exit,
    Hangup,
    LookupFailed,
    LookupResult,
    Play,
    PlaybackFinished,
    Prompt,
    Resumed,
    RunLookup,
    SetLanguage,
    SetVariable,
    Started,
    StartTimer,
    StopPlayback,
    Tick,
)
from ccapp.ivr.schema import TERMINAL_TYPES

DEFAULT_TIMEOUT = 5
DEFAULT_RETRIES = 2
DEFAULT_LOOKUP_TIMEOUT = 5
# Condition / set_variable nodes run without waiting; a flow looping through them (the validator
# cannot see that a variable never changes) is cut off after this many nodes in one step.
MAX_HOPS = 100
INPUT_NODES = frozenset({"menu", "collect", "pin"})


@dataclass(frozen=True)
class IVRState:
    """Where one caller is in one flow."""

    flow: Mapping[str, Any]
    node: str = ""
    phase: str = "new"  # new | playing | waiting | lookup | done
    playback_id: str = ""
    timer_id: str = ""
    request_id: str = ""
    seq: int = 0
    attempts: int = 0
    buffer: str = ""
    variables: Mapping[str, Any] = field(default_factory=dict)
    language: str = "zh"
    hours: Mapping[str, str] = field(default_factory=dict)
    path: tuple[str, ...] = ()
    digits: Mapping[str, str] = field(default_factory=dict)
    exit: Exit | None = None


Result = tuple[IVRState, list[Command]]


def new_state(flow: Mapping[str, Any]) -> IVRState:
    """A fresh state for a flow graph; feed it `Started` to begin."""
    return IVRState(flow=flow)


def handle(state: IVRState, event: Event, *, now: float) -> Result:
    """Advance one caller's flow by one event; `now` is accepted for symmetry with the ACD engine."""
    if state.phase == "done":
        return state, []
    if isinstance(event, Hangup):
        return _finish(state, Exit(kind="abandoned", node=state.node, reason="caller_hangup"))
    try:
        return _dispatch(state, event)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        return _finish(state, Exit(kind="failover", node=state.node, reason=f"error:{type(exc).__name__}"))


def _dispatch(state: IVRState, event: Event) -> Result:
    if isinstance(event, Started | Resumed):
        if state.phase != "new":
            return state, []
        state = replace(
            state,
            variables=dict(event.variables),
            language=event.language or state.language,
            hours=dict(event.hours),
        )
        if isinstance(event, Resumed):
            state = replace(state, path=tuple(event.path), digits=dict(event.digits))
            return _goto(state, event.node, [])
        return _goto(state, str(state.flow.get("start", "")), [])
    if state.phase == "new":
        return state, []
    if isinstance(event, PlaybackFinished):
        return _on_playback_finished(state, event)
    if isinstance(event, Digit):
        return _on_digit(state, event.digit)
    if isinstance(event, Tick):
        return _on_tick(state, event) if event.timer_id == state.timer_id else (state, [])
    if isinstance(event, LookupResult | LookupFailed):
        return _on_lookup(state, event)
    return state, []


# ---- moving between nodes ---------------------------------------------------------------------


def _node(state: IVRState, node_id: str | None = None) -> Mapping[str, Any]:
    nodes = state.flow.get("nodes", {})
    node = nodes.get(node_id if node_id is not None else state.node)
    if not isinstance(node, Mapping):
        raise KeyError(node_id)
    return node


def _goto(state: IVRState, node_id: str, commands: list[Command]) -> Result:
    """Enter `node_id` and run every node that needs no input until one waits or exits."""
    commands = commands + _cancel_pending(state)
    state = replace(state, playback_id="", timer_id="", request_id="", attempts=0, buffer="")
    for _ in range(MAX_HOPS):
        nodes = state.flow.get("nodes", {})
        if node_id not in nodes or not isinstance(nodes[node_id], Mapping):
            return _finish(state, Exit(kind="failover", node=node_id, reason="missing_node"), commands)
        node = nodes[node_id]
        state = replace(state, node=node_id, path=(*state.path, node_id))
        kind = node.get("type")
        if kind in TERMINAL_TYPES:
            return _finish(state, _terminal_exit(state, node_id, node), commands)
        if kind == "condition":
            node_id = select_branch(node["branches"], node["default"], state.variables)
        elif kind == "set_variable":
            value = render(str(node["value"]), state.variables)
            state = replace(state, variables={**state.variables, node["variable"]: value})
            commands.append(SetVariable(node["variable"], value))
            node_id = node["next"]
        elif kind == "set_language":
            state = replace(state, language=node["language"])
            commands.append(SetLanguage(node["language"]))
            node_id = node["next"]
        elif kind == "hours":
            node_id = _hours_branch(state, node)
        elif kind == "lookup":
            return _start_lookup(state, node, commands)
        elif kind == "play":
            return _play(state, [node["prompt"]], commands)
        elif kind in INPUT_NODES:
            state, commands = _play(state, [node["prompt"]], commands)
            return state, [*commands, _checkpoint(state)]
        else:
            return _finish(state, Exit(kind="failover", node=node_id, reason="unknown_node_type"), commands)
    return _finish(state, Exit(kind="failover", node=node_id, reason="too_many_hops"), commands)


def _checkpoint(state: IVRState) -> Checkpoint:
    """Where a restarted worker may resume this caller: the input node just entered."""
    return Checkpoint(
        node=state.node,
        path=state.path[:-1],
        digits=dict(state.digits),
        variables=dict(state.variables),
        language=state.language,
    )


def _terminal_exit(state: IVRState, node_id: str, node: Mapping[str, Any]) -> Exit:
    kind = node["type"]
    if kind == "hangup":
        prompt = node.get("prompt")
        return Exit(
            kind="hangup", node=node_id, prompt=Prompt.from_spec(prompt, state.language) if prompt else None
        )
    key = {"queue": "queue", "voicemail": "mailbox", "agent": "agent", "external": "number", "flow": "flow"}
    target = render(str(node[key[kind]]), state.variables)
    return Exit(kind=kind, target=target, node=node_id, priority=node.get("priority"))


def _hours_branch(state: IVRState, node: Mapping[str, Any]) -> str:
    calendar = str(node.get("calendar") or "")
    answer = state.hours.get(calendar) or state.hours.get("") or "open"
    if answer == "holiday":
        return node.get("holiday") or node["closed"]
    return node["closed"] if answer == "closed" else node["open"]


def _finish(state: IVRState, exit_: Exit, commands: list[Command] | None = None) -> Result:
    commands = (commands or []) + _cancel_pending(state)
    state = replace(state, phase="done", exit=exit_, playback_id="", timer_id="", request_id="")
    return state, [*commands, exit_]


def _cancel_pending(state: IVRState) -> list[Command]:
    cancels: list[Command] = []
    if state.playback_id:
        cancels.append(StopPlayback(state.playback_id))
    if state.timer_id:
        cancels.append(CancelTimer(state.timer_id))
    return cancels


def _play(state: IVRState, specs: list[Mapping[str, Any]], commands: list[Command]) -> Result:
    seq = state.seq + 1
    playback_id = f"p{seq}"
    prompts = tuple(Prompt.from_spec(spec, state.language) for spec in specs)
    state = replace(state, seq=seq, playback_id=playback_id, phase="playing")
    return state, [*commands, Play(playback_id, prompts)]


def _start_timer(state: IVRState, seconds: float, commands: list[Command]) -> Result:
    seq = state.seq + 1
    timer_id = f"t{seq}"
    cancel = [CancelTimer(state.timer_id)] if state.timer_id else []
    state = replace(state, seq=seq, timer_id=timer_id)
    return state, [*commands, *cancel, StartTimer(timer_id, seconds)]


# ---- events ------------------------------------------------------------------------------------


def _on_playback_finished(state: IVRState, event: PlaybackFinished) -> Result:
    if event.playback_id != state.playback_id or state.phase != "playing":
        return state, []
    node = _node(state)
    state = replace(state, playback_id="")
    if node["type"] == "play":
        return _goto(state, node["next"], [])
    # A prompt of a menu, collect or pin ended: wait for the caller's digits.
    state = replace(state, phase="waiting")
    return _start_timer(state, node.get("timeout", DEFAULT_TIMEOUT), [])


def _on_digit(state: IVRState, digit: str) -> Result:
    if state.phase not in ("playing", "waiting") or len(digit) != 1 or digit not in "0123456789*#ABCD":
        return state, []
    node = _node(state)
    if node["type"] not in INPUT_NODES:
        return state, []
    # A digit interrupts the prompt (barge-in), as callers who know the menu expect.
    commands: list[Command] = [StopPlayback(state.playback_id)] if state.playback_id else []
    state = replace(state, playback_id="", phase="waiting")
    if node["type"] == "menu":
        return _menu_digit(state, node, digit, commands)
    return _collect_digit(state, node, digit, commands)


def _menu_digit(state: IVRState, node: Mapping[str, Any], digit: str, commands: list[Command]) -> Result:
    state = _remember_digits(state, state.digits.get(state.node, "") + digit)
    options = node["options"]
    if digit in options:
        return _goto(state, options[digit], commands)
    if digit == "0" and node.get("zero_to_agent"):
        exit_ = Exit(kind="queue", target="", node=state.node, reason="zero_to_agent")
        return _finish(state, exit_, commands)
    return _retry(state, node, "invalid", commands)


def _collect_digit(state: IVRState, node: Mapping[str, Any], digit: str, commands: list[Command]) -> Result:
    is_pin = node["type"] == "pin"
    terminator = "#" if is_pin else node.get("terminator", "#")
    maximum = node.get("max_digits", 8 if is_pin else 32)
    if terminator and digit == terminator:
        return _collect_complete(state, node, commands)
    state = replace(state, buffer=state.buffer + digit)
    if len(state.buffer) >= maximum:
        return _collect_complete(state, node, commands)
    return _start_timer(state, node.get("timeout", DEFAULT_TIMEOUT), commands)


def _collect_complete(state: IVRState, node: Mapping[str, Any], commands: list[Command]) -> Result:
    value = state.buffer
    minimum = 1 if node["type"] == "pin" else node.get("min_digits", 1)
    if len(value) < minimum:
        return _retry(state, node, "too_short", commands)
    if node["type"] == "pin":
        # PINs are never stored: the digits path keeps only their length.
        state = _remember_digits(state, "*" * len(value))
        lookup = {"hook": node["hook"], "params": {"pin": value}, "timeout": node.get("timeout")}
        return _start_lookup(state, lookup, commands)
    state = _remember_digits(state, value)
    state = replace(state, variables={**state.variables, node["variable"]: value})
    return _goto(state, node["next"], [*commands, SetVariable(node["variable"], value)])


def _on_tick(state: IVRState, event: Tick) -> Result:
    node = _node(state)
    state = replace(state, timer_id="")
    if state.phase == "lookup":
        return _lookup_failed(state, node, "timeout")
    if state.phase != "waiting" or node["type"] not in INPUT_NODES:
        return state, []
    if node["type"] != "menu" and state.buffer:
        return _collect_complete(state, node, [])
    return _retry(state, node, "timeout", [])


def _retry(state: IVRState, node: Mapping[str, Any], why: str, commands: list[Command]) -> Result:
    attempts = state.attempts + 1
    if attempts > node.get("retries", DEFAULT_RETRIES):
        return _goto(state, node["on_fail"], commands)
    cancel = [CancelTimer(state.timer_id)] if state.timer_id else []
    state = replace(state, attempts=attempts, buffer="", timer_id="")
    prompts = [node["prompt"]]
    if why != "timeout" and node.get("invalid_prompt"):
        prompts.insert(0, node["invalid_prompt"])
    return _play(state, prompts, [*commands, *cancel])


# ---- lookups and PIN checks ------------------------------------------------------------------


def _start_lookup(state: IVRState, spec: Mapping[str, Any], commands: list[Command]) -> Result:
    seq = state.seq + 1
    request_id = f"l{seq}"
    timeout = float(spec.get("timeout") or DEFAULT_LOOKUP_TIMEOUT)
    raw_params = dict(spec.get("params") or {})
    params = {key: render(str(value), state.variables) for key, value in raw_params.items()}
    lookup = RunLookup(request_id, str(spec.get("hook") or ""), str(spec.get("url") or ""), params, timeout)
    state = replace(state, seq=seq, request_id=request_id, phase="lookup")
    # The worker enforces the timeout too; this timer guarantees the flow moves on even if the
    # answer is lost, one second after the lookup's own deadline.
    return _start_timer(state, timeout + 1, [*commands, lookup])


def _on_lookup(state: IVRState, event: LookupResult | LookupFailed) -> Result:
    if state.phase != "lookup" or event.request_id != state.request_id:
        return state, []
    node = _node(state)
    commands: list[Command] = [CancelTimer(state.timer_id)] if state.timer_id else []
    state = replace(state, request_id="", timer_id="")
    if isinstance(event, LookupFailed):
        return _lookup_failed(state, node, event.reason or "failed", commands)
    if node["type"] == "pin":
        if event.value:
            return _goto(state, node["next"], commands)
        return _retry(replace(state, phase="waiting"), node, "invalid", commands)
    name = node["result_variable"]
    state = replace(state, variables={**state.variables, name: event.value})
    return _goto(state, node["next"], [*commands, SetVariable(name, event.value)])


def _lookup_failed(
    state: IVRState, node: Mapping[str, Any], reason: str, commands: list[Command] | None = None
) -> Result:
    state = replace(state, request_id="", variables={**state.variables, "lookup_error": reason})
    target = node["on_fail"] if node["type"] == "pin" else node["on_error"]
    return _goto(state, target, list(commands or []))


def _remember_digits(state: IVRState, digits: str) -> IVRState:
    return replace(state, digits={**state.digits, state.node: digits})
