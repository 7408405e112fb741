"""Knowledge-base search for Chinese and English: jieba full text + sentence embeddings, fused by RRF.

Full text: the query is segmented like the articles (jieba, light English stemming), English typos
are corrected against the articles' vocabulary (pg_trgm), and the bilingual glossary adds the other
language's terms. Semantic: multilingual USE v3 embeddings, cosine against an in-process matrix that
is reloaded when articles change. The two rankings are fused by reciprocal-rank fusion.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import Count, Max
from django.db.models.functions import Length

from crm import embeddings
from crm.glossary import expand
from crm.models import Article, ArticleStatus, ArticleTerm
from crm.pg import has_trgm
from crm.text import segment, snippet, stem

MAX_QUERY_CHARS = 500
MAX_WORDS = 32
CANDIDATES = 50
RRF_K = 60
CHECK_EVERY = 2.0
# Fewer articles than this matching the typed words: widen the match with the glossary's words.
MIN_TYPED_MATCHES = 10
# Below this cosine the encoder is matching noise (unrelated pairs score 0.1-0.3 on USE v3).
MIN_SIMILARITY = 0.3
# Glossary equivalents count less than the words the person typed.
EXPANSION_WEIGHT = 0.5
_ASCII = re.compile(r"[a-z]{4,24}", re.IGNORECASE)
_HAS_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class ArticleHit:
    """One search result with where it ranked in each method."""

    article: Article
    score: float
    snippet: str
    lexical_rank: int | None
    semantic_rank: int | None


@dataclass(frozen=True)
class Filters:
    status: str | None = ArticleStatus.PUBLISHED
    audience: str | None = None
    language: str | None = None
    category: str | None = None
    tag: str | None = None


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def corrections(query: str) -> dict[str, str]:
    """English words of the query that are not in the knowledge base, mapped to their nearest word."""
    words = sorted(set(_ASCII.findall(query.lower())))[:8]
    if not words:
        return {}
    known = set(ArticleTerm.objects.filter(word__in=words).values_list("word", flat=True))
    fixed: dict[str, str] = {}
    for word in [w for w in words if w not in known][:3]:
        candidates = _trigram_candidates(word) if has_trgm() else _length_candidates(word)
        best = min(((_levenshtein(word, c), -s, c) for c, s in candidates), default=None)
        if best and best[0] <= (1 if len(word) <= 5 else 2):
            fixed[word] = best[2]
    return fixed


def _trigram_candidates(word: str) -> list[tuple[str, float]]:
    with connection.cursor() as cursor:
        # A transposition ("refnud") shares few trigrams with the word; 0.2 still finds it, and the
        # edit-distance check rejects the loose candidates that lets in.
        cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', '0.2', false)")
        cursor.execute(
            "SELECT word, similarity(word, %s) FROM crm_articleterm WHERE word %% %s ORDER BY 2 DESC LIMIT 8",
            [word, word],
        )
        return cursor.fetchall()


def _length_candidates(word: str) -> list[tuple[str, float]]:
    """Without pg_trgm (an embedded PostgreSQL): every vocabulary word of about the same length."""
    words = (
        ArticleTerm.objects.annotate(n=Length("word"))
        .filter(n__range=(len(word) - 2, len(word) + 2), word__regex=r"^[a-z]+$")
        .values_list("word", flat=True)[:50000]
    )
    return [(w, 0.0) for w in words]


def _tsquery(words: list[str]) -> str:
    # Words are \w+ only (segment() guarantees it), so quoting them is enough to make a safe tsquery.
    return " | ".join(f"'{w}'" for w in dict.fromkeys(words))


def _filter_sql(filters: Filters) -> tuple[str, list]:
    clauses, params = [], []
    for column in ("status", "audience", "language"):
        value = getattr(filters, column)
        if value:
            clauses.append(f"a.{column} = %s")
            params.append(value)
    if filters.category:
        clauses.append("a.category_id IN (SELECT id FROM crm_articlecategory WHERE slug = %s)")
        params.append(filters.category)
    if filters.tag:
        clauses.append("a.tags @> %s::jsonb")
        params.append(json.dumps([filters.tag]))
    return "".join(f" AND {c}" for c in clauses), params


def lexical_ranking(words: list[str], extra: list[str], filters: Filters) -> list[int]:
    """Article ids matching the query, best first (glossary words weigh EXPANSION_WEIGHT).

    Articles are matched on the typed words first; the glossary's words (which include common
    ones such as "order") widen the match only when the typed words find too little, as when the
    question is in the other language. Ranking every article that shares one common word is what
    makes full-text search slow on a large knowledge base.
    """
    if not words and not extra:
        return []
    where, params = _filter_sql(filters)
    main = _tsquery(words) if words else ""
    second = _tsquery(extra) if extra else ""
    found: list[int] = []
    with connection.cursor() as cursor:
        for match in ("q1", "(q1 || q2)") if words else ("(q1 || q2)",):
            cursor.execute(
                "SELECT a.id FROM crm_article a, to_tsquery('simple', %s) q1, to_tsquery('simple', %s) q2 "
                f"WHERE a.search_vector @@ {match}" + where + " ORDER BY "
                "ts_rank(a.search_vector, q1, 1) + %s * ts_rank(a.search_vector, q2, 1) DESC, a.id LIMIT %s",
                [main, second, *params, EXPANSION_WEIGHT, CANDIDATES],
            )
            found = [row[0] for row in cursor.fetchall()]
            if len(found) >= MIN_TYPED_MATCHES or not extra:
                break
    return found


class _Matrix:
    """All article embeddings in memory, with the columns the filters need."""

    def __init__(self) -> None:
        self.key: tuple | None = None
        self.ids = np.zeros(0, dtype=np.int64)
        self.vectors = np.zeros((0, embeddings.DIM), dtype=np.float32)
        self.columns: dict[str, np.ndarray] = {}
        self.tags: list[list[str]] = []
        self.lock = threading.Lock()
        self.checked_at = 0.0

    def load(self, key: tuple) -> None:
        rows = list(
            Article.objects.exclude(embedding=None)
            .order_by("id")
            .values_list("id", "status", "audience", "language", "category__slug", "tags", "embedding")
        )
        blocks = []
        for row in rows:
            v = embeddings.from_bytes(row[6])
            blocks.append(np.vstack([v, v])[:2] if len(v) else np.zeros((2, embeddings.DIM), np.float32))
        self.ids = np.array([r[0] for r in rows], dtype=np.int64)
        self.vectors = np.vstack(blocks) if blocks else np.zeros((0, embeddings.DIM), np.float32)
        self.columns = {
            name: np.array([r[i] or "" for r in rows], dtype=object)
            for i, name in ((1, "status"), (2, "audience"), (3, "language"), (4, "category"))
        }
        self.tags = [r[5] or [] for r in rows]
        self.key = key

    def current(self) -> _Matrix:
        # Checking for changed articles costs a count over the table; other processes' edits are
        # picked up within CHECK_EVERY seconds, this process's own at once (invalidate()).
        if self.key is not None and time.monotonic() - self.checked_at < CHECK_EVERY:
            return self
        self.checked_at = time.monotonic()
        stamp = Article.objects.exclude(embedding=None).aggregate(n=Count("id"), m=Max("updated_at"))
        key = (connection.settings_dict["NAME"], stamp["n"], stamp["m"])
        if key != self.key:
            with self.lock:
                if key != self.key:
                    self.load(key)
        return self


_matrix = _Matrix()


def invalidate() -> None:
    """Make the next search look for changed articles (called when this process re-indexes)."""
    _matrix.checked_at = 0.0


def semantic_ranking(query: str, filters: Filters) -> list[int]:
    """Article ids by cosine similarity of their embeddings to the query's, best first."""
    matrix = _matrix.current()
    if not len(matrix.ids):
        return []
    q = embeddings.encode([query])[0]
    sims = (matrix.vectors @ q).reshape(-1, 2).max(axis=1)
    mask = sims >= MIN_SIMILARITY
    for name in ("status", "audience", "language", "category"):
        value = getattr(filters, name)
        if value:
            mask &= matrix.columns[name] == value
    if filters.tag:
        mask &= np.array([filters.tag in t for t in matrix.tags], dtype=bool)
    candidates = np.flatnonzero(mask)
    if not len(candidates):
        return []
    top = candidates[np.argsort(-sims[candidates], kind="stable")[:CANDIDATES]]
    return [int(i) for i in matrix.ids[top]]


