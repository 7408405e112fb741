"""Erlang B, C and A against published figures, limits and each other."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccapp.wfm import erlang, erlang_a

# The widely reproduced worked example: 100 calls per half hour, 180 s handle time, answer within 20 s;
# (agents, probability of waiting, service level, ASA in seconds) as its tables print them, rounded.
CLASSIC = [
    (11, 0.6821, 0.3896, 122.8),
    (12, 0.4494, 0.6402, 40.4),
    (13, 0.2853, 0.7956, 17.1),
    (14, 0.1741, 0.8884, 7.8),
]


@pytest.mark.parametrize(("agents", "pw", "sl", "asa"), CLASSIC)
def test_classic_table(agents: int, pw: float, sl: float, asa: float) -> None:
    r = erlang.evaluate(agents, 200, 180, 20)
    assert r.load == pytest.approx(10.0)
    assert r.probability_of_waiting == pytest.approx(pw, abs=5e-4)
    assert r.service_level == pytest.approx(sl, abs=5e-4)
    assert r.asa == pytest.approx(asa, abs=0.06)


def test_agents_needed_for_80_in_20_is_14_in_the_classic_example() -> None:
    assert erlang.agents_needed(200, 180, sl_target=0.8, sl_seconds=20) == 14
    assert erlang.agents_needed(200, 180, sl_target=0.8, sl_seconds=20, max_asa=5) == 15
    assert erlang.agents_needed(200, 180, sl_target=0.5, sl_seconds=20, max_occupancy=0.7) == 15


@pytest.mark.parametrize(
    ("servers", "load", "blocking"), [(10, 10.0, 0.2146), (5, 2.0, 0.0367), (1, 1.0, 0.5)]
)
def test_erlang_b_known_values(servers: int, load: float, blocking: float) -> None:
    assert erlang.erlang_b(servers, load) == pytest.approx(blocking, abs=1e-4)


def test_stable_for_thousands_of_agents() -> None:
    # 4,900 Erlangs on 5,000 agents: factorials would overflow a float long before this.
    r = erlang.evaluate(5000, 4900 * 20, 180, 20)
    assert 0.0 < r.probability_of_waiting < 1.0
    assert 0.0 < r.service_level < 1.0
    assert math.isfinite(r.asa)
    needed = erlang.agents_needed(4900 * 20, 180, sl_target=0.8, sl_seconds=20)
    assert 4900 < needed < 5000
    assert (
        erlang.service_level(needed, 4900, 180, 20) >= 0.8 > erlang.service_level(needed - 1, 4900, 180, 20)
    )


def test_overloaded_center_never_meets_a_target() -> None:
    assert erlang.erlang_c(10, 10.0) == 1.0
    assert erlang.asa(9, 10.0, 180) == math.inf
    assert erlang.service_level(9, 10.0, 180, 20) == 0.0


@given(agents=st.integers(1, 300), load=st.floats(0.1, 250), t=st.floats(0, 120))
def test_more_agents_never_hurt(agents: int, load: float, t: float) -> None:
    assert erlang.erlang_c(agents + 1, load) <= erlang.erlang_c(agents, load) + 1e-12
    assert (
        erlang.service_level(agents + 1, load, 180, t) >= erlang.service_level(agents, load, 180, t) - 1e-12
    )


def test_shrinkage() -> None:
    assert erlang.with_shrinkage(14, 0.3) == 20
    assert erlang.with_shrinkage(14, 0.0) == 14
    with pytest.raises(ValueError):
        erlang.with_shrinkage(14, 1.0)


def test_erlang_a_with_endless_patience_is_erlang_c() -> None:
    a = erlang_a.evaluate(13, 200, 180, 1e9, 20)
    c = erlang.evaluate(13, 200, 180, 20)
    assert a.probability_of_waiting == pytest.approx(c.probability_of_waiting, rel=1e-5)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-5)
    assert a.average_wait == pytest.approx(c.asa, rel=1e-4)
    assert a.probability_of_abandon < 1e-6


def test_erlang_a_impatience_lowers_waits_and_raises_abandons() -> None:
    patient = erlang_a.evaluate(20, 360, 180, 600, 20)
    impatient = erlang_a.evaluate(20, 360, 180, 60, 20)
    assert impatient.probability_of_abandon > patient.probability_of_abandon > 0
    assert impatient.average_wait < patient.average_wait
    # Overload is stable in Erlang A: callers leave instead of waiting for ever.
    overloaded = erlang_a.evaluate(10, 400, 180, 120, 20)
    assert 0.0 < overloaded.probability_of_abandon < 1.0
    assert overloaded.occupancy > 0.95


def test_erlang_a_scales_to_a_thousand_agents() -> None:
    r = erlang_a.evaluate(1000, 990 * 20, 180, 120, 20)
    assert 0.0 < r.probability_of_abandon < 0.05
    assert 0.5 < r.service_level <= 1.0
