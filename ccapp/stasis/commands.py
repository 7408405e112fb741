"""Commands from the agent's and supervisor's screens (over the channel layer) on live calls.

Every worker listens on `realtime.STASIS` and ignores calls it does not hold. The desk has
already checked who may ask; the worker checks the call is still in a state where it applies.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import Any

from channels.layers import get_channel_layer

from ccapp import realtime, services
from ccapp.ari.errors import AriError
from ccapp.models import Agent, AgentState, Call, CallOutcome
from ccapp.stasis import db
from ccapp.stasis.session import CallSession

log = logging.getLogger(__name__)

SNOOP_ARG = "snoop"
SUPERVISOR_ARG = "supervisor"
# listen: hear both sides; whisper: also speak to the agent only; barge: join the call's bridge.
SNOOP_MODES = {"listen": {"spy": "both"}, "whisper": {"spy": "both", "whisper": "out"}}
# Commands on the sender's own call: refused when the call is no longer theirs (transferred away,
# or a forged message that got past the web side).
# A consulted colleague or a conference guest is on the call too, but it is not theirs to control.
OWN_CALL_COMMANDS = frozenset(
    {"hold", "unhold", "mute", "unmute", "record_pause", "record_resume", "hangup", "dtmf", "transfer"}
    | {"transfer_complete", "transfer_cancel", "conference", "conference_drop"}
)
# Commands with a third party: their refusals also go into the call's timeline.
PARTY_COMMANDS = frozenset(
    {"transfer", "transfer_complete", "transfer_cancel", "conference", "conference_drop", "pickup"}
)
DIGITS = re.compile(r"^[0-9*#]{1,20}$")


class CommandRefused(Exception):
    """A command that does not apply to the call as it is now; `error_id` says why."""

    def __init__(self, error_id: str, detail: str = "") -> None:
        super().__init__(error_id)
        self.error_id = error_id
        self.detail = detail


class CommandMixin:
    async def listen_commands(self) -> None:
        """Receive web -> stasis commands until cancelled."""
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(realtime.STASIS, channel)
        while True:
            try:
                message = await layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis hiccup: keep listening
                task = asyncio.current_task()
                if task is not None and task.cancelling():  # a cancel swallowed by redis-py's timeout
                    raise asyncio.CancelledError from None
                await asyncio.sleep(0.1)
                continue
            if message.get("type") == realtime.COMMAND_TYPE:
                self.spawn(self.run_command(message))

    def session_of_call(self, call_id: int | None) -> CallSession | None:
        return next((s for s in self.sessions.values() if s.call_id == call_id), None)

    async def run_command(self, message: dict[str, Any]) -> None:
        """Carry out one command on a call this worker holds (others are ignored).

        A command that does not apply any more (the call ended, a double click, a target who went
        offline, a call that is not the sender's) changes nothing and is answered with a
        `command_failed` event to the sender's screens only.
        """
        if message.get("command") == "dial" and message.get("agent_id"):
            # Click-to-call has no call yet. With several workers each would dial: route dial
            # commands to one worker (see docs/telephony.md).
            await self.cmd_dial(dict(message.get("args") or {}), int(message["agent_id"]))
            return
        call_id = message.get("call_id")
        session = self.session_of_call(call_id)
        if session is None:
            # Every worker hears every command; the one that ran the call says it is over.
            if isinstance(call_id, int) and await db.run(_ended_here, call_id, self.node):
                await self.refuse(message, CommandRefused("call_ended"))
            return
        command, args = str(message.get("command", "")), dict(message.get("args") or {})
        handler = getattr(self, f"cmd_{command}", None)
        if handler is None and command != "pickup":
            log.info("unknown stasis command %r", command)
            await self.refuse(message, CommandRefused("unknown_command"))
            return
        async with session.lock:
            try:
                # The call may have ended, or moved on to a new Call (a transfer), while this waited.
                if session.ended or session.phase == "leaving" or session.call_id != call_id:
                    raise CommandRefused("call_ended")
                if command == "pickup":  # another agent than the call's: it rings someone else
                    await self.pickup(session, int(message.get("agent_id") or 0))
                else:
                    if command in OWN_CALL_COMMANDS and message.get("agent_id") != session.agent_id:
                        raise CommandRefused("not_your_call")
                    await handler(session, args)
            except CommandRefused as exc:
                failure: CommandRefused | None = exc
                if command in PARTY_COMMANDS:
                    await db.run(
                        services.append_call_event,
                        call_id=call_id,
                        kind="command_failed",
                        data={"command": command, "error_id": exc.error_id},
                    )
            except AriError as exc:
                log.warning("command %s on call %s failed: %s", command, session.call_id, exc)
                await self.event(session, "command_failed", command=command, error=str(exc))
                failure = CommandRefused("phone_error", str(exc))
            else:
                failure = None
        if failure is not None:
            await self.refuse(message, failure)

    async def refuse(self, message: dict[str, Any], failure: CommandRefused) -> None:
        """Tell the screens that sent `message` why it was not carried out."""
        group = str(message.get("reply_to") or "")
        if not group and message.get("agent_id"):
            group = realtime.agent_group(int(message["agent_id"]))
        if not group:
            return
        event = realtime.CommandFailed(
            command=str(message.get("command", "")),
            call_id=message.get("call_id"),
            error_id=failure.error_id,
            request_id=str(message.get("request_id", "")),
            detail=failure.detail[:200],
        )
        await db.run(realtime.publish, [group], event)

    async def _updated(self, session: CallSession, kind: str, **data: Any) -> None:
        await db.run(services.append_call_event, call_id=session.call_id, kind=kind, data=data)
        # A consulted colleague or guest sees the same card, flags included.
        parties = [p.agent_id for p in (session.consult, session.guest) if p and p.agent_id]
        agents = [a for a in (session.agent_id, *parties) if a]
        if agents:
            await db.run(_push_update, agents, session.call_id, kind, data)

    # ---- the agent's own call ------------------------------------------------------------------
    async def cmd_hold(self, session: CallSession, args: dict[str, Any]) -> None:
        # Asterisk sends no ChannelHold for an app's hold: music to the caller, and the agent's
        # audio cut so the caller does not hear the agent either.
        if session.phase != "connected":
            raise CommandRefused("call_not_connected")
        if session.on_hold:
            raise CommandRefused("already_on_hold")
        await self.hold_caller(session)

    async def cmd_unhold(self, session: CallSession, args: dict[str, Any]) -> None:
        if not session.on_hold:
            raise CommandRefused("not_on_hold")
        if session.consult is not None:
            # The caller is held for the consultation: cancel or complete it instead.
            raise CommandRefused("consult_in_progress")
        await self.resume_caller(session)

    async def cmd_mute(self, session: CallSession, args: dict[str, Any]) -> None:
        if not session.agent_leg:
            raise CommandRefused("call_not_connected")
        await self.ari.mute(session.agent_leg, direction="in")
        await self._updated(session, "mute")

    async def cmd_unmute(self, session: CallSession, args: dict[str, Any]) -> None:
        if not session.agent_leg:
            raise CommandRefused("call_not_connected")
        await self.ari.unmute(session.agent_leg, direction="in")
        await self._updated(session, "unmute")

    async def cmd_record_pause(self, session: CallSession, args: dict[str, Any]) -> None:
        await self._pause_recording(session, paused=True)

    async def cmd_record_resume(self, session: CallSession, args: dict[str, Any]) -> None:
        await self._pause_recording(session, paused=False)

    async def _pause_recording(self, session: CallSession, *, paused: bool) -> None:
        # Asterisk sends no event for a pause: the timeline and the agent's screen learn it from here.
        if not session.recording:
            raise CommandRefused("not_recording")
        pause = self.ari.pause_recording if paused else self.ari.unpause_recording
        await pause(session.recording)
        await db.run(
            services.mark_recording_paused, name=session.recording, paused=paused, agent_id=session.agent_id
        )

    async def cmd_hangup(self, session: CallSession, args: dict[str, Any]) -> None:
        session.phase = "leaving"
        await self.quietly(self.ari.hangup(session.channel_id))

    async def cmd_dtmf(self, session: CallSession, args: dict[str, Any]) -> None:
        digits = str(args.get("digits", ""))
        if not DIGITS.match(digits):
            raise CommandRefused("invalid_digits")
        if session.phase != "connected":
            raise CommandRefused("call_not_connected")
        await self.ari.send_dtmf(session.channel_id, digits)

    async def cmd_transfer(self, session: CallSession, args: dict[str, Any]) -> None:
        """Blind transfer: the agent leaves, the caller goes on as a new Call linked to this one."""
        if session.phase != "connected":
            raise CommandRefused("call_not_connected")
        if args.get("agent_id") and not await db.run(_agent_ready, int(args["agent_id"])):
            # Checked before the agent leaves: the caller stays with them instead of a failover.
            raise CommandRefused("target_unavailable")
        if args.get("kind", "blind") == "attended":
            await self.start_consult(session, args)
            return
        if session.consult is not None or session.guest is not None:
            raise CommandRefused("consult_in_progress" if session.consult else "conference_in_progress")
        await self._drop_agent(session)
        old_call = session.call_id
        await db.run(services.finish_call, call_id=old_call, outcome=CallOutcome.TRANSFERRED)
        if session.agent_id and session.queue:
            self.schedule_wrapup_end(session.agent_id, old_call, session.queue.wrapup)
        call = await db.run(
            services.start_transferred_call,
            parent_id=old_call,
            note=str(args.get("note", "")),
            stasis_node=self.node,
        )
        session.call_id, session.agent_id, session.recording = call.pk, None, ""
        session.phase, session.options_offered = "transfer", False
        await self._transfer_to(session, args)

    async def _drop_agent(self, session: CallSession) -> None:
        leg = session.agent_leg
        session.agent_leg = ""
        self.legs.pop(leg, None)
        if session.on_hold:
            await self.quietly(self.ari.stop_moh(session.channel_id))
            session.on_hold = False
        await self.quietly(self.ari.hangup(leg))
        if session.bridge_id:
            await self.quietly(self.ari.destroy_bridge(session.bridge_id))
            session.bridge_id = ""

    async def _transfer_to(self, session: CallSession, args: dict[str, Any]) -> None:
        if args.get("queue_id"):
            await self.enter_queue(session, int(args["queue_id"]))
        elif args.get("agent_id"):
            agent = await db.run(
                services.claim_agent, call_id=session.call_id, agent_ids=[int(args["agent_id"])]
            )
            if agent is None:
                await self.failover(session, "transfer_target_unavailable")
            else:
                await self.ring(session, [agent.pk])
        elif args.get("flow"):
            flow = await db.run(db.flow_by_code, args["flow"])
            if flow is None:
                await self.failover(session, "transfer_flow_missing")
            else:
                await self.start_ivr(session, flow.graph, flow=flow.code)
        elif args.get("number"):
            await self.transfer_external(session, str(args["number"]))
        else:
            await self.failover(session, "transfer_without_target")

    # ---- supervisors ---------------------------------------------------------------------------
    async def cmd_listen(self, session: CallSession, args: dict[str, Any]) -> None:
        """Ring the supervisor's phone; on answer it hears (or whispers to, or joins) the call."""
        if session.phase != "connected":
            raise CommandRefused("call_not_connected")
        mode, endpoint = str(args.get("mode", "listen")), str(args.get("endpoint", ""))
        leg = f"sup-{session.call_id}-{uuid.uuid4().hex[:8]}"
        session.monitors[leg] = mode
        self.legs[leg] = session
        await self.event(session, "monitor_started", mode=mode, supervisor=args.get("supervisor", ""))
        try:
            await self.ari.originate(
                endpoint, app=self.app_name, app_args=f"{SUPERVISOR_ARG},{session.channel_id}", channel_id=leg
            )
        except AriError:
            session.monitors.pop(leg, None)
            self.legs.pop(leg, None)
            raise

    async def supervisor_answered(self, leg: str) -> None:
        session = self.legs.get(leg)
        if session is None or session.ended or not session.agent_leg:
            await self.quietly(self.ari.hangup(leg))
            return
        async with session.lock:
            mode = session.monitors.get(leg, "listen")
            if mode == "barge":
                await self.ari.add_channel(session.bridge_id, leg)
                return
            snoop_id = f"snoop-{leg}"
            self.legs[snoop_id] = session
            await self.ari.snoop(
                session.agent_leg,
                app=self.app_name,
                app_args=SNOOP_ARG,
                snoop_id=snoop_id,
                **SNOOP_MODES[mode],
            )
            bridge_id = f"mon-{leg}"
            await self.ari.create_bridge(type="mixing", bridge_id=bridge_id)
            await self.ari.add_channel(bridge_id, [snoop_id, leg])
            session.monitor_bridges.append(bridge_id)

    # ---- supervisors moving waiting calls ------------------------------------------------------
    async def cmd_move_queue(self, session: CallSession, args: dict[str, Any]) -> None:
        if session.phase not in ("queue", "ringing"):
            raise CommandRefused("call_not_waiting")
        await self.release_from_queue(session)
        await self.event(session, "moved", queue=args.get("queue_id"))
        await self.enter_queue(session, int(args["queue_id"]))


def _ended_here(call_id: int, node: str) -> bool:
    return Call.objects.filter(pk=call_id, stasis_node=node, ended_at__isnull=False).exists()


def _agent_ready(agent_id: int) -> bool:
    return Agent.objects.filter(pk=agent_id, state=AgentState.READY).exists()


def _push_update(agent_ids: list[int], call_id: int, kind: str, data: dict[str, Any]) -> None:
    groups = [realtime.agent_group(agent_id) for agent_id in agent_ids]
    realtime.publish(groups, realtime.CallUpdated(call_id, kind, data))
