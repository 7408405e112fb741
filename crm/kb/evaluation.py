"""Measuring search quality: recall@k and mean reciprocal rank over a labelled question set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crm.kb.search import Filters, search_articles


@dataclass(frozen=True)
class Question:
    """One labelled question: the topics (article slugs without the -zh/-en) that answer it."""

    q: str
    topics: tuple[str, ...]
    lang: str
    kind: str
    language: str | None = None

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> Question:
        return cls(item["q"], tuple(item["topics"]), item["lang"], item["kind"], item.get("language"))


def _topic(slug: str) -> str:
    return slug.rsplit("-", 1)[0]


def evaluate(
    questions: list[Question],
    *,
    k: int = 3,
    methods: tuple[str, ...] = ("lexical", "semantic"),
    topic: Callable[[str], str] = _topic,
) -> dict[str, Any]:
    """recall@k and MRR (over the top 10) overall and per kind of question, plus the misses.

    `topic` maps an article's slug to its topic (the benchmark's generated articles name theirs
    differently).
    """
    by_kind: dict[str, list[tuple[bool, float]]] = {}
    misses = []
    for question in questions:
        hits = search_articles(
            question.q, filters=Filters(language=question.language, audience=None), limit=10, methods=methods
        )
        ranks = [i for i, hit in enumerate(hits, 1) if topic(hit.article.slug) in question.topics]
        first = ranks[0] if ranks else None
        found = first is not None and first <= k
        by_kind.setdefault(question.kind, []).append((found, 1.0 / first if first else 0.0))
        if not found:
            misses.append({"q": question.q, "rank": first, "top": [h.article.slug for h in hits[:k]]})
    results = [r for rs in by_kind.values() for r in rs]

    def figures(rs: list[tuple[bool, float]]) -> dict[str, float]:
        return {
            f"recall@{k}": round(sum(f for f, _ in rs) / len(rs), 3),
            "mrr": round(sum(m for _, m in rs) / len(rs), 3),
            "n": len(rs),
        }

    return {
        **figures(results),
        "by_kind": {kind: figures(rs) for kind, rs in sorted(by_kind.items())},
        "misses": misses,
    }
