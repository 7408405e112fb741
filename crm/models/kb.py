"""The knowledge base: bilingual articles with versions, attachments, votes and a search index."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ArticleLanguage(models.TextChoices):
    ZH = "zh-hans", "中文"
    EN = "en", "English"


class ArticleAudience(models.TextChoices):
    INTERNAL = "internal", _("Internal (agents)")
    PUBLIC = "public", _("Public")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class ArticleCategory(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("name (English)"), max_length=64, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    slug = models.SlugField(_("slug"), max_length=96, unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Rich text; sanitized when saved."))
    body_text = models.TextField(_("body as plain text"), blank=True, editable=False)
    category = models.ForeignKey(
        ArticleCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=ArticleLanguage.choices, default=ArticleLanguage.ZH
    )
    audience = models.CharField(
        _("audience"), max_length=8, choices=ArticleAudience.choices, default=ArticleAudience.PUBLIC
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0, editable=False)
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    # jieba-segmented weighted tsvector (title A, body B) and a sentence embedding (float32 bytes):
    # both written only by crm.kb.index_article.
    search_vector = SearchVectorField(null=True, editable=False)
    embedding = models.BinaryField(null=True, editable=False)
    # Set by a database trigger whenever what search holds in memory changes (crm.kb.vectors).
    index_version = models.BigIntegerField(default=0, editable=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["search_vector", "embedding", "view_count", "index_version"])

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            GinIndex(fields=["search_vector"], name="crm_article_search"),
            models.Index(fields=["status", "audience", "language"], name="crm_article_filter"),
        ]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.title


class ArticleAttachment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="kb/%Y/%m/")
    name = models.CharField(_("name"), max_length=128, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name or self.file.name


class ArticleTerm(models.Model):
    """One word of the knowledge base's vocabulary, for correcting typos in English queries."""

    word = models.CharField(max_length=64, unique=True)

    class Meta:
        indexes = [GinIndex(fields=["word"], name="crm_term_trgm", opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.word
