"""Commands from the agent's and supervisor's screens (over the channel layer) on live calls.

Every worker listens on `realtime.STASIS` and ignores calls it does not hold. The desk has
already checked who may ask; the worker checks the call is still in a state where it applies.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from channels.layers import get_channel_layer

from ccapp import realtime, services
from ccapp.ari.errors import AriError
from ccapp.models import CallOutcome
from ccapp.stasis import db
from ccapp.stasis.session import CallSession

log = logging.getLogger(__name__)

SNOOP_ARG = "snoop"
SUPERVISOR_ARG = "supervisor"
# listen: hear both sides; whisper: also speak to the agent only; barge: join the call's bridge.
SNOOP_MODES = {"listen": {"spy": "both"}, "whisper": {"spy": "both", "whisper": "out"}}


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
                await asyncio.sleep(0.1)
                continue
            if message.get("type") == realtime.COMMAND_TYPE:
                self.spawn(self.run_command(message))

    def session_of_call(self, call_id: int | None) -> CallSession | None:
        return next((s for s in self.sessions.values() if s.call_id == call_id), None)

    async def run_command(self, message: dict[str, Any]) -> None:
        """Carry out one command on a call this worker holds (others are ignored)."""
        if message.get("command") == "dial" and message.get("agent_id"):
            # Click-to-call has no call yet. With several workers each would dial: route dial
            # commands to one worker (see docs/telephony.md).
            await self.cmd_dial(dict(message.get("args") or {}), int(message["agent_id"]))
            return
        session = self.session_of_call(message.get("call_id"))
        if session is None:
            return
        command, args = message.get("command", ""), dict(message.get("args") or {})
        handler = getattr(self, f"cmd_{command}", None)
        if handler is None:
            log.info("unknown stasis command %r", command)
            return
        async with session.lock:
            if session.ended:
                return
            try:
                await handler(session, args)
            except AriError as exc:
                log.warning("command %s on call %s failed: %s", command, session.call_id, exc)
                await self.event(session, "command_failed", command=command, error=str(exc))

    async def _updated(self, session: CallSession, kind: str, **data: Any) -> None:
        await db.run(services.append_call_event, call_id=session.call_id, kind=kind, data=data)
        if session.agent_id:
            await db.run(_push_update, session.agent_id, session.call_id, kind, data)

    # ---- the agent's own call ------------------------------------------------------------------
    async def cmd_hold(self, session: CallSession, args: dict[str, Any]) -> None:
        # Asterisk sends no ChannelHold for an app's hold: music to the caller, and the agent's
        # audio cut so the caller does not hear the agent either.
        if session.phase != "connected" or session.on_hold:
            return
        await self.ari.start_moh(
            session.channel_id, moh_class=session.queue.music_class if session.queue else None
        )
        await self.ari.mute(session.agent_leg, direction="in")
        session.on_hold = True
        await self._updated(session, "hold")

    async def cmd_unhold(self, session: CallSession, args: dict[str, Any]) -> None:
        if not session.on_hold:
            return
        await self.quietly(self.ari.stop_moh(session.channel_id))
        await self.quietly(self.ari.unmute(session.agent_leg, direction="in"))
        session.on_hold = False
        await self._updated(session, "unhold")

    async def cmd_mute(self, session: CallSession, args: dict[str, Any]) -> None:
        if session.agent_leg:
            await self.ari.mute(session.agent_leg, direction="in")
            await self._updated(session, "mute")

    async def cmd_unmute(self, session: CallSession, args: dict[str, Any]) -> None:
        if session.agent_leg:
            await self.ari.unmute(session.agent_leg, direction="in")
            await self._updated(session, "unmute")

    async def cmd_record_pause(self, session: CallSession, args: dict[str, Any]) -> None:
        if session.recording:
            await self.ari.pause_recording(session.recording)
            await db.run(services.mark_recording_paused, name=session.recording, paused=True)

    async def cmd_record_resume(self, session: CallSession, args: dict[str, Any]) -> None:
        if session.recording:
            await self.ari.unpause_recording(session.recording)
            await db.run(services.mark_recording_paused, name=session.recording, paused=False)

    async def cmd_hangup(self, session: CallSession, args: dict[str, Any]) -> None:
        session.phase = "leaving"
        await self.quietly(self.ari.hangup(session.channel_id))

    async def cmd_dtmf(self, session: CallSession, args: dict[str, Any]) -> None:
        await self.ari.send_dtmf(session.channel_id, str(args.get("digits", "")))

    async def cmd_transfer(self, session: CallSession, args: dict[str, Any]) -> None:
        """Blind transfer: the agent leaves, the caller goes on as a new Call linked to this one."""
        if session.phase != "connected":
            return
        if args.get("kind", "blind") != "blind":
            await self.event(
                session, "command_failed", command="transfer", error="attended transfer not supported"
            )
            return
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
                await self.start_ivr(session, flow.graph)
        elif args.get("number"):
            await self.transfer_external(session, str(args["number"]))
        else:
            await self.failover(session, "transfer_without_target")

    # ---- supervisors ---------------------------------------------------------------------------
    async def cmd_listen(self, session: CallSession, args: dict[str, Any]) -> None:
        """Ring the supervisor's phone; on answer it hears (or whispers to, or joins) the call."""
        if session.phase != "connected":
            return
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
            return
        await self.release_from_queue(session)
        await self.event(session, "moved", queue=args.get("queue_id"))
        await self.enter_queue(session, int(args["queue_id"]))


def _push_update(agent_id: int, call_id: int, kind: str, data: dict[str, Any]) -> None:
    realtime.publish([realtime.agent_group(agent_id)], realtime.CallUpdated(call_id, kind, data))
