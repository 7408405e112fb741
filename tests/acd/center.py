"""A tiny driver around the pure engine for table-driven tests."""

from __future__ import annotations

import random
from collections.abc import Iterable

from ccapp.acd import (
    AcdState,
    AgentState,
    AgentStateChanged,
    Command,
    Input,
    Membership,
    OfferCall,
    QueueConfig,
    handle,
    initial_state,
)


class Center:
    """Holds the state, feeds events at given times, remembers the commands."""

    def __init__(self, *queues: QueueConfig, seed: int = 0, rng: random.Random | None = None) -> None:
        self.state: AcdState = initial_state(queues or (QueueConfig("q"),), seed=seed)
        self.rng = rng
        self.now = 0.0
        self.log: list[tuple[float, Command]] = []

    def send(self, event: Input, at: float | None = None) -> tuple[Command, ...]:
        if at is not None:
            self.now = at
        self.state, commands = handle(self.state, event, now=self.now, rng=self.rng)
        self.log.extend((self.now, c) for c in commands)
        return commands

    def agent(
        self,
        agent_id: str,
        *queues: str | Membership,
        at: float | None = None,
        state: AgentState = AgentState.READY,
        skills: Iterable[tuple[str, int]] = (),
        languages: Iterable[str] = (),
    ) -> tuple[Command, ...]:
        members = tuple(q if isinstance(q, Membership) else Membership(q) for q in queues or ("q",))
        return self.send(AgentStateChanged(agent_id, state, members, tuple(skills), frozenset(languages)), at)

    def offers(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every offer made so far as (call id, agent ids)."""
        return [(c.call_id, c.agent_ids) for _, c in self.log if isinstance(c, OfferCall)]


def offered(commands: Iterable[Command]) -> list[tuple[str, tuple[str, ...]]]:
    """The offers among some commands."""
    return [(c.call_id, c.agent_ids) for c in commands if isinstance(c, OfferCall)]
