"""Views of the crm API: customers and their timeline, lookup, import/export, articles, search."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ccapp.api.permissions import ModelPermissions, has_perms
from crm import selectors, services, transfer
from crm.api import serializers as s
from crm.kb import services as kb
from crm.kb.search import Filters, search_articles, suggest_articles
from crm.models import Article, ArticleAudience, Customer

WRITE_FIELDS = set(services.EDITABLE)

Q_PARAMS = [
    OpenApiParameter("q", str, description="Name, company, email or number (any writing, or last digits)"),
    OpenApiParameter("vip", bool),
    OpenApiParameter("tag", str),
    OpenApiParameter("owner", int),
]


def _fields(data: dict) -> dict:
    return {k: v for k, v in data.items() if k in WRITE_FIELDS}


class CustomerViewSet(viewsets.ModelViewSet):
    serializer_class = s.CustomerSerializer
    permission_classes = [IsAuthenticated, ModelPermissions]
    queryset = Customer.objects.all()

    def get_queryset(self):
        params = self.request.query_params
        vip = params.get("vip")
        return selectors.search_customers(
            params.get("q", ""),
            vip=None if vip in (None, "") else vip.lower() in ("1", "true"),
            tag=params.get("tag", ""),
            owner_id=int(params["owner"]) if params.get("owner", "").isdigit() else None,
            include_merged=self.action != "list",
        ).prefetch_related("phones", "emails")

    @extend_schema(parameters=Q_PARAMS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.create_customer(
            phones=data.get("phone_numbers", []),
            emails=data.get("email_addresses", []),
            allow_duplicate=data.get("allow_duplicate", False),
            user=self.request.user,
            **_fields(data),
        )

    def perform_update(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.update_customer(
            customer=serializer.instance,
            phones=data.get("phone_numbers"),
            emails=data.get("email_addresses"),
            user=self.request.user,
            **_fields(data),
        )

    @extend_schema(
        responses=s.InteractionSerializer(many=True),
        parameters=[
            OpenApiParameter("kind", str, many=True),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
        ],
    )
    @action(detail=True, permission_classes=[IsAuthenticated, has_perms("crm.view_customer")])
    def timeline(self, request, pk=None):
        customer = self.get_object()
        params = request.query_params
        query = s.serializers.DateTimeField(required=False, allow_null=True)
        since = query.to_internal_value(params["since"]) if params.get("since") else None
        until = query.to_internal_value(params["until"]) if params.get("until") else None
        kinds = [k for value in params.getlist("kind") for k in value.split(",")]
        page = self.paginate_queryset(selectors.timeline(customer, kinds=kinds, since=since, until=until))
        return self.get_paginated_response(s.InteractionSerializer(page, many=True).data)

    @extend_schema(request=s.CustomerNoteSerializer, responses=s.InteractionSerializer)
    @action(
        detail=True, methods=["post"], permission_classes=[IsAuthenticated, has_perms("crm.add_interaction")]
    )
    def notes(self, request, pk=None):
        serializer = s.CustomerNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.add_note(
            customer=self.get_object(), text=serializer.validated_data["text"], user=request.user
        )
        return Response(s.InteractionSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CustomerMergeSerializer, responses=s.CustomerSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, has_perms("crm.change_customer", "crm.delete_customer")],
    )
    def merge(self, request, pk=None):
        serializer = s.CustomerMergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sources = list(Customer.objects.filter(pk__in=serializer.validated_data["sources"]))
        target = services.merge_customers(target=self.get_object(), sources=sources, user=request.user)
        return Response(self.get_serializer(target).data)

    @extend_schema(responses=s.CustomerSerializer(many=True))
    @action(detail=True, permission_classes=[IsAuthenticated, has_perms("crm.view_customer")])
    def duplicates(self, request, pk=None):
        customer = self.get_object()
        numbers = [p.number for p in customer.phones.all() if p.number]
        emails = [customer.email, *(e.email for e in customer.emails.all())]
        found = selectors.find_duplicates(numbers=numbers, emails=emails, exclude=customer)
        return Response(self.get_serializer(found, many=True).data)

    @extend_schema(
        parameters=[*Q_PARAMS, OpenApiParameter("filetype", str, enum=["csv", "xlsx"])],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    @action(detail=False, permission_classes=[IsAuthenticated, has_perms("crm.view_customer")])
    def export(self, request):
        fmt = "xlsx" if request.query_params.get("filetype") == "xlsx" else "csv"
        data, content_type, name = transfer.export_customers(self.get_queryset(), fmt=fmt)
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @extend_schema(request={"multipart/form-data": s.CustomerImportSerializer}, responses=OpenApiTypes.OBJECT)
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
        permission_classes=[IsAuthenticated, has_perms("crm.add_customer")],
    )
    def import_file(self, request):
        serializer = s.CustomerImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        report = transfer.import_customers(
            data=upload.read(),
            filename=upload.name,
            dry_run=serializer.validated_data["dry_run"],
            encoding=serializer.validated_data["encoding"],
            user=request.user,
        )
        code = status.HTTP_200_OK if not report.bad_rows else status.HTTP_400_BAD_REQUEST
        return Response(
            {**report.__dict__, "error_id": "import_rows" if report.bad_rows else None}, status=code
        )


class LookupView(APIView):
    permission_classes = [IsAuthenticated, has_perms("crm.view_customer")]

    @extend_schema(
        parameters=[OpenApiParameter("number", str, required=True)], responses=s.CustomerCardSerializer
    )
    def get(self, request):
        """Screen pop: the customer card for a caller's number in any common writing."""
        card = selectors.customer_for_number(request.query_params.get("number", "")[:64])
        return Response(card.as_dict())


