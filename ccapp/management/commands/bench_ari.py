"""Benchmark the ARI client against the in-process simulator: `python manage.py bench_ari --json`."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from ccapp.ari.client import AriClient
from ccapp.ari.dispatch import Dispatcher
from ccapp.ari.events import parse_event
from ccapp.ari.simulator import Simulator
from ccapp.benchinfo import machine

SAMPLES = Path(__file__).resolve().parents[2] / "ari" / "observed_events.json"


def rates(unit: str, count: int, started: float, cpu_started: float) -> dict[str, float]:
    """Per wall second and per CPU second of this process (the second holds on a busy, shared machine)."""
    seconds = time.perf_counter() - started
    cpu = max(time.process_time() - cpu_started, 1e-9)
    return {
        unit: count,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        f"{unit}_per_s": round(count / seconds),
        f"{unit}_per_cpu_s": round(count / cpu),
    }


def pin_to_one_core() -> int | None:
    """Run on one core so the figures mean 'per core' (Linux only)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


async def bench_parse_dispatch(count: int) -> dict[str, float]:
    """Parse raw JSON events (the Asterisk 22 samples, mixed) and dispatch them to a trivial handler."""
    samples = [json.dumps(e) for e in json.loads(SAMPLES.read_text()).values()]
    raws = [samples[i % len(samples)] for i in range(count)]
    dispatcher = Dispatcher()
    handled = 0

    def handler(event: Any) -> None:
        nonlocal handled
        handled += 1

    dispatcher.on("*", handler)
    cpu, started = time.process_time(), time.perf_counter()
    for raw in raws:
        event = parse_event(raw)
        if event is not None:
            dispatcher.submit(event)
        if dispatcher.busy_lanes > 256:
            await dispatcher.drain()
    await dispatcher.drain()
    assert handled == count
    return rates("events", count, started, cpu)


async def bench_websocket(sim: Simulator, client: AriClient, count: int) -> dict[str, float]:
    """Events emitted by the simulator, sent over the websocket, parsed and dispatched by the client."""
    channels = list(sim.world.channels.values())
    before = client.dispatcher.delivered
    cpu, started = time.process_time(), time.perf_counter()
    for i in range(count):
        channel = channels[i % len(channels)]
        sim.world.emit(sim.app, "ChannelVarset", variable="BENCH", value=str(i), channel=channel.json())
        if i % 500 == 499:
            await asyncio.sleep(0)  # let the socket writer and the client run, as a real peer would
    last, idle = -1, 0
    while (delivered := client.dispatcher.delivered - before) < count and idle < 5000:
        idle = idle + 1 if delivered == last else 0  # 5 s without progress: events were lost
        last = delivered
        await asyncio.sleep(0.001)
    result = rates("events", delivered, started, cpu)
    result["reconnects"] = client.stream.connections - 1
    return result


async def bench_rest(
    client: AriClient, channel_ids: list[str], count: int, concurrency: int
) -> dict[str, float]:
    """GET /channels/{id} round trips against the simulator (both in this process)."""

    async def worker(n: int) -> None:
        for i in range(n):
            await client.get_channel(channel_ids[i % len(channel_ids)])

    per_worker = count // concurrency
    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(per_worker) for _ in range(concurrency)))
    return {"concurrency": concurrency, **rates("calls", per_worker * concurrency, started, cpu)}


async def run(events: int, rest_calls: int) -> dict[str, Any]:
    """All benchmarks, one result dict."""
    results: dict[str, Any] = {"parse_and_dispatch": await bench_parse_dispatch(events)}
    sim = await Simulator.start(time_factor=1000)
    client = AriClient(sim.url, sim.username, sim.password, app=sim.app)
    client.on("*", lambda event: None)  # every event parsed and dispatched, as a worker's would be
    try:
        async with client:
            await client.wait_connected()
            calls = [await sim.dial(f"40{i:02d}") for i in range(50)]
            await sim.wait_for(lambda: client.dispatcher.delivered >= 51)
            ids = [c.channel_id for c in calls]
            results["websocket_end_to_end"] = await bench_websocket(sim, client, events)
            results["rest_sequential"] = await bench_rest(client, ids, rest_calls, 1)
            results["rest_concurrent"] = await bench_rest(client, ids, rest_calls, 10)
    finally:
        await sim.stop()
    return results


class Command(BaseCommand):
    help = "Measure ARI events/s parsed and dispatched and REST calls/s against the in-process simulator."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        parser.add_argument("--events", type=int, default=50_000)
        parser.add_argument("--rest-calls", type=int, default=3_000)

    def handle(self, *args, **options) -> None:
        core = pin_to_one_core()
        results = asyncio.run(run(options["events"], options["rest_calls"]))
        report = {
            "benchmark": "bench_ari",
            "pinned_core": core,
            "note": "simulator and client share this one core: REST and websocket figures are lower bounds",
            "results": results,
            "machine": machine(),
        }
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        for name, figures in results.items():
            self.stdout.write(f"{name}: {figures}")
        self.stdout.write(f"machine: {report['machine']}")
