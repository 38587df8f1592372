"""Aggregation and intervals: honest for people correlated within a run."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulator.analysis.results import (
    ASSUMED_DESIGN_EFFECT,
    clustered_interval,
    measured_design_effect,
    proportion_interval,
    t_quantile_975,
)
from simulator.runner import simulate_runs
from simulator.scenario import load


def test_t_quantile_matches_tables():
    assert t_quantile_975(5) == pytest.approx(2.5706, abs=1e-4)
    assert t_quantile_975(39) == pytest.approx(2.0227, abs=1e-4)
    assert t_quantile_975(1000) == pytest.approx(1.9623, abs=1e-4)
    assert t_quantile_975(0) == float("inf")


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (0, 200), (3, 40), (50, 100), (199, 200)])
def test_proportion_interval_is_scipys_exact_interval(k, n):
    exact = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    lo, hi = proportion_interval(float(k), float(n))
    assert lo == pytest.approx(exact.low, abs=1e-9) and hi == pytest.approx(exact.high, abs=1e-9)


def test_all_zero_runs_of_one_person_count_each_run_once():
    p, (lo, hi) = clustered_interval(np.zeros(200), np.ones(200))
    assert p == 0.0 and lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 200), rel=1e-9)


def test_a_role_of_one_person_is_an_exact_binomial_over_runs():
    exact = stats.binomtest(4, 6).proportion_ci(method="exact")
    p, (lo, hi) = clustered_interval(np.array([1.0, 1, 0, 1, 0, 1]), np.ones(6))
    assert p == pytest.approx(4 / 6)
    assert lo == pytest.approx(exact.low, abs=1e-9) and hi == pytest.approx(exact.high, abs=1e-9)


def test_all_zero_runs_of_many_people_use_the_people():
    """50 runs x 1000 people: 2,500 effective people (groups of 20), rule of three ~ 3.69/2500."""
    p, (lo, hi) = clustered_interval(np.zeros(50), np.full(50, 1000.0))
    n_eff = 50 * 1000 / ASSUMED_DESIGN_EFFECT
    assert p == 0.0 and lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / n_eff), rel=1e-9)


def test_a_million_people_in_one_run_are_not_one_observation():
    p, (lo, hi) = clustered_interval(np.zeros(1), np.array([1_000_000.0]))
    assert p == 0.0 and lo == 0.0 and hi < 1e-4


def test_one_run_widens_the_people_level_interval_by_the_assumed_design_effect():
    p, (lo, hi) = clustered_interval(np.array([30.0]), np.array([100.0]))
    assert p == 0.3
    assert (lo, hi) == proportion_interval(
        30.0 / ASSUMED_DESIGN_EFFECT, 100.0 / ASSUMED_DESIGN_EFFECT
    )
    assert 0.0 < lo < 0.3 < hi < 1.0
    assert clustered_interval(np.array([1.0]), np.array([1.0]))[1] == (0.025, 1.0)


def _coverage(method, rng, replications=2000, runs=40, people=100):
    """Share of replications whose interval covers the true mean of a clustered process."""
    covered = 0
    for _ in range(replications):
        # Each run has its own exposure chance (a cascade makes people of one run move together).
        chance = rng.beta(2, 6, size=runs)
        exposed = rng.binomial(people, chance).astype(float)
        n = np.full(runs, float(people))
        lo, hi = method(exposed, n)
        covered += lo <= 0.25 <= hi
    return covered / replications


def test_clustered_interval_covers_at_the_nominal_rate():
    """2000 replications: the coverage estimate has se ~0.005; accept 0.93-0.975 (4 se)."""
    coverage = _coverage(lambda x, n: clustered_interval(x, n)[1], np.random.default_rng(4))
    assert 0.93 <= coverage <= 0.975
    naive = _coverage(lambda x, n: proportion_interval(x.sum(), n.sum()), np.random.default_rng(4))
    assert naive < 0.6, "ignoring the clustering would claim far too much precision"


@pytest.mark.parametrize("runs,chance", [(1, 2e-4), (1, 3e-3), (5, 5e-5), (1, 0.3)])
def test_few_runs_cover_when_groups_are_no_larger_than_assumed(runs, chance):
    """People fall in groups of ASSUMED_DESIGN_EFFECT, each group exposed together.

    Many replications end with nobody exposed; the interval must still cover the true share in
    at least 95% of them, less 4 se of the coverage estimate (1000 replications: se <= 0.007).
    """
    rng = np.random.default_rng(11)
    size = int(ASSUMED_DESIGN_EFFECT)
    groups, replications = 500, 1000
    covered = 0
    for _ in range(replications):
        exposed = size * rng.binomial(groups, chance, size=runs).astype(float)
        lo, hi = clustered_interval(exposed, np.full(runs, float(groups * size)))[1]
        covered += lo <= chance <= hi
    assert covered / replications >= 0.95 - 4 * 0.007


@pytest.mark.parametrize("name", ["group-chat", "protest-phone-check", "border-phone"])
def test_bundled_scenarios_stay_within_the_assumed_design_effect(name):
    """The assumption used where runs cannot measure it, checked where they can (100 runs)."""
    s = load(name).scenario
    summaries = simulate_runs(s, 100, 1, 1)
    people = np.concatenate([b.people for b in summaries]).astype(float)
    exposed = np.concatenate([b.exposures for b in summaries]).sum(axis=2).astype(float)
    groups = [(exposed[:, k], people[:, k]) for k in range(people.shape[1])]
    groups.append((exposed.sum(axis=1), people.sum(axis=1)))
    measured = [measured_design_effect(x, n) for x, n in groups]
    assert any(d is not None for d in measured)
    assert all(d is None or d <= ASSUMED_DESIGN_EFFECT for d in measured), measured


def test_the_percentile_is_numpys_to_the_last_bit():
    """results.percentile stands in for np.percentile (whose import of numpy.ma costs every
    simulating command 7 ms): the same float for counts, spread-out reals and ties."""
    from simulator.analysis.results import percentile

    rng = np.random.default_rng(3)
    for i in range(3000):
        size = int(rng.integers(1, 300))
        values = (
            rng.integers(0, 40, size),
            rng.random(size) * 10.0 ** int(rng.integers(-3, 6)),
            rng.poisson(1.5, size),
        )[i % 3]
        for q in (0, 2.5, 33.3, 50, 95, 97.5, 100):
            assert percentile(values, q) == float(np.percentile(values, q))
