"""Sensitivity of a role's exposure to scenario parameters: one-at-a-time curves and Sobol indices.

All points of a sweep are simulated on common random numbers with the baseline, so a curve's
shape is not drowned by run-to-run noise. Sobol indices come from `scipy.stats.sobol_indices`
(Saltelli's sampling on a scrambled Sobol' sequence, the Saltelli 2010 first-order and Jansen
total-effect estimators) with scipy's bootstrap for intervals; the tests check them against the
Ishigami function's known indices.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from simulator.analysis.compare import Delta, Variant, paired_delta, simulate_loaded
from simulator.errors import Setting, UsageError
from simulator.scenario import LoadedScenario, variant
from simulator.scenario.patches import Override, split_key
from simulator.scenario.validation import types_at
from simulator.streams import sobol_seed

MAX_STEPS = 50
MAX_EVALUATIONS = 5000
_VARY = re.compile(r"^(?P<key>[^=]+)=(?P<low>[^:]+):(?P<high>[^:]+)(?::(?P<steps>[^:]+))?$")


@dataclass(frozen=True)
class Vary:
    """One parameter to vary: a dotted key and a range."""

    text: str
    key: str
    low: float
    high: float
    steps: int
    integer: bool

    def values(self) -> list[float]:
        """The one-at-a-time values, evenly spaced (whole numbers for whole-number keys)."""
        raw = np.linspace(self.low, self.high, self.steps)
        if self.integer:
            return [float(v) for v in dict.fromkeys(round(x) for x in raw)]
        return [float(v) for v in raw]

    def override(self, value: float) -> Override:
        """The override that puts this parameter at a value; its problems blame this `--vary`."""
        number = round(value) if self.integer else float(value)
        return Override(self.key, number, Setting("vary", self.text))


def parse_vary(text: str, sweeper: Sweeper) -> Vary:
    """Parse `dotted.key=LOW:HIGH[:STEPS]` and check that the key is a number the scenario sets."""
    match = _VARY.match(text.strip())
    if not match or not text.isascii():
        raise UsageError(
            "expected dotted.key=LOW:HIGH or dotted.key=LOW:HIGH:STEPS, in ASCII",
            subject="vary",
            given=text,
        )
    key = match["key"].strip()
    try:
        low, high = float(match["low"]), float(match["high"])
        steps = int(match["steps"]) if match["steps"] else 5
    except ValueError:
        raise UsageError(
            "LOW and HIGH must be numbers and STEPS a whole number", subject="vary", given=text
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        raise UsageError("HIGH must be a finite number above LOW", subject="vary", given=text)
    if not 2 <= steps <= MAX_STEPS:
        raise UsageError(f"STEPS must be between 2 and {MAX_STEPS}", subject="vary", given=text)
    if not types_at(split_key(key)):
        raise UsageError(f"{key}: no such key in a scenario", subject="vary", given=text)
    kinds = {t.__name__ for t in _leaf_types(split_key(key))}
    if not kinds & {"int", "float"}:
        raise UsageError(f"{key}: not a number, cannot be varied", subject="vary", given=text)
    integer = "float" not in kinds
    vary = Vary(text, key, low, high, steps, integer)
    for value in (low, high):
        sweeper.variant([vary.override(value)])
    return vary


def _leaf_types(path: tuple[str | int, ...]) -> list[type]:
    from simulator.scenario.validation import _unwrap

    return [alt for tp in types_at(path) for alt in _unwrap(tp) if isinstance(alt, type)]


@dataclass
class Curve:
    """One parameter's one-at-a-time curve and its swing from LOW to HIGH."""

    vary: Vary
    points: list[Variant]
    swing: Delta  # exposure at HIGH minus at LOW, paired


@dataclass
class SobolIndex:
    """First-order and total Sobol indices of one parameter, with bootstrap intervals."""

    first: float
    first_ci95: tuple[float, float]
    total: float
    total_ci95: tuple[float, float]


# An index is resolved when its 95% interval is at most this wide: enough to tell 0.1 from 0.3.
RESOLVED_WIDTH = 0.2
# Estimates are shown to two decimals: a breach smaller than this is not one a reader can see.
ROUNDING = 0.005


