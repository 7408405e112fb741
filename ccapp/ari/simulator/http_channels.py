"""`/ari/channels/...` as Asterisk 22 answers it (status codes and bodies from observed/status-codes.md)."""

from __future__ import annotations

from aiohttp import web

from ccapp.ari.simulator.calls import HANGUP_CAUSES
from ccapp.ari.simulator.http_util import (
    AriHttpError,
    app_channel,
    body_variables,
    channel_or_404,
    no_content,
    ok,
    q,
    q_int,
    sim_of,
    wait_unbridged_playback,
)
from ccapp.ari.simulator.recording import FORMATS, recording_path
from ccapp.ari.simulator.world import SimPlayback, SimRecording

DIRECTIONS = {"in", "out", "both"}


async def list_channels(request: web.Request) -> web.Response:
    """GET /channels."""
    return ok([c.json() for c in sim_of(request).world.channels.values()])


async def get_channel(request: web.Request) -> web.Response:
    """GET /channels/{channelId}."""
    return ok(channel_or_404(request).json())


def _caller(raw: str | None) -> dict[str, str]:
    """callerId `"Queue" <100>` or `100` -> CallerID."""
    if not raw:
        return {"name": "", "number": ""}
    if "<" in raw and raw.endswith(">"):
        name, _, number = raw[:-1].partition("<")
        return {"name": name.strip().strip('"'), "number": number.strip()}
    return {"name": "", "number": raw}


def _agent(request: web.Request, endpoint: str | None):
    sim = sim_of(request)
    if not endpoint:
        raise AriHttpError(400, "Endpoint must be specified")
    agent = sim.calls.agents.get(endpoint)
    if agent is None or not agent.configured:
        # Asterisk's one answer that uses the key `error`
        raise AriHttpError(500, "Allocation failed", key="error")
    return agent


async def originate(request: web.Request) -> web.Response:
    """POST /channels and /channels/{channelId}: 200 with state Down; StasisStart only on answer."""
    sim = sim_of(request)
    channel_id = request.match_info.get("channelId") or q(request, "channelId")
    app, extension = q(request, "app"), q(request, "extension")
    if not app and not extension:
        raise AriHttpError(400, "Application or extension must be specified")
    agent = _agent(request, q(request, "endpoint"))
    if channel_id and channel_id in sim.world.channels:
        raise AriHttpError(409, "Channel with given unique ID already exists")
    variables = await body_variables(request)
    args = [a for a in (q(request, "appArgs") or "").split(",") if a] if app else []
    channel = sim.calls.originate(
        agent,
        app=app,
        args=args,
        timeout=q_int(request, "timeout", 30),
        caller=_caller(q(request, "callerId")),
        channel_id=channel_id,
        variables=variables,
    )
    return ok(channel.json())


async def create(request: web.Request) -> web.Response:
    """POST /channels/create: the channel enters the app at once, dialled later."""
    sim = sim_of(request)
    app = q(request, "app")
    if not app:
        raise AriHttpError(400, "Application must be specified")
    agent = _agent(request, q(request, "endpoint"))
    channel_id = q(request, "channelId")
    if channel_id and channel_id in sim.world.channels:
        raise AriHttpError(409, "Channel with given unique ID already exists")
    variables = await body_variables(request)
    channel = sim.calls.new_channel(
        agent.endpoint,
        state="Down",
        caller={"name": "", "number": ""},
        channel_id=channel_id,
        variables=variables,
    )
    channel.originated = True
    args = [a for a in (q(request, "appArgs") or "").split(",") if a]
    channel.dialplan.update({"context": "agents", "app_name": "Stasis", "app_data": ",".join([app, *args])})
    sim.calls.enter_app(channel, app, args)
    return ok(channel.json())


async def dial(request: web.Request) -> web.Response:
    """POST /channels/{channelId}/dial."""
    sim = sim_of(request)
    channel = channel_or_404(request)
    agent = sim.calls.agents.get(channel.endpoint)
    if agent is None or channel.state != "Down":
        raise AriHttpError(409, "Channel cannot be dialed")
    sim.calls.dial_created(channel, agent, q_int(request, "timeout", 0))
    return no_content()


async def hangup(request: web.Request) -> web.Response:
    """DELETE /channels/{channelId}: acts at once."""
    channel = channel_or_404(request)
    reason = q(request, "reason")
    cause = 32  # what Asterisk reported for a plain app DELETE
    if reason is not None:
        if reason not in HANGUP_CAUSES:
            raise AriHttpError(400, "Invalid reason for hangup reason provided")
        cause = HANGUP_CAUSES[reason]
    if q(request, "reason_code"):
        cause = q_int(request, "reason_code")
    sim_of(request).calls.hangup(channel, cause=cause, soft=True)
    return no_content()


