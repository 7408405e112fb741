"""Place simulated calls through the ARI simulator so the demo call center moves.

Random callers from the demo customers dial the hotline, walk the IVR, wait, and some hang up early;
the demo agents' phones answer after a few seconds. Needs `make run` (or the simulator and
`run_stasis`) running with no ARI_URL pointing at a real Asterisk.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ccapp.models import Agent, AgentState

# (digits pressed in the main IVR, weight): sales, support, order status, English, agent at once
IVR_CHOICES = [("11", 4), ("12", 5), ("13" + "20261123#", 2), ("21", 1), ("10", 1)]
FALLBACK_CALLERS = ["+8613800138000", "+8613912345678", "+861088886666", "+14155550100"]


class Command(BaseCommand):
    help = "Place simulated calls (random demo customers, IVR choices, hang-ups) through the ARI simulator."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rate", type=float, default=6.0, help="calls per minute (default 6)")
        parser.add_argument(
            "--calls", type=int, default=0, help="stop after this many calls (0: until Ctrl-C)"
        )
        parser.add_argument("--dnis", default="4000")
        parser.add_argument("--abandon", type=float, default=0.1, help="share of callers who hang up early")
        parser.add_argument("--ready", action="store_true", help="also set every demo agent ready")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rate"] <= 0:
            raise CommandError("--rate must be above 0 calls per minute.")
        rng = random.Random(options["seed"])
        callers = self._callers() or FALLBACK_CALLERS
        with httpx.Client(base_url=settings.ARI_URL, auth=(settings.ARI_USERNAME, settings.ARI_PASSWORD),
                          timeout=5) as client:  # fmt: skip
            self._check_simulator(client)
            self._prepare_agents(client, ready=options["ready"])
            placed = 0
            # Each caller lives in its own thread: it waits for the menu, presses, then stays on the line
            # for a while (waiting and talking) before hanging up, so calls overlap as in life.
            with ThreadPoolExecutor(max_workers=64) as pool:
                try:
                    while not options["calls"] or placed < options["calls"]:
                        pool.submit(
                            self._place_call,
                            client,
                            random.Random(rng.random()),
                            rng.choice(callers),
                            options,
                        )
                        placed += 1
                        time.sleep(rng.expovariate(options["rate"] / 60.0))
                except KeyboardInterrupt:
                    pool.shutdown(wait=False, cancel_futures=True)
        self.stdout.write(self.style.SUCCESS(f"placed {placed} calls"))

    def _callers(self) -> list[str]:
        try:
            from crm.models import CustomerPhone
        except ImportError:
            return []
        return list(CustomerPhone.objects.exclude(number="").values_list("number", flat=True)[:500])

    def _check_simulator(self, client: httpx.Client) -> None:
        try:
            response = client.get("/_sim/status")
        except httpx.HTTPError as exc:
            raise CommandError(
                f"No ARI simulator answers at ARI_URL ({type(exc).__name__}); start `make run`."
            ) from exc
        if response.status_code != 200:
            raise CommandError(
                "ARI_URL is not the project's simulator (no /_sim/status); demo calls need it."
            )
        if not response.json().get("apps_connected"):
            self.stderr.write("warning: no stasis worker is connected; callers will be rejected (603)")

    def _prepare_agents(self, client: httpx.Client, *, ready: bool) -> None:
        from ccapp.services import set_agent_state

        for agent in Agent.objects.all():
            client.put(
                f"/_sim/agents/{quote(agent.endpoint, safe='')}", json={"behaviour": "answer", "after": 3.0}
            )
            if ready and agent.state != AgentState.READY:
                set_agent_state(agent_id=agent.pk, state=AgentState.READY)

    def _place_call(self, client: httpx.Client, rng: random.Random, caller: str, options: dict) -> None:
        response = client.post("/_sim/calls", json={"dnis": options["dnis"], "caller": caller})
        if response.status_code != 201:
            self.stderr.write(f"call from {caller} rejected: {response.text}")
            return
        channel = response.json()["channel_id"]
        digits = rng.choices([c for c, _ in IVR_CHOICES], weights=[w for _, w in IVR_CHOICES])[0]
        time.sleep(2.0)  # the greeting starts; menus take digits while their prompt plays
        client.post(f"/_sim/calls/{channel}/dtmf", json={"digits": digits})
        self.stdout.write(f"{caller} dialled {options['dnis']} and pressed {digits}")
        stay = rng.uniform(5, 20) if rng.random() < options["abandon"] else rng.expovariate(1 / 90.0) + 20
        time.sleep(stay)
        client.post(f"/_sim/calls/{channel}/hangup", json={"how": "bye"})
