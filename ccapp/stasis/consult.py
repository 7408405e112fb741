"""Attended transfer: the agent consults a colleague, a queue's agent or a number, then completes or cancels.

While the target rings the caller hears music and the agent's audio is cut (the same hold as the
`hold` command). Once the target answers, the agent's leg moves into a consultation bridge with the
target; the caller stays alone in the call's bridge with the music. Complete moves the caller into
the consultation bridge and hangs up the agent's leg; cancel (or a target that does not answer,
declines or hangs up) moves the agent back to the caller.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings

from ccapp import services
from ccapp.ari.errors import AriError
from ccapp.models import Agent, CallOutcome, Queue
from ccapp.services import transfers
from ccapp.stasis import db
from ccapp.stasis.commands import CommandRefused
from ccapp.stasis.offers import DEFAULT_RING_TIMEOUT, MISS_REASONS
from ccapp.stasis.outbound import destination_check, trunk_endpoint
from ccapp.stasis.session import CallSession, Party

log = logging.getLogger(__name__)

CONSULT_ARG = "consult"
GUEST_ARG = "guest"


def agent_label(agent_id: int) -> str:
    """An agent's name as the screens show it."""
    agent = Agent.objects.select_related("user").get(pk=agent_id)
    return agent.user.get_full_name() or agent.user.get_username()


def _queue_name(queue_id: int) -> str:
    return Queue.objects.values_list("name", flat=True).get(pk=queue_id)


