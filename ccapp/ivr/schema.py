"""The IVR flow format and its validation.

A flow is JSON: ``{"start": "<node id>", "nodes": {"<id>": {"type": "<type>", ...}}}``.
Each node type declares its parameters; a parameter of kind ``edge`` names another node,
``edges`` maps keys (menu digits, branch names) to nodes. Terminal node types end the flow.
Validation is pure so the editor, the model and the interpreter share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Parameter kinds.
EDGE = "edge"  # a node id
EDGES = "edges"  # {key: node id}
BRANCHES = "branches"  # [{"when": {...}, "goto": node id}]
PROMPT = "prompt"  # {"sound": "..."} | {"text": "...", "lang": "zh|en"} | {"recording": "..."}
TEXT = "text"
INT = "int"
BOOL = "bool"
DICT = "dict"
LIST = "list"


@dataclass(frozen=True)
class Param:
    kind: str
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()


NODE_TYPES: dict[str, dict[str, Param]] = {
    "play": {"prompt": Param(PROMPT, required=True), "next": Param(EDGE, required=True)},
    "menu": {
        "prompt": Param(PROMPT, required=True),
        "options": Param(EDGES, required=True),
        "timeout": Param(INT, minimum=1, maximum=60),
        "retries": Param(INT, minimum=0, maximum=10),
        "invalid_prompt": Param(PROMPT),
        "on_fail": Param(EDGE, required=True),
        "zero_to_agent": Param(BOOL),
    },
    "collect": {
        "prompt": Param(PROMPT, required=True),
        "variable": Param(TEXT, required=True),
        "min_digits": Param(INT, minimum=1, maximum=32),
        "max_digits": Param(INT, minimum=1, maximum=32),
        "terminator": Param(TEXT, choices=("#", "*", "")),
        "timeout": Param(INT, minimum=1, maximum=60),
        "retries": Param(INT, minimum=0, maximum=10),
        "next": Param(EDGE, required=True),
        "on_fail": Param(EDGE, required=True),
    },
    "condition": {"branches": Param(BRANCHES, required=True), "default": Param(EDGE, required=True)},
    "lookup": {
        "hook": Param(TEXT),
        "url": Param(TEXT),
        "timeout": Param(INT, minimum=1, maximum=30),
        "params": Param(DICT),
        "result_variable": Param(TEXT, required=True),
        "next": Param(EDGE, required=True),
        "on_error": Param(EDGE, required=True),
    },
    "pin": {
        "prompt": Param(PROMPT, required=True),
        "hook": Param(TEXT, required=True),
        "max_digits": Param(INT, minimum=1, maximum=16),
        "retries": Param(INT, minimum=0, maximum=10),
        "next": Param(EDGE, required=True),
        "on_fail": Param(EDGE, required=True),
    },
    "set_variable": {
        "variable": Param(TEXT, required=True),
        "value": Param(TEXT, required=True),
        "next": Param(EDGE, required=True),
    },
    "set_language": {
        "language": Param(TEXT, required=True, choices=("zh", "en")),
        "next": Param(EDGE, required=True),
    },
    "hours": {
        "calendar": Param(TEXT),
        "open": Param(EDGE, required=True),
        "closed": Param(EDGE, required=True),
        "holiday": Param(EDGE),
    },
    # Terminal nodes: where the caller leaves the flow.
    "queue": {"queue": Param(TEXT, required=True), "priority": Param(INT, minimum=0, maximum=100)},
    "voicemail": {"mailbox": Param(TEXT, required=True)},
    "agent": {"agent": Param(TEXT, required=True)},
    "external": {"number": Param(TEXT, required=True)},
    "flow": {"flow": Param(TEXT, required=True)},
    "hangup": {"prompt": Param(PROMPT)},
}
TERMINAL_TYPES = frozenset({"queue", "voicemail", "agent", "external", "flow", "hangup"})
PROMPT_KEYS = frozenset({"sound", "text", "recording"})
CONDITION_OPERATORS = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "in", "empty", "not_empty"})


@dataclass(frozen=True)
class FlowError:
    """One problem found in a flow, pointing at the node and parameter."""

    node: str
    param: str
    message: str

    def __str__(self) -> str:
        where = f"{self.node}.{self.param}" if self.param else self.node
        return f"{where}: {self.message}" if where else self.message


def edges_of(node: Mapping[str, Any]) -> list[str]:
    """Every node id a node can lead to."""
    spec = NODE_TYPES.get(node.get("type", ""), {})
    targets: list[str] = []
    for name, param in spec.items():
        value = node.get(name)
        if value is None:
            continue
        if param.kind == EDGE and isinstance(value, str):
            targets.append(value)
        elif param.kind == EDGES and isinstance(value, Mapping):
            targets.extend(v for v in value.values() if isinstance(v, str))
        elif param.kind == BRANCHES and isinstance(value, list):
            targets.extend(
                b["goto"] for b in value if isinstance(b, Mapping) and isinstance(b.get("goto"), str)
            )
    return targets


def validate_flow(flow: Any) -> list[FlowError]:
    """Return every problem of a flow graph; an empty list means the flow is valid."""
    if not isinstance(flow, Mapping):
        return [FlowError("", "", "a flow must be an object with 'start' and 'nodes'")]
    nodes = flow.get("nodes")
    if not isinstance(nodes, Mapping) or not nodes:
        return [FlowError("", "nodes", "a flow needs at least one node")]
    errors: list[FlowError] = []
    start = flow.get("start")
    if start not in nodes:
        errors.append(FlowError("", "start", f"start node {start!r} does not exist"))
    for node_id, node in nodes.items():
        errors.extend(_validate_node(str(node_id), node, nodes))
    if not errors:
        errors.extend(_loops_without_exit(nodes))
    return errors


def _validate_node(node_id: str, node: Any, nodes: Mapping[str, Any]) -> list[FlowError]:
    if not isinstance(node, Mapping):
        return [FlowError(node_id, "", "a node must be an object")]
    node_type = node.get("type")
    spec = NODE_TYPES.get(node_type)  # type: ignore[arg-type]
    if spec is None:
        return [FlowError(node_id, "type", f"unknown node type {node_type!r}")]
    errors = [
        FlowError(node_id, key, "unknown parameter") for key in node if key != "type" and key not in spec
    ]
    for name, param in spec.items():
        if name not in node or node[name] is None:
            if param.required:
                errors.append(FlowError(node_id, name, "is required"))
            continue
        message = _check_value(param, node[name], nodes)
        if message:
            errors.append(FlowError(node_id, name, message))
    if node_type == "lookup" and not (node.get("hook") or node.get("url")):
        errors.append(FlowError(node_id, "hook", "a lookup needs a hook or a url"))
    if node_type == "collect" and node.get("min_digits", 1) > node.get("max_digits", 32):
        errors.append(FlowError(node_id, "min_digits", "is greater than max_digits"))
    return errors


def _check_value(param: Param, value: Any, nodes: Mapping[str, Any]) -> str:
    kind = param.kind
    if kind == EDGE:
        return "" if isinstance(value, str) and value in nodes else f"points to missing node {value!r}"
    if kind == EDGES:
        if not isinstance(value, Mapping) or not value:
            return "must map keys to nodes"
        bad = [f"{k}->{v}" for k, v in value.items() if not isinstance(v, str) or v not in nodes]
        if any(not (len(str(k)) == 1 and str(k) in "0123456789*#") for k in value):
            return "keys must be single DTMF digits (0-9, *, #)"
        return f"points to missing node(s): {', '.join(bad)}" if bad else ""
    if kind == BRANCHES:
        return _check_branches(value, nodes)
    if kind == PROMPT:
        ok = isinstance(value, Mapping) and len(value.keys() & PROMPT_KEYS) == 1
        ok = ok and all(isinstance(value[k], str) and value[k].strip() for k in value.keys() & PROMPT_KEYS)
        return "" if ok else "must be one of {'sound': ...}, {'text': ..., 'lang': ...}, {'recording': ...}"
    if kind == INT:
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be a whole number"
        if param.minimum is not None and value < param.minimum:
            return f"must be at least {param.minimum}"
        if param.maximum is not None and value > param.maximum:
            return f"must be at most {param.maximum}"
        return ""
    if kind == TEXT:
        if not isinstance(value, str):
            return "must be text"
        return f"must be one of {list(param.choices)}" if param.choices and value not in param.choices else ""
    if kind == BOOL:
        return "" if isinstance(value, bool) else "must be true or false"
    if kind == DICT:
        return "" if isinstance(value, Mapping) else "must be an object"
    return ""


def _check_branches(value: Any, nodes: Mapping[str, Any]) -> str:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of {'when': ..., 'goto': ...}"
    for index, branch in enumerate(value):
        if not isinstance(branch, Mapping) or branch.get("goto") not in nodes:
            return f"branch {index} must have a 'goto' to an existing node"
        when = branch.get("when")
        if not isinstance(when, Mapping) or not isinstance(when.get("variable"), str):
            return f"branch {index} needs 'when' with a 'variable'"
        if when.get("op", "eq") not in CONDITION_OPERATORS:
            return f"branch {index} has unknown operator {when.get('op')!r}"
    return ""


def _loops_without_exit(nodes: Mapping[str, Any]) -> list[FlowError]:
    """Every node must be able to reach a terminal node; otherwise it sits in a loop without an exit."""
    reverse: dict[str, set[str]] = {node_id: set() for node_id in nodes}
    for node_id, node in nodes.items():
        for target in edges_of(node):
            reverse[target].add(node_id)
    can_exit = {node_id for node_id, node in nodes.items() if node["type"] in TERMINAL_TYPES}
    frontier = list(can_exit)
    while frontier:
        for source in reverse[frontier.pop()]:
            if source not in can_exit:
                can_exit.add(source)
                frontier.append(source)
    return [
        FlowError(
            node_id, "", "is in a loop with no exit (no path reaches a queue, voicemail, transfer or hang-up)"
        )
        for node_id in nodes
        if node_id not in can_exit
    ]
