"""DRF serializers of the tickets API: they validate input; the services do the writes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ccapp.models import Call, CallbackRequest, Queue, Recording, Voicemail
from crm.models import Customer
from tickets import clock, sla
from tickets.models import Category, Channel, Comment, LinkKind, Priority, SLAPolicy, Status, Ticket
from tickets.services.automation import BULK_ACTIONS

User = get_user_model()


class UserField(serializers.SlugRelatedField):
    def __init__(self, **kwargs) -> None:
        super().__init__(slug_field="username", queryset=User.objects.all(), **kwargs)


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know instead of dropping them silently (e.g. `status` in a PATCH)."""

    def validate(self, data: dict) -> dict:
        unknown = sorted(set(getattr(self, "initial_data", {})) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: "Unknown or read-only field here." for name in unknown})
        return data


class ClockSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=[s.value for s in sla.SLAState])
    breached_at = serializers.DateTimeField(allow_null=True)


class TicketSerializer(serializers.ModelSerializer):
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    watchers = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    sla_policy = serializers.StringRelatedField()
    clocks = serializers.SerializerMethodField()
    sla_state = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "version",
            "subject",
            "description",
            "status",
            "priority",
            "channel",
            "customer",
            "requester_name",
            "requester_email",
            "requester_phone",
            "language",
            "category",
            "assignee",
            "team",
            "group",
            "watchers",
            "tags",
            "custom",
            "calls",
            "recordings",
            "voicemails",
            "callbacks",
            "merged_into",
            "sla_policy",
            "clocks",
            "sla_state",
            "first_response_due_at",
            "first_responded_at",
            "resolution_due_at",
            "resolved_at",
            "closed_at",
            "sla_paused_at",
            "escalation_level",
            "satisfaction_rating",
            "satisfaction_comment",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.DictField(child=ClockSerializer(), help_text="first_response and resolution clocks")
    )
    def get_clocks(self, ticket: Ticket) -> dict:
        return sla.clocks(ticket, now=clock.now())

    @extend_schema_field(serializers.ChoiceField(choices=[s.value for s in sla.SLAState]))
    def get_sla_state(self, ticket: Ticket) -> str:
        return getattr(ticket, "sla_state", None) or sla.sla_state(ticket, now=clock.now()).value


class TicketCreateSerializer(StrictSerializer):
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(), required=False, allow_null=True
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(active=True), required=False, allow_null=True
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    assignee = UserField(required=False, allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.all(), required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)
    custom = serializers.DictField(required=False, default=dict)
    requester_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=128)
    requester_email = serializers.EmailField(required=False, allow_blank=True, default="")
    requester_phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)
    language = serializers.ChoiceField(
        choices=[("zh", "中文"), ("en", "English")],
        required=False,
        help_text="Without a customer; else theirs.",
    )
    calls = serializers.PrimaryKeyRelatedField(
        queryset=Call.objects.all(), many=True, required=False, default=list
    )
    recordings = serializers.PrimaryKeyRelatedField(
        queryset=Recording.objects.all(), many=True, required=False, default=list
    )
    voicemails = serializers.PrimaryKeyRelatedField(
        queryset=Voicemail.objects.all(), many=True, required=False, default=list
    )
    callbacks = serializers.PrimaryKeyRelatedField(
        queryset=CallbackRequest.objects.all(), many=True, required=False, default=list
    )


class TicketUpdateSerializer(StrictSerializer):
    version = serializers.IntegerField(help_text="The version you edited; a stale one gets 409.")
    subject = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(active=True), required=False, allow_null=True
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.all(), required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    custom = serializers.DictField(required=False)
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(), required=False, allow_null=True
    )


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    version = serializers.IntegerField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class AssignSerializer(serializers.Serializer):
    assignee = UserField(allow_null=True)
    team = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.all(), required=False, allow_null=True)
    version = serializers.IntegerField(required=False)


class MergeSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(queryset=Ticket.objects.all())
    version = serializers.IntegerField(required=False)


class LinkSerializer(serializers.Serializer):
    target = serializers.PrimaryKeyRelatedField(queryset=Ticket.objects.all())
    kind = serializers.ChoiceField(choices=LinkKind.choices, default=LinkKind.RELATES)


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    attachments = serializers.SerializerMethodField()
    files = serializers.ListField(
        child=serializers.FileField(), write_only=True, required=False, default=list
    )

    class Meta:
        model = Comment
        fields = ["id", "body", "public", "from_customer", "author", "created_at", "attachments", "files"]
        read_only_fields = ["id", "from_customer", "author", "created_at", "attachments"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_attachments(self, comment: Comment) -> list[dict]:
        return [
            {"id": a.pk, "name": a.name, "size": a.size, "content_type": a.content_type, "url": a.file.url}
            for a in comment.attachments.all()
        ]


class BulkSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)
    action = serializers.ChoiceField(choices=BULK_ACTIONS)
    assignee = UserField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False)

    def validate(self, data: dict) -> dict:
        needed = {"assign": "assignee", "transition": "status", "priority": "priority", "add_tags": "tags"}
        if needed[data["action"]] not in data:
            raise serializers.ValidationError({needed[data["action"]]: "Required for this action."})
        return data


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "code", "parent", "default_team", "active"]


class SLAPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = SLAPolicy
        fields = [
            "id",
            "name",
            "active",
            "order",
            "priority",
            "category",
            "min_vip_level",
            "first_response_minutes",
            "resolution_minutes",
            "warn_before_minutes",
            "calendar",
            "escalate_to",
            "supervisor",
        ]
