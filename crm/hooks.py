"""Providers other apps register so the customer card can show what they own (open tickets).

The tickets app is built separately; the CRM must not import it. In its AppConfig.ready() it calls
`register_open_tickets(fn)` where fn(customer_id) returns a list of dicts (id, title, status, url).
Until something registers, a customer has no open tickets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OpenTicketsProvider = Callable[[int], list[dict[str, Any]]]
_open_tickets: list[OpenTicketsProvider] = []


def register_open_tickets(provider: OpenTicketsProvider) -> None:
    """Add a provider of a customer's open tickets (idempotent)."""
    if provider not in _open_tickets:
        _open_tickets.append(provider)


def unregister_open_tickets(provider: OpenTicketsProvider) -> None:
    """Remove a provider (tests)."""
    if provider in _open_tickets:
        _open_tickets.remove(provider)


def open_tickets_for(customer_id: int) -> list[dict[str, Any]]:
    """Open tickets of a customer from every registered provider."""
    found: list[dict[str, Any]] = []
    for provider in _open_tickets:
        found.extend(provider(customer_id))
    return found
