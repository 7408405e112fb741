"""Article embeddings held in process memory for semantic search, kept fresh by a version counter.

Every change to an article that matters to search (insert, embedding, status, audience, language,
category, tags, delete) bumps one counter row in the same transaction (database triggers, see
migration 0004), and the changed rows carry that version. A search reads the counter (one primary-key
lookup); when it moved, only the rows changed since are fetched, so an edit costs a small query and
an array copy, not a reload of 50,000 embeddings. The counter row is updated once per transaction
and stays locked until commit, so versions become visible in commit order and none is skipped.

Vectors are stored as float16 (half the memory). Below COARSE_MIN_ARTICLES articles every query is scored
exactly in float32; above it a PCA projection to COARSE_DIM dimensions scores all rows in a quarter
of the time and memory traffic, and the best RERANK articles are rescored exactly from the float16
vectors (at 50,000 articles this finds the exact top 10 for every evaluation question; the benchmark
measures it).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
from django.db import connection
from threadpoolctl import ThreadpoolController

from crm import embeddings

# Articles (two vectors each: title; title + lead) below which every query is scored exactly.
COARSE_MIN_ARTICLES = 10_000
COARSE_DIM = 128
# Articles rescored exactly after the coarse pass.
RERANK = 500
FIT_SAMPLE = 20_000
FILTER_COLUMNS = ("status", "audience", "language", "category")
_COLUMNS = "id, index_version, status, audience, language, category_id::text, tags, embedding"
# One BLAS thread: a web process serves many small queries, and idle OpenBLAS threads spin on the
# cores that other requests need.
_blas = ThreadpoolController()


@dataclass
class Snapshot:
    """One immutable state of the index; a refresh builds a new one and swaps it in."""

    ids: np.ndarray  # article ids, ascending
    full: np.ndarray  # (2n, 512) float16
    coarse: np.ndarray  # (2n, d) float32: exact vectors, or their PCA projection
    projection: np.ndarray | None  # (512, d) when coarse is projected
    codes: dict[str, np.ndarray]  # per filter column, int16 codes into vocab
    vocab: dict[str, dict[str, int]]
    tags: list[list[str]]
    tag_masks: dict[str, np.ndarray] = field(default_factory=dict)

    def mask(self, values: dict[str, str], tag: str | None) -> np.ndarray:
        """Articles whose columns have these values (category: its id as text) and that carry the tag."""
        keep = np.ones(len(self.ids), dtype=bool)
        for name, value in values.items():
            if value:
                code = self.vocab[name].get(value)
                if code is None:
                    return np.zeros(len(self.ids), dtype=bool)
                keep &= self.codes[name] == code
        if tag:
            tag_mask = self.tag_masks.get(tag)
            if tag_mask is None:
                tag_mask = np.array([tag in t for t in self.tags], dtype=bool)
                self.tag_masks[tag] = tag_mask
            keep &= tag_mask
        return keep

    def rank(
        self, query: np.ndarray, values: dict[str, str], tag: str | None, *, limit: int, min_similarity: float
    ) -> list[int]:
        """Article ids by best cosine of their vectors to the query's, best first, ties by id."""
        n = len(self.ids)
        if not n:
            return []
        with _blas.limit(limits=1, user_api="blas"):
            q = query if self.projection is None else query @ self.projection
            scores = _best_of_pairs(self.coarse @ q)
        scores[~self.mask(values, tag)] = -np.inf
        if self.projection is not None and n > RERANK:
            picked = np.argpartition(-scores, RERANK)[:RERANK]
            picked = picked[np.isfinite(scores[picked])]
            rows = np.stack([2 * picked, 2 * picked + 1], axis=1).ravel()
            with _blas.limit(limits=1, user_api="blas"):
                exact = _best_of_pairs(self.full[rows].astype(np.float32) @ query)
        else:
            picked = np.flatnonzero(np.isfinite(scores))
            exact = scores[picked]
        good = exact >= min_similarity
        picked, exact = picked[good], exact[good]
        order = np.lexsort((self.ids[picked], -exact))[:limit]
        return [int(i) for i in self.ids[picked[order]]]


_ROW_BYTES = 2 * embeddings.DIM * 2


def _best_of_pairs(scores: np.ndarray) -> np.ndarray:
    """Per article, the better of its two rows' scores (faster than reshape(-1, 2).max(axis=1))."""
    return np.maximum(scores[0::2], scores[1::2])


def _vectors(data) -> bytes | None:
    """An article's two float16 vectors (title; title + lead) as bytes; one is used twice."""
    if data is None:
        return None
    data = bytes(data)
    if len(data) == _ROW_BYTES // 2:
        return data + data
    return data if len(data) == _ROW_BYTES else None


def _build(rows: list[tuple], projection: np.ndarray | None, vocab: dict | None = None) -> Snapshot:
    """A snapshot of rows (id, version, status, audience, language, category, tags, embedding)."""
    rows = sorted(((r, v) for r in rows if (v := _vectors(r[7]))), key=lambda rv: rv[0][0])
    full = np.frombuffer(b"".join(v for _, v in rows), dtype=np.float16).reshape(-1, embeddings.DIM)
    with _blas.limit(limits=1, user_api="blas"):
        coarse = full.astype(np.float32)
        if projection is not None:
            coarse = coarse @ projection
    vocab = {name: dict((vocab or {}).get(name, {})) for name in FILTER_COLUMNS}
    codes = {
        name: np.array([vocab[name].setdefault(r[i] or "", len(vocab[name])) for r, _ in rows], np.int16)
        for i, name in zip((2, 3, 4, 5), FILTER_COLUMNS, strict=True)
    }
    return Snapshot(
        ids=np.array([r[0] for r, _ in rows], dtype=np.int64),
        full=full,
        coarse=np.ascontiguousarray(coarse, dtype=np.float32),
        projection=projection,
        codes=codes,
        vocab=vocab,
        tags=[r[6] or [] for r, _ in rows],
    )


