"""The tabletop exercise (`exposure exercise`): one persona, a choice every turn, on the model.

A scenario's `exercise` block names the persona's role, the length of a turn and a menu of
choices; each choice patches the scenario like a countermeasure. The choice made in a turn sets
the rules from the turn's first day until the next choice.

How a run with changing rules is simulated, exactly: the engine draws every per-person, per-day
decision from a counter keyed by (purpose, day, person), and sets up the town and its watchers from
streams of the seed alone. So the tabletop builds one engine per stretch of days under one choice,
from a fresh stream of the same seed (the same town, the same watchers), and hands it everything
the previous engine left (`Engine.resume_from`: suspicion, exposures, states, messages on phones,
reveals due tomorrow, records, and the stream itself, so that draws of the few sampled-in-bulk
activities continue rather than repeat). A run whose choice never changes is therefore the very
run `simulate` gives for that choice, and the same seed and choices always give the same story.
Choices may not change who lives in the town or who knows whom (validation refuses it), only
habits, channels, devices and watchers; a channel changed part-way through keeps the messages
already on phones, and the operator's log keeps the calls made on the old channel (`logged_on`):
moving a contact face to face protects from then on, and does not wipe the record.

A turn's choice may combine several options (their patches apply together), except pairs the
exercise declares to exclude each other or whose patches do not add up.

The run the room plays is chosen honestly. Over `runs` runs of the first turn (the batches of the
Debrief), the chance that each single first choice ends the game in turn one is estimated; when it
is below `FIRST_TURN_LIMIT` for every first choice, the run played is the first of the runs
`exposure trace` tells for seed, seed + 1, … in which no single first choice ends the game in turn
one, so that a room is not sent home a minute in by a rare draw; the Debrief says so, with the
chance of such a run. When some first choice ends the game in turn one that often anyway, the
run is the seed's own, left to chance. Each turn also shows the odds of the habits chosen so far
over the same many runs.

The debrief compares the persona's choices with playing one option every turn, and with the
strongest combination (every option that lowers exposure on its own, together where they may be
combined), over many runs on common random numbers (the batches and streams of `exposure
compare`), so the differences are paired and sharp.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulator.analysis.compare import Delta, Variant, paired_delta
from simulator.analysis.results import aggregate, proportion_interval
from simulator.budget import AUTO, auto_workers, check_variants
from simulator.engine import NOT_EXPOSED, Engine, Outcome
from simulator.errors import UsageError
from simulator.files import FileProblem, read_bounded
from simulator.i18n import _
from simulator.personas import nth_of_role, persona_of, tabletop_role
from simulator.population import Population, build, with_channels
from simulator.runner import (
    BatchSummary,
    batch_size,
    batch_start,
    batches,
    population_key,
    run_batches,
    summarise,
)
from simulator.scenario import (
    LoadedScenario,
    bundled_with_exercise,
    choice_scenarios,
    combined_choice,
)
from simulator.scenario.model import Scenario
from simulator.scenario.validation import choice_conflict
from simulator.streams import Streams, batch_seed, exercise_run, exercise_seed
from simulator.teaching.story import Event, Story, activity_counts, suspicion_path, tell

SAVE_FORMAT = "exposure-exercise"
SAVE_VERSION = 1
MAX_SAVE_BYTES = 64 * 1024
# A saved exercise nests three levels deep; anything much deeper is not one.
MAX_SAVE_DEPTH = 8
# Events the persona can see for herself (among them money a watcher made her pay); everything
# else is for the facilitator, such as the report behind a search sent to her home: she sees only
# what the search finds.
SEEN = ("find", "extorted", "exposed", "seized")
# The run is chosen so that no single first choice ends the game in turn one only when, over many
# runs, every first choice ends it in turn one less often than this.
FIRST_TURN_LIMIT = 0.5
# Runs tried (seed, seed + 1, …) before the seed's own run is played after all.
MAX_ATTEMPTS = 100

# A turn's choice: the options played together, by index into the menu, in menu order.
Combo = tuple[int, ...]


def combo(choice: int | Combo | list[int]) -> Combo:
    """A choice as a combination: one option, or several in menu order, each once."""
    return (choice,) if isinstance(choice, int) else tuple(sorted(set(choice)))


@dataclass(frozen=True)
class Odds:
    """How often the persona was exposed by the end of a turn over many runs with these choices."""

    exposed: int
    runs: int

    @property
    def share(self) -> float:
        """The share of runs."""
        return self.exposed / self.runs if self.runs else 0.0

    @property
    def ci95(self) -> tuple[float, float]:
        """Its 95% interval (Clopper–Pearson)."""
        return proportion_interval(self.exposed, self.runs)


@dataclass(frozen=True)
class Selection:
    """How the run played was chosen, with the chances over many runs it was chosen by."""

    attempt: int  # the run played is `exposure trace --seed exercise_run(seed, attempt)`'s
    trace_seed: int
    chosen: bool  # chosen so that no first choice ended the game in turn one
    searched: bool  # a search was made (False: the attempt was given, as by an old save)
    first_turn: list[Odds]  # per single first choice: the game ended in turn one
    none_ends: Odds | None  # runs in which no single first choice ended the game in turn one


@dataclass(frozen=True)
class Turn:
    """One turn: its number (from 1), its days and its situation."""

    number: int
    first: int
    last: int
    situation: str


@dataclass(frozen=True)
class TurnResult:
    """What one turn brought: what the persona saw, and what only the facilitator sees."""

    turn: Turn
    choice: Combo  # indices into the exercise's choices, played together
    did: dict[str, int]  # activity -> days the persona did it
    seen: list[Event]
    hidden: list[Event]
    suspicion: float  # the persona's, at the end of the turn (or on the day she was exposed)
    exposed: bool  # the persona was exposed by the end of the turn
    odds: Odds | None = None  # over many runs with the choices so far, exposed by the turn's end


@dataclass(frozen=True)
class Alternative:
    """One way of playing compared in the debrief: the persona's choices, or one option always."""

    label: str
    schedule: tuple[Combo, ...]
    fate: tuple[int, str] | None  # the persona's exposure (day, cause) in the played run, or None
    variant: Variant
    delta: dict[str, Delta] = field(
        default_factory=dict
    )  # by role: this minus the persona's choices
    yours: bool = False  # the same as what the persona did
    combined: bool = False  # the strongest combination, not one option
    against_baseline: dict[str, Delta] = field(default_factory=dict)  # by role: this minus baseline


