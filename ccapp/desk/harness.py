"""The web side for browser tests and the real-time benchmark: uvicorn and an event loop in threads."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def web_application() -> Any:
    """The project's ASGI application with static files served from the finders (no collectstatic)."""
    from channels.routing import ProtocolTypeRouter
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from ccapp.asgi import application  # first: it sets Django up

    websocket = application.application_mapping["websocket"]
    http = ASGIStaticFilesHandler(application.application_mapping["http"])
    return ProtocolTypeRouter({"http": http, "websocket": websocket})


class WebServer:
    """uvicorn serving the web application on a free port, in a child process.

    A process of its own, not a thread: the channel layer allows one receiving event loop per
    process, and the stasis worker in the test process has one already. The child gets the same
    database (`database`), Redis and channel-layer prefix, so both sides meet in the same groups.
    """

    def __init__(self, *, database: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.database = database
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> WebServer:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "ccapp.settings_test"),
            "DATABASE_URL": _with_database(settings.DATABASE_URL, self.database),
            "CHANNEL_LAYER_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"].get("prefix", "ccapp"),
            # It listens on 127.0.0.1 only. Production settings allow no host unless told (DEBUG off):
            # without this every websocket would be refused by the origin check.
            "ALLOWED_HOSTS": ",".join(dict.fromkeys([*settings.ALLOWED_HOSTS, "127.0.0.1"])),
        }
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "ccapp.desk.harness:web_application",
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
            "--lifespan", "off", "--ws", "websockets",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, env=env, cwd=str(settings.BASE_DIR))
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError("the web server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


class LoopThread:
    """An asyncio event loop in a thread, so blocking code (selenium) can drive async code (simulator)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="desk-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
