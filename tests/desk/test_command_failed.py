"""Bad input that gets past the web side's checks: the stasis worker refuses it, changes nothing,
and only the sender's screen is told why (a `command_failed` frame with a translated message)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from ccapp import realtime, services
from ccapp.desk import actions
from ccapp.desk.build import build_id
from ccapp.desk.failures import failure_message
from ccapp.models import Agent, AgentState, Call, CallEvent, InboundRoute
from ccapp.selectors_live import apply_desk_frame
from ccapp.services import desk as desk_services
from tests.desk.conftest import (
    Floor,
    StasisListener,
    connect,
    frames_until_quiet,
    request,
    session_cookie,
    sync,
)
from tests.desk.test_consumers import live_call
from tests.desk.ws import WsClient
from tests.factories import make_user
from tests.stasis.conftest import AsyncListener, requests_to, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def sales_only(floor: Floor) -> None:
    """Calls to 4300 reach alice (bob is in no queue of that route)."""
    floor.sales.members.remove(floor.bob)
    InboundRoute.objects.create(dnis="4300", name="sales", queue=floor.sales)


async def connected_call(sim: Any, floor: Floor) -> tuple[Any, Call]:
    await sync(sales_only)(floor)
    caller = await sim.dial("4300", caller="13800138000")
    row = await wait_until(
        lambda: Call.objects.filter(channel_id=caller.channel_id, answered_at__isnull=False).first()
    )
    return caller, row


async def hang_up(sim: Any, caller: Any, row: Call) -> None:
    """End the call and let the worker finish with it before the test's tables are emptied."""
    await sim.hangup(caller)
    await wait_until(lambda: Call.objects.filter(pk=row.pk, ended_at__isnull=False).exists())
    talking = Agent.objects.filter(current_call_id=row.pk, state=AgentState.ON_CALL)
    await wait_until(lambda: not talking.exists())


async def desk_of(user: Any) -> Any:
    ws = await connect("/ws/desk/", user)
    assert (await ws.receive_json_from())["type"] == "snapshot"
    return ws


async def next_failure(ws: Any) -> dict[str, Any]:
    for frame in await frames_until_quiet(ws, quiet=1.5):
        if frame.get("event") == "command_failed":
            return frame
    raise AssertionError("no command_failed frame")


