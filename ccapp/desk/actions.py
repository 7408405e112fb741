"""What each websocket action does (sync: consumers run these in a thread). Writes go through services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from ccapp import realtime, selectors_live
from ccapp.desk import assist
from ccapp.desk.failures import failure_message
from ccapp.desk.schema import BadMessage
from ccapp.errors import Conflict, DomainError, NotFound, PermissionDenied
from ccapp.models import (
    Agent,
    AgentState,
    Call,
    IVRFlow,
    Queue,
    QueueMember,
)
from ccapp.models.agents import endpoint_validator
from ccapp.services import desk as desk_services


def agent_of(user: Any) -> Agent | None:
    """The agent row of a user allowed to take calls (None otherwise)."""
    if not user.is_authenticated or not user.has_perm("ccapp.handle_calls"):
        return None
    return Agent.objects.filter(user=user).first()


# ---- call commands: checked here, carried out by the stasis worker -------------------------------
def _own_live_call(agent_id: int, call_id: int) -> Call:
    """The call this agent is talking on now; a forged or stale call id is refused with a reason."""
    agent = Agent.objects.filter(pk=agent_id).values("current_call_id", "state").first()
    call = Call.objects.filter(pk=call_id).only("id", "ended_at", "agent_id").first()
    if call is None:
        raise NotFound(_("No such call."), field="call_id", error_id="call_not_found")
    # A consulted colleague or a conference guest is on the call too, but it is not theirs to control.
    if agent is None or agent["current_call_id"] != call_id or call.agent_id != agent_id:
        raise PermissionDenied(_("This call is not yours."), field="call_id", error_id="not_your_call")
    if call.ended_at is not None:
        raise Conflict(_("This call has ended."), field="call_id", error_id="call_ended")
    if agent["state"] != AgentState.ON_CALL:
        raise Conflict(_("You are not talking on this call."), error_id="not_on_call")
    return call


def _transfer_target(agent_id: int, target_type: str, target: str) -> dict[str, Any]:
    if target_type == "agent":
        other = Agent.objects.filter(pk=int(target) if target.isdigit() else 0).first()
        if other is None:
            raise NotFound(_("No such agent."), field="target", error_id="target_not_found")
        if other.pk == agent_id:
            raise BadMessage(_("You cannot transfer a call to yourself."), field="target")
        if other.state != AgentState.READY:
            raise Conflict(
                _("%(agent)s is not available (%(state)s).")
                % {"agent": other, "state": AgentState(other.state).label},
                field="target",
                error_id="target_unavailable",
            )
        return {"agent_id": other.pk}
    if target_type == "queue":
        queue = Queue.objects.filter(active=True, pk=int(target) if target.isdigit() else 0).first()
        if queue is None:
            raise NotFound(_("No such queue."), field="target", error_id="target_not_found")
        return {"queue_id": queue.pk}
    if target_type == "flow":
        flow = IVRFlow.objects.filter(code=target).first()
        if flow is None:
            raise NotFound(_("No such IVR flow."), field="target", error_id="target_not_found")
        return {"flow": flow.code}
    return {"number": _allowed_number(agent_id, target)}


def _allowed_number(agent_id: int, raw: str) -> str:
    """The E.164 form of a number this agent may call (the click-to-call rules), else a clear refusal."""
    from ccapp.stasis.outbound import destination_check

    number, reason = destination_check(agent_id, raw.replace(" ", ""))
    if reason:
        raise PermissionDenied(failure_message(reason), field="target", error_id=reason)
    return number


def call_command(agent_id: int, action: str, fields: dict[str, Any]) -> realtime.StasisCommand:
    """Check a call command of an agent and build what goes to the stasis worker."""
    call = _own_live_call(agent_id, fields["call_id"])
    args = {k: v for k, v in fields.items() if k != "call_id"}
    if action == "transfer":
        args.update(_transfer_target(agent_id, fields["target_type"], fields["target"]))
        args["note"] = args.get("note", "")[:1000]
    if action == "conference":
        has_target = "target_type" in fields
        args = _transfer_target(agent_id, fields["target_type"], fields["target"]) if has_target else {}
    return realtime.StasisCommand(command=action, call_id=call.pk, agent_id=agent_id, args=args)


def pickup_command(agent_id: int, call_id: int | None) -> realtime.StasisCommand:
    """Take a call ringing a colleague of one of my queues (the oldest one, or `call_id`)."""
    agent = Agent.objects.get(pk=agent_id)
    if agent.state in (AgentState.RINGING, AgentState.ON_CALL):
        raise Conflict(_("Finish the current call first."), error_id="agent_busy")
    if agent.state == AgentState.LOGGED_OUT:
        raise Conflict(_("Log in to your queues first."), error_id="logged_out")
    queues = QueueMember.objects.filter(agent_id=agent_id).values_list("queue_id", flat=True)
    ringing = Agent.objects.filter(
        state=AgentState.RINGING,
        current_call__ended_at__isnull=True,
        current_call__answered_at__isnull=True,
        current_call__queue_id__in=queues,
    ).exclude(pk=agent_id)
    if call_id is not None:
        ringing = ringing.filter(current_call_id=call_id)
    picked = ringing.order_by("current_call__queued_at", "current_call_id").values_list(
        "current_call_id", flat=True
    )
    if not picked:
        raise Conflict(
            _("No call is ringing for a colleague of your queues."),
            field="call_id",
            error_id="nothing_to_pick_up",
        )
    return realtime.StasisCommand(command="pickup", call_id=picked[0], agent_id=agent_id)


def dial_command(agent_id: int, number: str) -> realtime.StasisCommand:
    """Click-to-call: the agent's phone rings, then the number is called."""
    agent = Agent.objects.get(pk=agent_id)
    if agent.state in (AgentState.RINGING, AgentState.ON_CALL):
        raise Conflict(_("Finish the current call first."), error_id="agent_busy")
    return realtime.StasisCommand(
        command="dial", call_id=None, agent_id=agent_id, args={"number": number.replace(" ", "")}
    )


