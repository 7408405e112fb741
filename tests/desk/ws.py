"""A websocket test client over asgiref's ApplicationCommunicator.

Channels' own WebsocketCommunicator lives in a package that imports daphne, which this project does
not install (it serves with uvicorn), so the tests use this equivalent of it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asgiref.testing import ApplicationCommunicator


class WsClient(ApplicationCommunicator):
    """Speak the ASGI websocket protocol to an application, as a browser's socket would."""

    def __init__(self, application: Any, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        path, _, query = path.partition("?")
        scope = {
            "type": "websocket",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "headers": headers,
            "subprotocols": [],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        super().__init__(application, scope)

    async def connect(self, timeout: float = 3) -> tuple[bool, Any]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.next_output(timeout)
        return response["type"] == "websocket.accept", response

    async def send_json_to(self, data: Any) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def next_output(self, timeout: float) -> dict[str, Any]:
        """The application's next message; unlike receive_output, a timeout leaves the app running."""
        if self.future.done():
            self.future.result()
        return await asyncio.wait_for(self.output_queue.get(), timeout)

    async def receive_json_from(self, timeout: float = 3) -> Any:
        response = await self.next_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def receive_nothing(self, timeout: float = 0.2) -> bool:
        """True when the application sends nothing within `timeout` seconds."""
        await asyncio.sleep(timeout)
        return self.output_queue.empty()

    async def disconnect(self, code: int = 1000, timeout: float = 3) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)
