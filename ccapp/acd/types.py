"""Value types of the ACD engine: queue configuration, inputs (events in) and commands (commands out)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Strategy(StrEnum):
    """How a queue picks among its ready agents (names match ``ccapp.models.queues.Strategy``)."""

    RING_ALL = "ring_all"
    LINEAR = "linear"
    ROUND_ROBIN = "round_robin"
    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS = "fewest_calls"
    LEAST_TALK_TIME = "least_talk_time"
    RANDOM = "random"
    WEIGHTED_RANDOM = "weighted_random"
    SKILLS_BASED = "skills_based"


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    PAUSED = "paused"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    DND = "dnd"


@dataclass(frozen=True, slots=True)
class SkillReq:
    """A call needs ``skill`` at ``min_level`` or better (levels 1-10)."""

    skill: str
    min_level: int = 1


@dataclass(frozen=True, slots=True)
class RelaxStep:
    """After ``after_seconds`` of waiting, every minimum level drops by ``level_delta``.

    A requirement relaxed to level 0 or below is dropped altogether, so ``level_delta=10`` removes
    all skill requirements. Steps are cumulative in the sense that the largest applicable delta wins.
    """

    after_seconds: float
    level_delta: int


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Routing configuration of one queue, given by the caller of the engine."""

    queue_id: str
    strategy: Strategy = Strategy.LONGEST_IDLE
    wrapup_seconds: float = 15.0
    max_wait_seconds: float | None = 600.0
    sl_target_seconds: float = 20.0
    relaxation: tuple[RelaxStep, ...] = ()
    announce_every_seconds: float | None = None
    overflow_target: str | None = None
    # Effective priority grows by this many points per waiting second (priority aging).
    aging_per_second: float = 0.0
    # Added to every call's priority, so a more important queue is served first by shared agents.
    priority: int = 0
    # Starting value of the handle-time average, before any call has been measured.
    initial_handle_seconds: float = 180.0
    # After this wait a call's language is a preference only: any agent may take it, a speaker first.
    # None keeps the language a requirement however long the call waits.
    language_wait_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Membership:
    """An agent belongs to a queue with a penalty (lower tiers first), a hunting order and a weight."""

    queue_id: str
    penalty: int = 0
    order: int = 0
    weight: float = 1.0


# ---- inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallQueued:
    """A caller joins a queue. ``arrived_at`` defaults to ``now``."""

    call_id: str
    queue_id: str
    priority: int = 0
    skills: tuple[SkillReq, ...] = ()
    vip: bool = False
    language: str | None = None
    arrived_at: float | None = None


@dataclass(frozen=True, slots=True)
class CallAbandoned:
    """The caller hung up while waiting or ringing."""

    call_id: str


@dataclass(frozen=True, slots=True)
class AgentStateChanged:
    """The agent's state (and optionally profile) as the world sees it; ``None`` keeps the old value."""

    agent_id: str
    state: AgentState
    memberships: tuple[Membership, ...] | None = None
    skills: tuple[tuple[str, int], ...] | None = None
    languages: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class OfferAnswered:
    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferRefused:
    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferTimedOut:
    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class CallEnded:
    """A connected call hung up: the agent goes to wrap-up for the queue's wrap-up seconds."""

    call_id: str


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed: ends wrap-ups, relaxes skills, announces, overflows."""


@dataclass(frozen=True, slots=True)
class DailyReset:
    """Midnight: zero the per-agent counters used by fewest-calls and least-talk-time."""


Input = (
    CallQueued
    | CallAbandoned
    | AgentStateChanged
    | OfferAnswered
    | OfferRefused
    | OfferTimedOut
    | CallEnded
    | Tick
    | DailyReset
)


# ---- commands -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferCall:
    """Ring these agents for this call (several only for ring-all)."""

    call_id: str
    queue_id: str
    agent_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CancelOffer:
    """Stop ringing one agent's leg (another leg answered, or the caller left)."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class AnnounceWait:
    """Tell the caller their position (1 = next) and estimated wait in seconds."""

    call_id: str
    queue_id: str
    position: int
    estimated_wait_seconds: float


@dataclass(frozen=True, slots=True)
class OverflowCall:
    """Take the call out of the queue and send it to the queue's overflow target."""

    call_id: str
    queue_id: str
    target: str | None
    reason: str  # "max_wait" or "no_agents"


@dataclass(frozen=True, slots=True)
class SetAgentState:
    """The engine changed an agent's state on its own (no-answer pause, wrap-up start or end)."""

    agent_id: str
    state: AgentState
    reason: str


Command = OfferCall | CancelOffer | AnnounceWait | OverflowCall | SetAgentState
