"""Public self-service help pages: published public articles and the same search agents use."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from crm.kb import services as kb
from crm.kb.search import Filters, search_articles
from crm.models import Article, ArticleAudience, ArticleCategory, ArticleStatus

PUBLIC = Filters(status=ArticleStatus.PUBLISHED, audience=ArticleAudience.PUBLIC)


def _public():
    return Article.objects.filter(status=ArticleStatus.PUBLISHED, audience=ArticleAudience.PUBLIC)


def help_index(request: HttpRequest) -> HttpResponse:
    """The help center: search box, results with highlighted snippets, articles by category."""
    query = request.GET.get("q", "")[:500]
    language = request.GET.get("language") or None
    if language not in (None, "zh-hans", "en"):
        language = None
    category = request.GET.get("category") or None
    filters = Filters(status=PUBLIC.status, audience=PUBLIC.audience, language=language, category=category)
    hits = search_articles(query, filters=filters, limit=10) if query.strip() else []
    articles = _public().select_related("category").order_by("category__order", "title")
    if language:
        articles = articles.filter(language=language)
    if category:
        articles = articles.filter(category__slug=category)
    context = {
        "query": query,
        "language": language or "",
        "category": category or "",
        "hits": hits,
        "articles": [] if query.strip() else articles,
        "categories": ArticleCategory.objects.all(),
    }
    return render(request, "crm/help_index.html", context)


def help_article(request: HttpRequest, slug: str) -> HttpResponse:
    """One public article (its HTML was sanitized when saved)."""
    article = get_object_or_404(_public().select_related("category"), slug=slug)
    kb.record_article_view(article=article)
    return render(request, "crm/help_article.html", {"article": article, "voted": request.GET.get("voted")})


@require_POST
def help_vote(request: HttpRequest, slug: str) -> HttpResponse:
    """A reader's helpful / not helpful vote."""
    article = get_object_or_404(_public(), slug=slug)
    kb.vote_article(article=article, helpful=request.POST.get("helpful") == "1")
    return redirect(f"{request.path.rsplit('vote/', 1)[0]}?voted=1")
