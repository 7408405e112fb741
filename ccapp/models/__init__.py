"""Models of the call-center core."""

from ccapp.models.agents import Agent, AgentSkill, AgentState, AgentStateChange, PauseCode, Skill
from ccapp.models.calls import (
    Call,
    CallbackRequest,
    CallbackResult,
    CallbackStatus,
    CallDirection,
    CallEvent,
    CallOutcome,
    FileState,
    Recording,
    Voicemail,
)
from ccapp.models.queues import DispositionCode, Queue, QueueMember, QueueSkill, Strategy
from ccapp.models.routing import BusinessHours, Holiday, InboundRoute, IVRFlow, OpeningHours

__all__ = [
    "Agent",
    "AgentSkill",
    "AgentState",
    "AgentStateChange",
    "BusinessHours",
    "Call",
    "CallDirection",
    "CallEvent",
    "CallOutcome",
    "CallbackRequest",
    "CallbackResult",
    "CallbackStatus",
    "DispositionCode",
    "FileState",
    "Holiday",
    "IVRFlow",
    "InboundRoute",
    "OpeningHours",
    "PauseCode",
    "Queue",
    "QueueMember",
    "QueueSkill",
    "Recording",
    "Skill",
    "Strategy",
    "Voicemail",
]
