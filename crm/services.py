"""Writes of the CRM: customers, their numbers and emails, merging duplicates, the timeline.

Other apps add to a customer's timeline only through `record_interaction`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ccapp.errors import Conflict, DomainError
from ccapp.phones import normalize
from crm.custom_fields import validate_custom
from crm.models import Customer, CustomerEmail, CustomerKind, CustomerPhone, Interaction, InteractionKind

EDITABLE = (
    "kind", "name", "company", "email", "language", "region", "address", "vip_level", "tags", "owner",
    "do_not_call", "consent", "custom", "notes",
)  # fmt: skip


def _clean_email(email: str, field: str = "email") -> str:
    email = (email or "").strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(_("Not a valid email address."), field=field, error_id="invalid_email") from exc
    return email


def _check(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise DomainError(_("Unknown field."), field=sorted(unknown)[0], error_id="unknown_field")
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise DomainError(_("A customer needs a name."), field="name", error_id="name_missing")
    if "kind" in fields and fields["kind"] not in CustomerKind.values:
        raise DomainError(_("Unknown kind."), field="kind", error_id="invalid_kind")
    if "vip_level" in fields and not 0 <= int(fields["vip_level"]) <= 5:
        raise DomainError(_("VIP level is 0 to 5."), field="vip_level", error_id="invalid_vip_level")
    if "email" in fields:
        fields["email"] = _clean_email(fields["email"])
    if "tags" in fields:
        fields["tags"] = sorted({str(t).strip() for t in fields["tags"] or [] if str(t).strip()})
    if "custom" in fields:
        fields["custom"] = validate_custom(fields["custom"] or {})
    return fields


@transaction.atomic
def add_phone(*, customer: Customer, raw: str, label: str = "") -> CustomerPhone:
    """Attach a number; one that cannot be parsed is kept as typed and flagged invalid."""
    # Customer.region is free text (a city); only an ISO country code is a dialling region.
    region = customer.region if len(customer.region) == 2 and customer.region.isascii() else None
    number = normalize(raw, region)
    if not (raw or "").strip():
        raise DomainError(_("The number is empty."), field="phones", error_id="number_missing")
    if number.valid:
        existing = customer.phones.filter(number=number.e164).first()
        if existing:
            return existing
    return CustomerPhone.objects.create(
        customer=customer,
        number=number.e164,
        raw=raw.strip()[:64],
        extension=number.extension[:8],
        valid=number.valid,
        label=label[:32],
    )


@transaction.atomic
def renormalize_phone(*, phone: CustomerPhone, customer: Customer) -> CustomerPhone:
    """Save a number edited as text (admin): E.164, extension and validity recomputed."""
    region = customer.region if len(customer.region) == 2 and customer.region.isascii() else None
    number = normalize(phone.raw, region)
    phone.customer = customer
    phone.number, phone.extension, phone.valid = number.e164, number.extension[:8], number.valid
    phone.save()
    return phone


@transaction.atomic
def add_email(*, customer: Customer, email: str, label: str = "") -> CustomerEmail:
    """Attach an email address (no duplicate per customer, whatever the case)."""
    email = _clean_email(email, "emails")
    if not email:
        raise DomainError(_("The email is empty."), field="emails", error_id="email_missing")
    existing = customer.emails.filter(email__iexact=email).first()
    return existing or CustomerEmail.objects.create(customer=customer, email=email, label=label[:32])


@transaction.atomic
def create_customer(
    *,
    name: str,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    allow_duplicate: bool = True,
    user=None,
    **fields: Any,
) -> Customer:
    """Create a customer with numbers and emails; refuse a duplicate unless allow_duplicate."""
    from crm.selectors import find_duplicates

    fields = _check({"name": name, **fields})
    phones, emails = [p for p in phones if (p or "").strip()], [e for e in emails if (e or "").strip()]
    if not allow_duplicate:
        dupes = list(find_duplicates(numbers=phones, emails=[*emails, fields.get("email", "")]))
        if dupes:
            raise Conflict(
                _("A customer with this number or email exists: %(ids)s")
                % {"ids": ", ".join(str(c.pk) for c in dupes[:5])},
                field="phones",
                error_id="duplicate_customer",
            )
    customer = Customer(**fields)
    if user is not None:
        customer._history_user = user
    customer.save()
    for raw in phones:
        add_phone(customer=customer, raw=raw)
    for email in emails:
        add_email(customer=customer, email=email)
    return customer


@transaction.atomic
def update_customer(
    *,
    customer: Customer,
    phones: Iterable[str] | None = None,
    emails: Iterable[str] | None = None,
    user=None,
    **fields: Any,
) -> Customer:
    """Change a customer's fields; given phones / emails replace the current lists."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    for name, value in _check(fields).items():
        setattr(customer, name, value)
    if user is not None:
        customer._history_user = user
    customer.save()
    if phones is not None:
        keep = [add_phone(customer=customer, raw=raw).pk for raw in phones if (raw or "").strip()]
        customer.phones.exclude(pk__in=keep).delete()
    if emails is not None:
        keep = [add_email(customer=customer, email=e).pk for e in emails if (e or "").strip()]
        customer.emails.exclude(pk__in=keep).delete()
    return customer