# ---- plain data changes -------------------------------------------------------------------------
def set_state(agent_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    desk_services.set_desk_state(
        agent_id=agent_id, state=fields["state"], pause_code=fields.get("pause_code", "")
    )
    return {}


def queue_login(agent_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    member = desk_services.set_queue_login(
        agent_id=agent_id, queue_id=fields["queue_id"], logged_in=fields["logged_in"]
    )
    return {"queue_id": member.queue_id, "logged_in": member.logged_in}


def wrapup(agent_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    call = desk_services.save_wrapup(
        agent_id=agent_id,
        call_id=fields["call_id"],
        disposition=fields.get("disposition", ""),
        notes=fields.get("notes", ""),
    )
    return {"call_id": call.pk}


def callback(agent_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    when = parse_datetime(fields["when"])
    if when is None:
        raise BadMessage(_("Enter a date and time."), field="when")
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    request = desk_services.schedule_callback(
        agent_id=agent_id, call_id=fields["call_id"], scheduled_for=when, note=fields.get("note", "")
    )
    return {"callback_id": request.pk}


def create_customer(agent_id: int, user: Any, fields: dict[str, Any]) -> dict[str, Any]:
    from crm.services import create_customer as crm_create_customer

    if not user.has_perm("crm.add_customer"):
        raise PermissionDenied(_("You may not create customers."), error_id="forbidden")
    name = fields["name"].strip()
    if not name:
        raise BadMessage(_("Enter the customer's name."), field="name")
    crm_create_customer(name=name[:128], phones=[fields["phone"]], user=user)
    return {"customer": selectors_live.customer_card(fields["phone"])}


def create_ticket(agent_id: int, user: Any, fields: dict[str, Any]) -> dict[str, Any]:
    if not user.has_perm("tickets.add_ticket"):
        raise PermissionDenied(_("You may not create tickets."), error_id="forbidden")
    if not Call.objects.filter(pk=fields["call_id"]).exists():
        raise NotFound(_("No such call."), field="call_id", error_id="call_not_found")
    ticket = desk_services.create_call_ticket(
        agent_id=agent_id,
        call_id=fields["call_id"],
        actor=user,
        subject=fields["subject"].strip()[:200] or _("Call"),
        description=fields.get("description", ""),
    )
    return {"ticket_id": ticket.pk, "number": ticket.number, "url": f"/tickets/{ticket.pk}/"}


def _may(user: Any, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(_("You may not see this."), error_id="forbidden")


def kb_search(user: Any, fields: dict[str, Any]) -> dict[str, Any]:
    _may(user, "crm.view_article")
    return {"articles": assist.articles(fields["q"])}


def kb_suggest(agent_id: int, user: Any, fields: dict[str, Any]) -> dict[str, Any]:
    """Articles for the caller of the agent's call (their own calls only)."""
    _may(user, "crm.view_article")
    call = Call.objects.select_related("queue").filter(pk=fields["call_id"]).first()
    if call is None:
        raise NotFound(_("No such call."), field="call_id", error_id="call_not_found")
    current = Agent.objects.filter(pk=agent_id).values_list("current_call_id", flat=True).first()
    if current != call.pk and call.agent_id != agent_id:
        raise PermissionDenied(_("This call is not yours."), field="call_id", error_id="not_your_call")
    return assist.suggestions(call)


def timeline(user: Any, fields: dict[str, Any]) -> dict[str, Any]:
    from crm.selectors import interaction_dict
    from crm.selectors import timeline as crm_timeline

    _may(user, "crm.view_customer")
    return {"items": [interaction_dict(i) for i in crm_timeline(fields["customer_id"])[:20]]}


def agents_list(agent_id: int) -> dict[str, Any]:
    """Other agents with their states, for the transfer picker."""
    rows = Agent.objects.exclude(pk=agent_id).select_related("user").order_by("extension")
    return {
        "agents": [
            {"id": a.pk, "name": str(a), "state": a.state, "state_label": str(AgentState(a.state).label)}
            for a in rows
        ],
        "queues": list(Queue.objects.filter(active=True).values("id", "name")),
    }


# ---- supervisor actions -------------------------------------------------------------------------
def listen_command(user: Any, fields: dict[str, Any]) -> realtime.StasisCommand:
    """Listen, whisper or barge: checked here, the snoop is made by the stasis worker."""
    if not user.has_perm("ccapp.monitor_calls"):
        raise PermissionDenied(_("You may not monitor calls."), error_id="forbidden")
    call = Call.objects.filter(pk=fields["call_id"]).first()
    if call is None or call.ended_at is not None or call.answered_at is None:
        raise Conflict(_("This call is not live."), field="call_id", error_id="call_not_live")
    endpoint = (
        fields.get("endpoint") or Agent.objects.filter(user=user).values_list("endpoint", flat=True).first()
    )
    if not endpoint:
        raise BadMessage(_("Enter the phone to listen on (e.g. PJSIP/1005)."), field="endpoint")
    try:
        endpoint_validator(endpoint)
    except Exception as exc:
        raise BadMessage(_("Enter an Asterisk endpoint such as PJSIP/1001."), field="endpoint") from exc
    return realtime.StasisCommand(
        command="listen",
        call_id=call.pk,
        agent_id=call.agent_id,
        args={"mode": fields["mode"], "endpoint": endpoint, "supervisor": user.get_username()},
    )


def force_state(user: Any, fields: dict[str, Any]) -> dict[str, Any]:
    if not user.has_perm("ccapp.monitor_calls"):
        raise PermissionDenied(_("You may not change other agents' states."), error_id="forbidden")
    desk_services.set_desk_state(
        agent_id=fields["agent_id"],
        state=fields["state"],
        pause_code=fields.get("pause_code", ""),
        forced_by=user.get_username(),
    )
    return {}


def move_command(user: Any, fields: dict[str, Any]) -> realtime.StasisCommand:
    if not user.has_perm("ccapp.monitor_calls"):
        raise PermissionDenied(_("You may not move calls."), error_id="forbidden")
    call = Call.objects.filter(pk=fields["call_id"]).first()
    if call is None or call.ended_at is not None or call.answered_at is not None or call.queued_at is None:
        raise Conflict(
            _("This call is not waiting in a queue."), field="call_id", error_id="call_not_waiting"
        )
    if not Queue.objects.filter(pk=fields["queue_id"], active=True).exists():
        raise NotFound(_("No such queue."), field="queue_id", error_id="queue_not_found")
    if call.queue_id == fields["queue_id"]:
        raise DomainError(_("The call is already in this queue."), field="queue_id", error_id="same_queue")
    return realtime.StasisCommand(
        command="move_queue", call_id=call.pk, args={"queue_id": fields["queue_id"]}
    )


def scheduled_default() -> str:
    """Tomorrow at 10:00 local time, the callback form's default."""
    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    return tomorrow.replace(hour=10, minute=0, second=0, microsecond=0).isoformat()
