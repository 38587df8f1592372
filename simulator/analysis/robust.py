"""Learning objectives checked across the sourced ranges: holds, holds only when, or does not hold.

A claim that holds at the file's values may hang on an estimate. Each claim is checked, with its
usual paired statistics, at parameter sets spread over the ranges:

1. at the file's values, on the scenario's runs: the same check as `validate --check-objectives`;
2. at each ranged parameter's two ends with the others at the file's values (one at a time), at
   the corners of the parameters that move the claim's figure most, and at a Latin hypercube
   sample, all in one simulation on common random numbers, on at most ROBUST_RUNS runs per set
   (the sets are many), each with the countermeasures its claims need and once however many
   claims plan it. A claim that holds there holds: its interval is valid, only wider. Every
   failure is simulated again on the scenario's runs, and only a failure there counts;
3. when a parameter's one-at-a-time sweep flips the claim, the threshold where it flips is found
   by bisection on that parameter alone (the others at the file's values), each step on the
   scenario's runs, to 1/2^BISECTION_STEPS
   of the way from the file's value to the end where the claim fails. The bracket the bisection
   ends in is the threshold's interval; near the threshold each decision is itself uncertain,
   so the bracket says where the claim's interval stops excluding zero, not an exact point.

A claim may say where it holds (`when: {param: KEY, above: T}`, or a list of such conditions that
hold together): it is then checked only in that part of the parameters' ranges, and holding there
passes.

A parameter set where the runs leave no room for the claim (the role exposed in every run or in
none, with and without the countermeasure; a cause claimed for a role never exposed) is counted
apart: the claim does not hold there, but nothing the role did could have mattered either, and
the verdict says at how many sets that happened.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from simulator.analysis.compare import Variant, check_countermeasures_fit
from simulator.analysis.objectives import (
    Claim,
    Finding,
    check_claims,
    claim_bundles,
    needed_bundles,
    uncheckable,
)
from simulator.analysis.uncertainty import (
    ParameterSet,
    file_values,
    latin_hypercube,
    no_ranges,
    simulate_sets,
)
from simulator.errors import Problem, ScenarioError
from simulator.scenario import LoadedScenario, as_written, variant
from simulator.scenario.loader import Path_
from simulator.scenario.model import ComparisonClaim, Condition, EffectClaim, ExposureClaim
from simulator.scenario.validation import located_claims, value_at

ROBUST_RUNS = 50
# A failure that leans the claimed way is simulated again on twice, then four times the
# scenario's runs, until it resolves (each look adds runs to the ones before).
CLOSE_CALL_RUNS = (2, 4)
BISECTION_STEPS = 4
DEFAULT_SETS = 16
# Corners are taken over at most this many parameters (those that move a claim's figure most).
CORNER_KEYS = 3
# A claim that fails with no one parameter to blame is shown at this many of its failing sets,
# each by this many of its parameters furthest from the file's values.
WHERE_SETS = 3
WHERE_KEYS = 3

Located = tuple[Path_, int, Claim]
# A parameter set as a key: its (parameter, value) pairs in order; None for the file's values.
_SetKey = tuple[tuple[str, float], ...] | None


def _set_key(values: ParameterSet | None) -> _SetKey:
    """A parameter set as a key, equal for equal sets."""
    return None if values is None else tuple(sorted(values.items()))


@dataclass(frozen=True)
class _Plan:
    """What a robust check simulates first (see `RobustChecker._planned`)."""

    base: ParameterSet  # the file's values
    grouped: list[list[int]]  # the claims of each group, by group index
    needs: list[list[tuple[str, ...]]]  # the countermeasures each group's claims need
    regions: list[dict[str, tuple[float, float]]]  # each group's ranges, its condition applied
    starting: list[tuple[ParameterSet, int]]  # a stated region's point nearest the file's values
    sets: list[tuple[ParameterSet, int, str]]  # (values, group, kind) at ROBUST_RUNS runs


@dataclass(frozen=True)
class Threshold:
    """Where a claim flips: it holds when `param` is on `side` of `value`, within `bracket`."""

    param: str
    side: str  # "above" or "below"
    value: float
    bracket: tuple[float, float]


@dataclass(frozen=True)
class RobustFinding:
    """One claim checked across the sourced ranges."""

    at_file: Finding  # at the file's values (or the nearest point of the claim's stated region)
    verdict: (
        str  # "holds", "holds_when" (as the file states), "holds_only_when", "fails", "not_at_file"
    )
    sets: int  # parameter sets the claim was checked at, beyond the file's values
    failing: int  # of those, how many it failed at (sets without room for it apart)
    threshold: Threshold | None = None
    conditions: tuple[Condition, ...] = ()
    degenerate: int = 0  # sets where the runs left no room for the claim (see the module)
    also: tuple[str, ...] = ()  # other parameters whose one-at-a-time sweep flips the claim
    # For a claim that fails with no one parameter to blame: a few sets it fails at, each as the
    # parameters furthest from the file's values there, (key, value, "low" or "high").
    where: tuple[tuple[tuple[str, float, str], ...], ...] = ()

    @property
    def passes(self) -> bool:
        """Whether the claim holds wherever it says it does."""
        return self.verdict in ("holds", "holds_when")


@dataclass(frozen=True)
class RobustCheck:
    """Every claim of one scenario, checked across its sourced ranges."""

    loaded: LoadedScenario
    runs: int
    set_runs: int
    seed: int
    findings: list[RobustFinding] = field(default_factory=list)

    @property
    def passing(self) -> int:
        """How many claims hold wherever they say they do."""
        return sum(f.passes for f in self.findings)


def _region(
    ranges: dict[str, tuple[float, float]], conditions: Sequence[Condition]
) -> dict[str, tuple[float, float]]:
    """The ranges a claim is checked over: each stated condition narrows one of them."""
    out = dict(ranges)
    for condition in conditions:
        lo, hi = out[condition.param]
        if condition.above is not None:
            lo = max(lo, condition.above)
        else:
            hi = min(hi, float(condition.below or 0.0))
        out[condition.param] = (lo, max(lo, hi))
    return out


def _clamped(values: ParameterSet, region: dict[str, tuple[float, float]]) -> ParameterSet:
    return {k: min(max(v, region[k][0]), region[k][1]) for k, v in values.items()}


def _condition_problems(loaded: LoadedScenario, claims: list[Located]) -> list[Problem]:
    """Stated conditions on parameters that have no sourced range."""
    problems = []
    for path, _i, claim in claims:
        listed = isinstance(value_at(loaded.document.data, (*path, "when")), list)
        for j, condition in enumerate(claim.when):
            if condition.param not in loaded.ranges:
                where = (*path, "when", j, "param") if listed else (*path, "when", "param")
                problems.append(
                    loaded.document.problem(
                        where,
                        f"`{condition.param}` has no sourced range, so a claim cannot be "
                        "conditioned on it",
                    )
                )
    return problems


class RobustChecker:
    """Checks every claim of a scenario at its file's values and across its sourced ranges."""

    def __init__(
        self,
        loaded: LoadedScenario,
        *,
        runs: int | None,
        sets: int = DEFAULT_SETS,
        seed: int = 1,
        workers: int = 1,
        scheduler: str | None = None,
        on_progress: Callable[[float], None] | None = None,
    ):
        self.loaded = loaded
        self.runs = runs if runs is not None else loaded.scenario.runs
        self.set_runs = min(self.runs, ROBUST_RUNS)
        self.sets = sets
        self.seed = seed
        self.workers = workers
        self.scheduler = scheduler
        self.on_progress = on_progress

    def _simulate(
        self,
        sets: Sequence[ParameterSet | None],
        bundles: list[tuple[str, ...]],
        runs: int,
        per_set: Sequence[Sequence[tuple[str, ...]]] | None = None,
    ) -> list[dict[tuple[str, ...], Variant]]:
        """Every set with its bundles (`per_set`, or `bundles` for all), each simulated once.

        The claims' groups plan many of the same sets (a stated condition that the file's values
        meet starts its one-at-a-time ends from the file's values too): a set and bundle asked
        for twice in one call is simulated once. Its answer would be the same bytes: a variant's
        runs depend only on the variant, the seed, the number of runs and the scenario's batch
        size. Nothing is kept between calls, so each stage's variants are freed once checked.
        """
        wanted = [
            list(dict.fromkeys([(), *(per_set[i] if per_set is not None else bundles)]))
            for i in range(len(sets))
        ]
        keys = [_set_key(v) for v in sets]
        todo: dict[_SetKey, tuple[ParameterSet | None, list[tuple[str, ...]]]] = {}
        for values, key, bundles_wanted in zip(sets, keys, wanted):
            todo.setdefault(key, (values, []))[1].extend(bundles_wanted)
        simulated = simulate_sets(
            self.loaded,
            [values for values, _b in todo.values()],
            [],
            runs=runs,
            seed=self.seed,
            workers=self.workers,
            scheduler=self.scheduler,
            on_progress=self.on_progress,
            per_set=[list(dict.fromkeys(b)) for _v, b in todo.values()],
        )
        done = dict(zip(todo, simulated))
        return [
            {bundle: done[key][bundle] for bundle in bundles_wanted}
            for key, bundles_wanted in zip(keys, wanted)
        ]

    def variant_estimate(self) -> int:
        """Runs of variants the first stages simulate (the corners as if every group had them),
        for progress and budgets; a scenario the check will refuse gets a rough figure."""
        claims = located_claims(self.loaded.scenario)
        if (
            not self.loaded.ranges
            or uncheckable(self.loaded)
            or _condition_problems(self.loaded, claims)
        ):
            per_set = 1 + len(needed_bundles(claims))
            k = len(self.loaded.ranges)
            return per_set * (self.runs + self.set_runs * (self.sets + 2 * k + 2**CORNER_KEYS))
        plan = self._planned(claims)

        def variants(sets: list[tuple[ParameterSet, int]]) -> int:
            return len({(_set_key(v), b) for v, g in sets for b in [(), *plan.needs[g]]})

        corners = sum(
            2 ** min(CORNER_KEYS, len(region)) * (1 + len(plan.needs[g]))
            for g, region in enumerate(plan.regions)
            if len(region) >= 2
        )
        return self.runs * (
            1 + len(needed_bundles(claims)) + variants(plan.starting)
        ) + self.set_runs * (variants([(v, g) for v, g, _k in plan.sets]) + corners)

    def _planned(self, claims: list[Located]) -> _Plan:
        """The claims' groups (those with the same stated condition share their parameter sets),
        the countermeasures each group needs, its region, and the sets to simulate first."""
        base = file_values(self.loaded)
        groups: dict[tuple[tuple[str, str, float], ...], list[int]] = {}
        for i, (_p, _j, claim) in enumerate(claims):
            groups.setdefault(_conditions_key(claim.when), []).append(i)
        grouped = list(groups.values())  # each group's claims, by group index
        # The countermeasures each group's claims need: its sets simulate those alone.
        needs = [needed_bundles([claims[i] for i in members]) for members in grouped]
        plan: list[tuple[ParameterSet, int, str]] = []  # (values, group index, kind)
        regions = []
        for g, members in enumerate(grouped):
            region = _region(self.loaded.ranges, claims[members[0]][2].when)
            regions.append(region)
            start = _clamped(base, region)
            if start != base:
                plan.append((start, g, "start"))
            for key, (lo, hi) in region.items():
                for end in (lo, hi):
                    if end != start[key]:
                        plan.append(({**start, key: end}, g, f"oat:{key}"))
            for values in latin_hypercube(region, self.sets, self.seed):
                plan.append((values, g, "lhs"))
        # A stated region's nearest point to the file's values stands for them: it is checked
        # on the scenario's runs, as the file's values are.
        starting = [(v, g) for v, g, kind in plan if kind == "start"]
        rest = [item for item in plan if item[2] != "start"]
        return _Plan(base, grouped, needs, regions, starting, rest)

    def check(self) -> RobustCheck:
        """Check every claim; a claim that cannot be checked is an error."""
        loaded = self.loaded
        if not loaded.ranges:
            raise no_ranges(loaded)
        problems = uncheckable(loaded)
        if problems:
            raise ScenarioError(problems)
        claims = located_claims(loaded.scenario)
        bad = _condition_problems(loaded, claims)
        if bad:
            raise ScenarioError(bad)
        bundles = needed_bundles(claims)
        check_countermeasures_fit(
            loaded,
            [(b, variant(loaded, countermeasures=b)) for b in bundles if b],
            self.runs,
            self.workers,
            remote=self.scheduler is not None,
        )
        at_file = check_claims(claims, self._simulate([None], bundles, self.runs)[0])
        planned = self._planned(claims)
        base, grouped, needs = planned.base, planned.grouped, planned.needs
        regions, starting, plan = planned.regions, planned.starting, planned.sets
        starts: dict[int, Finding] = {}
        if starting:
            simulated = self._simulate(
                [v for v, _g in starting], [], self.runs, per_set=[needs[g] for _v, g in starting]
            )
            for (_values, g), variants in zip(starting, simulated):
                members = grouped[g]
                checked = check_claims([claims[i] for i in members], variants)
                starts.update(zip(members, checked))
        simulated = self._simulate(
            [v for v, _g, _k in plan], [], self.set_runs, per_set=[needs[g] for _v, g, _k in plan]
        )
        found: list[list[tuple[ParameterSet, str, Finding]]] = [[] for _ in claims]
        for (values, g, kind), variants in zip(plan, simulated):
            members = grouped[g]
            for i, finding in zip(members, check_claims([claims[i] for i in members], variants)):
                found[i].append((values, kind, finding))
        # Corners over the parameters that move each group's figures most.
        corner_plan: list[tuple[ParameterSet, int]] = []
        for g, members in enumerate(grouped):
            region = regions[g]
            start = _clamped(base, region)
            keys = _moving_keys([found[i] for i in members], list(region))
            if len(keys) < 2:
                continue
            for ends in range(2 ** len(keys)):
                values = dict(start)
                for bit, key in enumerate(keys):
                    values[key] = region[key][(ends >> bit) & 1]
                corner_plan.append((values, g))
        if corner_plan:
            simulated = self._simulate(
                [v for v, _g in corner_plan],
                [],
                self.set_runs,
                per_set=[needs[g] for _v, g in corner_plan],
            )
            for (values, g), variants in zip(corner_plan, simulated):
                members = grouped[g]
                checked = check_claims([claims[i] for i in members], variants)
                for i, finding in zip(members, checked):
                    found[i].append((values, "corner", finding))
        # One-at-a-time ends first: a confirmed flip settles the verdict, so the claim's other
        # failures need no second look; the rest are confirmed only for claims without one.
        # A failure whose estimate leans the claimed way may be an effect too small for the
        # scenario's runs to resolve: it is simulated again on CLOSE_CALL_RUNS times as many,
        # and that answer stands, whether it resolves the effect or shows it too small to matter.
        # A flip that this dissolves sends the claim's other failures through the same steps.
        self._confirm(claims, found, lambda _i, kind: kind.startswith("oat:"))
        self._close_calls(claims, found, lambda _i, kind: kind.startswith("oat:"))
        settled: set[int] = set()
        while True:
            flipped = {i for i, per in enumerate(found) if _flips(per)}
            todo = set(range(len(claims))) - flipped - settled
            if not todo:
                break
            self._confirm(claims, found, _others_of(todo))
            # A claim that plainly fails somewhere fails whatever more runs show elsewhere.
            open_ = {
                i for i in todo if not any(_fails(f) and not _leans(f) for _v, _k, f in found[i])
            }
            self._close_calls(claims, found, _others_of(open_, oat=True))
            settled |= todo
        verdicts = [
            self._verdict(claims[i], starts.get(i, at_file[i]), found[i], base)
            for i in range(len(claims))
        ]
        verdicts = self._thresholds(claims, verdicts, found, base)
        return RobustCheck(loaded, self.runs, self.set_runs, self.seed, verdicts)

    def _close_calls(
        self,
        claims: list[Located],
        found: list[list[tuple[ParameterSet, str, Finding]]],
        which: Callable[[int, str], bool],
    ) -> None:
        """Simulate again, on more runs, the failures `which` picks that lean the claimed way.

        Each look that resolves a set ends its looks; the last look's answer stands. A claim
        with no effect has three chances, not one, to show a spurious one at a set (about 5%
        rather than 2.5%); a claim is said to hold only where it holds at every set.
        """
        for times in CLOSE_CALL_RUNS:
            self._confirm(claims, found, which, runs=self.runs * times, leaning=True)

    def _confirm(
        self,
        claims: list[Located],
        found: list[list[tuple[ParameterSet, str, Finding]]],
        which: Callable[[int, str], bool],
        *,
        runs: int | None = None,
        leaning: bool = False,
    ) -> None:
        """Re-check the failures `which(claim, kind)` picks on the scenario's runs, in one go.

        A claim that holds on fewer runs holds: its interval is a valid 95% interval, only
        wider. A failure on fewer runs may be that width alone, so it counts only if the claim
        also fails on as many runs as the check at the file's values uses.
        """
        runs = runs if runs is not None else self.runs
        if not leaning and self.set_runs >= self.runs:
            return
        failed = [
            (i, n)
            for i, per in enumerate(found)
            for n, (_v, kind, f) in enumerate(per)
            if not f.holds and which(i, kind) and (not leaning or _leans(f))
        ]
        if not failed:
            return
        # A set several claims failed at is simulated once, with all their countermeasures.
        simulated = self._simulate(
            [found[i][n][0] for i, n in failed],
            [],
            runs,
            per_set=[claim_bundles(claims[i][2]) for i, _n in failed],
        )
        for (i, n), variants in zip(failed, simulated):
            values, kind, _finding = found[i][n]
            found[i][n] = (values, kind, check_claims([claims[i]], variants)[0])

    def _verdict(
        self,
        claim: Located,
        start: Finding,
        found: list[tuple[ParameterSet, str, Finding]],
        base: ParameterSet,
    ) -> RobustFinding:
        """The verdict before any bisection: which parameters flip the claim one at a time."""
        conditions = tuple(claim[2].when)
        failing = sum(_fails(f) for _v, _k, f in found)
        apart = sum(not f.holds and f.degenerate for _v, _k, f in found)
        sets = len(found)
        if not start.holds:
            return RobustFinding(start, "not_at_file", sets, failing, None, conditions, apart)
        if not failing:
            verdict = "holds_when" if conditions else "holds"
            return RobustFinding(start, verdict, sets, 0, None, conditions, apart)
        flips = list(
            dict.fromkeys(
                k.removeprefix("oat:") for _v, k, f in found if k.startswith("oat:") and _fails(f)
            )
        )
        if flips:
            return RobustFinding(
                start, "holds_only_when", sets, failing, None, conditions, apart, tuple(flips)
            )
        sway = _sway(found)
        where = tuple(
            _furthest(values, base, self.loaded.ranges, sway)
            for values, _k, f in found
            if _fails(f)
        )[:WHERE_SETS]
        return RobustFinding(start, "fails", sets, failing, None, conditions, apart, (), where)

    def _thresholds(
        self,
        claims: list[Located],
        verdicts: list[RobustFinding],
        found: list[list[tuple[ParameterSet, str, Finding]]],
        base: ParameterSet,
    ) -> list[RobustFinding]:
        """Bisect every claim a parameter flips, all claims' steps in one simulation each."""
        todo: dict[int, tuple[str, float, float, ParameterSet]] = {}
        for i, v in enumerate(verdicts):
            if v.verdict != "holds_only_when":
                continue
            key = v.also[0]
            start = _clamped(base, _region(self.loaded.ranges, v.conditions))
            end = next(values[key] for values, k, f in found[i] if k == f"oat:{key}" and _fails(f))
            todo[i] = (key, start[key], end, start)
        brackets = {i: (good, bad) for i, (_k, good, bad, _s) in todo.items()}
        for _step in range(BISECTION_STEPS):
            if not todo:
                break
            order = list(todo)
            mids = {i: sum(brackets[i]) / 2.0 for i in order}
            sets = [{**todo[i][3], todo[i][0]: mids[i]} for i in order]
            simulated = self._simulate(
                sets, [], self.runs, per_set=[claim_bundles(claims[i][2]) for i in order]
            )
            for i, variants in zip(order, simulated):
                holds = check_claims([claims[i]], variants)[0].holds
                good, bad = brackets[i]
                brackets[i] = (mids[i], bad) if holds else (good, mids[i])
        out = list(verdicts)
        for i, (key, _good, _bad, _start) in todo.items():
            good, bad = brackets[i]
            side = "above" if bad < good else "below"
            threshold = Threshold(key, side, (good + bad) / 2.0, (min(good, bad), max(good, bad)))
            v = verdicts[i]
            out[i] = RobustFinding(
                v.at_file,
                v.verdict,
                v.sets,
                v.failing,
                threshold=threshold,
                conditions=v.conditions,
                degenerate=v.degenerate,
                also=v.also[1:],
            )
        return out


