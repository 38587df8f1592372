"""Sensitivity of a role's exposure to scenario parameters: one-at-a-time curves and Sobol indices.

All points of a sweep are simulated on common random numbers with the baseline, so a curve's
shape is not drowned by run-to-run noise. Sobol indices use Saltelli's sampling scheme with the
Saltelli (2010) first-order and Jansen total-effect estimators, and bootstrap intervals; the
estimators are checked against the Ishigami function's known indices in the tests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from simulator.analysis.compare import Delta, Variant, paired_delta
from simulator.analysis.results import aggregate
from simulator.errors import UsageError
from simulator.runner import batch_size, simulate_variants
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
        return Override(self.key, number, f"--vary {self.text}")


def parse_vary(text: str, sweeper: Sweeper) -> Vary:
    """Parse `dotted.key=LOW:HIGH[:STEPS]` and check that the key is a number the scenario sets."""
    match = _VARY.match(text.strip())
    if not match:
        raise UsageError(
            "expected dotted.key=LOW:HIGH or dotted.key=LOW:HIGH:STEPS", subject="vary", given=text
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
        loaded = [self.base] + [self.variant(extra) for extra in settings]
        per_variant = simulate_variants(
            [ld.scenario for ld in loaded],
            self.runs,
            self.seed,
            self.workers,
            self.on_progress,
            size=batch_size(self.base.scenario),
            scheduler=self.scheduler,
        )
        names = ["baseline"] + [" ".join(f"{o.key}={o.value!r}" for o in x) for x in settings]
        return [
            Variant(name, [], ld, s, aggregate(s, ld.scenario))
            for name, ld, s in zip(names, loaded, per_variant)
        ]


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
    """A, B (n x k, uniform on [0, 1)) and the k matrices AB_i (A with column i from B)."""
    a = rng.random((n, k))
    b = rng.random((n, k))
    ab = np.repeat(a[None, :, :], k, axis=0)
    for i in range(k):
        ab[i, :, i] = b[:, i]
    return a, b, ab


def sobol_indices(
    f_a: np.ndarray,
    f_b: np.ndarray,
    f_ab: np.ndarray,
    rng: np.random.Generator,
    resamples: int = 500,
) -> list[SobolIndex]:
    """First-order (Saltelli 2010) and total (Jansen 1999) indices with bootstrap 95% intervals."""

    def estimate(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b, ab = f_a[idx], f_b[idx], f_ab[:, idx]
        var = np.var(np.concatenate([a, b]))
        if var <= 0:
            return np.zeros(f_ab.shape[0]), np.zeros(f_ab.shape[0])
        first = np.mean(b[None, :] * (ab - a[None, :]), axis=1) / var
        total = 0.5 * np.mean((a[None, :] - ab) ** 2, axis=1) / var
        return first, total

    n = f_a.size
    first, total = estimate(np.arange(n))
    boot = [estimate(rng.integers(0, n, n)) for _ in range(resamples)]
    firsts = np.array([b[0] for b in boot])
    totals = np.array([b[1] for b in boot])
    out = []
    for i in range(f_ab.shape[0]):
        f_lo, f_hi = np.percentile(firsts[:, i], [2.5, 97.5])
        t_lo, t_hi = np.percentile(totals[:, i], [2.5, 97.5])
        out.append(
            SobolIndex(
                float(first[i]),
                (float(f_lo), float(f_hi)),
                float(total[i]),
                (float(t_lo), float(t_hi)),
            )
        )
    return out


def sobol(sweeper: Sweeper, varies: list[Vary], role: str, samples: int) -> Sweep:
    """Sobol indices of the role's exposure, plus the one-at-a-time curves for the picture."""
    k = len(varies)
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