@dataclass(frozen=True)
class Debrief:
    """The end of the exercise: the run's story, and the persona's choices against alternatives."""

    story: Story
    schedule: tuple[Combo, ...]  # the persona's choice in every turn compared (the last repeated)
    played: int  # turns played
    stopped: bool  # the input ended before the exercise did
    horizon: int  # the last day compared
    runs: int
    role: str
    yours: Alternative
    alternatives: list[Alternative]
    selection: Selection
    baseline: Alternative | None  # the scenario as written every turn, if an option is that


class _Run:
    """Runs (one batch of replicas) whose rules change at given days, stepped day by day."""

    def __init__(
        self,
        variants: dict[Combo, Scenario],
        replicas: int,
        sequence: np.random.SeedSequence,
        record: bool,
        towns: dict[str, Population] | None = None,
    ):
        self.variants = variants
        self.replicas = replicas
        self.sequence = sequence
        self.record = record
        self.engine: Engine | None = None
        self.current: Any = None
        self.day = 0
        # Towns built from this stream, shared by runs of the same batch: a build draws from the
        # same stream whoever asks, so sharing changes nothing but the time taken.
        self.towns: dict[str, Population] = towns if towns is not None else {}

    def advance(self, choice: Any, last: int) -> None:
        """Simulate the days up to `last` under the rules of one choice (options together)."""
        if choice != self.current:
            engine = self._engine(choice)
            if self.engine is not None:
                engine.resume_from(self.engine)
            self.engine, self.current = engine, choice
        assert self.engine is not None
        for t in range(self.day + 1, last + 1):
            self.engine.step(t)
        self.day = max(self.day, last)

    def _engine(self, choice: Any) -> Engine:
        """A fresh engine of the town under a choice, to take over from the last one."""
        scenario = self.variants[choice]
        return Engine(
            scenario,
            self.replicas,
            Streams(self.sequence),
            population=self._town(scenario, choice),
            record=self.record,
        )

    def outcome(self) -> Outcome:
        """Who was exposed so far."""
        assert self.engine is not None
        return self.engine.outcome()

    def _town(self, scenario: Scenario, choice: Combo) -> Population:
        """The town for a choice: the same people and links as every other choice's."""
        key = population_key(scenario)
        if key not in self.towns:
            town = build(scenario, self.replicas, Streams(self.sequence)("population"))
            first = next(iter(self.towns.values()), None)
            if first is not None and not _same_people(first, town):
                raise UsageError(
                    f"exercise choice {' '.join(str(k + 1) for k in choice)}: "
                    "it changes who lives in the town or who knows whom; "
                    "a choice may change habits, channels and devices only"
                )
            self.towns[key] = town
        return with_channels(self.towns[key], scenario)


