"""The 360° timeline: one row per thing that happened with a customer, on any channel."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.customers import Customer


class InteractionKind(models.TextChoices):
    CALL = "call", _("Call")
    VOICEMAIL = "voicemail", _("Voicemail")
    CALLBACK = "callback", _("Callback")
    TICKET = "ticket", _("Ticket")
    COMMENT = "comment", _("Ticket comment")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("Email")
    SURVEY = "survey", _("Survey")
    NOTE = "note", _("Note")
    ARTICLE_SENT = "article_sent", _("Article sent")


class Interaction(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="interactions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=InteractionKind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    summary = models.CharField(_("summary"), max_length=255, blank=True)
    link_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    link_id = models.CharField(max_length=64, blank=True)
    link = GenericForeignKey("link_type", "link_id")
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-at", "-id"], name="crm_interaction_timeline"),
            models.Index(fields=["customer", "kind", "-at"], name="crm_interaction_kind"),
        ]
        # Other apps re-send the same event (Celery retries, a call finalized after a restart):
        # one linked object of one kind is one timeline row.
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "link_type", "link_id"],
                condition=models.Q(link_type__isnull=False),
                name="crm_interaction_one_per_link",
            )
        ]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
