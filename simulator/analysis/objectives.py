"""Learning objectives as checked claims: simulate a scenario and test each `expect` clause.

Every claim is decided by a 95% interval, never by a point estimate, so that a claim that holds
says something the runs bear out rather than something one lucky seed showed:

- a countermeasure *lowers* (or *raises*) a role's exposure when the paired interval of the change
  (the same runs with and without it, on common random numbers) lies wholly below zero (above);
- a countermeasure *protects* a role *more than* another when the paired interval of the role's
  share exposed with the one minus with the other lies wholly below zero;
- a cause is *the most common* for a role when, against every other cause, the interval of its lead
  (its share of the role's exposures minus the other's) lies wholly above zero;
- a role's exposure within some days is *above* (or *below*) a share when its whole interval is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulator.analysis.compare import Comparer, Variant, paired_delta
from simulator.analysis.results import clustered_interval, proportion_interval, t_quantile_975
from simulator.errors import Problem, ScenarioError
from simulator.scenario import LoadedScenario
from simulator.scenario.loader import Path_
from simulator.scenario.model import (
    AnyClaim,
    CauseClaim,
    ComparisonClaim,
    EffectClaim,
    ExposureClaim,
    Scenario,
)
from simulator.scenario.validation import located_claims

Claim = AnyClaim


@dataclass(frozen=True)
class Finding:
    """One claim, checked: whether it holds, and the figures that decide it.

    `value` and `ci95` are the tested figure: the change of the role's exposure (effect claims),
    the lead of the cause over the most common other cause (cause claims), the share exposed
    (exposure claims), or the share exposed with the countermeasure minus with the other one
    (comparison claims, whose `baseline` is then the share with the other, `variant` with it).
    """

    objective: int  # index into the scenario's learning_objectives
    path: Path_  # where the claim is written
    claim: Claim
    holds: bool
    value: float
    ci95: tuple[float, float]
    baseline: float | None = None  # effect claims: exposure without the countermeasure
    variant: float | None = None  # effect claims: exposure with it
    share: float | None = None  # cause claims: the cause's share of the role's exposures
    runner_up: str | None = None  # cause claims: the most common other cause
    runner_up_share: float | None = None
    exposures: float | None = None  # cause claims: exposures of the role over all runs

    @property
    def degenerate(self) -> bool:
        """Whether the runs leave no room for the claim: nothing to lower, raise or rank.

        An effect or a comparison is degenerate when the role was exposed in every run or in
        none, with the countermeasure and without it (or with either); a cause, when the role
        was never exposed. Such a claim does not hold there, but nothing the role did could
        have mattered either.
        """
        if isinstance(self.claim, CauseClaim):
            return not self.exposures
        if self.baseline is None or self.variant is None:
            return False
        return self.baseline == self.variant and self.baseline in (0.0, 1.0)


@dataclass(frozen=True)
class ObjectiveCheck:
    """Every claim of one scenario, checked on the same runs."""

    loaded: LoadedScenario
    runs: int
    seed: int
    findings: list[Finding]

    @property
    def holding(self) -> int:
        """How many claims hold."""
        return sum(f.holds for f in self.findings)


def has_claims(scenario: Scenario) -> bool:
    """Whether any learning objective carries an `expect` clause."""
    return bool(located_claims(scenario))


def uncheckable(loaded: LoadedScenario) -> list[Problem]:
    """Claims that cannot be checked on this scenario as loaded (after --days and patches)."""
    s = loaded.scenario
    doc = loaded.document
    problems: list[Problem] = []
    for path, _index, claim in located_claims(s):
        if (
            isinstance(claim, ExposureClaim)
            and claim.exposed_within is not None
            and claim.exposed_within > s.days
        ):
            problems.append(
                doc.problem(
                    (*path, "exposed_within"),
                    f"the scenario runs only {s.days} days, so exposure within "
                    f"{claim.exposed_within} days cannot be checked",
                )
            )
        role, key = _role_of(claim)
        spec = s.population.roles.get(role)
        if spec is not None and spec.count == 0:
            problems.append(
                doc.problem(
                    (*path, key),
                    f"the role `{role}` has no people (count: 0), so there is nothing to check",
                )
            )
    return problems


def _role_of(claim: Claim) -> tuple[str, str]:
    """The role a claim is about, and the key that names it."""
    if isinstance(claim, EffectClaim):
        return claim.role, "lowers" if claim.lowers is not None else "raises"
    if isinstance(claim, ComparisonClaim):
        return claim.protects, "protects"
    if isinstance(claim, CauseClaim):
        return claim.most_common_for, "most_common_for"
    return claim.role, "role"


def claim_bundles(claim: Claim) -> list[tuple[str, ...]]:
    """The bundles of countermeasures a claim's runs need on top of the baseline."""
    if isinstance(claim, EffectClaim):
        return [(claim.countermeasure,)]
    if isinstance(claim, ComparisonClaim):
        return [(claim.countermeasure,), (claim.more_than,)]
    if isinstance(claim, ExposureClaim) and claim.with_:
        return [tuple(dict.fromkeys(claim.with_))]
    return []