def personas(scenario: Scenario, pop: Population, role: str) -> np.ndarray:
    """The persona of every replica: the first person of the role in each (-1 where none)."""
    return nth_of_role(scenario, pop, role, 1)


def turns_of(scenario: Scenario) -> list[Turn]:
    """The exercise's turns: their numbers, days and situations."""
    ex = scenario.exercise
    assert ex is not None
    step = ex.turn_days
    return [
        Turn(k, (k - 1) * step + 1, min(k * step, scenario.days), ex.situation_of(k))
        for k in range(1, ex.turn_count(scenario.days) + 1)
    ]


def choice_cost(scenario: Scenario, index: int) -> str | None:
    """What an exercise choice costs: its own `cost`, else its countermeasure's."""
    assert scenario.exercise is not None
    choice = scenario.exercise.choices[index]
    if choice.cost is not None:
        return choice.cost
    if choice.countermeasure is not None:
        return scenario.countermeasures[choice.countermeasure].cost
    return None


def clashing(scenario: Scenario, indices: Sequence[int]) -> tuple[int, int] | None:
    """The positions (i, j), i < j, of the first two exercise choices among `indices` that may not
    be played together: the exercise says they exclude each other, or their patches do not add
    up."""
    assert scenario.exercise is not None
    declared = scenario.exercise.excluded_pairs()
    for i, a in enumerate(indices):
        for j in range(i + 1, len(indices)):
            x, y = sorted((a, indices[j]))
            if (x, y) in declared or choice_conflict(scenario, x, y) is not None:
                return i, j
    return None


def _exposed(outcome: Outcome, people: np.ndarray) -> np.ndarray:
    """Whether each replica's persona is exposed (False where a replica has none)."""
    return (people >= 0) & (outcome.exposed_day[np.maximum(people, 0)] != NOT_EXPOSED)


def _same_people(a: Population, b: Population) -> bool:
    return all(
        np.array_equal(x, y)
        for x, y in (
            (a.role, b.role),
            (a.household, b.household),
            (a.indptr, b.indptr),
            (a.indices, b.indices),
        )
    )


def no_exercise_message(name: str) -> str:
    """What to say when a scenario has no tabletop: which have one, and how to write one."""
    playable = ", ".join(bundled_with_exercise())
    return _(
        "{name}: has no tabletop exercise to play; these scenarios have one: {playable}. "
        "To write one, add an `exercise` block with `persona`, `turn_days` and `choices`; "
        "`exposure new NAME --from border-phone` writes a copy of a scenario that has one"
    ).format(name=name, playable=playable)


def choose_run(
    seed: int,
    ended: np.ndarray,
    runs: int,
    clean: Callable[[int], bool],
    attempt: int | None,
) -> Selection:
    """The run to play, given bool[first choices, runs], each first choice ending the game in
    turn one over many runs, and `clean(trace seed)`, whether no first choice ends that run's
    game in turn one: the first clean run from the seed on when every first choice ends the game
    in turn one less often than FIRST_TURN_LIMIT, else the seed's own. `attempt` replays a run
    already chosen (a saved game)."""
    first = [Odds(int(row.sum()), runs) for row in ended]
    none = Odds(int((~ended.any(axis=0)).sum()), runs) if runs else None
    rare = all(o.share < FIRST_TURN_LIMIT for o in first)
    if attempt is not None:
        chosen = attempt > 0 or (rare and clean(exercise_run(seed, 0)))
        return Selection(attempt, exercise_run(seed, attempt), chosen, False, first, none)
    if rare:
        for k in range(MAX_ATTEMPTS):
            trace = exercise_run(seed, k)
            if clean(trace):
                return Selection(k, trace, True, True, first, none)
    return Selection(0, seed, False, True, first, none)