def fuse(*rankings: list[int]) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of several rankings of ids: (id, score) best first."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, pk in enumerate(ranking, 1):
            scores[pk] = scores.get(pk, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def search_articles(
    query: str,
    *,
    filters: Filters | None = None,
    limit: int = 10,
    methods: tuple[str, ...] = ("lexical", "semantic"),
) -> list[ArticleHit]:
    """Articles for a question in Chinese or English, best first, with highlighted snippets."""
    filters = filters or Filters()
    query = (query or "")[:MAX_QUERY_CHARS].strip()
    if not _HAS_WORD.search(query):
        return []
    fixed = corrections(query) if "lexical" in methods else {}
    words = segment(query, limit=MAX_WORDS)
    words += [stem(w) for w in fixed.values()]
    extra = expand(words) if "lexical" in methods else []
    lexical = lexical_ranking(words, extra, filters) if "lexical" in methods else []
    # Corrections are appended, not substituted: a rare but right word ("status") may look like a typo.
    corrected = " ".join([query, *fixed.values()])
    semantic = semantic_ranking(corrected, filters) if "semantic" in methods else []
    fused = fuse(lexical, semantic)[: max(1, min(limit, CANDIDATES))]
    articles = Article.objects.select_related("category").in_bulk([pk for pk, _ in fused])
    highlight = [*words, *fixed.values(), *_ASCII.findall(query.lower()), *extra]
    lex_rank = {pk: i for i, pk in enumerate(lexical, 1)}
    sem_rank = {pk: i for i, pk in enumerate(semantic, 1)}
    return [
        ArticleHit(
            article=articles[pk],
            score=round(score, 6),
            snippet=snippet(articles[pk].body_text, highlight),
            lexical_rank=lex_rank.get(pk),
            semantic_rank=sem_rank.get(pk),
        )
        for pk, score in fused
        if pk in articles
    ]


def suggest_articles(text: str, *, audience: str | None = None, limit: int = 5) -> list[ArticleHit]:
    """Agent assist: the articles that best answer a ticket's, chat's or call note's text."""
    return search_articles(text, filters=Filters(audience=audience), limit=limit)
