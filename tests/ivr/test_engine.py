"""Table-driven tests of the IVR interpreter: events in, commands out (no database, no loop)."""

from __future__ import annotations

from typing import Any

import pytest

from ccapp.ivr.engine import IVRState, handle, new_state
from ccapp.ivr.messages import (
    CancelTimer,
    Checkpoint,
    Digit,
    Exit,
    Hangup,
    LookupFailed,
    LookupResult,
    Play,
    PlaybackFinished,
    Resumed,
    RunLookup,
    SetLanguage,
    SetVariable,
    Started,
    StartTimer,
    StopPlayback,
    Tick,
)
from ccapp.ivr.schema import validate_flow
from tests.ivr.flows import LANG, MAIN, SPIN


def run(flow: dict, steps: list[Any], hours: str = "open") -> tuple[IVRState, list[Any]]:
    """Feed Started and then each step; a step is an event or a callable building one from the
    commands so far (playback and timer ids are chosen by the engine)."""
    state, commands = handle(new_state(flow), Started(hours={"": hours}, language="zh"), now=0.0)
    log = list(commands)
    for step in steps:
        event = step(log) if callable(step) else step
        state, commands = handle(state, event, now=0.0)
        log.extend(commands)
    return state, log


def finished(log: list[Any]) -> PlaybackFinished:
    return PlaybackFinished([c for c in log if isinstance(c, Play)][-1].playback_id)


def fired(log: list[Any]) -> Tick:
    return Tick([c for c in log if isinstance(c, StartTimer)][-1].timer_id)


def answered(value: Any):
    return lambda log: LookupResult([c for c in log if isinstance(c, RunLookup)][-1].request_id, value)


def failed(log: list[Any]) -> LookupFailed:
    return LookupFailed([c for c in log if isinstance(c, RunLookup)][-1].request_id, "http_timeout")


def exit_of(log: list[Any]) -> Exit:
    exits = [c for c in log if isinstance(c, Exit)]
    assert len(exits) == 1, exits
    return exits[0]


CASES = [
    ("press 1 after the menu prompt", [finished, finished, Digit("1")], "open", ("queue", "sales", "")),
    ("press 1 during the menu prompt", [finished, Digit("1")], "open", ("queue", "sales", "")),
    ("press 0 for an agent", [finished, Digit("0")], "open", ("queue", "", "zero_to_agent")),
    ("press 9 for voicemail", [finished, finished, Digit("9")], "open", ("voicemail", "sales", "")),
    (
        "no input three times",
        [finished, finished, fired, finished, fired, finished, fired],
        "open",
        ("hangup", "", ""),
    ),
    (
        "invalid digit three times",
        [finished, Digit("7"), Digit("7"), Digit("7")],
        "open",
        ("hangup", "", ""),
    ),
    ("invalid then valid", [finished, Digit("5"), finished, Digit("1")], "open", ("queue", "sales", "")),
    ("closed", [], "closed", ("voicemail", "after-hours", "")),
    ("holiday", [], "holiday", ("hangup", "", "")),
    (
        "account, pin, rich balance",
        [
            finished,
            Digit("2"),
            *[Digit(d) for d in "12345#"],
            Digit("9"),
            *[Digit(d) for d in "876"],
            Digit("5"),
            answered(True),
            answered(2500),
        ],
        "open",
        ("queue", "vip", ""),
    ),
    (
        "account, pin, poor balance",
        [
            finished,
            Digit("2"),
            *[Digit(d) for d in "1234#"],
            *[Digit(d) for d in "0000"],
            answered(True),
            answered("12.5"),
        ],
        "open",
        ("queue", "support", ""),
    ),
    (
        "account, pin, balance lookup fails",
        [
            finished,
            Digit("2"),
            *[Digit(d) for d in "1234#"],
            *[Digit(d) for d in "0000"],
            answered(True),
            failed,
        ],
        "open",
        ("queue", "support", ""),
    ),
    (
        "account, pin, balance lookup never answers",
        [
            finished,
            Digit("2"),
            *[Digit(d) for d in "1234#"],
            *[Digit(d) for d in "0000"],
            answered(True),
            fired,
        ],
        "open",
        ("queue", "support", ""),
    ),
    (
        "wrong pin twice",
        [
            finished,
            Digit("2"),
            *[Digit(d) for d in "1234#"],
            *[Digit(d) for d in "0000"],
            answered(False),
            *[Digit(d) for d in "1111"],
            answered(False),
        ],
        "open",
        ("hangup", "", ""),
    ),
    (
        "account too short, then timeout after enough digits",
        [
            finished,
            Digit("2"),
            Digit("1"),
            Digit("#"),
            finished,
            *[Digit(d) for d in "5555"],
            fired,
            *[Digit(d) for d in "1234"],
            answered(True),
            answered(0),
        ],
        "open",
        ("queue", "support", ""),
    ),
    ("hang up in the menu", [finished, Hangup()], "open", ("abandoned", "", "caller_hangup")),
]


@pytest.mark.parametrize(("name", "steps", "hours", "expected"), CASES, ids=[c[0] for c in CASES])
def test_it_runs_the_main_flow(name: str, steps: list[Any], hours: str, expected: tuple) -> None:
    state, log = run(MAIN, steps, hours)
    exit_ = exit_of(log)
    assert (exit_.kind, exit_.target, exit_.reason) == expected
    assert state.phase == "done"
    assert state.exit == exit_


