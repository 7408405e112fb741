"""Three-way conference (a guest joins the call's bridge) and call pickup (a call ringing a colleague)."""

from __future__ import annotations

import logging
from typing import Any

from ccapp import services
from ccapp.services import transfers
from ccapp.stasis import db
from ccapp.stasis.commands import CommandRefused
from ccapp.stasis.consult import GUEST_ARG, agent_label
from ccapp.stasis.session import CallSession

log = logging.getLogger(__name__)


class ConferenceMixin:
    async def cmd_conference(self, session: CallSession, args: dict[str, Any]) -> None:
        """Ring a third party (agent or number) into the call; an answered consultation joins at once."""
        if session.phase != "connected" or not session.agent_leg:
            raise CommandRefused("call_not_connected")
        if session.consult is not None:
            if not session.consult.answered:
                raise CommandRefused("consult_in_progress")
            await self._merge_consult(session)
            return
        if session.guest is not None:
            raise CommandRefused("conference_in_progress")
        party = await self.claim_party(session, args, GUEST_ARG)
        party.host = await db.run(agent_label, session.agent_id)
        session.guest = party
        await self.party_step(session, "guest_invited", "guest", party, [session.agent_id, party.agent_id])
        await self.ring_party(session, party, GUEST_ARG)

    async def _merge_consult(self, session: CallSession) -> None:
        """The consulted target joins the caller and the agent in the call's bridge."""
        party = session.consult
        session.consult, session.guest = None, party
        await self.ari.add_channel(session.bridge_id, [session.agent_leg, party.leg])
        await self.resume_caller(session)
        await self.quietly(self.ari.destroy_bridge(party.bridge_id))
        party.bridge_id = ""
        agents = [session.agent_id, party.agent_id]
        await self.party_step(
            session, "consult_ended", "consult", None, agents, reason="merged", target=party.label
        )
        await self.party_step(session, "guest_joined", "guest", party, agents)

    async def guest_answered(self, session: CallSession, party: Any) -> None:
        await self.ari.add_channel(session.bridge_id, party.leg)
        if party.agent_id:
            await db.run(transfers.join_call, call_id=session.call_id, agent_id=party.agent_id)
        await self.party_step(session, "guest_joined", "guest", party, [session.agent_id, party.agent_id])

    async def cmd_conference_drop(self, session: CallSession, args: dict[str, Any]) -> None:
        """The agent hangs up the third party; caller and agent talk on."""
        if session.guest is None:
            raise CommandRefused("no_guest")
        await self.guest_over(session, "dropped", hang_up=True)

    async def guest_over(self, session: CallSession, reason: str, *, hang_up: bool) -> None:
        """The guest left (dropped, hung up, never answered); a caller left alone is hung up."""
        party = session.guest
        if party is None:
            return
        session.guest = None
        await self.let_party_go(session, party, "guest", reason, hang_up=hang_up)
        if not session.ended and not session.agent_leg and session.phase == "connected":
            session.phase = "leaving"  # the agent had left the conference: nobody is left for the caller
            await self.quietly(self.ari.hangup(session.channel_id))

    async def agent_left_conference(self, session: CallSession) -> bool:
        """The agent hung up in a conference: caller and guest talk on; the agent goes to wrap-up."""
        if session.guest is None:
            return False
        if not session.guest.answered:
            await self.guest_over(session, "agent_hung_up", hang_up=True)
            return False
        if session.agent_id:
            left = await db.run(transfers.leave_call, call_id=session.call_id, agent_id=session.agent_id)
            if left is not None and left.current_call_id and session.queue:
                self.schedule_wrapup_end(session.agent_id, session.call_id, session.queue.wrapup)
        return True

    # ---- the caller left a conference: agent and guest talk on until one of them hangs up -----------
    async def keep_conference(self, session: CallSession) -> list[int]:
        """Agents kept on the call while agent and guest talk on (the caller hung up in a conference)."""
        if session.guest is None or not session.guest.answered or not session.agent_leg:
            return []
        session.residual = True
        await self.event(session, "caller_left_conference")
        return [a for a in (session.agent_id, session.guest.agent_id) if a]

    async def residual_gone(self, session: CallSession, leg: str) -> None:
        """One of the two left after the caller hung up: the other is hung up, both are free."""
        session.residual = False
        party = session.guest
        session.guest = None
        for other in (session.agent_leg, party.leg if party else ""):
            if other and other != leg:
                self.legs.pop(other, None)
                await self.quietly(self.ari.hangup(other))
        if session.bridge_id:
            await self.quietly(self.ari.destroy_bridge(session.bridge_id))
        if session.agent_id:
            left = await db.run(transfers.leave_call, call_id=session.call_id, agent_id=session.agent_id)
            if left is not None and left.current_call_id and session.queue:
                self.schedule_wrapup_end(session.agent_id, session.call_id, session.queue.wrapup)
        if party is not None and party.agent_id:
            await db.run(
                transfers.release_party,
                call_id=session.call_id,
                agent_id=party.agent_id,
                reason="conference_over",
            )

    # ---- call pickup ----------------------------------------------------------------------------
    async def pickup(self, session: CallSession, agent_id: int) -> None:
        """Another agent takes a call ringing a colleague: those offers are withdrawn (not missed)."""
        if session.ended or session.phase != "ringing" or session.agent_leg or not session.offers:
            raise CommandRefused("not_ringing")
        if agent_id in session.offers.values():
            raise CommandRefused("already_ringing_you")
        claimed = await db.run(
            services.claim_agent, call_id=session.call_id, agent_ids=[agent_id], any_idle_state=True
        )
        if claimed is None:
            raise CommandRefused("agent_busy")
        withdrawn = sorted(set(session.offers.values()))
        await self.stop_offers(session)
        await db.run(
            transfers.note_party_step,
            call_id=session.call_id,
            kind="picked_up",
            agent_ids=[agent_id, *withdrawn],
            data={"agent": agent_id, "from": withdrawn},
        )
        await self.ring(session, [agent_id])
