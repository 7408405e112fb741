"""The ticket status workflow: the one table of legal transitions, and the rules around it.

Pure: statuses are plain strings, time is passed in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

NEW = "new"
OPEN = "open"
PENDING_CUSTOMER = "pending_customer"
PENDING_THIRD_PARTY = "pending_third_party"
RESOLVED = "resolved"
CLOSED = "closed"

STATUSES = (NEW, OPEN, PENDING_CUSTOMER, PENDING_THIRD_PARTY, RESOLVED, CLOSED)

TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({OPEN, PENDING_CUSTOMER, PENDING_THIRD_PARTY, RESOLVED, CLOSED}),
    OPEN: frozenset({PENDING_CUSTOMER, PENDING_THIRD_PARTY, RESOLVED, CLOSED}),
    PENDING_CUSTOMER: frozenset({OPEN, PENDING_THIRD_PARTY, RESOLVED, CLOSED}),
    PENDING_THIRD_PARTY: frozenset({OPEN, PENDING_CUSTOMER, RESOLVED, CLOSED}),
    # Reopening (back to open) is only allowed within the reopen window, see check_transition.
    RESOLVED: frozenset({OPEN, CLOSED}),
    CLOSED: frozenset({OPEN}),
}

# The SLA clocks stop while the ticket waits on the customer (the customer owns the delay).
PAUSED = frozenset({PENDING_CUSTOMER})
# Statuses in which the ticket is finished: no SLA clock runs, no escalation.
DONE = frozenset({RESOLVED, CLOSED})


class IllegalTransition(ValueError):
    """A transition the workflow does not allow; `reason` is a stable slug."""

    def __init__(self, source: str, target: str, reason: str) -> None:
        super().__init__(f"{source} -> {target}: {reason}")
        self.source, self.target, self.reason = source, target, reason


def check_transition(
    source: str, target: str, *, resolved_at: datetime | None, now: datetime, reopen_days: int
) -> None:
    """Raise IllegalTransition unless `source -> target` is allowed at `now`."""
    if source not in TRANSITIONS or target not in TRANSITIONS:
        raise IllegalTransition(source, target, "unknown_status")
    if target == source:
        raise IllegalTransition(source, target, "same_status")
    if target not in TRANSITIONS[source]:
        raise IllegalTransition(source, target, "not_allowed")
    if source in DONE and target == OPEN and not can_reopen(resolved_at, now=now, reopen_days=reopen_days):
        raise IllegalTransition(source, target, "reopen_window_passed")


def can_reopen(resolved_at: datetime | None, *, now: datetime, reopen_days: int) -> bool:
    """Whether a finished ticket resolved at `resolved_at` may still be reopened."""
    return resolved_at is None or now - resolved_at <= timedelta(days=reopen_days)


def allowed_targets(source: str) -> frozenset[str]:
    """Statuses reachable from `source` (before the reopen-window check)."""
    return TRANSITIONS.get(source, frozenset())


def is_paused(status: str) -> bool:
    """Whether the SLA clocks are stopped in this status."""
    return status in PAUSED
