"""Models of the tickets app."""

from tickets.models.comments import Attachment, Comment
from tickets.models.config import (
    AssignmentRule,
    Category,
    Channel,
    CustomField,
    CustomFieldKind,
    Priority,
    SLAPolicy,
)
from tickets.models.ticket import EventKind, LinkKind, Status, Ticket, TicketCounter, TicketEvent, TicketLink
from tickets.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "AssignmentRule",
    "Attachment",
    "Category",
    "Channel",
    "Comment",
    "CustomField",
    "CustomFieldKind",
    "DeliveryStatus",
    "EventKind",
    "LinkKind",
    "Priority",
    "SLAPolicy",
    "Status",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "TicketLink",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