class ArticleViewSet(viewsets.ModelViewSet):
    serializer_class = s.ArticleSerializer
    permission_classes = [IsAuthenticated, ModelPermissions]
    queryset = Article.objects.select_related("category")

    def get_queryset(self):
        qs = super().get_queryset()
        for name in ("status", "audience", "language"):
            if self.request.query_params.get(name):
                qs = qs.filter(**{name: self.request.query_params[name]})
        if self.request.query_params.get("category"):
            qs = qs.filter(category__slug=self.request.query_params["category"])
        return qs

    def _save(self, serializer, article=None):
        data = serializer.validated_data
        current = article or Article()
        serializer.instance = kb.save_article(
            article=article,
            title=data.get("title", current.title),
            body=data.get("body", current.body),
            language=data.get("language", current.language),
            audience=data.get("audience", current.audience),
            status=data.get("status", current.status),
            category=data.get("category", current.category if article else None),
            tags=data.get("tags", current.tags),
            slug=data.get("slug") or "",
            user=self.request.user,
        )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def retrieve(self, request, *args, **kwargs):
        kb.record_article_view(article=self.get_object())
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=s.ArticleVoteSerializer, responses={204: None})
    @action(
        detail=True, methods=["post"], permission_classes=[IsAuthenticated, has_perms("crm.view_article")]
    )
    def vote(self, request, pk=None):
        serializer = s.ArticleVoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kb.vote_article(article=self.get_object(), helpful=serializer.validated_data["helpful"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.ArticleSendSerializer, responses=s.InteractionSerializer)
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, has_perms("crm.view_article", "crm.add_interaction")],
    )
    def send(self, request, pk=None):
        """Send a public article to a customer by email or chat; it is logged on their timeline."""
        serializer = s.ArticleSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sent = kb.send_article(
            article=self.get_object(),
            customer=serializer.validated_data["customer"],
            channel=serializer.validated_data["channel"],
            user=request.user,
        )
        return Response(s.InteractionSerializer(sent).data, status=status.HTTP_201_CREATED)


class SearchView(APIView):
    permission_classes = [IsAuthenticated, has_perms("crm.view_article")]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True),
            OpenApiParameter("language", str, enum=["zh-hans", "en"]),
            OpenApiParameter("audience", str, enum=list(ArticleAudience.values)),
            OpenApiParameter("category", str),
            OpenApiParameter("tag", str),
            OpenApiParameter("status", str, description="default: published"),
            OpenApiParameter("limit", int),
        ],
        responses=s.ArticleHitSerializer(many=True),
    )
    def get(self, request):
        """Knowledge-base search (Chinese and English, full text and embeddings fused)."""
        p = request.query_params
        filters = Filters(
            status=p.get("status") or "published",
            audience=p.get("audience") or None,
            language=p.get("language") or None,
            category=p.get("category") or None,
            tag=p.get("tag") or None,
        )
        limit = int(p["limit"]) if p.get("limit", "").isdigit() else 10
        hits = search_articles(p.get("q", ""), filters=filters, limit=min(max(limit, 1), 50))
        return Response(s.ArticleHitSerializer(hits, many=True).data)


class AssistView(APIView):
    permission_classes = [IsAuthenticated, has_perms("crm.view_article")]

    @extend_schema(request=s.ArticleAssistSerializer, responses=s.ArticleHitSerializer(many=True))
    def post(self, request):
        """Agent assist: articles that answer the text of a ticket, chat or call note."""
        serializer = s.ArticleAssistSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hits = suggest_articles(serializer.validated_data["text"], limit=serializer.validated_data["limit"])
        return Response(s.ArticleHitSerializer(hits, many=True).data)
