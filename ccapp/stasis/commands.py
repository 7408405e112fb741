"""Commands from the web (agent desktop, wallboard) carried out on the calls this worker holds.

The web side checks who may ask (ccapp/consumers.py) and sends a `realtime.StasisCommand` to the
`stasis` group; every worker hears it and only the one holding the call acts. Results reach the
screens as `call_updated` events through `services.desk.record_call_update`; a failure becomes a
`command_failed` update with the reason, so the agent always learns what happened.

New legs this module originates (transfer targets, consultations, monitoring) are registered in
`app.legs` before they exist, so the app's own StasisStart handler leaves them to this module.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from ccapp import realtime, services
from ccapp.ari.errors import AriError
from ccapp.services import desk as desk_services
from ccapp.stasis import db
from ccapp.stasis.session import CallSession

log = logging.getLogger(__name__)

LEG_ARG = "desk"
RING_SECONDS = 20
# Group membership in the channel layer expires; joining again now and then keeps the worker in it.
REJOIN_SECONDS = 600.0
SNOOP_MODES = {"spy": ("both", None), "whisper": ("both", "out"), "barge": ("both", "both")}


def outside_endpoint(number: str) -> str:
    """The endpoint that reaches an outside number (the sample configuration's carrier trunk)."""
    pattern = getattr(settings, "CCAPP_OUTSIDE_ENDPOINT", "PJSIP/{number}@carrier")
    return pattern.format(number=number)


@dataclass
class Leg:
    """A channel this module originated, and what it is for."""

    session: CallSession
    purpose: str  # transfer | consult | conference | monitor
    agent_id: int | None = None
    from_agent_id: int | None = None
    note: str = ""
    bridge_id: str = ""
    answered: bool = False


class CommandListener:
    """Listens on the `stasis` group and runs each command under the call's session lock."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.ari = app.ari
        self.legs: dict[str, Leg] = {}
        self.consults: dict[int, str] = {}  # call id -> consultation leg
        app.ari.on("StasisStart", self.on_StasisStart)
        app.ari.on("ChannelDestroyed", self.on_ChannelDestroyed)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Receive commands until `stop` is set (or the task is cancelled)."""
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(realtime.STASIS, channel)
        try:
            while stop is None or not stop.is_set():
                try:
                    message = await asyncio.wait_for(layer.receive(channel), REJOIN_SECONDS)
                except TimeoutError:
                    await layer.group_add(realtime.STASIS, channel)
                    continue
                self.app.spawn(self.handle(message))
        finally:
            await layer.group_discard(realtime.STASIS, channel)

    def session_of(self, call_id: int | None) -> CallSession | None:
        for session in list(self.app.sessions.values()):
            if call_id and session.call_id == call_id:
                return session
        return None

    async def handle(self, message: dict[str, Any]) -> None:
        """Carry out one command if this worker holds its call."""
        name, call_id, agent_id = message.get("command", ""), message.get("call_id"), message.get("agent_id")
        args = message.get("args") or {}
        if name == "dial":
            await self.dial(agent_id, args["number"])
            return
        session = self.session_of(call_id)
        if session is None:
            return  # another worker's call, or it just ended
        handler = getattr(self, f"do_{name}", None)
        if handler is None:
            log.warning("unknown stasis command %r", name)
            return
        async with session.lock:
            try:
                if session.ended:
                    raise CommandFailed("call_ended")
                await handler(session, agent_id, args)
            except CommandFailed as exc:
                await self.failed(session, agent_id, name, exc.reason)
            except AriError as exc:
                log.warning("command %s on call %s failed: %s", name, call_id, exc)
                await self.failed(session, agent_id, name, "telephony_error")

    async def failed(self, session: CallSession, agent_id: int | None, command: str, reason: str) -> None:
        await db.run(
            desk_services.record_call_update,
            call_id=session.call_id,
            kind="command_failed",
            agent_ids=[agent_id] if agent_id else [],
            data={"command": command, "reason": reason},
        )

    async def updated(self, session: CallSession, kind: str, agent_ids: list[int], **data: Any) -> None:
        await db.run(
            desk_services.record_call_update,
            call_id=session.call_id,
            kind=kind,
            agent_ids=agent_ids,
            data=data,
        )

    def _agent_on_call(self, session: CallSession, agent_id: int | None) -> None:
        if session.phase != "connected" or not session.agent_leg or session.agent_id != agent_id:
            raise CommandFailed("not_on_call")

    # ---- during the call ------------------------------------------------------------------------
    async def do_hold(self, session: CallSession, agent_id: int | None, args: dict[str, Any]) -> None:
        self._agent_on_call(session, agent_id)
        # Music to the caller and the caller's voice kept from the bridge (ARI's hold is only a signal).
        await self.ari.start_moh(session.channel_id)
        await self.ari.mute(session.channel_id, direction="in")
        await self.updated(session, "hold", [agent_id])

    async def do_unhold(self, session: CallSession, agent_id: int | None, args: dict[str, Any]) -> None:
        self._agent_on_call(session, agent_id)
        await self.ari.stop_moh(session.channel_id)
        await self.ari.unmute(session.channel_id, direction="in")
        await self.updated(session, "unhold", [agent_id])

    async def do_mute(self, session: CallSession, agent_id: int | None, args: dict[str, Any]) -> None:
        self._agent_on_call(session, agent_id)
        await self.ari.mute(session.agent_leg, direction="in")
        await self.updated(session, "mute", [agent_id])

    async def do_unmute(self, session: CallSession, agent_id: int | None, args: dict[str, Any]) -> None:
        self._agent_on_call(session, agent_id)
        await self.ari.unmute(session.agent_leg, direction="in")
        await self.updated(session, "unmute", [agent_id])

    async def do_record_pause(self, session: CallSession, agent_id: int | None, args: dict[str, Any]) -> None:
        self._agent_on_call(session, agent_id)
        if not session.recording:
            raise CommandFailed("not_recording")
        await self.ari.pause_recording(session.recording)
        await self.updated(session, "recording_paused", [agent_id], name=session.recording)

    async def do_record_resume(
        self, session: CallSession, agent_id: int | None, args: dict[str, Any]
    ) -> None:
        self._agent_on_call(session, agent_id)
        if not session.recording:
            raise CommandFailed("not_recording")
        await self.ari.unpause_recording(session.recording)
        await self.updated(session, "recording_resumed", [agent_id], name=session.recording)

    async def do_hangup(self, session: CallSession, agent_id: int | None, args: dict[str, Any]) -> None:
        self._agent_on_call(session, agent_id)
        # The app sees its agent leg go and ends the call (or starts the survey) as for a phone hang-up.
        await self.ari.hangup(session.agent_leg)

    async def do_dtmf(self, session: CallSession, agent_id: int | None, args: dict[str, Any]) -> None:
        self._agent_on_call(session, agent_id)
        await self.ari.send_dtmf(session.channel_id, args["digits"])
        await self.updated(session, "dtmf", [agent_id], digits=len(args["digits"]))

    async def do_conference(self, session: CallSession, agent_id: int | None, args: dict[str, Any]) -> None:
        self._agent_on_call(session, agent_id)
        endpoint = await self._endpoint_for(args["number"])
        await self._originate(Leg(session, "conference", from_agent_id=agent_id), endpoint)
        await self.updated(session, "conference_dialling", [agent_id], number=args["number"])

    async def do_move_queue(self, session: CallSession, agent_id: int | None, args: dict[str, Any]) -> None:
        if session.phase != "queue" or session.offers:
            raise CommandFailed("call_not_waiting")
        self.app.leave_waitlist(session)
        await self.app.enter_queue(session, args["queue_id"])
        await self.updated(session, "moved", [], queue_id=args["queue_id"])

    # ---- transfers ------------------------------------------------------------------------------
    async def do_transfer(self, session: CallSession, agent_id: int | None, args: dict[str, Any]) -> None:
        self._agent_on_call(session, agent_id)
        note = args.get("note", "")
        if args["kind"] == "attended":
            await self._consult(session, agent_id, args)
            return
        if "agent_id" in args:
            await self._ring_agent(session, args["agent_id"], agent_id, note)  # fails before anything moves
            await self._drop_agent(session, agent_id)
            return
        await self._drop_agent(session, agent_id)
        await self.updated(
            session, "transferred", [], agent=None, note=note, target=args["target"], **{"from": agent_id}
        )
        if "queue_id" in args:
            await self._leave_bridge(session)
            await self.app.enter_queue(session, args["queue_id"])
        elif "flow" in args:
            flow = await db.run(db.flow_by_code, args["flow"])
            await self._leave_bridge(session)
            await self.app.start_ivr(session, flow.graph)
        else:
            leg = Leg(session, "transfer", from_agent_id=agent_id, note=note)
            await self._originate(leg, outside_endpoint(args["number"]))

    async def _ring_agent(self, session: CallSession, target: int, from_agent: int | None, note: str) -> str:
        claimed = await db.run(services.claim_agent, call_id=session.call_id, agent_ids=[target])
        if claimed is None:
            raise CommandFailed("target_unavailable")
        await db.run(services.offer_call, call_id=session.call_id, agent_id=target)
        endpoint = await db.run(db.agent_endpoint, target)
        leg = Leg(session, "transfer", agent_id=target, from_agent_id=from_agent, note=note)
        try:
            return await self._originate(leg, endpoint)
        except AriError:
            await db.run(services.miss_offer, call_id=session.call_id, agent_id=target, reason="unreachable")
            raise CommandFailed("target_unreachable") from None

    async def _drop_agent(self, session: CallSession, agent_id: int | None) -> None:
        """Take the transferring agent off the call (wrap-up for them); the caller hears music meanwhile."""
        leg = session.agent_leg
        self.app.legs.pop(leg, None)
        session.agent_leg, session.agent_id = "", None
        await self.ari.start_moh(session.channel_id)
        await self.app.quietly(self.ari.hangup(leg))
        if agent_id:
            await db.run(desk_services.release_after_transfer, call_id=session.call_id, agent_id=agent_id)

    async def _leave_bridge(self, session: CallSession) -> None:
        await self.app.quietly(self.ari.stop_moh(session.channel_id))
        if session.bridge_id:
            await self.app.quietly(self.ari.destroy_bridge(session.bridge_id))
            session.bridge_id = ""
        session.phase = "transferring"

    async def _consult(self, session: CallSession, agent_id: int | None, args: dict[str, Any]) -> None:
        """Attended transfer: the caller waits with music while the agent talks to the target."""
        if session.call_id in self.consults:
            raise CommandFailed("already_consulting")
        endpoint = await self._endpoint_for(
            args.get("number") or args.get("target", ""), args.get("agent_id")
        )
        await self.ari.start_moh(session.channel_id)
        await self.ari.mute(session.channel_id, direction="in")
        leg = Leg(
            session,
            "consult",
            agent_id=args.get("agent_id"),
            from_agent_id=agent_id,
            note=args.get("note", ""),
        )
        self.consults[session.call_id] = await self._originate(leg, endpoint)
        await self.updated(session, "consulting", [agent_id], target=args["target"])

    async def do_transfer_complete(
        self, session: CallSession, agent_id: int | None, args: dict[str, Any]
    ) -> None:
        self._agent_on_call(session, agent_id)
        leg_id = self.consults.pop(session.call_id, "")
        leg = self.legs.get(leg_id)
        if leg is None or not leg.answered:
            raise CommandFailed("no_consultation")
        await self._drop_agent(session, agent_id)
        await self.ari.stop_moh(session.channel_id)
        await self.ari.unmute(session.channel_id, direction="in")
        await self._join_call(leg_id, leg)

    async def do_transfer_cancel(
        self, session: CallSession, agent_id: int | None, args: dict[str, Any]
    ) -> None:
        self._agent_on_call(session, agent_id)
        leg_id = self.consults.pop(session.call_id, "")
        if not leg_id:
            raise CommandFailed("no_consultation")
        self.legs.pop(leg_id, None)
        self.app.legs.pop(leg_id, None)
        await self.app.quietly(self.ari.hangup(leg_id))
        await self.ari.stop_moh(session.channel_id)
        await self.ari.unmute(session.channel_id, direction="in")
        await self.updated(session, "consult_cancelled", [agent_id])

    # ---- monitoring and click-to-call -----------------------------------------------------------
    async def do_listen(self, session: CallSession, agent_id: int | None, args: dict[str, Any]) -> None:
        if session.phase != "connected" or not session.agent_leg:
            raise CommandFailed("call_not_live")
        spy, whisper = SNOOP_MODES[args["mode"]]
        bridge_id = f"monitor-{session.call_id}-{uuid.uuid4().hex[:8]}"
        await self.ari.create_bridge(type="mixing", bridge_id=bridge_id, name=bridge_id)
        snoop_id = f"snoop-{session.call_id}-{uuid.uuid4().hex[:8]}"
        self.legs[snoop_id] = Leg(session, "monitor", bridge_id=bridge_id)
        self.app.legs[snoop_id] = session
        await self.ari.snoop(
            session.agent_leg,
            app=self.app.app_name,
            spy=spy,
            whisper=whisper,
            app_args=LEG_ARG,
            snoop_id=snoop_id,
        )
        await self._originate(Leg(session, "monitor", bridge_id=bridge_id), args["endpoint"])
        # Only the wallboard hears of it: a silent listen is not announced on the agent's screen.
        await self.updated(session, "monitor", [], mode=args["mode"], supervisor=args.get("supervisor", ""))

    async def dial(self, agent_id: int | None, number: str) -> None:
        """Click-to-call: ring the agent's phone, then send it to the agents' dialplan for the number."""
        if agent_id is None:
            return
        endpoint = await db.run(db.agent_endpoint, agent_id)
        await self.app.quietly(
            self.ari.originate(
                endpoint, context="ccapp-agents", extension=number, priority=1, timeout=RING_SECONDS
            )
        )

    # ---- legs -----------------------------------------------------------------------------------
    async def _endpoint_for(self, target: str, agent_id: int | None = None) -> str:
        if agent_id:
            return await db.run(db.agent_endpoint, agent_id)
        found = await db.run(db.agent_by_extension, target)
        return await db.run(db.agent_endpoint, found) if found else outside_endpoint(target)

    async def _originate(self, leg: Leg, endpoint: str) -> str:
        leg_id = f"desk-{leg.purpose}-{leg.session.call_id}-{uuid.uuid4().hex[:8]}"
        self.legs[leg_id] = leg
        self.app.legs[leg_id] = leg.session  # so the app's StasisStart leaves this leg to us
        try:
            await self.ari.originate(
                endpoint,
                app=self.app.app_name,
                app_args=LEG_ARG,
                timeout=RING_SECONDS,
                caller_id=leg.session.caller or None,
                channel_id=leg_id,
            )
        except AriError:
            self.legs.pop(leg_id, None)
            self.app.legs.pop(leg_id, None)
            raise
        return leg_id

    async def on_StasisStart(self, event: Any) -> None:
        leg = self.legs.get(event.channel.id)
        if leg is None:
            return
        async with leg.session.lock:
            leg.answered = True
            if leg.session.ended:
                await self.app.quietly(self.ari.hangup(event.channel.id))
            elif leg.purpose == "monitor":
                await self.ari.add_channel(leg.bridge_id, event.channel.id)
            elif leg.purpose == "consult":
                await self.updated(
                    leg.session, "consult_answered", [leg.from_agent_id] if leg.from_agent_id else []
                )
            elif leg.purpose == "conference":
                await self.ari.add_channel(leg.session.bridge_id, event.channel.id)
                await self.updated(
                    leg.session, "conference_joined", [leg.session.agent_id] if leg.session.agent_id else []
                )
            else:
                await self._join_call(event.channel.id, leg)

    async def _join_call(self, leg_id: str, leg: Leg) -> None:
        """A transfer target answered: now the call's agent leg, with the screen pop and the note."""
        session = leg.session
        await self.app.quietly(self.ari.stop_moh(session.channel_id))
        if not session.bridge_id:
            session.bridge_id = f"call-{session.call_id}-{uuid.uuid4().hex[:8]}"
            await self.ari.create_bridge(type="mixing", bridge_id=session.bridge_id, name=session.bridge_id)
            await self.ari.add_channel(session.bridge_id, session.channel_id)
        await self.ari.add_channel(session.bridge_id, leg_id)
        self.legs.pop(leg_id, None)
        self.app.legs[leg_id] = session
        session.agent_leg, session.agent_id, session.phase = leg_id, leg.agent_id, "connected"
        if leg.agent_id:
            await db.run(
                desk_services.hand_over_call,
                call_id=session.call_id,
                from_agent_id=leg.from_agent_id,
                to_agent_id=leg.agent_id,
                note=leg.note,
            )

    async def on_ChannelDestroyed(self, event: Any) -> None:
        leg = self.legs.pop(event.channel.id, None)
        if leg is None:
            return
        self.app.legs.pop(event.channel.id, None)
        session = leg.session
        async with session.lock:
            if leg.purpose == "monitor":
                await self.app.quietly(self.ari.destroy_bridge(leg.bridge_id))
            elif leg.purpose == "consult":
                self.consults.pop(session.call_id, None)
                if leg.agent_id and not leg.answered:
                    await db.run(
                        services.miss_offer,
                        call_id=session.call_id,
                        agent_id=leg.agent_id,
                        reason="no_answer",
                    )
                await self.updated(session, "consult_ended", [leg.from_agent_id] if leg.from_agent_id else [])
            elif leg.purpose == "transfer" and not leg.answered and not session.ended:
                await self._transfer_failed(session, leg)

    async def _transfer_failed(self, session: CallSession, leg: Leg) -> None:
        """Nobody took the transferred caller: back to the head of their queue (never left in silence)."""
        if leg.agent_id:
            await db.run(
                services.miss_offer, call_id=session.call_id, agent_id=leg.agent_id, reason="no_answer"
            )
        await self.updated(session, "transfer_failed", [leg.from_agent_id] if leg.from_agent_id else [])
        await self._leave_bridge(session)
        if session.queue is not None:
            await self.app.enter_queue(session, session.queue.id)
        else:
            await self.app.failover(session, "transfer_failed")


class CommandFailed(Exception):
    """A command that cannot be carried out now; `reason` is shown to the agent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
