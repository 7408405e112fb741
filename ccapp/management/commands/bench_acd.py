"""Benchmark one ACD routing decision in a large center: 1,000 agents, 1,000 queued calls, 20 queues."""

from __future__ import annotations

import gc
import json
import os
import random
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ccapp.acd import (
    AcdState,
    AgentState,
    AgentStateChanged,
    CallEnded,
    CallQueued,
    Membership,
    OfferAnswered,
    OfferCall,
    QueueConfig,
    SkillReq,
    Strategy,
    handle,
    initial_state,
)
from ccapp.benchinfo import machine

SKILLS = ("sales", "tech", "billing", "claims", "retention")
QUEUES = 20
AGENTS = 1000
FRENCH_AGENTS = 200
WAITING = 1000


def build_center(strategy: Strategy, seed: int) -> tuple[AcdState, list[str]]:
    """A center at full size: 800 ready agents, 200 on call, 1,000 calls waiting for them.

    The waiting calls need French, which only the 200 busy agents speak, so the state is a legal
    engine state (no ready agent may take a waiting call) with both 1,000 calls and 800 idle agents.
    Returns the state and the calls the French agents are on.
    """
    rng = random.Random(seed)
    queues = [QueueConfig(f"q{i}", strategy=strategy, wrapup_seconds=0.0) for i in range(QUEUES)]
    state = initial_state(queues, seed=seed)
    now = 0.0
    busy_calls = []
    for i in range(AGENTS):
        members = tuple(
            Membership(f"q{q}", penalty=rng.choice((0, 0, 1)), order=i) for q in rng.sample(range(QUEUES), 3)
        )
        skills = tuple((s, rng.randint(1, 10)) for s in rng.sample(SKILLS, 3))
        french = i < FRENCH_AGENTS
        languages = frozenset({"en", "fr"} if french else {"en"})
        now += 0.01
        state, _ = handle(
            state,
            AgentStateChanged(f"a{i}", AgentState.READY, members, skills, languages),
            now=now,
        )
        if french:
            # Put the French speaker on a call of their first queue, so they are busy.
            call_id = f"busy{i}"
            state, commands = handle(state, CallQueued(call_id, members[0].queue_id, language="fr"), now=now)
            offer = next(c for c in commands if isinstance(c, OfferCall))
            state, _ = handle(state, OfferAnswered(call_id, offer.agent_ids[0]), now=now)
            busy_calls.append(call_id)
    for n in range(WAITING):
        now += 0.01
        skill = SkillReq(rng.choice(SKILLS), rng.randint(1, 5))
        event = CallQueued(
            f"w{n}", f"q{rng.randrange(QUEUES)}", rng.choice((0, 0, 0, 1)), (skill,), language="fr"
        )
        state, commands = handle(state, event, now=now)
        assert not commands, "the waiting calls must stay queued"
    return state, busy_calls


def _percentiles(samples_ns: list[int]) -> dict[str, float]:
    samples = sorted(samples_ns)
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] / 1000.0  # noqa: E731
    mean = statistics.fmean(samples) / 1000.0
    return {
        "p50_us": pick(0.50),
        "p99_us": pick(0.99),
        "max_us": samples[-1] / 1000.0,
        "mean_us": mean,
        "decisions_per_second": 1e6 / mean,
        "samples": len(samples),
    }


def bench(strategy: Strategy, samples: int, seed: int) -> dict[str, Any]:
    """Time the two routing decisions against one fixed large state (pure engine: the state is reused)."""
    state, busy_calls = build_center(strategy, seed)
    rng = random.Random(seed + 1)
    now = 100.0
    # Wall time per decision, and the thread's CPU time: on a shared machine the scheduler's preemptions
    # land in the wall-clock tail, while CPU time is what the decision itself costs.
    arrive, free, arrive_cpu, free_cpu = [], [], [], []
    offered = 0
    gc.collect()
    for n in range(samples):
        # A call arrives: pick an agent among the ~40 ready members of its queue.
        event = CallQueued(
            f"new{n}", f"q{rng.randrange(QUEUES)}", 0, (SkillReq(rng.choice(SKILLS), rng.randint(1, 4)),)
        )
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        _, commands = handle(state, event, now=now)
        arrive.append(time.perf_counter_ns() - t0)
        arrive_cpu.append(time.thread_time_ns() - c0)
        offered += any(isinstance(c, OfferCall) for c in commands)
        # An agent frees up: pick the best of the waiting calls of their three queues.
        ended = CallEnded(busy_calls[n % len(busy_calls)])
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        _, commands = handle(state, ended, now=now)
        free.append(time.perf_counter_ns() - t0)
        free_cpu.append(time.thread_time_ns() - c0)
        offered += any(isinstance(c, OfferCall) for c in commands)
    ready = sum(len(t) for tiers in state.ready.values() for t in tiers.values())
    return {
        "strategy": strategy.value,
        "state": {
            "agents": len(state.agents),
            "ready_agents": sum(1 for a in state.agents.values() if a.state == AgentState.READY),
            "ready_memberships": ready,
            "queued_calls": sum(len(lane) for lanes in state.lanes.values() for lane in lanes.values()),
            "queues": len(state.queues),
        },
        "call_arrives": _percentiles(arrive),
        "agent_frees_up": _percentiles(free),
        "all_decisions": _percentiles(arrive + free),
        "cpu_time": {
            "call_arrives": _percentiles(arrive_cpu),
            "agent_frees_up": _percentiles(free_cpu),
            "all_decisions": _percentiles(arrive_cpu + free_cpu),
        },
        "decisions_that_offered": offered,
    }


class Command(BaseCommand):
    help = "Time one ACD routing decision with 1,000 agents and 1,000 queued calls across 20 queues."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--samples", type=int, default=3000, help="decisions of each kind to time")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--strategy", action="append", choices=[s.value for s in Strategy], help="repeatable"
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised
        strategies = [Strategy(s) for s in opts["strategy"] or ("longest_idle", "skills_based")]
        # Other processes compete for the core: say how busy the machine was.
        load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else []
        report = {
            "machine": {**machine(), "load_average": load},
            "one_core": hasattr(os, "sched_setaffinity"),
            "results": [bench(s, opts["samples"], opts["seed"]) for s in strategies],
        }
        if opts["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        for r in report["results"]:
            for kind in ("call_arrives", "agent_frees_up"):
                f = r[kind]
                self.stdout.write(
                    f"{r['strategy']:>14} {kind:>15}: p50 {f['p50_us']:.0f} us, p99 {f['p99_us']:.0f} us, "
                    f"{f['decisions_per_second']:.0f}/s"
                )
