"""Customers, their numbers and emails, and the typed custom fields admins define."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    COMPANY = "company", _("Company")


class Customer(models.Model):
    kind = models.CharField(
        _("kind"), max_length=8, choices=CustomerKind.choices, default=CustomerKind.PERSON
    )
    name = models.CharField(_("name"), max_length=128, db_index=True)
    company = models.CharField(_("company"), max_length=128, blank=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    language = models.CharField(
        _("language"), max_length=8, choices=[("zh", "中文"), ("en", "English")], default="zh"
    )
    region = models.CharField(_("region"), max_length=64, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    vip_level = models.PositiveSmallIntegerField(
        _("VIP level"), default=0, validators=[MaxValueValidator(5)], help_text=_("0 is a regular customer.")
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
    )
    do_not_call = models.BooleanField(_("do not call"), default=False)
    consent = models.BooleanField(_("consents to contact"), default=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        help_text=_("Set when this record was merged into another; it is kept for history."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        # Trigram indexes make "contains" search on names and emails usable at a million rows.
        indexes = [
            GinIndex(fields=["name"], name="crm_customer_name_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["company"], name="crm_customer_company_trgm", opclasses=["gin_trgm_ops"]),
            models.Index(Upper("email"), name="crm_customer_email_upper"),
        ]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name

    @property
    def is_vip(self) -> bool:
        return self.vip_level > 0


class CustomerPhone(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("number (E.164)"), max_length=32, blank=True)
    raw = models.CharField(_("number as entered"), max_length=64)
    label = models.CharField(_("label"), max_length=32, blank=True)
    valid = models.BooleanField(_("valid number"), default=True)
    extension = models.CharField(_("extension"), max_length=8, blank=True)

    class Meta:
        # The screen pop looks numbers up on every call: a covering index keeps it index-only.
        indexes = [
            models.Index(fields=["number", "customer"], name="crm_phone_number_cust"),
            # "Last four digits" search is a LIKE '%1234': only a trigram index serves it.
            GinIndex(fields=["number"], name="crm_phone_number_trgm", opclasses=["gin_trgm_ops"]),
        ]
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")

    def __str__(self) -> str:
        return self.number or self.raw


class CustomerEmail(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("email"))
    label = models.CharField(_("label"), max_length=32, blank=True)

    class Meta:
        # Duplicates are found by email whatever its case.
        indexes = [models.Index(Upper("email"), name="crm_email_upper")]
        verbose_name = _("email address")
        verbose_name_plural = _("email addresses")

    def __str__(self) -> str:
        return self.email


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes / no")
    CHOICE = "choice", _("Choice")


class CustomFieldDefinition(models.Model):
    key = models.CharField(
        _("key"),
        max_length=48,
        unique=True,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", _("Lower-case letters, digits and _ only."))],
    )
    label = models.CharField(_("label"), max_length=64)
    type = models.CharField(_("type"), max_length=8, choices=CustomFieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True, help_text=_("For choice fields."))
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label
