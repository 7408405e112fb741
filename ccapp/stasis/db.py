"""Synchronous reads the worker runs in threads: route plans, queue settings, resync lookups."""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
import time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, connection
from django.utils import timezone

from ccapp import realtime
from ccapp.env import env_int, env_str
from ccapp.hours import calendar_for
from ccapp.models import Agent, AgentState, Call, InboundRoute, IVRFlow, Queue, QueueMember
from ccapp.stasis.session import QueueInfo, RouteInfo

# Each thread holds one PostgreSQL connection; keep threads x workers below max_connections. Few are
# enough (a hop holds one for a millisecond or two; slow lookup hooks go to `run_aside`) and more
# only fight the event loop for the GIL: at 50 calls/s, 32 threads lost callers where 8 and 4 lost
# none, 4 with the shortest waits (docs/telephony.md).
DB_THREADS = env_int("STASIS_DB_THREADS", 4)
# "on" (PostgreSQL's default) or "off": see "Durability of the worker's commits" in docs/telephony.md.
SYNCHRONOUS_COMMIT = env_str("STASIS_SYNCHRONOUS_COMMIT", "off").lower()
if SYNCHRONOUS_COMMIT not in ("on", "off", "local", "remote_write", "remote_apply"):
    raise ImproperlyConfigured(
        f"STASIS_SYNCHRONOUS_COMMIT must be on, off, local, remote_write or remote_apply, "
        f"not {SYNCHRONOUS_COMMIT!r}"
    )
# A connection is checked (SELECT 1) before use at most this often per thread, not before every call.
HEALTH_CHECK_SECONDS = 2.0

_local = threading.local()


