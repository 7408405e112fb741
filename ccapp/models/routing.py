"""Business hours, IVR flows and inbound routes."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ccapp.ivr.schema import validate_flow
from ccapp.models.queues import Queue

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone %(tz)s."), params={"tz": value}) from None


class BusinessHours(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_timezone]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    calendar = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="ranges")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")), name="opens_before_closes"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens and self.closes and self.opens >= self.closes:
            raise ValidationError({"closes": _("Closing time must be after opening time.")})


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=64)
    working_day = models.BooleanField(
        _("working day (调休)"), default=False, help_text=_("A weekend day worked with weekday hours.")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class IVRFlow(models.Model):
    name = models.CharField(_("name"), max_length=64)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    graph = models.JSONField(
        _("flow"), help_text=_('{"start": "node", "nodes": {"node": {"type": "play", ...}}}')
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("IVR flow")
        verbose_name_plural = _("IVR flows")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def save(self, *args, **kwargs) -> None:
        # Every save is validated (also outside forms) and makes a new version, so a call can name
        # the exact version it ran.
        self.clean()
        if self.pk is not None:
            self.version = (
                type(self).objects.filter(pk=self.pk).values_list("version", flat=True).first() or 0
            ) + 1
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = validate_flow(self.graph)
        if errors:
            raise ValidationError({"graph": [str(error) for error in errors]})


class InboundRoute(models.Model):
    dnis = models.CharField(_("dialled number (DNIS)"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    flow = models.ForeignKey(
        IVRFlow,
        verbose_name=_("IVR flow"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routes",
    )
    queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue (no IVR)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routes",
    )
    business_hours = models.ForeignKey(
        BusinessHours, verbose_name=_("business hours"), null=True, blank=True, on_delete=models.SET_NULL
    )
    closed_flow = models.ForeignKey(
        IVRFlow,
        verbose_name=_("IVR flow when closed"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="closed_routes",
    )
    failover_queue = models.ForeignKey(
        Queue,
        verbose_name=_("failover queue"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="failover_routes",
        help_text=_("Where callers go when the flow fails; voicemail if empty."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=[("zh", "中文"), ("en", "English")], default="zh"
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["dnis"]
        verbose_name = _("inbound route")
        verbose_name_plural = _("inbound routes")

    def __str__(self) -> str:
        return f"{self.dnis} {self.name}"

    def clean(self) -> None:
        if bool(self.flow_id) == bool(self.queue_id):
            raise ValidationError({"flow": _("Choose either an IVR flow or a queue.")})
