"""Snapshot before, plus the frames the socket got, equals snapshot after (desk and wallboard)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from ccapp import selectors_live, services
from ccapp.models import CallOutcome
from ccapp.services import desk as desk_services
from tests.desk.conftest import Floor, connect, frames_until_quiet, request

pytestmark = pytest.mark.django_db(transaction=True)


def a_busy_morning(floor: Floor) -> None:
    """Answered, held, transferred with a note, wrapped up; abandoned; moved; missed; paused."""
    alice, bob, sales, support = floor.alice, floor.bob, floor.sales, floor.support
    first = services.start_call(channel_id="c1", caller_raw="13800138000", dnis="4000")
    services.enqueue_call(call_id=first.pk, queue_id=sales.pk)
    services.claim_agent(call_id=first.pk, agent_ids=[alice.pk])
    services.offer_call(call_id=first.pk, agent_id=alice.pk)
    services.answer_call(call_id=first.pk, agent_id=alice.pk)
    desk_services.record_call_update(call_id=first.pk, kind="hold", agent_ids=[alice.pk])
    desk_services.record_call_update(call_id=first.pk, kind="mute", agent_ids=[alice.pk])
    # a blind transfer, as the stasis worker does it: the caller goes on as a new Call with the note
    services.finish_call(call_id=first.pk, outcome=CallOutcome.TRANSFERRED)
    moved = services.start_transferred_call(parent_id=first.pk, note="VIP, be kind")
    services.claim_agent(call_id=moved.pk, agent_ids=[bob.pk])
    services.offer_call(call_id=moved.pk, agent_id=bob.pk)
    services.answer_call(call_id=moved.pk, agent_id=bob.pk)
    desk_services.record_call_update(call_id=moved.pk, kind="recording_paused", agent_ids=[bob.pk])
    services.finish_call(call_id=moved.pk)
    desk_services.save_wrapup(agent_id=bob.pk, call_id=moved.pk, disposition="solved", notes="refund sent")

    second = services.start_call(channel_id="c2", caller_raw="13900139000", dnis="4000")
    services.enqueue_call(call_id=second.pk, queue_id=sales.pk)
    services.finish_call(call_id=second.pk)  # hung up while waiting

    third = services.start_call(channel_id="c3", caller_raw="13700137000", dnis="4001")
    services.enqueue_call(call_id=third.pk, queue_id=support.pk)
    services.enqueue_call(call_id=third.pk, queue_id=sales.pk)  # a supervisor moved it
    desk_services.set_desk_state(agent_id=alice.pk, state="ready")
    services.claim_agent(call_id=third.pk, agent_ids=[alice.pk])
    services.offer_call(call_id=third.pk, agent_id=alice.pk)
    services.miss_offer(call_id=third.pk, agent_id=alice.pk, reason="no_answer")
    services.enqueue_call(call_id=third.pk, queue_id=sales.pk)  # back at the head of its queue
    desk_services.set_desk_state(agent_id=bob.pk, state="paused", pause_code="lunch")


async def in_plain_thread(fn, *args) -> None:
    """Run `fn` in a new thread that asgiref never used (so its pushes go out in order)."""
    done = asyncio.get_running_loop().create_future()
    loop = asyncio.get_running_loop()

    def target() -> None:
        try:
            fn(*args)
        except BaseException as exc:  # handed to the test
            loop.call_soon_threadsafe(done.set_exception, exc)
        else:
            loop.call_soon_threadsafe(done.set_result, None)

    threading.Thread(target=target, daemon=True).start()
    await done


def differences(got, want, path: str = "") -> list[str]:
    """Where two snapshots differ, as readable paths (the failure message)."""
    if isinstance(got, dict) and isinstance(want, dict):
        return [
            d
            for k in sorted(set(got) | set(want), key=str)
            for d in differences(got.get(k), want.get(k), f"{path}.{k}")
        ]
    return [] if got == want else [f"{path}: {got!r} != {want!r}"]


async def test_it_gives_the_same_desk_and_wallboard_from_events_as_from_a_fresh_snapshot(floor) -> None:
    alice = await connect("/ws/desk/", floor.alice.user)
    bob = await connect("/ws/desk/", floor.bob.user)
    board = await connect("/ws/wallboard/", floor.boss)
    before = {
        name: (await ws.receive_json_from())["data"]
        for name, ws in (("alice", alice), ("bob", bob), ("board", board))
    }

    # A plain thread, as a web request or a Celery task: realtime.publish then sends each event
    # before the next. (From a sync_to_async thread it hands pushes to the event loop as separate
    # tasks, which do not keep their order: reported to the telephony part.)
    await in_plain_thread(a_busy_morning, floor)

    screens = {
        "alice": (alice, selectors_live.apply_desk_frame),
        "bob": (bob, selectors_live.apply_desk_frame),
        "board": (board, selectors_live.apply_wallboard_frame),
    }
    for name, (ws, apply) in screens.items():
        frames = await frames_until_quiet(ws, quiet=1.0)  # a loaded machine may pause between frames
        assert frames, f"{name} got no events"
        state = before[name]
        for frame in frames:
            state = apply(state, frame)
        after = (await request(ws, action="snapshot", id="again"))["data"]
        got, want = selectors_live.without_times(state), selectors_live.without_times(after)
        assert got == want, (name, differences(got, want), [f.get("event") for f in frames])
        assert state != before[name]
        await ws.disconnect()


async def test_it_shows_the_transfer_note_on_the_second_agents_screen(floor) -> None:
    bob = await connect("/ws/desk/", floor.bob.user)
    await bob.receive_json_from()
    await in_plain_thread(a_busy_morning, floor)
    pops = [f for f in await frames_until_quiet(bob) if f.get("event") == "call_answered"]
    assert [p["call"]["transfer_note"] for p in pops] == ["VIP, be kind"]
    assert (pops[0]["call"]["caller"], pops[0]["call"]["transfer_from"]) == ("+8613800138000", "Alice")
    await bob.disconnect()