def _move_relations(source: Customer, target: Customer) -> None:
    # Every table that points at a customer (calls, voicemails, tickets, ...) follows the merge,
    # including apps the CRM does not know about.
    for rel in Customer._meta.related_objects:
        if rel.related_model in (Customer, CustomerPhone, CustomerEmail):
            continue  # the self link is history; numbers and emails are moved with de-duplication
        if rel.one_to_many or rel.one_to_one:
            rel.related_model._base_manager.filter(**{rel.field.name: source}).update(
                **{rel.field.name: target}
            )


@transaction.atomic
def merge_customers(*, target: Customer, sources: Iterable[Customer], user=None) -> Customer:
    """Fold duplicates into target: numbers, emails, timeline and links move; sources stay as history."""
    ids = sorted({s.pk for s in sources} - {target.pk})
    if not ids:
        raise DomainError(_("Choose at least one other customer."), field="sources", error_id="merge_empty")
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[target.pk, *ids])}
    target = locked[target.pk]
    if target.merged_into_id:
        raise DomainError(_("The target was itself merged."), field="target", error_id="merge_target")
    for pk in ids:
        source = locked.get(pk)
        if source is None or source.merged_into_id:
            raise DomainError(_("A customer was already merged."), field="sources", error_id="merge_source")
        for phone in source.phones.all():
            if phone.valid and target.phones.filter(number=phone.number).exists():
                phone.delete()
            else:
                CustomerPhone.objects.filter(pk=phone.pk).update(customer=target)
        for email in source.emails.all():
            if target.emails.filter(email__iexact=email.email).exists():
                email.delete()
            else:
                CustomerEmail.objects.filter(pk=email.pk).update(customer=target)
        _move_relations(source, target)
        for name in ("company", "email", "address", "region"):
            if not getattr(target, name) and getattr(source, name):
                setattr(target, name, getattr(source, name))
        target.vip_level = max(target.vip_level, source.vip_level)
        target.tags = sorted({*target.tags, *source.tags})
        target.custom = {**source.custom, **target.custom}
        target.do_not_call = target.do_not_call or source.do_not_call
        target.consent = target.consent and source.consent
        target.owner_id = target.owner_id or source.owner_id
        if source.notes:
            target.notes = f"{target.notes}\n{source.notes}".strip()
        source.merged_into = target
        if user is not None:
            source._history_user = user
        source.save()
        record_interaction(
            customer=target,
            kind=InteractionKind.NOTE,
            summary=str(_("Merged customer #%(id)s (%(name)s)") % {"id": source.pk, "name": source.name}),
            data={"merged_customer_id": source.pk},
            user=user,
        )
    if user is not None:
        target._history_user = user
    target.save()
    return target


@transaction.atomic
def record_interaction(
    *,
    customer: Customer | int,
    kind: str,
    summary: str = "",
    at: dt.datetime | None = None,
    link: models.Model | None = None,
    data: dict[str, Any] | None = None,
    user=None,
) -> Interaction:
    """Add (or, for an already linked object, update) one entry of a customer's timeline."""
    if kind not in InteractionKind.values:
        raise DomainError(_("Unknown interaction kind."), field="kind", error_id="interaction_kind")
    customer_id = customer if isinstance(customer, int) else customer.pk
    values = {
        "customer_id": customer_id,
        "summary": (summary or "")[:255],
        "at": at or timezone.now(),
        "data": data or {},
        "created_by": user,
    }
    if link is None:
        return Interaction.objects.create(kind=kind, **values)
    link_type = ContentType.objects.get_for_model(link)
    interaction, _created = Interaction.objects.update_or_create(
        kind=kind, link_type=link_type, link_id=str(link.pk), defaults=values
    )
    return interaction


@transaction.atomic
def add_note(*, customer: Customer, text: str, user=None) -> Interaction:
    """An agent's note on the timeline."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("The note is empty."), field="text", error_id="note_empty")
    return record_interaction(
        customer=customer, kind=InteractionKind.NOTE, summary=text[:255], data={"text": text}, user=user
    )
