"""Serializers of the call-center core API: they validate; services write."""

from __future__ import annotations

from rest_framework import serializers

from ccapp import models as m


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


class CallSerializer(serializers.ModelSerializer):
    events = CallEventSerializer(many=True, read_only=True)

    class Meta:
        model = m.Call
        exclude = ["variables"]
