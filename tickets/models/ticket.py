"""The ticket (工单), its number counter, links between tickets and its event log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tickets import workflow
from tickets.models.config import Category, Channel, Priority, SLAPolicy


class Status(models.TextChoices):
    NEW = workflow.NEW, _("New")
    OPEN = workflow.OPEN, _("Open")
    PENDING_CUSTOMER = workflow.PENDING_CUSTOMER, _("Pending customer")
    PENDING_THIRD_PARTY = workflow.PENDING_THIRD_PARTY, _("Pending third party")
    RESOLVED = workflow.RESOLVED, _("Resolved")
    CLOSED = workflow.CLOSED, _("Closed")


class TicketCounter(models.Model):
    """The last ticket number handed out per year (incremented atomically by an upsert)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket counter")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


def _user_fk(verbose_name: str, related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related_name,
    )


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    requester_name = models.CharField(_("requester name"), max_length=128, blank=True)
    requester_email = models.EmailField(_("requester email"), blank=True)
    requester_phone = models.CharField(_("requester phone"), max_length=32, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=[("zh", "中文"), ("en", "English")], default="zh"
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.API)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.NEW)
    assignee = _user_fk(_("assignee"), "assigned_tickets")
    team = models.ForeignKey(
        "ccapp.Queue", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    group = models.ForeignKey(
        "auth.Group", verbose_name=_("group"), null=True, blank=True, on_delete=models.SET_NULL
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("watchers"), blank=True, related_name="watched_tickets"
    )
    tags = ArrayField(models.CharField(max_length=40), verbose_name=_("tags"), default=list, blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    calls = models.ManyToManyField("ccapp.Call", blank=True, related_name="tickets")
    recordings = models.ManyToManyField("ccapp.Recording", blank=True, related_name="tickets")
    voicemails = models.ManyToManyField("ccapp.Voicemail", blank=True, related_name="tickets")
    callbacks = models.ManyToManyField("ccapp.CallbackRequest", blank=True, related_name="tickets")
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
    )

    sla_policy = models.ForeignKey(
        SLAPolicy, verbose_name=_("SLA policy"), null=True, blank=True, on_delete=models.SET_NULL
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True, db_index=True)
    sla_paused_at = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    sla_paused_seconds = models.FloatField(_("SLA paused (business seconds)"), default=0)
    first_response_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_response_breached_at = models.DateTimeField(_("first response breached"), null=True, blank=True)
    resolution_breached_at = models.DateTimeField(_("resolution breached"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    satisfaction_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    satisfaction_rating = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    satisfaction_comment = models.TextField(_("satisfaction comment"), blank=True)
    satisfaction_at = models.DateTimeField(_("satisfaction given"), null=True, blank=True)

    created_by = _user_fk(_("created by"), "+")
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Raised by every change; a stale version is refused.")
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [("supervise_ticket", _("Can supervise tickets (escalations, bulk actions)"))]
        indexes = [
            models.Index(fields=["status", "assignee"]),
            models.Index(fields=["status", "team"]),
            models.Index(fields=["status", "first_response_due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_done(self) -> bool:
        return self.status in workflow.DONE

    @property
    def sla_paused(self) -> bool:
        return self.sla_paused_at is not None

    @property
    def contact_email(self) -> str:
        return (self.customer.email if self.customer_id else "") or self.requester_email


class LinkKind(models.TextChoices):
    RELATES = "relates", _("Relates to")
    DUPLICATES = "duplicates", _("Duplicates")
    BLOCKS = "blocks", _("Blocks")


class TicketLink(models.Model):
    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("kind"), max_length=16, choices=LinkKind.choices, default=LinkKind.RELATES)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="ticket_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="ticket_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    UPDATED = "updated", _("Updated")
    COMMENTED = "commented", _("Commented")
    SLA_WARNING = "sla_warning", _("SLA breach warning")
    SLA_BREACH = "sla_breach", _("SLA breached")
    ESCALATED = "escalated", _("Escalated")
    MERGED = "merged", _("Merged")
    RULE = "rule", _("Rule applied")
    SATISFACTION = "satisfaction", _("Satisfaction received")


class TicketEvent(models.Model):
    """The ticket's activity log: every transition, assignment, SLA warning and escalation."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"), db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    actor = _user_fk(_("by"), "+")
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