async def answer(request: web.Request) -> web.Response:
    """POST /channels/{channelId}/answer."""
    channel = app_channel(request)
    await wait_unbridged_playback(channel)
    if not channel.gone:
        sim_of(request).calls.set_state(channel, "Up")
    return no_content()


def _flag(flag: str, on: bool):
    async def handler(request: web.Request) -> web.Response:
        channel = app_channel(request)
        (channel.flags.add if on else channel.flags.discard)(flag)
        return no_content()

    handler.__doc__ = f"{'POST' if on else 'DELETE'} /channels/{{channelId}}/{flag}: 204, no event."
    return handler


async def progress(request: web.Request) -> web.Response:
    """POST /channels/{channelId}/progress (183)."""
    app_channel(request)
    return no_content()


async def send_dtmf(request: web.Request) -> web.Response:
    """POST /channels/{channelId}/dtmf."""
    channel = app_channel(request)
    if not q(request, "dtmf"):
        raise AriHttpError(400, "DTMF is required")
    sim_of(request).dtmf_sent.append((channel.id, q(request, "dtmf") or ""))
    return no_content()


def _mute(on: bool):
    async def handler(request: web.Request) -> web.Response:
        channel = app_channel(request)
        direction = q(request, "direction")
        # the description gives a default, Asterisk 22 still answers 400 without one
        if not direction:
            raise AriHttpError(400, "Direction is required")
        if direction not in DIRECTIONS:
            raise AriHttpError(400, "Invalid direction specified")
        flags = {"muted-in", "muted-out"} if direction == "both" else {f"muted-{direction}"}
        channel.flags.update(flags) if on else channel.flags.difference_update(flags)
        return no_content()

    handler.__doc__ = f"{'POST' if on else 'DELETE'} /channels/{{channelId}}/mute."
    return handler


async def play(request: web.Request) -> web.Response:
    """POST /channels/{channelId}/play[/{playbackId}]: 201 `queued`, events follow."""
    sim = sim_of(request)
    channel = app_channel(request)
    media = q(request, "media")
    if not media:
        raise AriHttpError(500, "Failed to queue media for playback")  # Asterisk: 500, not 400
    if q_int(request, "offsetms") < 0:
        raise AriHttpError(400, "offsetms cannot be negative")
    playback_id = request.match_info.get("playbackId") or q(request, "playbackId") or sim.new_uuid()
    playback = SimPlayback(playback_id, f"channel:{channel.id}", media.split(","), q(request, "lang") or "en")
    body = playback.json()
    sim.playback_engine.enqueue(channel, playback)
    return ok(body, status=201)


async def record(request: web.Request) -> web.Response:
    """POST /channels/{channelId}/record."""
    channel = app_channel(request)
    recording = new_recording(request, f"channel:{channel.id}")
    body = recording.json()
    sim_of(request).recording_engine.start(channel, recording)
    return ok(body, status=201)


def new_recording(request: web.Request, target_uri: str) -> SimRecording:
    """Validate record parameters the way Asterisk does (name, format, ifExists)."""
    sim = sim_of(request)
    name, fmt = q(request, "name"), q(request, "format")
    if not name or not fmt:
        raise AriHttpError(400, "Recording name and format are required")
    if fmt not in FORMATS:
        raise AriHttpError(422, f"Unrecognized format {fmt}")
    try:
        recording_path(sim.world, name, fmt)
    except ValueError as exc:
        raise AriHttpError(400, "Recording name is invalid") from exc
    if_exists = q(request, "ifExists") or "fail"
    if if_exists not in ("fail", "overwrite", "append"):
        raise AriHttpError(400, "ifExists invalid")
    if name in sim.world.live or (name in sim.world.stored and if_exists == "fail"):
        raise AriHttpError(409, f"Recording '{name}' already exists and can not be overwritten")
    terminate_on = q(request, "terminateOn") or "none"
    if terminate_on not in ("none", "any", "*", "#"):
        raise AriHttpError(400, "terminateOn invalid")
    return SimRecording(
        name=name,
        format=fmt,
        target_uri=target_uri,
        max_duration=q_int(request, "maxDurationSeconds"),
        max_silence=q_int(request, "maxSilenceSeconds"),
        terminate_on=terminate_on,
    )


async def get_variable(request: web.Request) -> web.Response:
    """GET /channels/{channelId}/variable."""
    channel = app_channel(request)
    name = q(request, "variable")
    if not name:
        raise AriHttpError(400, "Variable name is required")
    if name not in channel.variables:
        raise AriHttpError(404, "Provided variable was not found")
    return ok({"value": channel.variables[name]})


async def set_variable(request: web.Request) -> web.Response:
    """POST /channels/{channelId}/variable: ChannelVarset; blocks behind an unbridged prompt."""
    channel = app_channel(request)
    name = q(request, "variable")
    if not name:
        raise AriHttpError(400, "Variable name is required")
    await wait_unbridged_playback(channel)
    value = q(request, "value") or ""
    channel.variables[name] = value
    sim_of(request).world.emit(
        channel.app, "ChannelVarset", variable=name, value=value, channel=channel.json()
    )
    return no_content()


