"""Basic auth (401 as Asterisk), Asterisk-style 404/405 bodies, and the log of received requests."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from ccapp.ari.simulator.http_util import SIM_KEY

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class RequestRecord:
    """One REST request the simulator received (for test assertions)."""

    method: str
    path: str  # as received, below /ari (e.g. /channels/1795395783.1/answer)
    query: dict[str, str] = field(default_factory=dict)
    status: int = 0


def _json_error(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=json.dumps({"message": message}), content_type="application/json")


def _credentials(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user, password
    api_key = request.query.get("api_key")  # Asterisk also accepts ?api_key=user:pass
    if api_key:
        user, _, password = api_key.partition(":")
        return user, password
    return None


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Wrong or missing credentials -> 401, like Asterisk."""
    sim = request.app[SIM_KEY]
    if _credentials(request) != (sim.username, sim.password):
        response = _json_error(401, "Authentication required")
        response.headers["WWW-Authenticate"] = 'Basic realm="Asterisk REST Interface"'
        return response
    return await handler(request)


@web.middleware
async def log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record every /ari request and shape aiohttp's own 404/405 like Asterisk's JSON errors."""
    sim = request.app[SIM_KEY]
    record = RequestRecord(request.method, request.path.removeprefix("/ari"), dict(request.query))
    if request.path.startswith("/ari"):
        sim.requests.append(record)
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = _json_error(404, "Resource not found")
    except web.HTTPMethodNotAllowed:
        response = _json_error(405, "Invalid method")
    except web.HTTPException as exc:
        record.status = exc.status
        raise
    record.status = response.status
    return response
