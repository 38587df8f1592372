"""Aggregating per-run figures into exposure probabilities with honest intervals."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from simulator.analysis.beta import beta_quantile
from simulator.runner import BatchSummary
from simulator.scenario.model import Scenario

Z95 = 1.959963984540054

# When the per-run figures cannot measure how much the people of one run move together (a single
# run, or runs that all agree on 0% or 100%), the design effect is assumed rather than measured:
# people of one run count as independent groups of at most this many (or of the whole run, if
# smaller). Measured at the bundled scenarios' default runs, the largest design effect is about 14
# (fifteen members of one group chat exposed together) and a whole population's stays below 4;
# tests/test_results.py re-measures some of them against this bound.
ASSUMED_DESIGN_EFFECT = 20.0


@dataclass(frozen=True)
class GroupResult:
    """Exposure figures for one role, or for everyone."""

    people: float
    p_exposed: float
    ci95: tuple[float, float]
    median_day: int | None  # the median day of exposure among those exposed, not of the group
    curve: list[float]
    causes: dict[str, float] = field(default_factory=dict)

    @property
    def half_day(self) -> int | None:
        """The first day by which half the group is exposed (the curve reaches 50%), if any."""
        return next((t for t, share in enumerate(self.curve) if share >= 0.5), None)


@dataclass(frozen=True)
class Results:
    """Everything a run of many simulations tells, ready to render."""

    runs: int
    days: int
    people: float
    roles: dict[str, GroupResult]
    everyone: GroupResult
    causes: dict[str, float]
    collateral_mean: float
    collateral_p95: float


@functools.lru_cache(maxsize=256)
def t_quantile_975(df: float) -> float:
    """97.5% quantile of Student's t with `df` degrees of freedom (infinite for df <= 0)."""
    if df <= 0:
        return float("inf")
    # |T| <= t with chance I_y(1/2, df/2) = 95% at y = t² / (df + t²) (Abramowitz & Stegun 26.7.1).
    y = beta_quantile(0.95, 0.5, df / 2.0)
    if y is not None and y < 1.0:
        return math.sqrt(df * y / (1.0 - y))
    # scipy.stats' t.ppf is this function of scipy.special (which imports in a fifth of the time).
    from scipy.special import stdtrit

    return float(stdtrit(df, 0.975))


@functools.lru_cache(maxsize=4096)
def _beta_ppf(level: float, a: float, b: float, upper: bool = False) -> float:
    """The beta distribution's quantile (with `upper`, where the upper tail holds `level`):
    analysis/beta.py's, or scipy's where that declines.

    Kept for the arguments seen: an exposure curve asks again for every day without a new
    exposure."""
    found = beta_quantile(level, a, b, upper)
    if found is not None:
        return found
    # scipy.stats' beta.ppf and beta.isf are these functions of scipy.special, called with the
    # same numbers (importing scipy.stats takes a second).
    from scipy.special import _ufuncs

    if upper:
        return float(_ufuncs.betainccinv(a, b, level))
    return float(_ufuncs._beta_ppf(level, a, b))


