"""Serializers of the crm API: they validate shapes; services do the writing."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from crm.models import (
    Article,
    ArticleCategory,
    Customer,
    CustomerEmail,
    CustomerPhone,
    Interaction,
)


class CustomerPhoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerPhone
        fields = ["id", "number", "raw", "extension", "label", "valid"]


class CustomerEmailSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerEmail
        fields = ["id", "email", "label"]


class CustomerSerializer(serializers.ModelSerializer):
    phones = CustomerPhoneSerializer(many=True, read_only=True)
    emails = CustomerEmailSerializer(many=True, read_only=True)
    phone_numbers = serializers.ListField(
        child=serializers.CharField(max_length=64), write_only=True, required=False, max_length=20
    )
    email_addresses = serializers.ListField(
        child=serializers.CharField(max_length=254), write_only=True, required=False, max_length=20
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), allow_null=True, required=False
    )
    allow_duplicate = serializers.BooleanField(write_only=True, required=False, default=False)

    class Meta:
        model = Customer
        fields = [
            "id", "kind", "name", "company", "email", "language", "region", "address", "vip_level",
            "tags", "owner", "do_not_call", "consent", "custom", "notes", "merged_into", "created_at",
            "updated_at", "phones", "emails", "phone_numbers", "email_addresses", "allow_duplicate",
        ]  # fmt: skip
        read_only_fields = ["merged_into", "created_at", "updated_at"]
        # Services validate email and custom fields (with stable error ids); no duplicate checks here.
        extra_kwargs = {"email": {"validators": []}}


class InteractionSerializer(serializers.ModelSerializer):
    link_type = serializers.SerializerMethodField()
    created_by = serializers.StringRelatedField()

    class Meta:
        model = Interaction
        fields = ["id", "kind", "at", "summary", "link_type", "link_id", "data", "created_by"]

    def get_link_type(self, obj: Interaction) -> str | None:
        return f"{obj.link_type.app_label}.{obj.link_type.model}" if obj.link_type_id else None


class CustomerNoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class CustomerMergeSerializer(serializers.Serializer):
    sources = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=50)


class CustomerImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(default=True)
    encoding = serializers.ChoiceField(choices=["utf-8", "gb18030"], default="utf-8")


class CustomerCardSerializer(serializers.Serializer):
    known = serializers.BooleanField()
    number = serializers.CharField()
    number_raw = serializers.CharField()
    number_valid = serializers.BooleanField()
    customer_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    company = serializers.CharField()
    vip_level = serializers.IntegerField()
    tags = serializers.ListField(child=serializers.CharField())
    owner = serializers.CharField()
    language = serializers.CharField()
    do_not_call = serializers.BooleanField()
    open_tickets = serializers.ListField(child=serializers.DictField())
    recent = serializers.ListField(child=serializers.DictField())
    last_csat = serializers.FloatField(allow_null=True)
    other_matches = serializers.IntegerField()


class ArticleCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ArticleCategory
        fields = ["id", "slug", "name", "name_en"]


class ArticleSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=ArticleCategory.objects.all(), allow_null=True, required=False
    )
    slug = serializers.SlugField(required=False, allow_blank=True, max_length=96)

    class Meta:
        model = Article
        fields = [
            "id", "slug", "title", "body", "category", "tags", "language", "audience", "status",
            "helpful_count", "not_helpful_count", "view_count", "created_at", "updated_at", "published_at",
        ]  # fmt: skip
        read_only_fields = ["helpful_count", "not_helpful_count", "view_count", "published_at"]
        extra_kwargs = {"slug": {"validators": []}}


class ArticleHitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="article.id")
    slug = serializers.CharField(source="article.slug")
    title = serializers.CharField(source="article.title")
    language = serializers.CharField(source="article.language")
    audience = serializers.CharField(source="article.audience")
    category = serializers.CharField(source="article.category.slug", default=None)
    snippet = serializers.CharField(help_text="HTML-escaped text with <mark> around matches.")
    score = serializers.FloatField()
    lexical_rank = serializers.IntegerField(allow_null=True)
    semantic_rank = serializers.IntegerField(allow_null=True)


class ArticleAssistSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20000)
    limit = serializers.IntegerField(min_value=1, max_value=20, default=5)


class ArticleVoteSerializer(serializers.Serializer):
    helpful = serializers.BooleanField()


class ArticleSendSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    channel = serializers.ChoiceField(choices=["email", "chat"], default="email")
