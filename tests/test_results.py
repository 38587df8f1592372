"""Aggregation and intervals: honest for people correlated within a run."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.analysis.results import clustered_interval, t_quantile_975, wilson


def test_t_quantile_matches_tables():
    assert t_quantile_975(5) == pytest.approx(2.5706, abs=5e-3)
    assert t_quantile_975(39) == pytest.approx(2.0227, abs=1e-3)
    assert t_quantile_975(1000) == pytest.approx(1.9623, abs=1e-3)


def test_wilson_known_values():
    lo, hi = wilson(0.5, 100)
    assert lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    lo, hi = wilson(0.0, 200)
    assert lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(0.0188, abs=1e-3)


def test_all_zero_runs_give_a_conservative_upper_bound():
    p, (lo, hi) = clustered_interval(np.zeros(50), np.full(50, 1000.0))
    assert p == 0.0 and lo == 0.0 and 0.05 < hi < 0.1  # each run counts as one observation


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
    """2000 replications: the coverage estimate has se ~0.005; accept 0.925-0.975."""
    coverage = _coverage(lambda x, n: clustered_interval(x, n)[1], np.random.default_rng(4))
    assert 0.925 <= coverage <= 0.975
    naive = _coverage(lambda x, n: wilson(x.sum() / n.sum(), n.sum()), np.random.default_rng(4))
    assert naive < 0.6, "ignoring the clustering would claim far too much precision"


def test_one_run_gives_no_interval():
    p, ci = clustered_interval(np.array([30.0]), np.array([100.0]))
    assert p == 0.3 and ci == (0.0, 1.0)
