"""`manage.py bench_realtime --agents 200 --json`: screen-pop latency and lost messages on real websockets."""

from __future__ import annotations

import asyncio
import json
import logging

from django.core.management.base import BaseCommand

from ccapp.desk.bench import Options, bench


class Command(BaseCommand):
    help = "Agent desktops + wallboard on real websockets under simulated calls: StasisStart to screen pop."

    def add_arguments(self, parser) -> None:
        defaults = Options()
        parser.add_argument("--agents", type=int, default=defaults.agents)
        parser.add_argument("--calls", type=int, default=defaults.calls)
        parser.add_argument("--rate", type=float, default=defaults.rate, help="calls per second")
        parser.add_argument("--time-factor", type=float, default=defaults.time_factor)
        parser.add_argument("--json", action="store_true", help="print the figures as JSON only")

    def handle(self, *args, **options) -> None:
        logging.basicConfig(level=logging.WARNING)
        opts = Options(
            agents=options["agents"],
            calls=options["calls"],
            rate=options["rate"],
            time_factor=options["time_factor"],
        )
        report = asyncio.run(bench(opts))
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        pop = report["stasis_start_to_screen_pop_ms"]
        self.stdout.write(
            f"{report['agents_connected']} agents, {report['calls_answered']} calls answered: "
            f"pop p50 {pop['p50']} ms, p99 {pop['p99']} ms; lost {report['messages_lost']}"
        )
