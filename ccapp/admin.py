"""Django admin of the call-center core (IT manages everything here)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from ccapp import models as m
from ccapp.audio.access import audible_recordings, audible_voicemails, audio_url


class HistoryAdmin(SimpleHistoryAdmin, ModelAdmin):
    """Unfold look with simple-history's change log."""


class AgentSkillInline(TabularInline):
    model = m.AgentSkill
    extra = 0
    autocomplete_fields = ["skill"]


class QueueMemberInline(TabularInline):
    model = m.QueueMember
    extra = 0
    autocomplete_fields = ["agent"]


class QueueSkillInline(TabularInline):
    model = m.QueueSkill
    extra = 0
    autocomplete_fields = ["skill"]


class OpeningHoursInline(TabularInline):
    model = m.OpeningHours
    extra = 0


class HolidayInline(TabularInline):
    model = m.Holiday
    extra = 0


class CallEventInline(TabularInline):
    model = m.CallEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "data"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AudioPlayer:
    """A `player` column: the browser's audio player for a copied recording, else where its audio is."""

    @admin.display(description=_("listen"))
    def player(self, row: m.Recording | m.Voicemail) -> str:
        url = audio_url(row) if row.pk else None
        if url is None:
            return f"{row.get_file_state_display()} {row.fetch_error}".strip()
        return format_html('<audio controls preload="none" src="{}"></audio>', url)


class RecordingInline(AudioPlayer, TabularInline):
    model = m.Recording
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "name", "player", "duration_seconds", "paused_seconds", "size_bytes", "started_at", "state"
    ]  # fmt: skip

    def get_queryset(self, request):
        # Only the recordings this user may hear are listed (agents: their own calls).
        return audible_recordings(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class VoicemailInline(AudioPlayer, TabularInline):
    model = m.Voicemail
    extra = 0
    can_delete = False
    fields = readonly_fields = ["created_at", "queue", "player", "duration_seconds", "handled_at"]

    def get_queryset(self, request):
        return audible_voicemails(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Skill)
class SkillAdmin(HistoryAdmin):
    search_fields = ["name", "description"]
    list_display = ["name", "description"]


@admin.register(m.PauseCode)
class PauseCodeAdmin(HistoryAdmin):
    list_display = ["name", "code", "productive", "max_minutes", "active"]
    list_filter = ["productive", "active"]
    search_fields = ["name", "code"]


@admin.register(m.Agent)
class AgentAdmin(HistoryAdmin):
    list_display = ["__str__", "endpoint", "state", "state_since"]
    list_filter = ["state", "memberships__queue"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "extension", "endpoint"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["state", "pause_code", "state_reason", "state_since", "current_call"]
    inlines = [AgentSkillInline]


@admin.register(m.Queue)
class QueueAdmin(HistoryAdmin):
    list_display = [
        "name",
        "code",
        "strategy",
        "priority",
        "sl_target_seconds",
        "sl_target_percent",
        "active",
    ]
    list_filter = ["strategy", "active", "record_calls"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["overflow_queue"]
    filter_horizontal = ["mailbox_owners"]
    inlines = [QueueSkillInline, QueueMemberInline]
    fieldsets = [
        (None, {"fields": ["name", "code", "strategy", "priority", "language", "active"]}),
        (
            _("Service level"),
            {
                "fields": [
                    "sl_target_seconds",
                    "sl_target_percent",
                    "ring_timeout_seconds",
                    "wrapup_seconds",
                    "require_disposition",
                    "call_time_limit_seconds",
                ]
            },
        ),
        (
            _("Waiting"),
            {
                "fields": [
                    "music_class",
                    "announce_position",
                    "announce_wait",
                    "announce_every_seconds",
                    "offer_after_seconds",
                    "offer_callback",
                    "offer_voicemail",
                    "max_wait_seconds",
                ]
            },
        ),
        (
            _("Routing"),
            {"fields": ["relax_after_seconds", "relax_levels", "aging_per_minute", "language_wait_seconds"]},
        ),
        (_("Overflow"), {"fields": ["overflow_action", "overflow_queue", "overflow_number"]}),
        (_("Other"), {"fields": ["record_calls", "survey_enabled", "caller_id", "mailbox_owners"]}),
        (_("Callbacks"), {"fields": ["callback_attempts", "callback_retry_seconds"]}),
    ]


@admin.register(m.DispositionCode)
class DispositionCodeAdmin(HistoryAdmin):
    list_display = ["name", "code", "resolved", "active"]
    list_filter = ["resolved", "active"]
    search_fields = ["name", "code"]
    filter_horizontal = ["queues"]


@admin.register(m.BusinessHours)
class BusinessHoursAdmin(HistoryAdmin):
    list_display = ["name", "timezone"]
    search_fields = ["name"]
    inlines = [OpeningHoursInline, HolidayInline]


@admin.register(m.IVRFlow)
class IVRFlowAdmin(HistoryAdmin):
    list_display = ["name", "code", "version", "description"]
    search_fields = ["name", "code", "description"]
    readonly_fields = ["version"]


@admin.register(m.InboundRoute)
class InboundRouteAdmin(HistoryAdmin):
    list_display = ["dnis", "name", "flow", "queue", "business_hours", "active"]
    list_filter = ["active", "language"]
    search_fields = ["dnis", "name"]
    list_select_related = ["flow", "queue", "business_hours"]


@admin.register(m.Call)
class CallAdmin(ModelAdmin):
    list_display = [
        "arrived_at",
        "caller",
        "dnis",
        "queue",
        "agent",
        "outcome",
        "wait_seconds",
        "talk_seconds",
    ]
    list_filter = ["outcome", "direction", "queue", "vip"]
    search_fields = ["caller", "caller_raw", "dnis", "channel_id", "customer__name"]
    list_select_related = ["queue", "agent__user", "customer"]
    date_hierarchy = "arrived_at"
    readonly_fields = [f.name for f in m.Call._meta.fields]
    inlines = [CallEventInline, RecordingInline, VoicemailInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(m.Recording)
class RecordingAdmin(AudioPlayer, ModelAdmin):
    list_display = ["name", "call", "duration_seconds", "started_at", "state", "file_state", "player"]
    list_filter = ["file_state"]
    search_fields = ["name", "call__caller"]
    list_select_related = ["call"]
    readonly_fields = ["player", *(f.name for f in m.Recording._meta.fields)]

    def get_queryset(self, request):
        return audible_recordings(request.user)


@admin.register(m.Voicemail)
class VoicemailAdmin(AudioPlayer, ModelAdmin):
    list_display = ["created_at", "caller", "queue", "duration_seconds", "handled_at", "player"]
    list_filter = ["queue", "file_state"]
    search_fields = ["caller", "customer__name"]
    list_select_related = ["queue", "customer"]
    readonly_fields = ["player", "recording_name", "file", "file_state", "size_bytes", "fetch_error"]

    def get_queryset(self, request):
        return audible_voicemails(request.user).select_related("queue", "customer")


@admin.register(m.CallbackRequest)
class CallbackRequestAdmin(ModelAdmin):
    list_display = [
        "number",
        "queue",
        "status",
        "result",
        "queued_since",
        "scheduled_for",
        "attempts",
        "next_attempt_at",
        "agent",
    ]
    list_filter = ["status", "result", "queue"]
    search_fields = ["number", "customer__name"]
    list_select_related = ["queue", "agent__user", "customer"]


# Users and groups with the same look as the rest of the admin.
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    pass
