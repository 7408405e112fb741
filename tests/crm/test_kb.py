"""Knowledge base: sanitized versioned articles and search that works for Chinese and English."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.urls import reverse

from ccapp.errors import DomainError
from crm.kb.search import Filters, search_articles
from crm.kb.services import record_article_view, save_article, send_article, vote_article
from crm.models import Article, Interaction
from crm.services import create_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles() -> dict[str, Article]:
    made = {
        "refund": save_article(
            title="退款到账时间说明",
            body="<p>退货质检通过后 24 小时内发起退款，支付宝 1–3 个工作日到账，信用卡 3–7 个工作日。</p>",
            status="published",
        ),
        "password": save_article(
            title="忘记登录密码怎么办",
            body="<p>在登录页点击忘记密码，输入手机号获取验证码后设置新密码。</p>",
            status="published",
        ),
        "warranty": save_article(
            title="Warranty policy",
            body="<p>Electronics carry a 1-year free warranty from the delivery date.</p>",
            language="en",
            status="published",
        ),
        "internal": save_article(
            title="Handling complaints (internal)",
            body="<p>Escalate refund complaints to the team lead within 2 hours.</p>",
            language="en",
            audience="internal",
            status="published",
        ),
        "draft": save_article(title="退款新政策草稿", body="<p>退款 refund 草稿</p>", status="draft"),
    }
    return made


def test_it_sanitizes_html_and_keeps_versions():
    article = save_article(
        title="XSS", body='<p onclick="steal()">hi<script>alert(1)</script><a href="javascript:x()">x</a></p>'
    )
    assert "script" not in article.body and "onclick" not in article.body and "javascript" not in article.body
    assert article.body_text == "hix"
    save_article(article=article, title="XSS v2", body="<p>hello</p>", status="published")
    assert [h.title for h in article.history.order_by("history_id")] == ["XSS", "XSS v2"]
    assert Article.objects.get().published_at is not None
    with pytest.raises(DomainError):
        save_article(title=" ", body="x")


def test_it_finds_the_refund_article_for_a_chinese_question(articles):
    hits = search_articles("退款多久到账")
    assert hits[0].article == articles["refund"]
    assert "<mark>退款</mark>" in hits[0].snippet and hits[0].lexical_rank == 1


def test_it_finds_a_chinese_article_for_an_english_question(articles):
    hits = search_articles("I forgot my password", filters=Filters(language="zh-hans"))
    assert hits and hits[0].article == articles["password"]


def test_it_corrects_english_typos(articles):
    hits = search_articles("warrenty", filters=Filters(language="en"))
    assert hits[0].article == articles["warranty"]
    assert hits[0].lexical_rank == 1


def test_it_applies_filters_and_never_returns_drafts_by_default(articles):
    public = search_articles("refund complaints", filters=Filters(audience="public"))
    assert articles["internal"] not in [h.article for h in public]
    assert articles["draft"] not in [h.article for h in search_articles("退款新政策草稿")]
    internal = search_articles("refund complaints", filters=Filters(audience="internal"))
    assert [h.article for h in internal] == [articles["internal"]]
    drafts = search_articles("退款新政策草稿", filters=Filters(status="draft"))
    assert [h.article for h in drafts] == [articles["draft"]]


@pytest.mark.parametrize(
    "query", ["", "   ", "？？？!!!", "……", "'; DROP TABLE crm_article; --", "退款" * 5000]
)
def test_it_answers_empty_punctuation_and_huge_queries_without_error(articles, query):
    hits = search_articles(query)
    assert isinstance(hits, list)
    if not any(c.isalnum() for c in query):
        assert hits == []


def test_it_counts_votes_and_views(articles):
    article = articles["refund"]
    vote_article(article=article, helpful=True)
    vote_article(article=article, helpful=False)
    vote_article(article=article, helpful=True)
    record_article_view(article=article)
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count, article.view_count) == (2, 1, 1)
    assert article.history.count() == 1  # counters are not versions


def test_it_emails_only_public_published_articles_and_logs_it(
    articles, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://help.example.com"
    customer = create_customer(name="王芳", email="wf@example.com")
    agent = get_user_model().objects.create_user(username="li", first_name="Li")
    with django_capture_on_commit_callbacks(execute=True):
        sent = send_article(article=articles["refund"], customer=customer, channel="email", user=agent)
    assert Interaction.objects.get() == sent
    assert (sent.kind, sent.summary, sent.data["channel"]) == ("article_sent", "退款到账时间说明", "email")
    (message,) = mail.outbox
    url = "https://help.example.com" + reverse("crm:help-article", args=[articles["refund"].slug])
    assert message.to == ["wf@example.com"] and message.subject == "退款到账时间说明"
    assert message.body.startswith("王芳，您好：") and "Li 为您找到了" in message.body
    assert url in message.body and "信用卡 3–7 个工作日" in message.body and sent.data["url"] == url
    for article in (articles["internal"], articles["draft"]):
        with pytest.raises(DomainError) as exc:
            send_article(article=article, customer=customer, channel="email")
        assert exc.value.error_id == "article_not_public"
    with pytest.raises(DomainError) as exc:
        send_article(article=articles["refund"], customer=customer, channel="chat")
    assert exc.value.error_id == "chat_unavailable"
    with pytest.raises(DomainError):
        send_article(article=articles["refund"], customer=create_customer(name="no mail"), channel="email")
    assert customer.interactions.count() == 1 and len(mail.outbox) == 1


def test_an_english_customer_gets_english_at_a_secondary_address(
    articles, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    customer = create_customer(name="Alice", language="en", emails=["alice@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        send_article(article=articles["warranty"], customer=customer, channel="email")
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"] and message.body.startswith("Hello Alice,")
    assert "Here is a help article for you:" in message.body


def test_nothing_is_emailed_when_the_send_rolls_back(articles, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    customer = create_customer(name="王芳", email="wf@example.com")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send_article(article=articles["refund"], customer=customer, channel="email")
        raise RuntimeError("the request failed after the send")
    assert mail.outbox == [] and not customer.interactions.exists()


def test_it_corrects_english_typos_without_pg_trgm(articles, monkeypatch):
    # An embedded PostgreSQL has no pg_trgm; the vocabulary is then searched by length in Python.
    from crm.kb import search

    monkeypatch.setattr(search, "has_trgm", lambda: False)
    assert search.corrections("warrenty refnud") == {"warrenty": "warranty", "refnud": "refund"}
    hits = search_articles("warrenty", filters=Filters(language="en"))
    assert hits[0].article == articles["warranty"]
