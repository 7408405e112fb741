"""Real-time push: the only module that publishes to the channel layer.

Group names are built here (`agent.<id>`, `queue.<id>`, `wallboard`). Every event is a typed
payload sent after the surrounding transaction commits, so a browser never sees a call that was
rolled back. Consumers receive `{"type": "realtime.event", "event": <name>, "data": {...}}` and
implement `realtime_event(self, message)`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import weakref
from collections import defaultdict, deque
from dataclasses import asdict, dataclass, field
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.db import transaction

log = logging.getLogger(__name__)

WALLBOARD = "wallboard"
MESSAGE_TYPE = "realtime.event"


def agent_group(agent_id: int) -> str:
    """Group of one agent's desktop."""
    return f"agent.{agent_id}"


def queue_group(queue_id: int) -> str:
    """Group of everyone watching one queue."""
    return f"queue.{queue_id}"


def user_group(user_id: int) -> str:
    """Group of one user's supervisor screens (answers to the commands they sent)."""
    return f"user.{user_id}"


@dataclass(frozen=True)
class RealtimeEvent:
    """Base of every pushed event; `name` is past tense (call_answered, agent_state_changed)."""

    name = "event"

    def payload(self) -> dict[str, Any]:
        return {"type": MESSAGE_TYPE, "event": self.name, "data": asdict(self)}


@dataclass(frozen=True)
class CallStarted(RealtimeEvent):
    name = "call_started"
    call_id: int
    caller: str
    dnis: str
    vip: bool


@dataclass(frozen=True)
class CallQueued(RealtimeEvent):
    name = "call_queued"
    call_id: int
    queue_id: int
    caller: str
    priority: int
    vip: bool


@dataclass(frozen=True)
class CallOffered(RealtimeEvent):
    name = "call_offered"
    call_id: int
    agent_id: int
    queue_id: int | None
    caller: str


@dataclass(frozen=True)
class CallAnswered(RealtimeEvent):
    """The screen pop: who is calling, what they did in the IVR, how long they waited."""

    name = "call_answered"
    call_id: int
    agent_id: int
    queue_id: int | None
    caller: str
    customer: dict[str, Any] | None
    history: list[dict[str, Any]] = field(default_factory=list)
    ivr_path: list[str] = field(default_factory=list)
    ivr_digits: dict[str, str] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    wait_seconds: float = 0.0


@dataclass(frozen=True)
class CallJoined(RealtimeEvent):
    """An agent answered a colleague's consultation or conference call: their screen shows the caller's card.

    Not a call of their own (no counters move): the call's agent stays the one who called them.
    """

    name = "call_joined"
    call_id: int
    agent_id: int


@dataclass(frozen=True)
class CallEnded(RealtimeEvent):
    name = "call_ended"
    call_id: int
    queue_id: int | None
    agent_id: int | None
    outcome: str
    wait_seconds: float
    talk_seconds: float


@dataclass(frozen=True)
class AgentStateChanged(RealtimeEvent):
    name = "agent_state_changed"
    agent_id: int
    state: str
    reason: str
    call_id: int | None


@dataclass(frozen=True)
class CallUpdated(RealtimeEvent):
    """A change during the call shown on the agent's screen (hold, mute, recording paused...)."""

    name = "call_updated"
    call_id: int
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CommandFailed(RealtimeEvent):
    """The stasis worker refused or could not carry out a command; only the requester is told.

    `error_id` is a stable slug (call_ended, already_on_hold, target_unavailable, phone_error...);
    the screen shows its translated message. Nothing else changed.
    """

    name = "command_failed"
    command: str
    call_id: int | None
    error_id: str
    request_id: str = ""
    detail: str = ""


def publish(groups: list[str], event: RealtimeEvent) -> None:
    """Send `event` to `groups` once the current transaction commits (at once outside one)."""
    payload = event.payload()
    transaction.on_commit(lambda: _send(groups, payload))


_bound = threading.local()


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Pushes published in this (database) thread go through `loop`'s outbox (the Stasis worker's threads)."""
    _bound.loop = loop


def _thread_loop() -> asyncio.AbstractEventLoop | None:
    loop = getattr(_bound, "loop", None)
    if loop is not None:
        return loop
    # a sync_to_async thread of an ASGI request: the loop that awaits it
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return getattr(SyncToAsync.threadlocal, "main_event_loop", None)


def _send(groups: list[str], payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _thread_loop()
    if loop is None:
        async_to_sync(_send_async)(layer, groups, payload)  # web requests, Celery, shell
    elif loop.is_running():
        # Inside the Stasis worker (a sync_to_async thread): hand the push to the event loop and
        # return, so the database thread is not held for the Redis round trips. One outbox per loop,
        # drained by one task, keeps pushes in commit order (a task per push could reorder them, and a
        # screen would then see call_ended before call_answered).
        loop.call_soon_threadsafe(_enqueue, loop, (layer, groups, payload))
    else:
        # The worker's loop is shutting down; waiting on it would block this thread for ever.
        log.warning("real-time push %s dropped: the event loop has stopped", payload.get("event"))


_outboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Outbox] = weakref.WeakKeyDictionary()


@dataclass
class _Outbox:
    items: deque = field(default_factory=deque)
    task: asyncio.Task | None = None


def _enqueue(loop: asyncio.AbstractEventLoop, item: tuple[Any, list[str], dict[str, Any]]) -> None:
    """Runs in the loop's thread: queue a push and make sure one task is draining the queue."""
    box = _outboxes.setdefault(loop, _Outbox())
    box.items.append(item)
    if box.task is None or box.task.done():
        box.task = loop.create_task(_drain(box))