@dataclass(frozen=True)
class Resolution:
    """Whether Sobol indices are resolved yet, and about how many samples would resolve them."""

    resolved: bool
    widest: float  # the widest 95% interval of any index
    impossible: bool  # an estimate outside 0..1, or alone above with interactions
    samples_needed: int  # a power of two; equal to the samples used when resolved


def resolution(indices: Sequence[SobolIndex], samples: int) -> Resolution:
    """Judge Sobol indices by their intervals.

    Indices are shares of a variance, so each lies between 0 and 1 and a parameter's effect alone
    (first order) is at most its effect with interactions (total); estimates that break this are
    noise, said when the indices are not resolved, which is when an interval is wider than
    RESOLVED_WIDTH (a true index of 0 is often estimated a little below it). Intervals narrow as
    one over the square root of the samples, so the samples needed scale with the squared ratio of
    the widest interval to RESOLVED_WIDTH, rounded up to a power of two.
    """
    widths = [hi - lo for idx in indices for lo, hi in (idx.first_ci95, idx.total_ci95)]
    widest = max(widths, default=0.0)
    impossible = any(
        not (-ROUNDING <= x <= 1 + ROUNDING) for idx in indices for x in (idx.first, idx.total)
    ) or any(idx.first > idx.total + ROUNDING for idx in indices)
    resolved = widest <= RESOLVED_WIDTH
    needed = samples
    if not resolved:
        # Intervals from a small sample are themselves uncertain: ask for half as many again.
        factor = max(1.5 * (widest / RESOLVED_WIDTH) ** 2, 2.0)
        needed = 1 << math.ceil(math.log2(samples * factor))
    return Resolution(resolved, widest, impossible, needed)


@dataclass
class Sweep:
    """A sweep's results."""

    role: str
    method: str
    baseline: Variant
    curves: list[Curve]
    sobol: dict[str, SobolIndex] | None = None
    samples: int = 0

    @property
    def ranking(self) -> list[Curve]:
        """Parameters by the size of their effect (tornado order)."""
        return sorted(self.curves, key=lambda c: (-abs(c.swing.p_exposed), c.vary.key))


class Sweeper:
    """Simulates a loaded scenario at given parameter values, on common random numbers."""

    def __init__(
        self,
        base: LoadedScenario,
        *,
        runs: int,
        seed: int,
        workers: int,
        on_progress: Callable[[float], None] | None = None,
        scheduler: str | None = None,
    ):
        self.base = base
        self.runs, self.seed, self.workers = runs, seed, workers
        self.on_progress = on_progress
        self.scheduler = scheduler

    def variant(self, overrides: Sequence[Override]) -> LoadedScenario:
        """The scenario with the sweep's settings and some parameters set."""
        return variant(self.base, overrides=overrides)

    def simulate(self, settings: list[list[Override]]) -> list[Variant]:
        """Simulate the baseline followed by the scenario with each list of parameters set."""
        made: list[tuple[str, list[str], LoadedScenario]] = [("baseline", [], self.base)]
        made += [
            (" ".join(f"{o.key}={o.value!r}" for o in extra), [], self.variant(extra))
            for extra in settings
        ]
        return simulate_loaded(
            self.base, made, self.runs, self.seed, self.workers, self.on_progress, self.scheduler
        )


def one_at_a_time(sweeper: Sweeper, varies: list[Vary], role: str) -> Sweep:
    """Each parameter over its values with the others at their baseline."""
    settings = [[v.override(x)] for v in varies for x in v.values()]
    variants = sweeper.simulate(settings)
    baseline, rest = variants[0], variants[1:]
    curves = []
    for v in varies:
        points, rest = rest[: len(v.values())], rest[len(v.values()) :]
        curves.append(Curve(v, points, paired_delta(points[0], points[-1], role)))
    return Sweep(role, "oat", baseline, curves)