def needed_bundles(claims: list[tuple[Path_, int, Claim]]) -> list[tuple[str, ...]]:
    """Every bundle the claims need, once each, in the order the claims first need them."""
    return list(dict.fromkeys(b for _p, _i, c in claims for b in claim_bundles(c)))


def check_claims(
    claims: list[tuple[Path_, int, Claim]], variants: dict[tuple[str, ...], Variant]
) -> list[Finding]:
    """Check each claim on simulated variants by bundle (the empty bundle is the baseline)."""
    base = variants[()]
    findings = []
    for path, index, claim in claims:
        if isinstance(claim, EffectClaim):
            findings.append(
                check_effect(index, path, claim, base, variants[(claim.countermeasure,)])
            )
        elif isinstance(claim, ComparisonClaim):
            findings.append(
                check_comparison(
                    index,
                    path,
                    claim,
                    variants[(claim.countermeasure,)],
                    variants[(claim.more_than,)],
                )
            )
        elif isinstance(claim, CauseClaim):
            findings.append(check_cause(index, path, claim, base))
        else:
            bundles = claim_bundles(claim)
            findings.append(
                check_exposure(index, path, claim, variants[bundles[0]] if bundles else base)
            )
    return findings


class ObjectiveChecker:
    """Simulates a scenario once with every variant its claims need, then checks each claim."""

    def __init__(
        self,
        loaded: LoadedScenario,
        *,
        runs: int | None,
        seed: int,
        workers: int = 1,
        on_progress: Callable[[float], None] | None = None,
    ):
        self.comparer = Comparer(
            loaded, runs=runs, seed=seed, workers=workers, on_progress=on_progress
        )
        self.seed = seed

    @property
    def loaded(self) -> LoadedScenario:
        """The scenario as loaded."""
        return self.comparer.base

    @property
    def runs(self) -> int:
        """Runs per variant."""
        return self.comparer.runs

    def variant_count(self) -> int:
        """How many variants (the baseline included) the claims need."""
        return 1 + len(needed_bundles(located_claims(self.loaded.scenario)))

    def check(self) -> ObjectiveCheck:
        """Simulate and check every claim; a claim that cannot be checked is an error."""
        problems = uncheckable(self.loaded)
        if problems:
            raise ScenarioError(problems)
        claims = located_claims(self.loaded.scenario)
        bundles = needed_bundles(claims)
        variants = dict(zip(bundles, self.comparer.variants(bundles)))
        variants[()] = self.comparer.baseline
        return ObjectiveCheck(self.loaded, self.runs, self.seed, check_claims(claims, variants))


def check_objectives(
    loaded: LoadedScenario,
    *,
    runs: int | None = None,
    seed: int = 1,
    workers: int = 1,
    on_progress: Callable[[float], None] | None = None,
) -> ObjectiveCheck:
    """Simulate a loaded scenario and every variant its claims need, and check each claim."""
    return ObjectiveChecker(
        loaded, runs=runs, seed=seed, workers=workers, on_progress=on_progress
    ).check()


def check_effect(
    index: int, path: Path_, claim: EffectClaim, base: Variant, variant: Variant
) -> Finding:
    """A countermeasure lowers (raises) a role's exposure: paired interval below (above) zero."""
    role = claim.role
    delta = paired_delta(base, variant, role)
    lo, hi = delta.ci95
    holds = hi < -claim.by_at_least if claim.lowers is not None else lo > claim.by_at_least
    return Finding(
        index,
        path,
        claim,
        bool(holds),
        delta.p_exposed,
        delta.ci95,
        baseline=base.results.roles[role].p_exposed,
        variant=variant.results.roles[role].p_exposed,
    )