def test_it_records_path_digits_and_masks_the_pin() -> None:
    steps = [
        finished,
        Digit("2"),
        *[Digit(d) for d in "4321#"],
        *[Digit(d) for d in "9999"],
        answered(True),
        answered(5000),
    ]
    state, log = run(MAIN, steps)
    assert state.path == ("hours", "welcome", "menu", "account", "pin", "balance", "rich", "vip", "vipq")
    assert state.digits == {"menu": "2", "account": "4321", "pin": "****"}
    assert state.variables["tier"] == "gold-4321"
    assert SetVariable("account", "4321") in log
    lookups = [c for c in log if isinstance(c, RunLookup)]
    assert [(c.hook, dict(c.params)) for c in lookups] == [
        ("verify_pin", {"pin": "9999"}),
        ("balance", {"account": "4321"}),
    ]
    assert exit_of(log).priority is None


def test_it_interrupts_the_prompt_on_a_digit_and_cancels_the_timer() -> None:
    state, log = run(MAIN, [finished, finished, fired])  # menu prompt replayed after a timeout
    playing = [c for c in log if isinstance(c, Play)][-1]
    state, commands = handle(state, Digit("1"), now=0.0)
    assert commands[0] == StopPlayback(playing.playback_id)
    assert isinstance(commands[-1], Exit)


def test_it_plays_the_invalid_prompt_before_the_menu_again() -> None:
    _, log = run(MAIN, [finished, finished, Digit("5")])
    replay = [c for c in log if isinstance(c, Play)][-1]
    assert [p.sound or p.text for p in replay.prompts] == [
        "option-is-invalid",
        "Press 1 for sales, 2 for your balance",
    ]
    assert replay.prompts[1].lang == "en"


def test_it_ignores_stale_playbacks_timers_and_lookups() -> None:
    state, log = run(MAIN, [finished])
    first_menu_play = [c for c in log if isinstance(c, Play)][-1]
    state, _ = handle(state, Digit("5"), now=0.0)  # invalid: replays
    for stale in (PlaybackFinished(first_menu_play.playback_id), Tick("t999"), LookupResult("l1", 1)):
        after, commands = handle(state, stale, now=0.0)
        assert (after, commands) == (state, [])


def test_it_ignores_events_before_start_and_after_exit() -> None:
    fresh = new_state(MAIN)
    assert handle(fresh, Digit("1"), now=0.0) == (fresh, [])
    state, _ = run(MAIN, [], "closed")
    assert handle(state, Digit("1"), now=0.0) == (state, [])
    assert handle(state, Hangup(), now=0.0) == (state, [])


def test_it_sets_language_and_exits_to_another_flow() -> None:
    state, log = run(LANG, [])
    assert SetLanguage("en") in log
    assert exit_of(log) == Exit(kind="flow", target="other", node="jump")
    assert state.language == "en"


def test_it_fails_over_when_a_flow_spins_without_input() -> None:
    assert validate_flow(SPIN) == []
    _, log = run(SPIN, [])
    assert (exit_of(log).kind, exit_of(log).reason) == ("failover", "too_many_hops")


def test_it_fails_over_when_the_node_was_edited_away() -> None:
    flow = {"start": "gone", "nodes": {"x": {"type": "hangup"}}}
    _, log = run(flow, [])
    assert (exit_of(log).kind, exit_of(log).reason) == ("failover", "missing_node")


def test_it_fails_over_on_a_broken_node_value() -> None:
    flow = {
        "start": "m",
        "nodes": {"m": {"type": "play", "prompt": None, "next": "x"}, "x": {"type": "hangup"}},
    }
    _, log = run(flow, [])
    assert exit_of(log).kind == "failover"
    assert exit_of(log).reason.startswith("error:")


def test_it_cancels_the_lookup_timer_when_the_answer_comes() -> None:
    steps = [finished, Digit("2"), *[Digit(d) for d in "1234#"], *[Digit(d) for d in "0000"]]
    state, log = run(MAIN, steps)
    timer = [c for c in log if isinstance(c, StartTimer)][-1]
    _, commands = handle(state, answered(True)(log), now=0.0)
    assert CancelTimer(timer.timer_id) in commands


def test_entering_an_input_node_gives_a_checkpoint_with_the_path_before_it() -> None:
    _, log = run(MAIN, [finished, finished, Digit("2")])
    checkpoints = [c for c in log if isinstance(c, Checkpoint)]
    assert [c.node for c in checkpoints] == ["menu", "account"]
    last = checkpoints[-1]
    assert (last.path, dict(last.digits), last.language) == (
        ("hours", "welcome", "menu"),
        {"menu": "2"},
        "zh",
    )
    # a retry of the same node plays again but is no new checkpoint
    _, retried = run(MAIN, [finished, finished, fired])
    assert len([c for c in retried if isinstance(c, Checkpoint)]) == 1


def test_resuming_at_a_checkpoint_replays_its_prompt_and_goes_on_with_its_variables() -> None:
    _, log = run(MAIN, [finished, finished, Digit("2")])
    checkpoint = [c for c in log if isinstance(c, Checkpoint)][-1]
    resumed = Resumed(
        node=checkpoint.node,
        variables=checkpoint.variables,
        language=checkpoint.language,
        path=checkpoint.path,
        digits=checkpoint.digits,
    )
    state, commands = handle(new_state(MAIN), resumed, now=0.0)
    (play,) = [c for c in commands if isinstance(c, Play)]
    assert play.prompts[0].sound == "enter-account"
    assert state.path == ("hours", "welcome", "menu", "account")
    for digit in "1234#":
        state, commands = handle(state, Digit(digit), now=0.0)
    assert state.variables["account"] == "1234" and state.digits == {"menu": "2", "account": "1234"}


def test_resuming_at_a_node_the_flow_no_longer_has_fails_over() -> None:
    state, commands = handle(new_state(MAIN), Resumed(node="gone"), now=0.0)
    assert (state.phase, exit_of(commands).reason) == ("done", "missing_node")
