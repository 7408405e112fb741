"""Serializers of the call-center core API: they validate; services write."""

from __future__ import annotations

from rest_framework import serializers

from ccapp import models as m
from ccapp.audio.access import audio_url


class ConfigSerializer(serializers.ModelSerializer):
    """Writes go through ccapp.services.config so model validation (clean) always runs."""

    def create(self, validated_data):
        from ccapp.services.config import save_config

        return save_config(instance=self.Meta.model(), changes=validated_data)

    def update(self, instance, validated_data):
        from ccapp.services.config import save_config

        return save_config(instance=instance, changes=validated_data)


class QueueSerializer(ConfigSerializer):
    class Meta:
        model = m.Queue
        exclude = ["skills", "members", "mailbox_owners"]


class IVRFlowSerializer(ConfigSerializer):
    class Meta:
        model = m.IVRFlow
        fields = ["id", "name", "code", "description", "graph", "version"]
        read_only_fields = ["version"]


class InboundRouteSerializer(ConfigSerializer):
    class Meta:
        model = m.InboundRoute
        fields = "__all__"


class SkillSerializer(ConfigSerializer):
    class Meta:
        model = m.Skill
        fields = "__all__"


class DispositionCodeSerializer(ConfigSerializer):
    class Meta:
        model = m.DispositionCode
        fields = ["id", "code", "name", "queues", "resolved", "active"]


class PauseCodeSerializer(ConfigSerializer):
    class Meta:
        model = m.PauseCode
        fields = "__all__"


class AgentSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    skills = serializers.SerializerMethodField()

    class Meta:
        model = m.Agent
        fields = ["id", "name", "extension", "endpoint", "state", "state_since", "pause_code", "skills"]

    def get_name(self, agent: m.Agent) -> str:
        return agent.user.get_full_name() or agent.user.get_username()

    def get_skills(self, agent: m.Agent) -> dict[str, int]:
        return {s.skill.name: s.level for s in agent.agentskill_set.all()}


class CallEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.CallEvent
        fields = ["at", "kind", "data"]


class RecordingSerializer(serializers.ModelSerializer):
    audio_url = serializers.SerializerMethodField()

    class Meta:
        model = m.Recording
        fields = ["id", "name", "started_at", "ended_at", "duration_seconds", "paused_seconds", "state",
                  "file_state", "size_bytes", "fetch_error", "audio_url"]  # fmt: skip

    def get_audio_url(self, recording: m.Recording) -> str | None:
        """Where the browser fetches the audio (the user's session is checked there)."""
        return audio_url(recording)


class CallSerializer(serializers.ModelSerializer):
    events = CallEventSerializer(many=True, read_only=True)
    recordings = RecordingSerializer(many=True, read_only=True)

    class Meta:
        model = m.Call
        exclude = ["variables"]


class CallbackRequestSerializer(serializers.ModelSerializer):
    """A callback: asked for now or at a time; created through `services.request_callback`."""

    reserve = serializers.BooleanField(
        write_only=True, default=False, help_text="Reserve it for the requesting agent."
    )

    class Meta:
        model = m.CallbackRequest
        fields = [
            "id",
            "number",
            "queue",
            "customer",
            "scheduled_for",
            "note",
            "reserve",
            "agent",
            "reserved_until",
            "status",
            "result",
            "attempts",
            "max_attempts",
            "next_attempt_at",
            "queued_since",
            "requested_at",
            "last_call",
        ]
        read_only_fields = [
            f for f in fields if f not in ("number", "queue", "scheduled_for", "note", "reserve")
        ]

    def create(self, validated_data):
        from ccapp.services import request_callback

        user = self.context["request"].user
        agent_id = None
        if validated_data.get("reserve"):
            agent_id = m.Agent.objects.filter(user=user).values_list("pk", flat=True).first()
        return request_callback(
            queue_id=validated_data["queue"].pk,
            number=validated_data["number"],
            scheduled_for=validated_data.get("scheduled_for"),
            note=validated_data.get("note", ""),
            agent_id=agent_id,
        )
