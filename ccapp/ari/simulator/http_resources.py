"""`/ari/playbacks`, `/ari/recordings`, `/ari/endpoints`, `/ari/deviceStates`, `/ari/applications`."""

from __future__ import annotations

import asyncio

from aiohttp import web

from ccapp.ari.simulator.http_util import AriHttpError, no_content, ok, q, sim_of
from ccapp.ari.simulator.recording import recording_path
from ccapp.ari.simulator.world import SimPlayback, SimRecording

OPERATIONS = {"restart", "pause", "unpause", "reverse", "forward"}
DEVICE_STATES = {"NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD"}


def _playback(request: web.Request) -> SimPlayback:
    playback = sim_of(request).world.playbacks.get(request.match_info["playbackId"])
    if playback is None:
        raise AriHttpError(404, "Playback not found")
    return playback


async def get_playback(request: web.Request) -> web.Response:
    """GET /playbacks/{playbackId} (404 once finished)."""
    return ok(_playback(request).json())


async def stop_playback(request: web.Request) -> web.Response:
    """DELETE /playbacks/{playbackId}: PlaybackFinished `done`, like a natural end."""
    sim_of(request).playback_engine.stop(_playback(request))
    return no_content()


async def control_playback(request: web.Request) -> web.Response:
    """POST /playbacks/{playbackId}/control."""
    playback = _playback(request)
    operation = q(request, "operation") or ""
    if operation not in OPERATIONS:
        raise AriHttpError(400, f"Invalid operation {operation}")
    if playback.state not in ("playing", "continuing"):
        raise AriHttpError(409, "Can't do that operation on a queued playback")
    sim_of(request).playback_engine.control(playback, operation)
    return no_content()


def _live(request: web.Request) -> SimRecording:
    recording = sim_of(request).world.live.get(request.match_info["recordingName"])
    if recording is None:
        raise AriHttpError(404, "Recording not found")
    return recording


async def get_live(request: web.Request) -> web.Response:
    """GET /recordings/live/{recordingName}."""
    return ok(_live(request).json())


async def stop_live(request: web.Request) -> web.Response:
    """POST /recordings/live/{recordingName}/stop: file kept."""
    sim_of(request).recording_engine.finish(_live(request))
    return no_content()


async def cancel_live(request: web.Request) -> web.Response:
    """DELETE /recordings/live/{recordingName}: RecordingFinished `done`, but the file is deleted."""
    sim_of(request).recording_engine.finish(_live(request), keep=False)
    return no_content()


def _live_toggle(action: str):
    async def handler(request: web.Request) -> web.Response:
        engine = sim_of(request).recording_engine
        recording = _live(request)
        if action == "pause":
            engine.pause(recording)
        elif action == "unpause":
            engine.unpause(recording)
        else:
            recording.muted = action == "mute"
        return no_content()

    handler.__doc__ = f"{action} a live recording (no event, as in Asterisk)."
    return handler


def _stored_name(request: web.Request) -> str:
    name = request.match_info["recordingName"]
    if name not in sim_of(request).world.stored:
        raise AriHttpError(404, "Recording not found")
    return name


async def list_stored(request: web.Request) -> web.Response:
    """GET /recordings/stored."""
    stored = sim_of(request).world.stored
    return ok([{"name": name, "format": fmt} for name, fmt in sorted(stored.items())])


async def get_stored(request: web.Request) -> web.Response:
    """GET /recordings/stored/{recordingName}."""
    name = _stored_name(request)
    return ok({"name": name, "format": sim_of(request).world.stored[name]})


async def get_stored_file(request: web.Request) -> web.Response:
    """GET /recordings/stored/{recordingName}/file."""
    world = sim_of(request).world
    name = _stored_name(request)
    if world.file_delay:
        await asyncio.sleep(world.file_delay)  # a slow disk or network, to test the client's timeout
    path = recording_path(world, name, world.stored[name])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AriHttpError(403, "The recording file could not be opened") from exc
    content_type = "audio/wav" if world.stored[name].startswith("wav") else "application/octet-stream"
    return web.Response(body=data, content_type=content_type)


async def delete_stored(request: web.Request) -> web.Response:
    """DELETE /recordings/stored/{recordingName}."""
    world = sim_of(request).world
    name = _stored_name(request)
    recording_path(world, name, world.stored.pop(name)).unlink(missing_ok=True)
    return no_content()


async def copy_stored(request: web.Request) -> web.Response:
    """POST /recordings/stored/{recordingName}/copy."""
    world = sim_of(request).world
    name = _stored_name(request)
    destination = q(request, "destinationRecordingName")
    if not destination:
        raise AriHttpError(400, "Destination recording name is required")
    if destination in world.stored:
        raise AriHttpError(409, "A recording with the same name already exists on the system")
    fmt = world.stored[name]
    try:
        target = recording_path(world, destination, fmt)
    except ValueError as exc:
        raise AriHttpError(400, "Destination recording name is invalid") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(recording_path(world, name, fmt).read_bytes())
    world.stored[destination] = fmt
    return ok({"name": destination, "format": fmt})


async def list_endpoints(request: web.Request) -> web.Response:
    """GET /endpoints and /endpoints/{tech}."""
    sim = sim_of(request)
    tech = request.match_info.get("tech")
    endpoints = [e for e in sim.endpoints_json() if tech is None or e["technology"] == tech]
    if tech is not None and not endpoints:
        raise AriHttpError(404, "No Endpoints found - invalid tech")
    return ok(endpoints)


