"""DRF views of the tickets API (under /tickets/api/): validate, delegate to the services, answer."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ccapp.api.permissions import ModelPermissions, has_perms
from tickets import clock, selectors, services
from tickets.api import serializers as s
from tickets.models import Category, SLAPolicy, Ticket

CHANGE = [has_perms("tickets.view_ticket", "tickets.change_ticket")]
VIEW = [has_perms("tickets.view_ticket")]

LIST_FILTERS = [
    OpenApiParameter("view", enum=list(selectors.VIEWS), description="mine, team queue, overdue, ..."),
    OpenApiParameter("sla_state", enum=["none", "paused", "on_track", "warning", "breached", "met"]),
    OpenApiParameter("status", description="Comma-separated statuses."),
    OpenApiParameter("priority", int),
    OpenApiParameter("assignee", description="A username, or `me`."),
    OpenApiParameter("team", int),
    OpenApiParameter("category", int, description="The category or any of its sub-categories."),
    OpenApiParameter("customer", int),
    OpenApiParameter("channel"),
    OpenApiParameter("tag"),
    OpenApiParameter("q", description="Number, subject or description contains."),
]


class TicketViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Tickets: list with filters, create from any channel, edit with a version, act on them."""

    queryset = Ticket.objects.all()
    serializer_class = s.TicketSerializer
    permission_classes = [ModelPermissions]

    def get_queryset(self) -> QuerySet[Ticket]:
        params = self.request.query_params
        qs = selectors.ticket_list(
            self.request.user,
            view=params.get("view", "all"),
            now=clock.now(),
            sla_state=params.get("sla_state"),
        ).prefetch_related("watchers", "calls", "recordings", "voicemails", "callbacks")
        if self.action != "list":
            return qs
        if params.get("status"):
            qs = qs.filter(status__in=params["status"].split(","))
        for name in ("priority", "team", "customer", "channel"):
            if params.get(name):
                qs = qs.filter(**{name: params[name]})
        if params.get("assignee"):
            username = self.request.user.get_username() if params["assignee"] == "me" else params["assignee"]
            qs = qs.filter(assignee__username=username)
        if params.get("category"):
            qs = qs.filter(Q(category=params["category"]) | Q(category__parent=params["category"]))
        if params.get("tag"):
            qs = qs.filter(tags__contains=[params["tag"]])
        if params.get("q"):
            q = params["q"]
            qs = qs.filter(Q(number__icontains=q) | Q(subject__icontains=q) | Q(description__icontains=q))
        return qs

    def _answer(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.TicketSerializer(self.get_queryset().get(pk=ticket.pk)).data, status=code)

    @extend_schema(parameters=LIST_FILTERS)
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.TicketCreateSerializer, responses={201: s.TicketSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        data = s.TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.create_ticket(created_by=request.user, **data.validated_data)
        return self._answer(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=s.TicketUpdateSerializer, responses={200: s.TicketSerializer, 409: None})
    def partial_update(self, request: Request, pk: str) -> Response:
        data = s.TicketUpdateSerializer(data=request.data, partial=False)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        ticket = services.update_ticket(
            int(pk), version=changes.pop("version"), actor=request.user, **changes
        )
        return self._answer(ticket)

    @extend_schema(request=s.TransitionSerializer, responses={200: s.TicketSerializer, 409: None})
    @action(detail=True, methods=["post"], permission_classes=CHANGE)
    def transition(self, request: Request, pk: str) -> Response:
        data = s.TransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        ticket = services.transition_ticket(
            int(pk), to=v["status"], actor=request.user, version=v.get("version"), reason=v["reason"]
        )
        return self._answer(ticket)

    @extend_schema(request=s.AssignSerializer, responses={200: s.TicketSerializer})
    @action(detail=True, methods=["post"], permission_classes=CHANGE)
    def assign(self, request: Request, pk: str) -> Response:
        data = s.AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        team = v.get("team", ...)
        ticket = services.assign_ticket(
            int(pk), assignee=v["assignee"], team=team, actor=request.user, version=v.get("version")
        )
        return self._answer(ticket)

    @extend_schema(request=s.MergeSerializer, responses={200: s.TicketSerializer})
    @action(detail=True, methods=["post"], permission_classes=CHANGE)
    def merge(self, request: Request, pk: str) -> Response:
        data = s.MergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        target = services.merge_tickets(
            int(pk), into_id=v["into"].pk, actor=request.user, version=v.get("version")
        )
        return self._answer(target)

    @extend_schema(request=s.LinkSerializer, responses={201: None})
    @action(detail=True, methods=["post"], permission_classes=CHANGE)
    def link(self, request: Request, pk: str) -> Response:
        data = s.LinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.link_tickets(
            int(pk), data.validated_data["target"].pk, kind=data.validated_data["kind"]
        )
        return Response({"id": link.pk, "target": link.target_id, "kind": link.kind}, status=201)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"], permission_classes=VIEW)
    def watch(self, request: Request, pk: str) -> Response:
        services.set_watching(int(pk), user=request.user, watching=request.method == "POST")
        return Response(status=204)

    @extend_schema(methods=["get"], responses={200: s.CommentSerializer(many=True)})
    @extend_schema(methods=["post"], request=s.CommentSerializer, responses={201: s.CommentSerializer})
    @action(detail=True, methods=["get", "post"], permission_classes=VIEW)
    def comments(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        if request.method == "GET":
            comments = ticket.comments.select_related("author").prefetch_related("attachments")
            return Response(s.CommentSerializer(comments, many=True).data)
        if not request.user.has_perm("tickets.add_comment"):
            return Response({"error_id": "permission_denied", "detail": "You may not comment."}, status=403)
        data = s.CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        files = request.FILES.getlist("files") or v.get("files", [])
        comment = services.add_comment(
            ticket.pk, body=v["body"], public=v.get("public", False), author=request.user, files=files
        )
        return Response(s.CommentSerializer(comment).data, status=201)

    @extend_schema(responses={200: None})
    @action(detail=True, methods=["get"], permission_classes=VIEW)
    def history(self, request: Request, pk: str) -> Response:
        ticket = self.get_object()
        rows = ticket.history.select_related("history_user").order_by("-history_date")[:200]
        events = ticket.events.select_related("actor")
        return Response(
            {
                "changes": [
                    {
                        "at": row.history_date,
                        "by": row.history_user.get_username() if row.history_user else None,
                        "version": row.version,
                        "status": row.status,
                        "reason": row.history_change_reason,
                        "fields": [c.field for c in row.diff_against(row.prev_record).changes]
                        if row.prev_record
                        else [],
                    }
                    for row in rows
                ],
                "events": [
                    {"at": e.at, "kind": e.kind, "by": e.actor.get_username() if e.actor else None,
                     "from": e.from_status, "to": e.to_status, "data": e.data}
                    for e in events
                ],
            }
        )  # fmt: skip

    @extend_schema(request=s.BulkSerializer, responses={200: None})
    @action(detail=False, methods=["post"], permission_classes=CHANGE)
    def bulk(self, request: Request) -> Response:
        data = s.BulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        ids, action_name = v.pop("ids"), v.pop("action")
        results = services.bulk_update(ids, action=action_name, actor=request.user, params=v)
        return Response({"results": {str(k): r for k, r in results.items()}})


class CategoryViewSet(viewsets.ModelViewSet):
    queryset = Category.objects.select_related("parent")
    serializer_class = s.CategorySerializer
    permission_classes = [ModelPermissions]


class SLAPolicyViewSet(viewsets.ModelViewSet):
    queryset = SLAPolicy.objects.all()
    serializer_class = s.SLAPolicySerializer
    permission_classes = [ModelPermissions]
