"""The Stasis application: ARI event handlers (`on_<event>`) for callers and agent legs.

Handlers never wait for another ARI event: each one reacts and returns, so the client's
per-channel ordered lanes never stall. Everything about one caller runs under that caller's
session lock, because agent legs, timers and the caller's own events arrive on different lanes.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from ccapp import prompts, services
from ccapp.ari.errors import AriError
from ccapp.ari.protocol import Ari
from ccapp.ivr.messages import Prompt
from ccapp.models import CallOutcome
from ccapp.stasis import db
from ccapp.stasis.callbacks import CALLBACK_ARG, CALLBACK_CUSTOMER_ARG, CallbackMixin
from ccapp.stasis.commands import SNOOP_ARG, SUPERVISOR_ARG, CommandMixin
from ccapp.stasis.conference import ConferenceMixin
from ccapp.stasis.consult import CONSULT_ARG, GUEST_ARG, ConsultMixin
from ccapp.stasis.ivrrun import IvrMixin
from ccapp.stasis.offers import OfferMixin
from ccapp.stasis.outbound import CUSTOMER_ARG, OUTBOUND_ARG, OutboundMixin
from ccapp.stasis.queueing import QueueMixin
from ccapp.stasis.resync import ResyncMixin
from ccapp.stasis.session import CallSession, PendingPlayback
from ccapp.stasis.voicemail import VoicemailMixin

log = logging.getLogger(__name__)

AGENT_ARG = "agent"
INBOUND_ARG = "inbound"
# Asterisk may never send PlaybackFinished (tone:, unknown scheme, missing recording): a prompt
# that has not finished after this many (simulated) seconds is treated as failed.
PLAYBACK_GUARD_SECONDS = 120.0
SETTINGS_CACHE_SECONDS = 5.0


class StasisApp(
    IvrMixin,
    QueueMixin,
    OfferMixin,
    VoicemailMixin,
    CommandMixin,
    ConsultMixin,
    ConferenceMixin,
    OutboundMixin,
    CallbackMixin,
    ResyncMixin,
):
    """Runs every call of one Asterisk server through IVR, queue and agents."""

    def __init__(
        self,
        ari: Ari,
        *,
        app_name: str,
        node: str = "",
        time_factor: float = 1.0,
        collect_metrics: bool = False,
    ) -> None:
        self.ari = ari
        self.app_name = app_name
        self.node = node or app_name
        self.time_factor = time_factor
        self.sessions: dict[str, CallSession] = {}  # caller channel id -> session
        self.legs: dict[str, CallSession] = {}  # agent leg channel id -> caller's session
        self.playbacks: dict[str, PendingPlayback] = {}
        self.recordings: dict[str, CallSession] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.handles: set[asyncio.TimerHandle] = set()
        # Benchmark figures (off in production: the lists would only grow).
        self.collect_metrics = collect_metrics
        self.metrics: dict[str, list[float]] = {
            "offer_latency": [],
            "queued_to_offer": [],
            "handler_seconds": [],
        }
        self.answered_at: dict[int, float] = {}
        self.settings_cache = db.TTLCache(SETTINGS_CACHE_SECONDS)
        self._init_queues()
        self._init_callbacks()

    def register(self) -> None:
        """Subscribe every `on_<Event>` method to its ARI event type."""
        for name in dir(self):
            if name.startswith("on_") and name[3:4].isupper():
                handler = getattr(self, name)
                self.ari.on(name[3:], self._timed(handler) if self.collect_metrics else handler)

    def _timed(self, handler: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
        async def timed(event: Any) -> None:
            started = time.monotonic()
            try:
                await handler(event)
            finally:
                self.metrics["handler_seconds"].append(time.monotonic() - started)

        return timed

    # ---- small helpers -----------------------------------------------------------------------
    def later(self, seconds: float, callback: Callable[[], Awaitable[None]]) -> asyncio.TimerHandle:
        """Run an async callback after `seconds` of (simulated) time."""
        loop = asyncio.get_running_loop()
        handle = loop.call_later(max(0.0, seconds) / self.time_factor, lambda: self.spawn(callback()))
        self.handles.add(handle)
        if len(self.handles) > 4096:  # forget fired and cancelled handles now and then
            self.handles = {h for h in self.handles if not h.cancelled() and h.when() > loop.time()}
        return handle

    def start(self) -> None:
        """Start listening for commands from the agents' and supervisors' screens, and the callback timer."""
        self.spawn(self.listen_commands())
        self.spawn(self.callback_timer())

    async def close(self) -> None:
        """Stop every timer and background task (shutdown; Asterisk keeps the calls)."""
        for handle in self.handles:
            handle.cancel()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            # A cancelled channel-layer receive can take a while to clean up; do not hang on it.
            await asyncio.wait(list(self.tasks), timeout=5)

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    async def quietly(self, coro: Awaitable[Any]) -> Any:
        """Run an ARI call whose failure is expected and harmless (the channel is already gone)."""
        try:
            return await coro
        except AriError as exc:
            log.debug("ignored ARI error: %s", exc)
            return None

    async def event(self, session: CallSession, kind: str, **data: Any) -> None:
        if session.call_id:
            await db.run(
                services.append_call_event,
                call_id=session.call_id,
                kind=kind,
                data=data,
                carried=session.take_carried(),
            )

    async def play(
        self, session: CallSession, media: list[str], *, engine_id: str = "", then: str = ""
    ) -> str:
        """Play media to the caller; PlaybackFinished (or the guard) continues with `then`."""
        playback_id = f"pb-{uuid.uuid4().hex}"
        pending = PendingPlayback(session, engine_id=engine_id, then=then)
        self.playbacks[playback_id] = pending
        pending.guard = self.later(
            PLAYBACK_GUARD_SECONDS, lambda: self._playback_done(playback_id, failed=True)
        )
        try:
            await self.ari.play(session.channel_id, media, playback_id=playback_id, lang=session.language)
        except AriError:
            log.warning("play failed on %s", session.channel_id)
            self.spawn(self._playback_done(playback_id, failed=True))
        return playback_id

    async def say(self, session: CallSession, text: str, *, then: str = "") -> str:
        """Play a business text prompt (rendered to speech, or a built-in sound without a renderer)."""
        media = await self.media(Prompt(text=text, lang=session.language))
        return await self.play(session, [media], then=then)

    async def media(self, prompt: Prompt) -> str:
        """The media URI of a prompt; only text needs a thread (it may be rendered to speech)."""
        return await db.run(prompts.media_for, prompt) if prompt.text else prompts.media_for(prompt)

    async def queue_settings(self, *, queue_id: int | None = None, code: str = "") -> Any:
        """A queue's settings (cached a few seconds)."""
        return await self.settings_cache.get(
            ("queue", queue_id, code), db.queue_info, queue_id=queue_id, code=code
        )

    async def stop_playback(self, playback_id: str) -> None:
        pending = self.playbacks.pop(playback_id, None)
        if pending and pending.guard:
            pending.guard.cancel()
        await self.quietly(self.ari.stop_playback(playback_id))

    # ---- callers -------------------------------------------------------------------------------
    async def on_StasisStart(self, event: Any) -> None:
        args = list(event.args or [])
        channel_id = event.channel.id
        if args and args[0] == AGENT_ARG:
            await self.agent_answered(channel_id)
            return
        if args and args[0] == SUPERVISOR_ARG:
            await self.supervisor_answered(channel_id)
            return
        if args and args[0] == OUTBOUND_ARG:
            await self.outbound_agent_answered(channel_id)
            return
        if args and args[0] == CUSTOMER_ARG:
            await self.outbound_customer_answered(channel_id)
            return
        if args and args[0] == CALLBACK_ARG:
            await self.callback_agent_answered(channel_id)
            return
        if args and args[0] == CALLBACK_CUSTOMER_ARG:
            await self.callback_customer_answered(channel_id)
            return
        if args and args[0] in (CONSULT_ARG, GUEST_ARG):
            await self.party_answered(channel_id)
            return
        if args and args[0] == SNOOP_ARG:
            return  # a snoop channel the worker made; it is bridged by supervisor_answered
        if channel_id in self.legs or channel_id in self.sessions:
            return
        dnis = args[1] if len(args) > 1 and args[0] == INBOUND_ARG else event.channel.dialplan.exten
        session = CallSession(channel_id=channel_id, started_monotonic=time.monotonic())
        self.sessions[channel_id] = session
        async with session.lock:
            try:
                await self._start_caller(session, event.channel.caller.number or "", dnis or "")
            except Exception:
                log.exception("StasisStart failed for %s", channel_id)
                await self.failover(session, "start_error")

    async def _start_caller(self, session: CallSession, caller: str, dnis: str) -> None:
        answer = self.spawn(self.quietly(self.ari.answer(session.channel_id)))
        call = await db.run(
            services.start_call,
            channel_id=session.channel_id,
            caller_raw=caller,
            dnis=dnis,
            stasis_node=self.node,
        )
        session.call_id, session.caller, session.priority = call.pk, call.caller, call.priority
        session.vip = call.vip
        session.language = call.language
        session.route = copy.deepcopy(
            await self.settings_cache.get(("route", call.route_id), db.route_info, call.route_id)
        )
        await answer
        if session.ended:
            return
        if session.route.route_id is None:
            await self.event(session, "unknown_dnis", dnis=dnis)
            await self.failover(session, "unknown_dnis")
        elif session.route.flow_graph is not None:
            # Written with the IVR's first checkpoint (or its exit), not in a transaction of its own.
            session.carry("hours", answer=session.route.hours.get("", "open"))
            await self.start_ivr(session, session.route.flow_graph, flow=session.route.flow_code)
        else:
            await self.enter_queue(session, session.route.queue_id)

    async def on_StasisEnd(self, event: Any) -> None:
        channel_id = event.channel.id
        if await self.callback_channel_gone(channel_id, cause=0):
            return
        if channel_id in self.legs:
            await self.leg_gone(channel_id, cause=0)
            return
        session = self.sessions.get(channel_id)
        if session is None:
            return
        async with session.lock:
            await self.finalize(session)

    async def finalize(self, session: CallSession) -> None:
        """The caller left: stop everything of theirs and close the Call (always, once)."""
        if session.ended:
            return
        previous_phase = session.phase
        session.phase = "ended"
        session.cancel_timers()
        self.leave_waitlist(session)
        if session.ivr is not None and session.ivr.phase != "done":
            await self.feed_ivr(session, None)
        for playback_id, pending in list(self.playbacks.items()):
            if pending.session is session:
                self.playbacks.pop(playback_id, None)
                if pending.guard:
                    pending.guard.cancel()
        # A conference goes on between agent and guest when the caller leaves it.
        talking_on = await self.keep_conference(session)
        if not session.residual:
            await self.drop_parties(session, "caller_hung_up")
        snoops = [f"snoop-{leg}" for leg in session.monitors]
        agent_leg = "" if session.residual else session.agent_leg
        for leg in [*session.offers, agent_leg, *session.monitors, *snoops]:
            if leg:
                self.legs.pop(leg, None)
                await self.quietly(self.ari.hangup(leg))
        for bridge_id in ["" if session.residual else session.bridge_id, *session.monitor_bridges]:
            if bridge_id:
                await self.quietly(self.ari.destroy_bridge(bridge_id))
        self.sessions.pop(session.channel_id, None)
        if session.call_id:
            outcome = session.outcome or None
            if previous_phase == "survey":
                outcome = CallOutcome.ANSWERED
            await db.run(
                services.finish_call,
                call_id=session.call_id,
                outcome=outcome,
                keep_agents=talking_on,
                carried=session.take_carried(),
            )
            for agent_id in set(session.offers.values()):
                await db.run(services.cancel_offer, call_id=session.call_id, agent_id=agent_id)
            if session.agent_id and session.queue and not session.residual:
                self.schedule_wrapup_end(session.agent_id, session.call_id, session.queue.wrapup)
        if session.queue:
            self.spawn(self.dispatch())

    async def on_ChannelDtmfReceived(self, event: Any) -> None:
        session = self.sessions.get(event.channel.id)
        if session is None:
            return
        async with session.lock:
            if session.ivr is not None and session.phase in ("ivr", "survey"):
                await self.feed_ivr(session, event.digit)
            elif session.phase == "queue":
                await self.queue_digit(session, event.digit)

    async def on_PlaybackFinished(self, event: Any) -> None:
        await self._playback_done(event.playback.id, failed=event.playback.state == "failed")

    async def _playback_done(self, playback_id: str, *, failed: bool) -> None:
        pending = self.playbacks.pop(playback_id, None)
        if pending is None:
            return
        if pending.guard:
            pending.guard.cancel()
        session = pending.session
        async with session.lock:
            if session.ended:
                return
            if pending.engine_id:
                await self.feed_ivr_playback(session, pending.engine_id, failed)
            elif pending.then == "hangup":
                await self.quietly(self.ari.hangup(session.channel_id))
            elif pending.then == "voicemail_record":
                await self.record_voicemail(session)
            elif pending.then == "callback_dial":
                await self.dial_callback_customer(session)

    async def on_RecordingFinished(self, event: Any) -> None:
        await self.recording_finished(event.recording)

    async def on_RecordingFailed(self, event: Any) -> None:
        await self.recording_finished(event.recording)

    async def on_ChannelDestroyed(self, event: Any) -> None:
        if await self.callback_channel_gone(event.channel.id, cause=event.cause):
            return
        if event.channel.id in self.legs:
            await self.leg_gone(event.channel.id, cause=event.cause)
            return
        session = self.sessions.get(event.channel.id)
        if session is not None:
            # An originated leg of this app that never entered Stasis (the agent of a
            # click-to-call did not answer): no StasisEnd will come.
            async with session.lock:
                if session.phase == "dialing_agent":
                    session.outcome = CallOutcome.FAILED
                await self.finalize(session)

    async def on_Dial(self, event: Any) -> None:
        # Busy and no-answer end with ChannelDestroyed (cause 17/19/21), which is handled there;
        # Asterisk sends no final Dial status after a ring timeout.
        return

    # ---- never silence --------------------------------------------------------------------------
    async def failover(self, session: CallSession, reason: str) -> None:
        """The flow broke: the route's failover queue, else voicemail of its queue, else the dialplan."""
        log.warning("call %s fails over: %s", session.call_id or session.channel_id, reason)
        try:
            if session.call_id:
                await self.event(session, "failover", reason=reason)
            target = session.route.failover_queue_id or session.route.queue_id
            if target and session.phase not in ("queue", "ringing", "connected"):
                await self.enter_queue(session, target, failing_over=True)
                return
        except Exception:
            log.exception("failover to a queue failed for %s", session.channel_id)
        session.outcome = CallOutcome.FAILED
        await self.quietly(self.ari.continue_in_dialplan(session.channel_id))
