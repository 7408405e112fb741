"""The browsers of the real-time benchmark: desk and wallboard websockets in a process of their own.

No Django here: this runs in a child process so the sockets do not share a CPU core and a GIL with
the stasis worker, as real browsers would not. Times are wall-clock (same machine as the bench).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from websockets.asyncio.client import connect


def run(ws_base: str, agents: list[tuple[int, str]], board_session: str, commands: Any, results: Any) -> None:
    """Child-process entry: open every socket, say "ready", collect frames until told to stop."""
    asyncio.run(_main(ws_base, agents, board_session, commands, results))


async def _main(
    ws_base: str, agents: list[tuple[int, str]], board_session: str, commands: Any, results: Any
) -> None:
    seen: dict[str, Any] = {"pops": {}, "popped_at": {}, "foreign": 0, "snapshots": 0, "board_answered": []}
    ready = [asyncio.Event() for _ in range(len(agents) + 1)]
    tasks = [
        asyncio.create_task(_desk(f"{ws_base}/ws/desk/", session, agent_id, seen, event))
        for (agent_id, session), event in zip(agents, ready, strict=False)
    ]
    tasks.append(asyncio.create_task(_board(f"{ws_base}/ws/wallboard/", board_session, seen, ready[-1])))
    error = await _first_error_or_ready(tasks, ready)
    results.put({"ready": error is None, "error": error})
    if error is not None:
        for task in tasks:
            task.cancel()
        return
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, commands.get)  # the bench says stop
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    results.put(seen)


async def _first_error_or_ready(tasks: list[asyncio.Task[None]], ready: list[asyncio.Event]) -> str | None:
    """None once every socket has its snapshot; else why not (a refused socket, or the time limit)."""
    all_ready = asyncio.ensure_future(asyncio.gather(*(event.wait() for event in ready)))
    pending = {all_ready, *tasks}
    deadline = asyncio.get_running_loop().time() + 120
    while not all_ready.done():
        timeout = deadline - asyncio.get_running_loop().time()
        if timeout <= 0:
            all_ready.cancel()
            return f"{sum(event.is_set() for event in ready)} of {len(ready)} sockets got a snapshot in 120 s"
        done, pending = await asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not all_ready:  # a socket ended before the bench was over: it was refused or dropped
                all_ready.cancel()
                failure = None if task.cancelled() else task.exception()
                return f"a socket closed before its snapshot: {failure!r}"
    return None


def _headers(ws_url: str, session: str) -> dict[str, str]:
    origin = ws_url.replace("ws", "http", 1).split("/ws/")[0]
    return {"Cookie": f"sessionid={session}", "Origin": origin}


async def _desk(url: str, session: str, agent_id: int, seen: dict[str, Any], ready: asyncio.Event) -> None:
    async with connect(url, additional_headers=_headers(url, session), max_queue=None) as ws:
        async for raw in ws:
            now = time.time()
            frame = json.loads(raw)
            if frame["type"] == "snapshot":
                seen["snapshots"] += 1
                ready.set()
            elif frame.get("event") == "call_answered":
                data = frame["data"]
                if data["agent_id"] != agent_id:
                    seen["foreign"] += 1
                seen["pops"].setdefault(str(agent_id), []).append(data["call_id"])
                seen["popped_at"].setdefault(data["caller"], now)


async def _board(url: str, session: str, seen: dict[str, Any], ready: asyncio.Event) -> None:
    async with connect(url, additional_headers=_headers(url, session), max_queue=None) as ws:
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "snapshot":
                ready.set()
            elif frame.get("event") == "call_answered":
                seen["board_answered"].append(frame["data"]["call_id"])
