"""Reads of the CRM: the screen-pop card, duplicates, the timeline, customer search."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

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


def customer_for_number(raw_number: str, *, region: str | None = None) -> CustomerCard:
    """The screen-pop card for a caller's number, or a 'new customer' card pre-filled with it."""
    number = normalize(raw_number, region)
    base = {"number": number.e164, "number_raw": raw_number or "", "number_valid": number.valid}
    if not number.valid:
        return CustomerCard(known=False, **base)
    phones = list(
        CustomerPhone.objects.filter(number=number.e164, customer__merged_into__isnull=True)
        .select_related("customer__owner")
        .order_by("-customer__vip_level", "customer_id")[:10]
    )
    if not phones:
        return CustomerCard(known=False, **base)
    matches = [p.customer_id for p in phones]
    customer = phones[0].customer
    recent = Interaction.objects.filter(customer=customer).select_related("link_type")[:RECENT]
    owner = customer.owner
    return CustomerCard(
        known=True,
        customer_id=customer.pk,
        name=customer.name,
        company=customer.company,
        vip_level=customer.vip_level,
        tags=list(customer.tags),
        owner=(owner.get_full_name() or owner.get_username()) if owner else "",
        language=customer.language,
        do_not_call=customer.do_not_call,
        open_tickets=open_tickets_for(customer.pk),
        recent=[interaction_dict(i) for i in recent],
        last_csat=last_csat(customer.pk),
        other_matches=len(set(matches)) - 1,
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
        condition = Q(name__icontains=query) | Q(company__icontains=query)
        if len(query) < 3 or not query.isascii():
            # icontains compiles to UPPER(name) LIKE, which the trigram index cannot serve (a full scan
            # at a million rows): Chinese names are searched by prefix, served by the btree pattern index.
            condition = Q(name__startswith=query) | Q(company__startswith=query)
        if "@" in query:
            condition = Q(email__iexact=query) | Q(emails__email__iexact=query)
        digits = _DIGITS.sub("", query)
        if len(digits) >= 4 and not re.sub(r"[\s\-+()]", "", query).strip("0123456789"):
            e164 = normalize(query).e164 if len(digits) >= 7 else ""
            condition = Q(phones__number=e164) if e164 else Q(phones__number__endswith=digits)
        qs = qs.filter(condition).distinct()
    if vip is not None:
        qs = qs.filter(vip_level__gt=0) if vip else qs.filter(vip_level=0)
    if tag:
        qs = qs.filter(tags__contains=[tag])
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    return qs
