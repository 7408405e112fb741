"""Reads of the CRM: the screen-pop card, duplicates, the timeline, customer search."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Upper

from ccapp.phones import normalize
from crm.hooks import open_tickets_for
from crm.models import Customer, CustomerEmail, CustomerPhone, Interaction, InteractionKind

RECENT = 5
_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class CustomerCard:
    """What an agent sees when a call rings: who it is and what happened before."""

    known: bool
    number: str
    number_raw: str
    number_valid: bool
    customer_id: int | None = None
    name: str = ""
    company: str = ""
    vip_level: int = 0
    tags: list[str] = field(default_factory=list)
    owner: str = ""
    language: str = ""
    do_not_call: bool = False
    open_tickets: list[dict[str, Any]] = field(default_factory=list)
    recent: list[dict[str, Any]] = field(default_factory=list)
    last_csat: float | None = None
    other_matches: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def interaction_dict(item: Interaction) -> dict[str, Any]:
    """The JSON form of one timeline entry."""
    return {
        "id": item.pk,
        "kind": item.kind,
        "at": item.at.isoformat(),
        "summary": item.summary,
        "link_type": item.link_type_id and f"{item.link_type.app_label}.{item.link_type.model}",
        "link_id": item.link_id,
        "data": item.data,
    }


def last_csat(customer_id: int) -> float | None:
    """The score of the customer's latest answered survey."""
    data = (
        Interaction.objects.filter(customer_id=customer_id, kind=InteractionKind.SURVEY)
        .order_by("-at", "-id")
        .values_list("data", flat=True)
        .first()
    )
    score = (data or {}).get("score")
    return float(score) if isinstance(score, int | float) else None


_CARD_SQL = """
SELECT c.id, c.name, c.company, c.vip_level, c.tags, c.language, c.do_not_call,
       u.username, u.first_name, u.last_name,
       (SELECT json_agg(r) FROM (
            SELECT i.id, i.kind, i.at, i.summary, i.link_type_id, i.link_id, i.data
            FROM crm_interaction i WHERE i.customer_id = c.id
            ORDER BY i.at DESC, i.id DESC LIMIT %s) r),
       (SELECT i.data -> 'score' FROM crm_interaction i
            WHERE i.customer_id = c.id AND i.kind = 'survey' ORDER BY i.at DESC, i.id DESC LIMIT 1),
       count(*) OVER ()
FROM crm_customerphone p
JOIN crm_customer c ON c.id = p.customer_id
LEFT JOIN auth_user u ON u.id = c.owner_id
WHERE p.number = %s AND c.merged_into_id IS NULL
ORDER BY c.vip_level DESC, c.id
LIMIT 1
"""


def _recent(rows: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for row in rows or []:
        link = ContentType.objects.get_for_id(row["link_type_id"]) if row["link_type_id"] else None
        at = dt.datetime.fromisoformat(row["at"])
        out.append({"id": row["id"], "kind": row["kind"], "at": at.isoformat(), "summary": row["summary"],
                    "link_type": link and f"{link.app_label}.{link.model}", "link_id": row["link_id"],
                    "data": row["data"]})  # fmt: skip
    return out


def customer_for_number(raw_number: str, *, region: str | None = None) -> CustomerCard:
    """The screen-pop card for a caller's number, or a 'new customer' card pre-filled with it."""
    number = normalize(raw_number, region)
    base = {"number": number.e164, "number_raw": raw_number or "", "number_valid": number.valid}
    if not number.valid:
        return CustomerCard(known=False, **base)
    # One round trip for the customer, owner, last interactions and last CSAT: the card is on the
    # path of every ringing call.
    with connection.cursor() as cursor:
        cursor.execute(_CARD_SQL, [RECENT, number.e164])
        row = cursor.fetchone()
    if row is None:
        return CustomerCard(known=False, **base)
    pk, name, company, vip, tags, language, dnc, username, first, last, recent, score, matches = row
    recent = json.loads(recent) if isinstance(recent, str) else recent
    tags = json.loads(tags) if isinstance(tags, str) else tags
    score = json.loads(score) if isinstance(score, str) else score
    return CustomerCard(
        known=True,
        customer_id=pk,
        name=name,
        company=company,
        vip_level=vip,
        tags=list(tags or []),
        owner=(f"{first} {last}".strip() or username) if username else "",
        language=language,
        do_not_call=dnc,
        open_tickets=open_tickets_for(pk),
        recent=_recent(recent),
        last_csat=float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None,
        other_matches=matches - 1,
        **base,
    )


def find_duplicates(
    *, numbers: Iterable[str] = (), emails: Iterable[str] = (), exclude: Customer | int | None = None
) -> QuerySet[Customer]:
    """Active customers sharing any of these numbers (any common writing) or emails (any case)."""
    e164 = {n for n in (normalize(raw).e164 for raw in numbers) if n}
    mails = {e.strip().upper() for e in emails if e and e.strip()}
    if not e164 and not mails:
        return Customer.objects.none()
    by_phone = CustomerPhone.objects.filter(number__in=e164).values("customer_id")
    by_email = CustomerEmail.objects.annotate(u=Upper("email")).filter(u__in=mails).values("customer_id")
    qs = Customer.objects.annotate(u=Upper("email")).filter(
        Q(pk__in=by_phone) | Q(pk__in=by_email) | Q(u__in=mails), merged_into__isnull=True
    )
    if exclude is not None:
        qs = qs.exclude(pk=getattr(exclude, "pk", exclude))
    return qs.order_by("pk")


def timeline(
    customer: Customer | int,
    *,
    kinds: Iterable[str] = (),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[Interaction]:
    """Everything that happened with a customer, newest first, optionally filtered."""
    qs = Interaction.objects.filter(customer_id=getattr(customer, "pk", customer)).select_related(
        "link_type", "created_by"
    )
    kinds = [k for k in kinds if k]
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-at", "-id")


def search_customers(
    query: str = "",
    *,
    vip: bool | None = None,
    tag: str = "",
    owner_id: int | None = None,
    include_merged: bool = False,
) -> QuerySet[Customer]:
    """Customers by name, company, email or number (any writing, or the last digits), with filters."""
    qs = Customer.objects.select_related("owner")
    if not include_merged:
        qs = qs.filter(merged_into__isnull=True)
    query = (query or "").strip()[:100]
    if query:
        # ILIKE, served by the trigram indexes (crm.pg.ILikeContains).
        condition = Q(name__ilike_contains=query) | Q(company__ilike_contains=query)
        if len(query) < 3 or not query.isascii():
            # Trigrams of Chinese text depend on the database's locale (and two letters make no
            # trigram): those are searched by prefix, served by the btree pattern index.
            condition = Q(name__startswith=query) | Q(company__startswith=query)
        if "@" in query:
            condition = Q(email__iexact=query) | Q(emails__email__iexact=query)
        digits = _DIGITS.sub("", query)
        if len(digits) >= 4 and not re.sub(r"[\s\-+()]", "", query).strip("0123456789"):
            e164 = normalize(query).e164 if len(digits) >= 7 else ""
            condition = Q(phones__number=e164) if e164 else Q(phones__number__endswith=digits)
        # DISTINCT: one row per customer when several of their numbers or emails match. It also makes
        # PostgreSQL collect the matches before sorting them; without it, the first page of a common
        # name was read by walking the whole name index in order (seconds at a million customers).
        qs = qs.filter(condition).distinct()
    if vip is not None:
        qs = qs.filter(vip_level__gt=0) if vip else qs.filter(vip_level=0)
    if tag:
        qs = qs.filter(tags__contains=[tag])
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    return qs
