"""The engine's state as data: agents, waiting and connected calls, and the indexes routing needs.

Every ``Mapping`` in the state is a plain ``dict`` that the engine never mutates after it has been
put into an ``AcdState``: each ``handle`` copies only the dicts it changes (copy-on-write, see
``work.py``), so an old state stays valid and two states share everything they did not change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from ccapp.acd.types import AgentState, Membership, QueueConfig, SkillReq

# (vip, priority, required skills, language): calls in one lane are served strictly first-come first-served.
LaneKey = tuple[bool, int, tuple[SkillReq, ...], str | None]
# (arrived_at, sequence number, call id): sorts by arrival, ties by the order the engine saw them.
LaneEntry = tuple[float, int, str]

T = TypeVar("T")

# States in which an agent counts as working a queue (for the estimated wait).
SERVING_STATES = frozenset({AgentState.READY, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP})


@dataclass(frozen=True, slots=True)
class Agent:
    """One agent as the engine knows them."""

    agent_id: str
    state: AgentState = AgentState.LOGGED_OUT
    memberships: tuple[Membership, ...] = ()
    skills: Mapping[str, int] = field(default_factory=dict)
    languages: frozenset[str] = frozenset()
    # Since when the agent has been free; the key of longest-idle and the tie-breaker elsewhere.
    idle_since: float = 0.0
    # The call offered to or connected with the agent.
    call_id: str | None = None
    calls_today: int = 0
    talk_seconds_today: float = 0.0

    def membership(self, queue_id: str) -> Membership | None:
        """The agent's membership of ``queue_id``, if any."""
        for m in self.memberships:
            if m.queue_id == queue_id:
                return m
        return None


@dataclass(frozen=True, slots=True)
class Call:
    """A call from joining the queue until it ends, is abandoned or overflows."""

    call_id: str
    queue_id: str
    priority: int
    skills: tuple[SkillReq, ...]
    vip: bool
    language: str | None
    arrived_at: float
    seq: int
    # Agents currently ringing for this call; empty while the call waits in its lane.
    offered_to: frozenset[str] = frozenset()
    agent_id: str | None = None
    answered_at: float | None = None
    announced_at: float | None = None

    @property
    def lane(self) -> LaneKey:
        """The lane of the call inside its queue."""
        return (self.vip, self.priority, self.skills, self.language)

    @property
    def entry(self) -> LaneEntry:
        """The call's sort entry in its lane."""
        return (self.arrived_at, self.seq, self.call_id)

    @property
    def waiting(self) -> bool:
        """True while the call sits in its lane (not ringing, not connected)."""
        return not self.offered_to and self.agent_id is None


@dataclass(frozen=True, slots=True)
class AcdState:
    """Everything the engine knows. Build the first one with ``initial_state``."""

    queues: Mapping[str, QueueConfig]
    agents: Mapping[str, Agent]
    calls: Mapping[str, Call]
    # queue id -> lane key -> entries sorted by (arrived_at, seq): the waiting calls.
    lanes: Mapping[str, Mapping[LaneKey, tuple[LaneEntry, ...]]]
    # queue id -> penalty -> agent id -> idle_since, each innermost dict ordered by idle_since.
    ready: Mapping[str, Mapping[int, Mapping[str, float]]]
    # queue id -> number of members not logged out / in a serving state.
    logged_in: Mapping[str, int]
    serving: Mapping[str, int]
    # queue id -> moving average of talk + wrap-up seconds (for the estimated wait).
    handle_ewma: Mapping[str, float]
    # queue id -> hunting order of the agent who got the last round-robin offer.
    rr_last: Mapping[str, int]
    # agent id -> end of wrap-up.
    wrapups: Mapping[str, float]
    seq: int = 0
    seed: int = 0


def initial_state(queues: Iterable[QueueConfig], *, seed: int = 0) -> AcdState:
    """An engine state with these queues and no agents or calls; agents join with ``AgentStateChanged``."""
    configs = {q.queue_id: q for q in queues}
    return AcdState(
        queues=configs,
        agents={},
        calls={},
        lanes={qid: {} for qid in configs},
        ready={qid: {} for qid in configs},
        logged_in=dict.fromkeys(configs, 0),
        serving=dict.fromkeys(configs, 0),
        handle_ewma={qid: q.initial_handle_seconds for qid, q in configs.items()},
        rr_last={},
        wrapups={},
        seed=seed,
    )


def normalize_skills(skills: Iterable[SkillReq]) -> tuple[SkillReq, ...]:
    """Requirements in a canonical order so equal requirement sets share a lane."""
    best: dict[str, int] = {}
    for req in skills:
        best[req.skill] = max(best.get(req.skill, 0), req.min_level)
    return tuple(SkillReq(name, level) for name, level in sorted(best.items()))


_FIELDS: dict[type, tuple[str, ...]] = {}


def evolve(obj: T, **changes: Any) -> T:
    """A copy of a frozen dataclass with some fields changed (``dataclasses.replace`` without its checks).

    ``replace`` validates its arguments on every call; on the hot path this is about a third faster.
    """
    cls = type(obj)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    return cls(*[changes[n] if n in changes else getattr(obj, n) for n in names])
