"""Calls, their timelines, recordings, voicemails and callbacks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ccapp.models.agents import Agent
from ccapp.models.queues import DispositionCode, Queue
from ccapp.models.routing import InboundRoute


class CallDirection(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    INTERNAL = "internal", _("Internal")
    CALLBACK = "callback", _("Callback")


class CallOutcome(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    ANSWERED = "answered", _("Answered")
    ABANDONED_IVR = "abandoned_ivr", _("Abandoned in IVR")
    ABANDONED_QUEUE = "abandoned_queue", _("Abandoned in queue")
    VOICEMAIL = "voicemail", _("Voicemail")
    CALLBACK = "callback", _("Callback requested")
    OVERFLOW = "overflow", _("Overflowed")
    TRANSFERRED = "transferred", _("Transferred out")
    SELF_SERVICE = "self_service", _("Finished in self-service")
    FAILED = "failed", _("Failed")


class Call(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel_id = models.CharField(_("ARI channel id"), max_length=128, db_index=True)
    direction = models.CharField(
        _("direction"), max_length=16, choices=CallDirection.choices, default=CallDirection.INBOUND
    )
    caller_raw = models.CharField(_("caller as received"), max_length=64, blank=True)
    caller = models.CharField(_("caller (E.164)"), max_length=32, blank=True, db_index=True)
    dnis = models.CharField(_("dialled number"), max_length=32, blank=True)
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    route = models.ForeignKey(
        InboundRoute, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    flow_version = models.PositiveIntegerField(null=True, blank=True)
    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    priority = models.PositiveSmallIntegerField(_("priority"), default=0)
    vip = models.BooleanField(_("VIP"), default=False)
    language = models.CharField(_("language"), max_length=8, default="zh")
    arrived_at = models.DateTimeField(_("arrived"), default=timezone.now, db_index=True)
    ivr_exit_at = models.DateTimeField(_("left the IVR"), null=True, blank=True)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    offered_at = models.DateTimeField(_("offered to an agent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True, db_index=True)
    wrapup_ended_at = models.DateTimeField(_("wrap-up ended"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=CallOutcome.choices,
        default=CallOutcome.IN_PROGRESS,
        db_index=True,
    )
    wait_seconds = models.FloatField(_("wait (s)"), default=0)
    talk_seconds = models.FloatField(_("talk (s)"), default=0)
    hold_seconds = models.FloatField(_("hold (s)"), default=0)
    wrapup_seconds = models.FloatField(_("wrap-up (s)"), default=0)
    disposition = models.ForeignKey(
        DispositionCode, verbose_name=_("disposition"), null=True, blank=True, on_delete=models.SET_NULL
    )
    notes = models.TextField(_("notes"), blank=True)
    ivr_path = models.JSONField(_("IVR path"), default=list, blank=True)
    ivr_digits = models.JSONField(_("digits entered"), default=dict, blank=True)
    variables = models.JSONField(_("variables"), default=dict, blank=True)
    # Where a caller inside an IVR flow resumes after a worker restart (see ccapp.ivr.messages.Checkpoint).
    ivr_checkpoint = models.JSONField(default=dict, blank=True, editable=False)
    csat = models.PositiveSmallIntegerField(
        _("CSAT (1-5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    nps = models.PositiveSmallIntegerField(
        _("NPS (0-10)"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    stasis_node = models.CharField(_("stasis worker"), max_length=64, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="legs",
        help_text=_("The call this one was transferred or called back from."),
    )

    class Meta:
        ordering = ["-arrived_at"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        permissions = [
            ("handle_calls", _("Can take and handle calls")),
            ("monitor_calls", _("Can listen, whisper and barge")),
            ("view_reports", _("Can read call reports and the wallboard")),
        ]
        indexes = [models.Index(fields=["queue", "arrived_at"]), models.Index(fields=["agent", "arrived_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(csat__isnull=True) | models.Q(csat__gte=1, csat__lte=5),
                name="call_csat_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(nps__isnull=True) | models.Q(nps__lte=10), name="call_nps_0_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.caller or self.caller_raw or '?'} → {self.dnis} ({self.arrived_at:%Y-%m-%d %H:%M})"


class CallEvent(models.Model):
    """Append-only timeline of a call."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(_("kind"), max_length=48)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        indexes = [models.Index(fields=["call", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("CallEvent rows are append-only")
        super().save(*args, **kwargs)


class FileState(models.TextChoices):
    """Where the audio of a recording or voicemail is: still on Asterisk, copied here, or lost."""

    PENDING = "pending", _("On Asterisk")
    STORED = "stored", _("Stored")
    FAILED = "failed", _("Copy failed")


class Recording(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="recordings")
    name = models.CharField(_("recording name"), max_length=128, unique=True)
    file = models.FileField(_("file"), upload_to="recordings/%Y/%m/%d", blank=True)
    format = models.CharField(max_length=8, default="wav")
    legs = models.JSONField(_("legs"), default=list, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (s)"), default=0)
    paused_seconds = models.FloatField(_("paused (s)"), default=0)
    paused_since = models.DateTimeField(null=True, blank=True, editable=False)
    state = models.CharField(max_length=16, default="recording")
    file_state = models.CharField(
        _("audio"), max_length=8, choices=FileState.choices, default=FileState.PENDING
    )
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    fetch_error = models.CharField(_("copy error"), max_length=255, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        permissions = [("listen_recordings", _("Can listen to every call recording and voicemail"))]

    def __str__(self) -> str:
        return self.name


class Voicemail(models.Model):
    call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="voicemails"
    )
    queue = models.ForeignKey(
        Queue, verbose_name=_("mailbox"), null=True, blank=True, on_delete=models.SET_NULL
    )
    caller = models.CharField(_("caller"), max_length=32, blank=True)
    customer = models.ForeignKey(
        "crm.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="voicemails"
    )
    recording_name = models.CharField(_("recording name"), max_length=128, blank=True)
    file = models.FileField(_("file"), upload_to="voicemail/%Y/%m/%d", blank=True)
    duration_seconds = models.FloatField(_("duration (s)"), default=0)
    file_state = models.CharField(
        _("audio"), max_length=8, choices=FileState.choices, default=FileState.PENDING
    )
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    fetch_error = models.CharField(_("copy error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("left at"), default=timezone.now, db_index=True)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("voicemail")
        verbose_name_plural = _("voicemails")

    def __str__(self) -> str:
        return f"{self.caller} {self.created_at:%Y-%m-%d %H:%M}"


class CallbackStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class CallbackResult(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class CallbackRequest(models.Model):
    customer = models.ForeignKey(
        "crm.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks"
    )
    number = models.CharField(_("number (E.164)"), max_length=32)
    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), on_delete=models.PROTECT, related_name="callbacks"
    )
    origin_call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    voicemail = models.ForeignKey(
        Voicemail, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    queued_since = models.DateTimeField(
        _("place in line since"),
        default=timezone.now,
        help_text=_("A callback keeps the caller's place in line."),
    )
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CallbackStatus.choices,
        default=CallbackStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"), default=3)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="callbacks"
    )
    reserved_until = models.DateTimeField(
        _("reserved for its agent until"),
        null=True,
        blank=True,
        help_text=_("Until then only its agent is offered the callback; afterwards any agent of the queue."),
    )
    result = models.CharField(_("result"), max_length=16, choices=CallbackResult.choices, blank=True)
    last_call = models.ForeignKey(
        Call,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("last attempt"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["queued_since"]
        verbose_name = _("callback request")
        verbose_name_plural = _("callback requests")

    def __str__(self) -> str:
        return f"{self.number} ({self.get_status_display()})"
