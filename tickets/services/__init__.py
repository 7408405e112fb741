"""Every write of the tickets app (other apps call these, never the models)."""

from tickets.services.automation import (
    apply_rules,
    autoclose_ticket,
    bulk_update,
    ensure_schedules,
    process_sla,
    resolved_to_close,
    tickets_needing_sla_action,
)
from tickets.services.comments import add_comment, check_attachments
from tickets.services.core import (
    assign_ticket,
    create_ticket,
    next_number,
    transition_ticket,
    update_ticket,
)
from tickets.services.relations import (
    create_ticket_from_call,
    create_ticket_from_voicemail,
    link_tickets,
    merge_tickets,
    record_satisfaction,
    set_watching,
)
from tickets.services.timeline import record_timeline

__all__ = [
    "add_comment",
    "apply_rules",
    "assign_ticket",
    "autoclose_ticket",
    "bulk_update",
    "check_attachments",
    "create_ticket",
    "create_ticket_from_call",
    "create_ticket_from_voicemail",
    "ensure_schedules",
    "link_tickets",
    "merge_tickets",
    "next_number",
    "process_sla",
    "record_satisfaction",
    "record_timeline",
    "resolved_to_close",
    "set_watching",
    "tickets_needing_sla_action",
    "transition_ticket",
    "update_ticket",
]
