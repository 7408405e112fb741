"""Hypothesis: any sequence of events ends in exactly one exit or keeps the engine waiting."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ccapp.ivr.engine import handle, new_state
from ccapp.ivr.messages import (
    Digit,
    Exit,
    Hangup,
    LookupFailed,
    LookupResult,
    Play,
    PlaybackFinished,
    RunLookup,
    Started,
    StartTimer,
    Tick,
)
from tests.ivr.flows import LANG, MAIN, SPIN

# Abstract events: the concrete ids are taken from the commands so far, so most events are
# current (and some deliberately stale: "old" picks the first id instead of the last).
ABSTRACT = st.one_of(
    st.tuples(st.just("digit"), st.sampled_from(list("0123456789*#A")) | st.text(max_size=2)),
    st.tuples(st.just("finished"), st.sampled_from(["last", "old"])),
    st.tuples(st.just("tick"), st.sampled_from(["last", "old"])),
    st.tuples(st.just("lookup"), st.one_of(st.booleans(), st.integers(), st.none(), st.text(max_size=3))),
    st.tuples(st.just("lookup_failed"), st.just("")),
    st.tuples(st.just("hangup"), st.just("")),
    st.tuples(st.just("started"), st.sampled_from(["open", "closed", "holiday", "weird"])),
)


def concrete(kind: str, arg, log: list):
    def pick(cls, attr):
        ids = [getattr(c, attr) for c in log if isinstance(c, cls)]
        if not ids:
            return "none"
        return ids[0] if arg == "old" else ids[-1]

    if kind == "digit":
        return Digit(arg)
    if kind == "finished":
        return PlaybackFinished(pick(Play, "playback_id"))
    if kind == "tick":
        return Tick(pick(StartTimer, "timer_id"))
    if kind == "lookup":
        return LookupResult(pick(RunLookup, "request_id"), arg)
    if kind == "lookup_failed":
        return LookupFailed(pick(RunLookup, "request_id"))
    if kind == "hangup":
        return Hangup()
    return Started(hours={"": arg})


@settings(max_examples=400, deadline=None)
@given(
    flow=st.sampled_from([MAIN, LANG, SPIN]),
    hours=st.sampled_from(["open", "closed", "holiday"]),
    events=st.lists(ABSTRACT, max_size=40),
)
def test_it_never_crashes_and_exits_at_most_once(flow, hours, events) -> None:
    state, log = handle(new_state(flow), Started(hours={"": hours}), now=0.0)
    log = list(log)
    for kind, arg in events:
        state, commands = handle(state, concrete(kind, arg, log), now=1.0)
        log.extend(commands)
        exits = [c for c in log if isinstance(c, Exit)]
        assert len(exits) <= 1
        if exits:
            assert state.phase == "done" and state.exit == exits[0]
        else:
            # Still in the flow: it must be waiting on something it asked for.
            assert state.phase in ("playing", "waiting", "lookup")
            assert state.playback_id or state.timer_id or state.request_id
    assert state.path[0] == flow["start"]
