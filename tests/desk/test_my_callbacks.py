"""The desk's "my callbacks": what the agent sees, cancelling from the panel, the push that refreshes it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ccapp import services
from ccapp.models import CallbackRequest, CallbackResult, CallbackStatus
from tests.desk.conftest import Floor, frames_until_quiet, request, session_cookie, sync
from tests.desk.ws import WsClient

pytestmark = pytest.mark.django_db(transaction=True)
NUMBER = "+8613900139000"


def callbacks(floor: Floor) -> dict[str, CallbackRequest]:
    """A free Sales callback tried once without answer, Alice's and Bob's promises, one in Support."""
    later = timezone.now() + dt.timedelta(hours=3)
    free = services.request_callback(queue_id=floor.sales.pk, number=NUMBER)
    claim, _ = services.start_callback_attempt(callback_id=free.pk, agent_id=floor.bob.pk)
    services.dial_callback_customer(callback_id=free.pk, call_id=claim.call_id)
    services.finish_callback_attempt(
        callback_id=free.pk, call_id=claim.call_id, result=CallbackResult.NO_ANSWER
    )

    def promise(agent_id: int, note: str) -> CallbackRequest:
        return services.request_callback(
            queue_id=floor.sales.pk, number=NUMBER, scheduled_for=later, agent_id=agent_id, note=note
        )

    return {
        "free": free,
        "alices": promise(floor.alice.pk, "after the invoice"),
        "bobs": promise(floor.bob.pk, "bob's customer"),
        "support": services.request_callback(queue_id=floor.support.pk, number="+8613900139001"),
    }


async def desk(user: Any, language: str = "") -> WsClient:
    from ccapp.asgi import application

    cookie = await sync(session_cookie)(user)
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie.encode())]
    if language:
        headers.append((b"accept-language", language.encode()))
    ws = WsClient(application, "/ws/desk/", headers=headers)
    assert (await ws.connect())[0]
    assert (await ws.receive_json_from())["type"] == "snapshot"
    return ws


async def test_it_lists_the_agents_callbacks_with_status_time_and_attempts(floor) -> None:
    cbs = await sync(callbacks)(floor)
    alice = await desk(floor.alice.user)

    reply = await request(alice, action="my_work")

    rows = {row["id"]: row for row in reply["data"]["callbacks"]}
    assert set(rows) == {cbs["free"].pk, cbs["alices"].pk, cbs["support"].pk}  # not Bob's promise
    free, mine = rows[cbs["free"].pk], rows[cbs["alices"].pk]
    assert (free["status"], free["status_label"], free["result"], free["result_label"]) == (
        "pending",
        "待处理",
        "no_answer",
        "无人接听",
    )
    assert (free["attempts"], free["max_attempts"], free["mine"], free["cancellable"]) == (1, 3, False, True)
    assert free["next_attempt_at"] is not None and free["queue"] == "Sales"
    local = timezone.localtime(cbs["alices"].scheduled_for).isoformat()
    assert (mine["when"], mine["note"], mine["mine"]) == (local, "after the invoice", True)
    await alice.disconnect()


async def test_it_cancels_a_pending_callback_and_says_why_it_cannot_cancel_others(floor) -> None:
    cbs = await sync(callbacks)(floor)
    alice = await desk(floor.alice.user)

    done = await request(alice, action="cancel_callback", callback_id=cbs["free"].pk, id="c1")
    again = await request(alice, action="cancel_callback", callback_id=cbs["free"].pk, id="c2")
    colleagues = await request(alice, action="cancel_callback", callback_id=cbs["bobs"].pk, id="c3")
    missing = await request(alice, action="cancel_callback", callback_id=2**31 - 1, id="c4")
    forged = await request(alice, action="cancel_callback", callback_id="1", id="c5")

    assert done["type"] == "reply"
    assert (done["data"]["callback"]["status"], done["data"]["callback"]["cancellable"]) == (
        "cancelled",
        False,
    )
    assert (again["type"], again["error_id"], again["message"]) == (
        "error",
        "callback_closed",
        "此回拨已结束。",
    )
    assert (colleagues["error_id"], colleagues["message"]) == (
        "callback_not_yours",
        "此回呼属于同事或其他队列。",
    )
    assert (missing["error_id"], forged["error_id"]) == ("callback_not_found", "bad_message")
    statuses = await sync(lambda: dict(CallbackRequest.objects.values_list("pk", "status")))()
    assert statuses[cbs["free"].pk] == CallbackStatus.CANCELLED
    assert statuses[cbs["bobs"].pk] == CallbackStatus.PENDING
    await alice.disconnect()


async def test_an_english_page_hears_the_refusal_in_english(floor) -> None:
    cbs = await sync(callbacks)(floor)
    await sync(services.cancel_callback)(callback_id=cbs["alices"].pk, user=None)
    alice = await desk(floor.alice.user, language="en")
    refused = await request(alice, action="cancel_callback", callback_id=cbs["alices"].pk)
    assert refused["message"] == "This callback is already finished."
    listed = await request(alice, action="my_work", id="w")
    row = next(r for r in listed["data"]["callbacks"] if r["id"] == cbs["alices"].pk)
    assert (row["status_label"], row["cancellable"]) == ("Cancelled", False)  # still shown: her result
    await alice.disconnect()


async def test_a_supervisors_cancel_reaches_the_agents_desk(floor) -> None:
    cbs = await sync(callbacks)(floor)
    alice = await desk(floor.alice.user)
    bob = await desk(floor.bob.user)

    # A callback nobody holds or tried goes to no desk; Alice's promise goes to hers.
    await sync(services.cancel_callback)(callback_id=cbs["support"].pk, user=floor.boss)
    await sync(services.cancel_callback)(callback_id=cbs["alices"].pk, user=floor.boss)

    pushed = [f for f in await frames_until_quiet(alice) if f.get("event") == "call_updated"]
    assert [(f["data"]["kind"], f["data"]["data"]["status"]) for f in pushed] == [
        ("callback_result", "cancelled")
    ]
    assert pushed[0]["data"]["data"]["callback"] == cbs["alices"].pk
    assert not [f for f in await frames_until_quiet(bob, quiet=0.3) if f.get("event") == "call_updated"]
    await alice.disconnect()
    await bob.disconnect()
