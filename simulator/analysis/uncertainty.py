"""Parameter uncertainty: sets of values drawn over a scenario's sourced ranges, simulated together.

A scenario gives some parameters a sourced range (`{value: X, range: [LO, HI]}`). Parameter sets
are drawn over those ranges by a Latin hypercube (each range cut into N strata, each stratum used
once), seeded from the run's seed. A range of positive values is cut evenly on a log scale: most
ranges are "a third to three times" or "half to double" an estimate, and on a log scale such a
range is centred on the file's value, so a chance is as likely to be drawn halved as doubled (cut
evenly on a plain scale, three draws in four would lie above it). A range reaching 0 is cut
evenly. The corners of the box (every parameter at an end) serve
the robust checks of learning objectives. Every set, and every countermeasure a question needs,
runs in one call of `simulate_variants`: all of them on common random numbers, so the figures of
two sets differ by what the parameters change, not by luck, and do not depend on `--workers`.

What `run --uncertainty N` shows for a role:

- the point estimate at the file's values;
- an interval over parameters *and* chance: each set's estimate p_i with its chance standard error
  se_i (from the per-run figures) stands for a normal N(p_i, se_i²); the interval runs from the
  2.5% to the 97.5% point of the equal mixture of those N normals, so the spread of the sets'
  estimates is widened by chance rather than read off N points;
- the share of the spread that comes from the parameters, by the law of total variance: the
  mixture's variance is the between-set variance plus the mean chance variance mean(se_i²). The
  sample variance of the p_i itself contains chance once more, so the between-set part is
  estimated as max(0, var(p_i) − mean(se_i²)). With few runs per set se_i is itself uncertain and
  the share is rough (it can come out 0 when the ranges matter little).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.analysis.compare import Comparison, Variant, paired_delta, simulate_loaded
from simulator.analysis.results import t_quantile_975
from simulator.errors import UsageError
from simulator.scenario import LoadedScenario, variants
from simulator.scenario.patches import split_key
from simulator.streams import uncertainty_seed

# All 2^k corners up to this many ranged parameters; beyond it, a subset (see `corners`).
MAX_CORNER_KEYS = 10
MAX_SETS = 1000

ParameterSet = dict[str, float]


def no_ranges(loaded: LoadedScenario) -> UsageError:
    """The error for asking about uncertainty of a scenario that gives no sourced ranges."""
    return UsageError(
        f"{loaded.display_path} gives no parameter a sourced range "
        "(`{value: X, range: [LO, HI]}`), so there is no uncertainty to draw over"
    )


def latin_hypercube(
    ranges: Mapping[str, tuple[float, float]], n: int, seed: int
) -> list[ParameterSet]:
    """N parameter sets over the ranges by Latin hypercube, the same for the same seed.

    Positive ranges are sampled evenly in the logarithm (see the module's docstring), others evenly.
    """
    from scipy.stats import qmc

    keys = list(ranges)
    if not keys or n <= 0:
        return []
    sampler = qmc.LatinHypercube(d=len(keys), seed=np.random.default_rng(uncertainty_seed(seed)))
    unit = sampler.random(n)
    lows = np.array([ranges[k][0] for k in keys], dtype=float)
    highs = np.array([ranges[k][1] for k in keys], dtype=float)
    positive = lows > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(positive, highs / np.where(positive, lows, 1.0), 1.0)
    points = np.where(positive, lows * ratio**unit, lows + unit * (highs - lows))
    return [{k: float(v) for k, v in zip(keys, row)} for row in points]


def corners(ranges: Mapping[str, tuple[float, float]]) -> list[ParameterSet]:
    """Every corner of the box of ranges (2^k of them) for k up to MAX_CORNER_KEYS.

    Beyond that, a stated subset: all low, all high, and each parameter at one end with every
    other at the opposite end (2k + 2 sets), the corners where one parameter works against all
    the others.
    """
    keys = list(ranges)
    if len(keys) <= MAX_CORNER_KEYS:
        return [
            {k: ranges[k][end] for k, end in zip(keys, ends)}
            for ends in itertools.product((0, 1), repeat=len(keys))
        ]
    out = [{k: ranges[k][0] for k in keys}, {k: ranges[k][1] for k in keys}]
    for alone in keys:
        for end in (0, 1):
            out.append({k: ranges[k][end if k == alone else 1 - end] for k in keys})
    return out


def file_values(loaded: LoadedScenario) -> ParameterSet:
    """The file's own value of every ranged parameter."""
    dumped = loaded.original_scenario.model_dump(mode="json", by_alias=True)
    out: ParameterSet = {}
    for key in loaded.ranges:
        value = _walk(loaded.original.data, key)
        if isinstance(value, dict):
            value = value.get("value")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            value = _walk(dumped, key)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            lo, hi = loaded.ranges[key]
            value = (lo + hi) / 2.0  # not reached for a validated range; the middle is honest
        out[key] = float(value)
    return out


def _walk(data: Any, key: str) -> Any:
    current = data
    for part in split_key(key):
        found = (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and part < len(current)
        )
        if not found:
            return None
        current = current[part]
    return current


def simulate_sets(
    loaded: LoadedScenario,
    sets: Sequence[ParameterSet | None],
    bundles: Sequence[tuple[str, ...]],
    *,
    runs: int,
    seed: int,
    workers: int = 1,
    scheduler: str | None = None,
    on_progress: Callable[[float], None] | None = None,
    per_set: Sequence[Sequence[tuple[str, ...]]] | None = None,
) -> list[dict[tuple[str, ...], Variant]]:
    """Every parameter set with every bundle of countermeasures, in one call on common numbers.

    A set of None is the loaded scenario as it is (the file's values). `per_set`, if given,
    names each set's own bundles instead. Returns, per set, its variants by bundle (the empty
    bundle, the baseline, is always there).
    """
    wanted = [
        list(dict.fromkeys([(), *(per_set[i] if per_set is not None else bundles)]))
        for i in range(len(sets))
    ]
    count = sum(len(w) for w in wanted)
    if count > MAX_SETS * 4:
        raise UsageError(f"that makes {count} variants to simulate; at most {MAX_SETS * 4}")
    where: list[tuple[int, tuple[str, ...]]] = []
    made: list[tuple[str, list[str], LoadedScenario]] = []
    for i, values in enumerate(sets):
        # The file's values with no countermeasure are the loaded scenario itself.
        todo = [bundle for bundle in wanted[i] if values is not None or bundle]
        changed = dict(zip(todo, variants(loaded, todo, values or {})))
        for bundle in wanted[i]:
            where.append((i, bundle))
            ld = changed.get(bundle, loaded)
            made.append(("+".join(bundle) if bundle else "baseline", list(bundle), ld))
    simulated = simulate_loaded(loaded, made, runs, seed, workers, on_progress, scheduler)
    out: list[dict[tuple[str, ...], Variant]] = [{} for _ in sets]
    for (i, bundle), v in zip(where, simulated):
        out[i][bundle] = v
    return out


def share_and_se(v: Variant, role: str) -> tuple[float, float]:
    """A role's share exposed by the last day and its chance standard error (per-run figures)."""
    k = v.loaded.scenario.role_names.index(role)
    x = np.concatenate([s.exposures[:, k, :].sum(axis=1) for s in v.summaries]).astype(float)
    n = np.concatenate([s.people[:, k] for s in v.summaries]).astype(float)
    total = float(n.sum())
    if total == 0:
        return 0.0, 0.0
    p = float(x.sum()) / total
    runs = x.size
    if runs < 2:
        return p, math.sqrt(p * (1.0 - p) / total)
    resid = (x - p * n) / n.mean()
    return p, math.sqrt(float((resid**2).sum()) / (runs * (runs - 1)))


def mixture_interval(means: Sequence[float], ses: Sequence[float]) -> tuple[float, float]:
    """The 2.5% and 97.5% points of the equal mixture of normals N(mean_i, se_i²), within [0, 1]."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    m = np.asarray(means, dtype=float)
    s = np.maximum(np.asarray(ses, dtype=float), 1e-12)  # an exact estimate is a point mass

    def cdf(x: float) -> float:
        return float(norm.cdf((x - m) / s).mean())

    lo_end, hi_end = float((m - 10 * s).min()), float((m + 10 * s).max())
    lo = brentq(lambda x: cdf(x) - 0.025, lo_end, hi_end, xtol=1e-9)
    hi = brentq(lambda x: cdf(x) - 0.975, lo_end, hi_end, xtol=1e-9)
    # Rounded so that estimates without chance (se 0) give their own ends, not 1e-12 off them.
    return max(0.0, round(float(lo), 9)), min(1.0, round(float(hi), 9))


def parameter_share(means: Sequence[float], ses: Sequence[float]) -> float:
    """The share of the mixture's variance that the parameters make (law of total variance)."""
    m = np.asarray(means, dtype=float)
    chance = float(np.mean(np.asarray(ses, dtype=float) ** 2))
    observed = float(m.var(ddof=1)) if m.size > 1 else 0.0
    between = max(0.0, observed - chance)
    total = between + chance
    return between / total if total > 0 else 0.0


@dataclass(frozen=True)
class RoleUncertainty:
    """One role's exposure over the sourced ranges and chance."""

    point: float  # at the file's values
    interval: tuple[float, float]
    parameter_share: float
    per_set: list[float]

    @property
    def all_zero(self) -> bool:
        """Zero in every run of every set: nobody exposed, or (for a change) no run changed."""
        return self.interval == (0.0, 0.0) and not any(self.per_set)


@dataclass(frozen=True)
class Uncertainty:
    """What the sourced ranges do to each role's exposure, over N parameter sets."""

    sets: list[ParameterSet]
    parameters: dict[str, tuple[float, float]]
    roles: dict[str, RoleUncertainty]


def summarise_sets(
    ranges: Mapping[str, tuple[float, float]],
    sets: list[ParameterSet],
    point: Variant,
    drawn: Sequence[Variant],
    roles: Sequence[str] | None = None,
) -> Uncertainty:
    """Per role: the point at the file's values, the interval over sets and chance, the share."""
    out: dict[str, RoleUncertainty] = {}
    for role in roles if roles is not None else point.loaded.scenario.role_names:
        figures = [share_and_se(v, role) for v in drawn]
        means = [p for p, _se in figures]
        ses = [se for _p, se in figures]
        out[role] = RoleUncertainty(
            point=point.results.roles[role].p_exposed,
            interval=mixture_interval(means, ses),
            parameter_share=parameter_share(means, ses),
            per_set=means,
        )
    return Uncertainty(sets, dict(ranges), out)


def run_uncertainty(
    loaded: LoadedScenario,
    n: int,
    *,
    runs: int,
    seed: int,
    workers: int = 1,
    scheduler: str | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> tuple[Variant, Uncertainty]:
    """The loaded scenario at its file's values and at N Latin hypercube sets, in one call."""
    if not loaded.ranges:
        raise no_ranges(loaded)
    sets = latin_hypercube(loaded.ranges, n, seed)
    simulated = simulate_sets(
        loaded,
        [None, *sets],
        [],
        runs=runs,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        on_progress=on_progress,
    )
    point = simulated[0][()]
    drawn = [per[()] for per in simulated[1:]]
    return point, summarise_sets(loaded.ranges, sets, point, drawn)


@dataclass(frozen=True)
class RangedComparison:
    """A comparison over the sourced ranges: who is exposed, and what each countermeasure changes.

    `exposure` is keyed by role (the point is the baseline at the file's values), `changes` by
    variant name: the paired change of the compared role's exposure in each drawn set (its point
    is the mean over sets, since the comparison already has the change at the file's values).
    """

    role: str
    exposure: Uncertainty
    changes: Uncertainty


def ranged_comparison(
    comparison: Comparison,
    n: int,
    *,
    seed: int,
    workers: int = 1,
    on_progress: Callable[[float], None] | None = None,
) -> RangedComparison:
    """The comparison's baseline and every variant at N drawn sets, in one simulation.

    Every set runs the baseline and each variant's bundle on common random numbers with the
    comparison's runs and seed, so a set's change is paired run by run, and the baselines of the
    same call give each role's exposure over the ranges.
    """
    base = comparison.baseline.loaded
    if not base.ranges:
        raise no_ranges(base)
    runs = comparison.baseline.results.runs
    sets = latin_hypercube(base.ranges, n, seed)
    bundles = {v.name: tuple(v.members) for v in comparison.variants}
    simulated = simulate_sets(
        base,
        sets,
        list(dict.fromkeys(bundles.values())),
        runs=runs,
        seed=seed,
        workers=workers,
        on_progress=on_progress,
    )
    exposure = summarise_sets(
        base.ranges, sets, comparison.baseline, [per[()] for per in simulated]
    )
    quantile = t_quantile_975(runs - 1) if runs > 1 else math.inf
    changes: dict[str, RoleUncertainty] = {}
    for name, bundle in bundles.items():
        deltas = [paired_delta(per[()], per[bundle], comparison.role) for per in simulated]
        means = [d.p_exposed for d in deltas]
        ses = [
            (d.ci95[1] - d.ci95[0]) / (2 * quantile) if math.isfinite(quantile) else 1.0
            for d in deltas
        ]
        changes[name] = RoleUncertainty(
            point=float(np.mean(means)),
            interval=_signed_mixture_interval(means, ses),
            parameter_share=parameter_share(means, ses),
            per_set=means,
        )
    return RangedComparison(
        comparison.role, exposure, Uncertainty(sets, dict(base.ranges), changes)
    )


def compare_uncertainty(
    comparison: Comparison,
    n: int,
    *,
    seed: int,
    workers: int = 1,
    on_progress: Callable[[float], None] | None = None,
) -> Uncertainty:
    """Each variant's paired change of the compared role's exposure over N drawn parameter sets."""
    return ranged_comparison(
        comparison, n, seed=seed, workers=workers, on_progress=on_progress
    ).changes


def _signed_mixture_interval(means: Sequence[float], ses: Sequence[float]) -> tuple[float, float]:
    """`mixture_interval` for a change of share, which lies in −1 to 1."""
    shifted = mixture_interval([(m + 1.0) / 2.0 for m in means], [s / 2.0 for s in ses])
    return 2.0 * shifted[0] - 1.0, 2.0 * shifted[1] - 1.0


__all__ = [
    "MAX_CORNER_KEYS",
    "ParameterSet",
    "RangedComparison",
    "RoleUncertainty",
    "Uncertainty",
    "compare_uncertainty",
    "corners",
    "file_values",
    "latin_hypercube",
    "mixture_interval",
    "no_ranges",
    "parameter_share",
    "ranged_comparison",
    "run_uncertainty",
    "share_and_se",
    "simulate_sets",
    "summarise_sets",
]
