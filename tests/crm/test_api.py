"""The crm API and pages: permissions by role, customers, lookup, timeline, articles, search, help."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from crm.kb.services import save_article
from crm.models import Customer
from crm.services import create_customer, record_interaction
from tests.crm.conftest import api_client

pytestmark = pytest.mark.django_db


def test_it_requires_the_model_permissions():
    create_customer(name="王芳", phones=["13800138000"])
    nobody = api_client()
    assert nobody.get("/crm/api/customers/").status_code == 403
    assert nobody.get("/crm/api/lookup/", {"number": "13800138000"}).status_code == 403
    assert nobody.get("/crm/api/search/", {"q": "退款"}).status_code == 403
    viewer = api_client("crm.view_customer")
    assert viewer.get("/crm/api/customers/").json()["count"] == 1
    assert viewer.post("/crm/api/customers/", {"name": "x"}, format="json").status_code == 403
    customer = Customer.objects.get()
    assert viewer.post(f"/crm/api/customers/{customer.pk}/merge/", {"sources": [1]}).status_code == 403
    anonymous = Client()
    assert anonymous.get("/crm/api/customers/").status_code in (401, 403)


def test_it_creates_searches_and_refuses_duplicates(agent_api):
    body = {"name": "李强", "phone_numbers": ["0086 139 0000 1111"], "vip_level": 2, "tags": ["老客户"]}
    created = agent_api.post("/crm/api/customers/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["phones"][0]["number"] == "+8613900001111"
    dup = agent_api.post("/crm/api/customers/", {**body, "name": "李强2"}, format="json")
    assert (dup.status_code, dup.json()["error_id"]) == (409, "duplicate_customer")
    bad = agent_api.post("/crm/api/customers/", {"name": "x", "email": "nope"}, format="json")
    assert bad.status_code == 400 and "email" in bad.json()
    for q in ("李", "139 0000 1111", "1111"):
        assert [c["name"] for c in agent_api.get("/crm/api/customers/", {"q": q}).json()["results"]] == [
            "李强"
        ]
    assert agent_api.get("/crm/api/customers/", {"vip": "false"}).json()["count"] == 0


def test_it_pops_the_card_and_pages_the_timeline(agent_api):
    customer = create_customer(name="王芳", phones=["13800138000"], vip_level=3)
    for i in range(3):
        record_interaction(customer=customer, kind="call", summary=f"call {i}")
    card = agent_api.get("/crm/api/lookup/", {"number": "+86 138 0013 8000"}).json()
    assert (card["known"], card["name"], card["vip_level"], len(card["recent"])) == (True, "王芳", 3, 3)
    assert agent_api.get("/crm/api/lookup/", {"number": "garbage"}).json()["number_valid"] is False
    note = agent_api.post(f"/crm/api/customers/{customer.pk}/notes/", {"text": "回电"}, format="json")
    assert note.status_code == 201
    page = agent_api.get(f"/crm/api/customers/{customer.pk}/timeline/", {"kind": "note"}).json()
    assert [i["summary"] for i in page["results"]] == ["回电"]


def test_it_imports_with_a_dry_run_report(agent_api):
    data = "name,phones\n王芳,13800138000\n,13800138001\n".encode()
    response = agent_api.post(
        "/crm/api/customers/import/", {"file": io.BytesIO(data), "dry_run": "false"}, format="multipart"
    )
    assert response.status_code == 400
    assert [(e["row"], e["error_id"]) for e in response.json()["errors"]] == [(3, "name_missing")]
    assert not Customer.objects.exists()
    export = agent_api.get("/crm/api/customers/export/", {"filetype": "csv"})
    assert export.status_code == 200 and export["Content-Disposition"].endswith('customers.csv"')


def test_it_writes_articles_through_the_service_and_searches_them(agent_api):
    created = agent_api.post(
        "/crm/api/articles/",
        {
            "title": "退款到账时间",
            "body": "<p>退款 3 个工作日到账<script>x()</script></p>",
            "status": "published",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert "script" not in created.json()["body"]
    hits = agent_api.get("/crm/api/search/", {"q": "退款多久到账"}).json()
    assert hits[0]["title"] == "退款到账时间" and "<mark>" in hits[0]["snippet"]
    assert agent_api.get("/crm/api/search/", {"q": "!!!"}).json() == []
    suggestions = agent_api.post(
        "/crm/api/assist/", {"text": "客户说退款一直没到账，很着急"}, format="json"
    ).json()
    assert suggestions[0]["title"] == "退款到账时间"
    customer = create_customer(name="王芳", email="wf@example.com")
    url = f"/crm/api/articles/{created.json()['id']}/send/"
    chat = agent_api.post(url, {"customer": customer.pk, "channel": "chat"})
    assert chat.status_code == 400 and chat.json()["error_id"] == "chat_unavailable", chat.json()
    sent = agent_api.post(url, {"customer": customer.pk, "channel": "email"})
    assert sent.status_code == 201 and customer.interactions.get().kind == "article_sent"


def test_the_help_center_shows_only_public_published_articles():
    public = save_article(title="退款到账时间", body="<p>退款 3 个工作日到账</p>", status="published")
    internal = save_article(
        title="内部退款流程", body="<p>退款 内部</p>", status="published", audience="internal"
    )
    draft = save_article(title="退款草稿", body="<p>退款</p>")
    client = Client()
    page = client.get("/crm/help/", {"q": "退款"}).content.decode()
    assert "退款到账时间" in page and "内部退款流程" not in page and "退款草稿" not in page
    assert client.get("/crm/help/").status_code == 200
    assert "3 个工作日到账" in client.get(f"/crm/help/{public.slug}/").content.decode()
    for hidden in (internal, draft):
        assert client.get(f"/crm/help/{hidden.slug}/").status_code == 404
    assert client.post(f"/crm/help/{public.slug}/vote/", {"helpful": "1"}).status_code == 302
    public.refresh_from_db()
    assert (public.helpful_count, public.view_count) == (1, 1)


def test_the_schema_documents_the_crm_api():
    schema = api_client().get("/api/schema/", {"format": "json"}).json()
    for path in ("/crm/api/customers/", "/crm/api/lookup/", "/crm/api/search/", "/crm/api/articles/"):
        assert path in schema["paths"]
