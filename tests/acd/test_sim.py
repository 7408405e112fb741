"""The simulator drives the real engine; on Erlang's own assumptions it must reproduce Erlang C and A."""

from __future__ import annotations

import random
import statistics

from ccapp.acd import Membership, QueueConfig, SkillReq, Strategy
from ccapp.acd.sim import CallStream, Scenario, SimAgent, handle_time, simulate
from ccapp.management.commands.simulate_center import multi_skill
from ccapp.wfm import erlang, erlang_a


def one_queue(
    agents: int, calls_per_hour: float, aht: float, sl: float, hours: float, **kw: object
) -> Scenario:
    patience = kw.pop("patience", None)
    return Scenario(
        queues=(QueueConfig("q", wrapup_seconds=0, max_wait_seconds=None),),
        streams=(CallStream("q", calls_per_hour, patience_seconds=patience),),  # type: ignore[arg-type]
        agents=tuple(SimAgent(f"a{i}", (Membership("q"),)) for i in range(agents)),
        aht_seconds=aht,
        sl_seconds=sl,
        duration_seconds=hours * 3600,
        warmup_seconds=1800,
        **kw,  # type: ignore[arg-type]
    )


def replicate(scenarios: list[Scenario]) -> dict[str, tuple[float, float]]:
    """Mean and standard error of each figure over independent replications."""
    runs = [simulate(s)["q"].summary(s.duration_seconds) for s in scenarios]
    out = {}
    for key in ("service_level", "asa", "abandon_rate", "occupancy"):
        values = [r[key] for r in runs]
        out[key] = (statistics.fmean(values), statistics.stdev(values) / len(values) ** 0.5)
    return out


def test_simulated_mmc_agrees_with_erlang_c() -> None:
    # Six independent replications of 10,000 calls (2 agents, 50 % occupancy). Waits are autocorrelated, so
    # the replications, not the calls, give the error: Erlang C must lie within 4 standard errors (a t-test
    # with 5 degrees of freedom fails by chance about 1 % of seeds), and the standard errors must be small
    # enough for that check to have teeth.
    stats = replicate([one_queue(2, 120, 30, 10, 10_000 / 120, seed=seed) for seed in range(1, 7)])
    formula = erlang.evaluate(2, 120, 30, 10)
    (sl, sl_se), (asa, asa_se) = stats["service_level"], stats["asa"]
    assert sl_se < 0.006 and asa_se < 0.05 * formula.asa
    assert abs(sl - formula.service_level) < 4 * sl_se
    assert abs(asa - formula.asa) < 4 * asa_se
    assert abs(stats["occupancy"][0] - formula.occupancy) < 4 * stats["occupancy"][1] + 0.002


def test_simulated_abandons_agree_with_erlang_a() -> None:
    scenarios = [one_queue(6, 648, 30, 10, 4000 / 648, seed=seed, patience=20.0) for seed in range(1, 7)]
    stats = replicate(scenarios)  # 5.4 Erlangs on 6 agents, mean patience 20 s
    formula = erlang_a.evaluate(6, 648, 30, 20.0, 10)
    (abandon, abandon_se), (sl, sl_se) = stats["abandon_rate"], stats["service_level"]
    assert abandon_se < 0.01 and sl_se < 0.015
    assert abs(abandon - formula.probability_of_abandon) < 4 * abandon_se
    assert abs(sl - formula.service_level) < 4 * sl_se


def test_same_seed_same_result_and_lognormal_keeps_the_mean() -> None:
    a = simulate(one_queue(3, 60, 100, 20, 3, seed=1, handle_distribution="lognormal"))["q"]
    b = simulate(one_queue(3, 60, 100, 20, 3, seed=1, handle_distribution="lognormal"))["q"]
    assert a.summary(1) == b.summary(1)
    rng = random.Random(4)
    scenario = one_queue(1, 1, 100, 20, 1, handle_distribution="lognormal")
    draws = [handle_time(rng, scenario) for _ in range(40_000)]
    assert abs(statistics.fmean(draws) / 100 - 1) < 0.02
    assert statistics.median(draws) < 90  # skewed, as handle times are


def test_multi_skill_scenario_runs_every_strategy() -> None:
    for strategy in Strategy:
        results = simulate(multi_skill(strategy, seed=3, hours=0.5))
        assert set(results) == {"sales", "support", "billing"}
        for r in results.values():
            s = r.summary(1800)
            assert s["offered"] > 0
            assert s["answered"] + s["abandoned"] >= s["offered"] - 40  # a few still in the system
            assert 0.0 <= s["service_level"] <= 1.0
            # Announcements are on: the first estimate of every queued call is scored against its wait.
            assert s["estimate_samples"] > 0 and s["estimate_mae"] >= 0


def test_skill_needs_reach_the_engine() -> None:
    scenario = Scenario(
        queues=(QueueConfig("q", wrapup_seconds=0, max_wait_seconds=60),),
        streams=(CallStream("q", 120, (SkillReq("tech", 9),)),),
        agents=(SimAgent("a", (Membership("q"),), (("tech", 3),)),),
        duration_seconds=1800,
        warmup_seconds=0,
        tick_seconds=5,
    )
    r = simulate(scenario)["q"]
    assert r.answered == 0 and r.overflowed > 0  # nobody may take them: they overflow at max wait
