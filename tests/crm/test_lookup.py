"""The screen-pop card: any common way of writing a number finds the customer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from crm import hooks
from crm.models import InteractionKind
from crm.pg import has_trgm
from crm.selectors import customer_for_number, search_customers
from crm.services import create_customer, merge_customers, record_interaction

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "dialled",
    ["+86 138 0013 8000", "008613800138000", "13800138000", "138-0013-8000", "+8613800138000 ext. 12"],
)
def test_it_finds_a_mobile_written_any_way(dialled):
    customer = create_customer(name="王芳", phones=["138 0013 8000"], vip_level=2, tags=["老客户"])
    card = customer_for_number(dialled)
    assert card.known and card.customer_id == customer.pk
    assert (card.name, card.vip_level, card.tags, card.number) == ("王芳", 2, ["老客户"], "+8613800138000")


def test_it_finds_a_landline_with_leading_zero_and_extension():
    customer = create_customer(name="Harbor Logistics", phones=["021-6888 1234 转 801"], kind="company")
    assert customer.phones.get().extension == "801"
    assert customer_for_number("+86 21 6888 1234").customer_id == customer.pk
    assert customer_for_number("(021) 68881234").customer_id == customer.pk


def test_it_gives_unknown_callers_a_new_customer_card_with_the_number():
    card = customer_for_number("0086 139 1234 5678")
    assert not card.known and card.customer_id is None
    assert card.number == "+8613912345678" and card.number_raw == "0086 139 1234 5678"
    assert card.number_valid


def test_it_flags_an_unparseable_number_and_keeps_the_text():
    card = customer_for_number("12345")
    assert (card.known, card.number, card.number_raw, card.number_valid) == (False, "", "12345", False)
    customer = create_customer(name="Typo", phones=["12345"])
    phone = customer.phones.get()
    assert (phone.raw, phone.number, phone.valid) == ("12345", "", False)


def test_it_shows_the_last_five_interactions_newest_first_and_the_last_csat():
    customer = create_customer(name="李强", phones=["13900001111"])
    now = timezone.now()
    for hours in range(7):
        record_interaction(
            customer=customer, kind="call", summary=f"call {hours}", at=now - dt.timedelta(hours=hours)
        )
    record_interaction(
        customer=customer, kind=InteractionKind.SURVEY, data={"score": 2}, at=now - dt.timedelta(days=9)
    )
    record_interaction(
        customer=customer, kind=InteractionKind.SURVEY, data={"score": 5}, at=now - dt.timedelta(days=1)
    )
    card = customer_for_number("13900001111")
    assert [r["summary"] for r in card.recent] == ["call 0", "call 1", "call 2", "call 3", "call 4"]
    assert card.last_csat == 5.0


def test_it_takes_open_tickets_from_a_registered_provider_only():
    customer = create_customer(name="Open", phones=["13700001111"])
    assert customer_for_number("13700001111").open_tickets == []

    def provider(customer_id: int) -> list[dict]:
        return [{"id": 7, "title": "refund", "status": "open"}] if customer_id == customer.pk else []

    hooks.register_open_tickets(provider)
    try:
        assert customer_for_number("13700001111").open_tickets == [
            {"id": 7, "title": "refund", "status": "open"}
        ]
    finally:
        hooks.unregister_open_tickets(provider)


def test_it_skips_merged_records_and_finds_the_surviving_customer():
    target = create_customer(name="张伟", phones=["13600001111"])
    source = create_customer(name="张伟 (dup)", phones=["136 0000 1111", "13600002222"])
    merge_customers(target=target, sources=[source])
    assert customer_for_number("13600001111").customer_id == target.pk
    assert customer_for_number("13600002222").customer_id == target.pk
    assert customer_for_number("13600001111").other_matches == 0


@pytest.mark.django_db
def test_it_searches_english_names_through_the_trigram_index():
    if not has_trgm():
        pytest.skip("pg_trgm is not installed in this PostgreSQL")
    create_customer(name="Alice Walker", phones=["13800138011"])
    create_customer(name="Bob Stone", company="Walkerton Ltd", phones=["13800138012"])
    with connection.cursor() as cursor:
        # Enough other customers that scanning them all costs more than the index.
        cursor.execute(
            "INSERT INTO crm_customer (kind, name, company, email, language, region, address, vip_level,"
            " tags, do_not_call, consent, custom, notes, created_at, updated_at)"
            " SELECT 'person', 'Carol King ' || g, '', '', 'en', '', '', 0, '[]', false, true, '{}', '',"
            " now(), now() FROM generate_series(1, 5000) AS g"
        )
        cursor.execute(
            "SELECT gin_clean_pending_list('crm_customer_name_trgm'::regclass),"
            " gin_clean_pending_list('crm_customer_company_trgm'::regclass)"
        )
        cursor.execute("ANALYZE crm_customer")
        # Still a small table: the planner may scan it anyway; forbidding plain scans shows whether
        # the trigram indexes can serve the query at all.
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
    found = search_customers("WALK")
    assert sorted(c.name for c in found) == ["Alice Walker", "Bob Stone"]
    plan = found.explain()
    # icontains compiled to UPPER(name) LIKE, which no index serves: this plan was a full scan.
    assert "crm_customer_name_trgm" in plan and "crm_customer_company_trgm" in plan, plan
