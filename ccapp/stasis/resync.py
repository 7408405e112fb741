"""Restart safety: after (re)connecting, reconcile the database with what Asterisk holds."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import F

from ccapp import selectors, services
from ccapp.ari.errors import AriError
from ccapp.models import Agent, AgentState, Call, CallDirection, Recording
from ccapp.stasis import db
from ccapp.stasis.session import CallSession

log = logging.getLogger(__name__)

# Channel ids of consulted targets and conference guests (ccapp/stasis/consult.py).
PARTY_PREFIXES = ("consult-", "guest-")
PARTY_KINDS = tuple(prefix.rstrip("-") for prefix in PARTY_PREFIXES)


def _open_calls(node: str) -> list[Call]:
    return list(Call.objects.filter(stasis_node=node, ended_at__isnull=True).select_related("queue"))


def _ringing_agents(node: str) -> list[tuple[int, int]]:
    """(call, agent) of agents marked ringing for a call of this worker that is still going on."""
    rows = Agent.objects.filter(
        state=AgentState.RINGING, current_call__stasis_node=node, current_call__ended_at__isnull=True
    )
    return list(rows.values_list("current_call_id", "id"))


def _live_recording(call_id: int) -> str:
    """The name of the call's recording still running (the bridge kept recording through the restart)."""
    name = Recording.objects.filter(call_id=call_id, ended_at__isnull=True).values_list("name", flat=True)
    return name.first() or ""


def _agent_leg(call: Call, channels: dict[str, Any], bridges: dict[str, str]) -> str:
    """The agent's leg of a bridged call: its own offer leg, or the consulted target's after a transfer."""
    own = next((c for c in channels if c.startswith(f"agent-{call.pk}-") and c in bridges), "")
    if own:
        return own
    caller_bridge = bridges.get(call.channel_id)
    consulted = f"{PARTY_PREFIXES[0]}{call.parent_id}-" if call.parent_id else None  # named by the old call
    return next(
        (c for c in channels if consulted and c.startswith(consulted) and bridges.get(c) == caller_bridge), ""
    )


def _parties_of_open_calls(node: str) -> list[int]:
    """Agents consulted about, or guests of, an open call of this node that are not its agent."""
    return list(
        Agent.objects.filter(
            current_call__stasis_node=node,
            current_call__ended_at__isnull=True,
            state__in=(AgentState.RINGING, AgentState.ON_CALL),
            current_call__answered_at__isnull=False,
        )
        .exclude(current_call__agent=F("pk"))
        .values_list("pk", flat=True)
    )


class ResyncMixin:
    async def on_Resync(self, event: Any) -> None:
        """Bridged calls keep talking, queued callers keep their place, ended calls are closed."""
        channels = {channel.id: channel for channel in event.channels}
        bridges = {c: b.id for b in event.bridges for c in b.channels}
        calls = await db.run(_open_calls, self.node)
        for call in calls:
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
        await self._hang_up_lost_legs({call.pk for call in calls}, channels)
        for agent_id in await db.run(_parties_of_open_calls, self.node):
            await db.run(services.set_agent_state, agent_id=agent_id, state=AgentState.READY, reason="resync")
        for agent_id in await db.run(selectors.busy_agents_of_ended_calls):
            await db.run(services.set_agent_state, agent_id=agent_id, state=AgentState.READY, reason="resync")
        await self._cancel_lost_rings()
        await self.dispatch_all()

    async def _hang_up_lost_legs(self, call_ids: set[int], channels: dict[str, Any]) -> None:
        """Agent legs of this worker's calls that no session owns (rings cut by the restart) are hung up.

        A ringing leg has not entered Stasis, so it is not among the app's channels: ask for all of them.
        """
        try:
            everything = [channel.id for channel in await self.ari.list_channels()]
        except AriError:
            everything = list(channels)
        for channel_id in everything:
            kind, _, rest = channel_id.partition("-")
            call_id = rest.split("-", 1)[0]
            # Also a consultation or conference guest the restart cut off (ccapp/stasis/consult.py).
            ours = kind in ("agent", *PARTY_KINDS) and call_id.isdigit() and int(call_id) in call_ids
            if ours and channel_id not in self.legs:
                await self.quietly(self.ari.hangup(channel_id))

    async def _cancel_lost_rings(self) -> None:
        """Agents left ringing for a caller who is still here: the ring was cut by our own restart
        (its leg hung up above), which is not the agent's miss, so they are ready again."""
        live = {(s.call_id, a) for s in list(self.sessions.values()) for a in s.offers.values()}
        for call_id, agent_id in await db.run(_ringing_agents, self.node):
            if (call_id, agent_id) not in live:
                await db.run(services.cancel_offer, call_id=call_id, agent_id=agent_id)

    async def _adopt(self, call: Call, channels: dict[str, Any], bridges: dict[str, str]) -> None:
        session = CallSession(channel_id=call.channel_id, call_id=call.pk, caller=call.caller)
        session.priority, session.queued_at, session.language = call.priority, call.queued_at, call.language
        session.vip = call.vip
        session.route = await db.run(db.route_info, call.route_id)
        self.sessions[call.channel_id] = session
        if call.queue_id:
            session.queue = await db.run(db.queue_info, queue_id=call.queue_id)
        leg = _agent_leg(call, channels, bridges)
        async with session.lock:
            if call.answered_at and leg:
                session.phase, session.agent_leg, session.agent_id = "connected", leg, call.agent_id
                session.bridge_id = bridges.get(call.channel_id, "")
                session.recording = await db.run(_live_recording, call.pk)
                self.legs[leg] = session
                if session.bridge_id and bridges.get(leg) != session.bridge_id:
                    # The agent was consulting: back with the caller, whose music stops.
                    await self.quietly(self.ari.add_channel(session.bridge_id, leg))
                    await self.quietly(self.ari.stop_moh(call.channel_id))
                    await self.quietly(self.ari.unmute(leg, direction="in"))
                await self.event(session, "resynced", phase="connected")
            elif call.queued_at and session.queue and not call.answered_at:
                session.phase = "queue"
                await self._hold(session, session.queue)
                self._queue_timers(session, session.queue)
                self.join_waitlist(session)
                await self.event(session, "resynced", phase="queue")
            else:
                await self._resume(session, call)

    async def _resume(self, session: CallSession, call: Call) -> None:
        """A caller inside an IVR flow (or the post-call survey) goes on where they were."""
        checkpoint = dict(call.ivr_checkpoint or {})
        survey = checkpoint.get("purpose") == "survey"
        in_flow = call.ivr_exit_at is None or bool(checkpoint.get("flow"))
        if survey:
            session.agent_id = call.agent_id  # their wrap-up ends when this caller leaves
        if (survey or (in_flow and not call.answered_at)) and await self._resumed(session, checkpoint):
            return
        await self.event(session, "resynced", phase="lost_ivr")
        await self.failover(session, "resync_ivr")

    async def _resumed(self, session: CallSession, checkpoint: dict[str, Any]) -> bool:
        phase = "survey" if checkpoint.get("purpose") == "survey" else "ivr"
        await self.event(session, "resynced", phase=phase, node=checkpoint.get("node") or "start")
        return await self.resume_ivr(session, checkpoint)
