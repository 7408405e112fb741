"""Queues, their members and wrap-up dispositions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ccapp.models.agents import Agent, Skill


class Strategy(models.TextChoices):
    RING_ALL = "ring_all", _("Ring all")
    LINEAR = "linear", _("Linear (hunting)")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LONGEST_IDLE = "longest_idle", _("Longest idle agent")
    FEWEST_CALLS = "fewest_calls", _("Fewest calls")
    LEAST_TALK_TIME = "least_talk_time", _("Least talk time today")
    RANDOM = "random", _("Random")
    WEIGHTED_RANDOM = "weighted_random", _("Weighted random")
    SKILLS_BASED = "skills_based", _("Skills based")


class OverflowAction(models.TextChoices):
    NONE = "", _("Keep waiting")
    QUEUE = "queue", _("Another queue")
    VOICEMAIL = "voicemail", _("Voicemail")
    EXTERNAL = "external", _("External number")
    HANGUP = "hangup", _("Apologise and hang up")


class Queue(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    code = models.SlugField(
        _("code"), max_length=32, unique=True, help_text=_("Used by IVR flows and reports.")
    )
    strategy = models.CharField(
        _("strategy"), max_length=24, choices=Strategy.choices, default=Strategy.LONGEST_IDLE
    )
    skills = models.ManyToManyField(Skill, through="QueueSkill", related_name="queues", blank=True)
    members = models.ManyToManyField(Agent, through="QueueMember", related_name="queues", blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=0, validators=[MaxValueValidator(100)], help_text=_("Higher is served first.")
    )
    sl_target_seconds = models.PositiveIntegerField(_("service level: answered within (s)"), default=20)
    sl_target_percent = models.PositiveSmallIntegerField(
        _("service level target (%)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    ring_timeout_seconds = models.PositiveIntegerField(
        _("ring timeout (s)"), default=20, validators=[MinValueValidator(5), MaxValueValidator(120)]
    )
    wrapup_seconds = models.PositiveIntegerField(
        _("wrap-up (s)"), default=15, validators=[MaxValueValidator(3600)]
    )
    max_wait_seconds = models.PositiveIntegerField(_("maximum wait (s)"), default=600)
    announce_position = models.BooleanField(_("announce position"), default=True)
    announce_wait = models.BooleanField(_("announce estimated wait"), default=True)
    announce_every_seconds = models.PositiveIntegerField(_("announce every (s)"), default=45)
    music_class = models.CharField(_("music on hold class"), max_length=64, default="default")
    offer_after_seconds = models.PositiveIntegerField(
        _("offer callback / voicemail after (s)"), null=True, blank=True
    )
    offer_callback = models.BooleanField(_("offer a callback"), default=True)
    offer_voicemail = models.BooleanField(_("offer voicemail"), default=True)
    overflow_action = models.CharField(
        _("overflow to"),
        max_length=16,
        choices=OverflowAction.choices,
        default=OverflowAction.VOICEMAIL,
        blank=True,
    )
    overflow_queue = models.ForeignKey(
        "self", verbose_name=_("overflow queue"), null=True, blank=True, on_delete=models.SET_NULL
    )
    overflow_number = models.CharField(_("overflow number"), max_length=32, blank=True)
    record_calls = models.BooleanField(_("record calls"), default=True)
    require_disposition = models.BooleanField(_("disposition required"), default=False)
    survey_enabled = models.BooleanField(_("post-call survey"), default=False)
    call_time_limit_seconds = models.PositiveIntegerField(_("call time limit (s)"), null=True, blank=True)
    relax_after_seconds = models.PositiveIntegerField(
        _("relax skills after (s)"),
        null=True,
        blank=True,
        help_text=_("After this wait, the skill levels a call needs drop by the levels below."),
    )
    relax_levels = models.PositiveSmallIntegerField(
        _("levels dropped"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("10 drops every skill requirement."),
    )
    aging_per_minute = models.PositiveSmallIntegerField(
        _("priority gained per minute of waiting"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("Lets long-waiting calls overtake newer calls of higher priority."),
    )
    language_wait_seconds = models.PositiveIntegerField(
        _("wait for a speaker of the caller's language (s)"),
        null=True,
        blank=True,
        default=60,
        help_text=_(
            "After this wait any agent may take the call; agents who speak its language still come first. "
            "Empty: only they may take it, however long the wait."
        ),
    )
    caller_id = models.CharField(_("outbound caller ID"), max_length=32, blank=True)
    callback_attempts = models.PositiveSmallIntegerField(
        _("callback attempts"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("How many times a callback dials the customer before it fails."),
    )
    callback_retry_seconds = models.PositiveIntegerField(
        _("callback retry interval (s)"),
        default=600,
        validators=[MinValueValidator(30), MaxValueValidator(86400)],
    )
    mailbox_owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("voicemail recipients"), blank=True, related_name="+"
    )
    language = models.CharField(
        _("language"), max_length=8, choices=[("zh", "中文"), ("en", "English")], default="zh"
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-priority", "name"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.overflow_action == OverflowAction.QUEUE and not self.overflow_queue_id:
            raise ValidationError({"overflow_queue": _("Choose the queue that takes the overflow.")})
        if self.overflow_action == OverflowAction.EXTERNAL and not self.overflow_number:
            raise ValidationError({"overflow_number": _("Enter the number that takes the overflow.")})
        if self.overflow_queue_id and self.overflow_queue_id == self.pk:
            raise ValidationError({"overflow_queue": _("A queue cannot overflow into itself.")})


class QueueSkill(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE)
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE)
    min_level = models.PositiveSmallIntegerField(
        _("minimum level"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )

    class Meta:
        verbose_name = _("required skill")
        verbose_name_plural = _("required skills")
        constraints = [models.UniqueConstraint(fields=["queue", "skill"], name="queue_skill_unique")]

    def __str__(self) -> str:
        return f"{self.skill} ≥ {self.min_level}"


class QueueMember(models.Model):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="memberships")
    penalty = models.PositiveSmallIntegerField(
        _("penalty"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("Lower penalties are tried first."),
    )
    order = models.PositiveSmallIntegerField(
        _("hunting order"), default=0, help_text=_("Used by the linear and round-robin strategies.")
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"),
        default=1,
        validators=[MaxValueValidator(100)],
        help_text=_("Share of calls under the weighted random strategy."),
    )
    logged_in = models.BooleanField(_("logged in to this queue"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["queue", "penalty"]
        verbose_name = _("queue member")
        verbose_name_plural = _("queue members")
        constraints = [models.UniqueConstraint(fields=["queue", "agent"], name="queue_member_unique")]

    def __str__(self) -> str:
        return f"{self.agent} @ {self.queue}"


class DispositionCode(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    queues = models.ManyToManyField(Queue, blank=True, related_name="dispositions", verbose_name=_("queues"))
    resolved = models.BooleanField(_("counts as resolved (FCR)"), default=True)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("disposition code")
        verbose_name_plural = _("disposition codes")

    def __str__(self) -> str:
        return self.name
