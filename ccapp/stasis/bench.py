"""Load benchmark: the real Stasis worker against the ARI simulator (run in a child process).

Each call: dial -> IVR menu -> press 1 -> queue -> an agent answers -> talk -> caller hangs up.
Simulated time runs `time_factor` times faster than real time, so a 10 s conversation lasts
10/time_factor real seconds; the worker's own timers use the same factor.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
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

from ccapp import heap, realtime
from ccapp.benchinfo import database, machine, percentile_ms, start_simulator, vacuum
from ccapp.models import (
    Agent,
    AgentState,
    AgentStateChange,
    Call,
    CallbackRequest,
    CallEvent,
    CallOutcome,
    InboundRoute,
    IVRFlow,
    Queue,
    QueueMember,
    Recording,
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
# Each Stasis worker runs in a process of its own, as `run_stasis` does: with several workers the
# calls are spread over several ARI applications, as a dialplan would shard them.
WORKER = """
import asyncio, json, sys
import django
django.setup()
from ccapp.stasis.bench import work
print(json.dumps(asyncio.run(work(json.loads(sys.argv[1])))), flush=True)
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
    workers: int = 1


@dataclass
class Run:
    started: int = 0
    rejected: int = 0
    active: int = 0
    peak_calls: int = 0
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
    vacuum(Agent, AgentStateChange, Call, CallEvent, Recording, QueueMember, CallbackRequest)
    return agents


def outcomes() -> dict[str, int]:
    rows = Call.objects.filter(dnis=DNIS)
    return {
        "calls": rows.count(),
        "answered": rows.filter(outcome=CallOutcome.ANSWERED, ended_at__isnull=False).count(),
        "open": rows.filter(ended_at__isnull=True).count(),
    }


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


async def _one_call(http: aiohttp.ClientSession, n: int, options: Options, run: Run, apps: list[str]) -> None:
    factor = options.time_factor
    caller = f"+86138{n:08d}"
    answered = run.answered[caller] = asyncio.Event()
    run.active += 1
    run.peak_calls = max(run.peak_calls, run.active)
    try:
        app = apps[n % len(apps)]
        status, created = await _post(http, "/_sim/calls", {"dnis": DNIS, "caller": caller, "app": app})
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
            calls.append(asyncio.create_task(_one_call(http, n, options, run, spec["apps"])))
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


async def work(spec: dict[str, Any]) -> dict[str, Any]:
    """A worker process: the real Stasis worker on one ARI application until told to stop (stdin)."""
    use_db_threads()
    client, app = build(
        url=spec["url"],
        app_name=spec["app"],
        node=f"{spec['app']}-node",
        time_factor=spec["time_factor"],
        collect_metrics=True,
    )
    client.start()
    if spec.get("commands"):
        app.start()  # also the commands of the agents' screens and the callback timer
    await asyncio.wait_for(client.wait_connected(), 10)
    heap.freeze_startup()
    process = psutil.Process()
    baseline_rss, cpu = process.memory_info().rss, _cpu_seconds(process)
    peak = {"rss": baseline_rss, "sessions": 0}

    async def sample() -> None:
        while True:
            peak["rss"] = max(peak["rss"], process.memory_info().rss)
            peak["sessions"] = max(peak["sessions"], len(app.sessions))
            await asyncio.sleep(0.25)

    sampler = asyncio.create_task(sample())
    pauses = _watch_collections()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    cpu = _cpu_seconds(process) - cpu
    sampler.cancel()
    await client.close()
    await app.close()
    return {
        "metrics": app.metrics,
        "answered_at": app.answered_at,
        "baseline_rss": baseline_rss,
        "peak_rss": peak["rss"],
        "peak_sessions": peak["sessions"],
        "cpu_seconds": cpu,
        "gc_pauses": pauses,
    }


def _watch_collections() -> list[float]:
    """The durations of the garbage collector's passes from now on (a long one stalls every call)."""
    pauses: list[float] = []
    started = [0.0]

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - started[0])

    gc.callbacks.append(watch)
    return pauses


async def start_worker(spec: dict[str, Any]) -> asyncio.subprocess.Process:
    """A stasis worker process (`work`) for `spec` (url, app, time_factor), once it is connected."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WORKER,
        json.dumps(spec),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=os.environ.copy(),
    )
    line = await asyncio.wait_for(process.stdout.readline(), 60)  # type: ignore[union-attr]
    if line.strip() != b"ready":
        process.kill()
        raise RuntimeError(f"a stasis worker did not start (exit status {await process.wait()})")
    return process


async def stop_worker(process: asyncio.subprocess.Process) -> dict[str, Any]:
    """Stop a worker process started by `start_worker`; its figures."""
    out, _ = await process.communicate(b"stop\n")
    if process.returncode != 0:
        raise RuntimeError(f"a stasis worker failed (exit status {process.returncode})")
    return json.loads(out.decode().strip().splitlines()[-1])


def _merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The workers' figures as one: metric lists joined, memory and CPU summed."""
    return {
        "metrics": {
            name: [value for r in results for value in r["metrics"][name]] for name in results[0]["metrics"]
        },
        "answered_at": {int(c): at for r in results for c, at in r["answered_at"].items()},
        "memory_growth": sum(r["peak_rss"] - r["baseline_rss"] for r in results),
        "baseline_rss": sum(r["baseline_rss"] for r in results),
        "peak_rss": sum(r["peak_rss"] for r in results),
        "peak_sessions": sum(r["peak_sessions"] for r in results),
        "cpu_seconds": sum(r["cpu_seconds"] for r in results),
        "gc_pauses": [pause for r in results for pause in r["gc_pauses"]],
    }


