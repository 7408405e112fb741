"""Waiting in a queue: holding bridge with music, announcements, max wait and overflow, dispatch."""

from __future__ import annotations

import asyncio
import bisect
import logging
import random
import time
from typing import Any

from django.utils import timezone

from ccapp import selectors, services
from ccapp.ari.errors import AriError
from ccapp.errors import DomainError
from ccapp.models import CallOutcome
from ccapp.models.queues import OverflowAction
from ccapp.stasis import claims, db
from ccapp.stasis.session import CallSession, QueueInfo

log = logging.getLogger(__name__)

OFFER_DIGITS = {"1": "callback", "2": "voicemail"}
LINE_SECONDS = 2.0  # (simulated) seconds a queue's waiting line serves position announcements
OPTIONS_TEXT = (
    "按1，我们稍后给您回电，不会失去排队位置；按2留言。Press 1 for a call back, 2 to leave a message."
)
CALLBACK_TEXT = "好的，我们会尽快给您回电。We will call you back. Goodbye."


class QueueMixin:
    def _init_queues(self) -> None:
        self.waiting: dict[int, list[CallSession]] = {}
        self.holding: dict[int, str] = {}
        self._holding_lock = asyncio.Lock()
        self._dispatching = False
        self._dispatch_wanted = False
        self._callbacks_wanted = True  # the first pass looks for due callbacks
        self._rr_last: dict[int, int] = {}  # queue -> hunting order of its last round-robin offer
        self._rng = random.Random()
        self._lines: dict[int, tuple[float, asyncio.Task[Any]]] = {}  # queue -> (until, waiting line)

    async def enter_queue(
        self,
        session: CallSession,
        queue_id: int | None,
        *,
        priority: int | None = None,
        failing_over: bool = False,
        ivr_exit: dict[str, Any] | None = None,
    ) -> None:
        """Put the caller in a queue: holding bridge with music, timers, then try to offer the call.

        `ivr_exit`: the IVR exit that sends the caller here, written with the queueing.
        """
        queue = await self.queue_settings(queue_id=queue_id) if queue_id else None
        if queue is None:
            await self.store_ivr_exit(session, ivr_exit)
            if failing_over:
                raise LookupError(f"queue {queue_id} does not exist")
            await self.failover(session, f"unknown_queue:{queue_id}")
            return
        session.queue = queue
        logged_in = await self.settings_cache.get(
            ("logged_in", queue.id), selectors.logged_in_agents, queue.id
        )
        if logged_in == 0:
            await self.store_ivr_exit(session, ivr_exit)
            await self.event(session, "no_agents", queue=queue.code)
            await self.overflow(session, "no_agents")
            return
        call = await db.run(
            services.enqueue_call,
            call_id=session.call_id,
            queue_id=queue.id,
            priority=priority,
            ivr_exit=ivr_exit,
            carried=session.take_carried(),
        )
        session.queued_at, session.priority, session.phase = call.queued_at, call.priority, "queue"
        session.queued_monotonic = time.monotonic()
        await self._hold(session, queue)
        self._queue_timers(session, queue)
        self.join_waitlist(session)
        self.spawn(self.dispatch())

    async def _hold(self, session: CallSession, queue: QueueInfo) -> None:
        bridge_id = await self.holding_bridge(queue)
        await self.ari.add_channel(bridge_id, session.channel_id)

    async def holding_bridge(self, queue: QueueInfo) -> str:
        """The queue's holding bridge on this Asterisk, created with its music on first use."""
        async with self._holding_lock:
            if queue.id in self.holding:
                return self.holding[queue.id]
            bridge_id = f"ccapp-hold-{self.node}-{queue.id}"
            try:
                await self.ari.create_bridge(type="holding", bridge_id=bridge_id, name=f"hold-{queue.code}")
            except AriError:
                await self.ari.get_bridge(bridge_id)  # it survived a restart of the worker
            # A holding bridge is silent until its music is started explicitly.
            await self.quietly(self.ari.start_bridge_moh(bridge_id, moh_class=queue.music_class))
            self.holding[queue.id] = bridge_id
            return bridge_id

    def _queue_timers(self, session: CallSession, queue: QueueInfo) -> None:
        if queue.announce_every and (queue.announce_position or queue.announce_wait):
            session.timers["announce"] = self.later(queue.announce_every, lambda: self._announce(session))
        if queue.max_wait:
            remaining = queue.max_wait - self._waited(session)
            session.timers["max_wait"] = self.later(max(0.0, remaining), lambda: self._max_wait(session))
        if queue.offer_after and (queue.offer_callback or queue.offer_voicemail):
            session.timers["offer"] = self.later(queue.offer_after, lambda: self._offer_options(session))

    def _waited(self, session: CallSession) -> float:
        if session.queued_at is None:
            return 0.0
        return max(0.0, (timezone.now() - session.queued_at).total_seconds() * self.time_factor)

    def join_waitlist(self, session: CallSession) -> None:
        waitlist = self.waiting.setdefault(session.queue.id, [])
        if session not in waitlist:
            waitlist.append(session)

    def leave_waitlist(self, session: CallSession) -> None:
        if session.queue and session in self.waiting.get(session.queue.id, []):
            self.waiting[session.queue.id].remove(session)
        session.cancel_timers("announce", "max_wait", "offer")

    async def _announce(self, session: CallSession) -> None:
        async with session.lock:
            if session.phase != "queue" or session.queue is None:
                return
            queue = session.queue
            position = await self._position(session)
            media: list[str] = []
            if queue.announce_position and position:
                media += (
                    ["sound:queue-youarenext"]
                    if position == 1
                    else ["sound:queue-thereare", f"number:{position - 1}", "sound:queue-callswaiting"]
                )
            if queue.announce_wait and position:
                # The estimate is linear in the position: one figure per queue, cached a few seconds.
                per_position = await self.settings_cache.get(
                    ("wait_per_position", queue.id), selectors.estimated_wait_seconds, queue.id, 1
                )
                minutes = max(1, round(per_position * position / 60))
                media += ["sound:queue-holdtime", f"number:{minutes}", "sound:queue-minutes"]
            if media:
                # Bridge music blocks bridge announcements: play to this caller's channel only.
                await self.play(session, media)
                session.carry("announced", position=position)  # written with the call's next write
            session.timers["announce"] = self.later(queue.announce_every, lambda: self._announce(session))

    async def _position(self, session: CallSession) -> int:
        """The caller's place in line; the queue's waiting line is read at most every LINE_SECONDS.

        Every waiting caller hears an announcement now and then: one query per queue and period
        instead of one per caller keeps a long line from costing the worker more the longer it gets.
        """
        assert session.queue is not None
        queue_id, now = session.queue.id, asyncio.get_running_loop().time()
        cached = self._lines.get(queue_id)
        if cached is None or cached[0] <= now:
            cached = (
                now + LINE_SECONDS / self.time_factor,
                self.spawn(db.run(selectors.waiting_line, queue_id)),
            )
            self._lines[queue_id] = cached
        try:
            line = await asyncio.shield(cached[1])
        except Exception:
            log.exception("waiting line of queue %s could not be read", queue_id)
            self._lines.pop(queue_id, None)
            return 0
        if session.queued_at is None:
            return 0
        return bisect.bisect_left(line, (-session.priority, session.queued_at, session.call_id)) + 1

    async def _offer_options(self, session: CallSession) -> None:
        async with session.lock:
            if session.phase != "queue":
                return
            session.timers.pop("offer", None)
            session.options_offered = True
            await self.event(session, "options_offered")
            await self.say(session, OPTIONS_TEXT)

    async def queue_digit(self, session: CallSession, digit: str) -> None:
        """While waiting: 1 = call me back (keeps my place), 2 = leave a voicemail."""
        choice = OFFER_DIGITS.get(digit)
        if choice is None or session.queue is None or not session.options_offered:
            return
        await self.release_from_queue(session)
        if choice == "callback":
            try:
                await db.run(
                    services.request_callback,
                    queue_id=session.queue.id,
                    number=session.caller,
                    call_id=session.call_id,
                )
            except DomainError as exc:
                # No number to call back (withheld or invalid): a voicemail instead.
                await self.event(session, "callback_refused", reason=exc.error_id)
                await self.start_voicemail(session, session.queue)
                return
            session.outcome, session.phase = CallOutcome.CALLBACK, "leaving"
            await self.say(session, CALLBACK_TEXT, then="hangup")
        else:
            await self.start_voicemail(session, session.queue)

    async def release_from_queue(self, session: CallSession) -> None:
        """Take the caller out of line and out of the holding bridge (ringing agents are stopped)."""
        self.leave_waitlist(session)
        await self.stop_offers(session)
        if session.queue and session.queue.id in self.holding:
            await self.quietly(self.ari.remove_channel(self.holding[session.queue.id], session.channel_id))

    async def _max_wait(self, session: CallSession) -> None:
        async with session.lock:
            session.timers.pop("max_wait", None)
            if session.phase in ("queue", "ringing"):
                await self.overflow(session, "max_wait")

    async def overflow(self, session: CallSession, reason: str) -> None:
        """Max wait or nobody logged in: the queue's overflow target (queue, voicemail, number, goodbye)."""
        queue = session.queue
        action = queue.overflow_action if queue else OverflowAction.HANGUP
        if action == OverflowAction.NONE and reason == "max_wait":
            return
        await self.event(session, "overflow", reason=reason, action=action or "hangup")
        await self.release_from_queue(session)
        session.outcome = CallOutcome.OVERFLOW
        if action == OverflowAction.QUEUE and queue and queue.overflow_queue_id:
            await self.enter_queue(session, queue.overflow_queue_id)
        elif action == OverflowAction.VOICEMAIL:
            await self.start_voicemail(session, queue)
        elif action == OverflowAction.EXTERNAL and queue and queue.overflow_number:
            await self.transfer_external(session, queue.overflow_number)
            session.outcome = CallOutcome.OVERFLOW
        else:
            session.phase = "leaving"
            await self.play(session, ["sound:sorry-cant-let-you-do-that"], then="hangup")

    # ---- offering calls ------------------------------------------------------------------------
    async def dispatch(self, *, callbacks: bool = False) -> None:
        """Offer waiting calls to ready agents as the ACD engine decides, claimed under row locks.

        A pass looks at every queue this worker holds calls for, whichever queue changed: agents
        are shared between queues, and the engine serves the best call across them first. Due
        callbacks join the line when asked for (the callback timer) or while some are left. One
        pass runs at a time; triggers that arrive meanwhile fold into one more pass. Ringing runs
        in its own task so a slow originate never holds up the next caller.
        """
        self._dispatch_wanted = True
        self._callbacks_wanted = self._callbacks_wanted or callbacks
        if self._dispatching:
            return
        self._dispatching = True
        try:
            while self._dispatch_wanted:
                self._dispatch_wanted = False
                await self._dispatch_pass()
        finally:
            self._dispatching = False

    async def _dispatch_pass(self) -> None:
        sessions = {
            s.call_id: s for waitlist in self.waiting.values() for s in waitlist if self._offerable(s)
        }
        with_callbacks, self._callbacks_wanted = self._callbacks_wanted, False
        if not sessions and not with_callbacks:
            return
        waiting = [
            claims.Waiting(
                call_id=s.call_id,
                queue_id=s.queue.id,
                queued_at=s.queued_at or timezone.now(),
                priority=s.priority,
                vip=s.vip,
                language=s.language,
            )
            for s in sessions.values()
        ]
        # One thread hop for the whole pass (snapshot, engine, one claim transaction per offer).
        claimed = await db.run(
            claims.claim_offers,
            waiting,
            rr_last=self._rr_last,
            rng=self._rng,
            factor=self.time_factor,
            callbacks=with_callbacks,
            node=self.node,
        )
        for agent_id, endpoint in claimed.endpoints.items():
            self.settings_cache.put(("endpoint", agent_id), endpoint)  # ring() needs no lookup of its own
        for call_id, agents in claimed.calls.items():
            session = sessions[call_id]
            session.pending_offer = True
            self.spawn(self._ring_claimed(session, agents))
        for attempt in claimed.callbacks:
            self.spawn(self.start_callback(attempt))
        if claimed.callbacks_waiting:
            self._callbacks_wanted = True  # offer them again when an agent frees up

    @staticmethod
    def _offerable(session: CallSession) -> bool:
        return (
            session.phase == "queue"
            and not session.offers
            and not session.pending_offer
            and bool(session.queue)
        )

    async def _ring_claimed(self, session: CallSession, agents: list[int]) -> None:
        async with session.lock:
            session.pending_offer = False
            if session.phase != "queue":
                for agent_id in agents:
                    await db.run(services.cancel_offer, call_id=session.call_id, agent_id=agent_id)
                return
            await self.ring(session, agents, offered=True)

    async def dispatch_all(self) -> None:
        """A pass over every queue and the due callbacks (agents made ready from the web, wrap-up over)."""
        await self.dispatch(callbacks=True)
