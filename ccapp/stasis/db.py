"""Synchronous reads the worker runs in threads: route plans, queue settings, resync lookups."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections, connection
from django.utils import timezone

from ccapp import realtime
from ccapp.env import env_int, env_str
from ccapp.hours import calendar_for
from ccapp.models import Agent, AgentState, Call, InboundRoute, IVRFlow, Queue, QueueMember
from ccapp.stasis.session import QueueInfo, RouteInfo

# Each thread holds one PostgreSQL connection; keep threads x workers below max_connections.
DB_THREADS = env_int("STASIS_DB_THREADS", 32)
# "on" (PostgreSQL's default) or "off": see "Durability of the worker's commits" in docs/telephony.md.
SYNCHRONOUS_COMMIT = env_str("STASIS_SYNCHRONOUS_COMMIT", "off").lower()
if SYNCHRONOUS_COMMIT not in ("on", "off", "local", "remote_write", "remote_apply"):
    raise ImproperlyConfigured(
        f"STASIS_SYNCHRONOUS_COMMIT must be on, off, local, remote_write or remote_apply, "
        f"not {SYNCHRONOUS_COMMIT!r}"
    )
# A connection is checked (SELECT 1) before use at most this often per thread, not before every call.
HEALTH_CHECK_SECONDS = 2.0

_executor: ThreadPoolExecutor | None = None
_local = threading.local()


def executor() -> ThreadPoolExecutor:
    """The worker's own pool for database work (not the loop's default executor, shared with others)."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="stasis-db")
    return _executor


def run(fn, /, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
    """Run a sync (database) function in a worker thread; each thread keeps its own connection.

    A plain `run_in_executor`, not asgiref's `sync_to_async`: that one costs several times more CPU per
    hop (context copies, thread-sensitivity bookkeeping) and the worker makes a dozen hops per call.
    Pushes published in the thread go to this loop's outbox (`realtime.bind_loop`).
    """
    loop = asyncio.get_running_loop()
    job = functools.partial(_with_usable_connection, loop, fn, args, kwargs)
    return loop.run_in_executor(executor(), job)


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