async def get_endpoint(request: web.Request) -> web.Response:
    """GET /endpoints/{tech}/{resource}."""
    tech, resource = request.match_info["tech"], request.match_info["resource"]
    for endpoint in sim_of(request).endpoints_json():
        if endpoint["technology"] == tech and endpoint["resource"] == resource:
            return ok(endpoint)
    raise AriHttpError(404, "Endpoint not found")


async def list_device_states(request: web.Request) -> web.Response:
    """GET /deviceStates."""
    states = sim_of(request).world.device_states
    return ok([{"name": name, "state": state} for name, state in sorted(states.items())])


async def get_device_state(request: web.Request) -> web.Response:
    """GET /deviceStates/{deviceName}: unknown devices are UNKNOWN, not 404."""
    name = request.match_info["deviceName"]
    return ok({"name": name, "state": sim_of(request).world.device_states.get(name, "UNKNOWN")})


async def update_device_state(request: web.Request) -> web.Response:
    """PUT /deviceStates/{deviceName}: only Stasis: devices are controllable."""
    name = request.match_info["deviceName"]
    state = q(request, "deviceState")
    if not name.startswith("Stasis:"):
        raise AriHttpError(409, "Uncontrolled device specified")
    if state not in DEVICE_STATES:
        raise AriHttpError(400, "Invalid device state")
    sim_of(request).world.device_states[name] = state
    return no_content()


async def delete_device_state(request: web.Request) -> web.Response:
    """DELETE /deviceStates/{deviceName}."""
    name = request.match_info["deviceName"]
    if not name.startswith("Stasis:"):
        raise AriHttpError(409, "Uncontrolled device specified")
    sim_of(request).world.device_states.pop(name, None)
    return no_content()


async def list_applications(request: web.Request) -> web.Response:
    """GET /applications."""
    sim = sim_of(request)
    return ok([sim.application_json(name) for name in sorted(sim.world.apps_seen)])


async def get_application(request: web.Request) -> web.Response:
    """GET /applications/{applicationName}."""
    sim = sim_of(request)
    name = request.match_info["applicationName"]
    if name not in sim.world.apps_seen:
        raise AriHttpError(404, "Application not found")
    return ok(sim.application_json(name))


def _subscription(subscribe: bool):
    async def handler(request: web.Request) -> web.Response:
        sim = sim_of(request)
        name = request.match_info["applicationName"]
        if name not in sim.world.apps_seen:
            raise AriHttpError(404, "Application not found")
        sources = q(request, "eventSource")
        if not sources:
            raise AriHttpError(400, "Missing parameter eventSource")
        for source in sources.split(","):
            scheme, _, ident = source.partition(":")
            if scheme not in ("channel", "bridge", "endpoint", "deviceState"):
                raise AriHttpError(400, "Invalid event source URI scheme")
            if scheme == "bridge":
                bridge = sim.world.bridges.get(ident)
                if bridge is None:
                    raise AriHttpError(422, "Unable to find event source")
                bridge.subscribed = subscribe
            elif scheme == "channel" and ident not in sim.world.channels:
                raise AriHttpError(422, "Unable to find event source")
        return ok(sim.application_json(name))

    handler.__doc__ = f"{'POST' if subscribe else 'DELETE'} /applications/{{applicationName}}/subscription."
    return handler


def routes() -> list[web.RouteDef]:
    """Every other path the simulator serves (all exist in the api-docs)."""
    live, stored = "/ari/recordings/live/{recordingName}", "/ari/recordings/stored/{recordingName}"
    return [
        web.get("/ari/playbacks/{playbackId}", get_playback),
        web.delete("/ari/playbacks/{playbackId}", stop_playback),
        web.post("/ari/playbacks/{playbackId}/control", control_playback),
        web.get(live, get_live),
        web.delete(live, cancel_live),
        web.post(live + "/stop", stop_live),
        web.post(live + "/pause", _live_toggle("pause")),
        web.delete(live + "/pause", _live_toggle("unpause")),
        web.post(live + "/mute", _live_toggle("mute")),
        web.delete(live + "/mute", _live_toggle("unmute")),
        web.get("/ari/recordings/stored", list_stored),
        web.get(stored, get_stored),
        web.delete(stored, delete_stored),
        web.get(stored + "/file", get_stored_file),
        web.post(stored + "/copy", copy_stored),
        web.get("/ari/endpoints", list_endpoints),
        web.get("/ari/endpoints/{tech}", list_endpoints),
        web.get("/ari/endpoints/{tech}/{resource}", get_endpoint),
        web.get("/ari/deviceStates", list_device_states),
        web.get("/ari/deviceStates/{deviceName}", get_device_state),
        web.put("/ari/deviceStates/{deviceName}", update_device_state),
        web.delete("/ari/deviceStates/{deviceName}", delete_device_state),
        web.get("/ari/applications", list_applications),
        web.get("/ari/applications/{applicationName}", get_application),
        web.post("/ari/applications/{applicationName}/subscription", _subscription(True)),
        web.delete("/ari/applications/{applicationName}/subscription", _subscription(False)),
    ]
