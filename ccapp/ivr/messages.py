"""Inputs and outputs of the IVR interpreter: small frozen dataclasses, no behaviour."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# ---- events (inputs) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    """The caller entered the flow. `hours` maps a calendar name ('' = the route's) to
    'open' | 'closed' | 'holiday', computed by the caller of the engine so the engine stays pure."""

    variables: Mapping[str, Any] = field(default_factory=dict)
    language: str = "zh"
    hours: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlaybackFinished:
    playback_id: str
    failed: bool = False


@dataclass(frozen=True)
class Digit:
    digit: str


@dataclass(frozen=True)
class Tick:
    """A timer the engine started has fired."""

    timer_id: str


@dataclass(frozen=True)
class LookupResult:
    request_id: str
    value: Any


@dataclass(frozen=True)
class LookupFailed:
    request_id: str
    reason: str = ""


@dataclass(frozen=True)
class Resumed:
    """The caller goes on from a `Checkpoint` (after a worker restart): `node` is entered again
    (its prompt replays) with the path, digits and variables the checkpoint had."""

    node: str
    variables: Mapping[str, Any] = field(default_factory=dict)
    language: str = "zh"
    hours: Mapping[str, str] = field(default_factory=dict)
    path: tuple[str, ...] = ()
    digits: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hangup:
    pass


Event = Started | Resumed | PlaybackFinished | Digit | Tick | LookupResult | LookupFailed | Hangup

# ---- commands (outputs) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    """One thing to say: a sound name, a recording name or text to render in `lang`."""

    sound: str = ""
    text: str = ""
    recording: str = ""
    lang: str = ""

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], language: str) -> Prompt:
        return cls(
            sound=str(spec.get("sound", "")),
            text=str(spec.get("text", "")),
            recording=str(spec.get("recording", "")),
            lang=str(spec.get("lang") or language),
        )


@dataclass(frozen=True)
class Play:
    playback_id: str
    prompts: tuple[Prompt, ...]


@dataclass(frozen=True)
class StopPlayback:
    playback_id: str


@dataclass(frozen=True)
class StartTimer:
    timer_id: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    timer_id: str


@dataclass(frozen=True)
class RunLookup:
    """Call a registered Python hook or an HTTP URL; answer with LookupResult / LookupFailed."""

    request_id: str
    hook: str
    url: str
    params: Mapping[str, Any]
    timeout: float


@dataclass(frozen=True)
class SetVariable:
    name: str
    value: Any


@dataclass(frozen=True)
class SetLanguage:
    language: str


@dataclass(frozen=True)
class Checkpoint:
    """A stable point to resume from: the caller entered an input node (menu, collect, PIN).
    `path` is the path before `node`; the worker stores this so a restarted worker can resume."""

    node: str
    path: tuple[str, ...]
    digits: Mapping[str, str]
    variables: Mapping[str, Any]
    language: str


# Exit kinds: the flow's terminal node types, plus 'failover' (the flow broke at run time) and
# 'abandoned' (the caller hung up inside the flow).
EXIT_KINDS = frozenset({"queue", "voicemail", "agent", "external", "flow", "hangup", "failover", "abandoned"})


@dataclass(frozen=True)
class Exit:
    """The caller leaves the flow. `target` is a queue code, mailbox, agent, number or flow code;
    an empty target on a 'queue' exit (the caller pressed 0) means the route's default queue."""

    kind: str
    target: str = ""
    node: str = ""
    reason: str = ""
    priority: int | None = None
    prompt: Prompt | None = None


Command = (
    Play | StopPlayback | StartTimer | CancelTimer | RunLookup | SetVariable | SetLanguage | Checkpoint | Exit
)
