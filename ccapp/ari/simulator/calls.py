"""Channel lifecycles in Asterisk's event order: inbound callers, originated agent legs, hang-ups, bridges."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from ccapp.ari.simulator.playback import PlaybackEngine
from ccapp.ari.simulator.recording import RecordingEngine
from ccapp.ari.simulator.world import SimBridge, SimChannel, World

log = logging.getLogger(__name__)

# Q.850 causes Asterisk reports for DELETE /channels?reason=...
HANGUP_CAUSES = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 19,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}
CAUSE_TEXT = {16: "Normal Clearing", 17: "User busy", 19: "No user responding", 21: "Call Rejected"}


@dataclass
class AgentEndpoint:
    """How a simulated phone behaves when called: answer after N s, ring out, busy, unreachable..."""

    endpoint: str
    behaviour: str = "answer"  # answer | ring_out | busy | unreachable | decline | not_configured
    after: float = 1.0

    def answer_after(self, seconds: float) -> AgentEndpoint:
        """Answer `seconds` (simulated) after ringing starts."""
        self.behaviour, self.after = "answer", seconds
        return self

    def ring_out(self) -> AgentEndpoint:
        """Ring until the originate timeout; nobody answers."""
        self.behaviour = "ring_out"
        return self

    def busy(self, after: float = 0.5) -> AgentEndpoint:
        """Answer the INVITE with 486 Busy Here."""
        self.behaviour, self.after = "busy", after
        return self

    def unreachable(self, after: float = 0.1) -> AgentEndpoint:
        """480 Temporarily Unavailable (phone not registered)."""
        self.behaviour, self.after = "unreachable", after
        return self

    def decline(self, after: float = 1.0) -> AgentEndpoint:
        """603 Decline after ringing."""
        self.behaviour, self.after = "decline", after
        return self

    def not_configured(self) -> AgentEndpoint:
        """No such endpoint: originate answers 500 {"error":"Allocation failed"}."""
        self.behaviour = "not_configured"
        return self

    @property
    def configured(self) -> bool:
        """False when Asterisk would not know the endpoint."""
        return self.behaviour != "not_configured"


class Calls:
    """Creates channels and moves them through their lives, emitting what Asterisk emits."""

    def __init__(self, world: World, playbacks: PlaybackEngine, recordings: RecordingEngine) -> None:
        self.world = world
        self.playbacks = playbacks
        self.recordings = recordings
        self.agents: dict[str, AgentEndpoint] = {}
        self.owner: dict[str, str] = {}  # originated leg -> app told about it before StasisStart
        self._ring_tasks: dict[str, asyncio.Task[None]] = {}

    async def aclose(self) -> None:
        """Cancel ringing legs."""
        for task in list(self._ring_tasks.values()):
            task.cancel()
        await asyncio.gather(*self._ring_tasks.values(), return_exceptions=True)

    # creation ---------------------------------------------------------------------------------------
    def new_channel(self, endpoint: str, *, state: str, caller: dict[str, str], **kw: Any) -> SimChannel:
        """A channel named like Asterisk's (PJSIP/1001-0000002a)."""
        channel_id = kw.pop("channel_id", None) or self.world.new_channel_id()
        name = f"{endpoint}-{self.world.next_id():08x}"
        dialplan = kw.pop("dialplan", {"context": "default", "exten": "s", "priority": 1})
        dialplan.setdefault("app_name", "")
        dialplan.setdefault("app_data", "")
        channel = SimChannel(
            id=channel_id,
            name=name,
            endpoint=endpoint,
            state=state,
            caller=caller,
            creationtime=self.world.clock.iso(),
            dialplan=dialplan,
            **kw,
        )
        channel.idle.set()
        self.world.channels[channel.id] = channel
        return channel

    def inbound(self, *, dnis: str, caller: str, name: str, app: str) -> SimChannel:
        """A carrier call reaching `Stasis(app,inbound,<dnis>)`."""
        args = ["inbound", dnis]
        dialplan = {
            "context": "from-carrier",
            "exten": dnis,
            "priority": 2,
            "app_name": "Stasis",
            "app_data": ",".join([app, *args]),
        }
        channel = self.new_channel(
            "PJSIP/carrier", state="Ring", caller={"name": name, "number": caller}, dialplan=dialplan
        )
        self.enter_app(channel, app, args)
        return channel

    def enter_app(self, channel: SimChannel, app: str, args: list[str]) -> None:
        """StasisStart."""
        channel.app, channel.args = app, args
        self.world.emit(app, "StasisStart", args=args, channel=channel.json())

    def set_state(self, channel: SimChannel, state: str) -> None:
        """ChannelStateChange (only when the state changes)."""
        if channel.state != state:
            channel.state = state
            self.world.emit(
                channel.app or self.owner.get(channel.id), "ChannelStateChange", channel=channel.json()
            )

    # originate --------------------------------------------------------------------------------------
    def originate(self, agent: AgentEndpoint, *, app: str | None, args: list[str], timeout: int, **kw: Any):
        """Create a Down channel and ring it in the background (the HTTP answer comes first)."""
        caller = kw.pop("caller", {"name": "", "number": ""})
        dialplan = {"context": "agents", "exten": "s", "priority": 1, "app_name": "AppDial2"}
        dialplan["app_data"] = "(Outgoing Line)"
        channel = self.new_channel(agent.endpoint, state="Down", caller=caller, dialplan=dialplan, **kw)
        channel.originated = True
        channel.connected = dict(caller)
        if app is not None:
            self.owner[channel.id] = app
        self._ring(channel, agent, timeout, enter=(app, args) if app else None)
        return channel

    def dial_created(self, channel: SimChannel, agent: AgentEndpoint, timeout: int) -> None:
        """POST /channels/{id}/dial on a channel made with /channels/create."""
        self._ring(channel, agent, timeout, enter=None)

    def _ring(self, channel: SimChannel, agent: AgentEndpoint, timeout: int, enter) -> None:
        task = asyncio.create_task(
            self._ring_flow(channel, agent, timeout, enter), name=f"sim-ring-{channel.id}"
        )
        self._ring_tasks[channel.id] = task
        task.add_done_callback(lambda _t, cid=channel.id: self._ring_tasks.pop(cid, None))

    def _dial(self, channel: SimChannel, status: str) -> None:
        app = channel.app or self.owner.get(channel.id)
        dialstring = channel.endpoint.partition("/")[2]
        self.world.emit(
            app, "Dial", dialstatus=status, dialstring=dialstring, forward="", peer=channel.json()
        )

    async def _ring_flow(self, channel: SimChannel, agent: AgentEndpoint, timeout: int, enter) -> None:
        clock = self.world.clock
        created = enter is None  # a /channels/create leg: no final Dial status on failure
        await asyncio.sleep(0)  # the HTTP response of the originate goes out first
        self._dial(channel, "")
        if agent.behaviour == "unreachable":
            await clock.sleep(agent.after)
            if not created:
                self._dial(channel, "NOANSWER")
            self.destroy(channel, 19, tech_cause=480)
            return
        await clock.sleep(0.05)
        channel.state = "Ringing"
        self._dial(channel, "RINGING")
        limit = timeout if timeout > 0 else float("inf")
        if agent.behaviour == "answer" and agent.after < limit:
            await clock.sleep(agent.after)
            if enter is not None:
                channel.state = "Up"
                self._dial(channel, "ANSWER")
                self.enter_app(channel, *enter)
            else:
                self.set_state(channel, "Up")
                self._dial(channel, "ANSWER")
            return
        if agent.behaviour in ("busy", "decline") and agent.after < limit:
            await clock.sleep(agent.after)
            cause, tech = (17, 486) if agent.behaviour == "busy" else (21, 603)
            if agent.behaviour == "busy":
                self.world.emit(
                    channel.app or self.owner.get(channel.id),
                    "ChannelHangupRequest",
                    cause=cause,
                    tech_cause=tech,
                    channel=channel.json(),
                )
            if not created:
                self._dial(channel, "BUSY" if agent.behaviour == "busy" else "NOANSWER")
            if not created:
                self.destroy(channel, cause, tech_cause=tech)
            return
        if limit == float("inf"):
            await asyncio.Event().wait()  # rings forever, until the app hangs it up
        await clock.sleep(limit)
        # no answer: Asterisk sends no Dial(NOANSWER) and no ChannelHangupRequest, only ChannelDestroyed
        if not created:
            self.destroy(channel, 19, tech_cause=480)

    # hang-ups ---------------------------------------------------------------------------------------
    def hangup(self, channel: SimChannel, *, cause: int | None = None, tech_cause: int | None = None,
               soft: bool | None = None) -> None:  # fmt: skip
        """Hang up: HangupRequest, playbacks failed, recording done, LeftBridge, StasisEnd, Destroyed."""
        if channel.gone:
            return
        ring = self._ring_tasks.pop(channel.id, None)
        if ring is not None and channel.app is None:
            ring.cancel()  # the app deleted a ringing leg
            self._dial(channel, "NOANSWER")
            self.destroy(channel, 16)
            return
        if ring is not None:
            ring.cancel()
        fields: dict[str, Any] = {"channel": channel.json()}
        if cause is not None:
            fields["cause"] = cause
        if tech_cause is not None:
            fields["tech_cause"] = tech_cause
        if soft is not None:
            fields["soft"] = soft
        self.world.emit(channel.app or self.owner.get(channel.id), "ChannelHangupRequest", **fields)
        self.playbacks.end_all(channel)
        if channel.recording and channel.recording in self.world.live:
            # caller hangs up mid-recording: RecordingFinished `done`, file kept
            self.recordings.finish(self.world.live[channel.recording])
        if channel.bridge_id and channel.bridge_id in self.world.bridges:
            self.leave_bridge(channel, self.world.bridges[channel.bridge_id], by_hangup=True)
        if channel.app is not None:
            self.world.emit(channel.app, "StasisEnd", channel=channel.json())
        # inbound callers finish in the dialplan: ChannelDestroyed only for channels the app made
        if channel.originated or channel.name.startswith("Snoop/"):
            self.destroy(channel, 16 if cause in (None, 32) else cause, tech_cause=None)
        else:
            self._remove(channel)
        for snoop in [c for c in self.world.channels.values() if c.endpoint == f"Snoop/{channel.id}"]:
            self.hangup(snoop)  # a snoop channel ends with the channel it listens to

    def destroy(self, channel: SimChannel, cause: int, *, tech_cause: int | None = None) -> None:
        """ChannelDestroyed and removal."""
        fields: dict[str, Any] = {"cause": cause, "cause_txt": CAUSE_TEXT.get(cause, "Unknown")}
        if tech_cause is not None:
            fields["tech_cause"] = tech_cause
        app = channel.app or self.owner.get(channel.id)
        self.world.emit(app, "ChannelDestroyed", channel=channel.json(), **fields)
        self._remove(channel)

    def leave_app(self, channel: SimChannel) -> None:
        """The channel leaves Stasis (continue / redirect): StasisEnd, and it is no longer ours."""
        self.playbacks.end_all(channel)
        if channel.bridge_id and channel.bridge_id in self.world.bridges:
            self.leave_bridge(channel, self.world.bridges[channel.bridge_id], by_hangup=True)
        if channel.app is not None:
            self.world.emit(channel.app, "StasisEnd", channel=channel.json())
        self._remove(channel)

    def _remove(self, channel: SimChannel) -> None:
        channel.gone = True
        channel.idle.set()  # release requests blocked on its playback
        for timer in channel.timers:
            timer.cancel()
        self.world.channels.pop(channel.id, None)
        self.owner.pop(channel.id, None)
        self.world.notify()

    # bridges ----------------------------------------------------------------------------------------
    def enter_bridge(self, channel: SimChannel, bridge: SimBridge) -> None:
        """Move a channel into a bridge (out of its current one first)."""
        if channel.bridge_id == bridge.id:
            return
        if channel.bridge_id and channel.bridge_id in self.world.bridges:
            self.leave_bridge(channel, self.world.bridges[channel.bridge_id], by_hangup=False)
        bridge.channels.append(channel.id)
        bridge.subscribed = True
        channel.bridge_id = bridge.id
        self.world.emit(channel.app, "ChannelEnteredBridge", bridge=bridge.json(), channel=channel.json())

    def leave_bridge(self, channel: SimChannel, bridge: SimBridge, *, by_hangup: bool) -> None:
        """ChannelLeftBridge; a bridge emptied by removeChannel or a move drops the app's subscription."""
        if channel.id in bridge.channels:
            bridge.channels.remove(channel.id)
        channel.bridge_id = None
        if not bridge.channels and not by_hangup:
            bridge.subscribed = False
        self.world.emit(
            channel.app or self.owner.get(channel.id),
            "ChannelLeftBridge",
            bridge=bridge.json(),
            channel=channel.json(),
        )

    def destroy_bridge(self, bridge: SimBridge, app: str | None) -> None:
        """DELETE /bridges/{id}: channels leave, BridgeDestroyed only if the app is still subscribed."""
        for channel_id in list(bridge.channels):
            channel = self.world.channels.get(channel_id)
            if channel is not None:
                self.leave_bridge(channel, bridge, by_hangup=True)
        if bridge.recording and bridge.recording in self.world.live:
            self.recordings.finish(self.world.live[bridge.recording])
        if bridge.subscribed:
            self.world.emit(app, "BridgeDestroyed", bridge=bridge.json())
        self.world.bridges.pop(bridge.id, None)
        self.world.notify()
