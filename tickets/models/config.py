"""Configuration of the tickets app: categories, SLA policies, assignment rules, custom fields."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    VOICEMAIL = "voicemail", _("Voicemail")
    CALLBACK = "callback", _("Callback")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")
    WEB_FORM = "web_form", _("Web form")
    API = "api", _("API")


class Category(models.Model):
    name = models.CharField(_("name"), max_length=64)
    code = models.SlugField(_("code"), max_length=48, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    default_team = models.ForeignKey(
        "ccapp.Queue", verbose_name=_("default team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["parent__name", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        node, seen = self.parent, {self.pk}
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("A category cannot be its own ancestor.")})
            seen.add(node.pk)
            node = node.parent

    def lineage_ids(self) -> list[int]:
        """This category's id and its ancestors', nearest first."""
        ids, node = [], self
        while node is not None and node.pk not in ids:
            ids.append(node.pk)
            node = node.parent
        return ids


class SLAPolicy(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(
        _("order"), default=100, help_text=_("Among equally specific policies, the lowest order wins.")
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, null=True, blank=True, help_text=_("Empty: any priority.")
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Applies to the category and its sub-categories. Empty: any category."),
    )
    min_vip_level = models.PositiveSmallIntegerField(
        _("minimum VIP level"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(5)],
        help_text=_("Empty: any customer."),
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (business minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (business minutes)"), validators=[MinValueValidator(1)]
    )
    warn_before_minutes = models.PositiveIntegerField(_("warn before a breach (minutes)"), default=30)
    calendar = models.ForeignKey(
        "ccapp.BusinessHours",
        verbose_name=_("business hours"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: the clock runs around the clock."),
    )
    escalate_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on breach, reassign to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor to notify"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: every user allowed to supervise tickets."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        first, resolution = self.first_response_minutes, self.resolution_minutes
        if first and resolution and first > resolution:
            raise ValidationError(
                {"first_response_minutes": _("The first response cannot be due after the resolution.")}
            )


class AssignmentRule(models.Model):
    """When a new ticket matches (category and/or keyword and/or channel), then assign / route / tag it."""

    name = models.CharField(_("name"), max_length=64)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)
    category = models.ForeignKey(
        Category, verbose_name=_("when category is"), null=True, blank=True, on_delete=models.CASCADE
    )
    keywords = models.CharField(
        _("when subject or description contains"),
        max_length=255,
        blank=True,
        help_text=_("Comma-separated; any one matches."),
    )
    channel = models.CharField(_("when channel is"), max_length=16, choices=Channel.choices, blank=True)
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("then assign to"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(
        "ccapp.Queue", verbose_name=_("then route to team"), null=True, blank=True, on_delete=models.CASCADE
    )
    set_priority = models.PositiveSmallIntegerField(
        _("then set priority"), choices=Priority.choices, null=True, blank=True
    )
    add_tags = ArrayField(
        models.CharField(max_length=40), verbose_name=_("then add tags"), default=list, blank=True
    )
    stop = models.BooleanField(_("stop after this rule"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.category_id or self.keywords.strip() or self.channel):
            raise ValidationError(_("A rule needs at least one condition."))
        if not (self.assign_to_id or self.team_id or self.set_priority or self.add_tags):
            raise ValidationError(_("A rule needs at least one action."))

    def keyword_list(self) -> list[str]:
        return [k.strip().lower() for k in self.keywords.replace("，", ",").split(",") if k.strip()]


class CustomFieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    BOOLEAN = "bool", _("Yes/no")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class CustomField(models.Model):
    key = models.SlugField(_("key"), max_length=48, unique=True)
    label = models.CharField(_("label"), max_length=64)
    kind = models.CharField(_("kind"), max_length=8, choices=CustomFieldKind.choices, default="text")
    choices = ArrayField(models.CharField(max_length=64), verbose_name=_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label