async def _drain(box: _Outbox) -> None:
    while box.items:
        # Everything queued since the last pass goes out together, still in commit order.
        batch = list(box.items)
        box.items.clear()
        await _send_batch(batch)


async def _send_batch(batch: list[tuple[Any, list[str], dict[str, Any]]]) -> None:
    layer = batch[0][0]
    if not isinstance(layer, RedisChannelLayer) or any(item[0] is not layer for item in batch):
        for item in batch:
            await _send_async(*item)
        return
    sends = [(group, payload) for _, groups, payload in batch for group in groups]
    try:
        await _redis_group_send_many(layer, sends)
    except Exception:  # a push that fails must not undo or break the call handling
        log.exception("real-time push of %d messages failed", len(sends))


# channels_redis's own group_send script: a message is stored for every channel under capacity.
_GROUP_SEND_LUA = """
local over_capacity = 0
local current_time = ARGV[#ARGV - 1]
local expiry = ARGV[#ARGV]
for i=1,#KEYS do
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
        redis.call('ZADD', KEYS[i], current_time, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""


_last_score = 0.0
# A channel's messages are a sorted set scored by send time: every message needs a later score than
# the one before it, or messages sent in one pass would come out in the order of their bytes.
SCORE_STEP = 1e-5


def _next_score() -> float:
    global _last_score
    _last_score = max(time.time(), _last_score + SCORE_STEP)
    return _last_score


async def _redis_group_send_many(layer: RedisChannelLayer, sends: list[tuple[str, dict[str, Any]]]) -> None:
    """`layer.group_send` for many (group, message) pairs in two pipelined round trips per Redis host.

    channels_redis's group_send makes four round trips per group (expire members, read members,
    expire messages, store); a call makes about sixteen group sends, which made Redis the worker's
    busiest path. This does the same steps with the same keys, message format and capacity script,
    so the consumers and their group membership checks are unchanged; the order of the messages is
    kept (one pipeline per host, in order).
    """
    now = time.time()
    members: dict[str, list[str]] = {}
    by_host: dict[int, list[str]] = defaultdict(list)
    for group in dict.fromkeys(group for group, _ in sends):
        by_host[layer.consistent_hash(group)].append(group)
    for index, groups in by_host.items():
        pipe = layer.connection(index).pipeline(transaction=False)
        for group in groups:
            key = layer._group_key(group)
            pipe.zremrangebyscore(key, min=0, max=int(now) - layer.group_expiry)
            pipe.zrange(key, 0, -1)
        replies = await pipe.execute()
        for group, names in zip(groups, replies[1::2], strict=True):
            members[group] = [name.decode("utf8") for name in names]
    stores: dict[int, list[tuple[list[bytes], list[Any]]]] = defaultdict(list)
    for group, message in sends:
        if not members[group]:
            continue
        to_keys, messages, capacities = layer._map_channel_keys_to_connection(members[group], message)
        for index, keys in to_keys.items():
            stores[index].append((keys, [messages[k] for k in keys] + [capacities[k] for k in keys]))
    for index, items in stores.items():
        pipe = layer.connection(index).pipeline(transaction=False)
        scripts: list[int] = []  # reply positions of the scripts (the others are expiries)
        for keys, args in items:
            for key in keys:
                pipe.zremrangebyscore(key, min=0, max=int(now) - int(layer.expiry))
            scripts.append(len(pipe))
            pipe.eval(_GROUP_SEND_LUA, len(keys), *keys, *args, _next_score(), layer.expiry)
        replies = await pipe.execute()
        over = sum(replies[position] for position in scripts)
        if over:
            log.info("%d real-time messages dropped: channels over capacity", over)


async def _send_async(layer: Any, groups: list[str], payload: dict[str, Any]) -> None:
    for group in groups:
        try:
            await layer.group_send(group, payload)
        except Exception:  # a push that fails must not undo or break the call handling
            log.exception("real-time push to %s failed (%s)", group, payload.get("event"))


# ---- web -> stasis commands (agent desktop and wallboard; owned by the desk, issue 8) ----------
# Commands travel the other way: a browser asks, the consumer checks who may ask, and the stasis
# worker holding the call carries it out. Every worker listens on one group and ignores calls it
# does not hold, so the sender needs no idea which Asterisk a call is on.

STASIS = "stasis"
COMMAND_TYPE = "stasis.command"


@dataclass(frozen=True)
class StasisCommand:
    """One command for the stasis worker holding `call_id` (hold, transfer, snoop, ...)."""

    command: str
    call_id: int | None
    agent_id: int | None = None
    args: dict[str, Any] = field(default_factory=dict)
    request_id: str = ""
    reply_to: str = ""  # the group told when the command fails (the requester's screens)

    def payload(self) -> dict[str, Any]:
        return {"type": COMMAND_TYPE, **asdict(self)}


async def send_stasis_command(command: StasisCommand) -> None:
    """Hand a command to the stasis workers at once (it changes no row, so there is no commit to wait for)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(STASIS, command.payload())


def send_stasis_command_on_commit(command: StasisCommand) -> None:
    """Hand a command to the stasis workers once the current transaction commits (from sync code)."""
    payload = command.payload()
    transaction.on_commit(lambda: _send([STASIS], payload))
