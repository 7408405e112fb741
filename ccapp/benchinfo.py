"""What every benchmark prints beside its figures: the machine they were measured on."""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import sys
import time
from typing import Any

import psutil


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, Python and the load average (a shared machine explains low figures)."""
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), model
            )
    except OSError:
        pass
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "speed_probe_ms": speed_probe_ms(),
    }


def speed_probe_ms() -> float:
    """CPU milliseconds of a fixed pure-Python loop: about 57 on a free core of the reference machine.

    The machine's vCPUs are shared with other guests, and the same code runs up to half again slower
    at times; a figure well above the reference explains a weak run better than the load average.
    """
    started = time.process_time()
    total = 0
    for n in range(1_000_000):
        total += n * n % 7
    return round((time.process_time() - started) * 1000, 1)


def vacuum(*models: Any) -> None:
    """VACUUM the tables a benchmark writes: a run does not wade through the last one's dead rows.

    Production servers run autovacuum; where it is off (as on some test machines) the agents' table
    alone keeps thousands of dead versions after one run, and each later run gets slower. No ANALYZE:
    statistics of the emptied tables would make the planner expect them to stay empty while the run
    fills them.
    """
    from django.db import connection

    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {tables}")


def database() -> dict[str, Any]:
    """The PostgreSQL server's version and whether it runs autovacuum."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num'), current_setting('autovacuum')")
        version, autovacuum = cursor.fetchone()
    return {"postgresql": int(version), "autovacuum": autovacuum}


def percentile_ms(values: list[float], q: float, digits: int = 2) -> float | None:
    """The `q` quantile of durations in seconds, in milliseconds (None without values)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, digits)


async def start_simulator(factor: float) -> tuple[subprocess.Popen[str], str]:
    """The ARI simulator in a child process (`SIMULATOR_SCRIPT`) and its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-c", SIMULATOR_SCRIPT, str(factor)], stdout=subprocess.PIPE, text=True
    )
    line = await asyncio.get_running_loop().run_in_executor(None, process.stdout.readline)  # type: ignore[union-attr]
    return process, f"http://127.0.0.1:{int(line)}"


# The ARI simulator in a process of its own (so its CPU is not the benchmark's): prints its port, then
# serves until killed. argv[1] is the time factor.
SIMULATOR_SCRIPT = """
import asyncio, sys
from ccapp.ari.simulator.server import Simulator
async def main():
    sim = await Simulator.start(time_factor=float(sys.argv[1]))
    print(sim.port, flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""
