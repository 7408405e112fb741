"""`manage.py bench_stasis --calls 2000 --rate 50 --json`: the worker under load against the simulator."""

from __future__ import annotations

import asyncio
import logging

from django.core.management.base import BaseCommand

from ccapp.stasis.bench import Options, as_json, bench


class Command(BaseCommand):
    help = "Push calls through the real Stasis worker against the ARI simulator and print the figures."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--calls", type=int, default=2000)
        parser.add_argument("--rate", type=float, default=50.0, help="new calls per real second")
        parser.add_argument("--agents", type=int, default=80)
        parser.add_argument(
            "--time-factor", type=float, default=20.0, help="simulated seconds per real second"
        )
        parser.add_argument("--talk-seconds", type=float, default=10.0, help="simulated talk time per call")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="stasis worker processes, each on an ARI application of its own (calls spread evenly)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON only")

    def handle(self, *args, **options) -> None:
        logging.basicConfig(level=logging.WARNING)
        run = Options(
            calls=options["calls"],
            rate=options["rate"],
            agents=options["agents"],
            time_factor=options["time_factor"],
            talk_seconds=options["talk_seconds"],
            workers=options["workers"],
        )
        report = asyncio.run(bench(run))
        if options["json"]:
            self.stdout.write(as_json(report))
            return
        for key, value in report.items():
            self.stdout.write(f"{key}: {value}")
