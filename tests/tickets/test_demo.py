"""The demo seed: tickets in every state, and running it twice changes nothing."""

from __future__ import annotations

import pytest

from tickets import demo
from tickets.models import Category, SLAPolicy, Status, Ticket

pytestmark = pytest.mark.django_db


def test_the_seed_covers_every_state_and_is_idempotent(frozen) -> None:
    assert demo.seed() == {"tickets": len(demo.TICKETS)}
    counts = (Ticket.objects.count(), Category.objects.count(), SLAPolicy.objects.count())
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert Ticket.objects.filter(merged_into__isnull=False).count() == 1
    assert Ticket.objects.exclude(satisfaction_rating=None).exists()
    assert Ticket.objects.exclude(resolution_breached_at=None).exists()  # the old complaint breached
    assert demo.seed() == {"tickets": 0}
    assert (Ticket.objects.count(), Category.objects.count(), SLAPolicy.objects.count()) == counts
