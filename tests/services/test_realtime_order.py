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
