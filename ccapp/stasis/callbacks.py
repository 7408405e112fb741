"""Agent-first callbacks: ring the claimed agent, a short prompt, then the customer; results and retries.

A due callback waits in its queue's line like a caller (its place is `queued_since`); the dispatch
pass claims the callback and an agent together (`services.start_callback_attempt`) and hands the
attempt here. The agent's leg is the attempt's `Call` channel; the customer's leg is dialled
through the trunk with the queue's caller ID once the agent has heard the prompt.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from ccapp import services
from ccapp.ari.errors import AriError
from ccapp.models import CallbackRequest, CallbackResult, CallbackStatus, CallOutcome
from ccapp.stasis import db
from ccapp.stasis.offers import DEFAULT_RING_TIMEOUT, MISS_REASONS
from ccapp.stasis.outbound import destination_check
from ccapp.stasis.session import CallSession

log = logging.getLogger(__name__)

CALLBACK_ARG = "callback"
CALLBACK_CUSTOMER_ARG = "callback_customer"
AGENT_PROMPT = "正在为您回拨客户，请稍候。Calling the customer back now, please hold."
CUSTOMER_RING_SECONDS = 45
# How often (simulated seconds) the worker looks for callbacks whose time has come.
SWEEP_SECONDS = 5.0
# ChannelDestroyed causes of a customer leg that never answered.
CUSTOMER_CAUSES = {19: CallbackResult.NO_ANSWER, 17: CallbackResult.BUSY, 21: CallbackResult.BUSY}
AGENT_MISSED = "agent_missed"


@dataclass
class CallbackSession(CallSession):
    """One callback attempt: `channel_id` is the agent's leg, `agent_leg` the customer's."""

    callback_id: int = 0
    result_stored: bool = False


def _callback_status(callback_id: int) -> str:
    return CallbackRequest.objects.values_list("status", flat=True).get(pk=callback_id)


class CallbackMixin:
    def _init_callbacks(self) -> None:
        self.callback_legs: dict[str, CallbackSession] = {}  # agent and customer legs -> attempt

    async def callback_timer(self) -> None:
        """Every few seconds: callbacks left by a stopped worker are pending again; due ones are offered."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS / self.time_factor)
            try:
                await db.run(services.recover_callbacks)
                await self.dispatch(callbacks=True)
            except Exception:
                log.exception("callback sweep failed")

    async def start_callback(self, claim: services.CallbackClaim) -> None:
        """Ring the claimed agent first (the customer's number as caller ID)."""
        session = CallbackSession(channel_id=claim.channel_id, call_id=claim.call_id, caller=claim.number)
        session.callback_id, session.agent_id, session.outbound_number = (
            claim.callback_id,
            claim.agent_id,
            claim.number,
        )
        session.phase = "callback_ringing_agent"
        self.sessions[claim.channel_id] = session
        self.callback_legs[claim.channel_id] = session
        async with session.lock:
            session.queue = await self.queue_settings(queue_id=claim.queue_id)
            _number, reason = await db.run(destination_check, claim.agent_id, claim.number)
            if reason:
                await self.event(session, "callback_refused", reason=reason, number=claim.number)
                await db.run(services.cancel_offer, call_id=claim.call_id, agent_id=claim.agent_id)
                await self._callback_result(session, CallbackResult.FAILED, reason=reason, final=True)
                await self._end_callback(session)
                return
            timeout = session.queue.ring_timeout if session.queue else DEFAULT_RING_TIMEOUT
            try:
                endpoint = await self.settings_cache.get(
                    ("endpoint", claim.agent_id), db.agent_endpoint, claim.agent_id
                )
                await self.ari.originate(
                    endpoint,
                    app=self.app_name,
                    app_args=f"{CALLBACK_ARG},{claim.call_id}",
                    channel_id=claim.channel_id,
                    timeout=max(1, round(timeout)),
                    caller_id=claim.number,
                )
            except AriError as exc:
                log.warning(
                    "agent %s unreachable for callback %s: %s", claim.agent_id, claim.callback_id, exc
                )
                await self._agent_missed(session, "unreachable")
                await self._end_callback(session)

    async def callback_agent_answered(self, leg: str) -> None:
        """The agent took the callback: into a bridge, the prompt, then the customer is dialled."""
        session = self.callback_legs.get(leg)
        if session is None:
            await self.quietly(self.ari.hangup(leg))
            return
        async with session.lock:
            if session.ended or session.phase != "callback_ringing_agent":
                return
            session.phase = "callback_prompt"
            await self.event(session, "callback_agent_answered", agent=session.agent_id)
            if await db.run(_callback_status, session.callback_id) == CallbackStatus.CANCELLED:
                await self._callback_result(session, CallbackResult.CANCELLED)
                await self._end_callback(session)
                return
            # Bridge first, then play: a prompt on a channel outside a bridge blocks other REST calls.
            session.bridge_id = f"call-{session.call_id}-{uuid.uuid4().hex[:8]}"
            await self.ari.create_bridge(
                type="mixing,proxy_media", bridge_id=session.bridge_id, name=f"callback-{session.call_id}"
            )
            await self.ari.add_channel(session.bridge_id, leg)
            await self.say(session, AGENT_PROMPT, then="callback_dial")

    async def dial_callback_customer(self, session: CallbackSession) -> None:
        """After the agent's prompt: dial the customer with the queue's caller ID (session lock held)."""
        if session.phase != "callback_prompt":
            return
        session.phase = "callback_dialing"
        customer_leg = f"cbc-{session.call_id}-{uuid.uuid4().hex[:6]}"
        session.agent_leg = customer_leg
        self.callback_legs[customer_leg] = session
        await db.run(
            services.dial_callback_customer, callback_id=session.callback_id, call_id=session.call_id
        )
        trunk = getattr(settings, "ARI_TRUNK_ENDPOINT", "PJSIP/{number}@carrier")
        caller_id = (session.queue.caller_id if session.queue else "") or getattr(
            settings, "OUTBOUND_CALLER_ID", ""
        )
        try:
            await self.ari.originate(
                trunk.format(number=session.outbound_number),
                app=self.app_name,
                app_args=f"{CALLBACK_CUSTOMER_ARG},{session.channel_id}",
                channel_id=customer_leg,
                caller_id=caller_id or None,
                timeout=CUSTOMER_RING_SECONDS,
            )
        except AriError as exc:
            await self.event(session, "dial_failed", error=str(exc))
            await self._callback_result(session, CallbackResult.FAILED, reason="dial_failed")
            await self._end_callback(session)

    async def callback_customer_answered(self, customer_leg: str) -> None:
        """The customer picked up: bridged with the agent, screen pop, recorded like any call."""
        session = self.callback_legs.get(customer_leg)
        if session is None:
            await self.quietly(self.ari.hangup(customer_leg))
            return
        async with session.lock:
            if session.ended or session.phase != "callback_dialing":
                await self.quietly(self.ari.hangup(customer_leg))
                return
            session.phase = "connected"
            await self.ari.add_channel(session.bridge_id, customer_leg)
            await db.run(services.answer_call, call_id=session.call_id, agent_id=session.agent_id)
            await self._callback_result(session, CallbackResult.REACHED)
            if session.queue and session.queue.record_calls:
                await self.start_recording(session)

    async def callback_channel_gone(self, channel_id: str, *, cause: int) -> bool:
        """A leg of a callback attempt ended: store what it means and close the attempt. False if not ours."""
        session = self.callback_legs.pop(channel_id, None)
        if session is None:
            return False
        async with session.lock:
            if session.ended:
                return True
            if channel_id == session.channel_id:
                await self._agent_leg_gone(session, cause)
            else:
                session.agent_leg = ""
                if session.phase == "callback_dialing":
                    result = CUSTOMER_CAUSES.get(cause, CallbackResult.FAILED)
                    reason = "" if cause in CUSTOMER_CAUSES else f"cause_{cause}"
                    await self._callback_result(session, result, reason=reason)
            await self._end_callback(session)
        return True

    async def _agent_leg_gone(self, session: CallbackSession, cause: int) -> None:
        if session.phase == "callback_ringing_agent":
            await self._agent_missed(session, MISS_REASONS.get(cause, f"cause_{cause}"))
        elif session.phase == "callback_prompt":
            await self.event(session, "agent_hung_up", agent=session.agent_id)
            await self._callback_result(session, AGENT_MISSED)
        elif session.phase == "callback_dialing":
            await self.event(session, "agent_hung_up", agent=session.agent_id)
            await self._callback_result(session, CallbackResult.FAILED, reason="agent_hung_up")

    async def _agent_missed(self, session: CallbackSession, reason: str) -> None:
        """The agent did not take it: not ready like any missed call; the callback is offered again."""
        await db.run(services.miss_offer, call_id=session.call_id, agent_id=session.agent_id, reason=reason)
        await self._callback_result(session, AGENT_MISSED)

    async def _callback_result(
        self, session: CallbackSession, result: str, *, reason: str = "", final: bool = False
    ) -> None:
        if session.result_stored:
            return
        session.result_stored = True
        await db.run(
            services.finish_callback_attempt,
            callback_id=session.callback_id,
            call_id=session.call_id,
            result=result,
            agent_id=session.agent_id,
            reason=reason,
            final=final,
        )

    async def _end_callback(self, session: CallbackSession) -> None:
        """Hang up what is left of the attempt and close its Call (session lock held)."""
        for leg in (session.channel_id, session.agent_leg):
            if leg and self.callback_legs.pop(leg, None) is not None:
                await self.quietly(self.ari.hangup(leg))
        session.agent_leg = ""  # hung up above; finalize need not try again
        session.outcome = CallOutcome.ANSWERED if session.phase == "connected" else CallOutcome.FAILED
        await self.finalize(session)

    async def cmd_callback_cancel(self, session: CallSession, args: dict[str, Any]) -> None:
        """The callback was cancelled while its attempt runs: stop ringing (a connected call goes on)."""
        if not isinstance(session, CallbackSession) or session.phase == "connected":
            return
        await self._callback_result(session, CallbackResult.CANCELLED)
        await self._end_callback(session)

    async def adopt_callback(self, call: Any, channels: dict[str, Any], bridges: dict[str, str]) -> None:
        """After a restart: a connected attempt keeps talking (adopted); one still ringing is hung up."""
        customer_leg = next((c for c in channels if c.startswith(f"cbc-{call.pk}-")), "")
        if call.answered_at and customer_leg in bridges and call.channel_id in bridges:
            session = CallbackSession(channel_id=call.channel_id, call_id=call.pk, caller=call.caller)
            session.callback_id = int(call.channel_id.split("-")[1])
            session.phase, session.result_stored = "connected", True
            session.agent_id, session.agent_leg = call.agent_id, customer_leg
            session.bridge_id = bridges[call.channel_id]
            if call.queue_id:
                session.queue = await db.run(db.queue_info, queue_id=call.queue_id)
            self.sessions[call.channel_id] = session
            self.callback_legs[call.channel_id] = self.callback_legs[customer_leg] = session
            await self.event(session, "resynced", phase="connected")
            return
        for leg in (call.channel_id, customer_leg):
            if leg:
                await self.quietly(self.ari.hangup(leg))
        await db.run(services.finish_call, call_id=call.pk, outcome=CallOutcome.FAILED)
