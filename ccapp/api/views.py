"""REST endpoints of the call-center core; each checks the caller's model permissions."""

from __future__ import annotations

from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ccapp import models as m
from ccapp.api import serializers as s
from ccapp.api.permissions import ModelPermissions, has_perms


class ConfigViewSet(viewsets.ModelViewSet):
    permission_classes = [ModelPermissions]

    def perform_destroy(self, instance) -> None:
        from ccapp.services.config import delete_config

        delete_config(instance=instance)


class QueueViewSet(ConfigViewSet):
    queryset = m.Queue.objects.all()
    serializer_class = s.QueueSerializer


class IVRFlowViewSet(ConfigViewSet):
    queryset = m.IVRFlow.objects.all()
    serializer_class = s.IVRFlowSerializer


class InboundRouteViewSet(ConfigViewSet):
    queryset = m.InboundRoute.objects.all()
    serializer_class = s.InboundRouteSerializer


class SkillViewSet(ConfigViewSet):
    queryset = m.Skill.objects.all()
    serializer_class = s.SkillSerializer


class DispositionCodeViewSet(ConfigViewSet):
    queryset = m.DispositionCode.objects.prefetch_related("queues")
    serializer_class = s.DispositionCodeSerializer


class PauseCodeViewSet(ConfigViewSet):
    queryset = m.PauseCode.objects.all()
    serializer_class = s.PauseCodeSerializer


class AgentViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [ModelPermissions]
    queryset = m.Agent.objects.select_related("user").prefetch_related("agentskill_set__skill")
    serializer_class = s.AgentSerializer


class CallViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [ModelPermissions]
    queryset = m.Call.objects.select_related("queue", "agent").prefetch_related("events", "recordings")
    serializer_class = s.CallSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        user = self.request.user
        # Agents see their own calls; supervisors and admins (report readers) see all.
        if not user.has_perm("ccapp.view_reports"):
            queryset = queryset.filter(agent__user=user)
        return queryset


class CallbackViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Callbacks: list, ask for one (now or at a time), cancel (also while it rings)."""

    permission_classes = [ModelPermissions]
    queryset = m.CallbackRequest.objects.select_related("queue").order_by("-requested_at", "-id")
    serializer_class = s.CallbackRequestSerializer

    def get_queryset(self):
        from ccapp.selectors import visible_callbacks

        # Supervisors and admins see all; agents theirs and the free ones of their queues.
        visible = visible_callbacks(self.request.user).values("pk")
        return super().get_queryset().filter(pk__in=visible)

    @action(detail=True, methods=["post"], permission_classes=[has_perms("ccapp.change_callbackrequest")])
    def cancel(self, request, pk=None):
        """Cancel: 404 for no such callback, 403 for one the user may not see, 409 once it is finished."""
        from ccapp.services import cancel_callback

        callback_id = int(pk) if str(pk).isdigit() and int(pk) < 2**31 else 0
        callback = cancel_callback(callback_id=callback_id, user=request.user)
        return Response(self.get_serializer(callback).data)
