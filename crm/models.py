"""Customers and their phone numbers (the single customer identity every app hangs off)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
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
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name

    @property
    def is_vip(self) -> bool:
        return self.vip_level > 0


class CustomerPhone(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("number (E.164)"), max_length=32, blank=True, db_index=True)
    raw = models.CharField(_("number as entered"), max_length=64)
    label = models.CharField(_("label"), max_length=32, blank=True)
    valid = models.BooleanField(_("valid number"), default=True)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")

    def __str__(self) -> str:
        return self.number or self.raw