class Tabletop:
    """One exercise being played: the turns, the choices so far, and the live run.

    `runs` is how many runs the odds of each turn and the chances of the first turn are taken
    over; `attempt` replays a run already chosen (a saved exercise), instead of choosing one.
    """

    def __init__(
        self,
        loaded: LoadedScenario,
        seed: int,
        choices: Sequence[int | Combo] = (),
        *,
        runs: int = 200,
        attempt: int | None = None,
    ):
        scenario = loaded.scenario
        if scenario.exercise is None:
            raise UsageError(no_exercise_message(loaded.display_path))
        self.loaded = loaded
        self.scenario = scenario
        self.exercise = scenario.exercise
        self.seed = seed
        self.runs = runs
        self.variants: dict[Combo, Scenario] = {
            (k,): v for k, v in enumerate(choice_scenarios(loaded))
        }
        self.role = tabletop_role(scenario)
        self.turns = turns_of(scenario)
        self.choices: list[Combo] = []
        self.results: list[TurnResult] = []
        self._towns: dict[int, dict[str, Population]] = {}
        self.selection = self._select(attempt)
        self._run = _Run(self.variants, 1, exercise_seed(self.selection.trace_seed), record=True)
        size = batch_size(scenario)
        self._odds = [
            _Run(self.variants, n, batch_seed(seed, b), record=False, towns=self._towns_of(b))
            for b, n in batches(runs, size)
        ]
        self.persona: int | None = None
        for choice in choices:
            if self.finished:
                raise UsageError(
                    f"{len(choices)} choices saved, "
                    f"but the exercise ended after turn {len(self.choices)}"
                )
            self.play(choice)

    def _towns_of(self, batch: int) -> dict[str, Population]:
        return self._towns.setdefault(batch, {})

    @property
    def options(self) -> list[str]:
        """The labels of the menu, in order."""
        return [c.label for c in self.exercise.choices]

    def label(self, choice: Combo) -> str:
        """A choice as the player reads it: one label, or several joined."""
        return " + ".join(self.options[k] for k in choice)

    def cost(self, index: int) -> str | None:
        """What an option costs: its own `cost`, else its countermeasure's."""
        return choice_cost(self.scenario, index)

    def excluded(self, choice: Combo) -> tuple[int, int] | None:
        """The first pair of options in a combination that may not be played together, if any."""
        pair = clashing(self.scenario, choice)
        return None if pair is None else (choice[pair[0]], choice[pair[1]])

    def variant(self, choice: Combo) -> Scenario:
        """The scenario under a choice (options together)."""
        if choice not in self.variants:
            self.variants[choice] = combined_choice(self.loaded, choice)
        return self.variants[choice]

    @property
    def baseline_choice(self) -> int | None:
        """The first choice that changes nothing: every turn, it is the scenario as written."""
        return next((k for (k,), v in self.variants.items() if v is self.scenario), None)

    @property
    def exposed(self) -> bool:
        """Whether the persona has been exposed."""
        return bool(self.results) and self.results[-1].exposed

    @property
    def finished(self) -> bool:
        """Whether the persona was exposed or every turn was played."""
        return self.exposed or len(self.choices) == len(self.turns)

    @property
    def next_turn(self) -> Turn:
        """The turn to play now."""
        return self.turns[len(self.choices)]

    @property
    def day(self) -> int:
        """The last day simulated."""
        return self._run.day

    def play(self, choice: int | Combo) -> TurnResult:
        """Play the next turn with a choice (menu indices) and see what it brought."""
        if self.finished:
            raise UsageError("the exercise is over")
        chosen = combo(choice)
        count = len(self.exercise.choices)
        bad = [k for k in chosen if not 0 <= k < count]
        if bad or not chosen:
            raise UsageError(
                f"turn {len(self.choices) + 1}: no choice {bad[0] + 1 if bad else ''}; "
                f"choose from 1 to {count}"
            )
        pair = self.excluded(chosen)
        if pair is not None:
            raise UsageError(
                f"turn {len(self.choices) + 1}: choices {pair[0] + 1} and {pair[1] + 1} "
                "cannot be combined"
            )
        self.variant(chosen)
        turn = self.next_turn
        self._run.advance(chosen, turn.last)
        self.choices.append(chosen)
        outcome = self._run.outcome()
        if self.persona is None:
            self.persona = persona_of(self.scenario, outcome.population, self.role)
        story = self.story()
        exposed = 0
        for run in self._odds:
            run.advance(chosen, turn.last)
            out = run.outcome()
            exposed += int(_exposed(out, personas(self.scenario, out.population, self.role)).sum())
        odds = Odds(exposed, self.runs) if self._odds else None
        result = _turn_result(story, outcome, turn, chosen, self.persona, odds)
        self.results.append(result)
        return result

    def story(self) -> Story:
        """The story of the run so far."""
        return tell(
            self.scenario,
            self._run.outcome(),
            self.selection.trace_seed,
            self.role,
            horizon=max(self.day, 1),
        )

    # -------------------------------------------------------------- choosing the run
    def _ends_first_turn(
        self, sequence: np.random.SeedSequence, replicas: int, towns: dict[str, Population]
    ) -> np.ndarray:
        """bool[options, replicas]: each single first choice exposed the persona in turn one."""
        last = self.turns[0].last
        rows = []
        for k in range(len(self.exercise.choices)):
            run = _Run(self.variants, replicas, sequence, record=False, towns=towns)
            run.advance((k,), last)
            out = run.outcome()
            rows.append(_exposed(out, personas(self.scenario, out.population, self.role)))
        return np.array(rows, dtype=bool).reshape(len(self.exercise.choices), replicas)

    def _select(self, attempt: int | None) -> Selection:
        """The run to play: the first in which no first choice ends the game in turn one, when
        over many runs every first choice ends it in turn one less often than FIRST_TURN_LIMIT."""
        options = len(self.exercise.choices)
        ended = np.zeros((options, 0), dtype=bool)
        for b, n in batches(self.runs, batch_size(self.scenario)):
            found = self._ends_first_turn(batch_seed(self.seed, b), n, self._towns_of(b))
            ended = np.concatenate([ended, found], axis=1)
        return choose_run(
            self.seed,
            ended,
            self.runs,
            lambda trace: not self._ends_first_turn(exercise_seed(trace), 1, {}).any(),
            attempt,
        )

    def saved(self, spec: str) -> dict[str, Any]:
        """The state to save: enough to replay the exercise exactly."""
        return {
            "format": SAVE_FORMAT,
            "version": SAVE_VERSION,
            "scenario": {"spec": spec, "name": self.scenario.name, "sha256": self.loaded.sha256},
            "seed": self.seed,
            "run": self.selection.attempt,
            # One option as a number, as every version wrote it; options together as a list.
            "choices": [c[0] + 1 if len(c) == 1 else [k + 1 for k in c] for c in self.choices],
        }

    def debrief(
        self, runs: int, on_progress: Callable[[float], None] | None = None, workers: int = 1
    ) -> Debrief:
        """The run's story, and the persona's choices against playing one option every turn and
        against the strongest combination.

        The comparison runs on `workers` processes; its figures do not depend on how many.
        """
        stopped = not self.finished
        played = len(self.choices)
        # Turns never reached (she was exposed) keep her last choice; input that ended early
        # limits the comparison to the days played.
        compared = played if stopped else len(self.turns)
        horizon = self.turns[compared - 1].last if compared else 0
        mine = tuple(self.choices + [self.choices[-1]] * (compared - played)) if played else ()
        if not mine:
            raise UsageError(
                "the input ended before the first turn was played; there is nothing to debrief"
            )
        singles = [((k,),) * compared for k in range(len(self.options))]
        schedules = [mine, *singles]
        towns: dict[str, Population] = {}
        fates = [self._fate(s, horizon, towns) for s in schedules]
        summaries = self._simulate(schedules, runs, horizon, on_progress, workers)
        variants = [
            Variant(label, [], self.loaded, sums, aggregate(sums, self.scenario))
            for label, sums in zip(["yours", *self.options], summaries)
        ]
        roles = self.scenario.role_names
        base = self.baseline_choice
        base_variant = variants[base + 1] if base is not None else None

        def alternative(
            label: str,
            schedule: tuple[Combo, ...],
            fate: tuple[int, str] | None,
            variant: Variant,
            combined: bool = False,
        ) -> Alternative:
            return Alternative(
                label,
                schedule,
                fate,
                variant,
                {role: paired_delta(variants[0], variant, role) for role in roles},
                yours=schedule == mine,
                combined=combined,
                against_baseline=(
                    {role: paired_delta(base_variant, variant, role) for role in roles}
                    if base_variant is not None
                    else {}
                ),
            )

        yours = Alternative(_("your choices"), mine, fates[0], variants[0])
        alternatives = [
            alternative(label, schedules[k + 1], fates[k + 1], variants[k + 1])
            for k, label in enumerate(self.options)
        ]
        best = self._strongest(alternatives)
        if best is not None:
            schedule = (best,) * compared
            self.variant(best)
            sums = self._simulate([schedule], runs, horizon, on_progress, workers)[0]
            variant = Variant("best", [], self.loaded, sums, aggregate(sums, self.scenario))
            alternatives.append(
                alternative(
                    self.label(best), schedule, self._fate(schedule, horizon, towns), variant, True
                )
            )
        baseline = (
            next(a for a in alternatives if a.schedule == singles[base])
            if base is not None
            else None
        )
        alternatives.sort(key=lambda a: (a.delta[self.role].p_exposed, a.label))
        return Debrief(
            self.story(),
            mine,
            played,
            stopped,
            horizon,
            runs,
            self.role,
            yours,
            alternatives,
            self.selection,
            baseline,
        )

    def _strongest(self, alternatives: list[Alternative]) -> Combo | None:
        """Every option that lowers the persona's exposure on its own (a paired interval below
        zero against the scenario as written), together, the strongest first, leaving out any
        that may not be combined with one already in; None unless two or more combine."""
        helping = sorted(
            (
                (a.variant.results.roles[self.role].p_exposed, a.schedule[0][0])
                for a in alternatives
                if a.against_baseline
                and a.against_baseline[self.role].distinguishable
                and a.against_baseline[self.role].p_exposed < 0
            ),
        )
        chosen: list[int] = []
        for _p, k in helping:
            if self.excluded(combo([*chosen, k])) is None:
                chosen.append(k)
        return combo(chosen) if len(chosen) >= 2 else None

    def _fate(
        self, schedule: tuple[Combo, ...], horizon: int, towns: dict[str, Population]
    ) -> tuple[int, str] | None:
        """The persona's exposure in the played run under a schedule of choices."""
        run = _Run(
            self.variants, 1, exercise_seed(self.selection.trace_seed), record=False, towns=towns
        )
        for turn, choice in zip(self.turns, schedule):
            run.advance(choice, min(turn.last, horizon))
        outcome = run.outcome()
        person = persona_of(self.scenario, outcome.population, self.role)
        day = int(outcome.exposed_day[person])
        if day == NOT_EXPOSED:
            return None
        return day, self.scenario.mechanisms[int(outcome.cause[person])]

    def _simulate(
        self,
        schedules: list[tuple[Combo, ...]],
        runs: int,
        horizon: int,
        on_progress: Callable[[float], None] | None,
        workers: int,
    ) -> list[list[BatchSummary]]:
        """Every schedule over `runs` runs, batch by batch on common streams (as `compare` does)."""
        size = batch_size(self.scenario)
        # Each schedule is a variant on the town's one population: refused before any work if
        # together they exceed the command's limits.
        variants = [self.scenario] * len(schedules)
        check_variants(variants, runs, workers, size)
        if workers == AUTO:
            workers = auto_workers(variants, runs, len(batches(runs, size)), size)
        needed = {c for schedule in schedules for c in schedule}
        job = _ScheduleBatch(
            self.scenario,
            {c: self.variant(c) for c in needed},
            self.turns,
            schedules,
            horizon,
            self.seed,
            size,
            runs,
        )
        return run_batches(job, len(schedules), runs, size, workers, on_progress)