class _Pool:
    """The worker's own threads for database work, each keeping its PostgreSQL connection.

    Lighter than `loop.run_in_executor`: one asyncio future per job, no concurrent future chained
    to it, and no idle-thread bookkeeping (the threads simply wait on one queue).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.jobs: queue.SimpleQueue[tuple[asyncio.AbstractEventLoop, asyncio.Future[Any], Any]] = (
            queue.SimpleQueue()
        )
        self.threads: list[threading.Thread] = []
        self.idle = 0  # threads waiting for a job (approximate: read without a lock)
        self.lock = threading.Lock()

    def submit(self, loop: asyncio.AbstractEventLoop, job: Any) -> asyncio.Future[Any]:
        future = loop.create_future()
        self.jobs.put((loop, future, job))
        if self.idle == 0 and len(self.threads) < self.size:
            self._grow()  # a thread (and its connection) only when all are busy
        return future

    def _grow(self) -> None:
        with self.lock:
            if len(self.threads) < self.size:
                thread = threading.Thread(
                    target=self._serve, name=f"stasis-db-{len(self.threads)}", daemon=True
                )
                self.threads.append(thread)
                thread.start()

    def _serve(self) -> None:
        while True:
            with self.lock:
                self.idle += 1
            loop, future, job = self.jobs.get()
            with self.lock:
                self.idle -= 1
            try:
                result = job()
            except BaseException as exc:  # handed to the awaiting coroutine, as an executor would
                if not loop.is_closed():
                    loop.call_soon_threadsafe(_settle, future, None, exc)
            else:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(_settle, future, result, None)
            del future, job


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the awaiting coroutine was cancelled meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


_pool = _Pool(DB_THREADS)


def run(fn, /, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
    """Run a sync (database) function in a worker thread; each thread keeps its own connection.

    Not asgiref's `sync_to_async`: that one costs several times more CPU per hop (context copies,
    thread-sensitivity bookkeeping) and the worker makes a dozen hops per call. Pushes published in
    the thread go to this loop's outbox (`realtime.bind_loop`).
    """
    loop = asyncio.get_running_loop()
    return _pool.submit(loop, functools.partial(_with_usable_connection, loop, fn, args, kwargs))


def run_aside(fn, /, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
    """`run` for work that may be slow (the business's lookup hooks): on the loop's default executor,
    so a slow hook never holds one of the few threads every call's own database work goes through."""
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(None, functools.partial(_with_usable_connection, loop, fn, args, kwargs))


def _with_usable_connection(loop: asyncio.AbstractEventLoop, fn, args: tuple, kwargs: dict[str, Any]) -> Any:
    # A long-lived worker thread keeps its connection; if PostgreSQL dropped it (restart,
    # terminated backend), every later call in that thread would fail without this check. The
    # check costs a round trip, so it runs every few seconds and right after any error.
    now = time.monotonic()
    if now >= getattr(_local, "next_check", 0.0):
        close_old_connections()
        _local.next_check = now + HEALTH_CHECK_SECONDS
    try:
        realtime.bind_loop(loop)
        _session_settings()
        return fn(*args, **kwargs)
    except Exception:
        _local.next_check = 0.0
        raise


def _session_settings() -> None:
    """Per-session settings of the worker's own connections, set once per new connection."""
    if SYNCHRONOUS_COMMIT == "on":
        return
    connection.ensure_connection()
    raw = connection.connection
    if getattr(_local, "configured", None) is raw:
        return
    with raw.cursor() as cursor:
        cursor.execute("SET synchronous_commit = %s", [SYNCHRONOUS_COMMIT])
    _local.configured = raw


class TTLCache:
    """Settings the worker reads on every call (queues, routes, endpoints), kept for a few seconds.

    An edit in the admin reaches new calls within `seconds`; a call in progress keeps what it read.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._values: dict[Any, tuple[float, Any]] = {}

    async def get(self, key: Any, fn, /, *args: Any, **kwargs: Any) -> Any:
        now = time.monotonic()
        hit = self._values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = await run(fn, *args, **kwargs)
        self.put(key, value)
        return value

    def put(self, key: Any, value: Any) -> None:
        """Store a value read elsewhere (fresh), for `seconds`."""
        self._values[key] = (time.monotonic() + self.seconds, value)


def _hours_answer(business_hours, now) -> str:
    calendar = calendar_for(business_hours)
    if calendar.is_open(now):
        return "open"
    holidays = getattr(calendar, "holidays", frozenset())
    local = now.astimezone(calendar.tz) if hasattr(calendar, "tz") else now
    return "holiday" if local.date() in holidays else "closed"


def route_info(route_id: int | None) -> RouteInfo:
    """The route of a call, with the flow graph and the open/closed/holiday answer for now."""
    if route_id is None:
        return RouteInfo()
    route = InboundRoute.objects.select_related("flow", "closed_flow", "business_hours").get(pk=route_id)
    now = timezone.now()
    answer = _hours_answer(route.business_hours, now) if route.business_hours_id else "open"
    flow = route.flow
    if answer != "open" and route.closed_flow_id:
        flow = route.closed_flow
    info = RouteInfo(
        route_id=route.pk,
        queue_id=route.queue_id,
        failover_queue_id=route.failover_queue_id,
        language=route.language,
        hours={"": answer},
    )
    if flow is not None:
        info.flow_id, info.flow_code, info.flow_graph, info.flow_version = (
            flow.pk,
            flow.code,
            flow.graph,
            flow.version,
        )
    return info


def flow_by_code(code: str) -> IVRFlow | None:
    """An IVR flow by its code (for an exit to another flow)."""
    return IVRFlow.objects.filter(code=code).first()


def queue_info(*, queue_id: int | None = None, code: str = "") -> QueueInfo | None:
    """A queue's settings by id or code; None when it does not exist or is inactive."""
    query = Queue.objects.filter(active=True)
    queue = query.filter(pk=queue_id).first() if queue_id else query.filter(code=code).first()
    if queue is None:
        return None
    return QueueInfo(
        id=queue.pk,
        code=queue.code,
        strategy=queue.strategy,
        ring_timeout=queue.ring_timeout_seconds,
        wrapup=queue.wrapup_seconds,
        max_wait=queue.max_wait_seconds,
        announce_position=queue.announce_position,
        announce_wait=queue.announce_wait,
        announce_every=queue.announce_every_seconds,
        music_class=queue.music_class,
        offer_after=queue.offer_after_seconds,
        offer_callback=queue.offer_callback,
        offer_voicemail=queue.offer_voicemail,
        overflow_action=queue.overflow_action,
        overflow_queue_id=queue.overflow_queue_id,
        overflow_number=queue.overflow_number,
        record_calls=queue.record_calls,
        survey=queue.survey_enabled,
        call_time_limit=queue.call_time_limit_seconds,
        caller_id=queue.caller_id,
        language=queue.language,
    )


def agent_endpoint(agent_id: int) -> str:
    """The SIP endpoint of an agent's phone."""
    return Agent.objects.values_list("endpoint", flat=True).get(pk=agent_id)


def agent_by_extension(extension: str) -> int | None:
    """An agent id by extension (IVR 'agent' exits)."""
    return Agent.objects.filter(extension=extension).values_list("pk", flat=True).first()


def open_call_by_channel(channel_id: str) -> Call | None:
    """The unfinished Call of a channel, if any."""
    return Call.objects.filter(channel_id=channel_id, ended_at__isnull=True).first()


def call_ended_on_node(call_id: int, node: str) -> bool:
    """Whether a call of this worker's node has ended (a late command for it gets a clear refusal)."""
    return Call.objects.filter(pk=call_id, stasis_node=node, ended_at__isnull=False).exists()


def ready_members(queue_id: int) -> list[int]:
    """Ready, logged-in members of a queue (lowest penalty, then longest idle): whom a consultation rings."""
    return list(
        QueueMember.objects.filter(queue_id=queue_id, logged_in=True, agent__state=AgentState.READY)
        .order_by("penalty", "agent__state_since", "agent_id")
        .values_list("agent_id", flat=True)
    )
