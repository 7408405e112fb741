"""Parsing of every event type in events.json, unknown types, malformed input, lanes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ccapp.ari
from ccapp.ari import events
from ccapp.ari.event_models import EVENT_TYPES
from tests.ari.schema import EVENT_TYPES as SCHEMA_EVENT_TYPES
from tests.ari.schema import sample


def test_it_has_a_model_for_every_event_type_in_events_json():
    assert set(SCHEMA_EVENT_TYPES) <= set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", SCHEMA_EVENT_TYPES)
def test_it_parses_a_full_sample_of_each_event_type(event_type):
    raw = sample(event_type)
    event = events.parse_event(json.dumps(raw))
    assert type(event).__name__ == event_type
    assert event.model_dump(by_alias=True, exclude_none=True) == raw


@pytest.mark.parametrize("event_type", SCHEMA_EVENT_TYPES)
def test_it_parses_a_sample_with_only_required_fields(event_type):
    event = events.parse_event(sample(event_type, required_only=True))
    assert type(event).__name__ == event_type


@pytest.mark.parametrize(
    "event_type",
    [
        t
        for t in SCHEMA_EVENT_TYPES
        if sample(t, required_only=True).keys() - {"type", "application", "timestamp", "asterisk_id"}
    ],
)
def test_it_skips_an_event_missing_a_required_field(event_type, caplog):
    raw = sample(event_type, required_only=True)
    field = sorted(raw.keys() - {"type", "application", "timestamp", "asterisk_id"})[0]
    del raw[field]
    with caplog.at_level(logging.WARNING):
        assert events.parse_event(raw) is None
    assert event_type in caplog.text


def test_it_keeps_unknown_fields():
    raw = sample("StasisStart") | {"new_in_asterisk_23": {"x": 1}}
    raw["channel"]["brand_new"] = "kept"
    event = events.parse_event(raw)
    assert event.new_in_asterisk_23 == {"x": 1}
    assert event.channel.model_extra == {"brand_new": "kept"}


def test_it_passes_unknown_event_types_through_as_generic_events():
    event = events.parse_event({"type": "ChannelTeleported", "application": "ccapp", "to": "mars"})
    assert isinstance(event, events.GenericEvent)
    assert event.type == "ChannelTeleported"
    assert event.model_extra == {"to": "mars"}


@pytest.mark.parametrize("raw", ["not json", b"\xff\xfe", "[1, 2]", '{"no_type": 1}', '{"type": 5}', "null"])
def test_it_logs_and_skips_malformed_input(raw, caplog):
    with caplog.at_level(logging.WARNING):
        assert events.parse_event(raw) is None
    assert "skipped" in caplog.text


def test_it_parses_the_events_observed_on_asterisk_22():
    samples = json.loads((Path(ccapp.ari.__file__).with_name("observed_events.json")).read_text())
    for event_type, raw in samples.items():
        assert type(events.parse_event(raw)).__name__ == event_type


@pytest.mark.parametrize(
    ("event_type", "field", "value", "lane"),
    [
        ("StasisStart", "channel", {"id": "c1"}, "c1"),
        ("Dial", "peer", {"id": "agent-leg"}, "agent-leg"),
        ("PlaybackFinished", "playback", {"target_uri": "channel:c2"}, "c2"),
        ("PlaybackFinished", "playback", {"target_uri": "bridge:b1"}, None),
        ("RecordingFinished", "recording", {"target_uri": "channel:c3"}, "c3"),
        ("BridgeDestroyed", "bridge", {}, None),
    ],
)
def test_lane_of_puts_an_event_on_its_channels_lane(event_type, field, value, lane):
    raw = sample(event_type)
    raw[field] |= value
    if event_type == "Dial":
        raw.pop("caller")
    assert events.lane_of(events.parse_event(raw)) == lane


def test_the_generated_models_are_current(tmp_path):
    from ccapp.ari import codegen

    codegen.main(out_dir=tmp_path)
    for name in ("models.py", "event_models.py"):
        committed = (Path(codegen.__file__).parent / name).read_text()
        assert (tmp_path / name).read_text() == committed, f"run `python -m ccapp.ari.codegen` ({name})"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    event_type=st.sampled_from([*SCHEMA_EVENT_TYPES, "Unknown"]),
    fields=st.dictionaries(
        st.sampled_from(["channel", "args", "playback", "bridge", "cause", "x"]), json_values
    ),
)
def test_parse_event_never_raises_whatever_asterisk_sends(event_type, fields):
    event = events.parse_event(json.dumps({"type": event_type, **fields}))
    if event is not None:
        assert event.type == event_type
        events.lane_of(event)  # nor does choosing its lane
