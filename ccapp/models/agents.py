"""Skills, agents and their states."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

endpoint_validator = RegexValidator(
    r"^(PJSIP|SIP|IAX2|Local)/[A-Za-z0-9_.@+\-]+$",
    _("Enter an Asterisk endpoint such as PJSIP/1001."),
)


class Skill(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name


class PauseCode(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    productive = models.BooleanField(_("counts as productive time"), default=False)
    max_minutes = models.PositiveIntegerField(_("maximum minutes"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("pause code")
        verbose_name_plural = _("pause codes")

    def __str__(self) -> str:
        return self.name


class AgentState(models.TextChoices):
    LOGGED_OUT = "logged_out", _("Logged out")
    READY = "ready", _("Ready")
    PAUSED = "paused", _("Paused")
    RINGING = "ringing", _("Ringing")
    ON_CALL = "on_call", _("On call")
    WRAP_UP = "wrap_up", _("Wrap-up")
    DND = "dnd", _("Do not disturb")


class Agent(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent")
    extension = models.CharField(_("extension"), max_length=16, unique=True)
    endpoint = models.CharField(
        _("SIP endpoint"), max_length=64, unique=True, validators=[endpoint_validator], help_text="PJSIP/1001"
    )
    skills = models.ManyToManyField(Skill, through="AgentSkill", related_name="agents", blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=AgentState.choices, default=AgentState.LOGGED_OUT
    )
    pause_code = models.ForeignKey(
        PauseCode, verbose_name=_("pause code"), null=True, blank=True, on_delete=models.SET_NULL
    )
    state_reason = models.CharField(_("state reason"), max_length=128, blank=True)
    state_since = models.DateTimeField(_("in state since"), default=timezone.now)
    current_call = models.ForeignKey(
        "ccapp.Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    max_chats = models.PositiveSmallIntegerField(
        _("max concurrent chats"), default=3, validators=[MaxValueValidator(20)]
    )
    language = models.CharField(_("languages spoken"), max_length=32, default="zh,en")
    history = HistoricalRecords(
        excluded_fields=["state", "pause_code", "state_reason", "state_since", "current_call"]
    )

    class Meta:
        ordering = ["extension"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        name = self.user.get_full_name() or self.user.get_username()
        return f"{name} ({self.extension})"


class AgentSkill(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE)
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE)
    level = models.PositiveSmallIntegerField(
        _("level"), default=5, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agent skill")
        verbose_name_plural = _("agent skills")
        constraints = [
            models.UniqueConstraint(fields=["agent", "skill"], name="agent_skill_unique"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=10), name="agent_skill_level_1_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.skill} {self.level}"


class AgentStateChange(models.Model):
    """Append-only log of agent states, for time-in-state reports."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="state_changes")
    state = models.CharField(max_length=16, choices=AgentState.choices)
    pause_code = models.ForeignKey(PauseCode, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=128, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("agent state change")
        verbose_name_plural = _("agent state changes")

    def __str__(self) -> str:
        return f"{self.agent_id} {self.state} {self.at:%Y-%m-%d %H:%M:%S}"