def _sway(found: list[tuple[ParameterSet, str, Finding]]) -> dict[str, float]:
    """How far each parameter alone, from one end of its range to the other, moves the figure."""
    ends: dict[str, list[float]] = {}
    for _v, kind, f in found:
        if kind.startswith("oat:"):
            ends.setdefault(kind.removeprefix("oat:"), []).append(f.value)
    return {k: max(v) - min(v) for k, v in ends.items() if len(v) == 2}


def _furthest(
    values: ParameterSet,
    base: ParameterSet,
    ranges: dict[str, tuple[float, float]],
    sway: dict[str, float],
) -> tuple[tuple[str, float, str], ...]:
    """The parameters of a set that most likely made the claim fail there.

    Each parameter is scored by how far it lies from the file's value, as a share of its range
    (on a log scale for a positive range, as it is drawn), times how far it alone moves the
    claim's figure across its range.
    """

    def position(key: str, value: float) -> float:
        lo, hi = ranges[key]
        if hi <= lo:
            return 0.0
        if lo > 0:
            return math.log(value / lo) / math.log(hi / lo)
        return (value - lo) / (hi - lo)

    scored = sorted(
        (
            (abs(position(k, v) - position(k, base[k])) * sway.get(k, 0.0), k, v)
            for k, v in values.items()
            if k in base and v != base[k]
        ),
        key=lambda item: -item[0],
    )
    return tuple(
        (k, float(as_written(k, v)), "low" if v < base[k] else "high")
        for score, k, v in scored[:WHERE_KEYS]
        if score > 0
    )


