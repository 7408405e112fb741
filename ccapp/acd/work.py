"""Copy-on-write builder: one ``handle`` call edits a ``Work`` and freezes it into the next ``AcdState``.

Only the dicts an event touches are copied, once per event: an agent going ready in three queues
copies the agents dict and three penalty tiers, not the 1,000 waiting calls. Everything that changes
an agent or a waiting call goes through ``put_agent`` / ``enqueue`` / ``dequeue`` so the indexes
(lanes, ready tiers, staffing counts) can never drift from the records.
"""

from __future__ import annotations

import bisect
import random
from typing import Any

from ccapp.acd.state import SERVING_STATES, AcdState, Agent, Call, LaneEntry, LaneKey
from ccapp.acd.types import AgentState, Command


class Work:
    """Mutable view of one state while one event is handled."""

    def __init__(self, state: AcdState, now: float, rng: random.Random | None) -> None:
        self.now = now
        self.seq = state.seq
        self.seed = state.seed
        self._rng = rng
        self.queues = state.queues
        self.agents: Any = state.agents
        self.calls: Any = state.calls
        self.lanes: Any = state.lanes
        self.ready: Any = state.ready
        self.logged_in: Any = state.logged_in
        self.serving: Any = state.serving
        self.handle_ewma: Any = state.handle_ewma
        self.rr_last: Any = state.rr_last
        self.wrapups: Any = state.wrapups
        self.commands: list[Command] = []
        self._owned: set[Any] = set()

    # ---- copy-on-write plumbing ------------------------------------------------------------------

    def _own(self, name: str) -> dict[Any, Any]:
        if name not in self._owned:
            setattr(self, name, dict(getattr(self, name)))
            self._owned.add(name)
        return getattr(self, name)

    def _own_inner(self, name: str, key: str) -> dict[Any, Any]:
        outer = self._own(name)
        tag = (name, key)
        if tag not in self._owned:
            outer[key] = dict(outer.get(key, {}))
            self._owned.add(tag)
        return outer[key]

    def rng(self) -> random.Random:
        """The caller's rng, or one derived from the state's seed and sequence (still deterministic)."""
        if self._rng is None:
            self._rng = random.Random(self.seed * 1_000_003 + self.seq)
        return self._rng

    def next_seq(self) -> int:
        """A fresh sequence number."""
        self.seq += 1
        return self.seq

    def freeze(self) -> AcdState:
        """The next state."""
        return AcdState(
            queues=self.queues,
            agents=self.agents,
            calls=self.calls,
            lanes=self.lanes,
            ready=self.ready,
            logged_in=self.logged_in,
            serving=self.serving,
            handle_ewma=self.handle_ewma,
            rr_last=self.rr_last,
            wrapups=self.wrapups,
            seq=self.seq,
            seed=self.seed,
        )

    # ---- agents ----------------------------------------------------------------------------------

    def put_agent(self, new: Agent) -> None:
        """Replace an agent's record and keep the ready tiers and staffing counts in step."""
        old: Agent | None = self.agents.get(new.agent_id)
        self._own("agents")[new.agent_id] = new
        old_state = old.state if old else AgentState.LOGGED_OUT
        old_members = old.memberships if old else ()
        same_members = old_members == new.memberships
        if old_state == AgentState.READY and not (
            new.state == AgentState.READY and same_members and old.idle_since == new.idle_since  # type: ignore[union-attr]
        ):
            for m in old_members:
                if m.queue_id in self.queues:
                    self._ready_remove(m.queue_id, m.penalty, new.agent_id)
        if new.state == AgentState.READY and not (
            old_state == AgentState.READY and same_members and old.idle_since == new.idle_since  # type: ignore[union-attr]
        ):
            for m in new.memberships:
                if m.queue_id in self.queues:
                    self._ready_add(m.queue_id, m.penalty, new.agent_id, new.idle_since)
        old_in, new_in = old_state != AgentState.LOGGED_OUT, new.state != AgentState.LOGGED_OUT
        if old_in != new_in or (not same_members and new_in):
            self._count("logged_in", old_members, old_in, -1)
            self._count("logged_in", new.memberships, new_in, +1)
        old_srv, new_srv = old_state in SERVING_STATES, new.state in SERVING_STATES
        if old_srv != new_srv or (not same_members and new_srv):
            self._count("serving", old_members, old_srv, -1)
            self._count("serving", new.memberships, new_srv, +1)
        if new.state != AgentState.WRAP_UP and new.agent_id in self.wrapups:
            del self._own("wrapups")[new.agent_id]

    def _count(self, name: str, memberships: tuple[Any, ...], active: bool, delta: int) -> None:
        if not active:
            return
        counts = self._own(name)
        for m in memberships:
            if m.queue_id in self.queues:
                counts[m.queue_id] += delta

    def _ready_add(self, queue_id: str, penalty: int, agent_id: str, idle_since: float) -> None:
        tiers = self._own_inner("ready", queue_id)
        tag = ("tier", queue_id, penalty)
        tier = tiers.get(penalty)
        if tag not in self._owned or tier is None:
            tier = dict(tier) if tier else {}
            self._owned.add(tag)
        tier.pop(agent_id, None)
        if tier and next(reversed(tier.values())) > idle_since:
            # Rare (an agent whose ring-all leg was cancelled keeps their old idle time): re-sort.
            tier[agent_id] = idle_since
            tier = dict(sorted(tier.items(), key=lambda kv: kv[1]))
        else:
            tier[agent_id] = idle_since
        tiers[penalty] = tier

    def _ready_remove(self, queue_id: str, penalty: int, agent_id: str) -> None:
        tiers = self._own_inner("ready", queue_id)
        tier = tiers.get(penalty)
        if not tier or agent_id not in tier:
            return
        tag = ("tier", queue_id, penalty)
        if tag not in self._owned:
            tier = dict(tier)
            self._owned.add(tag)
        del tier[agent_id]
        if tier:
            tiers[penalty] = tier
        else:
            del tiers[penalty]
            self._owned.discard(tag)

    def set_wrapup(self, agent_id: str, until: float) -> None:
        """Remember when an agent's wrap-up ends."""
        self._own("wrapups")[agent_id] = until

    # ---- calls -----------------------------------------------------------------------------------

    def put_call(self, call: Call) -> None:
        """Store a call record (lanes are handled by ``enqueue``/``dequeue``)."""
        self._own("calls")[call.call_id] = call

    def drop_call(self, call_id: str) -> None:
        """Forget a call."""
        if call_id in self.calls:
            del self._own("calls")[call_id]

    def enqueue(self, call: Call) -> None:
        """Put a waiting call in its lane, in arrival order (a requeued call keeps its place)."""
        self.put_call(call)
        lanes = self._own_inner("lanes", call.queue_id)
        key = call.lane
        entries: tuple[LaneEntry, ...] = lanes.get(key, ())
        entry = call.entry
        if not entries or entries[-1] < entry:
            lanes[key] = (*entries, entry)
        else:
            i = bisect.bisect_left(entries, entry)
            lanes[key] = (*entries[:i], entry, *entries[i:])

    def dequeue(self, call: Call) -> None:
        """Take a waiting call out of its lane."""
        lanes = self._own_inner("lanes", call.queue_id)
        key: LaneKey = call.lane
        entries = lanes.get(key, ())
        if entries and entries[0][2] == call.call_id:
            rest = entries[1:]
        else:
            i = bisect.bisect_left(entries, call.entry)
            if i >= len(entries) or entries[i][2] != call.call_id:
                return
            rest = (*entries[:i], *entries[i + 1 :])
        if rest:
            lanes[key] = rest
        else:
            del lanes[key]

    # ---- queue figures ---------------------------------------------------------------------------

    def set_handle_ewma(self, queue_id: str, seconds: float) -> None:
        """Update one queue's moving average of handle time."""
        self._own("handle_ewma")[queue_id] = seconds

    def set_rr_last(self, queue_id: str, order: int) -> None:
        """Remember the hunting order of the last round-robin offer."""
        self._own("rr_last")[queue_id] = order
