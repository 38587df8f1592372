"""Paired comparisons of countermeasures, bundles of them, and the best bundle within a budget.

Every variant is simulated on common random numbers with the baseline (same seed, same batches,
same per-mechanism streams), so the difference of two exposure shares is estimated from paired
per-run figures and its interval is much narrower than two independent intervals would give.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from simulator.analysis.results import Results, aggregate, t_quantile_975
from simulator.budget import check_variants
from simulator.errors import ExposureError, ResourceError, UsageError, did_you_mean
from simulator.i18n import _
from simulator.runner import BatchSummary, batch_size, simulate_variants
from simulator.scenario import LoadedScenario, variant

if TYPE_CHECKING:  # the uncertainty module builds on this one
    from simulator.analysis.uncertainty import Uncertainty

MAX_VARIANTS = 200
# Exhaustive search of bundles within a budget up to this many candidate bundles, greedy beyond.
EXACT_BUNDLES = 64
# Greedy by benefit per effort, against the best single countermeasure, is within this factor
# of the best bundle when protective effects have diminishing returns (Khuller, Moss & Naor 1999).
GREEDY_BOUND = 0.5 * (1.0 - 1.0 / math.e)


@dataclass(frozen=True)
class Delta:
    """The paired change of one role's exposure share, variant minus baseline."""

    p_exposed: float
    ci95: tuple[float, float]
    distinguishable: bool
    median_days_gained: int | None
    safe_days_gained: float

    @property
    def same_outcome(self) -> bool:
        """Each paired run ends with as many of the role exposed: change and interval are exactly 0.

        (The paired residuals are all 0 only when each run's count is the same with and without.)
        """
        return self.p_exposed == 0.0 and self.ci95 == (0.0, 0.0)

    @property
    def unchanged(self) -> bool:
        """No paired run changed: the same outcome, and not a day of exposure earlier or later."""
        return self.same_outcome and self.safe_days_gained == 0.0


@dataclass
class Variant:
    """One countermeasure or bundle, simulated and compared with the baseline."""

    name: str
    members: list[str]
    loaded: LoadedScenario
    summaries: list[BatchSummary]
    results: Results
    delta: dict[str, Delta] = field(default_factory=dict)

    @property
    def effort(self) -> float | None:
        """Total declared effort of the members (None if any member declares none)."""
        cms = self.loaded.scenario.countermeasures
        efforts = [cms[m].effort for m in self.members]
        return (
            None
            if any(e is None for e in efforts)
            else float(sum(e for e in efforts if e is not None))
        )


@dataclass
class BudgetChoice:
    """The bundle within the budget that protects the role most, and what each member adds."""

    budget: float
    method: str  # "exact" or "greedy"
    bound: float | None
    variant: Variant
    contributions: dict[str, Delta]
    searched: int


@dataclass
class Comparison:
    """A baseline, its variants sorted by benefit to the role, and optionally a budget choice."""

    role: str
    baseline: Variant
    variants: list[Variant]
    budget: BudgetChoice | None = None
    uncertainty: Uncertainty | None = None  # each variant's change over the sourced ranges


def simulate_loaded(
    base: LoadedScenario,
    made: Sequence[tuple[str, list[str], LoadedScenario]],
    runs: int,
    seed: int,
    workers: int = 1,
    on_progress: Callable[[float], None] | None = None,
    scheduler: str | None = None,
) -> list[Variant]:
    """Simulate variants of `base`, each (name, members, loaded), together on common random numbers.

    All of them use the base's batch size, so run r of every variant draws from the same streams
    and their differences are paired run by run.
    """
    per_variant = simulate_variants(
        [ld.scenario for _name, _members, ld in made],
        runs,
        seed,
        workers,
        on_progress,
        size=batch_size(base.scenario),
        scheduler=scheduler,
    )
    return [
        Variant(name, members, ld, summaries, aggregate(summaries, ld.scenario))
        for (name, members, ld), summaries in zip(made, per_variant)
    ]


def _per_run(summaries: list[BatchSummary], role: int) -> tuple[np.ndarray, np.ndarray]:
    people = np.concatenate([s.people[:, role] for s in summaries]).astype(float)
    exposed = np.concatenate([s.exposures[:, role, :].sum(axis=1) for s in summaries]).astype(float)
    return exposed, people


