"""`/ari/bridges/...` as Asterisk 22 answers it."""

from __future__ import annotations

from aiohttp import web

from ccapp.ari.simulator.http_channels import new_recording
from ccapp.ari.simulator.http_util import (
    AriHttpError,
    bridge_or_404,
    no_content,
    ok,
    q,
    sim_of,
    wait_unbridged_playback,
)
from ccapp.ari.simulator.world import SimBridge, SimChannel, SimPlayback

BRIDGE_FLAGS = {"mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single", "sdp_label"}


async def list_bridges(request: web.Request) -> web.Response:
    """GET /bridges."""
    return ok([b.json() for b in sim_of(request).world.bridges.values()])


async def get_bridge(request: web.Request) -> web.Response:
    """GET /bridges/{bridgeId}."""
    return ok(bridge_or_404(request).json())


async def create_bridge(request: web.Request) -> web.Response:
    """POST /bridges and /bridges/{bridgeId}."""
    sim = sim_of(request)
    bridge_id = request.match_info.get("bridgeId") or q(request, "bridgeId") or sim.new_uuid()
    if bridge_id in sim.world.bridges:
        raise AriHttpError(409, f"Bridge with id '{bridge_id}' already exists")
    flags = {f.strip() for f in (q(request, "type") or "mixing").split(",") if f.strip()}
    if not flags <= BRIDGE_FLAGS:
        raise AriHttpError(500, "Unable to create bridge")
    kind = "holding" if "holding" in flags else "mixing"
    bridge = SimBridge(bridge_id, kind, q(request, "name") or "", sim.world.clock.iso())
    sim.world.bridges[bridge_id] = bridge
    return ok(bridge.json())


async def destroy_bridge(request: web.Request) -> web.Response:
    """DELETE /bridges/{bridgeId}."""
    sim = sim_of(request)
    sim.calls.destroy_bridge(bridge_or_404(request), sim.default_app())
    return no_content()


def _channels_param(request: web.Request) -> list[SimChannel]:
    sim = sim_of(request)
    raw = q(request, "channel")
    if not raw:
        raise AriHttpError(400, "Missing parameter channel")
    channels = []
    for channel_id in raw.split(","):
        channel = sim.world.channels.get(channel_id)
        if channel is None:
            raise AriHttpError(400, "Channel not found")  # 400, not 404, as Asterisk answers
        channels.append(channel)
    return channels


async def add_channel(request: web.Request) -> web.Response:
    """POST /bridges/{bridgeId}/addChannel: moves a channel out of its current bridge."""
    sim = sim_of(request)
    bridge = bridge_or_404(request)
    channels = _channels_param(request)
    for channel in channels:
        if channel.app is None:
            raise AriHttpError(422, "Channel not in Stasis application")
    for channel in channels:
        await wait_unbridged_playback(channel)
        if not channel.gone and bridge.id in sim.world.bridges:
            sim.calls.enter_bridge(channel, bridge)
    return no_content()


async def remove_channel(request: web.Request) -> web.Response:
    """POST /bridges/{bridgeId}/removeChannel."""
    sim = sim_of(request)
    bridge = bridge_or_404(request)
    channels = _channels_param(request)
    for channel in channels:
        if channel.id not in bridge.channels:
            raise AriHttpError(422, "Channel not in this bridge")
    for channel in channels:
        sim.calls.leave_bridge(channel, bridge, by_hangup=False)
    return no_content()


async def start_moh(request: web.Request) -> web.Response:
    """POST /bridges/{bridgeId}/moh."""
    bridge_or_404(request).moh = True
    return no_content()


async def stop_moh(request: web.Request) -> web.Response:
    """DELETE /bridges/{bridgeId}/moh: 409 when no music plays."""
    bridge = bridge_or_404(request)
    if not bridge.moh:
        raise AriHttpError(409, "Bridge isn't playing music")
    bridge.moh = False
    return no_content()


async def play(request: web.Request) -> web.Response:
    """POST /bridges/{bridgeId}/play[/{playbackId}]."""
    sim = sim_of(request)
    bridge = bridge_or_404(request)
    media = q(request, "media")
    if not media:
        raise AriHttpError(500, "Failed to queue media for playback")
    playback_id = request.match_info.get("playbackId") or q(request, "playbackId") or sim.new_uuid()
    playback = SimPlayback(playback_id, f"bridge:{bridge.id}", media.split(","), q(request, "lang") or "en")
    body = playback.json()
    sim.playback_engine.enqueue(bridge, playback)
    return ok(body, status=201)


async def record(request: web.Request) -> web.Response:
    """POST /bridges/{bridgeId}/record."""
    bridge = bridge_or_404(request)
    recording = new_recording(request, f"bridge:{bridge.id}")
    body = recording.json()
    sim_of(request).recording_engine.start(bridge, recording)
    return ok(body, status=201)


def routes() -> list[web.RouteDef]:
    """Every bridge path the simulator serves (all exist in bridges.json)."""
    base = "/ari/bridges/{bridgeId}"
    return [
        web.get("/ari/bridges", list_bridges),
        web.post("/ari/bridges", create_bridge),
        web.get(base, get_bridge),
        web.post(base, create_bridge),
        web.delete(base, destroy_bridge),
        web.post(base + "/addChannel", add_channel),
        web.post(base + "/removeChannel", remove_channel),
        web.post(base + "/moh", start_moh),
        web.delete(base + "/moh", stop_moh),
        web.post(base + "/play", play),
        web.post(base + "/play/{playbackId}", play),
        web.post(base + "/record", record),
    ]