async def bench(options: Options) -> dict[str, Any]:
    """Run the load and return the figures."""
    agents = await sync_to_async(prepare)(options)
    simulator, url = await start_simulator(options.time_factor)
    apps = [PREFIX] if options.workers <= 1 else [f"{PREFIX}-{n + 1}" for n in range(options.workers)]
    workers: list[asyncio.subprocess.Process] = []
    try:
        async with aiohttp.ClientSession(base_url=url, auth=aiohttp.BasicAuth("ccapp", "ccapp")) as http:
            for _, endpoint in agents:
                body = {"behaviour": "answer", "after": options.answer_after}
                async with http.put(f"/_sim/agents/{quote(endpoint, safe='')}", json=body) as response:
                    response.raise_for_status()
        for app in apps:
            workers.append(await start_worker({"url": url, "app": app, "time_factor": options.time_factor}))
        sim_process = psutil.Process(simulator.pid)
        simulator_cpu = _cpu_seconds(sim_process)
        spec = {"options": asdict(options), "url": url, "agent_ids": [a for a, _ in agents], "apps": apps}
        driven = await _run_driver(spec)
        run = Run(started=driven["started"], rejected=driven["rejected"], peak_calls=driven["peak_calls"])
        run.pops = driven["pops"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (await sync_to_async(outcomes)())["open"]:
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)
        simulator_cpu = _cpu_seconds(sim_process) - simulator_cpu
        worked = _merge([await stop_worker(process) for process in workers])
        workers.clear()
    finally:
        for process in workers:
            process.kill()
        simulator.terminate()
        simulator.wait(10)
    report = _report(options, run, worked, await sync_to_async(outcomes)(), driven["load_seconds"])
    done = max(report["calls_completed"], 1)
    # CPU time, not wall-clock: steadier on a shared machine. The workers' figure covers all their
    # threads (event loop and database threads) from the first call to the last call closed.
    cpu = {"worker": worked["cpu_seconds"], "simulator": simulator_cpu, "driver": driven["cpu_seconds"]}
    report["cpu_ms_per_completed_call"] = {name: round(sec * 1000 / done, 2) for name, sec in cpu.items()}
    report["machine"] = await sync_to_async(_machine)()
    return report


def _report(options, run, worked, counts, load_seconds) -> dict[str, Any]:
    # All processes read the same system-wide monotonic clock.
    pops = [run.pops[c] - t for c, t in worked["answered_at"].items() if c in run.pops]
    peak_calls = max(run.peak_calls, worked["peak_sessions"], 1)
    metrics = worked["metrics"]
    return {
        "calls_requested": options.calls,
        "rate_per_second": options.rate,
        "time_factor": options.time_factor,
        "agents": options.agents,
        "workers": max(1, options.workers),
        "calls_started": run.started,
        "calls_rejected_by_simulator": run.rejected,
        "calls_completed": counts["answered"],
        "calls_lost": options.calls - counts["answered"],
        "calls_left_open": counts["open"],
        "load_seconds": round(load_seconds, 2),
        "event_handling_ms": {
            "p50": percentile_ms(metrics["handler_seconds"], 0.5),
            "p99": percentile_ms(metrics["handler_seconds"], 0.99),
            "events": len(metrics["handler_seconds"]),
        },
        "stasis_start_to_offer_ms": {
            "p50": percentile_ms(metrics["offer_latency"], 0.5),
            "p99": percentile_ms(metrics["offer_latency"], 0.99),
            "note": "includes the IVR (prompt + one digit) at the time factor",
        },
        "queued_to_offer_ms": {
            "p50": percentile_ms(metrics["queued_to_offer"], 0.5),
            "p99": percentile_ms(metrics["queued_to_offer"], 0.99),
        },
        "agent_answer_to_screen_pop_ms": {
            "p50": percentile_ms(pops, 0.5),
            "p99": percentile_ms(pops, 0.99),
            "pops": len(pops),
        },
        "peak_concurrent_calls": peak_calls,
        "worker_rss_mb": {
            "baseline": round(worked["baseline_rss"] / 2**20, 1),
            "peak": round(worked["peak_rss"] / 2**20, 1),
        },
        "worker_memory_per_concurrent_call_kb": round(worked["memory_growth"] / 1024 / peak_calls, 1),
        "worker_gc_pauses": {
            "count": len(worked["gc_pauses"]),
            "longest_ms": round(max(worked["gc_pauses"], default=0.0) * 1000, 1),
        },
    }


def _machine() -> dict[str, Any]:
    return {**machine(), **database()}


def as_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, default=str)
