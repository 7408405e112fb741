"""The ACD engine, pure routing of calls to agents: ``handle(state, event, *, now) -> (state, commands)``.

No Django, no asyncio, no clock, no global random: time comes in as ``now`` (seconds, any epoch,
non-decreasing) and randomness as an optional seeded ``random.Random``.
"""

from ccapp.acd.engine import handle
from ccapp.acd.estimate import estimated_wait, queue_waits
from ccapp.acd.snapshot import ReadyAgent, WaitingCall, assign, snapshot_state
from ccapp.acd.state import AcdState, Agent, Call, initial_state
from ccapp.acd.types import (
    AgentState,
    AgentStateChanged,
    AnnounceWait,
    CallAbandoned,
    CallEnded,
    CallQueued,
    CancelOffer,
    Command,
    DailyReset,
    Input,
    Membership,
    OfferAnswered,
    OfferCall,
    OfferRefused,
    OfferTimedOut,
    OverflowCall,
    QueueConfig,
    RelaxStep,
    SetAgentState,
    SkillReq,
    Strategy,
    Tick,
)

__all__ = [
    "AcdState",
    "Agent",
    "AgentState",
    "AgentStateChanged",
    "AnnounceWait",
    "Call",
    "CallAbandoned",
    "CallEnded",
    "CallQueued",
    "CancelOffer",
    "Command",
    "DailyReset",
    "Input",
    "Membership",
    "OfferAnswered",
    "OfferCall",
    "OfferRefused",
    "OfferTimedOut",
    "OverflowCall",
    "QueueConfig",
    "ReadyAgent",
    "RelaxStep",
    "SetAgentState",
    "SkillReq",
    "Strategy",
    "Tick",
    "WaitingCall",
    "assign",
    "estimated_wait",
    "handle",
    "initial_state",
    "queue_waits",
    "snapshot_state",
]
