"""Named people and a small floor for the desk tests; websocket clients logged in by session."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from ccapp.models import Agent, AgentState, DispositionCode, PauseCode, Queue, QueueMember
from tests.desk.ws import WsClient
from tests.factories import make_user
from tests.stasis.conftest import _fresh_channel_layer, sim, worker  # noqa: F401  (fixtures; the first is autouse)


@dataclass
class Floor:
    """Two queues, two agents (alice in both), a supervisor and a plain staff user."""

    sales: Queue
    support: Queue
    alice: Agent
    bob: Agent
    boss: Any
    nobody: Any


def make_floor() -> Floor:
    sales = Queue.objects.create(name="Sales", code="sales", wrapup_seconds=30, sl_target_seconds=20)
    support = Queue.objects.create(name="Support", code="support", wrapup_seconds=0, require_disposition=True)
    agents = []
    for name, ext in (("alice", "1001"), ("bob", "1002")):
        user = make_user(name, "agent", first_name=name.title())
        agents.append(
            Agent.objects.create(user=user, extension=ext, endpoint=f"PJSIP/{ext}", state=AgentState.READY)
        )
    alice, bob = agents
    QueueMember.objects.create(queue=sales, agent=alice)
    QueueMember.objects.create(queue=support, agent=alice)
    QueueMember.objects.create(queue=sales, agent=bob)
    PauseCode.objects.create(code="lunch", name="Lunch")
    DispositionCode.objects.create(code="solved", name="Solved")
    return Floor(sales, support, alice, bob, make_user("boss", "supervisor"), make_user("nobody"))


@pytest.fixture
def floor(db) -> Floor:
    return make_floor()


def session_cookie(user: Any) -> str:
    """A logged-in session for `user`, as the browser's cookie header."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


async def connect(path: str, user: Any | None) -> WsClient:
    """A websocket to the real ASGI application (origin check and session auth included)."""
    from ccapp.asgi import application

    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", cookie.encode()))
    communicator = WsClient(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def frames_until_quiet(ws: WsClient, quiet: float = 0.4) -> list[dict[str, Any]]:
    """Every frame the socket gets until nothing more comes for `quiet` seconds."""
    frames = []
    while True:
        try:
            frames.append(await ws.receive_json_from(timeout=quiet))
        except TimeoutError:
            return frames


async def request(ws: WsClient, **message: Any) -> dict[str, Any]:
    """Send one action and return its reply or error frame (events in between are skipped)."""
    message.setdefault("id", "r1")
    await ws.send_json_to(message)
    while True:
        frame = await ws.receive_json_from(timeout=3)
        if frame["type"] in ("reply", "error", "snapshot") and frame.get("id") == str(message["id"]):
            return frame


class StasisListener:
    """Stands where the stasis worker listens, to see which commands the web side sent."""

    async def join(self) -> StasisListener:
        from ccapp import realtime

        self.layer = get_channel_layer()
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(realtime.STASIS, self.channel)
        return self

    async def next(self, timeout: float = 1.0) -> dict[str, Any] | None:
        try:
            return await asyncio.wait_for(self.layer.receive(self.channel), timeout)
        except TimeoutError:
            return None


def sync(fn: Callable[..., Any]) -> Callable[..., Any]:
    return sync_to_async(fn, thread_sensitive=False)


@pytest.fixture(scope="session", autouse=True)
def _close_thread_connections(django_db_setup, django_db_blocker):
    """Consumers' database threads keep their connections; end them before the test database is dropped."""
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
