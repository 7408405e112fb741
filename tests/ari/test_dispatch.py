"""Delivery order: in order within a channel, concurrent across channels, handlers isolated."""

from __future__ import annotations

import asyncio
import random

from ccapp.ari.dispatch import Dispatcher
from ccapp.ari.events import parse_event
from tests.ari.schema import sample


def dtmf(channel_id: str, seq: int):
    raw = sample("ChannelDtmfReceived")
    raw["channel"]["id"] = channel_id
    raw["digit"] = str(seq)
    return parse_event(raw)


async def test_events_of_one_channel_run_in_order_and_channels_run_concurrently():
    rng = random.Random(3)
    dispatcher = Dispatcher()
    seen: dict[str, list[int]] = {}
    running = 0
    max_running = 0

    async def handler(event):
        nonlocal running, max_running
        running += 1
        max_running = max(max_running, running)
        for _ in range(rng.randint(0, 3)):  # yield a random number of times: interleave the lanes
            await asyncio.sleep(0)
        seen.setdefault(event.channel.id, []).append(int(event.digit))
        running -= 1

    dispatcher.on("ChannelDtmfReceived", handler)
    channels = [f"c{i}" for i in range(20)]
    for seq in range(30):
        for channel_id in rng.sample(channels, len(channels)):
            dispatcher.submit(dtmf(channel_id, seq))
        if seq % 7 == 0:
            await asyncio.sleep(0)  # some lanes drain and restart between bursts
    await dispatcher.drain()
    assert seen == {c: list(range(30)) for c in channels}
    assert max_running > 1
    assert dispatcher.delivered == 600
    assert dispatcher.busy_lanes == 0


async def test_a_failing_handler_does_not_stop_the_lane_or_other_handlers(caplog):
    dispatcher = Dispatcher()
    got: list[str] = []

    def broken(event):
        raise RuntimeError("bug in a handler")

    dispatcher.on("ChannelDtmfReceived", broken)
    dispatcher.on("ChannelDtmfReceived", lambda e: got.append(e.digit))
    dispatcher.on("*", lambda e: got.append("any"))
    for seq in range(3):
        dispatcher.submit(dtmf("c1", seq))
    await dispatcher.drain()
    assert got == ["0", "any", "1", "any", "2", "any"]
    assert "bug in a handler" in caplog.text


async def test_events_without_a_channel_share_one_ordered_lane():
    dispatcher = Dispatcher()
    order: list[str] = []

    async def slow(event):
        await asyncio.sleep(0)
        order.append(event.bridge.id)

    dispatcher.on("BridgeDestroyed", slow)
    for name in "abcde":
        raw = sample("BridgeDestroyed")
        raw["bridge"]["id"] = name
        dispatcher.submit(parse_event(raw))
    await dispatcher.drain()
    assert order == list("abcde")


async def test_off_removes_a_handler_and_aclose_cancels_running_lanes():
    dispatcher = Dispatcher()
    got: list[str] = []
    blocker = asyncio.Event()

    async def wait_forever(event):
        await blocker.wait()

    def record(event):
        got.append(event.digit)

    dispatcher.on("ChannelDtmfReceived", record)
    dispatcher.off("ChannelDtmfReceived", record)
    dispatcher.on("ChannelDtmfReceived", wait_forever)
    dispatcher.submit(dtmf("c1", 1))
    await asyncio.sleep(0)
    assert dispatcher.busy_lanes == 1
    await dispatcher.aclose()
    assert dispatcher.busy_lanes == 0
    assert got == []