@dataclass(frozen=True)
class _ScheduleBatch:
    """A batch of runs of every schedule of choices: picklable, so that workers can run it."""

    scenario: Scenario  # as loaded: the summaries are its
    variants: dict[Combo, Scenario]  # the scenario under each choice the schedules play
    turns: list[Turn]
    schedules: list[tuple[Combo, ...]]
    horizon: int
    seed: int
    size: int
    runs: int  # in all the batches, which number the runs of each

    def __call__(
        self, index: int, runs: int, report: Callable[[float], None] | None = None
    ) -> list[BatchSummary]:
        """Summaries of batch `index`, one per schedule, on the batch's streams."""
        sequence = batch_seed(self.seed, index)
        towns: dict[str, Population] = {}
        out: list[BatchSummary] = []
        first_run = batch_start(index, self.runs, self.size)
        for schedule in self.schedules:
            run = _Run(self.variants, runs, sequence, record=False, towns=towns)
            for turn, choice in zip(self.turns, schedule):
                run.advance(choice, min(turn.last, self.horizon))
            out.append(summarise(run.outcome(), self.scenario, first_run))
            if report is not None:
                report(runs)
        return out


def _turn_result(
    story: Story, outcome: Outcome, turn: Turn, choice: Combo, persona: int, odds: Odds | None
) -> TurnResult:
    """Split a turn's events into what the persona saw and what only the facilitator sees."""
    assert outcome.records is not None
    seen: list[Event] = []
    hidden: list[Event] = []
    for day, events in story.days:
        if not turn.first <= day <= turn.last:
            continue
        for ev in events:
            mine = ev.actor == persona or persona in ev.subjects
            if ev.kind in SEEN and (mine or ev.kind == "exposed"):
                seen.append(
                    ev
                )  # her own finds, seizure and exposure, and arrests of people she knows
            else:
                hidden.append(ev)
    exposed_day = int(outcome.exposed_day[persona])
    exposed = exposed_day != NOT_EXPOSED
    end = exposed_day if exposed else turn.last
    return TurnResult(
        turn,
        choice,
        _did(outcome, persona, turn),
        seen,
        hidden,
        _suspicion_on(story, outcome, persona, end),
        exposed,
        odds,
    )


