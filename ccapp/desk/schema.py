"""The websocket messages a browser may send: one schema per action, checked before anything runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from ccapp.errors import DomainError

DIGITS = re.compile(r"^[0-9*#]{1,20}$")
NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
MAX_TEXT = 4000

# field -> (type, required). Types are JSON types; bool is not accepted where an int is expected.
CALL = {"call_id": (int, True)}
DESK_ACTIONS: dict[str, dict[str, tuple[type, bool]]] = {
    "snapshot": {},
    "set_state": {"state": (str, True), "pause_code": (str, False)},
    "queue_login": {"queue_id": (int, True), "logged_in": (bool, True)},
    "wrapup": {**CALL, "disposition": (str, False), "notes": (str, False)},
    "callback": {**CALL, "when": (str, True), "note": (str, False)},
    "create_customer": {"name": (str, True), "phone": (str, True), "call_id": (int, False)},
    "create_ticket": {**CALL, "subject": (str, True), "description": (str, False)},
    "kb_search": {"q": (str, True)},
    "kb_suggest": CALL,
    "timeline": {"customer_id": (int, True)},
    "my_work": {},
    "cancel_callback": {"callback_id": (int, True)},
    "agents": {},
    "hold": CALL,
    "unhold": CALL,
    "mute": CALL,
    "unmute": CALL,
    "record_pause": CALL,
    "record_resume": CALL,
    "hangup": CALL,
    # Without a target, the consulted party who answered joins the caller (a "merge").
    "conference": {**CALL, "target_type": (str, False), "target": (str, False)},
    "conference_drop": CALL,
    "pickup": {"call_id": (int, False)},
    "dtmf": {**CALL, "digits": (str, True)},
    "transfer": {
        **CALL,
        "kind": (str, True),
        "target_type": (str, True),
        "target": (str, True),
        "note": (str, False),
    },
    "transfer_complete": CALL,
    "transfer_cancel": CALL,
    "dial": {"number": (str, True)},
}
WALLBOARD_ACTIONS: dict[str, dict[str, tuple[type, bool]]] = {
    "snapshot": {},
    "listen": {**CALL, "mode": (str, True), "endpoint": (str, False)},
    "force_state": {"agent_id": (int, True), "state": (str, True), "pause_code": (str, False)},
    "move_call": {**CALL, "queue_id": (int, True)},
}
# Call commands the stasis worker carries out (the rest are plain data changes).
STASIS_COMMANDS = frozenset(
    {
        "hold",
        "unhold",
        "mute",
        "unmute",
        "record_pause",
        "record_resume",
        "hangup",
        "conference",
        "conference_drop",
        "dtmf",
        "transfer",
        "transfer_complete",
        "transfer_cancel",
    }
)
TRANSFER_KINDS = frozenset({"blind", "attended"})
TRANSFER_TARGETS = frozenset({"agent", "queue", "flow", "number"})
CONFERENCE_TARGETS = frozenset({"agent", "number"})
LISTEN_MODES = frozenset({"listen", "whisper", "barge"})


class BadMessage(DomainError):
    error_id = "bad_message"


@dataclass(frozen=True)
class Message:
    """A checked message: its action, its fields and the browser's request id (echoed in the reply)."""

    action: str
    fields: dict[str, Any]
    request_id: str


def _type_ok(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31
    if kind is str:
        return isinstance(value, str) and len(value) <= MAX_TEXT
    return isinstance(value, kind)


def parse(content: Any, actions: dict[str, dict[str, tuple[type, bool]]]) -> Message:
    """Check a message against its action's schema; raise BadMessage saying what is wrong."""
    if not isinstance(content, dict):
        raise BadMessage(_("A message must be a JSON object."))
    request_id = content.get("id", "")
    if not isinstance(request_id, str | int) or isinstance(request_id, bool) or len(str(request_id)) > 64:
        raise BadMessage(_("The message id must be a short string."), field="id")
    action = content.get("action")
    if action not in actions:
        raise BadMessage(_("Unknown action."), field="action", error_id="unknown_action")
    schema = actions[action]
    unknown = sorted(set(content) - set(schema) - {"id", "action"})
    if unknown:
        raise BadMessage(_("Unexpected field: %(field)s.") % {"field": unknown[0]}, field=unknown[0])
    fields: dict[str, Any] = {}
    for name, (kind, required) in schema.items():
        if name not in content or content[name] is None:
            if required:
                raise BadMessage(_("Missing field: %(field)s.") % {"field": name}, field=name)
            continue
        if not _type_ok(content[name], kind):
            raise BadMessage(_("Wrong type for %(field)s.") % {"field": name}, field=name)
        fields[name] = content[name]
    _check_values(action, fields)
    return Message(action=action, fields=fields, request_id=str(request_id))


def _check_values(action: str, fields: dict[str, Any]) -> None:
    if action == "dtmf" and not DIGITS.match(fields["digits"]):
        raise BadMessage(_("Digits may only be 0-9, * and #."), field="digits")
    if action == "dial" and not NUMBER.match(fields["number"].replace(" ", "")):
        raise BadMessage(_("Enter a phone number."), field="number")
    if action == "conference" and ("target_type" in fields or "target" in fields):
        if "target" not in fields:
            raise BadMessage(_("Missing field: %(field)s.") % {"field": "target"}, field="target")
        if fields.get("target_type") not in CONFERENCE_TARGETS:
            raise BadMessage(_("Unknown conference target."), field="target_type")
        if fields["target_type"] == "number" and not NUMBER.match(fields["target"].replace(" ", "")):
            raise BadMessage(_("Enter a phone number."), field="target")
    if action == "transfer":
        if fields["kind"] not in TRANSFER_KINDS:
            raise BadMessage(_("Unknown transfer kind."), field="kind")
        if fields["target_type"] not in TRANSFER_TARGETS:
            raise BadMessage(_("Unknown transfer target."), field="target_type")
        if fields["kind"] == "attended" and fields["target_type"] == "flow":
            raise BadMessage(_("An attended transfer needs a person to talk to."), field="target_type")
        if fields["target_type"] == "number" and not NUMBER.match(fields["target"]):
            raise BadMessage(_("Enter a phone number."), field="target")
    if action == "listen" and fields["mode"] not in LISTEN_MODES:
        raise BadMessage(_("Unknown monitoring mode."), field="mode")