def paired_delta(base: Variant, other: Variant, role: str) -> Delta:
    """Variant minus baseline for one role, with a 95% interval from the paired per-run figures."""
    k = base.loaded.scenario.role_names.index(role)
    kv = other.loaded.scenario.role_names.index(role)
    xb, nb = _per_run(base.summaries, k)
    xv, nv = _per_run(other.summaries, kv)
    pb = xb.sum() / nb.sum() if nb.sum() else 0.0
    pv = xv.sum() / nv.sum() if nv.sum() else 0.0
    diff = pv - pb
    runs = xb.size
    if runs < 2 or not nb.sum() or not nv.sum():
        # One run, or a role with nobody in it, says nothing about a change.
        ci = (-1.0, 1.0)
    else:
        # Linearised ratio estimators, paired run by run.
        resid = (xv - pv * nv) / nv.mean() - (xb - pb * nb) / nb.mean()
        se = math.sqrt(float((resid**2).sum()) / (runs * (runs - 1)))
        half = t_quantile_975(runs - 1) * se
        ci = (max(-1.0, diff - half), min(1.0, diff + half))
    gb, gv = base.results.roles[role], other.results.roles[role]
    median = (
        None if gb.median_day is None or gv.median_day is None else gv.median_day - gb.median_day
    )
    safe = float(sum(1.0 - c for c in gv.curve[1:]) - sum(1.0 - c for c in gb.curve[1:]))
    distinguishable = bool(ci[0] > 0.0 or ci[1] < 0.0)
    return Delta(float(diff), (float(ci[0]), float(ci[1])), distinguishable, median, safe)


def bundles(names: Sequence[str], max_size: int) -> list[tuple[str, ...]]:
    """Every bundle of 2..max_size countermeasures, in a fixed order."""
    out: list[tuple[str, ...]] = []
    for size in range(2, max_size + 1):
        out.extend(itertools.combinations(names, size))
    return out


def check_countermeasures_fit(
    base: LoadedScenario,
    made: Sequence[tuple[Sequence[str], LoadedScenario]],
    runs: int,
    workers: int,
    remote: bool = False,
) -> None:
    """Refuse a countermeasure (or bundle) whose variant beside the baseline would exceed the
    command's memory or time, with the line where the file defines it and what would fit.

    `remote`: the batches run on a cluster, so only their summaries are held here."""
    size = batch_size(base.scenario)
    for members, changed in made:
        try:
            check_variants([base.scenario, changed.scenario], runs, workers, size, remote=remote)
        except ExposureError as exc:
            source, line, column = base.original.locate(("countermeasures", members[0]), key=True)
            where = source if line is None else f"{source}:{line}:{column or 1}"
            raise ResourceError(
                _("{where}: countermeasures.{name}: {problem}").format(
                    where=where, name="+".join(members), problem=exc.message
                ),
                advice=exc.advice,
            ) from None


class Comparer:
    """Simulates variants of one loaded scenario on common random numbers."""

    def __init__(
        self,
        base: LoadedScenario,
        *,
        runs: int | None,
        seed: int,
        workers: int,
        on_progress: Callable[[float], None] | None = None,
    ):
        self.base = base
        self.seed = seed
        self.workers = workers
        self.on_progress = on_progress
        self.runs = runs if runs is not None else base.scenario.runs
        self._cache: dict[tuple[str, ...], Variant] = {}

    def check_names(self, names: Sequence[str]) -> None:
        """Refuse countermeasures the scenario does not define, listing the valid names."""
        valid = list(self.base.scenario.countermeasures)
        for name in names:
            if name not in valid:
                listed = ", ".join(f"`{n}`" for n in valid) or "none"
                raise UsageError(
                    f"no countermeasure named `{name}`{did_you_mean(name, valid)}; "
                    f"defined: {listed}",
                    subject="countermeasure",
                )

    def variants(self, bundles_: Sequence[tuple[str, ...]]) -> list[Variant]:
        """Simulate the baseline (the empty bundle) and the given bundles, reusing earlier ones."""
        wanted = [b for b in dict.fromkeys([(), *bundles_]) if b not in self._cache]
        if wanted:
            todo = [
                (
                    "+".join(b) if b else "baseline",
                    list(b),
                    variant(self.base, countermeasures=b) if b else self.base,
                )
                for b in wanted
            ]
            # A countermeasure that grows the town is named where the file defines it, before
            # any work, rather than refused with the others as an anonymous variant.
            check_countermeasures_fit(
                self.base,
                [(members, made) for _label, members, made in todo if members],
                self.runs,
                self.workers,
            )
            simulated = simulate_loaded(
                self.base, todo, self.runs, self.seed, self.workers, self.on_progress
            )
            self._cache.update(zip(wanted, simulated))
        base = self._cache[()]
        out = []
        for bundle in bundles_:
            made = self._cache[bundle]
            made.delta = {
                role: paired_delta(base, made, role) for role in base.loaded.scenario.role_names
            }
            out.append(made)
        return out

    @property
    def baseline(self) -> Variant:
        """The simulated baseline."""
        if () not in self._cache:
            self.variants([])
        return self._cache[()]


