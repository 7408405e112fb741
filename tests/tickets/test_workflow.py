"""The status workflow table, checked without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tickets import workflow as w

NOW = datetime(2026, 10, 5, 2, tzinfo=UTC)

LEGAL = [
    (w.NEW, w.OPEN),
    (w.NEW, w.CLOSED),
    (w.OPEN, w.PENDING_CUSTOMER),
    (w.OPEN, w.PENDING_THIRD_PARTY),
    (w.OPEN, w.RESOLVED),
    (w.PENDING_CUSTOMER, w.OPEN),
    (w.PENDING_CUSTOMER, w.RESOLVED),
    (w.PENDING_THIRD_PARTY, w.PENDING_CUSTOMER),
    (w.RESOLVED, w.CLOSED),
    (w.RESOLVED, w.OPEN),
    (w.CLOSED, w.OPEN),
]
ILLEGAL = [
    (w.CLOSED, w.PENDING_CUSTOMER, "not_allowed"),
    (w.CLOSED, w.RESOLVED, "not_allowed"),
    (w.RESOLVED, w.PENDING_CUSTOMER, "not_allowed"),
    (w.OPEN, w.NEW, "not_allowed"),
    (w.OPEN, w.OPEN, "same_status"),
    (w.OPEN, "archived", "unknown_status"),
]


@pytest.mark.parametrize(("source", "target"), LEGAL)
def test_legal_transitions_pass(source: str, target: str) -> None:
    w.check_transition(source, target, resolved_at=NOW - timedelta(days=1), now=NOW, reopen_days=7)


@pytest.mark.parametrize(("source", "target", "reason"), ILLEGAL)
def test_illegal_transitions_are_refused_with_a_reason(source: str, target: str, reason: str) -> None:
    with pytest.raises(w.IllegalTransition) as info:
        w.check_transition(source, target, resolved_at=None, now=NOW, reopen_days=7)
    assert info.value.reason == reason


@pytest.mark.parametrize(("resolved_days_ago", "allowed"), [(0, True), (7, True), (7.01, False), (30, False)])
@pytest.mark.parametrize("source", [w.RESOLVED, w.CLOSED])
def test_reopen_only_within_the_window(source: str, resolved_days_ago: float, allowed: bool) -> None:
    resolved_at = NOW - timedelta(days=resolved_days_ago)
    if allowed:
        w.check_transition(source, w.OPEN, resolved_at=resolved_at, now=NOW, reopen_days=7)
    else:
        with pytest.raises(w.IllegalTransition, match="reopen_window_passed"):
            w.check_transition(source, w.OPEN, resolved_at=resolved_at, now=NOW, reopen_days=7)


def test_every_status_has_a_row_and_only_pending_customer_pauses() -> None:
    assert set(w.TRANSITIONS) == set(w.STATUSES)
    assert all(targets <= set(w.STATUSES) for targets in w.TRANSITIONS.values())
    assert [s for s in w.STATUSES if w.is_paused(s)] == [w.PENDING_CUSTOMER]


def test_the_workflow_is_pure() -> None:
    import ast
    from pathlib import Path

    tree = ast.parse(Path(w.__file__).read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert modules <= {"__future__", "datetime"}