class ConsultMixin:
    # ---- shared with the conference: refusing, claiming and ringing a third party -------------
    async def party_step(
        self,
        session: CallSession,
        kind: str,
        key: str,
        party: Party | None,
        agents: list[int | None],
        **extra: Any,
    ) -> None:
        """Record a step of a consultation (`key` consult) or conference (`key` guest) and push it."""
        data = {key: party.public(by=session.agent_id) if party else None, **extra}
        await db.run(
            transfers.note_party_step,
            call_id=session.call_id,
            kind=kind,
            agent_ids=[a for a in agents if a],
            data=data,
        )

    async def claim_party(self, session: CallSession, args: dict[str, Any], prefix: str) -> Party:
        """The target of a consultation or conference, claimed (an agent only if ready), else refused."""
        leg = f"{prefix}-{session.call_id}-{uuid.uuid4().hex[:8]}"
        agent_id = int(args["agent_id"]) if args.get("agent_id") else None
        queue_id = int(args["queue_id"]) if args.get("queue_id") else None
        if queue_id is not None and agent_id is None:
            candidates = [a for a in await db.run(db.ready_members, queue_id) if a != session.agent_id]
            claimed = await db.run(services.claim_agent, call_id=session.call_id, agent_ids=candidates)
            if claimed is None:
                raise CommandRefused("queue_no_agent")
            label = f"{await db.run(_queue_name, queue_id)} · {await db.run(agent_label, claimed.pk)}"
            return Party(leg, "queue", label, agent_id=claimed.pk, queue_id=queue_id)
        if agent_id is not None:
            if agent_id == session.agent_id:
                raise CommandRefused("target_is_self")
            claimed = await db.run(services.claim_agent, call_id=session.call_id, agent_ids=[agent_id])
            if claimed is None:
                raise CommandRefused("target_unavailable")
            return Party(leg, "agent", await db.run(agent_label, agent_id), agent_id=agent_id)
        if args.get("number") and session.agent_id:
            number, reason = await db.run(destination_check, session.agent_id, str(args["number"]))
            if reason:
                raise CommandRefused(reason)
            return Party(leg, "number", number, number=number)
        raise CommandRefused("no_target")

    async def ring_party(self, session: CallSession, party: Party, app_arg: str) -> bool:
        """Originate the party's phone into this app; False when it could not even ring (then ended)."""
        self.legs[party.leg] = session
        timeout = session.queue.ring_timeout if session.queue else DEFAULT_RING_TIMEOUT
        if party.agent_id:
            await db.run(transfers.ring_party, call_id=session.call_id, agent_id=party.agent_id)
            endpoint = await db.run(db.agent_endpoint, party.agent_id)
            caller_id = session.caller or None
        else:
            endpoint = trunk_endpoint(party.number)
            caller_id = getattr(settings, "OUTBOUND_CALLER_ID", "") or None
        try:
            await self.ari.originate(
                endpoint,
                app=self.app_name,
                app_args=f"{app_arg},{session.channel_id}",
                timeout=max(1, round(timeout)),
                caller_id=caller_id,
                channel_id=party.leg,
            )
        except AriError as exc:
            log.warning("third party %s unreachable: %s", endpoint, exc)
            await self.party_gone(session, party.leg, cause=0, reason="unreachable")
            return False
        return True

    async def party_answered(self, leg: str) -> None:
        """StasisStart of a consulted target's or conference guest's leg."""
        session = self.legs.get(leg)
        if session is None:
            await self.quietly(self.ari.hangup(leg))
            return
        async with session.lock:
            party = next((p for p in (session.consult, session.guest) if p and p.leg == leg), None)
            if party is None or party.answered or session.ended:
                self.legs.pop(leg, None)
                await self.quietly(self.ari.hangup(leg))
                return
            party.answered = True
            if party is session.consult:
                await self._consult_answered(session, party)
            else:
                await self.guest_answered(session, party)

    async def party_gone(self, session: CallSession, leg: str, *, cause: int, reason: str = "") -> None:
        """A consulted target's or guest's leg ended (hung up, no answer, busy, declined, unreachable)."""
        self.legs.pop(leg, None)
        party = session.consult if session.consult and session.consult.leg == leg else None
        if party is not None:
            reason = reason or (
                "target_hung_up" if party.answered else MISS_REASONS.get(cause, f"cause_{cause}")
            )
            await self.end_consult(session, reason, hang_up=False)
        elif session.guest and session.guest.leg == leg:
            reason = reason or (
                "hung_up" if session.guest.answered else MISS_REASONS.get(cause, f"cause_{cause}")
            )
            await self.guest_over(session, reason, hang_up=False)

    async def let_party_go(
        self, session: CallSession, party: Party, key: str, reason: str, *, hang_up: bool
    ) -> None:
        """A consultation (`key` consult) or guest (`key` guest) ended: leg gone, agent ready, pushed."""
        self.legs.pop(party.leg, None)
        if hang_up:
            await self.quietly(self.ari.hangup(party.leg))
        if party.agent_id:
            await db.run(
                transfers.release_party,
                call_id=session.call_id,
                agent_id=party.agent_id,
                reason=f"{key}_{reason}",
            )
        kind = "consult_ended" if key == "consult" else "guest_left"
        agents = [session.agent_id, party.agent_id]
        await self.party_step(session, kind, key, None, agents, reason=reason, target=party.label)

    async def drop_parties(self, session: CallSession, reason: str) -> None:
        """The caller left: hang up a consultation or a guest still ringing or talking."""
        if session.consult is not None:
            await self.end_consult(session, reason, hang_up=True)
        if session.guest is not None:
            await self.guest_over(session, reason, hang_up=True)

    # ---- attended transfer ------------------------------------------------------------------------
    async def start_consult(self, session: CallSession, args: dict[str, Any]) -> None:
        """Caller on hold, target rung; the agent talks to the target once they answer."""
        if session.consult is not None or session.guest is not None:
            reason = "consult_in_progress" if session.consult else "conference_in_progress"
            raise CommandRefused(reason)
        party = await self.claim_party(session, args, CONSULT_ARG)
        party.host = await db.run(agent_label, session.agent_id)
        party.note = str(args.get("note", ""))[:1000]
        session.consult = party
        await self.hold_caller(session)
        await self.party_step(
            session, "consult_started", "consult", party, [session.agent_id, party.agent_id]
        )
        await self.ring_party(session, party, CONSULT_ARG)

    async def _consult_answered(self, session: CallSession, party: Party) -> None:
        # Bridge first: the agent's leg moves out of the call's bridge into the consultation's.
        party.bridge_id = f"consult-{session.call_id}-{uuid.uuid4().hex[:8]}"
        await self.ari.create_bridge(type="mixing,proxy_media", bridge_id=party.bridge_id, name="consult")
        await self.ari.add_channel(party.bridge_id, [session.agent_leg, party.leg])
        await self.quietly(self.ari.unmute(session.agent_leg, direction="in"))
        if party.agent_id:
            await db.run(transfers.join_call, call_id=session.call_id, agent_id=party.agent_id)
        await self.party_step(
            session, "consult_answered", "consult", party, [session.agent_id, party.agent_id]
        )

    async def end_consult(self, session: CallSession, reason: str, *, hang_up: bool) -> None:
        """The consultation is over without a transfer: target gone, agent back with the caller."""
        party = session.consult
        if party is None:
            return
        session.consult = None
        await self.let_party_go(session, party, "consult", reason, hang_up=hang_up)
        if not session.ended and session.agent_leg:
            if party.bridge_id:
                await self.ari.add_channel(session.bridge_id, session.agent_leg)
            await self.resume_caller(session)
        if party.bridge_id:
            await self.quietly(self.ari.destroy_bridge(party.bridge_id))

    async def hold_caller(self, session: CallSession) -> None:
        """Music to the caller and the agent's audio cut (Asterisk sends no ChannelHold for this)."""
        if session.on_hold:
            return
        await self.ari.start_moh(
            session.channel_id, moh_class=session.queue.music_class if session.queue else None
        )
        await self.ari.mute(session.agent_leg, direction="in")
        session.on_hold = True
        await self._updated(session, "hold")

    async def resume_caller(self, session: CallSession) -> None:
        """The caller hears the agent again."""
        if not session.on_hold:
            return
        await self.quietly(self.ari.stop_moh(session.channel_id))
        await self.quietly(self.ari.unmute(session.agent_leg, direction="in"))
        session.on_hold = False
        await self._updated(session, "unhold")

    async def cmd_transfer_cancel(self, session: CallSession, args: dict[str, Any]) -> None:
        """Hang up the consultation; the agent is back with the caller."""
        if session.consult is None:
            raise CommandRefused("no_consult")
        await self.end_consult(session, "cancelled", hang_up=True)

    async def cmd_transfer_complete(self, session: CallSession, args: dict[str, Any]) -> None:
        """The caller joins the target; the first agent's leg leaves and they go to wrap-up."""
        party = session.consult
        if party is None or not party.answered:
            reason = "no_consult" if party is None else "consult_not_answered"
            raise CommandRefused(reason)
        await self.complete_consult(session, party)

    async def complete_consult(self, session: CallSession, party: Party) -> None:
        """Caller into the consultation bridge, first agent out; the Call moves on to the target."""
        session.consult = None
        old_call, first_agent, old_leg, old_bridge = (
            session.call_id,
            session.agent_id,
            session.agent_leg,
            session.bridge_id,
        )
        await self.quietly(self.ari.stop_moh(session.channel_id))
        session.on_hold = False
        await self.ari.add_channel(party.bridge_id, session.channel_id)
        if old_leg:
            self.legs.pop(old_leg, None)
            await self.quietly(self.ari.hangup(old_leg))
        session.cancel_timers("limit_warning", "limit")
        if old_bridge:
            await self.quietly(self.ari.destroy_bridge(old_bridge))  # ends the first agent's recording
        new = await db.run(
            transfers.complete_transfer,
            call_id=old_call,
            note=party.note,
            agent_id=party.agent_id,
            queue_id=party.queue_id,
            number=party.number,
            stasis_node=self.node,
        )
        if first_agent and session.queue:
            self.schedule_wrapup_end(first_agent, old_call, session.queue.wrapup)
        session.agent_leg, session.bridge_id, session.recording = party.leg, party.bridge_id, ""
        if new is None:  # to a number: the caller stays bridged with it, no agent's call any more
            session.agent_id, session.phase, session.outcome = None, "external", CallOutcome.TRANSFERRED
            return
        session.call_id, session.agent_id = new.pk, party.agent_id
        if party.queue_id:
            session.queue = await self.queue_settings(queue_id=party.queue_id)
        await self.watch_connected(session)

    async def agent_left(self, session: CallSession) -> bool:
        """The agent's phone hung up with a third party around; True when that party carries the call on.

        A consulted target who answered gets the caller (transfer on hang-up); a conference goes on
        between caller and guest; a consultation or guest still ringing is hung up and the caller's
        call goes on as after any agent hang-up.
        """
        party = session.consult
        if party is not None and party.answered:
            await self.complete_consult(session, party)
            return True
        if await self.agent_left_conference(session):
            return True
        if party is not None:
            await self.end_consult(session, "agent_hung_up", hang_up=True)
        if session.on_hold:
            await self.quietly(self.ari.stop_moh(session.channel_id))
            session.on_hold = False
        return False