def _merge(old: Snapshot, keep: np.ndarray, changed: list[tuple]) -> Snapshot:
    """The kept articles of a snapshot plus the changed rows, without decoding the kept ones again."""
    new = _build(changed, old.projection, old.vocab)
    ids = np.concatenate([old.ids[keep], new.ids])
    order = np.argsort(ids, kind="stable")
    kept = np.flatnonzero(keep)

    def pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # Two rows per article: reorder article by article.
        width = a.shape[1]
        both = np.concatenate([a.reshape(-1, 2, width)[keep], b.reshape(-1, 2, width)])
        return np.ascontiguousarray(both[order].reshape(-1, width))

    tags = [old.tags[i] for i in kept] + new.tags
    return Snapshot(
        ids=ids[order],
        full=pairs(old.full, new.full),
        coarse=pairs(old.coarse, new.coarse),
        projection=old.projection,
        codes={n: np.concatenate([old.codes[n][keep], new.codes[n]])[order] for n in FILTER_COLUMNS},
        vocab=new.vocab,
        tags=[tags[i] for i in order],
    )


def _fit(full: np.ndarray) -> np.ndarray | None:
    """The COARSE_DIM principal directions of a sample of the vectors (uncentred: dot products)."""
    if len(full) < 2 * COARSE_MIN_ARTICLES:
        return None
    rng = np.random.default_rng(0)
    sample = full[rng.choice(len(full), min(FIT_SAMPLE, len(full)), replace=False)].astype(np.float32)
    with _blas.limit(limits=1, user_api="blas"):
        _, _, vt = np.linalg.svd(sample, full_matrices=False)
    return np.ascontiguousarray(vt[:COARSE_DIM].T, dtype=np.float32)


def _rows(cursor, where: str = "", params: tuple = ()) -> list[tuple]:
    cursor.execute(f"SELECT {_COLUMNS} FROM crm_article {where}", params)
    return cursor.fetchall()


class VectorIndex:
    """The process's article vectors, refreshed from the changes since the version it holds."""

    def __init__(self) -> None:
        self.snapshot = _build([], None)
        self.key: tuple[str, int] | None = None
        self.fitted = 0
        self.lock = threading.Lock()

    def holds(self, database: str) -> bool:
        """Whether the index has loaded the vectors of `database` (later searches fetch what changed)."""
        key = self.key
        return key is not None and key[0] == database

    def current(self) -> Snapshot:
        """The snapshot for the database's current version (one primary-key read when nothing changed)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT version, coalesce(xact = pg_current_xact_id_if_assigned(), false) "
                "FROM crm_articleindexversion WHERE id = 1"
            )
            version, own = cursor.fetchone() or (0, False)
        key = (connection.settings_dict["NAME"], version)
        if key == self.key and not own:
            return self.snapshot
        with self.lock:
            if key == self.key and not own:
                return self.snapshot
            snapshot, key, fitted = self.refreshed(key)
            # Changes this very transaction made are not committed yet (and may roll back): use
            # them for this search, keep the process's snapshot at committed data.
            if not own:
                self.snapshot, self.key, self.fitted = snapshot, key, fitted
            return snapshot

    def refreshed(self, key: tuple[str, int]) -> tuple[Snapshot, tuple[str, int], int]:
        """The held snapshot with the changes since its version (or a full load), its key and fit size."""
        with connection.cursor() as cursor:
            if self.key is None or self.key[0] != key[0] or key[1] < self.key[1]:
                return self.load(key, _rows(cursor))
            changed = _rows(cursor, "WHERE index_version > %s", (self.key[1],))
            old = self.snapshot
            keep = ~np.isin(old.ids, [r[0] for r in changed])
            cursor.execute("SELECT count(*) FROM crm_article WHERE embedding IS NOT NULL")
            (count,) = cursor.fetchone()
            if count != int(keep.sum()) + sum(_vectors(r[7]) is not None for r in changed):
                # Some articles were deleted: keep only the ids still there.
                cursor.execute("SELECT id FROM crm_article WHERE embedding IS NOT NULL")
                keep &= np.isin(old.ids, [r[0] for r in cursor.fetchall()])
            if int(keep.sum()) + len(changed) >= (2 * self.fitted if self.fitted else COARSE_MIN_ARTICLES):
                # Far more articles than the projection was fitted on (or none yet): load and fit.
                return self.load(key, _rows(cursor))
        return _merge(old, keep, changed), (key[0], max([key[1], *(r[1] for r in changed)])), self.fitted

    @staticmethod
    def load(key: tuple[str, int], rows: list[tuple]) -> tuple[Snapshot, tuple[str, int], int]:
        snapshot = _build(rows, None)
        snapshot.projection = _fit(snapshot.full)
        if snapshot.projection is not None:
            with _blas.limit(limits=1, user_api="blas"):
                snapshot.coarse = np.ascontiguousarray(snapshot.coarse @ snapshot.projection)
        fitted = len(snapshot.ids) if snapshot.projection is not None else 0
        return snapshot, (key[0], max([key[1], *(r[1] for r in rows)])), fitted


index = VectorIndex()
