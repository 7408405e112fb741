"""Click-to-call from the agent's screen: agent first, then the customer; destination rules."""

from __future__ import annotations

import pytest

from ccapp import realtime
from ccapp.models import AgentState, Call, CallDirection, CallOutcome
from tests.services.factories import make_agent
from tests.stasis.conftest import AsyncListener, sync, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMER = "+8613900139000"


async def dial(agent_id: int, number: str) -> None:
    await realtime.send_stasis_command(
        realtime.StasisCommand(command="dial", call_id=None, agent_id=agent_id, args={"number": number})
    )


async def test_given_a_paused_agent_when_clicking_to_call_then_the_agent_rings_first_then_the_customer(
    sim, worker
) -> None:
    agent = await sync(lambda: make_agent(state=AgentState.PAUSED))()
    sim.agent(f"PJSIP/{CUSTOMER}@carrier").answer_after(1.0)
    await dial(agent.pk, "139 0013 9000")
    row = await wait_until(lambda: Call.objects.filter(dnis=CUSTOMER, answered_at__isnull=False).first())
    assert (row.direction, row.agent_id) == (CallDirection.OUTBOUND, agent.pk)
    originated = [
        r.query.get("endpoint")
        for r in sim.requests
        if r.method == "POST" and r.path.startswith("/channels/")
    ]
    assert originated[:2] == [agent.endpoint, f"PJSIP/{CUSTOMER}@carrier"]  # agent first
    await sim.hangup(sim.channel_of(f"PJSIP/{CUSTOMER}@carrier").id)
    row = await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).first())
    assert row.outcome == CallOutcome.ANSWERED


async def test_given_an_agent_without_the_right_when_dialing_abroad_then_the_call_is_refused(
    sim, worker
) -> None:
    agent = await sync(make_agent)()
    listener = await AsyncListener().join(realtime.agent_group(agent.pk))
    await dial(agent.pk, "+1 212 555 0100")
    refused = await listener.until("command_failed")
    assert (refused["command"], refused["error_id"]) == ("dial", "international_not_allowed")
    assert not [r for r in sim.requests if r.method == "POST" and r.path.startswith("/channels/")]
    assert await sync(lambda: Call.objects.count())() == 0