def _did(outcome: Outcome, persona: int, turn: Turn) -> dict[str, int]:
    assert outcome.records is not None
    return activity_counts(outcome.records, persona, turn.first, turn.last)


def _suspicion_on(story: Story, outcome: Outcome, persona: int, day: int) -> float:
    """The persona's suspicion on a day, faded since the last increment."""
    assert outcome.records is not None
    path = [p for p in suspicion_path(outcome.records, persona, story.scenario) if p[0] <= day]
    if not path:
        return 0.0
    last_day, _before, value = path[-1]
    decay = story.scenario.adversary.decay
    return value * (0.5 ** ((day - last_day) / decay.half_life) if decay is not None else 1.0)


# ------------------------------------------------------------------ saving and resuming
@dataclass(frozen=True)
class Saved:
    """A saved exercise, checked for shape (not yet against its scenario)."""

    path: str
    spec: str
    name: str
    sha256: str
    seed: int
    choices: list[Combo]  # indices into the menu, played together
    run: int  # the attempt played (0, the seed's own run, in saves that do not say)
    teams: list[str] = field(default_factory=list)  # a room's teams, by name (none: one player)
    team_choices: list[list[Combo]] = field(default_factory=list)  # per turn, per team


def _nesting(text: str) -> int:
    """How deep brackets nest in JSON text, outside strings (before the parser recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _small_int(text: str) -> int:
    """A JSON integer of at most 20 digits: seeds and choices are no longer."""
    if len(text.lstrip("-")) > 20:
        raise ValueError(f"a number of {len(text)} digits")
    return int(text)


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not a number JSON allows")


def read_saved(path: str) -> Saved:
    """Read a saved exercise, refusing anything that is not one, in one line."""
    where = Path(path)
    try:
        raw = read_bounded(where, MAX_SAVE_BYTES, "a saved exercise")
    except FileProblem as problem:
        raise UsageError(f"{path}: {problem.reason}") from None
    if len(raw) > MAX_SAVE_BYTES:
        raise UsageError(f"{path}: not a saved exercise (larger than {MAX_SAVE_BYTES // 1024} KiB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a saved exercise (not UTF-8 text)") from None
    if _nesting(text) > MAX_SAVE_DEPTH:
        raise UsageError(
            f"{path}: not a saved exercise (nested deeper than {MAX_SAVE_DEPTH} levels)"
        )
    try:
        doc = json.loads(text, parse_int=_small_int, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{path}: not a saved exercise (broken JSON at line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError as exc:
        raise UsageError(f"{path}: not a saved exercise ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != SAVE_FORMAT:
        raise UsageError(f'{path}: not a saved exercise (no "format": "{SAVE_FORMAT}")')
    if doc.get("version") != SAVE_VERSION:
        raise UsageError(
            f"{path}: saved by another version of Exposure "
            f"(format version {doc.get('version')!r}; this one reads {SAVE_VERSION})"
        )
    scenario = doc.get("scenario")
    if not isinstance(scenario, dict) or not all(
        isinstance(scenario.get(k), str) for k in ("spec", "name", "sha256")
    ):
        raise UsageError(
            f"{path}: broken saved exercise: `scenario` needs `spec`, `name` and `sha256` as text"
        )
    seed = doc.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise UsageError(
            f"{path}: broken saved exercise: `seed` must be a whole number from 0 (got {seed!r})"
        )
    choices = doc.get("choices")

    def number(c: Any) -> bool:
        return isinstance(c, int) and not isinstance(c, bool) and c >= 1

    def one(c: Any) -> bool:
        return number(c) or (isinstance(c, list) and bool(c) and all(number(k) for k in c))

    def as_combo(c: Any) -> Combo:
        return combo([k - 1 for k in c] if isinstance(c, list) else c - 1)

    teams = doc.get("teams", [])
    if not isinstance(teams, list) or not all(
        isinstance(t, str) and 0 < len(t) <= 64 for t in teams
    ):
        raise UsageError(f"{path}: broken saved exercise: `teams` must be a list of team names")
    if teams:
        if not isinstance(choices, list) or not all(
            isinstance(turn, list) and len(turn) == len(teams) and all(one(c) for c in turn)
            for turn in choices
        ):
            raise UsageError(
                f"{path}: broken saved exercise: `choices` must list, for every turn, one choice "
                f"per team ({len(teams)})"
            )
    elif not isinstance(choices, list) or not all(one(c) for c in choices):
        raise UsageError(
            f"{path}: broken saved exercise: `choices` must be a list of choice numbers from 1 "
            "(or lists of them for options played together)"
        )
    run = doc.get("run", 0)
    if isinstance(run, bool) or not isinstance(run, int) or not 0 <= run < MAX_ATTEMPTS:
        raise UsageError(
            f"{path}: broken saved exercise: `run` must be a whole number from 0 to "
            f"{MAX_ATTEMPTS - 1} (got {run!r})"
        )
    return Saved(
        path,
        scenario["spec"],
        scenario["name"],
        scenario["sha256"],
        seed,
        [] if teams else [as_combo(c) for c in choices],
        run,
        list(teams),
        [[as_combo(c) for c in turn] for turn in choices] if teams else [],
    )


def check_saved(saved: Saved, loaded: LoadedScenario, seed: int | None) -> None:
    """Refuse a saved game whose scenario file has changed, or a seed it was not played with."""
    if loaded.sha256 != saved.sha256:
        raise UsageError(
            f"{saved.path}: was saved for another version of `{saved.name}` "
            "(the scenario file has changed); start a new exercise"
        )
    if seed is not None and seed != saved.seed:
        raise UsageError(
            f"{saved.path} was played with seed {saved.seed}",
            subject="seed",
            given=seed,
            advice="; leave {seed} out to resume it",
        )


def resume(saved: Saved, loaded: LoadedScenario, seed: int | None, runs: int = 200) -> Tabletop:
    """Replay a saved exercise on its scenario, refusing one that does not fit it."""
    check_saved(saved, loaded, seed)
    exercise = loaded.scenario.exercise
    if exercise is None:
        raise UsageError(no_exercise_message(loaded.display_path))
    turns = exercise.turn_count(loaded.scenario.days)
    if len(saved.choices) > turns:
        raise UsageError(
            f"{saved.path}: broken saved exercise: {len(saved.choices)} choices for {turns} turns"
        )
    bad = [k + 1 for c in saved.choices for k in c if k >= len(exercise.choices)]
    if bad:
        raise UsageError(
            f"{saved.path}: broken saved exercise: "
            f"choice {bad[0]} is not on the menu (1 to {len(exercise.choices)})"
        )
    try:
        return Tabletop(loaded, saved.seed, saved.choices, runs=runs, attempt=saved.run)
    except UsageError as exc:
        raise UsageError(f"{saved.path}: broken saved exercise: {exc}") from None
