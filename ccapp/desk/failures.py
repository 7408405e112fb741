"""What the screens say when the stasis worker refuses or fails a command (`command_failed` events)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# error_id (realtime.CommandFailed) -> the message shown on screen.
COMMAND_FAILURES = {
    "call_ended": _("This call has ended."),
    "not_your_call": _("This call is not yours."),
    "call_not_connected": _("The call is not connected now."),
    "already_on_hold": _("The call is already on hold."),
    "not_on_hold": _("The call is not on hold."),
    "not_recording": _("This call is not being recorded."),
    "invalid_digits": _("Digits may only be 0-9, * and #."),
    "target_unavailable": _("The transfer target is no longer available; the caller stays with you."),
    "call_not_waiting": _("This call is not waiting in a queue."),
    "unknown_command": _("The phone system does not support this command."),
    "invalid_number": _("Enter a phone number."),
    "premium_not_allowed": _("You may not call premium-rate numbers."),
    "international_not_allowed": _("You may not call international numbers."),
    "agent_busy": _("Finish the current call first."),
    # consultation (attended transfer), conference, pickup
    "queue_no_agent": _("No agent of that queue is free."),
    "target_is_self": _("You cannot call yourself."),
    "no_target": _("Choose whom to call."),
    "consult_in_progress": _("A consultation is in progress: complete it or go back to the caller first."),
    "conference_in_progress": _("A third party is already on the call."),
    "no_consult": _("There is no consultation to complete or cancel."),
    "consult_not_answered": _("The consulted party has not answered yet."),
    "no_guest": _("There is no third party on the call."),
    "not_ringing": _("This call is no longer ringing."),
    "already_ringing_you": _("This call is already ringing your phone."),
}


def failure_message(error_id: str, detail: str = "") -> str:
    """The translated message of a failed command (in the active language)."""
    known = COMMAND_FAILURES.get(error_id)
    if known is not None:
        return str(known)
    return gettext("The phone system could not do that: %(reason)s") % {"reason": detail or error_id}
