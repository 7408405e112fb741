"""ARI events: typed models for every event in events.json, plus parsing that never raises.

The per-type classes are generated into `event_models.py`; this module adds what Asterisk does not
define: `GenericEvent` for types this version does not know, the project's `Resync` event, the parser
and the key that decides which ordered lane an event belongs to.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ccapp.ari.event_models import *  # noqa: F403  (re-export every event class)
from ccapp.ari.event_models import EVENT_TYPES, Event, Message
from ccapp.ari.models import Application, Bridge, Channel

log = logging.getLogger(__name__)


class GenericEvent(Event):
    """An event type this code does not know (a newer Asterisk); all fields kept as extras."""

    application: str = ""
    timestamp: str = ""


class Resync(Event):
    """Project event handed to the worker after a reconnect: what Asterisk holds now."""

    type: str = "Resync"
    channels: list[Channel]
    bridges: list[Bridge]
    app_state: Application | None = None


def now_iso() -> str:
    """Current time in Asterisk's timestamp format."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def parse_event(
    raw: str | bytes | dict[str, Any], accepts: Callable[[str], bool] | None = None
) -> Message | None:
    """Parse one websocket message; log and return None when it is malformed.

    `accepts(type)`: when given and false, the event is not validated and None is returned (a type
    nobody handles costs only its JSON decoding).
    """
    try:
        data = json.loads(raw) if isinstance(raw, str | bytes) else raw
    except ValueError:
        log.warning("ARI event is not JSON; skipped (%d bytes)", len(raw))
        return None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        log.warning("ARI event without a type; skipped")
        return None
    if accepts is not None and not accepts(data["type"]):
        return None
    cls = EVENT_TYPES.get(data["type"], GenericEvent)
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        # a malformed event must not stop the stream: the next one may be a caller's StasisEnd
        log.warning("ARI %s event does not match events.json; skipped: %s", data["type"], exc.errors()[:3])
        return None


def lane_of(event: Message) -> str | None:
    """The channel id whose ordered lane the event belongs to; None for the shared lane."""
    # read declared fields from __dict__: getattr with a default goes through pydantic's slow __getattr__
    fields = event.__dict__
    channel = fields.get("channel")
    if isinstance(channel, Channel):
        return channel.id
    peer = fields.get("peer")
    if isinstance(peer, Channel):  # Dial: the dialled (originated) leg
        return peer.id
    for attr in ("playback", "recording"):
        target = getattr(fields.get(attr), "target_uri", None)
        # playbacks and recordings on a channel must stay ordered with that channel's events
        if isinstance(target, str) and target.startswith("channel:"):
            return target.removeprefix("channel:")
    return None