async def continue_in_dialplan(request: web.Request) -> web.Response:
    """POST /channels/{channelId}/continue: StasisEnd; the channel goes back to the dialplan."""
    sim = sim_of(request)
    channel = app_channel(request)
    target = {k: q(request, k) for k in ("context", "extension", "priority", "label")}
    sim.continued.append((channel.id, target))
    sim.calls.leave_app(channel)
    return no_content()


async def redirect(request: web.Request) -> web.Response:
    """POST /channels/{channelId}/redirect."""
    sim = sim_of(request)
    channel = app_channel(request)
    endpoint = q(request, "endpoint")
    if not endpoint:
        raise AriHttpError(400, "Required parameter endpoint not provided")
    tech, channel_tech = endpoint.partition("/")[0], channel.endpoint.partition("/")[0]
    if tech.upper() != channel_tech.upper():
        raise AriHttpError(
            422, f"Endpoint technology '{tech}' does not match channel technology '{channel_tech}'"
        )
    # 302 before answer (cause 23), REFER after: either way the channel leaves
    sim.calls.hangup(channel, cause=23)
    return no_content()


async def move(request: web.Request) -> web.Response:
    """POST /channels/{channelId}/move: to a registered app, or ApplicationMoveFailed."""
    sim = sim_of(request)
    channel = app_channel(request)
    app = q(request, "app")
    if not app:
        raise AriHttpError(400, "Application name is required")
    args = [a for a in (q(request, "appArgs") or "").split(",") if a]
    old_app = channel.app
    if app not in sim.world.connections:
        sim.world.emit(old_app, "ApplicationMoveFailed", channel=channel.json(), destination=app, args=args)
        return no_content()
    sim.world.emit(old_app, "StasisEnd", channel=channel.json())
    sim.calls.enter_app(channel, app, args)
    return no_content()


async def snoop(request: web.Request) -> web.Response:
    """POST /channels/{channelId}/snoop[/{snoopId}]: a Snoop/ channel that enters `app`."""
    sim = sim_of(request)
    app = q(request, "app")
    if not app:
        raise AriHttpError(400, "Application name is required")
    target = channel_or_404(request, "Provided channel was not found")
    spy, whisper = q(request, "spy") or "none", q(request, "whisper") or "none"
    if spy not in DIRECTIONS | {"none"} or whisper not in DIRECTIONS | {"none"}:
        raise AriHttpError(400, "Invalid direction specified")
    if spy == "none" and whisper == "none":
        raise AriHttpError(400, "Sniff direction is required")
    snoop_id = request.match_info.get("snoopId") or q(request, "snoopId")
    if snoop_id and snoop_id in sim.world.channels:
        raise AriHttpError(409, "Channel with given unique ID already exists")
    channel = sim.calls.new_channel(
        f"Snoop/{target.id}", state="Up", caller=dict(target.caller), channel_id=snoop_id
    )
    args = [a for a in (q(request, "appArgs") or "").split(",") if a]
    sim.calls.owner[channel.id] = app
    body = channel.json()
    sim.later(lambda: sim.calls.enter_app(channel, app, args) if not channel.gone else None)
    return ok(body)


def routes() -> list[web.RouteDef]:
    """Every channel path the simulator serves (all exist in channels.json)."""
    base = "/ari/channels/{channelId}"
    return [
        web.get("/ari/channels", list_channels),
        web.post("/ari/channels", originate),
        web.post("/ari/channels/create", create),
        web.get(base, get_channel),
        web.post(base, originate),
        web.delete(base, hangup),
        web.post(base + "/continue", continue_in_dialplan),
        web.post(base + "/move", move),
        web.post(base + "/redirect", redirect),
        web.post(base + "/answer", answer),
        web.post(base + "/ring", _flag("ring", True)),
        web.delete(base + "/ring", _flag("ring", False)),
        web.post(base + "/progress", progress),
        web.post(base + "/dtmf", send_dtmf),
        web.post(base + "/mute", _mute(True)),
        web.delete(base + "/mute", _mute(False)),
        web.post(base + "/hold", _flag("hold", True)),
        web.delete(base + "/hold", _flag("hold", False)),
        web.post(base + "/moh", _flag("moh", True)),
        web.delete(base + "/moh", _flag("moh", False)),
        web.post(base + "/silence", _flag("silence", True)),
        web.delete(base + "/silence", _flag("silence", False)),
        web.post(base + "/play", play),
        web.post(base + "/play/{playbackId}", play),
        web.post(base + "/record", record),
        web.get(base + "/variable", get_variable),
        web.post(base + "/variable", set_variable),
        web.post(base + "/snoop", snoop),
        web.post(base + "/snoop/{snoopId}", snoop),
        web.post(base + "/dial", dial),
    ]
