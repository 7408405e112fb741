"""IVR flows are validated: known node types and parameters, no dangling edge, no loop without an exit."""

from __future__ import annotations

import pytest

from ccapp.demo import CLOSED_IVR, MAIN_IVR
from ccapp.ivr.schema import validate_flow

PLAY = {"text": "hi", "lang": "en"}


def flow(**nodes):
    return {"start": next(iter(nodes)), "nodes": nodes}


@pytest.mark.parametrize("graph", [MAIN_IVR, CLOSED_IVR])
def test_it_accepts_the_demo_flows(graph):
    assert validate_flow(graph) == []


# (flow, node, param, message fragment)
BAD = [
    (flow(a={"type": "play", "prompt": PLAY, "next": "nowhere"}), "a", "next", "missing node"),
    (flow(a={"type": "dance"}), "a", "type", "unknown node type"),
    (flow(a={"type": "hangup", "colour": "red"}), "a", "colour", "unknown parameter"),
    (flow(a={"type": "queue"}), "a", "queue", "required"),
    (flow(a={"type": "menu", "prompt": PLAY, "options": {"12": "b"}, "on_fail": "b"}, b={"type": "hangup"}),
     "a", "options", "single DTMF"),
    (flow(a={"type": "menu", "prompt": PLAY, "options": {"1": "b"}, "on_fail": "b", "timeout": 0},
          b={"type": "hangup"}), "a", "timeout", "at least 1"),
    (flow(a={"type": "play", "prompt": {"text": ""}, "next": "b"}, b={"type": "hangup"}),
     "a", "prompt", "one of"),
    (flow(a={"type": "lookup", "result_variable": "r", "next": "b", "on_error": "b"}, b={"type": "hangup"}),
     "a", "hook", "hook or a url"),
    (flow(a={"type": "condition", "branches": [{"when": {"variable": "x", "op": "like"}, "goto": "b"}],
             "default": "b"}, b={"type": "hangup"}), "a", "branches", "unknown operator"),
    (flow(a={"type": "set_language", "language": "fr", "next": "b"}, b={"type": "hangup"}),
     "a", "language", "one of"),
]  # fmt: skip


@pytest.mark.parametrize(("graph", "node", "param", "fragment"), BAD)
def test_it_names_the_node_and_parameter_of_each_error(graph, node, param, fragment):
    errors = validate_flow(graph)
    assert any(e.node == node and e.param == param and fragment in e.message for e in errors), errors


def test_it_finds_a_loop_without_exit():
    graph = flow(
        a={"type": "play", "prompt": PLAY, "next": "b"},
        b={"type": "play", "prompt": PLAY, "next": "a"},
    )
    errors = validate_flow(graph)
    assert {e.node for e in errors} == {"a", "b"}
    assert all("loop" in e.message for e in errors)


def test_it_accepts_a_loop_with_an_exit():
    graph = flow(
        menu={"type": "menu", "prompt": PLAY, "options": {"1": "again", "2": "out"}, "on_fail": "out"},
        again={"type": "play", "prompt": PLAY, "next": "menu"},
        out={"type": "hangup"},
    )
    assert validate_flow(graph) == []


@pytest.mark.parametrize(
    "graph", [None, [], {"nodes": {}}, {"start": "x", "nodes": {"a": {"type": "hangup"}}}]
)
def test_it_rejects_malformed_flows(graph):
    assert validate_flow(graph)
