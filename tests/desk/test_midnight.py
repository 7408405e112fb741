"""'Today' on the desk's counters and the wallboard is the center's local day, across midnight.

The center is in Asia/Shanghai (UTC+8): its midnight is 16:00 UTC, so a count by UTC days would still
be counting the day before for the first eight hours of the morning.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ccapp import selectors_live, services
from ccapp.services import desk as desk_services
from tests.desk.conftest import Floor, connect, frames_until_quiet, request, sync
from tests.desk.test_snapshot_events import differences, in_plain_thread

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVENING = dt.datetime(2026, 10, 5, 23, 50, tzinfo=SHANGHAI)
MIDNIGHT = dt.datetime(2026, 10, 6, 0, 0, tzinfo=SHANGHAI)


class FrozenClock:
    """Stands in for ccapp.clock.now; the test moves it."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch, settings) -> FrozenClock:
    settings.TIME_ZONE = "Asia/Shanghai"
    clock = FrozenClock(EVENING)
    monkeypatch.setattr("ccapp.clock.now", clock)
    return clock


def at(minutes: float) -> dt.datetime:
    """Minutes from local midnight (negative: the evening before)."""
    return MIDNIGHT + dt.timedelta(minutes=minutes)


def answered(floor: Floor, channel: str, minutes: float) -> int:
    """A call to sales queued at `minutes` and answered by alice 0.6 s later."""
    call = services.start_call(channel_id=channel, caller_raw="13800138000", dnis="4000", at=at(minutes))
    services.enqueue_call(call_id=call.pk, queue_id=floor.sales.pk, at=at(minutes))
    services.claim_agent(call_id=call.pk, agent_ids=[floor.alice.pk], at=at(minutes))
    services.offer_call(call_id=call.pk, agent_id=floor.alice.pk, at=at(minutes))
    services.answer_call(call_id=call.pk, agent_id=floor.alice.pk, at=at(minutes + 0.01))
    return call.pk


def missed(floor: Floor, channel: str, minutes: float) -> int:
    """A call to sales queued at `minutes` that rings alice, who misses it; it waits on."""
    desk_services.set_desk_state(agent_id=floor.alice.pk, state="ready", at=at(minutes))
    call = services.start_call(channel_id=channel, caller_raw="13900139000", dnis="4000", at=at(minutes))
    services.enqueue_call(call_id=call.pk, queue_id=floor.sales.pk, at=at(minutes))
    services.claim_agent(call_id=call.pk, agent_ids=[floor.alice.pk], at=at(minutes))
    services.offer_call(call_id=call.pk, agent_id=floor.alice.pk, at=at(minutes))
    services.miss_offer(call_id=call.pk, agent_id=floor.alice.pk, reason="no_answer", at=at(minutes + 0.2))
    return call.pk


@pytest.mark.django_db
def test_it_counts_the_centers_local_day_and_starts_again_at_its_midnight(floor, frozen) -> None:
    first = answered(floor, "c1", -10)
    services.finish_call(call_id=first, at=at(-6))  # 3.99 minutes of talk
    waiting = missed(floor, "c2", -4)  # still waiting at midnight

    frozen.at = at(-2)
    desk, board = selectors_live.desk_snapshot(floor.alice.pk), selectors_live.wallboard_snapshot()
    assert desk["today"] == {"day": "2026-10-05", "until": "2026-10-05T16:00:00+00:00"}
    assert desk["counters"] == {"calls": 1, "talk_seconds": 239.4, "missed": 1}
    sales = board["queues"][str(floor.sales.pk)]
    assert board["today"] == desk["today"]
    assert (sales["offered"], sales["answered"], sales["abandoned"]) == (2, 1, 0)

    frozen.at = at(2)  # 16:02 UTC: still the 5th in UTC, the 6th in Shanghai
    desk, board = selectors_live.desk_snapshot(floor.alice.pk), selectors_live.wallboard_snapshot()
    assert desk["today"] == {"day": "2026-10-06", "until": "2026-10-06T16:00:00+00:00"}
    assert desk["counters"] == {"calls": 0, "talk_seconds": 0.0, "missed": 0}
    sales = board["queues"][str(floor.sales.pk)]
    assert (sales["offered"], sales["answered"], sales["answered_in_sl"]) == (0, 0, 0)

    # Yesterday's waiting caller hangs up after midnight: not one of today's calls, so not abandoned today.
    services.finish_call(call_id=waiting, at=at(3))
    desk_services.set_desk_state(agent_id=floor.alice.pk, state="ready", at=at(3))
    third = answered(floor, "c3", 4)
    frozen.at = at(10)
    assert selectors_live.desk_snapshot(floor.alice.pk)["counters"]["calls"] == 1
    sales = selectors_live.wallboard_snapshot()["queues"][str(floor.sales.pk)]
    assert (sales["offered"], sales["answered"], sales["abandoned"]) == (1, 1, 0)
    assert str(third) in selectors_live.wallboard_snapshot()["calls"]