def saltelli_matrices(
    k: int, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A, B (n x k, on [0, 1)) and the k matrices AB_i (A with column i from B).

    A and B are the two halves of one scrambled Sobol' sequence of 2k dimensions, as
    `scipy.stats.sobol_indices` draws them (Saltelli et al. 2010, section 5); drawing them here
    lets every sample point go through the one runner in one call. n should be a power of two.
    """
    from scipy.stats import qmc

    a_b = qmc.Sobol(d=2 * k, scramble=True, rng=rng).random(n)
    a, b = a_b[:, :k], a_b[:, k:]
    ab = np.repeat(a[None, :, :], k, axis=0)
    for i in range(k):
        ab[i, :, i] = b[:, i]
    return a, b, ab


def _indices(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> np.ndarray:
    """[first-order, total] indices (2 x k) by scipy's Saltelli (2010) and Jansen estimators."""
    from scipy import stats

    result = stats.sobol_indices(
        func={"f_A": f_a[None, :], "f_B": f_b[None, :], "f_AB": f_ab[:, None, :]}, n=f_a.size
    )
    return np.array([np.atleast_1d(result.first_order), np.atleast_1d(result.total_order)])


def sobol_indices(
    f_a: np.ndarray,
    f_b: np.ndarray,
    f_ab: np.ndarray,
    rng: np.random.Generator,
    resamples: int = 500,
) -> list[SobolIndex]:
    """First-order and total indices from `scipy.stats.sobol_indices`, with 95% intervals.

    f_a and f_b hold the outputs at the rows of A and B, f_ab (k x n) those at each AB_i. The
    intervals are scipy's bootstrap over the sample rows, as `SobolResult.bootstrap` does, but
    given the sweep's own random stream (that method takes none, so its intervals would change
    from one call to the next) and percentile rather than BCa: BCa needs a jackknife of n more
    evaluations and breaks down when the output is constant, as when nobody is ever exposed.
    """
    from scipy import stats

    k, n = f_ab.shape
    estimate = _indices(f_a, f_b, f_ab)
    if np.var(np.concatenate([f_a, f_b])) <= 0:  # nothing varies: no index, and no doubt about it
        low = high = estimate
    else:
        boot = stats.bootstrap(
            (np.arange(n),),
            lambda idx: _indices(f_a[idx], f_b[idx], f_ab[:, idx]),
            n_resamples=resamples,
            confidence_level=0.95,
            method="percentile",
            vectorized=False,
            rng=rng,
        )
        low, high = boot.confidence_interval.low, boot.confidence_interval.high
    return [
        SobolIndex(
            float(estimate[0, i]),
            (float(low[0, i]), float(high[0, i])),
            float(estimate[1, i]),
            (float(low[1, i]), float(high[1, i])),
        )
        for i in range(k)
    ]


def sobol(sweeper: Sweeper, varies: list[Vary], role: str, samples: int) -> Sweep:
    """Sobol indices of the role's exposure, plus the one-at-a-time curves for the picture."""
    k = len(varies)
    if samples < 2 or samples & (samples - 1):
        raise UsageError(
            "must be a power of two (8, 16, 32, ...): a Sobol' sequence is balanced only then",
            subject="samples",
            given=samples,
        )
    if samples * (k + 2) > MAX_EVALUATIONS:
        raise UsageError(
            f"{samples * (k + 2)} scenarios to simulate; at most {MAX_EVALUATIONS}",
            subject="samples",
            given=samples,
        )
    rng = np.random.default_rng(sobol_seed(sweeper.seed))
    a, b, ab = saltelli_matrices(k, samples, rng)

    def settings(row: np.ndarray) -> list[Override]:
        return [v.override(v.low + u * (v.high - v.low)) for v, u in zip(varies, row)]

    rows = [*a, *b, *ab.reshape(-1, k)]
    oat = [[v.override(x)] for v in varies for x in v.values()]
    variants = sweeper.simulate([settings(r) for r in rows] + oat)
    shares = np.array([v.results.roles[role].p_exposed for v in variants[1 : 1 + len(rows)]])
    f_a, f_b, f_ab = (
        shares[:samples],
        shares[samples : 2 * samples],
        shares[2 * samples :].reshape(k, samples),
    )
    indices = sobol_indices(f_a, f_b, f_ab, rng)
    rest = variants[1 + len(rows) :]
    curves = []
    for v in varies:
        points, rest = rest[: len(v.values())], rest[len(v.values()) :]
        curves.append(Curve(v, points, paired_delta(points[0], points[-1], role)))
    return Sweep(
        role, "sobol", variants[0], curves, {v.key: s for v, s in zip(varies, indices)}, samples
    )
