"""Load benchmark: the real Stasis worker against the ARI simulator (run in a child process).

Each call: dial -> IVR menu -> press 1 -> queue -> an agent answers -> talk -> caller hangs up.
Simulated time runs `time_factor` times faster than real time, so a 10 s conversation lasts
10/time_factor real seconds; the worker's own timers use the same factor.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import psutil
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.db import connection

from ccapp import realtime
from ccapp.benchinfo import SIMULATOR_SCRIPT, machine
from ccapp.models import (
    Agent,
    AgentState,
    Call,
    CallbackRequest,
    CallOutcome,
    InboundRoute,
    IVRFlow,
    Queue,
    QueueMember,
)
from ccapp.stasis.runner import build, use_db_threads

DNIS = "775500000"
PREFIX = "bench"
FLOW = {
    "start": "menu",
    "nodes": {
        "menu": {"type": "menu", "prompt": {"sound": "press-1"}, "options": {"1": "q"}, "on_fail": "q"},
        "q": {"type": "queue", "queue": "bench"},
    },
}
# The load driver (call generator + the agents' screens) runs in its own process, as the callers and
# the desk consumers would: in the worker's process it took event-loop time from the worker itself.
DRIVER = """
import asyncio, json, sys
import django
django.setup()
from ccapp.stasis.bench import drive
print(json.dumps(asyncio.run(drive(json.loads(sys.argv[1])))), flush=True)
"""


@dataclass
class Options:
    calls: int = 2000
    rate: float = 50.0
    agents: int = 80
    time_factor: float = 20.0
    talk_seconds: float = 10.0
    answer_after: float = 1.0
    patience: float = 120.0


@dataclass
class Run:
    started: int = 0
    rejected: int = 0
    active: int = 0
    peak_calls: int = 0
    peak_rss: int = 0
    peak_sessions: int = 0
    pops: dict[int, float] = field(default_factory=dict)  # call id -> time.monotonic() of the pop
    answered: dict[str, asyncio.Event] = field(default_factory=dict)  # caller number -> answered


def prepare(options: Options) -> list[tuple[int, str]]:
    """Fresh bench queue, agents, flow and route; earlier bench calls are deleted."""
    CallbackRequest.objects.filter(queue__code=PREFIX).delete()
    Call.objects.filter(dnis=DNIS).delete()
    InboundRoute.objects.filter(dnis=DNIS).delete()
    IVRFlow.objects.filter(code=PREFIX).delete()
    Agent.objects.filter(extension__startswith=PREFIX).delete()
    get_user_model().objects.filter(username__startswith=f"{PREFIX}-agent-").delete()
    Queue.objects.filter(code=PREFIX).delete()
    queue = Queue.objects.create(
        name="Benchmark", code=PREFIX, wrapup_seconds=1, ring_timeout_seconds=10, announce_every_seconds=30
    )
    agents = []
    for n in range(options.agents):
        user = get_user_model().objects.create_user(username=f"{PREFIX}-agent-{n}")
        agent = Agent.objects.create(
            user=user, extension=f"{PREFIX}{n:04d}", endpoint=f"PJSIP/{PREFIX}{n:04d}", state=AgentState.READY
        )
        QueueMember.objects.create(queue=queue, agent=agent)
        agents.append((agent.pk, agent.endpoint))
    flow = IVRFlow.objects.create(name="Benchmark", code=PREFIX, graph=FLOW)
    InboundRoute.objects.create(dnis=DNIS, name="Benchmark", flow=flow)
    return agents


def outcomes() -> dict[str, int]:
    rows = Call.objects.filter(dnis=DNIS)
    return {
        "calls": rows.count(),
        "answered": rows.filter(outcome=CallOutcome.ANSWERED, ended_at__isnull=False).count(),
        "open": rows.filter(ended_at__isnull=True).count(),
    }


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


async def _start_simulator(factor: float) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-c", SIMULATOR_SCRIPT, str(factor)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    line = await asyncio.get_running_loop().run_in_executor(None, process.stdout.readline)  # type: ignore[union-attr]
    return process, f"http://127.0.0.1:{int(line)}"


async def _listen(agent_ids: list[int], run: Run, stop: asyncio.Event) -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    for agent_id in agent_ids:
        await layer.group_add(realtime.agent_group(agent_id), channel)
    while not stop.is_set():
        try:
            message = await layer.receive(channel)
        except Exception:  # a Redis read timeout while idle: keep listening
            continue
        if message.get("event") == "call_answered":
            run.pops[message["data"]["call_id"]] = time.monotonic()
            waiting = run.answered.get(message["data"]["caller"])
            if waiting is not None:
                waiting.set()


async def _post(http: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with http.post(path, json=body) as response:
        return response.status, await response.json() if response.status == 201 else None


async def _one_call(http: aiohttp.ClientSession, n: int, options: Options, run: Run) -> None:
    factor = options.time_factor
    caller = f"+86138{n:08d}"
    answered = run.answered[caller] = asyncio.Event()
    run.active += 1
    run.peak_calls = max(run.peak_calls, run.active)
    try:
        status, created = await _post(http, "/_sim/calls", {"dnis": DNIS, "caller": caller})
        if status != 201:
            run.rejected += 1
            return
        channel = created["channel_id"]
        run.started += 1
        await asyncio.sleep(1.0 / factor)
        await _post(http, f"/_sim/calls/{channel}/dtmf", {"digits": "1"})
        try:
            # A caller waits up to `patience` simulated seconds for an agent, then gives up.
            await asyncio.wait_for(answered.wait(), options.patience / factor)
            await asyncio.sleep(options.talk_seconds / factor)
        except TimeoutError:
            pass
        await _post(http, f"/_sim/calls/{channel}/hangup", {})
    finally:
        run.active -= 1


async def drive(spec: dict[str, Any]) -> dict[str, Any]:
    """The driver process: place `calls` at `rate` per second and time the screen pops it receives."""
    options = Options(**spec["options"])
    run, stop = Run(), asyncio.Event()
    async with aiohttp.ClientSession(
        base_url=spec["url"],
        auth=aiohttp.BasicAuth("ccapp", "ccapp"),
        timeout=aiohttp.ClientTimeout(total=30),
        connector=aiohttp.TCPConnector(limit=64),
    ) as http:
        listener = asyncio.create_task(_listen(spec["agent_ids"], run, stop))
        await asyncio.sleep(0.5)  # the listener's group_add calls are done
        began = time.monotonic()
        calls = []
        for n in range(options.calls):
            calls.append(asyncio.create_task(_one_call(http, n, options, run)))
            await asyncio.sleep(max(0.0, began + (n + 1) / options.rate - time.monotonic()))
        await asyncio.gather(*calls)
        load_seconds = time.monotonic() - began
        await asyncio.sleep(0.5)  # late pops
        stop.set()
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
    return {
        "started": run.started,
        "rejected": run.rejected,
        "peak_calls": run.peak_calls,
        "pops": run.pops,
        "load_seconds": load_seconds,
        "cpu_seconds": time.process_time(),
    }


async def _run_driver(spec: dict[str, Any]) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DRIVER, json.dumps(spec), stdout=asyncio.subprocess.PIPE, env=os.environ.copy()
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the load driver failed (exit status {process.returncode})")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result["pops"] = {int(call_id): at for call_id, at in result["pops"].items()}
    return result


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def _sample(run: Run, app: Any, stop: asyncio.Event) -> None:
    process = psutil.Process()
    while not stop.is_set():
        run.peak_rss = max(run.peak_rss, process.memory_info().rss)
        run.peak_sessions = max(run.peak_sessions, len(app.sessions))
        await asyncio.sleep(0.25)


async def bench(options: Options) -> dict[str, Any]:
    """Run the load and return the figures."""
    use_db_threads()
    agents = await sync_to_async(prepare)(options)
    simulator, url = await _start_simulator(options.time_factor)
    run, stop = Run(), asyncio.Event()
    try:
        async with aiohttp.ClientSession(base_url=url, auth=aiohttp.BasicAuth("ccapp", "ccapp")) as http:
            for _, endpoint in agents:
                body = {"behaviour": "answer", "after": options.answer_after}
                async with http.put(f"/_sim/agents/{quote(endpoint, safe='')}", json=body) as response:
                    response.raise_for_status()
        client, app = build(
            url=url, node=f"{PREFIX}-node", time_factor=options.time_factor, collect_metrics=True
        )
        client.start()
        await asyncio.wait_for(client.wait_connected(), 10)
        baseline_rss = psutil.Process().memory_info().rss
        worker, sim_process = psutil.Process(), psutil.Process(simulator.pid)
        worker_cpu, simulator_cpu = _cpu_seconds(worker), _cpu_seconds(sim_process)
        sampler = asyncio.create_task(_sample(run, app, stop))
        spec = {"options": asdict(options), "url": url, "agent_ids": [a for a, _ in agents]}
        driven = await _run_driver(spec)
        run.started, run.rejected, run.pops = driven["started"], driven["rejected"], driven["pops"]
        run.peak_calls, load_seconds = driven["peak_calls"], driven["load_seconds"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (await sync_to_async(outcomes)())["open"]:
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(sampler, return_exceptions=True)
        cpu = {
            "worker": _cpu_seconds(worker) - worker_cpu,
            "simulator": _cpu_seconds(sim_process) - simulator_cpu,
            "driver": driven["cpu_seconds"],
        }
        await client.close()
        await app.close()
    finally:
        simulator.terminate()
        simulator.wait(10)
    report = _report(options, run, app, await sync_to_async(outcomes)(), baseline_rss, load_seconds)
    done = max(report["calls_completed"], 1)
    # CPU time, not wall-clock: steadier on a shared machine. The worker's figure covers all its
    # threads (event loop and database threads) from the first call to the last call closed.
    report["cpu_ms_per_completed_call"] = {name: round(sec * 1000 / done, 2) for name, sec in cpu.items()}
    report["machine"] = await sync_to_async(_machine)()
    return report


def _report(options, run, app, counts, baseline_rss, load_seconds) -> dict[str, Any]:
    # Both processes read the same system-wide monotonic clock.
    pops = [run.pops[c] - t for c, t in app.answered_at.items() if c in run.pops]
    peak_calls = max(run.peak_calls, run.peak_sessions, 1)
    return {
        "calls_requested": options.calls,
        "rate_per_second": options.rate,
        "time_factor": options.time_factor,
        "agents": options.agents,
        "calls_started": run.started,
        "calls_rejected_by_simulator": run.rejected,
        "calls_completed": counts["answered"],
        "calls_lost": options.calls - counts["answered"],
        "calls_left_open": counts["open"],
        "load_seconds": round(load_seconds, 2),
        "event_handling_ms": {
            "p50": percentile(app.metrics["handler_seconds"], 0.5),
            "p99": percentile(app.metrics["handler_seconds"], 0.99),
            "events": len(app.metrics["handler_seconds"]),
        },
        "stasis_start_to_offer_ms": {
            "p50": percentile(app.metrics["offer_latency"], 0.5),
            "p99": percentile(app.metrics["offer_latency"], 0.99),
            "note": "includes the IVR (prompt + one digit) at the time factor",
        },
        "queued_to_offer_ms": {
            "p50": percentile(app.metrics["queued_to_offer"], 0.5),
            "p99": percentile(app.metrics["queued_to_offer"], 0.99),
        },
        "agent_answer_to_screen_pop_ms": {
            "p50": percentile(pops, 0.5),
            "p99": percentile(pops, 0.99),
            "pops": len(pops),
        },
        "peak_concurrent_calls": peak_calls,
        "worker_rss_mb": {"baseline": round(baseline_rss / 2**20, 1), "peak": round(run.peak_rss / 2**20, 1)},
        "worker_memory_per_concurrent_call_kb": round((run.peak_rss - baseline_rss) / 1024 / peak_calls, 1),
    }


def _machine() -> dict[str, Any]:
    return {**machine(), "postgresql": connection.pg_version if connection.vendor == "postgresql" else None}


def as_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, default=str)
