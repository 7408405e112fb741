"""The control API over HTTP (`/_sim/...`), for driving the simulator from another process (curl, load)."""

from __future__ import annotations

from aiohttp import web

from ccapp.ari.simulator.http_util import AriHttpError, ok, sim_of

BEHAVIOURS = {"answer", "ring_out", "busy", "unreachable", "decline", "not_configured"}


async def _json(request: web.Request) -> dict:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError as exc:
        raise AriHttpError(400, "Malformed JSON body") from exc
    return data if isinstance(data, dict) else {}


async def dial(request: web.Request) -> web.Response:
    """POST /_sim/calls {"dnis": "4000", "caller": "+86...", "app": "ccapp"} -> the channel id.

    `app` (optional): the Stasis application the dialplan sends the call to; 603 when none listens.
    """
    body = await _json(request)
    if not body.get("dnis"):
        raise AriHttpError(400, "dnis is required")
    app = str(body["app"]) if body.get("app") else None
    call = await sim_of(request).dial(str(body["dnis"]), str(body.get("caller", "+15551230000")), app=app)
    if call.rejected:
        return ok({"rejected": True, "sip_status": 603}, status=409)
    return ok({"channel_id": call.channel_id}, status=201)


async def press(request: web.Request) -> web.Response:
    """POST /_sim/calls/{channelId}/dtmf {"digits": "12#"}."""
    body = await _json(request)
    await sim_of(request).press(request.match_info["channelId"], str(body.get("digits", "")))
    return web.Response(status=204)


async def silence(request: web.Request) -> web.Response:
    """POST /_sim/calls/{channelId}/silence {"silent": true}."""
    body = await _json(request)
    sim_of(request).set_silent(request.match_info["channelId"], bool(body.get("silent", True)))
    return web.Response(status=204)


async def hangup(request: web.Request) -> web.Response:
    """POST /_sim/calls/{channelId}/hangup {"how": "bye"|"cancel"}."""
    body = await _json(request)
    how = "cancel" if body.get("how") == "cancel" else "bye"
    await sim_of(request).hangup(request.match_info["channelId"], how=how)
    return web.Response(status=204)


async def configure_agent(request: web.Request) -> web.Response:
    """PUT /_sim/agents/{endpoint} {"behaviour": "answer", "after": 2.0} (endpoint like PJSIP%2F1001)."""
    body = await _json(request)
    behaviour = body.get("behaviour", "answer")
    if behaviour not in BEHAVIOURS:
        raise AriHttpError(400, f"behaviour must be one of {sorted(BEHAVIOURS)}")
    agent = sim_of(request).agent(request.match_info["endpoint"])
    agent.behaviour = behaviour
    if "after" in body:
        agent.after = float(body["after"])
    return ok({"endpoint": agent.endpoint, "behaviour": agent.behaviour, "after": agent.after})


async def drop(request: web.Request) -> web.Response:
    """POST /_sim/websockets/drop {"mode": "close"|"abort"|"stall"}."""
    body = await _json(request)
    mode = body.get("mode", "close")
    if mode not in ("close", "abort", "stall"):
        raise AriHttpError(400, "mode must be close, abort or stall")
    return ok({"dropped": await sim_of(request).drop_websockets(mode)})


async def status(request: web.Request) -> web.Response:
    """GET /_sim/status: counts for a quick look."""
    sim = sim_of(request)
    world = sim.world
    return ok(
        {
            "apps_connected": sorted(world.connections),
            "channels": len(world.channels),
            "bridges": len(world.bridges),
            "events_emitted": len(world.events),
            "events_lost": world.lost_events,
            "requests": len(sim.requests),
            "time_factor": sim.clock.time_factor,
        }
    )


def routes() -> list[web.RouteDef]:
    """Control routes: outside the ARI contract, under their own prefix."""
    return [
        web.post("/_sim/calls", dial),
        web.post("/_sim/calls/{channelId}/dtmf", press),
        web.post("/_sim/calls/{channelId}/silence", silence),
        web.post("/_sim/calls/{channelId}/hangup", hangup),
        web.put("/_sim/agents/{endpoint}", configure_agent),
        web.post("/_sim/websockets/drop", drop),
        web.get("/_sim/status", status),
    ]
