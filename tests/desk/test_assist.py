"""Knowledge base on the desk: suggestions for this caller from the call's context, and the search box."""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.contrib.auth.models import Permission

from ccapp.models import Call
from tests.desk.conftest import Floor, connect, request, sync
from tests.desk.test_consumers import live_call

pytestmark = pytest.mark.django_db(transaction=True)


ARTICLES = (
    ("How refunds work", "Refunds go back to the card within 7 days.", "public"),
    ("Refund exceptions", "Gold customers get their refund at once.", "internal"),
    ("Changing a delivery address", "Update the address before the parcel ships.", "public"),
)
# Notes that share no word with the article that answers them: only the embeddings find it.
PARAPHRASE = "She no longer wishes to pay every month for the membership."
ANSWER = (
    "Cancelling a subscription",
    "Subscriptions can be stopped any time from the account page.",
    "public",
)


def knowledge_and_history(floor: Floor, articles=ARTICLES) -> Call:
    """Articles, a caller with an open ticket about a refund, and alice talking to them."""
    from crm.kb.services import save_article
    from crm.services import create_customer
    from tickets.services import create_ticket

    for title, body, audience in articles:
        save_article(title=title, body=f"<p>{body}</p>", language="en", audience=audience, status="published")
    customer = create_customer(name="Zhang Wei", phones=["13800138000"])
    create_ticket(subject="Refund for order 1234", customer=customer)
    call = live_call(floor.alice, floor.sales)
    Call.objects.filter(pk=call.pk).update(ivr_path=["menu", "billing"])
    return call


async def test_it_suggests_articles_from_the_callers_tickets_ivr_path_and_queue(floor) -> None:
    call = await sync(knowledge_and_history)(floor)
    alice = await connect("/ws/desk/", floor.alice.user)
    await alice.receive_json_from()

    reply = await request(alice, action="kb_suggest", call_id=call.pk)

    data = reply["data"]
    assert data["call_id"] == call.pk
    assert {"menu", "billing", "Sales"} <= set(data["context"])
    assert any("Refund for order 1234" in part for part in data["context"])
    titles = [a["title"] for a in data["articles"]]
    assert set(titles) == {"How refunds work", "Refund exceptions"}
    internal = next(a for a in data["articles"] if a["title"] == "Refund exceptions")
    public = next(a for a in data["articles"] if a["title"] == "How refunds work")
    assert internal["internal"] is True and internal["url"].startswith("/admin/crm/article/")
    assert public["url"] == f"/crm/help/{public['slug']}/"
    await alice.disconnect()


async def test_it_refuses_suggestions_for_another_agents_call(floor) -> None:
    call = await sync(knowledge_and_history)(floor)
    bob = await connect("/ws/desk/", floor.bob.user)
    await bob.receive_json_from()
    reply = await request(bob, action="kb_suggest", call_id=call.pk)
    assert (reply["type"], reply["error_id"]) == ("error", "not_your_call")
    await bob.disconnect()


async def test_it_searches_the_knowledge_base_for_agents_who_may_read_it(floor) -> None:
    await sync(knowledge_and_history)(floor)
    alice = await connect("/ws/desk/", floor.alice.user)
    await alice.receive_json_from()
    found = await request(alice, action="kb_search", q="delivery address")
    assert [a["title"] for a in found["data"]["articles"]] == ["Changing a delivery address"]

    def take_away_the_knowledge_base() -> None:
        for group in floor.alice.user.groups.all():
            group.permissions.remove(Permission.objects.get(codename="view_article"))

    await sync(take_away_the_knowledge_base)()
    await alice.disconnect()
    alice = await connect("/ws/desk/", floor.alice.user)  # permissions are read per connection
    await alice.receive_json_from()
    for message in ({"action": "kb_search", "q": "refund"}, {"action": "kb_suggest", "call_id": 1}):
        refused = await request(alice, **message)
        assert (refused["type"], refused["error_id"]) == ("error", "forbidden")
    await alice.disconnect()


async def suggested_after_notes(ws, call_id: int, notes: str) -> list[str]:
    """Save the call's notes as the desk does, then ask for suggestions again: their titles."""
    saved = await request(ws, action="wrapup", call_id=call_id, notes=notes, id="notes")
    assert saved["type"] == "reply", saved
    reply = await request(ws, action="kb_suggest", call_id=call_id, id="suggest")
    assert reply["data"]["context"][0] == notes
    return [a["title"] for a in reply["data"]["articles"]]


async def test_it_suggests_what_only_the_meaning_of_the_notes_finds(floor) -> None:
    from crm.kb import search

    call = await sync(knowledge_and_history)(floor, [*ARTICLES, ANSWER])
    await sync(search.load_semantic)()  # a process that has loaded its vectors
    alice = await connect("/ws/desk/", floor.alice.user)
    await alice.receive_json_from()

    titles = await suggested_after_notes(alice, call.pk, PARAPHRASE)

    assert "Cancelling a subscription" in titles
    assert "How refunds work" in titles  # the full-text side still counts (the open ticket)
    await alice.disconnect()


async def test_a_fresh_process_suggests_from_full_text_while_the_vectors_load(floor, monkeypatch) -> None:
    from crm.kb import search, vectors

    call = await sync(knowledge_and_history)(floor, [*ARTICLES, ANSWER])
    monkeypatch.setattr(search, "_index", vectors.VectorIndex())  # nothing loaded yet
    loading, release, real_load = threading.Event(), threading.Event(), search.load_semantic

    def slow_load() -> None:  # loading takes as long as the test says
        loading.set()
        release.wait(10)
        real_load()

    monkeypatch.setattr(search, "load_semantic", slow_load)
    alice = await connect("/ws/desk/", floor.alice.user)  # an agent opened the desk: loading starts
    await alice.receive_json_from()
    assert await asyncio.to_thread(loading.wait, 5)

    titles = await suggested_after_notes(alice, call.pk, PARAPHRASE)  # answered while it loads

    assert "How refunds work" in titles and "Cancelling a subscription" not in titles
    release.set()
    for _ in range(100):
        reply = await request(alice, action="kb_suggest", call_id=call.pk, id="again")
        titles = [a["title"] for a in reply["data"]["articles"]]
        if "Cancelling a subscription" in titles:
            break
        await asyncio.sleep(0.1)
    assert "Cancelling a subscription" in titles
    await alice.disconnect()
