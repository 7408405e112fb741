"""Customer services: duplicates, custom fields, merging with history, the timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ccapp.errors import Conflict, DomainError
from crm.models import Customer, CustomFieldDefinition, Interaction
from crm.selectors import find_duplicates, timeline
from crm.services import add_note, create_customer, merge_customers, record_interaction, update_customer

pytestmark = pytest.mark.django_db


def test_it_refuses_a_duplicate_number_or_email_unless_allowed():
    first = create_customer(name="陈静", phones=["13811112222"], email="Chen@Example.com")
    with pytest.raises(Conflict) as exc:
        create_customer(name="陈静", phones=["+86 138 1111 2222"], allow_duplicate=False)
    assert exc.value.error_id == "duplicate_customer"
    with pytest.raises(Conflict):
        create_customer(name="Chen", emails=["chen@example.COM"], allow_duplicate=False)
    assert list(find_duplicates(numbers=["0086 13811112222"])) == [first]
    create_customer(name="陈静", phones=["13811112222"], allow_duplicate=True)
    assert find_duplicates(numbers=["13811112222"]).count() == 2


def test_it_checks_custom_fields_against_their_definitions():
    CustomFieldDefinition.objects.create(key="plan", label="Plan", type="choice", choices=["basic", "pro"])
    CustomFieldDefinition.objects.create(key="seats", label="Seats", type="number", required=True)
    customer = create_customer(name="Acme", custom={"plan": "pro", "seats": "12"})
    assert customer.custom == {"plan": "pro", "seats": 12}
    bad = [
        ({"seats": "many"}, "custom.seats"),
        ({"plan": "gold", "seats": 1}, "custom.plan"),
        ({"seats": 1, "colour": "red"}, "custom.colour"),
        ({}, "custom.seats"),
    ]
    for custom, field in bad:
        with pytest.raises(DomainError) as exc:
            update_customer(customer=customer, custom=custom)
        assert exc.value.field == field


def test_it_rejects_bad_fields_with_the_field_named():
    for fields, field in [({"name": " "}, "name"), ({"name": "x", "email": "not-mail"}, "email"),
                          ({"name": "x", "vip_level": 9}, "vip_level")]:  # fmt: skip
        with pytest.raises(DomainError) as exc:
            create_customer(**fields)
        assert exc.value.field == field
    assert not Customer.objects.exists()


def test_it_merges_numbers_emails_timeline_and_keeps_the_source_as_history():
    target = create_customer(name="刘洋", phones=["13500001111"], vip_level=1, tags=["a"])
    source = create_customer(
        name="Liu Yang", phones=["13500001111", "13500002222"], emails=["liu@example.com"],
        company="青禾", vip_level=3, tags=["b"], do_not_call=True,
    )  # fmt: skip
    record_interaction(customer=source, kind="call", summary="from source")
    merged = merge_customers(target=target, sources=[source])
    source.refresh_from_db()
    assert source.merged_into == merged
    assert sorted(merged.phones.values_list("number", flat=True)) == ["+8613500001111", "+8613500002222"]
    assert list(merged.emails.values_list("email", flat=True)) == ["liu@example.com"]
    assert (merged.company, merged.vip_level, merged.tags, merged.do_not_call) == (
        "青禾",
        3,
        ["a", "b"],
        True,
    )
    assert [i.summary for i in timeline(merged)][1] == "from source"
    assert timeline(merged).first().data == {"merged_customer_id": source.pk}
    assert source.history.count() >= 2  # the merge itself is a version of the source
    with pytest.raises(DomainError):
        merge_customers(target=target, sources=[source])


def test_it_records_a_linked_object_once_however_often_it_is_sent():
    customer = create_customer(name="周杰")
    other = create_customer(name="link target")
    first = record_interaction(customer=customer, kind="call", summary="ringing", link=other)
    again = record_interaction(
        customer=customer, kind="call", summary="answered, 3 min", link=other, data={"qa": 88}
    )
    assert first.pk == again.pk
    assert Interaction.objects.get().summary == "answered, 3 min"
    with pytest.raises(DomainError):
        record_interaction(customer=customer, kind="fax")


def test_it_filters_the_timeline_by_kind_and_time():
    customer = create_customer(name="吴敏")
    now = timezone.now()
    record_interaction(customer=customer, kind="call", at=now - dt.timedelta(days=3))
    record_interaction(customer=customer, kind="email", at=now - dt.timedelta(days=2))
    add_note(customer=customer, text="prefers afternoons")
    assert [i.kind for i in timeline(customer)] == ["note", "email", "call"]
    assert [i.kind for i in timeline(customer, kinds=["call", "email"])] == ["email", "call"]
    assert [i.kind for i in timeline(customer, since=now - dt.timedelta(days=2, hours=1))] == [
        "note",
        "email",
    ]
    with pytest.raises(DomainError):
        add_note(customer=customer, text="  ")
