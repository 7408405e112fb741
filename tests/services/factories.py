"""Named objects for the telephony tests: a queue with agents, a route, a flow."""

from __future__ import annotations

import itertools
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model

from ccapp.models import Agent, AgentState, InboundRoute, IVRFlow, Queue, QueueMember

_seq = itertools.count(1)


def make_queue(code: str = "support", **fields: Any) -> Queue:
    fields.setdefault("wrapup_seconds", 10)
    return Queue.objects.create(name=code.title(), code=code, **fields)


def make_agent(queue: Queue | None = None, *, state: str = AgentState.READY, penalty: int = 0) -> Agent:
    n = next(_seq)
    user = get_user_model().objects.create_user(username=f"agent{n}", email=f"agent{n}@example.com")
    agent = Agent.objects.create(
        user=user, extension=f"{1000 + n}", endpoint=f"PJSIP/{1000 + n}", state=state
    )
    if queue is not None:
        QueueMember.objects.create(queue=queue, agent=agent, penalty=penalty)
    return agent


def make_route(
    dnis: str, *, queue: Queue | None = None, flow: dict | None = None, **fields: Any
) -> InboundRoute:
    ivr = IVRFlow.objects.create(name=f"flow {dnis}", code=f"flow{dnis}", graph=flow) if flow else None
    return InboundRoute.objects.create(dnis=dnis, name=f"route {dnis}", queue=queue, flow=ivr, **fields)


class Listener:
    """A channel-layer member of some groups, to assert on what `ccapp.realtime` published."""

    def __init__(self, *groups: str) -> None:
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        for group in groups:
            async_to_sync(self.layer.group_add)(group, self.channel)

    def events(self, limit: int = 50) -> list[dict]:
        received = []
        for _ in range(limit):
            message = async_to_sync(self._receive)()
            if message is None:
                break
            received.append(message)
        return received

    async def _receive(self) -> dict | None:
        import asyncio

        try:
            return await asyncio.wait_for(self.layer.receive(self.channel), 0.3)
        except TimeoutError:
            return None
