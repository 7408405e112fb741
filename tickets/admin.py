"""Django admin of the tickets app: configuration is edited here; tickets are read-only (their writes
go through the services, which keep the workflow, the SLA clocks and the version right)."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline

from tickets import models as m


class HistoryAdmin(SimpleHistoryAdmin, ModelAdmin):
    """Unfold look with simple-history's change log."""


class CommentInline(TabularInline):
    model = m.Comment
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "public", "from_customer", "body"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class EventInline(TabularInline):
    model = m.TicketEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "actor", "from_status", "to_status", "data"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Ticket)
class TicketAdmin(HistoryAdmin):
    list_display = [
        "number",
        "subject",
        "status",
        "priority",
        "assignee",
        "team",
        "resolution_due_at",
        "created_at",
    ]
    list_filter = ["status", "priority", "channel", "category", "team"]
    list_select_related = ["assignee", "team", "customer"]
    search_fields = ["number", "subject", "customer__name", "requester_email"]
    date_hierarchy = "created_at"
    inlines = [CommentInline, EventInline]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in self.model._meta.fields] + [
            "watchers",
            "calls",
            "recordings",
            "voicemails",
            "callbacks",
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(m.Category)
class CategoryAdmin(HistoryAdmin):
    list_display = ["name", "code", "parent", "default_team", "active"]
    list_filter = ["active"]
    list_select_related = ["parent", "default_team"]
    search_fields = ["name", "code"]


@admin.register(m.SLAPolicy)
class SLAPolicyAdmin(HistoryAdmin):
    list_display = [
        "name", "active", "order", "priority", "category", "min_vip_level", "first_response_minutes",
        "resolution_minutes", "calendar",
    ]  # fmt: skip
    list_filter = ["active", "priority"]
    list_select_related = ["category", "calendar"]


@admin.register(m.AssignmentRule)
class AssignmentRuleAdmin(HistoryAdmin):
    list_display = ["name", "order", "active", "category", "keywords", "channel", "assign_to", "team", "stop"]
    list_filter = ["active"]
    list_select_related = ["category", "assign_to", "team"]


@admin.register(m.CustomField)
class CustomFieldAdmin(HistoryAdmin):
    list_display = ["key", "label", "kind", "required", "active"]


@admin.register(m.WebhookEndpoint)
class WebhookEndpointAdmin(HistoryAdmin):
    list_display = ["name", "url", "active"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_exclude(self, request: HttpRequest, obj=None) -> list[str]:
        # The signing secret is shown only to those who may change the endpoint.
        return [] if request.user.has_perm("tickets.change_webhookendpoint") else ["secret"]


@admin.register(m.WebhookDelivery)
class WebhookDeliveryAdmin(ModelAdmin):
    list_display = ["created_at", "endpoint", "event", "status", "attempts", "last_status_code", "last_error"]
    list_filter = ["status", "event", "endpoint"]
    list_select_related = ["endpoint"]
    readonly_fields = [f.name for f in m.WebhookDelivery._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("endpoint")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
