"""The agent desktop and wallboard pages (the live part runs over one websocket each)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ccapp.desk import actions
from ccapp.desk.build import build_id
from ccapp.models import AgentState, DispositionCode, PauseCode, Queue


def _texts() -> dict[str, str]:
    """Words the page's script shows, translated on the server (zh-Hans / en)."""
    return {
        "states": {value: str(label) for value, label in AgentState.choices},
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost, reconnecting…"),
        "forbidden": _("You may not open this screen."),
        "incoming": _("Incoming call"),
        "unknown_caller": _("Unknown caller"),
        "vip": _("VIP"),
        "waited": _("waited %(s)s s"),
        "no_call": _("No call"),
        "held": _("On hold"),
        "muted": _("Muted"),
        "recording_paused": _("Recording paused"),
        "ended": _("Call ended"),
        "saved": _("Saved"),
        "sent": _("Sent"),
        "ticket_created": _("Ticket %(number)s created"),
        "customer_created": _("Customer created"),
        "callback_scheduled": _("Callback scheduled"),
        "callback_cancelled": _("Callback cancelled"),
        "cancel": _("Cancel"),
        "mine": _("yours"),
        "attempts": _("attempt %(n)s of %(max)s"),
        "transfer_note": _("Note from %(agent)s"),
        "no_results": _("Nothing found"),
        "internal": _("internal"),
        "suggested_from": _("From"),
        "stale": _("This screen was updated; reloading…"),
        "wrapup_left": _("Wrap-up ends in %(s)s s"),
        "disposition_needed": _("Save a disposition to go on"),
        "consult_ringing": _("Calling %(target)s… the caller is on hold"),
        "consult_talking": _("Talking to %(target)s; the caller is on hold"),
        "guest_ringing": _("Calling %(guest)s into the call…"),
        "guest_talking": _("Conference with %(guest)s"),
        "consulted_by": _("%(host)s is consulting you about this caller"),
        "guest_of": _("You are in a conference with %(host)s and the caller"),
        "consult_incoming": _("%(host)s wants to consult you"),
        "guest_incoming": _("%(host)s asks you to join a call"),
        "consult_over": _("Consultation with %(target)s ended: %(reason)s. You are back with the caller."),
        "guest_over": _("%(guest)s left the call: %(reason)s"),
        "reasons": _reasons(),
    }


def _reasons() -> dict[str, str]:
    """Why a consultation or a conference guest ended (`reason` of consult_ended / guest_left)."""
    return {
        "no_answer": _("no answer"),
        "busy": _("busy"),
        "rejected": _("declined"),
        "unreachable": _("the phone is unreachable"),
        "target_hung_up": _("they hung up"),
        "hung_up": _("hung up"),
        "agent_hung_up": _("you hung up"),
        "caller_hung_up": _("the caller hung up"),
    }


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """The agent desktop: state bar, screen pop, call controls, wrap-up and side panels."""
    agent = actions.agent_of(request.user)
    if agent is None:
        return render(request, "desk/not_agent.html", status=403)
    context = {
        "agent": agent,
        "pause_codes": PauseCode.objects.filter(active=True),
        "dispositions": DispositionCode.objects.filter(active=True),
        "queues": Queue.objects.filter(active=True),
        "texts": _texts(),
        "build": build_id(),
        "callback_default": actions.scheduled_default()[:16],
    }
    return render(request, "desk/desk.html", context)


@login_required
@permission_required("ccapp.view_reports", raise_exception=True)
def wallboard(request: HttpRequest) -> HttpResponse:
    """The supervisor's live view of queues and agents (?tv=1: full-screen TV mode)."""
    context = {
        "tv": request.GET.get("tv") == "1",
        "queues": Queue.objects.filter(active=True),
        "pause_codes": PauseCode.objects.filter(active=True),
        "can_monitor": request.user.has_perm("ccapp.monitor_calls"),
        "texts": _texts(),
        "build": build_id(),
    }
    return render(request, "wallboard/wallboard.html", context)
