"""Knowledge-base articles for the agent's side panel: a search box, and suggestions for this caller."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ccapp.models import Call
from ccapp.selectors_live import customer_card

RESULTS = 5
# Timeline entries whose summaries say what the customer wanted before (a ticket's subject...).
CONTEXT_KINDS = frozenset({"ticket", "chat", "email", "note"})
CONTEXT_ITEMS = 5


def call_context(call: Call) -> list[str]:
    """What the call tells about the caller's question, most specific first.

    The transfer note and the agent's notes, the IVR nodes the caller went through, the queue, then
    the customer's open tickets and recent ticket, chat and email subjects. Search takes the first
    500 characters, so the order matters.
    """
    variables = call.variables or {}
    parts = [str(variables.get("transfer_note", "")), call.notes or ""]
    parts += [str(node) for node in call.ivr_path or []]
    if call.queue is not None:
        parts.append(call.queue.name)
    card = customer_card(call.caller or call.caller_raw) if (call.caller or call.caller_raw) else {}
    parts += [str(t.get("title", "")) for t in card.get("open_tickets", [])[:CONTEXT_ITEMS]]
    parts += [i["summary"] for i in card.get("recent", []) if i["kind"] in CONTEXT_KINDS][:CONTEXT_ITEMS]
    return list(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


def articles(query: str) -> list[dict[str, Any]]:
    """Published articles for a question, best first: the knowledge base's fused search.

    Full text and embeddings, as in the knowledge base's own search box; the agent never waits for
    the vectors to load: a process that has not loaded them yet answers from full text meanwhile.
    """
    from crm.kb.search import search_articles
    from crm.models import ArticleAudience

    rows = []
    for hit in search_articles(query, limit=RESULTS, wait_for_vectors=False):
        article = hit.article
        internal = article.audience == ArticleAudience.INTERNAL
        # The help center shows public articles only; agents read internal ones in the admin.
        url = (
            reverse("admin:crm_article_change", args=[article.pk])
            if internal
            else reverse("crm:help-article", args=[article.slug])
        )
        row = {"title": article.title, "slug": article.slug, "snippet": hit.snippet}
        rows.append({**row, "internal": internal, "url": url})
    return rows


def warm_up() -> None:
    """Start loading the knowledge base's vectors in the background (a desk opened: calls will come)."""
    from crm.kb.search import warm_up as load_vectors

    load_vectors()


def suggestions(call: Call) -> dict[str, Any]:
    """Articles suggested for the caller of `call`, and the words they were found from."""
    context = call_context(call)
    return {"call_id": call.pk, "context": context, "articles": articles(" ".join(context))}
