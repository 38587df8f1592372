"""Aggregating per-run figures into exposure probabilities with honest intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from simulator.runner import BatchSummary
from simulator.scenario.model import Scenario

Z95 = 1.959963984540054


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


def wilson(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion observed with (effective) sample size n."""
    if n <= 0:
        return (0.0, 1.0)
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2.0 * n)) / denom
    half = z * math.sqrt(max(p * (1.0 - p) / n + z * z / (4.0 * n * n), 0.0)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def t_quantile_975(df: float) -> float:
    """97.5% quantile of Student's t (Cornish-Fisher expansion; within 1e-3 for df >= 3)."""
    if df <= 0:
        return float("inf")
    z = Z95
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def clustered_interval(
    exposed: np.ndarray, people: np.ndarray
) -> tuple[float, tuple[float, float]]:
    """Share exposed over (person, run) pairs, with a 95% interval from the per-run figures.

    People in one run are correlated (a cascade exposes them together), so the interval uses the
    between-run variance of the ratio estimator and a Wilson interval on the effective sample
    size it implies, with Student's t quantile for the number of runs. A single run gives no
    interval at all: [0, 1]. When every run agrees on 0% or 100%, each run counts as one
    observation.
    """
    total = float(people.sum())
    if total == 0:
        return 0.0, (0.0, 1.0)
    p = float(exposed.sum()) / total
    runs = int((people > 0).sum())
    if p == 0.0:
        return p, (0.0, wilson(p, float(runs))[1])
    if p == 1.0:
        return p, (wilson(p, float(runs))[0], 1.0)
    if runs < 2:
        return p, (0.0, 1.0)  # one run says nothing about how much runs vary
    mean_n = total / runs
    resid = exposed - p * people
    var = float((resid**2).sum()) / (runs * (runs - 1) * mean_n * mean_n)
    n_eff = total if var <= 0 else min(total, p * (1.0 - p) / var)
    # The variance comes from `runs` figures: use Student's t rather than the normal quantile.
    return p, wilson(p, n_eff, z=t_quantile_975(runs - 1))


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
        collateral_p95=float(np.percentile(collateral, 95)),
    )


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
