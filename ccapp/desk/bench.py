"""Real-time benchmark: agent desktops and the wallboard on real websockets under simulated call load.

Processes: this one (the callers), the stasis worker, the browsers' sockets, uvicorn serving the web
side, the ARI simulator. Measured per call: from the simulator's StasisStart (the dial request) to the
`call_answered` frame in the answering agent's socket, through the worker, PostgreSQL, Redis, the
desk consumer's screen-pop enrichment and the websocket. Lost: an answered call whose pop never
reached its agent's socket, or that the wallboard never saw.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import connection

from ccapp.benchinfo import database, machine, percentile_ms, start_simulator, vacuum
from ccapp.desk import bench_sockets
from ccapp.desk.harness import WebServer
from ccapp.models import (
    Agent,
    AgentState,
    AgentStateChange,
    Call,
    CallEvent,
    InboundRoute,
    Queue,
    QueueMember,
)
from ccapp.roles import AGENT, SUPERVISOR, ensure_roles
from ccapp.stasis.bench import start_worker, stop_worker
from ccapp.stasis.runner import use_db_threads

PREFIX = "rtbench"
HOLD_AFTER_DIAL_SECONDS = 5.0  # real seconds a caller stays on beyond the talk time (unanswered: gives up)
DNIS = "775600000"


@dataclass
class Options:
    agents: int = 200
    calls: int = 600
    rate: float = 20.0
    time_factor: float = 20.0
    answer_after: float = 0.1  # simulated seconds the agent's phone rings before answering
    talk_seconds: float = 20.0  # simulated


@dataclass
class Dials:
    at: dict[str, float] = field(default_factory=dict)  # caller -> wall-clock time of the dial


def _session(user: Any) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def cleanup() -> None:
    """Remove everything a run made (sessions of the bench users included)."""
    users = list(
        get_user_model().objects.filter(username__startswith=f"{PREFIX}-").values_list("pk", flat=True)
    )
    for session in Session.objects.all().iterator():
        if session.get_decoded().get("_auth_user_id") in {str(pk) for pk in users}:
            session.delete()
    Call.objects.filter(dnis=DNIS).delete()
    InboundRoute.objects.filter(dnis=DNIS).delete()
    Agent.objects.filter(user_id__in=users).delete()
    get_user_model().objects.filter(pk__in=users).delete()
    Queue.objects.filter(code=PREFIX).delete()


def prepare(options: Options) -> tuple[list[tuple[int, str, str]], str]:
    """A bench queue straight from a route (no IVR), ready agents with sessions, a supervisor."""
    cleanup()
    ensure_roles()
    queue = Queue.objects.create(
        name="Realtime bench", code=PREFIX, wrapup_seconds=0, ring_timeout_seconds=10
    )
    InboundRoute.objects.create(dnis=DNIS, name="Realtime bench", queue=queue)
    agent_group, supervisor_group = Group.objects.get(name=AGENT), Group.objects.get(name=SUPERVISOR)
    agents = []
    for n in range(options.agents):
        user = get_user_model().objects.create_user(username=f"{PREFIX}-agent-{n}", is_staff=True)
        user.groups.add(agent_group)
        agent = Agent.objects.create(
            user=user, extension=f"{PREFIX}{n:04d}", endpoint=f"PJSIP/{PREFIX}{n:04d}", state=AgentState.READY
        )
        QueueMember.objects.create(queue=queue, agent=agent)
        agents.append((agent.pk, agent.endpoint, _session(user)))
    boss = get_user_model().objects.create_user(username=f"{PREFIX}-supervisor", is_staff=True)
    boss.groups.add(supervisor_group)
    vacuum(Agent, AgentStateChange, Call, CallEvent, QueueMember, Session)
    return agents, _session(boss)


def answered_calls(popped_at: dict[int, float]) -> tuple[dict[int, int], dict[str, list[float]]]:
    """Answered bench calls with the agent who took each, and where the time went (from the rows)."""
    rows = Call.objects.filter(dnis=DNIS, answered_at__isnull=False).values(
        "pk", "agent_id", "arrived_at", "queued_at", "offered_at", "answered_at"
    )
    stages: dict[str, list[float]] = {
        "arrived_to_queued": [],
        "queued_to_offered": [],
        "offered_to_answered": [],
        "answered_to_pop_frame": [],
    }
    for row in rows:
        if row["queued_at"] and row["offered_at"]:
            stages["arrived_to_queued"].append((row["queued_at"] - row["arrived_at"]).total_seconds())
            stages["queued_to_offered"].append((row["offered_at"] - row["queued_at"]).total_seconds())
            stages["offered_to_answered"].append((row["answered_at"] - row["offered_at"]).total_seconds())
        if row["pk"] in popped_at:
            # the row's answered_at and the frame's arrival share this machine's wall clock
            stages["answered_to_pop_frame"].append(popped_at[row["pk"]] - row["answered_at"].timestamp())
    return {row["pk"]: row["agent_id"] for row in rows}, stages


async def _one_call(http: httpx.AsyncClient, n: int, options: Options, dials: Dials) -> None:
    caller = f"+86139{n:08d}"
    dials.at[caller] = time.time()
    response = await http.post("/_sim/calls", json={"dnis": DNIS, "caller": caller, "app": PREFIX})
    if response.status_code != 201:
        return
    # The sockets are in another process: the caller talks for a fixed time after dialling.
    await asyncio.sleep(options.talk_seconds / options.time_factor + HOLD_AFTER_DIAL_SECONDS)
    await http.post(f"/_sim/calls/{response.json()['channel_id']}/hangup", json={})


async def bench(options: Options) -> dict[str, Any]:
    """Run the load with every socket open and return the figures."""
    use_db_threads()
    agents, board_session = await sync_to_async(prepare)(options)
    loop = asyncio.get_running_loop()
    web = WebServer(database=connection.settings_dict["NAME"])
    await loop.run_in_executor(None, web.start)
    simulator, sim_url = await start_simulator(options.time_factor)
    context = multiprocessing.get_context("spawn")
    commands, results = context.Queue(), context.Queue()
    browsers = context.Process(
        target=bench_sockets.run,
        args=(
            web.url.replace("http", "ws", 1),
            [(a, s) for a, _, s in agents],
            board_session,
            commands,
            results,
        ),
        daemon=True,
    )
    dials: Dials = Dials()
    seen: dict[str, Any] = {}
    worker: asyncio.subprocess.Process | None = None
    try:
        browsers.start()
        connected = await loop.run_in_executor(None, results.get, True, 180)  # every socket has its snapshot
        if not connected["ready"]:
            raise RuntimeError(f"the browser sockets did not connect: {connected['error']}")
        async with httpx.AsyncClient(base_url=sim_url, auth=("ccapp", "ccapp"), timeout=30) as http:
            for _, endpoint, _ in agents:
                body = {"behaviour": "answer", "after": options.answer_after}
                await http.put(f"/_sim/agents/{quote(endpoint, safe='')}", json=body)
            # The worker in a process of its own, as `run_stasis` runs: the dialling here does not
            # take its event loop's time.
            worker = await start_worker(
                {"url": sim_url, "app": PREFIX, "time_factor": options.time_factor, "commands": True}
            )
            began = time.monotonic()
            calls = []
            for n in range(options.calls):
                calls.append(asyncio.create_task(_one_call(http, n, options, dials)))
                await asyncio.sleep(max(0.0, began + (n + 1) / options.rate - time.monotonic()))
            await asyncio.gather(*calls)
            load_seconds = time.monotonic() - began
            await asyncio.sleep(3.0)  # stragglers: every frame still in flight arrives
            commands.put("stop")
            seen = await loop.run_in_executor(None, results.get, True, 60)
            await stop_worker(worker)
            worker = None
    finally:
        if worker is not None:
            worker.kill()
        browsers.join(10)
        if browsers.is_alive():
            browsers.kill()
        simulator.terminate()
        await loop.run_in_executor(None, web.stop)
    report = await sync_to_async(_report)(options, dials, seen, load_seconds)
    await sync_to_async(cleanup)()
    return report


def _report(options: Options, dials: Dials, seen: dict[str, Any], load_seconds: float) -> dict[str, Any]:
    latency = [at - dials.at[caller] for caller, at in seen["popped_at"].items() if caller in dials.at]
    callers = dict(Call.objects.filter(dnis=DNIS).values_list("caller", "pk"))
    popped_at = {callers[c]: at for c, at in seen["popped_at"].items() if c in callers}
    answered, stages = answered_calls(popped_at)
    pops = {int(agent): set(calls) for agent, calls in seen["pops"].items()}
    lost = sum(1 for call_id, agent_id in answered.items() if call_id not in pops.get(agent_id, set()))
    return {
        "agents_connected": seen["snapshots"],
        "wallboards_connected": 1,
        "calls": options.calls,
        "rate_per_second": options.rate,
        "time_factor": options.time_factor,
        "agent_answers_after_simulated_s": options.answer_after,
        "calls_answered": len(answered),
        "load_seconds": round(load_seconds, 1),
        "stasis_start_to_screen_pop_ms": {
            "p50": percentile_ms(latency, 0.5, 1),
            "p90": percentile_ms(latency, 0.9, 1),
            "p99": percentile_ms(latency, 0.99, 1),
            "max": percentile_ms(latency, 1.0, 1),
            "samples": len(latency),
        },
        "messages_lost": lost,
        "wallboard_messages_lost": len(set(answered) - set(seen["board_answered"])),
        "pops_on_another_agents_socket": seen["foreign"],
        "database_stages_ms_p50_p99": {
            name: [percentile_ms(values, 0.5, 1), percentile_ms(values, 0.99, 1)]
            for name, values in stages.items()
        },
        "machine": {**machine(), **database()},
    }