@pytest.mark.django_db(transaction=True)
async def test_the_screens_start_today_again_at_midnight_without_a_reconnect(floor, frozen) -> None:
    frozen.at = at(-0.02)  # 1.2 s before midnight
    alice = await connect("/ws/desk/", floor.alice.user)
    board = await connect("/ws/wallboard/", floor.boss)
    before = {
        "alice": (await alice.receive_json_from())["data"],
        "board": (await board.receive_json_from())["data"],
    }
    assert before["alice"]["today"]["day"] == "2026-10-05"

    # In the last second of the 5th: alice answers one call, another caller starts waiting.
    first = await sync(answered)(floor, "c1", -0.04)
    late = await sync(
        lambda: services.start_call(channel_id="c2", caller_raw="13700137000", dnis="4000", at=at(-0.01))
    )()
    await sync(lambda: services.enqueue_call(call_id=late.pk, queue_id=floor.sales.pk, at=at(-0.01)))()
    frames = {"alice": await frames_until_quiet(alice), "board": await frames_until_quiet(board)}
    assert {f["day"] for fs in frames.values() for f in fs} == {"2026-10-05"}

    frozen.at = at(0.05)  # midnight passes: each socket gets a fresh snapshot of the 6th
    midnight = {"alice": await alice.receive_json_from(), "board": await board.receive_json_from()}
    for name, frame in midnight.items():
        assert (frame["type"], frame["data"]["today"]["day"]) == ("snapshot", "2026-10-06"), name
    assert midnight["alice"]["data"]["counters"] == {"calls": 0, "talk_seconds": 0.0, "missed": 0}
    assert midnight["board"]["data"]["queues"][str(floor.sales.pk)]["offered"] == 0

    # After midnight: the call ends (its talk counts today), the waiting caller gives up (queued
    # yesterday: not one of today's abandoned), a new caller rings alice, who misses it.
    def after_midnight() -> None:
        services.finish_call(call_id=first, at=at(0.1))
        services.finish_call(call_id=late.pk, at=at(0.1))
        missed(floor, "c3", 0.2)

    await in_plain_thread(after_midnight)
    for name, ws in (("alice", alice), ("board", board)):
        frames[name] += [f for f in await frames_until_quiet(ws) if f["type"] == "event"]
        apply = selectors_live.apply_desk_frame if name == "alice" else selectors_live.apply_wallboard_frame
        state = before[name]
        for frame in frames[name]:  # the frames alone, without the midnight snapshot
            state = apply(state, frame)
        after = (await request(ws, action="snapshot", id="again"))["data"]
        got, want = selectors_live.without_times(state), selectors_live.without_times(after)
        assert got == want, (name, differences(got, want))
        assert state["today"]["day"] == "2026-10-06"
        await ws.disconnect()
    assert after["queues"][str(floor.sales.pk)]["offered"] == 1  # the missed caller, still waiting
