"""Running the IVR interpreter for a caller: engine commands become ARI calls and service calls."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from ccapp import services
from ccapp.ivr import messages as m
from ccapp.ivr.engine import handle, new_state
from ccapp.models import CallOutcome
from ccapp.stasis import db
from ccapp.stasis.lookups import run_lookup
from ccapp.stasis.session import CallSession

log = logging.getLogger(__name__)

# The post-call survey is an IVR flow like any other: CSAT 1-5, then NPS 0-10 ('#' after one digit).
SURVEY_FLOW = {
    "start": "csat",
    "nodes": {
        "csat": {
            "type": "collect",
            "prompt": {"text": "请为本次服务打分，1到5分。Please rate this call from 1 to 5."},
            "variable": "csat",
            "min_digits": 1,
            "max_digits": 1,
            "timeout": 6,
            "retries": 1,
            "next": "nps",
            "on_fail": "bye",
        },
        "nps": {
            "type": "collect",
            "prompt": {
                "text": "您向朋友推荐我们的可能性有多大，0到10分，按井号结束。"
                "How likely are you to recommend us, 0 to 10?"
            },
            "variable": "nps",
            "min_digits": 1,
            "max_digits": 2,
            "terminator": "#",
            "timeout": 6,
            "retries": 1,
            "next": "bye",
            "on_fail": "bye",
        },
        "bye": {"type": "hangup", "prompt": {"sound": "auth-thankyou"}},
    },
}


class IvrMixin:
    async def start_ivr(
        self, session: CallSession, graph: dict[str, Any], purpose: str = "flow", *, flow: str = ""
    ) -> None:
        """Run a flow (`flow`: its code, for checkpoints) from its start node."""
        self._enter_ivr(session, graph, purpose, flow)
        started = m.Started(
            variables={"call_id": session.call_id, "caller": session.caller},
            language=session.language,
            hours=session.route.hours,
        )
        await self._feed(session, started)

    def _enter_ivr(self, session: CallSession, graph: dict[str, Any], purpose: str, flow: str) -> None:
        session.ivr = new_state(graph)
        session.ivr_purpose, session.ivr_flow = purpose, flow
        session.phase = "survey" if purpose == "survey" else "ivr"

    async def resume_ivr(self, session: CallSession, checkpoint: dict[str, Any]) -> bool:
        """After a restart: the caller goes on at the checkpoint's node (its prompt replays), or at
        the start of the flow when there is none or the flow was edited; False when no flow applies."""
        purpose = "survey" if checkpoint.get("purpose") == "survey" else "flow"
        code = str(checkpoint.get("flow") or "")
        graph: dict[str, Any] | None = SURVEY_FLOW if purpose == "survey" else None
        if purpose == "flow" and code:
            flow = await db.run(db.flow_by_code, code)
            graph = flow.graph if flow else None
            session.route.flow_version = flow.version if flow else session.route.flow_version
        elif purpose == "flow":
            graph, code = session.route.flow_graph, session.route.flow_code
        if not graph:
            return False
        node = str(checkpoint.get("node") or "")
        if node not in graph.get("nodes", {}):
            await self.start_ivr(session, graph, purpose, flow=code)
            return True
        self._enter_ivr(session, graph, purpose, code)
        session.language = str(checkpoint.get("language") or session.language)
        resumed = m.Resumed(
            node=node,
            variables=dict(checkpoint.get("variables") or {}),
            language=session.language,
            hours=session.route.hours,
            path=tuple(checkpoint.get("path") or ()),
            digits=dict(checkpoint.get("digits") or {}),
        )
        await self._feed(session, resumed)
        return True

    async def feed_ivr(self, session: CallSession, digit: str | None) -> None:
        """A digit from the caller, or None when the caller hung up."""
        await self._feed(session, m.Hangup() if digit is None else m.Digit(digit))

    async def feed_ivr_playback(self, session: CallSession, engine_id: str, failed: bool) -> None:
        session.ivr_playbacks.pop(engine_id, None)
        await self._feed(session, m.PlaybackFinished(engine_id, failed=failed))

    async def _ivr_timer(self, session: CallSession, timer_id: str) -> None:
        async with session.lock:
            session.timers.pop(timer_id, None)
            if not session.ended:
                await self._feed(session, m.Tick(timer_id))

    async def _ivr_lookup(self, session: CallSession, command: m.RunLookup) -> None:
        try:
            value = await run_lookup(
                hook=command.hook, url=command.url, params=command.params, timeout=command.timeout
            )
            answer: m.Event = m.LookupResult(command.request_id, value)
        except Exception as exc:  # any failure of a business lookup is a branch of the flow
            log.info("IVR lookup %s failed: %r", command.hook or command.url, exc)
            answer = m.LookupFailed(command.request_id, type(exc).__name__)
            await self.event(
                session, "lookup_failed", hook=command.hook, url=command.url, error=type(exc).__name__
            )
        async with session.lock:
            if not session.ended:
                await self._feed(session, answer)

    async def _feed(self, session: CallSession, event: m.Event) -> None:
        if session.ivr is None:
            return
        loop_now = self.loop_time()
        session.ivr, commands = handle(session.ivr, event, now=loop_now)
        for command in commands:
            try:
                await self._execute(session, command)
            except Exception:
                log.exception("IVR command %r failed for call %s", command, session.call_id)
                if not isinstance(command, m.Exit) and not session.ended:
                    await self.failover(session, "ivr_command_error")
                    return

    def loop_time(self) -> float:
        import asyncio

        return asyncio.get_running_loop().time() * self.time_factor

    async def _execute(self, session: CallSession, command: m.Command) -> None:
        if session.ended and not isinstance(command, m.Exit):
            return
        if isinstance(command, m.Play):
            media = [await self.media(p) for p in command.prompts]
            # The session lock is held, so this playback's PlaybackFinished is handled after this.
            session.ivr_playbacks[command.playback_id] = await self.play(
                session, media, engine_id=command.playback_id
            )
        elif isinstance(command, m.StopPlayback):
            ari_id = session.ivr_playbacks.pop(command.playback_id, "")
            if ari_id:
                await self.stop_playback(ari_id)
        elif isinstance(command, m.StartTimer):
            timer_id = command.timer_id
            session.timers[timer_id] = self.later(command.seconds, lambda: self._ivr_timer(session, timer_id))
        elif isinstance(command, m.CancelTimer):
            session.cancel_timers(command.timer_id)
        elif isinstance(command, m.RunLookup):
            self.spawn(self._ivr_lookup(session, command))
        elif isinstance(command, m.SetLanguage):
            session.language = command.language
        elif isinstance(command, m.Checkpoint):
            await self._checkpoint(session, command)
        elif isinstance(command, m.Exit):
            await self.ivr_exit(session, command)

    async def _checkpoint(self, session: CallSession, command: m.Checkpoint) -> None:
        """Store where the caller is, so a worker restarted now resumes them here (see resync)."""
        if not session.call_id or (session.ivr_purpose == "flow" and not session.ivr_flow):
            return
        checkpoint = {
            "purpose": session.ivr_purpose,
            "flow": session.ivr_flow,
            "node": command.node,
            "path": list(command.path),
            "digits": dict(command.digits),
            "variables": dict(command.variables),
            "language": command.language,
        }
        await db.run(
            services.save_ivr_checkpoint,
            call_id=session.call_id,
            checkpoint=checkpoint,
            carried=session.take_carried(),
        )

    async def ivr_exit(self, session: CallSession, exit_: m.Exit) -> None:
        state = session.ivr
        assert state is not None
        if session.ivr_purpose == "survey":
            await self._survey_done(session, state.variables)
            if exit_.kind != "abandoned":
                await self.quietly(self.ari.hangup(session.channel_id))
            return
        record = {
            "path": list(state.path),
            "digits": dict(state.digits),
            "variables": dict(state.variables),
            "language": state.language,
            "exit_kind": exit_.kind,
            "target": exit_.target,
            "reason": exit_.reason,
            "flow_version": session.route.flow_version,
        }
        if exit_.kind == "queue":
            # The usual exit: stored in the same transaction that queues the call.
            await self._exit_to_queue(session, exit_, record)
            return
        await self.store_ivr_exit(session, record)
        if exit_.kind != "abandoned":
            await self._route_exit(session, exit_)

    async def store_ivr_exit(self, session: CallSession, record: dict[str, Any] | None) -> None:
        """Write an IVR exit (with the steps carried so far) in a transaction of its own."""
        if record is not None:
            await db.run(
                services.record_ivr_exit, call_id=session.call_id, carried=session.take_carried(), **record
            )

    async def _exit_to_queue(self, session: CallSession, exit_: m.Exit, record: dict[str, Any]) -> None:
        queue = await self.queue_settings(code=exit_.target) if exit_.target else None
        target = queue.id if queue else session.route.queue_id or session.route.failover_queue_id
        if target is None:
            await self.store_ivr_exit(session, record)
            await self.failover(session, f"unknown_queue:{exit_.target}")
            return
        await self.enter_queue(session, target, priority=exit_.priority, ivr_exit=record)

    async def _route_exit(self, session: CallSession, exit_: m.Exit) -> None:
        kind = exit_.kind
        if kind == "voicemail":
            queue = await self.queue_settings(code=exit_.target)
            await self.start_voicemail(session, queue)
        elif kind == "agent":
            await self.offer_direct(session, exit_.target)
        elif kind == "external":
            await self.transfer_external(session, exit_.target)
        elif kind == "flow":
            flow = await db.run(db.flow_by_code, exit_.target)
            if flow is None:
                await self.failover(session, f"unknown_flow:{exit_.target}")
                return
            session.route.flow_version = flow.version
            await self.start_ivr(session, flow.graph, flow=flow.code)
        elif kind == "hangup":
            session.outcome = CallOutcome.SELF_SERVICE
            session.phase = "leaving"
            media = [await self.media(exit_.prompt)] if exit_.prompt else []
            if media:
                await self.play(session, media, then="hangup")
            else:
                await self.quietly(self.ari.hangup(session.channel_id))
        else:
            await self.failover(session, exit_.reason or "ivr_failover")

    async def transfer_external(self, session: CallSession, number: str) -> None:
        """Hand the caller to the dialplan context that dials external numbers."""
        session.outcome = CallOutcome.TRANSFERRED
        session.phase = "leaving"
        await self.event(session, "transferred", number=number)
        context = getattr(settings, "ARI_EXTERNAL_CONTEXT", "ccapp-external")
        await self.ari.continue_in_dialplan(session.channel_id, context=context, extension=number, priority=1)

    async def start_survey(self, session: CallSession) -> None:
        await self.event(session, "survey_started")
        await self.start_ivr(session, SURVEY_FLOW, purpose="survey")

    async def _survey_done(self, session: CallSession, variables: dict[str, Any]) -> None:
        def number(name: str) -> int | None:
            value = str(variables.get(name, ""))
            return int(value) if value.isdigit() else None

        await db.run(services.record_survey, call_id=session.call_id, csat=number("csat"), nps=number("nps"))