def _others_of(claims: set[int], *, oat: bool = False) -> Callable[[int, str], bool]:
    """Picks the findings of these claims: at other sets than one-at-a-time ends, or at any."""
    return lambda i, kind: i in claims and (oat or not kind.startswith("oat:"))


def _flips(per_claim: list[tuple[ParameterSet, str, Finding]]) -> bool:
    """Whether some parameter alone, at an end of its range, makes the claim fail."""
    return any(k.startswith("oat:") and _fails(f) for _v, k, f in per_claim)


def _leans(finding: Finding) -> bool:
    """Whether a claim that did not hold has its estimate on the claimed side all the same."""
    claim = finding.claim
    if finding.degenerate:
        return False
    if isinstance(claim, EffectClaim):
        return (
            finding.value < -claim.by_at_least
            if claim.lowers is not None
            else finding.value > claim.by_at_least
        )
    if isinstance(claim, ComparisonClaim):
        return finding.value < 0
    if isinstance(claim, ExposureClaim):
        # A share exactly at the claimed level (20 runs of 200 against "more than 10%") is no
        # evidence either way: it is looked at again on more runs, as one on the claimed side is;
        # but a share cannot be above 1 or below 0, so there a tie is no close call.
        if claim.above is not None:
            return finding.value >= claim.above and claim.above < 1.0
        below = float(claim.below or 0.0)
        return finding.value <= below and below > 0.0
    return finding.value > 0


