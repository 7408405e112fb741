"""Simulate the call center with the real ACD engine and compare with Erlang C, or compare strategies."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ccapp.acd.sim import CallStream, QueueResult, Scenario, SimAgent, simulate
from ccapp.acd.types import Membership, QueueConfig, RelaxStep, SkillReq, Strategy
from ccapp.wfm import erlang, erlang_a


def single_queue(opts: dict[str, Any], seed: int, hours: float) -> Scenario:
    """One FCFS queue, identical agents: the M/M/c (+M) model of Erlang C (A)."""
    queue = QueueConfig(
        "q1", strategy=Strategy.LONGEST_IDLE, wrapup_seconds=opts["wrapup"], max_wait_seconds=None
    )
    return Scenario(
        queues=(queue,),
        streams=(CallStream("q1", opts["calls_per_hour"], patience_seconds=opts["patience"]),),
        agents=tuple(SimAgent(f"a{i}", (Membership("q1"),)) for i in range(opts["agents"])),
        aht_seconds=opts["aht"],
        handle_distribution=opts["handle_distribution"],
        duration_seconds=hours * 3600.0,
        warmup_seconds=opts["warmup_hours"] * 3600.0,
        sl_seconds=opts["sl_seconds"],
        seed=seed,
    )


def multi_skill(strategy: Strategy, seed: int, hours: float) -> Scenario:
    """Three queues sharing 34 agents of mixed skills and languages; skilled agents work faster."""
    relax = (RelaxStep(30.0, 3), RelaxStep(90.0, 10))
    queues = tuple(
        QueueConfig(
            q,
            strategy=strategy,
            wrapup_seconds=10.0,
            max_wait_seconds=None,
            relaxation=relax,
            announce_every_seconds=60.0,
            initial_handle_seconds=210.0,
        )
        for q in ("sales", "support", "billing")
    )
    streams = (
        CallStream("sales", 240, (SkillReq("sales", 3),), patience_seconds=180.0),
        CallStream("support", 300, (SkillReq("tech", 5),), patience_seconds=240.0, vip_fraction=0.05),
        CallStream("billing", 120, (SkillReq("billing", 4),), patience_seconds=180.0),
    )
    agents = []
    for i in range(34):
        # Levels cycle so every queue has experts, juniors and generalists.
        sales, tech, billing = 2 + (i * 3) % 9, 3 + (i * 5) % 8, 2 + (i * 7) % 9
        members = []
        for order, (q, level, need) in enumerate(
            (("sales", sales, 3), ("support", tech, 5), ("billing", billing, 4))
        ):
            if level >= need - 1:
                members.append(
                    Membership(q, penalty=0 if level >= need + 2 else 1, order=i * 3 + order, weight=level)
                )
        agents.append(
            SimAgent(f"a{i}", tuple(members), (("sales", sales), ("tech", tech), ("billing", billing)))
        )
    return Scenario(
        queues=queues,
        streams=streams,
        agents=tuple(agents),
        aht_seconds=200.0,
        handle_distribution="lognormal",
        duration_seconds=hours * 3600.0,
        warmup_seconds=3600.0,
        sl_seconds=20.0,
        seed=seed,
        skill_speed=0.06,
        tick_seconds=5.0,
    )


def _run(scenario: Scenario) -> dict[str, QueueResult]:
    return simulate(scenario)


def _pool_map(scenarios: list[Scenario], jobs: int) -> list[dict[str, QueueResult]]:
    if jobs <= 1 or len(scenarios) == 1:
        return [simulate(s) for s in scenarios]
    # Replications are independent: one process each, so every core simulates.
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return pool.map(_run, scenarios)


def _merge(results: list[QueueResult]) -> QueueResult:
    total = QueueResult()
    for r in results:
        total.offered += r.offered
        total.answered += r.answered
        total.answered_in_sl += r.answered_in_sl
        total.abandoned += r.abandoned
        total.overflowed += r.overflowed
        total.wait_sum += r.wait_sum
        total.busy_seconds += r.busy_seconds
        total.estimate_samples += r.estimate_samples
        total.estimate_error_sum += r.estimate_error_sum
        total.estimate_abs_error_sum += r.estimate_abs_error_sum
        total.members = r.members
    return total


def _ci95(values: list[float]) -> float:
    return 1.96 * statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan


class Command(BaseCommand):
    help = "Drive the ACD engine with simulated traffic; compare with Erlang C or compare strategies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--calls-per-hour", type=float, default=360.0)
        parser.add_argument("--aht", type=float, default=180.0, help="mean handle time, seconds")
        parser.add_argument("--agents", type=int, default=20)
        parser.add_argument("--sl-seconds", type=float, default=20.0)
        parser.add_argument("--wrapup", type=float, default=0.0, help="wrap-up seconds (Erlang C: 0)")
        parser.add_argument("--patience", type=float, default=None, help="mean patience, seconds")
        parser.add_argument(
            "--handle-distribution", choices=["exponential", "lognormal"], default="exponential"
        )
        parser.add_argument(
            "--calls", type=int, default=2_000_000, help="measured calls in total (after warm-up)"
        )
        parser.add_argument("--replications", type=int, default=8)
        parser.add_argument("--warmup-hours", type=float, default=2.0)
        parser.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 1))
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--compare-strategies", action="store_true")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        report = self._compare(opts) if opts["compare_strategies"] else self._against_erlang(opts)
        report["wall_seconds"] = round(time.perf_counter() - started, 1)
        if opts["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            for key, value in report.items():
                self.stdout.write(f"{key}: {value}")

    def _against_erlang(self, opts: dict[str, Any]) -> dict[str, Any]:
        reps = max(1, opts["replications"])
        hours = opts["calls"] / reps / opts["calls_per_hour"]
        scenarios = [single_queue(opts, opts["seed"] + 101 * r, hours) for r in range(reps)]
        per_rep = [res["q1"] for res in _pool_map(scenarios, opts["jobs"])]
        window = hours * 3600.0
        merged = _merge(per_rep).summary(window * reps)
        sims = [r.summary(window) for r in per_rep]
        aht = opts["aht"] + opts["wrapup"]  # wrap-up keeps the agent busy: part of the handle time
        formula = erlang.evaluate(opts["agents"], opts["calls_per_hour"], aht, opts["sl_seconds"])
        report: dict[str, Any] = {
            "scenario": {
                "calls_per_hour": opts["calls_per_hour"],
                "aht": opts["aht"],
                "wrapup": opts["wrapup"],
                "agents": opts["agents"],
                "sl_seconds": opts["sl_seconds"],
                "patience": opts["patience"],
                "handle_distribution": opts["handle_distribution"],
                "replications": reps,
                "hours_per_replication": round(hours, 1),
                "warmup_hours": opts["warmup_hours"],
                "seed": opts["seed"],
            },
            "erlang_c": {
                "service_level": formula.service_level,
                "asa": formula.asa,
                "probability_of_waiting": formula.probability_of_waiting,
                "occupancy": formula.occupancy,
            },
            "simulated": {
                **merged,
                "service_level_ci95": _ci95([s["service_level"] for s in sims]),
                "asa_ci95": _ci95([s["asa"] for s in sims]),
            },
        }
        report["difference"] = {
            "service_level_points": 100 * (merged["service_level"] - formula.service_level),
            "asa_percent": 100 * (merged["asa"] / formula.asa - 1) if formula.asa else math.nan,
        }
        if opts["patience"]:
            a = erlang_a.evaluate(
                opts["agents"], opts["calls_per_hour"], aht, opts["patience"], opts["sl_seconds"]
            )
            report["erlang_a"] = {
                "service_level": a.service_level,
                "abandon_rate": a.probability_of_abandon,
                "average_wait": a.average_wait,
            }
        return report

    def _compare(self, opts: dict[str, Any]) -> dict[str, Any]:
        hours = max(1.0, opts["calls"] / 660.0 / max(1, opts["replications"]))
        hours = min(hours, 40.0)
        strategies = list(Strategy)
        scenarios = [multi_skill(s, opts["seed"], hours) for s in strategies]
        out: dict[str, Any] = {"scenario": {"hours": hours, "seed": opts["seed"], "queues": 3, "agents": 34}}
        results = _pool_map(scenarios, opts["jobs"])
        per_strategy: dict[str, Any] = {}
        for strategy, res in zip(strategies, results, strict=True):
            window = hours * 3600.0
            total = _merge(list(res.values())).summary(window)
            total.pop("occupancy")
            per_strategy[strategy.value] = {
                "all": total,
                **{q: _short(r.summary(window)) for q, r in res.items()},
            }
        out["strategies"] = per_strategy
        return out


def _short(summary: dict[str, float | int]) -> dict[str, float | int]:
    keys = ("service_level", "asa", "abandon_rate", "occupancy", "estimate_bias", "estimate_mae")
    return {k: summary[k] for k in keys if k in summary}
