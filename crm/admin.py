"""Admin of the CRM: customers with numbers, emails and timeline; custom fields; the knowledge base."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline

from crm import services
from crm.kb import services as kb
from crm.models import (
    Article,
    ArticleAttachment,
    ArticleCategory,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomFieldDefinition,
    Interaction,
)


class HistoryAdmin(SimpleHistoryAdmin, ModelAdmin):
    """Unfold look with simple-history's change log."""


def dial_link(number: str) -> str:
    """Click-to-call: opens (or reuses) the agent's desk tab, which dials the number."""
    if not number:
        return ""
    url = f"{reverse('desk')}?{urlencode({'dial': number})}"
    return format_html('<a href="{}" target="ccapp-desk">☎ {}</a>', url, _("Call"))


class PhoneInline(TabularInline):
    model = CustomerPhone
    extra = 0
    fields = ["raw", "label", "number", "extension", "valid", "call"]
    readonly_fields = ["number", "extension", "valid", "call"]

    @admin.display(description=_("Call"))
    def call(self, obj: CustomerPhone) -> str:
        return dial_link(obj.number)


class EmailInline(TabularInline):
    model = CustomerEmail
    extra = 0
    fields = ["email", "label"]


class InteractionInline(TabularInline):
    model = Interaction
    extra = 0
    fields = ["at", "kind", "summary", "created_by"]
    readonly_fields = fields
    ordering = ["-at"]
    max_num = 0
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(HistoryAdmin):
    list_display = ["name", "kind", "company", "vip_level", "region", "owner", "do_not_call", "merged_into"]
    list_filter = ["kind", "vip_level", "language", "do_not_call", "consent"]
    search_fields = ["name", "company", "email", "phones__number", "phones__raw"]
    list_select_related = ["owner", "merged_into"]
    autocomplete_fields = ["owner", "merged_into"]
    readonly_fields = ["merged_into", "created_at", "updated_at"]
    inlines = [PhoneInline, EmailInline, InteractionInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not CustomerPhone:
            return super().save_formset(request, form, formset, change)
        # Numbers typed in the admin go through the same normalization as every other way in.
        instances = formset.save(commit=False)
        for phone in formset.deleted_objects:
            phone.delete()
        for phone in instances:
            services.renormalize_phone(phone=phone, customer=form.instance)
        return None


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(HistoryAdmin):
    list_display = ["key", "label", "type", "required", "order"]
    list_filter = ["type", "required"]
    search_fields = ["key", "label"]


@admin.register(Interaction)
class InteractionAdmin(ModelAdmin):
    list_display = ["at", "kind", "customer", "summary", "created_by"]
    list_filter = ["kind"]
    search_fields = ["summary", "customer__name"]
    list_select_related = ["customer", "created_by"]
    autocomplete_fields = ["customer"]
    date_hierarchy = "at"


@admin.register(ArticleCategory)
class ArticleCategoryAdmin(ModelAdmin):
    list_display = ["name", "name_en", "slug", "order", "article_count"]
    search_fields = ["name", "name_en", "slug"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n=Count("articles"))

    @admin.display(description=_("articles"), ordering="n")
    def article_count(self, obj) -> int:
        return obj.n


class AttachmentInline(TabularInline):
    model = ArticleAttachment
    extra = 0


@admin.register(Article)
class ArticleAdmin(HistoryAdmin):
    list_display = ["title", "language", "audience", "status", "category", "view_count", "helpful_count"]
    list_filter = ["status", "audience", "language", "category"]
    search_fields = ["title", "slug", "body_text"]
    list_select_related = ["category"]
    readonly_fields = ["view_count", "helpful_count", "not_helpful_count", "published_at"]
    inlines = [AttachmentInline]
    prepopulated_fields = {"slug": ["title"]}

    def save_model(self, request, obj, form, change):
        # Through the service: sanitized HTML, a version, and a fresh search index.
        saved = kb.save_article(
            article=obj if change else None,
            title=obj.title,
            body=obj.body,
            language=obj.language,
            audience=obj.audience,
            status=obj.status,
            category=obj.category,
            tags=obj.tags,
            slug=obj.slug,
            user=request.user,
        )
        obj.pk = saved.pk