def compare(
    comparer: Comparer,
    names: Sequence[str],
    role: str,
    *,
    max_size: int = 1,
    budget: float | None = None,
) -> Comparison:
    """Simulate each countermeasure (and bundles up to `max_size`), sorted by benefit to `role`."""
    comparer.check_names(names)
    singles = [(n,) for n in names]
    combos = bundles(names, max_size) if max_size > 1 else []
    if len(singles) + len(combos) > MAX_VARIANTS:
        raise UsageError(
            f"that makes {len(singles) + len(combos)} variants; at most {MAX_VARIANTS}",
            subject="max_size",
            given=max_size,
            advice=" (use a smaller {max_size} or fewer {countermeasures})",
        )
    variants = comparer.variants([*singles, *combos])
    variants.sort(key=lambda v: (v.delta[role].p_exposed, v.name))
    result = Comparison(role=role, baseline=comparer.baseline, variants=variants)
    if budget is not None:
        result.budget = best_bundle(comparer, names, role, budget)
    return result


def best_bundle(comparer: Comparer, names: Sequence[str], role: str, budget: float) -> BudgetChoice:
    """The bundle within the budget that lowers the role's exposure most.

    Exhaustive when there are few candidate bundles; otherwise greedy by benefit per unit of
    effort, compared with the best single countermeasure, which is within GREEDY_BOUND of the
    best bundle when effects have diminishing returns.
    """
    cms = comparer.base.scenario.countermeasures
    costed = [n for n in names if cms[n].effort is not None]
    if not costed:
        raise UsageError(
            "no countermeasure declares an `effort`; "
            "add `effort: N` to the countermeasures to compare them within a budget",
            subject="budget",
        )
    effort = {n: float(cms[n].effort or 0.0) for n in costed}
    feasible = [
        b
        for size in range(1, len(costed) + 1)
        for b in itertools.combinations(costed, size)
        if sum(effort[m] for m in b) <= budget + 1e-9
    ]
    if not feasible:
        cheapest = min(effort.values())
        raise UsageError(
            f"no countermeasure fits; the cheapest costs {cheapest:g}",
            subject="budget",
            given=f"{budget:g}",
        )
    if len(feasible) <= EXACT_BUNDLES:
        method, bound = "exact", None
        candidates = comparer.variants(feasible)
        best = min(candidates, key=lambda v: (v.delta[role].p_exposed, v.effort or 0.0, v.name))
        searched = len(candidates)
    else:
        method, bound = "greedy", GREEDY_BOUND
        best, searched = _greedy(comparer, costed, effort, role, budget)
    contributions = {}
    for member in best.members:
        rest = tuple(m for m in best.members if m != member)
        without = comparer.variants([rest])[0] if rest else comparer.baseline
        # What the member adds: exposure without it minus exposure with the whole bundle.
        contributions[member] = paired_delta(best, without, role)
    return BudgetChoice(budget, method, bound, best, contributions, searched)


def _greedy(
    comparer: Comparer, costed: list[str], effort: dict[str, float], role: str, budget: float
) -> tuple[Variant, int]:
    chosen: tuple[str, ...] = ()
    current = comparer.baseline
    searched = 0
    while True:
        spent = sum(effort[m] for m in chosen)
        options = [
            tuple(sorted((*chosen, n)))
            for n in costed
            if n not in chosen and spent + effort[n] <= budget + 1e-9
        ]
        if not options:
            break
        trials = comparer.variants(options)
        searched += len(trials)
        gains = []
        for bundle, trial in zip(options, trials):
            added = next(n for n in bundle if n not in chosen)
            gain = current.results.roles[role].p_exposed - trial.results.roles[role].p_exposed
            gains.append((gain / max(effort[added], 1e-9), gain, bundle, trial))
        _ratio, gain, bundle, trial = max(gains, key=lambda g: (g[0], g[1], g[2]))
        if gain <= 0:
            break
        chosen, current = bundle, trial
    singles = comparer.variants([(n,) for n in costed if effort[n] <= budget + 1e-9])
    best_single = min(singles, key=lambda v: v.results.roles[role].p_exposed)
    if (
        not chosen
        or best_single.results.roles[role].p_exposed < current.results.roles[role].p_exposed
    ):
        current = best_single
    current.delta = {
        r: paired_delta(comparer.baseline, current, r) for r in comparer.base.scenario.role_names
    }
    return current, searched