def _fails(finding: Finding) -> bool:
    """Whether a finding counts against its claim: it does not hold, and there was room for it."""
    return not finding.holds and not finding.degenerate


def _conditions_key(conditions: Sequence[Condition]) -> tuple[tuple[str, str, float], ...]:
    return tuple(
        (c.param, "above", c.above)
        if c.above is not None
        else (c.param, "below", float(c.below or 0.0))
        for c in conditions
    )


def _moving_keys(
    found: list[list[tuple[ParameterSet, str, Finding]]], keys: list[str]
) -> list[str]:
    """The parameters whose one-at-a-time ends move some claim's figure beyond its chance."""
    moves: dict[str, float] = {}
    for per_claim in found:
        for key in keys:
            ends = [f for _v, k, f in per_claim if k == f"oat:{key}"]
            if len(ends) < 2:
                continue
            half = max((f.ci95[1] - f.ci95[0]) / 2.0 for f in ends)
            move = abs(ends[0].value - ends[1].value)
            if move > half and half > 0:
                moves[key] = max(moves.get(key, 0.0), move / half)
    ranked = sorted(moves, key=lambda k: (-moves[k], keys.index(k)))
    return ranked[:CORNER_KEYS]


def by_width(value: float, width: float) -> str:
    """A number to the decimal place its interval's width supports: 1.63 within 0.2 is 1.6."""
    if width <= 0 or not math.isfinite(width):
        return f"{value:g}"
    decimals = max(0, -math.floor(math.log10(width)))
    return f"{value:.{decimals}f}"


__all__ = [
    "BISECTION_STEPS",
    "DEFAULT_SETS",
    "ROBUST_RUNS",
    "RobustCheck",
    "RobustChecker",
    "RobustFinding",
    "Threshold",
    "by_width",
]
