"""The in-memory article vectors: fresh after every kind of change, exact enough when approximated."""

from __future__ import annotations

import time

import numpy as np
import pytest
from django.db import connection, transaction

from crm import embeddings
from crm.kb import vectors
from crm.kb.search import Filters, search_articles
from crm.kb.services import save_article, vote_article
from crm.models import Article


def _version() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM crm_articleindexversion WHERE id = 1")
        return cursor.fetchone()[0]


def _ids(query: str) -> set[int]:
    return {hit.article.pk for hit in search_articles(query, methods=("semantic",), filters=Filters())}


@pytest.mark.django_db(transaction=True)
def test_it_bumps_the_version_only_for_changes_search_holds():
    article = save_article(title="退款到账时间", body="<p>1–3 个工作日到账。</p>", status="published")
    start = _version()
    vote_article(article=article, helpful=True)
    Article.objects.filter(pk=article.pk).update(view_count=5)
    Article.objects.get(pk=article.pk).save()  # a save with nothing search holds changed
    assert _version() == start
    Article.objects.filter(pk=article.pk).update(tags=["退款"])
    assert _version() == start + 1
    assert Article.objects.get(pk=article.pk).index_version == start + 1
    with transaction.atomic():  # one bump per transaction, however many rows
        Article.objects.filter(pk=article.pk).update(status="archived")
        Article.objects.filter(pk=article.pk).update(language="en")
    assert _version() == start + 2


@pytest.mark.django_db(transaction=True)
def test_it_follows_committed_changes_without_reloading_everything(monkeypatch):
    refund = save_article(title="退款多久到账", body="<p>退款 1–3 个工作日到账。</p>", status="published")
    other = save_article(title="How to reset a password", body="<p>Use the login page.</p>", language="en")
    assert refund.pk in _ids("退款多久到账") and other.pk not in _ids("reset my password")
    loads = []
    monkeypatch.setattr(vectors.VectorIndex, "load", lambda *a: loads.append(1) or pytest.fail("reloaded"))

    save_article(article=other, title=other.title, body=other.body, language="en", status="published")
    assert other.pk in _ids("reset my password")
    # Not through a service: the trigger sees it all the same.
    Article.objects.filter(pk=refund.pk).update(status="archived")
    assert refund.pk not in _ids("退款多久到账")
    Article.objects.filter(pk=refund.pk).update(status="published")
    assert refund.pk in _ids("退款多久到账")
    Article.objects.filter(pk=refund.pk).delete()
    assert refund.pk not in _ids("退款多久到账")
    assert list(vectors.index.snapshot.ids) == [other.pk]
    assert loads == []


@pytest.mark.django_db
def test_it_sees_this_transactions_unsaved_articles_but_does_not_keep_them():
    before = vectors.index.key
    article = save_article(title="退款多久到账", body="<p>退款 1–3 个工作日到账。</p>", status="published")
    assert article.pk in _ids("退款多久到账")
    # The process's snapshot stays at committed data: this test's transaction will roll back.
    assert vectors.index.key == before and article.pk not in vectors.index.snapshot.ids


@pytest.mark.django_db(transaction=True)
def test_a_search_that_must_not_wait_answers_from_full_text_while_the_vectors_load(monkeypatch):
    from crm.kb import search

    save_article(
        title="Cancelling a subscription",
        body="<p>Subscriptions can be stopped any time from the account page.</p>",
        language="en",
        status="published",
    )
    monkeypatch.setattr(search, "_index", vectors.VectorIndex())  # a fresh process
    question = "She no longer wishes to pay every month for the membership."
    assert not search.semantic_ready()
    assert search_articles(question, wait_for_vectors=False) == []  # shares no word with the article
    for _ in range(100):
        if search.semantic_ready():
            break
        time.sleep(0.05)
    hits = search_articles(question, wait_for_vectors=False)
    assert [(h.article.title, h.semantic_rank, h.lexical_rank) for h in hits] == [
        ("Cancelling a subscription", 1, None)
    ]


def _rows(vectors_: np.ndarray, **columns) -> list[tuple]:
    rows = []
    for i in range(len(vectors_) // 2):
        language = columns.get("language", lambda i: "en")(i)
        data = vectors_[2 * i : 2 * i + 2].astype(np.float16).tobytes()
        rows.append((i + 1, 1, "published", "public", language, None, ["t"] if i % 3 == 0 else [], data))
    return rows


def test_the_projected_ranking_finds_the_exact_top_ten(monkeypatch):
    rng = np.random.default_rng(1)
    monkeypatch.setattr(vectors, "COARSE_MIN_ARTICLES", 500)
    monkeypatch.setattr(vectors, "COARSE_DIM", 48)
    monkeypatch.setattr(vectors, "RERANK", 100)
    # Clustered vectors, as sentence embeddings are: 40 topics, each article near one.
    topics = rng.normal(size=(40, embeddings.DIM))
    raw = topics[rng.integers(0, 40, 4000)] + 0.6 * rng.normal(size=(4000, embeddings.DIM))
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    rows = _rows(raw, language=lambda i: "en" if i % 2 else "zh-hans")
    snapshot, _, fitted = vectors.VectorIndex.load(("db", 1), rows)
    assert snapshot.projection is not None and fitted == 2000
    exact_vectors = snapshot.full.astype(np.float32)
    for t in range(10):
        query = topics[t] / np.linalg.norm(topics[t])
        values = {"status": "published", "language": "en"}
        found = snapshot.rank(query, values, "t", limit=10, min_similarity=-1.0)
        exact = vectors._best_of_pairs(exact_vectors @ query)
        exact[~snapshot.mask(values, "t")] = -np.inf
        expected = [int(i) for i in snapshot.ids[np.lexsort((snapshot.ids, -exact))[:10]]]
        assert found == expected
        assert all(i % 2 == 0 and (i - 1) % 3 == 0 for i in found)  # language en and tag t
