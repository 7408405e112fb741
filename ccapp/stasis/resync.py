"""Restart safety: after (re)connecting, reconcile the database with what Asterisk holds."""

from __future__ import annotations

import logging
from typing import Any

from ccapp import selectors, services
from ccapp.models import AgentState, Call, CallDirection, Recording
from ccapp.stasis import db
from ccapp.stasis.session import CallSession

log = logging.getLogger(__name__)


def _open_calls(node: str) -> list[Call]:
    return list(Call.objects.filter(stasis_node=node, ended_at__isnull=True).select_related("queue"))


def _live_recording(call_id: int) -> str:
    """The name of the call's recording still running (the bridge kept recording through the restart)."""
    name = Recording.objects.filter(call_id=call_id, ended_at__isnull=True).values_list("name", flat=True)
    return name.first() or ""


class ResyncMixin:
    async def on_Resync(self, event: Any) -> None:
        """Bridged calls keep talking, queued callers keep their place, ended calls are closed."""
        channels = {channel.id: channel for channel in event.channels}
        bridges = {c: b.id for b in event.bridges for c in b.channels}
        for call in await db.run(_open_calls, self.node):
            if call.channel_id in self.sessions:
                continue
            if call.channel_id not in channels:
                await db.run(services.finish_call, call_id=call.pk)
                continue
            try:
                if call.direction == CallDirection.CALLBACK:
                    await self.adopt_callback(call, channels, bridges)
                    continue
                await self._adopt(call, channels, bridges)
            except Exception:
                log.exception("could not adopt call %s after a resync", call.pk)
        for channel_id in channels:
            if channel_id.startswith("agent-") and channel_id not in self.legs:
                await self.quietly(self.ari.hangup(channel_id))  # a ring whose caller we lost
        for agent_id in await db.run(selectors.busy_agents_of_ended_calls):
            await db.run(services.set_agent_state, agent_id=agent_id, state=AgentState.READY, reason="resync")
        await self.dispatch_all()

    async def _adopt(self, call: Call, channels: dict[str, Any], bridges: dict[str, str]) -> None:
        session = CallSession(channel_id=call.channel_id, call_id=call.pk, caller=call.caller)
        session.priority, session.queued_at, session.language = call.priority, call.queued_at, call.language
        session.vip = call.vip
        session.route = await db.run(db.route_info, call.route_id)
        self.sessions[call.channel_id] = session
        if call.queue_id:
            session.queue = await db.run(db.queue_info, queue_id=call.queue_id)
        prefix = f"agent-{call.pk}-"
        leg = next((c for c in channels if c.startswith(prefix) and c in bridges), "")
        async with session.lock:
            if call.answered_at and leg:
                session.phase, session.agent_leg, session.agent_id = "connected", leg, call.agent_id
                session.bridge_id = bridges.get(call.channel_id, "")
                session.recording = await db.run(_live_recording, call.pk)
                self.legs[leg] = session
                await self.event(session, "resynced", phase="connected")
            elif call.queued_at and session.queue and not call.answered_at:
                session.phase = "queue"
                await self._hold(session, session.queue)
                self._queue_timers(session, session.queue)
                self.join_waitlist(session)
                await self.event(session, "resynced", phase="queue")
            else:
                await self.event(session, "resynced", phase="lost_ivr")
                await self.failover(session, "resync_ivr")
