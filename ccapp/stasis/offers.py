"""Ringing agents, connecting the first who answers, missed offers and wrap-up."""

from __future__ import annotations

import logging
import time
import uuid

from ccapp import services
from ccapp.ari.errors import AriConnectionError, AriError
from ccapp.stasis import db
from ccapp.stasis.session import CallSession

log = logging.getLogger(__name__)

# ChannelDestroyed causes of an agent leg that never answered (see shared ARI notes).
MISS_REASONS = {19: "no_answer", 17: "busy", 21: "rejected", 16: "cancelled"}
DEFAULT_RING_TIMEOUT = 20
TIME_LIMIT_WARNING_SECONDS = 30
TIME_LIMIT_WARNING_MEDIA = "sound:beep"


class OfferMixin:
    async def ring(self, session: CallSession, agent_ids: list[int], *, offered: bool = False) -> None:
        """Originate each claimed agent's phone into this app; the first to answer gets the caller.

        `offered`: the offers were recorded with the claims (`services.claim_and_offer`).
        """
        session.phase = "ringing"
        timeout = session.queue.ring_timeout if session.queue else DEFAULT_RING_TIMEOUT
        for agent_id in agent_ids:
            leg = f"agent-{session.call_id}-{agent_id}-{uuid.uuid4().hex[:8]}"
            session.offers[leg] = agent_id
            self.legs[leg] = session
            if not offered:
                await db.run(services.offer_call, call_id=session.call_id, agent_id=agent_id)
            if self.collect_metrics and len(session.offers) == 1 and session.started_monotonic:
                now = time.monotonic()
                self.metrics["offer_latency"].append(now - session.started_monotonic)
                self.metrics["queued_to_offer"].append(now - session.queued_monotonic)
                session.started_monotonic = 0.0  # only the first offer of a call counts
            try:
                endpoint = await self.settings_cache.get(("endpoint", agent_id), db.agent_endpoint, agent_id)
                await self.ari.originate(
                    endpoint,
                    app=self.app_name,
                    app_args=f"agent,{session.channel_id}",
                    timeout=max(1, round(timeout)),
                    caller_id=session.caller or None,
                    channel_id=leg,
                )
            except AriError as exc:
                log.warning("agent %s unreachable: %s", agent_id, exc)
                # No answer from Asterisk at all (or our connection closing in a restart) is not the
                # agent's miss; a refused originate ("Allocation failed") is the phone's.
                ours = isinstance(exc, AriConnectionError)
                await self._offer_failed(session, leg, "unreachable", agents_fault=not ours)

    async def agent_answered(self, leg: str) -> None:
        session = self.legs.get(leg)
        if session is None:
            await self.quietly(self.ari.hangup(leg))
            return
        async with session.lock:
            agent_id = session.offers.pop(leg, None)
            if agent_id is None or session.ended or session.agent_leg:
                self.legs.pop(leg, None)
                await self.quietly(self.ari.hangup(leg))
                if agent_id is not None:
                    await db.run(services.cancel_offer, call_id=session.call_id, agent_id=agent_id)
                return
            await self._connect(session, leg, agent_id)

    async def _connect(self, session: CallSession, leg: str, agent_id: int) -> None:
        if self.collect_metrics:
            self.answered_at[session.call_id] = time.monotonic()
        session.agent_leg, session.agent_id, session.phase = leg, agent_id, "connected"
        self.leave_waitlist(session)
        for playback_id, pending in list(self.playbacks.items()):
            if pending.session is session:
                await self.stop_playback(playback_id)
        # Bridge first, then anything else: bridged channels answer REST calls at once, while a
        # channel outside a bridge with a prompt running blocks them until the prompt ends.
        session.bridge_id = f"call-{session.call_id}-{uuid.uuid4().hex[:8]}"
        # proxy_media: Asterisk would switch a two-party bridge to native RTP, where music on hold
        # started on the caller's channel is not heard (measured; see the shared ARI notes).
        await self.ari.create_bridge(
            type="mixing,proxy_media", bridge_id=session.bridge_id, name=f"call-{session.call_id}"
        )
        await self.ari.add_channel(session.bridge_id, [session.channel_id, leg])
        await self.stop_offers(session)
        # The recording is registered with the answer (one transaction), then started on the bridge.
        recording = self._recording_name(session) if session.queue and session.queue.record_calls else ""
        await db.run(
            services.answer_call,
            call_id=session.call_id,
            agent_id=agent_id,
            recording=recording,
            legs=[session.channel_id, leg],
        )
        if recording:
            await self._record(session, recording)
        self._watch_time_limit(session)

    async def watch_connected(self, session: CallSession) -> None:
        """What the queue asks of a call that has just got its agent: recording, call time limit."""
        if session.queue and session.queue.record_calls:
            await self.start_recording(session)
        self._watch_time_limit(session)

    def _watch_time_limit(self, session: CallSession) -> None:
        if session.queue and session.queue.call_time_limit:
            self._time_limit_timers(session, session.queue.call_time_limit)

    def _time_limit_timers(self, session: CallSession, limit: int) -> None:
        """Warn both parties shortly before the queue's call time limit, then end the call."""
        warn_at = max(0, limit - TIME_LIMIT_WARNING_SECONDS)
        session.timers["limit_warning"] = self.later(warn_at, lambda: self._time_limit(session, final=False))
        session.timers["limit"] = self.later(limit, lambda: self._time_limit(session, final=True))

    async def _time_limit(self, session: CallSession, *, final: bool) -> None:
        async with session.lock:
            if session.phase != "connected":
                return
            if not final:
                # The bridge has no music, so a bridge playback reaches caller and agent alike.
                await self.quietly(self.ari.play_bridge(session.bridge_id, TIME_LIMIT_WARNING_MEDIA))
                await self.event(session, "time_limit_warning")
                return
            await self.event(session, "time_limit_reached")
            session.phase = "leaving"
            await self.quietly(self.ari.hangup(session.channel_id))

    async def start_recording(self, session: CallSession) -> None:
        """Record the call's bridge: the Recording row first, then the recording on Asterisk."""
        name = self._recording_name(session)
        legs = [session.channel_id, session.agent_leg]
        await db.run(services.save_recording, call_id=session.call_id, name=name, legs=legs)
        await self._record(session, name)

    @staticmethod
    def _recording_name(session: CallSession) -> str:
        return f"call-{session.call_id}-{uuid.uuid4().hex[:8]}"

    async def _record(self, session: CallSession, name: str) -> None:
        session.recording = name
        self.recordings[name] = session
        try:
            await self.ari.record_bridge(session.bridge_id, name=name, format="wav", if_exists="fail")
        except AriError as exc:
            self.recordings.pop(name, None)
            session.recording = ""
            await db.run(services.recording_not_started, name=name, error=str(exc))

    async def stop_offers(self, session: CallSession) -> None:
        """Hang up every agent leg still ringing for this caller; those agents are ready again."""
        for leg, agent_id in list(session.offers.items()):
            session.offers.pop(leg, None)
            self.legs.pop(leg, None)
            await self.quietly(self.ari.hangup(leg))
            await db.run(services.cancel_offer, call_id=session.call_id, agent_id=agent_id)

    async def leg_gone(self, leg: str, *, cause: int) -> None:
        session = self.legs.pop(leg, None)
        if session is None:
            return
        async with session.lock:
            if session.residual:
                await self.residual_gone(session, leg)
            elif leg in session.monitors or leg.startswith("snoop-"):
                session.monitors.pop(leg, None)
            elif leg == session.agent_leg:
                await self._agent_hung_up(session)
            elif leg in session.offers:
                await self._offer_failed(session, leg, MISS_REASONS.get(cause, f"cause_{cause}"))
            else:
                await self.party_gone(session, leg, cause=cause)

    async def _agent_hung_up(self, session: CallSession) -> None:
        session.agent_leg = ""
        if session.ended:
            return
        if session.phase == "external":  # transferred to a number, which hung up: so does the caller
            session.phase = "leaving"
            await self.quietly(self.ari.hangup(session.channel_id))
            return
        if await self.agent_left(session):
            return
        await self.event(session, "agent_hung_up", agent=session.agent_id)
        if session.queue and session.queue.survey:
            await self.start_survey(session)
        else:
            session.phase = "leaving"
            await self.quietly(self.ari.hangup(session.channel_id))

    async def _offer_failed(
        self, session: CallSession, leg: str, reason: str, *, agents_fault: bool = True
    ) -> None:
        """No answer, busy or unreachable: agent not-ready ("missed"), call back at the head of its queue.

        A ring that failed on our side (`agents_fault=False`) leaves the agent ready, and the call
        waits for the next dispatch sweep instead of ringing again at once.
        """
        agent_id = session.offers.pop(leg, None)
        self.legs.pop(leg, None)
        if agent_id is None:
            return
        if agents_fault:
            await db.run(services.miss_offer, call_id=session.call_id, agent_id=agent_id, reason=reason)
        else:
            await self.event(session, "offer_failed", agent=agent_id, reason="ari_unreachable")
            await db.run(services.cancel_offer, call_id=session.call_id, agent_id=agent_id)
        if session.offers or session.agent_leg or session.ended or session.phase != "ringing":
            return
        if session.queue is None:
            await self.failover(session, "offer_missed")
            return
        # enqueue_call keeps the original queued_at, so the caller is still first in line.
        await db.run(services.enqueue_call, call_id=session.call_id, queue_id=session.queue.id)
        session.phase = "queue"
        self.join_waitlist(session)
        if agents_fault:
            self.spawn(self.dispatch())

    def schedule_wrapup_end(self, agent_id: int, call_id: int, seconds: float) -> None:
        async def end() -> None:
            await db.run(services.end_wrapup, agent_id=agent_id, call_id=call_id)
            await self.dispatch_all()

        self.later(seconds, end)

    async def offer_direct(self, session: CallSession, extension: str) -> None:
        """IVR exit to one agent: ring that agent if ready, else the route's queue."""
        agent_id = await db.run(db.agent_by_extension, extension)
        queue_id = session.route.queue_id or session.route.failover_queue_id
        session.queue = await self.queue_settings(queue_id=queue_id) if queue_id else None
        agent = None
        if agent_id is not None:
            agent = await db.run(services.claim_agent, call_id=session.call_id, agent_ids=[agent_id])
        if agent is None:
            await self.event(session, "agent_unavailable", extension=extension)
            if queue_id:
                await self.enter_queue(session, queue_id)
            else:
                await self.failover(session, "agent_unavailable")
            return
        await self.ring(session, [agent.pk])
