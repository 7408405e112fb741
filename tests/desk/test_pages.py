"""The desktop and wallboard pages: who may open them, and both languages."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.desk.conftest import Floor

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_shows_the_desk_to_an_agent_and_links_it_from_home(floor: Floor) -> None:
    client = client_for(floor.alice.user)
    page = client.get("/desk/")
    assert page.status_code == 200
    assert b'id="statebar"' in page.content and b"desk/desk.js" in page.content
    home = client.get("/").content
    assert b'href="/desk/"' in home
    assert b'href="/wallboard/"' not in home


def test_it_refuses_the_desk_to_a_user_without_an_agent_record(floor: Floor) -> None:
    assert client_for(floor.nobody).get("/desk/").status_code == 403


def test_it_shows_the_wallboard_to_a_supervisor_only(floor: Floor) -> None:
    boss = client_for(floor.boss)
    assert boss.get("/wallboard/").status_code == 200
    assert b'class="wallboard tv"' in boss.get("/wallboard/?tv=1").content
    assert b'href="/wallboard/"' in boss.get("/").content
    assert client_for(floor.alice.user).get("/wallboard/").status_code == 403


def test_it_serves_the_desk_in_chinese_and_english(floor: Floor) -> None:
    client = client_for(floor.alice.user)
    client.cookies["django_language"] = "en"
    assert 'lang="en"' in client.get("/desk/").content.decode()
    client.cookies["django_language"] = "zh-hans"
    assert 'lang="zh-hans"' in client.get("/desk/").content.decode()


@pytest.mark.parametrize(
    ("cookies", "accept", "expected"),
    [
        ({"django_language": "en"}, "zh-CN", "en"),
        ({}, "en-US,en;q=0.9", "en"),
        ({}, "zh-CN,zh;q=0.9", "zh-hans"),
        ({"django_language": "klingon"}, "", "zh-hans"),
    ],
)
def test_it_answers_on_the_socket_in_the_pages_language(cookies, accept, expected) -> None:
    from ccapp.consumers import language_of

    scope = {"cookies": cookies, "headers": [(b"accept-language", accept.encode())]}
    assert language_of(scope) == expected


def test_it_stamps_both_pages_with_the_build_the_socket_checks(floor: Floor) -> None:
    from ccapp.desk.build import build_id

    stamp = f'<script id="desk-build" type="application/json">"{build_id()}"</script>'
    assert stamp in client_for(floor.alice.user).get("/desk/").content.decode()
    assert stamp in client_for(floor.boss).get("/wallboard/").content.decode()


def test_it_links_crm_numbers_to_click_to_call_on_the_desk(floor: Floor) -> None:
    from crm.services import create_customer
    from tickets.services import create_ticket

    customer = create_customer(name="Zhang Wei", phones=["13800138000"])
    ticket = create_ticket(subject="Refund", customer=customer, requester_phone="+8613800138000")
    call = '<a href="/desk/?dial=%2B8613800138000" target="ccapp-desk"'
    assert call in client_for(floor.boss).get(f"/admin/crm/customer/{customer.pk}/change/").content.decode()
    assert call in client_for(floor.alice.user).get(f"/tickets/{ticket.pk}/").content.decode()
