"""The management commands: `ari_simulator` serves, `bench_ari --json` prints figures and the machine."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import sys
from io import StringIO
from pathlib import Path

import aiohttp
from django.conf import settings
from django.core.management import call_command

from ccapp.management.commands import bench_ari

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_ari_simulator_command_serves_asterisks_paths():
    port = free_port()
    env = os.environ | {"ARI_USERNAME": "ccapp", "ARI_PASSWORD": "cmd-secret"}
    env.setdefault("SECRET_KEY", "test-only-" + "k" * 50)
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "manage.py"), "ari_simulator", "--port", str(port), "--time-factor", "20",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        banner = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert f"127.0.0.1:{port}/ari" in banner
        assert "cmd-secret" not in banner
        auth = {"Authorization": "Basic " + base64.b64encode(b"ccapp:cmd-secret").decode()}
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/ari/channels", headers=auth) as response:
                assert (response.status, await response.json()) == (200, [])
            async with http.get(f"http://127.0.0.1:{port}/ari/channels") as response:
                assert response.status == 401
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0


def test_bench_ari_prints_json_with_figures_and_machine(monkeypatch):
    monkeypatch.setattr(bench_ari, "pin_to_one_core", lambda: None)  # leave the test runner's affinity alone
    out = StringIO()
    call_command("bench_ari", "--json", "--events", "300", "--rest-calls", "20", stdout=out)
    report = json.loads(out.getvalue())
    results = report["results"]
    assert results["parse_and_dispatch"]["events"] == 300
    assert results["websocket_end_to_end"]["events_per_s"] > 0
    assert results["rest_sequential"]["calls"] == 20
    assert set(report["machine"]) >= {"cpu_model", "cores", "python"}
    assert settings.ARI_USERNAME  # the command reads credentials from settings, not the command line
