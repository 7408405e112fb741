"""Click-to-call: the agent's phone first, then the customer; destinations checked per role."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import Group

from ccapp import realtime, services
from ccapp.ari.errors import AriError
from ccapp.models import Agent, CallDirection, CallOutcome
from ccapp.phones import normalize
from ccapp.stasis import db
from ccapp.stasis.session import CallSession

log = logging.getLogger(__name__)

OUTBOUND_ARG = "outbound"
CUSTOMER_ARG = "customer"
# Which roles (auth groups) may call which kinds of numbers; everyone may call domestic ones.
DEFAULT_RULES = {"international": ("supervisor", "admin"), "premium": ()}
PREMIUM_TYPES = {phonenumbers.PhoneNumberType.PREMIUM_RATE, phonenumbers.PhoneNumberType.SHARED_COST}


def destination_check(agent_id: int, raw: str) -> tuple[str, str]:
    """(E.164, '') when the agent may call `raw`, else ('', reason)."""
    number = normalize(raw)
    if not number.valid:
        return "", "invalid_number"
    parsed = phonenumbers.parse(number.e164)
    rules = getattr(settings, "OUTBOUND_RULES", DEFAULT_RULES)
    groups = set(Group.objects.filter(user__agent__pk=agent_id).values_list("name", flat=True))
    if phonenumbers.number_type(parsed) in PREMIUM_TYPES and not groups & set(rules.get("premium", ())):
        return "", "premium_not_allowed"
    home = settings.PHONENUMBER_DEFAULT_REGION
    if phonenumbers.region_code_for_number(parsed) != home and not groups & set(
        rules.get("international", ())
    ):
        return "", "international_not_allowed"
    return number.e164, ""


def trunk_endpoint(number: str) -> str:
    """The endpoint that dials an external number (`ARI_TRUNK_ENDPOINT`)."""
    return getattr(settings, "ARI_TRUNK_ENDPOINT", "PJSIP/{number}@carrier").format(number=number)


def _refused(agent_id: int, number: str, reason: str) -> None:
    realtime.publish(
        [realtime.agent_group(agent_id)],
        realtime.CommandFailed(command="dial", call_id=None, error_id=reason, detail=number),
    )


def _agent_endpoint(agent_id: int) -> str:
    return Agent.objects.values_list("endpoint", flat=True).get(pk=agent_id)


class OutboundMixin:
    async def cmd_dial(self, args: dict[str, Any], agent_id: int) -> None:
        """Ring the agent's phone; when answered, call the customer and bridge them."""
        number, reason = await db.run(destination_check, agent_id, str(args.get("number", "")))
        if reason:
            await db.run(_refused, agent_id, str(args.get("number", "")), reason)
            return
        endpoint = await db.run(_agent_endpoint, agent_id)
        leg = f"out-{uuid.uuid4().hex[:12]}"
        call = await db.run(
            services.start_call,
            channel_id=leg,
            caller_raw=number,
            dnis=number,
            direction=CallDirection.OUTBOUND,
            stasis_node=self.node,
        )
        agent = await db.run(services.claim_agent, call_id=call.pk, agent_ids=[agent_id], any_idle_state=True)
        if agent is None:
            await db.run(services.finish_call, call_id=call.pk, outcome=CallOutcome.FAILED)
            await db.run(_refused, agent_id, number, "agent_busy")
            return
        session = CallSession(channel_id=leg, call_id=call.pk, caller=number, phase="dialing_agent")
        session.agent_id, session.outbound_number = agent_id, number
        self.sessions[leg] = session
        try:
            await self.ari.originate(
                endpoint, app=self.app_name, app_args=f"{OUTBOUND_ARG},{call.pk}", channel_id=leg, timeout=30
            )
        except AriError as exc:
            self.sessions.pop(leg, None)
            await db.run(
                services.append_call_event, call_id=call.pk, kind="dial_failed", data={"error": str(exc)}
            )
            await db.run(services.finish_call, call_id=call.pk, outcome=CallOutcome.FAILED)

    async def outbound_agent_answered(self, leg: str) -> None:
        """The agent picked up: call the customer with the queue's caller ID."""
        session = self.sessions.get(leg)
        if session is None:
            await self.quietly(self.ari.hangup(leg))
            return
        async with session.lock:
            customer_leg = f"cust-{session.call_id}-{uuid.uuid4().hex[:6]}"
            session.agent_leg, session.phase = customer_leg, "dialing_customer"
            self.legs[customer_leg] = session
            session.bridge_id = f"call-{session.call_id}-{uuid.uuid4().hex[:8]}"
            await self.ari.create_bridge(type="mixing,proxy_media", bridge_id=session.bridge_id)
            await self.ari.add_channel(session.bridge_id, leg)
            try:
                await self.ari.originate(
                    trunk_endpoint(session.outbound_number),
                    app=self.app_name,
                    app_args=f"{CUSTOMER_ARG},{leg}",
                    channel_id=customer_leg,
                    caller_id=getattr(settings, "OUTBOUND_CALLER_ID", "") or None,
                    timeout=45,
                )
            except AriError as exc:
                await self.event(session, "dial_failed", error=str(exc))
                session.outcome = CallOutcome.FAILED
                await self.quietly(self.ari.hangup(leg))

    async def outbound_customer_answered(self, customer_leg: str) -> None:
        session = self.legs.get(customer_leg)
        if session is None:
            await self.quietly(self.ari.hangup(customer_leg))
            return
        async with session.lock:
            if session.ended:
                await self.quietly(self.ari.hangup(customer_leg))
                return
            session.phase = "connected"
            await self.ari.add_channel(session.bridge_id, customer_leg)
            await db.run(services.answer_call, call_id=session.call_id, agent_id=session.agent_id)