def check_comparison(
    index: int, path: Path_, claim: ComparisonClaim, first: Variant, other: Variant
) -> Finding:
    """One countermeasure protects a role more than another: paired interval below zero."""
    delta = paired_delta(other, first, claim.protects)
    return Finding(
        index,
        path,
        claim,
        bool(delta.ci95[1] < 0.0),
        delta.p_exposed,
        delta.ci95,
        baseline=other.results.roles[claim.protects].p_exposed,
        variant=first.results.roles[claim.protects].p_exposed,
    )


def check_exposure(index: int, path: Path_, claim: ExposureClaim, variant: Variant) -> Finding:
    """A role's share exposed by a day lies above (below) a bound, with its whole interval."""
    scenario = variant.loaded.scenario
    k = scenario.role_names.index(claim.role)
    day = claim.exposed_within if claim.exposed_within is not None else scenario.days
    exposed = np.concatenate(
        [s.exposures[:, k, : day + 1].sum(axis=1) for s in variant.summaries]
    ).astype(float)
    people = np.concatenate([s.people[:, k] for s in variant.summaries]).astype(float)
    p, (lo, hi) = clustered_interval(exposed, people)
    holds = lo > claim.above if claim.above is not None else hi < float(claim.below or 0.0)
    return Finding(index, path, claim, bool(holds), p, (lo, hi))


def lead_interval(
    first: np.ndarray, second: np.ndarray, total: np.ndarray
) -> tuple[float, tuple[float, float]]:
    """The lead of one cause over another as shares of all exposures, with a 95% interval.

    Per-run counts: exposures through the first cause, the second, and in all. The lead is a ratio
    of sums, so its variance comes from the linearised per-run residuals (runs are independent,
    people within a run are not). When the residuals vanish (every run split the same way, say
    all through the first cause), each run with an exposure counts as one observation of a
    binomial, as `clustered_interval` does.
    """
    n = float(total.sum())
    if n == 0:
        return 0.0, (-1.0, 1.0)
    runs = total.size
    lead = float((first - second).sum()) / n
    if runs < 2:
        return lead, (-1.0, 1.0)
    resid = ((first - second) - lead * total) / (n / runs)
    se = math.sqrt(float((resid**2).sum()) / (runs * (runs - 1)))
    if se > 0:
        half = t_quantile_975(runs - 1) * se
        return lead, (max(-1.0, lead - half), min(1.0, lead + half))
    informative = float(((first + second) > 0).sum())
    if lead > 0:
        return lead, (max(-1.0, 2.0 * proportion_interval(informative, informative)[0] - 1.0), lead)
    if lead < 0:
        return lead, (lead, min(1.0, 1.0 - 2.0 * proportion_interval(informative, informative)[0]))
    return lead, (-1.0, 1.0)


def check_cause(index: int, path: Path_, claim: CauseClaim, base: Variant) -> Finding:
    """A cause leads every other cause of the role's exposures, each lead's interval above zero."""
    scenario = base.loaded.scenario
    k = scenario.role_names.index(claim.most_common_for)
    mechanisms = scenario.mechanisms
    counts = np.concatenate([s.run_causes[:, k, :] for s in base.summaries]).astype(
        float
    )  # [runs, mechanisms]
    total = counts.sum(axis=1)
    c = mechanisms.index(claim.cause)
    n = float(total.sum())
    shares = counts.sum(axis=0) / n if n else np.zeros(len(mechanisms))
    others = [m for m in range(len(mechanisms)) if m != c]
    leads = {m: lead_interval(counts[:, c], counts[:, m], total) for m in others}
    holds = n > 0 and all(ci[0] > 0 for _lead, ci in leads.values())
    # Report against the most common other cause (the first in file order on a tie).
    runner = max(others, key=lambda m: (shares[m], -m)) if others else None
    lead, ci = leads[runner] if runner is not None else (float(shares[c]), (0.0, 1.0))
    return Finding(
        index,
        path,
        claim,
        bool(holds),
        lead,
        ci,
        share=float(shares[c]),
        runner_up=mechanisms[runner] if runner is not None else None,
        runner_up_share=float(shares[runner]) if runner is not None else None,
        exposures=n,
    )


__all__ = [
    "Finding",
    "ObjectiveCheck",
    "ObjectiveChecker",
    "check_cause",
    "check_claims",
    "check_comparison",
    "check_effect",
    "check_exposure",
    "check_objectives",
    "claim_bundles",
    "has_claims",
    "lead_interval",
    "needed_bundles",
    "uncheckable",
]
