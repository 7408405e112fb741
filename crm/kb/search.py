"""Knowledge-base search for Chinese and English: jieba full text + sentence embeddings, fused by RRF.

Full text: the query is segmented like the articles (jieba, light English stemming), English typos
are corrected against the articles' vocabulary (pg_trgm), and the bilingual glossary adds the other
language's terms; candidates are limited before ranking (see _match). Semantic: multilingual USE v3
embeddings against the process's vector index (crm.kb.vectors), computed on a worker thread while
PostgreSQL answers the full-text query. The two rankings are fused by reciprocal-rank fusion.

The encoder and the vectors load at the first semantic search of a process (seconds with a large
knowledge base). A caller that must not wait for that (the agent's desk) passes
`wait_for_vectors=False`: until they are in memory it gets full text only, and they load in the
background (`warm_up`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection
from django.db.models.functions import Length

from crm import embeddings
from crm.glossary import expand
from crm.kb import vectors
from crm.models import Article, ArticleCategory, ArticleStatus, ArticleTerm
from crm.pg import has_trgm
from crm.text import segment, snippet, stem

MAX_QUERY_CHARS = 500
MAX_WORDS = 32
CANDIDATES = 50
RRF_K = 60
# Candidate matching for full text: articles fetched before ranking (see _match).
MATCH_BUDGET = 2000
MATCH_CAP = 2000
MAX_COMMON = 8
STATS_TTL = 300.0
# Fewer articles than this matching the typed words: widen the match with the glossary's words.
MIN_TYPED_MATCHES = 10
# Below this cosine the encoder is matching noise (unrelated pairs score 0.1-0.3 on USE v3).
MIN_SIMILARITY = 0.3
# Glossary equivalents count less than the words the person typed.
EXPANSION_WEIGHT = 0.5
_ASCII = re.compile(r"[a-z]{4,24}", re.IGNORECASE)
_HAS_WORD = re.compile(r"\w", re.UNICODE)
_stats: dict[str, tuple[float, tuple[dict[str, float], float]]] = {}
log = logging.getLogger(__name__)


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


def _frequencies() -> tuple[dict[str, float], float]:
    """Words found in many articles (PostgreSQL's statistics of the tsvector column): word -> count."""
    name = connection.settings_dict["NAME"]
    cached = _stats.get(name)
    if cached and time.monotonic() - cached[0] < STATS_TTL:
        return cached[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename "
            "WHERE s.tablename = 'crm_article' AND s.attname = 'search_vector'"
        )
        row = cursor.fetchone()
    counts: dict[str, float] = {}
    floor = 0.0
    if row and row[0]:
        words, freqs, rows = row
        counts = {w: f * rows for w, f in zip(words, freqs, strict=False)}
        # Words missing from the list are rarer than its least frequent one (PostgreSQL's own
        # estimate for them is half that).
        floor = min(freqs[: len(words)]) * rows / 2
    _stats[name] = (time.monotonic(), (counts, floor))
    return counts, floor


def _match(words: list[str]) -> str | None:
    """A tsquery narrower than "any word" when any word would fetch too many articles, else None.

    Ranking is cheap; fetching every article that shares one common word ("order", 订单) is what
    makes full text slow on a large knowledge base. Words that are rare enough together stay
    alternatives; of the common ones an article must contain two. Below MATCH_BUDGET articles in
    all (any knowledge base of a few thousand articles) it is the plain OR of the words.
    """
    counts, floor = _frequencies()
    unique = sorted(dict.fromkeys(words), key=lambda w: counts.get(w, floor))
    cheap, total = [], 0.0
    for word in unique:
        total += counts.get(word, floor)
        if total > MATCH_BUDGET:
            break
        cheap.append(word)
    common = unique[len(cheap) :][:MAX_COMMON]
    if len(common) < 2:
        return None
    pairs = [f"('{a}' & '{b}')" for i, a in enumerate(common) for b in common[i + 1 :]]
    return " | ".join([*(f"'{w}'" for w in cheap), *pairs])


def _ranked(cursor, match: str, q1: str, q2: str, where: str, params: list) -> list[int]:
    # The candidates are capped before ranking, so no query ranks more than MATCH_CAP articles.
    cursor.execute(
        "SELECT m.id FROM (SELECT a.id, a.search_vector FROM crm_article a "
        "WHERE a.search_vector @@ to_tsquery('simple', %s)" + where + " LIMIT %s) m, "
        "to_tsquery('simple', %s) q1, to_tsquery('simple', %s) q2 ORDER BY "
        "ts_rank(m.search_vector, q1, 1) + %s * ts_rank(m.search_vector, q2, 1) DESC, m.id LIMIT %s",
        [match, *params, MATCH_CAP, q1, q2, EXPANSION_WEIGHT, CANDIDATES],
    )
    return [row[0] for row in cursor.fetchall()]


def lexical_ranking(words: list[str], extra: list[str], filters: Filters) -> list[int]:
    """Article ids matching the query, best first (glossary words weigh EXPANSION_WEIGHT).

    Articles are matched on the typed words first; the glossary's words (which include common
    ones such as "order") widen the match only when the typed words find too little, as when the
    question is in the other language.
    """
    if not words and not extra:
        return []
    where, params = _filter_sql(filters)
    q1 = _tsquery(words) if words else ""
    q2 = _tsquery(extra) if extra else ""
    tries = []
    if words:
        narrow = _match(words)
        # When too few articles hold two common words: any word (capped at MATCH_CAP).
        tries += [narrow, q1] if narrow else [q1]
    if extra:
        narrow = _match([*words, *extra])
        tries += [narrow, _tsquery([*words, *extra])] if narrow else [_tsquery([*words, *extra])]
    found: list[int] = []
    with connection.cursor() as cursor:
        for match in tries:
            found = _ranked(cursor, match, q1, q2, where, params)
            if len(found) >= MIN_TYPED_MATCHES:
                break
    return found


_index = vectors.index
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kb-semantic")


def semantic_job(query: str, filters: Filters) -> Callable[[], list[int]]:
    """Semantic ranking in two parts: the database reads now, the numpy work when the job is called.

    The reads must run on the caller's connection (its transaction may hold unsaved articles); the
    rest touches no database, so search_articles runs it on a worker thread while PostgreSQL
    answers the full-text query (numpy and psycopg2 both release the GIL).
    """
    snapshot = _index.current()
    values = {name: getattr(filters, name) or "" for name in ("status", "audience", "language")}
    if filters.category:
        category = ArticleCategory.objects.filter(slug=filters.category).values_list("pk", flat=True).first()
        values["category"] = str(category or "none")

    def rank() -> list[int]:
        if not len(snapshot.ids):
            return []
        vector = embeddings.encode_query(query)
        return snapshot.rank(vector, values, filters.tag, limit=CANDIDATES, min_similarity=MIN_SIMILARITY)

    return rank


def semantic_ready() -> bool:
    """Whether a semantic search loads nothing first: the encoder and this database's vectors are held."""
    return embeddings.loaded() and _index.holds(connection.settings_dict["NAME"])


def load_semantic() -> None:
    """Load the encoder and this database's article vectors now."""
    embeddings.load()
    _index.current()


_loading = threading.Lock()


def warm_up() -> None:
    """Load what semantic search needs on a background thread, unless it is in memory or loading."""
    if semantic_ready() or not _loading.acquire(blocking=False):
        return
    threading.Thread(target=_load_in_background, name="kb-warm-up", daemon=True).start()


def _load_in_background() -> None:
    try:
        load_semantic()
    except Exception:  # searches go on with full text, and the next one tries again
        log.exception("loading the knowledge base's vectors failed")
    finally:
        connection.close()  # this thread's own connection
        _loading.release()


def semantic_ranking(query: str, filters: Filters) -> list[int]:
    """Article ids by cosine similarity of their embeddings to the query's, best first."""
    return semantic_job(query, filters)()


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
    wait_for_vectors: bool = True,
) -> list[ArticleHit]:
    """Articles for a question in Chinese or English, best first, with highlighted snippets.

    `wait_for_vectors=False`: while the process has not loaded the encoder and the vectors, search
    full text only and have them loaded in the background.
    """
    filters = filters or Filters()
    query = (query or "")[:MAX_QUERY_CHARS].strip()
    if not _HAS_WORD.search(query):
        return []
    if "semantic" in methods and not wait_for_vectors and not semantic_ready():
        warm_up()
        methods = tuple(m for m in methods if m != "semantic")
    fixed = corrections(query) if "lexical" in methods else {}
    words = segment(query, limit=MAX_WORDS)
    words += [stem(w) for w in fixed.values()]
    extra = expand(words) if "lexical" in methods else []
    # Corrections are appended, not substituted: a rare but right word ("status") may look like a typo.
    corrected = " ".join([query, *fixed.values()])
    semantic = _pool.submit(semantic_job(corrected, filters)) if "semantic" in methods else None
    lexical = lexical_ranking(words, extra, filters) if "lexical" in methods else []
    semantic = semantic.result() if semantic else []
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
