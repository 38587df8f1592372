"""The beta and t quantiles behind every printed interval, against exact values and scipy.

analysis/beta.py computes them without importing scipy (which takes longer than a small
simulation). Its answers are checked against mpmath at 40 digits where mpmath's own incomplete
beta converges (to a relative 1e-12, a thousand times the rounding of the last step), and against
scipy across the counts the commands print (to a relative 1e-7: in that range scipy's own log-beta
loses up to about 1e-9, so the two differ by more than either's error).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from scipy import stats
from scipy.special import betainc

from simulator.analysis.beta import LOWEST_LEVEL, beta_quantile, incomplete_beta
from simulator.analysis.results import Z95, proportion_interval, t_quantile_975

mp.mp.dps = 40

# (level, a, b): the 95% levels a Clopper–Pearson interval asks for, the t-corrected levels of
# 200 and 40 runs, and shapes from one exposed in two runs to thousands of effective people.
EXACT_CASES = [
    (level, a, b)
    for level in (0.025, 0.975, 0.0243, 0.9757, 0.05, 0.95, 0.5, 1e-4)
    for a, b in [
        (1.0, 1.0),
        (0.3, 5.0),
        (1.0, 200.0),
        (4.0, 197.0),
        (0.5, 99.5),
        (37.25, 900.5),
        (640.8, 5000.0),
        (19.9, 20.1),
        (120.0, 3.5),
    ]
]


def exact_quantile(level: float, a: float, b: float) -> mp.mpf:
    a_, b_ = mp.mpf(a), mp.mpf(b)
    start = mp.mpf(float(stats.beta.ppf(level, a, b)))
    return mp.findroot(
        lambda x: mp.re(mp.betainc(a_, b_, 0, x, regularized=True)) - mp.mpf(level), start
    )


@pytest.mark.parametrize("level,a,b", EXACT_CASES)
def test_the_quantile_is_the_exact_one(level, a, b):
    found = beta_quantile(level, a, b)
    assert found is not None
    exact = exact_quantile(level, a, b)
    assert abs(mp.mpf(found) - exact) <= 1e-12 * exact


@pytest.mark.parametrize("x", [1e-9, 1e-4, 0.01, 0.3, 0.5, 0.77, 0.999])
@pytest.mark.parametrize("a,b", [(0.5, 0.5), (1.0, 3.0), (12.0, 40.0), (300.0, 2.0), (25.0, 25.0)])
def test_the_incomplete_beta_is_the_exact_one(x, a, b):
    found = incomplete_beta(x, a, b)
    exact = mp.re(mp.betainc(mp.mpf(a), mp.mpf(b), 0, mp.mpf(x), regularized=True))
    assert found is not None
    assert abs(mp.mpf(found) - exact) <= 1e-13 * max(exact, mp.mpf(1e-300)) + 1e-300


def test_large_counts_keep_their_digits():
    """Ten million effective people: the log-beta's three log-gammas would cancel eight digits;
    the quantile still solves its equation to the last few (mpmath's series, summed long)."""
    a, b, level = 1000.0, 9_999_001.0, 0.975
    x = beta_quantile(level, a, b)
    assert x is not None
    a_, b_, x_ = mp.mpf(a), mp.mpf(b), mp.mpf(x)
    value = x_**a_ * (1 - x_) ** b_ / (a_ * mp.beta(a_, b_))
    value *= mp.hyp2f1(a_ + b_, 1, a_ + 1, x_, maxterms=10**6)
    assert abs(value - level) < 1e-10
    assert betainc(a, b, x) == pytest.approx(level, abs=1e-7)  # scipy agrees, to its precision


def _tail_exact(x: float, a: float, b: float, upper: bool) -> mp.mpf:
    """I_x(a, b), or 1 - I_x(a, b), at 40 digits: x^a (1 - x)^b / (a B(a, b)) 2F1(a + b, 1;
    a + 1; x), the upper tail as the lower one of (b, a) at 1 - x (mpmath's betainc gives up on
    shapes of a hundred thousand)."""
    if upper:
        x, a, b = 1.0 - mp.mpf(x), b, a
    a_, b_, x_ = mp.mpf(a), mp.mpf(b), mp.mpf(x)
    log_front = a_ * mp.log(x_) + b_ * mp.log1p(-x_) - mp.log(a_) - mp.log(mp.beta(a_, b_))
    return mp.exp(log_front) * mp.hyp2f1(a_ + b_, 1, a_ + 1, x_, maxterms=10**7)


# Tail levels: those of the t-corrected 95% intervals of two and three runs (2.8e-37 and 8.4e-6
# on each side, as 1 - level above a half) and others between, on the shapes above and on those
# of three runs of a hundred thousand people.
TAIL_LEVELS = [1e-5, 8.438262934715844e-06, 1e-12, 2.8e-37, LOWEST_LEVEL, 1.0 - 1e-5]
TAIL_LEVELS += [1.0 - 8.438262934715844e-06, 1.0 - 1e-12]
TAIL_SHAPES = [(1.0, 1.0), (0.3, 5.0), (4.0, 197.0), (0.5, 99.5), (37.25, 900.5)]
TAIL_SHAPES += [(640.8, 5000.0), (120.0, 3.5), (2.5, 0.5), (125884.5, 6473.7), (6472.7, 125885.5)]


@pytest.mark.parametrize("level", TAIL_LEVELS)
@pytest.mark.parametrize("given", ["as a level", "as an upper tail"])
def test_a_level_far_in_a_tail_is_the_exact_quantile(level, given):
    """Where the quantile lies within a relative 1e-12: the tail 1e-12 below and above it lies
    on either side of the level (of its complement, for levels above a half). An upper tail is
    also asked for as itself, as the upper end of an interval is."""
    upper = level > 0.5
    target = 1 - mp.mpf(level) if upper else mp.mpf(level)
    for a, b in TAIL_SHAPES:
        if given == "as a level":
            x = beta_quantile(level, a, b)
        else:  # the upper tail of (b, a) holds what the lower tail of (a, b) does, at 1 - x
            tail = beta_quantile(level, b, a, upper=True)
            x = None if tail is None else 1.0 - tail
            if x is not None and not 0.0 < x < 1.0:
                continue  # 1 - x rounds away the digits checked here
        assert x is not None, (level, a, b)
        assert 0.0 <= x <= 1.0
        below = _tail_exact(x * (1.0 - 1e-12), a, b, upper)
        above = _tail_exact(min(x * (1.0 + 1e-12), (1.0 + x) / 2.0), a, b, upper)
        if given == "as an upper tail":  # 1 - x keeps x's digits only to about 1e-16 / x
            slack = 1e-16 / x
            below = _tail_exact(x * (1.0 - 1e-12 - slack), a, b, upper)
            above = _tail_exact(min(x * (1.0 + 1e-12 + slack), (1.0 + x) / 2.0), a, b, upper)
        assert (below <= target <= above) if not upper else (above <= target <= below), (a, b)


def test_the_upper_end_of_a_two_run_interval_is_below_one():
    """Corrected by Student's t for two runs, a 95% interval's upper tail holds 2.8e-37, which
    as a level (1 - 2.8e-37) is 1.0 itself: the upper end is asked for by its tail."""
    z = t_quantile_975(1)
    alpha = 2.0 * float(stats.norm.sf(z))
    low, high = proportion_interval(76113.0, 80000.0, z=z)
    assert high < 1.0
    assert high == pytest.approx(float(stats.beta.isf(alpha / 2.0, 76114.0, 3887.0)), rel=1e-9)
    assert low == pytest.approx(float(stats.beta.ppf(alpha / 2.0, 76113.0, 3888.0)), rel=1e-9)


def test_every_quantile_lies_in_the_unit_interval():
    """Near either end, where Newton's last step could cross it (shapes below 1, levels within
    a hair of 1)."""
    for a in (1e-3, 0.3, 1.5, 40.0, 1e7):
        for b in (1e-3, 0.3, 1.5, 40.0, 1e7):
            for level in (1e-40, 1e-12, 1e-4, 0.5, 1.0 - 1e-4, 1.0 - 1e-12):
                for upper in (False, True):
                    x = beta_quantile(level, a, b, upper)
                    assert x is None or 0.0 <= x <= 1.0, (level, a, b, upper)


def test_levels_beyond_the_lowest_and_degenerate_shapes_are_left_to_scipy():
    assert beta_quantile(LOWEST_LEVEL / 10.0, 5.0, 5.0) is None
    assert beta_quantile(1.0 - 1e-300, 5.0, 5.0) is None  # it is 1.0 itself
    assert beta_quantile(LOWEST_LEVEL / 10.0, 5.0, 5.0, upper=True) is None
    assert beta_quantile(LOWEST_LEVEL / 10.0, 1.0, 5.0, upper=True) is None
    assert beta_quantile(0.5, 0.0, 5.0) is None
    assert beta_quantile(0.5, 5.0, -1.0) is None


def test_intervals_match_scipy_stats_across_the_counts_the_commands_print():
    """proportion_interval and t_quantile_975 on fractional counts and levels, from half a person
    to ten million, agree with scipy.stats' beta.ppf and t.ppf (scipy answers where beta.py
    declines: a level far in a tail, as a t quantile of one or two runs asks for)."""
    rng = np.random.default_rng(17)
    for n in [0.5, 1.0, 3.7, 40.0, 123.456, 2500.0, 1e6, 1e7, *rng.uniform(0.1, 5000.0, 40)]:
        for k in [0.0, 0.3, n / 3.0, n - 0.25, n, *rng.uniform(0.0, n, 5)]:
            if not 0.0 <= k <= n:
                continue
            for z in [Z95, 2.0227, 2.5706, 4.3027, 12.7062]:
                alpha = 2.0 * float(stats.norm.sf(z))
                lo = 0.0 if k <= 0 else float(stats.beta.ppf(alpha / 2.0, k, n - k + 1.0))
                hi = 1.0 if k >= n else float(stats.beta.isf(alpha / 2.0, k + 1.0, n - k))
                got = proportion_interval(k, n, z=z)
                assert got == pytest.approx((lo, hi), rel=1e-7, abs=1e-300), (k, n, z)
    for df in [1, 2, 5, 39, 199, 1000, 2.5, 1e6]:
        assert t_quantile_975(df) == pytest.approx(float(stats.t.ppf(0.975, df)), rel=1e-10)


def test_an_interval_never_imports_scipy():
    """The quantiles of a 95% interval come from beta.py alone, over 200 runs as over two or three
    (whose t-corrected levels are far in the tails)."""
    import subprocess
    import sys

    probe = (
        "import sys; from simulator.analysis.results import proportion_interval, "
        "t_quantile_975; proportion_interval(37.25, 900.5, z=t_quantile_975(199)); "
        "proportion_interval(0.0, 600000.0); proportion_interval(3.0, 3.0); "
        "proportion_interval(285000.3, 300000.0, z=t_quantile_975(2)); "
        "proportion_interval(1.5, 2.0, z=t_quantile_975(1)); "
        "proportion_interval(76113.0, 80000.0, z=t_quantile_975(1)); "
        "print(sorted(m for m in sys.modules if m.startswith('scipy')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert math.isfinite(t_quantile_975(199))
