"""What every benchmark prints beside its figures: the machine they were measured on."""

from __future__ import annotations

import os
import platform
import sys
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
    }


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
