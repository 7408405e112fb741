"""Variable conditions and templates used by IVR nodes (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_TEMPLATE = re.compile(r"\{(\w+)\}")


def render(text: str, variables: Mapping[str, Any]) -> str:
    """Replace `{name}` with the variable's value; unknown names become ''."""
    return _TEMPLATE.sub(lambda m: str(variables.get(m.group(1), "")), text)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "empty":
        return left in (None, "", [], {})
    if op == "not_empty":
        return left not in (None, "", [], {})
    if op == "in":
        options = right.split(",") if isinstance(right, str) else list(right or [])
        return str(left) in {str(option).strip() for option in options}
    a, b = _number(left), _number(right)
    if a is None or b is None:
        a, b = str(left if left is not None else ""), str(right if right is not None else "")  # type: ignore[assignment]
    if op == "eq":
        return a == b
    if op == "ne":
        return a != b
    if op == "lt":
        return a < b  # type: ignore[operator]
    if op == "le":
        return a <= b  # type: ignore[operator]
    if op == "gt":
        return a > b  # type: ignore[operator]
    if op == "ge":
        return a >= b  # type: ignore[operator]
    raise ValueError(f"unknown operator {op!r}")


def matches(when: Mapping[str, Any], variables: Mapping[str, Any]) -> bool:
    """Whether a branch's `when` ({variable, op, value}) holds for the variables."""
    return _compare(str(when.get("op", "eq")), variables.get(when["variable"]), when.get("value"))


def select_branch(branches: Sequence[Mapping[str, Any]], default: str, variables: Mapping[str, Any]) -> str:
    """The node id of the first branch whose condition holds, else the default."""
    for branch in branches:
        if matches(branch["when"], variables):
            return str(branch["goto"])
    return default
