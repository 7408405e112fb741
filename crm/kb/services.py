"""Writes of the knowledge base: articles (sanitized, indexed), votes, views, sending to a customer."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.postgres.search import SearchVector
from django.db import transaction
from django.db.models import F, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ccapp import notify
from ccapp.errors import DomainError
from crm import embeddings
from crm.models import (
    Article,
    ArticleAudience,
    ArticleCategory,
    ArticleLanguage,
    ArticleStatus,
    ArticleTerm,
    Customer,
    Interaction,
    InteractionKind,
)
from crm.text import html_to_text, sanitize_html, segment

_ENGLISH_WORD = re.compile(r"\b[a-z]{4,24}\b")
# Characters of the body that go into the embedding besides the title: the lead says what it is about.
EMBED_LEAD = 300


@dataclass(frozen=True)
class IndexRow:
    """What the search index holds for one article."""

    title_words: str
    body_words: str
    embedding: bytes
    terms: frozenset[str]


def index_rows(articles: Iterable[Article], *, cache: dict | None = None) -> list[IndexRow]:
    """Segmented text, embeddings and vocabulary for articles (batched: the encoder likes lists)."""
    articles = list(articles)
    texts: list[str] = []
    for article in articles:
        texts.append(article.title)
        texts.append(f"{article.title}\n{article.body_text[:EMBED_LEAD]}")
    vectors = embeddings.encode(texts, cache=cache)
    rows = []
    for i, article in enumerate(articles):
        head = " ".join([article.title, *article.tags])
        rows.append(
            IndexRow(
                title_words=" ".join(segment(head)),
                body_words=" ".join(segment(article.body_text)),
                embedding=embeddings.to_bytes(vectors[2 * i : 2 * i + 2]),
                terms=frozenset(_ENGLISH_WORD.findall(f"{head} {article.body_text}".lower())),
            )
        )
    return rows


def search_vector(title_words: str, body_words: str) -> SearchVector:
    """The weighted tsvector expression: title and tags A, body B, `simple` over segmented text."""
    return SearchVector(Value(title_words), config="simple", weight="A") + SearchVector(
        Value(body_words), config="simple", weight="B"
    )


@transaction.atomic
def index_articles(*, articles: Iterable[Article]) -> None:
    """Rebuild the full-text vectors, embeddings and typo vocabulary of articles (one encoder batch)."""
    articles = list(articles)
    rows = index_rows(articles)
    for article, row in zip(articles, rows, strict=True):
        Article.objects.filter(pk=article.pk).update(
            search_vector=search_vector(row.title_words, row.body_words), embedding=row.embedding
        )
    terms = set().union(*(row.terms for row in rows)) if rows else set()
    ArticleTerm.objects.bulk_create([ArticleTerm(word=w) for w in sorted(terms)], ignore_conflicts=True)


def index_article(*, article: Article) -> None:
    """Rebuild the search index of one article."""
    index_articles(articles=[article])


def _unique_slug(title: str, language: str, exclude: int | None) -> str:
    # Chinese titles slugify to nothing: a short stable hash keeps URLs ASCII and readable enough.
    base = slugify(title)[:80] or f"kb-{hashlib.sha1(title.encode()).hexdigest()[:8]}"
    slug, n = base, 1
    while Article.objects.filter(slug=slug).exclude(pk=exclude).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def save_article(
    *,
    title: str,
    body: str,
    article: Article | None = None,
    language: str = ArticleLanguage.ZH,
    audience: str = ArticleAudience.PUBLIC,
    status: str = ArticleStatus.DRAFT,
    category: ArticleCategory | None = None,
    tags: Iterable[str] = (),
    slug: str = "",
    user=None,
    index: bool = True,
) -> Article:
    """Create or update an article: sanitize its HTML, version it and (unless told not to) re-index it."""
    title = (title or "").strip()
    if not title:
        raise DomainError(_("An article needs a title."), field="title", error_id="article_title_missing")
    if language not in ArticleLanguage.values:
        raise DomainError(_("Unknown language."), field="language", error_id="article_language")
    if audience not in ArticleAudience.values:
        raise DomainError(_("Unknown audience."), field="audience", error_id="article_audience")
    if status not in ArticleStatus.values:
        raise DomainError(_("Unknown status."), field="status", error_id="article_status")
    article = article or Article(created_by=user)
    clean = sanitize_html(body)
    article.title, article.body, article.body_text = title, clean, html_to_text(clean)
    article.language, article.audience, article.category = language, audience, category
    article.tags = sorted({str(t).strip() for t in tags if str(t).strip()})
    if status == ArticleStatus.PUBLISHED and article.status != ArticleStatus.PUBLISHED:
        article.published_at = timezone.now()
    article.status = status
    article.slug = slug or article.slug or _unique_slug(title, language, article.pk)
    if user is not None:
        article._history_user = user
    article.save()
    if index:
        index_article(article=article)
    return article


@transaction.atomic
def vote_article(*, article: Article, helpful: bool) -> None:
    """Count one helpful / not helpful vote."""
    field = "helpful_count" if helpful else "not_helpful_count"
    Article.objects.filter(pk=article.pk).update(**{field: F(field) + 1})


@transaction.atomic
def record_article_view(*, article: Article) -> None:
    """Count one view (an F() update: no lost counts under concurrent readers, no new version)."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


# How much of the article the email quotes below its link.
EMAIL_EXCERPT = 1500


@transaction.atomic
def send_article(*, article: Article, customer: Customer, channel: str, user=None) -> Interaction:
    """Email a public, published article to a customer (with its help-center link) and log it."""
    from crm.services import record_interaction

    if article.audience != ArticleAudience.PUBLIC or article.status != ArticleStatus.PUBLISHED:
        raise DomainError(
            _("Only published public articles can be sent to customers."),
            field="article",
            error_id="article_not_public",
        )
    if channel == "chat":
        raise DomainError(
            _("There is no chat channel yet: send the article by email."),
            field="channel",
            error_id="chat_unavailable",
        )
    if channel != "email":
        raise DomainError(_("Send by email."), field="channel", error_id="article_channel")
    address = customer.email or customer.emails.values_list("email", flat=True).order_by("pk").first()
    if not address:
        raise DomainError(_("The customer has no email address."), field="channel", error_id="no_email")
    url = notify.site_url() + reverse("crm:help-article", args=[article.slug])
    text = article.body_text
    excerpt = text if len(text) <= EMAIL_EXCERPT else text[:EMAIL_EXCERPT].rstrip() + "…"
    agent = (user.get_full_name() or user.get_username()) if user is not None else ""
    notify.send_email(
        "crm/email/article",
        [address],
        customer.language,
        {"article": article, "name": customer.name, "url": url, "text": excerpt, "agent": agent},
    )
    return record_interaction(
        customer=customer,
        kind=InteractionKind.ARTICLE_SENT,
        summary=article.title[:255],
        # No link: one article is sent many times, and a link is one timeline row per object.
        data={"channel": channel, "to": address, "article_id": article.pk, "slug": article.slug, "url": url},
        user=user,
    )
