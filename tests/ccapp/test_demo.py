"""`manage.py seed_demo` loads the whole demo call center, and loading it again changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from ccapp import models as m

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    from crm.models import Article, Customer
    from tickets.models import Ticket

    return {
        "agents": m.Agent.objects.count(),
        "queues": m.Queue.objects.count(),
        "routes": m.InboundRoute.objects.count(),
        "flows": m.IVRFlow.objects.count(),
        "customers": Customer.objects.count(),
        "articles": Article.objects.count(),
        "tickets": Ticket.objects.count(),
    }


def test_it_seeds_everything_once(capsys):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first["agents"] == 4 and first["queues"] == 3 and first["routes"] == 3
    assert first["customers"] >= 200 and first["articles"] >= 40 and first["tickets"] > 0
    endpoints = sorted(m.Agent.objects.values_list("endpoint", flat=True))
    assert endpoints == [f"PJSIP/100{i}" for i in range(1, 5)]
    assert m.InboundRoute.objects.get(dnis="4000").flow.code == "main"
    assert "ccapp-demo-2026" in capsys.readouterr().out