def proportion_interval(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Clopper–Pearson interval for k exposed of n, at the two-sided level whose quantile is z.

    Clopper–Pearson rather than Wilson or Jeffreys: it never covers less than its level for a
    binomial, which is the promise a trainer makes aloud, and at k = 0 it gives the usual "rule of
    three" bound. Written on beta quantiles (as scipy's `binomtest(k, n).proportion_ci()` is) so
    that k and n may be effective, fractional counts after a design effect.
    """
    if n <= 0:
        return (0.0, 1.0)
    k = min(max(k, 0.0), n)
    alpha = math.erfc(z * math.sqrt(0.5))  # two-sided: twice the normal tail beyond z
    lo = 0.0 if k <= 0 else _beta_ppf(alpha / 2.0, k, n - k + 1.0)
    # The upper end as the quantile whose upper tail holds alpha / 2: as a level, 1 - alpha / 2
    # is 1.0 itself for the t-corrected interval of two runs (alpha / 2 = 2.8e-37).
    hi = 1.0 if k >= n else _beta_ppf(alpha / 2.0, k + 1.0, n - k, upper=True)
    return (lo, hi)


def clustered_interval(
    exposed: np.ndarray, people: np.ndarray
) -> tuple[float, tuple[float, float]]:
    """Share exposed over (person, run) pairs, with a 95% interval from the per-run figures.

    People in one run are correlated (a cascade exposes them together), so the interval counts
    the people divided by a design effect: a Clopper–Pearson interval on that effective number.
    With two runs or more and some, but not all, people exposed, the design effect is measured
    from the between-run variance of the ratio estimator, and the level uses Student's t for the
    number of runs. Otherwise (one run, or every run at 0% or at 100%) nothing measures it, and
    people of one run count as independent groups of `ASSUMED_DESIGN_EFFECT` (of the whole run if
    that is smaller): a million people with nobody exposed bound the share near 1 in 14,000, and
    one person alone is one observation.
    """
    total = float(people.sum())
    if total == 0:
        return 0.0, (0.0, 1.0)
    p = float(exposed.sum()) / total
    runs = int((people > 0).sum())
    if float(people.max()) <= 1.0:
        # One person per run: the runs are independent trials, an exact binomial count.
        return p, proportion_interval(float(exposed.sum()), total)
    measured = measured_design_effect(exposed, people)
    if measured is not None:
        n_eff = total / max(measured, 1.0)
        return p, proportion_interval(p * n_eff, n_eff, z=t_quantile_975(runs - 1))
    n_eff = total / min(total / runs, ASSUMED_DESIGN_EFFECT)
    return p, proportion_interval(p * n_eff, n_eff)


def measured_design_effect(exposed: np.ndarray, people: np.ndarray) -> float | None:
    """Variance of the share exposed over what independent people would give, from the runs.

    None when the per-run figures cannot tell: fewer than two runs, or all at 0% or all at 100%.
    """
    total = float(people.sum())
    runs = int((people > 0).sum())
    p = float(exposed.sum()) / total if total else 0.0
    if runs < 2 or not 0.0 < p < 1.0:
        return None
    mean_n = total / runs
    resid = exposed - p * people
    var = float((resid**2).sum()) / (runs * (runs - 1) * mean_n * mean_n)
    return total * var / (p * (1.0 - p))


def _median_day(per_day: np.ndarray) -> int | None:
    total = per_day.sum()
    if total == 0:
        return None
    return int(np.searchsorted(np.cumsum(per_day), total / 2.0))


def _group(
    exposures: np.ndarray, people: np.ndarray, causes: np.ndarray, mechanisms: list[str], runs: int
) -> GroupResult:
    """exposures: int[runs, days + 1]; people: int[runs]; causes: int[mechanisms]."""
    per_day = exposures.sum(axis=0)
    total_people = float(people.sum())
    p, ci = clustered_interval(exposures.sum(axis=1).astype(float), people.astype(float))
    curve = (np.cumsum(per_day) / total_people).tolist() if total_people else [0.0] * per_day.size
    n_exposed = causes.sum()
    shares = {m: float(c) / n_exposed for m, c in zip(mechanisms, causes) if c} if n_exposed else {}
    shares = dict(sorted(shares.items(), key=lambda kv: -kv[1]))
    return GroupResult(
        people=total_people / runs if runs else 0.0,
        p_exposed=p,
        ci95=ci,
        median_day=_median_day(per_day),
        curve=curve,
        causes=shares,
    )


def aggregate(summaries: list[BatchSummary], scenario: Scenario) -> Results:
    """Combine the batches of a simulation into results per role and for everyone."""
    people = np.concatenate([s.people for s in summaries])
    exposures = np.concatenate([s.exposures for s in summaries])
    causes = np.sum([s.causes for s in summaries], axis=0)
    collateral = np.concatenate([s.collateral for s in summaries])
    runs = people.shape[0]
    mechanisms = scenario.mechanisms
    roles = {
        role: _group(exposures[:, k], people[:, k], causes[k], mechanisms, runs)
        for k, role in enumerate(scenario.role_names)
    }
    everyone = _group(
        exposures.sum(axis=1), people.sum(axis=1), causes.sum(axis=0), mechanisms, runs
    )
    return Results(
        runs=runs,
        days=scenario.days,
        people=float(people.sum()) / runs,
        roles=roles,
        everyone=everyone,
        causes=everyone.causes,
        collateral_mean=float(collateral.mean()),
        collateral_p95=percentile(collateral, 95),
    )


def percentile(values: np.ndarray, q: float) -> float:
    """np.percentile(values, q) of a non-empty array of finite numbers, to the last bit (its
    default "linear" method), without the 7 ms import of numpy.ma that np.percentile brings."""
    ordered = np.sort(values, axis=None)
    at = (ordered.size - 1) * np.true_divide(q, 100)
    below = int(np.floor(at))
    above = min(below + 1, ordered.size - 1)
    weight = at - below
    a, b = ordered[below], ordered[above]
    step = np.subtract(b, a)
    # As numpy's lerp: from the nearer end, so that equal ends give exactly that value.
    return float(np.subtract(b, step * (1 - weight)) if weight >= 0.5 else np.add(a, step * weight))


def curve_band(summaries: list[BatchSummary], role: int | None) -> list[tuple[float, float]]:
    """A 95% interval for each day's share exposed so far, computed like the final share's.

    `role` indexes Scenario.role_names; None means everyone.
    """
    exposures = np.concatenate([s.exposures for s in summaries]).astype(float)
    people = np.concatenate([s.people for s in summaries]).astype(float)
    if role is None:
        exposures, people = exposures.sum(axis=1), people.sum(axis=1)
    else:
        exposures, people = exposures[:, role], people[:, role]
    so_far = np.cumsum(exposures, axis=1)
    # Nobody is exposed on day 0, by definition rather than by sampling.
    return [(0.0, 0.0)] + [
        clustered_interval(so_far[:, t], people)[1] for t in range(1, so_far.shape[1])
    ]