def shown(error_id: str) -> str:
    """The message a page in the default language shows (the test sockets send no Accept-Language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return failure_message(error_id)


def hold_events(call_id: int) -> int:
    return CallEvent.objects.filter(call_id=call_id, kind="hold").count()


async def test_given_a_held_call_when_the_agent_clicks_hold_again_then_only_their_screen_says_so(
    sim, worker, floor
) -> None:
    caller, row = await connected_call(sim, floor)
    alice, bob = await desk_of(floor.alice.user), await desk_of(floor.bob.user)

    assert (await request(alice, action="hold", call_id=row.pk, id="h1"))["ok"] is True
    await wait_until(lambda: hold_events(row.pk) == 1)
    assert (await request(alice, action="hold", call_id=row.pk, id="h2"))["ok"] is True

    failed = await next_failure(alice)
    assert failed["data"] == {
        "command": "hold",
        "call_id": row.pk,
        "error_id": "already_on_hold",
        "request_id": "h2",
        "detail": "",
    }
    assert failed["message"] == shown("already_on_hold")
    assert await sync(hold_events)(row.pk) == 1
    assert len(requests_to(sim, "POST", f"/channels/{caller.channel_id}/moh")) == 1
    assert not [f for f in await frames_until_quiet(bob, quiet=0.3) if f.get("event") == "command_failed"]
    await hang_up(sim, caller, row)
    await alice.disconnect()
    await bob.disconnect()


async def test_given_a_call_that_ended_when_a_late_command_reaches_the_worker_then_it_says_the_call_ended(
    sim, worker, floor
) -> None:
    caller, row = await connected_call(sim, floor)
    listener = await AsyncListener().join(realtime.agent_group(floor.alice.pk))
    await hang_up(sim, caller, row)

    # The desk checked the call a moment before it ended; the command reaches the worker after.
    await realtime.send_stasis_command(
        realtime.StasisCommand(
            command="hangup",
            call_id=row.pk,
            agent_id=floor.alice.pk,
            request_id="late",
            reply_to=realtime.agent_group(floor.alice.pk),
        )
    )

    failed = await listener.until("command_failed")
    assert (failed["error_id"], failed["request_id"]) == ("call_ended", "late")


async def test_given_a_forged_command_that_reaches_the_worker_then_nothing_is_done_and_the_sender_is_told(
    sim, worker, floor
) -> None:
    caller, row = await connected_call(sim, floor)
    listener = await AsyncListener().join(realtime.agent_group(floor.bob.pk))

    await realtime.send_stasis_command(
        realtime.StasisCommand(
            command="hold", call_id=row.pk, agent_id=floor.bob.pk, reply_to=realtime.agent_group(floor.bob.pk)
        )
    )

    assert (await listener.until("command_failed"))["error_id"] == "not_your_call"
    assert not requests_to(sim, "POST", f"/channels/{caller.channel_id}/moh")
    assert await sync(hold_events)(row.pk) == 0
    await hang_up(sim, caller, row)


async def test_given_digits_the_phone_cannot_send_when_they_reach_the_worker_then_none_are_sent(
    sim, worker, floor
) -> None:
    caller, row = await connected_call(sim, floor)
    listener = await AsyncListener().join(realtime.agent_group(floor.alice.pk))

    await realtime.send_stasis_command(
        realtime.StasisCommand(
            command="dtmf", call_id=row.pk, agent_id=floor.alice.pk, args={"digits": "12;hangup"}
        )
    )

    assert (await listener.until("command_failed"))["error_id"] == "invalid_digits"
    assert not requests_to(sim, "POST", "/dtmf")
    await hang_up(sim, caller, row)


async def test_given_a_transfer_target_who_went_offline_after_the_check_then_the_caller_stays_with_the_agent(
    sim, worker, floor
) -> None:
    caller, row = await connected_call(sim, floor)
    alice = await desk_of(floor.alice.user)
    # The desk checks bob is ready when alice clicks; he logs out before the worker acts.
    command = await sync(actions.call_command)(
        floor.alice.pk,
        "transfer",
        {"call_id": row.pk, "kind": "blind", "target_type": "agent", "target": str(floor.bob.pk)},
    )
    await sync(desk_services.set_desk_state)(agent_id=floor.bob.pk, state=AgentState.LOGGED_OUT)
    await realtime.send_stasis_command(
        realtime.StasisCommand(
            command=command.command,
            call_id=command.call_id,
            agent_id=command.agent_id,
            args=command.args,
            request_id="t1",
            reply_to=realtime.agent_group(floor.alice.pk),
        )
    )

    failed = await next_failure(alice)
    assert (failed["data"]["error_id"], failed["data"]["request_id"]) == ("target_unavailable", "t1")
    assert failed["message"] == shown("target_unavailable")
    row = await sync(lambda: Call.objects.get(pk=row.pk))()
    assert (row.ended_at, row.outcome, row.agent_id) == (None, "in_progress", floor.alice.pk)
    assert await sync(lambda: Call.objects.filter(parent=row).count())() == 0
    agent_leg = sim.channel_of(floor.alice.endpoint).id
    assert not requests_to(sim, "DELETE", f"/channels/{agent_leg}")
    await hang_up(sim, caller, row)
    await alice.disconnect()


async def test_given_a_connected_call_when_a_supervisor_moves_it_then_only_that_supervisor_is_told(
    sim, worker, floor
) -> None:
    caller, row = await connected_call(sim, floor)
    other = await sync(make_user)("boss2", "supervisor")
    boss, boss2 = await connect("/ws/wallboard/", floor.boss), await connect("/ws/wallboard/", other)
    await boss.receive_json_from()
    await boss2.receive_json_from()
    # The wallboard saw the call waiting; it was answered before the move reached the worker.
    await realtime.send_stasis_command(
        realtime.StasisCommand(
            command="move_queue",
            call_id=row.pk,
            args={"queue_id": floor.support.pk},
            reply_to=realtime.user_group(floor.boss.pk),
        )
    )

    failed = await next_failure(boss)
    assert failed["data"]["error_id"] == "call_not_waiting"
    assert failed["message"] == shown("call_not_waiting")
    assert not [f for f in await frames_until_quiet(boss2, quiet=0.3) if f.get("event") == "command_failed"]
    assert await sync(lambda: Call.objects.get(pk=row.pk).queue_id)() == floor.sales.pk
    await hang_up(sim, caller, row)
    await boss.disconnect()
    await boss2.disconnect()


async def test_it_shows_a_failure_in_the_pages_language_and_changes_nothing_on_the_screen(floor) -> None:
    from ccapp.asgi import application

    cookie = await sync(session_cookie)(floor.alice.user)
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie.encode())]
    headers.append((b"accept-language", b"en"))  # the default is zh-Hans
    ws = WsClient(application, "/ws/desk/", headers=headers)
    assert (await ws.connect())[0]
    snapshot = (await ws.receive_json_from())["data"]

    event = realtime.CommandFailed(command="hold", call_id=7, error_id="call_ended", request_id="x")
    await sync(realtime.publish)([realtime.agent_group(floor.alice.pk)], event)

    frame = await ws.receive_json_from()
    assert (frame["event"], frame["message"]) == ("command_failed", "This call has ended.")
    assert apply_desk_frame(snapshot, frame) == snapshot
    await ws.disconnect()


async def test_it_sends_commands_with_the_group_that_hears_their_failure(floor) -> None:
    call = await sync(live_call)(floor.alice, floor.sales)
    stasis = await StasisListener().join()
    alice = await desk_of(floor.alice.user)
    await request(alice, action="mute", call_id=call.pk, id="m1")
    assert (await stasis.next())["reply_to"] == realtime.agent_group(floor.alice.pk)
    await alice.disconnect()


async def test_it_tells_a_page_from_an_older_deploy_to_reload(floor) -> None:
    stale = await connect("/ws/desk/?build=0ld", floor.alice.user)
    frame = await stale.receive_json_from()
    assert (frame["type"], frame["error_id"]) == ("error", "stale_page")
    with translation.override(settings.LANGUAGE_CODE):
        assert frame["message"] == translation.gettext("This screen was updated; reloading…")
    closed = await stale.next_output(3)
    assert (closed["type"], closed["code"]) == ("websocket.close", 4410)

    current = await connect(f"/ws/desk/?build={build_id()}", floor.alice.user)
    assert (await current.receive_json_from())["type"] == "snapshot"
    await current.disconnect()


async def test_it_creates_one_ticket_when_create_ticket_is_clicked_twice(floor) -> None:
    call = await sync(live_call)(floor.alice, floor.sales)
    await sync(services.finish_call)(call_id=call.pk)
    alice = await desk_of(floor.alice.user)
    fields = {"action": "create_ticket", "call_id": call.pk, "subject": "Refund"}
    first = await request(alice, id="c1", **fields)
    second = await request(alice, id="c2", **fields)
    assert first["ok"] is True
    assert (second["type"], second["error_id"], second["field"]) == ("error", "ticket_exists", "subject")
    assert first["data"]["number"] in second["message"]
    assert await sync(lambda: Call.objects.get(pk=call.pk).tickets.count())() == 1
    await alice.disconnect()
