"""Small helpers shared by the simulator's HTTP handlers: Asterisk-style errors and parameters."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from ccapp.ari.simulator.server import Simulator
    from ccapp.ari.simulator.world import SimBridge, SimChannel

SIM_KEY: web.AppKey[Simulator] = web.AppKey("simulator")


class AriHttpError(web.HTTPException):
    """An error answer with Asterisk's JSON body (`message`, or `error` for some 500s)."""

    def __init__(self, status: int, message: str, *, key: str = "message") -> None:
        self.status_code = status
        super().__init__(text=json.dumps({key: message}), content_type="application/json")


def sim_of(request: web.Request) -> Simulator:
    """The simulator serving this request."""
    return request.app[SIM_KEY]


def ok(data: Any, status: int = 200) -> web.Response:
    """A JSON answer."""
    return web.json_response(data, status=status)


def no_content() -> web.Response:
    """204, the answer of most ARI commands."""
    return web.Response(status=204)


def q(request: web.Request, name: str) -> str | None:
    """A query parameter; repeated ones: the last wins (Asterisk uses only the last `media=`)."""
    values = request.query.getall(name, [])
    return values[-1] if values else None


def q_int(request: web.Request, name: str, default: int = 0) -> int:
    """An integer query parameter (400 when it is not a number)."""
    raw = q(request, name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise AriHttpError(400, f"{name} must be an integer") from exc


def q_bool(request: web.Request, name: str, default: bool = False) -> bool:
    """A boolean query parameter as Asterisk reads it."""
    raw = q(request, name)
    return default if raw is None else raw.lower() in ("true", "yes", "1", "on")


async def body_variables(request: web.Request) -> dict[str, str]:
    """The `{"variables": {...}}` JSON body of originate and friends."""
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError as exc:
        raise AriHttpError(400, "Malformed JSON body") from exc
    variables = data.get("variables", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in variables.items()} if isinstance(variables, dict) else {}


def channel_or_404(request: web.Request, message: str = "Channel not found") -> SimChannel:
    """The channel named in the path."""
    channel = sim_of(request).world.channels.get(request.match_info["channelId"])
    if channel is None:
        raise AriHttpError(404, message)
    return channel


def app_channel(request: web.Request) -> SimChannel:
    """The channel in the path, which must be in a Stasis app (409 otherwise)."""
    channel = channel_or_404(request)
    if channel.app is None:
        raise AriHttpError(409, "Channel not in Stasis application")
    return channel


def bridge_or_404(request: web.Request) -> SimBridge:
    """The bridge named in the path."""
    bridge = sim_of(request).world.bridges.get(request.match_info["bridgeId"])
    if bridge is None:
        raise AriHttpError(404, "Bridge not found")
    return bridge


async def wait_unbridged_playback(channel: SimChannel) -> None:
    """Asterisk blocks answer / addChannel / set variable while a prompt plays on an unbridged channel."""
    if channel.bridge_id is None and channel.current is not None:
        await channel.idle.wait()
