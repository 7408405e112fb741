"""In-memory state of the calls this worker is handling (the database holds the durable part)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from ccapp.ivr.engine import IVRState


@dataclass
class RouteInfo:
    """What the worker needs to know about a call's inbound route, read once at StasisStart."""

    route_id: int | None = None
    queue_id: int | None = None
    flow_id: int | None = None
    flow_code: str = ""
    flow_graph: dict[str, Any] | None = None
    flow_version: int | None = None
    hours: dict[str, str] = field(default_factory=dict)
    failover_queue_id: int | None = None
    language: str = "zh"


@dataclass
class QueueInfo:
    """A queue's settings, as the worker uses them while a caller waits."""

    id: int
    code: str
    strategy: str
    ring_timeout: int
    wrapup: int
    max_wait: int
    announce_position: bool
    announce_wait: bool
    announce_every: int
    music_class: str
    offer_after: int | None
    offer_callback: bool
    offer_voicemail: bool
    overflow_action: str
    overflow_queue_id: int | None
    overflow_number: str
    record_calls: bool
    survey: bool
    call_time_limit: int | None
    caller_id: str
    language: str


@dataclass
class Party:
    """A third party the agent called during a call: a consulted target or a conference guest."""

    leg: str  # the originated channel id
    kind: str  # agent | queue | number
    label: str  # the agent's name or the number, for the screens
    host: str = ""  # the name of the agent who called them
    agent_id: int | None = None
    queue_id: int | None = None
    number: str = ""
    note: str = ""
    answered: bool = False
    bridge_id: str = ""  # a consultation's own bridge (agent + target), once answered

    def public(self, *, by: int | None) -> dict[str, object]:
        """What the screens show: who, and whether they answered (`by`: the agent who called)."""
        return {
            "kind": self.kind,
            "label": self.label,
            "agent_id": self.agent_id,
            "by": by,
            "host": self.host,
            "state": "talking" if self.answered else "ringing",
        }


@dataclass(eq=False)  # a session is itself: waiting lists test membership by identity, not field by field
class CallSession:
    """One caller's channel and everything the worker is doing for it."""

    channel_id: str
    call_id: int = 0
    caller: str = ""
    route: RouteInfo = field(default_factory=RouteInfo)
    language: str = "zh"
    phase: str = "new"  # new | ivr | queue | ringing | connected | voicemail | survey | leaving | ended
    ivr: IVRState | None = None
    ivr_purpose: str = "flow"  # flow | survey
    ivr_flow: str = ""  # code of the flow running (checkpoints name it; "" for the survey)
    ivr_playbacks: dict[str, str] = field(default_factory=dict)  # engine playback id -> ARI id
    queue: QueueInfo | None = None
    priority: int = 0
    vip: bool = False
    queued_at: datetime | None = None
    offers: dict[str, int] = field(default_factory=dict)  # agent leg channel id -> agent id
    agent_id: int | None = None
    agent_leg: str = ""
    bridge_id: str = ""
    recording: str = ""
    outcome: str = ""
    options_offered: bool = False
    pending_offer: bool = False  # agents claimed, ringing not started yet
    outbound_number: str = ""
    on_hold: bool = False
    monitors: dict[str, str] = field(default_factory=dict)  # supervisor leg -> listen | whisper | barge
    monitor_bridges: list[str] = field(default_factory=list)
    consult: Party | None = None  # attended transfer in progress
    guest: Party | None = None  # third party of a three-way conference
    residual: bool = False  # the caller left a conference; agent and guest still talk
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    started_monotonic: float = 0.0
    queued_monotonic: float = 0.0
    # Timeline steps written with the call's next database write (one transaction fewer per step).
    carried: list[tuple[str, dict[str, Any], datetime]] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.phase == "ended"

    def carry(self, kind: str, **data: Any) -> None:
        """Note a timeline step now; it is written with the call's next write (`take_carried`)."""
        self.carried.append((kind, data, timezone.now()))

    def take_carried(self) -> list[tuple[str, dict[str, Any], datetime]]:
        """The carried steps, for the write that is about to happen (and forgotten here)."""
        carried, self.carried = self.carried, []
        return carried

    def cancel_timers(self, *names: str) -> None:
        for name in names or list(self.timers):
            handle = self.timers.pop(name, None)
            if handle is not None:
                handle.cancel()


@dataclass
class PendingPlayback:
    """A playback the worker started: whose it is, and what to do when it ends."""

    session: CallSession
    engine_id: str = ""  # the IVR engine's playback id, when the IVR asked for it
    then: str = ""  # "" | hangup | voicemail_record | ...
    guard: asyncio.TimerHandle | None = None
