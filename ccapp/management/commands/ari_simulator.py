"""Run the ARI simulator in Asterisk's place: `python manage.py ari_simulator --port 8088`."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from ccapp.ari.simulator import Simulator


class Command(BaseCommand):
    help = "Serve a simulated Asterisk 22 ARI (REST + events websocket) with the /_sim control API."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8088)
        parser.add_argument(
            "--time-factor", type=float, default=1.0, help="speed up prompts, ringing, timers"
        )
        parser.add_argument("--app", default=settings.ARI_APP, help="the Stasis app inbound calls enter")
        parser.add_argument(
            "--recordings-dir", default="", help="where recordings are written (default: temp)"
        )
        parser.add_argument(
            "--agent-answer-after", type=float, default=1.0, help="seconds PJSIP/1001-1010 ring"
        )

    def handle(self, *args, **options) -> None:
        asyncio.run(self._serve(options))

    async def _serve(self, options: dict) -> None:
        recordings_dir = Path(options["recordings_dir"]) if options["recordings_dir"] else None
        if recordings_dir is not None:
            recordings_dir.mkdir(parents=True, exist_ok=True)
        sim = Simulator(
            username=settings.ARI_USERNAME,
            password=settings.ARI_PASSWORD,
            app=options["app"],
            host=options["host"],
            port=options["port"],
            time_factor=options["time_factor"],
            recordings_dir=recordings_dir,
            agent_answer_after=options["agent_answer_after"],
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await sim.serve()
        # the password is never printed: it is in the settings
        self.stdout.write(
            f"ARI simulator on {sim.url}/ari (user {sim.username}, app {sim.app}, "
            f"time factor {options['time_factor']:g}); control API under {sim.url}/_sim/"
        )
        self.stdout.flush()
        try:
            await stop.wait()
        finally:
            await sim.stop()
