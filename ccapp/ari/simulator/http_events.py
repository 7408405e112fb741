"""`/ari/events`: the events websocket; a second socket for an app replaces the first, silently."""

from __future__ import annotations

import asyncio
import json

from aiohttp import WSMsgType, web

from ccapp.ari.simulator.http_util import AriHttpError, q, sim_of
from ccapp.ari.simulator.world import ASTERISK_ID, AppConnection


async def events_websocket(request: web.Request) -> web.StreamResponse:
    """GET /events?app=NAME[,NAME2]&subscribeAll=false."""
    sim = sim_of(request)
    apps = [a for a in (q(request, "app") or "").split(",") if a]
    if not apps:
        raise AriHttpError(400, "Missing parameter app")
    # no heartbeat of our own: the client's pings are answered by autoping (unless stalled)
    ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
    await ws.prepare(request)
    connections = [AppConnection(app, ws) for app in apps]
    pumps = []
    for connection in connections:
        old = sim.register(connection)
        if old is not None:
            # Asterisk: the first socket gets ApplicationReplaced and goes silent, without being closed
            replaced = {
                "type": "ApplicationReplaced",
                "application": connection.app,
                "timestamp": sim.clock.iso(),
                "asterisk_id": ASTERISK_ID,
            }
            old.queue.put_nowait(json.dumps(replaced))
            old.queue.put_nowait(None)
            old.replaced = True
        pumps.append(asyncio.create_task(connection.pump()))
    task = asyncio.current_task()
    if task is not None:
        sim.websocket_tasks.add(task)
    try:
        async for message in ws:
            if message.type == WSMsgType.ERROR:
                break  # Asterisk ignores what the client sends
    finally:
        for connection in connections:
            if sim.world.connections.get(connection.app) is connection:
                del sim.world.connections[connection.app]
            connection.queue.put_nowait(None)
            if connection in sim.world.all_connections:
                sim.world.all_connections.remove(connection)
        for pump in pumps:
            pump.cancel()
        if task is not None:
            sim.websocket_tasks.discard(task)
        sim.world.notify()
    return ws
