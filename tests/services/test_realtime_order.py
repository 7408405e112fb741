"""Pushes made from the stasis worker's database threads reach a screen in commit order."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from ccapp import realtime


def push_many(group: str, count: int) -> None:
    for number in range(count):
        realtime._send([group], {"type": realtime.MESSAGE_TYPE, "event": "numbered", "data": {"n": number}})


@pytest.mark.asyncio
async def test_it_keeps_pushes_from_a_worker_thread_in_order():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = "order-test"
    await layer.group_add(group, channel)
    try:
        # sync_to_async threads are where the worker's services run and commit.
        await sync_to_async(push_many, thread_sensitive=False)(group, 60)
        received = [(await asyncio.wait_for(layer.receive(channel), 10))["data"]["n"] for _ in range(60)]
    finally:
        await layer.group_discard(group, channel)
    assert received == list(range(60))


def push_to_groups(batch: list[tuple[str, int]]) -> None:
    for group, number in batch:
        realtime._send([group], {"type": realtime.MESSAGE_TYPE, "event": "numbered", "data": {"n": number}})


@pytest.mark.asyncio
async def test_it_sends_each_group_only_its_own_pushes_when_they_go_out_together():
    layer = get_channel_layer()
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("batch-a", first)
    await layer.group_add("batch-b", second)
    batch = [("batch-a", 0), ("batch-b", 1), ("batch-nobody", 2), ("batch-a", 3), ("batch-b", 4)]
    try:
        await sync_to_async(push_to_groups, thread_sensitive=False)(batch)
        got_a = [(await asyncio.wait_for(layer.receive(first), 10))["data"]["n"] for _ in range(2)]
        got_b = [(await asyncio.wait_for(layer.receive(second), 10))["data"]["n"] for _ in range(2)]
        with pytest.raises(TimeoutError):  # nothing else for the first screen (not 1, 2 or 4)
            await asyncio.wait_for(layer.receive(first), 0.3)
    finally:
        await layer.group_discard("batch-a", first)
        await layer.group_discard("batch-b", second)
    assert (got_a, got_b) == ([0, 3], [1, 4])
