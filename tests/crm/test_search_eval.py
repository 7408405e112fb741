"""The labelled evaluation of knowledge-base search over the demo articles (figures in docs/crm.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm.demo import seed_articles
from crm.kb.evaluation import Question, evaluate
from crm.models import Article

QUESTIONS = [Question.from_dict(q) for q in json.loads(Path(__file__).with_name("kb_eval.json").read_text())]


def test_the_evaluation_set_is_big_enough_and_labels_real_articles():
    assert len(QUESTIONS) >= 60
    assert {q.lang for q in QUESTIONS} == {"zh", "en"}
    assert sum(q.kind == "cross" for q in QUESTIONS) >= 10


@pytest.mark.django_db
def test_it_reaches_the_recall_target_on_the_demo_articles():
    seed_articles()
    slugs = set(Article.objects.values_list("slug", flat=True))
    assert len(slugs) >= 40
    for question in QUESTIONS:
        assert any(f"{t}-zh" in slugs or f"{t}-en" in slugs for t in question.topics), question.q
    figures = evaluate(QUESTIONS)
    assert figures["recall@3"] >= 0.9, figures["misses"]
    assert figures["mrr"] >= 0.8
    assert figures["by_kind"]["cross"]["recall@3"] >= 0.9
