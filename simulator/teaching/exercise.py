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
already on phones, but the operator's log of the old channel is no longer consulted.

The debrief compares the persona's choices with playing one option every turn, over many runs on
common random numbers (the batches and streams of `exposure compare`), so the differences are
paired and sharp.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulator.analysis.compare import Delta, Variant, paired_delta
from simulator.analysis.results import aggregate
from simulator.budget import check_variants
from simulator.engine import NOT_EXPOSED, Engine, Outcome
from simulator.errors import UsageError
from simulator.files import FileProblem, read_bounded
from simulator.i18n import _
from simulator.personas import persona_of, tabletop_role
from simulator.population import Population, build
from simulator.runner import BatchSummary, batch_size, run_batches, summarise
from simulator.scenario import LoadedScenario, bundled_with_exercise, choice_scenarios
from simulator.scenario.model import Scenario
from simulator.streams import Streams, batch_seed, exercise_seed
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
    choice: int  # index into the exercise's choices
    did: dict[str, int]  # activity -> days the persona did it
    seen: list[Event]
    hidden: list[Event]
    suspicion: float  # the persona's, at the end of the turn (or on the day she was exposed)
    exposed: bool  # the persona was exposed by the end of the turn


@dataclass(frozen=True)
class Alternative:
    """One way of playing compared in the debrief: the persona's choices, or one option always."""

    label: str
    schedule: tuple[int, ...]
    fate: tuple[int, str] | None  # the persona's exposure (day, cause) in the played run, or None
    variant: Variant
    delta: dict[str, Delta] = field(
        default_factory=dict
    )  # by role: this minus the persona's choices
    yours: bool = False  # the same as what the persona did


@dataclass(frozen=True)
class Debrief:
    """The end of the exercise: the run's story, and the persona's choices against alternatives."""

    story: Story
    schedule: tuple[int, ...]  # the persona's choice in every turn compared (the last repeated)
    played: int  # turns played
    stopped: bool  # the input ended before the exercise did
    horizon: int  # the last day compared
    runs: int
    role: str
    yours: Alternative
    alternatives: list[Alternative]


class _Run:
    """Runs (one batch of replicas) whose rules change at given days, stepped day by day."""

    def __init__(
        self,
        variants: list[Scenario],
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
        self.current: int | None = None
        self.day = 0
        # Towns built from this stream, shared by runs of the same batch: a build draws from the
        # same stream whoever asks, so sharing changes nothing but the time taken.
        self.towns: dict[str, Population] = towns if towns is not None else {}

    def advance(self, choice: int, last: int) -> None:
        """Simulate the days up to `last` under the rules of one choice."""
        if choice != self.current:
            scenario = self.variants[choice]
            engine = Engine(
                scenario,
                self.replicas,
                Streams(self.sequence),
                population=self._town(scenario, choice),
                record=self.record,
            )
            if self.engine is not None:
                engine.resume_from(self.engine)
            self.engine, self.current = engine, choice
        assert self.engine is not None
        for t in range(self.day + 1, last + 1):
            self.engine.step(t)
        self.day = max(self.day, last)

    def outcome(self) -> Outcome:
        """Who was exposed so far."""
        assert self.engine is not None
        return self.engine.outcome()

    def _town(self, scenario: Scenario, choice: int) -> Population:
        """The town for a choice: the same people and links as every other choice's."""
        key = json.dumps(
            [
                scenario.population.model_dump(mode="json"),
                scenario.contacts.model_dump(mode="json"),
                list(scenario.channels),
                {k: g.model_dump(mode="json") for k, g in scenario.groups.items()},
            ],
            sort_keys=True,
        )
        if key not in self.towns:
            town = build(scenario, self.replicas, Streams(self.sequence)("population"))
            first = next(iter(self.towns.values()), None)
            if first is not None and not _same_people(first, town):
                raise UsageError(
                    f"exercise choice {choice + 1}: "
                    "it changes who lives in the town or who knows whom; "
                    "a choice may change habits, channels and devices only"
                )
            self.towns[key] = town
        return self.towns[key]


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


class Tabletop:
    """One exercise being played: the turns, the choices so far, and the live run."""

    def __init__(
        self, loaded: LoadedScenario, seed: int, choices: list[int] | tuple[int, ...] = ()
    ):
        scenario = loaded.scenario
        if scenario.exercise is None:
            raise UsageError(no_exercise_message(loaded.display_path))
        self.loaded = loaded
        self.scenario = scenario
        self.exercise = scenario.exercise
        self.seed = seed
        self.variants = choice_scenarios(loaded)
        self.role = tabletop_role(scenario)
        count = self.exercise.turn_count(scenario.days)
        step = self.exercise.turn_days
        self.turns = [
            Turn(k, (k - 1) * step + 1, min(k * step, scenario.days), self.exercise.situation_of(k))
            for k in range(1, count + 1)
        ]
        self.choices: list[int] = []
        self.results: list[TurnResult] = []
        self._run = _Run(self.variants, 1, exercise_seed(seed), record=True)
        self.persona: int | None = None
        for choice in choices:
            if self.finished:
                raise UsageError(
                    f"{len(choices)} choices saved, "
                    f"but the exercise ended after turn {len(self.choices)}"
                )
            self.play(choice)

    @property
    def options(self) -> list[str]:
        """The labels of the menu, in order."""
        return [c.label for c in self.exercise.choices]

    @property
    def baseline_choice(self) -> int | None:
        """The first choice that changes nothing: every turn, it is the scenario as written."""
        return next((k for k, v in enumerate(self.variants) if v is self.scenario), None)

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

    def play(self, choice: int) -> TurnResult:
        """Play the next turn with a choice (an index into the menu) and see what it brought."""
        if self.finished:
            raise UsageError("the exercise is over")
        if not 0 <= choice < len(self.exercise.choices):
            raise UsageError(
                f"turn {len(self.choices) + 1}: no choice {choice + 1}; "
                f"choose from 1 to {len(self.exercise.choices)}"
            )
        turn = self.next_turn
        self._run.advance(choice, turn.last)
        self.choices.append(choice)
        outcome = self._run.outcome()
        if self.persona is None:
            self.persona = persona_of(self.scenario, outcome.population, self.role)
        story = self.story()
        result = _turn_result(story, outcome, turn, choice, self.persona)
        self.results.append(result)
        return result

    def story(self) -> Story:
        """The story of the run so far."""
        return tell(
            self.scenario, self._run.outcome(), self.seed, self.role, horizon=max(self.day, 1)
        )

    def saved(self, spec: str) -> dict[str, Any]:
        """The state to save: enough to replay the exercise exactly."""
        return {
            "format": SAVE_FORMAT,
            "version": SAVE_VERSION,
            "scenario": {"spec": spec, "name": self.scenario.name, "sha256": self.loaded.sha256},
            "seed": self.seed,
            "choices": [c + 1 for c in self.choices],
        }

    def debrief(
        self, runs: int, on_progress: Callable[[float], None] | None = None, workers: int = 1
    ) -> Debrief:
        """The run's story, and the persona's choices against playing one option every turn.

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
        schedules = [mine] + [tuple([k] * compared) for k in range(len(self.options))]
        towns: dict[str, Population] = {}
        fates = [self._fate(s, horizon, towns) for s in schedules]
        summaries = self._simulate(schedules, runs, horizon, on_progress, workers)
        variants = [
            Variant(label, [], self.loaded, sums, aggregate(sums, self.scenario))
            for label, sums in zip(["yours", *self.options], summaries)
        ]
        yours = Alternative(_("your choices"), mine, fates[0], variants[0])
        alternatives = []
        for k, label in enumerate(self.options):
            variant = variants[k + 1]
            delta = {
                role: paired_delta(variants[0], variant, role) for role in self.scenario.role_names
            }
            alternatives.append(
                Alternative(
                    label,
                    schedules[k + 1],
                    fates[k + 1],
                    variant,
                    delta,
                    yours=schedules[k + 1] == mine,
                )
            )
        alternatives.sort(key=lambda a: (a.delta[self.role].p_exposed, a.label))
        return Debrief(
            self.story(), mine, played, stopped, horizon, runs, self.role, yours, alternatives
        )

    def _fate(
        self, schedule: tuple[int, ...], horizon: int, towns: dict[str, Population]
    ) -> tuple[int, str] | None:
        """The persona's exposure in the played run (same seed) under a schedule of choices."""
        run = _Run(self.variants, 1, exercise_seed(self.seed), record=False, towns=towns)
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
        schedules: list[tuple[int, ...]],
        runs: int,
        horizon: int,
        on_progress: Callable[[float], None] | None,
        workers: int,
    ) -> list[list[BatchSummary]]:
        """Every schedule over `runs` runs, batch by batch on common streams (as `compare` does)."""
        size = batch_size(self.scenario)
        # Each schedule is a variant on the town's one population: refused before any work if
        # together they exceed the command's limits.
        check_variants([self.scenario] * len(schedules), runs, workers, size)
        job = _ScheduleBatch(
            self.scenario, self.variants, self.turns, schedules, horizon, self.seed, size
        )
        return run_batches(job, len(schedules), runs, size, workers, on_progress)


@dataclass(frozen=True)
class _ScheduleBatch:
    """A batch of runs of every schedule of choices: picklable, so that workers can run it."""

    scenario: Scenario  # as loaded: the summaries are its
    variants: list[Scenario]  # the scenario under each choice
    turns: list[Turn]
    schedules: list[tuple[int, ...]]
    horizon: int
    seed: int
    size: int

    def __call__(
        self, index: int, runs: int, report: Callable[[float], None] | None = None
    ) -> list[BatchSummary]:
        """Summaries of batch `index`, one per schedule, on the batch's streams."""
        sequence = batch_seed(self.seed, index)
        towns: dict[str, Population] = {}
        out: list[BatchSummary] = []
        for schedule in self.schedules:
            run = _Run(self.variants, runs, sequence, record=False, towns=towns)
            for turn, choice in zip(self.turns, schedule):
                run.advance(choice, min(turn.last, self.horizon))
            out.append(summarise(run.outcome(), self.scenario, index * self.size))
            if report is not None:
                report(runs)
        return out


def _turn_result(
    story: Story, outcome: Outcome, turn: Turn, choice: int, persona: int
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
    choices: list[int]  # indices into the menu


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
    if not isinstance(choices, list) or not all(
        isinstance(c, int) and not isinstance(c, bool) and c >= 1 for c in choices
    ):
        raise UsageError(
            f"{path}: broken saved exercise: `choices` must be a list of choice numbers from 1"
        )
    return Saved(
        path, scenario["spec"], scenario["name"], scenario["sha256"], seed, [c - 1 for c in choices]
    )


def resume(saved: Saved, loaded: LoadedScenario, seed: int | None) -> Tabletop:
    """Replay a saved exercise on its scenario, refusing one that does not fit it."""
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
    exercise = loaded.scenario.exercise
    if exercise is None:
        raise UsageError(no_exercise_message(loaded.display_path))
    turns = exercise.turn_count(loaded.scenario.days)
    if len(saved.choices) > turns:
        raise UsageError(
            f"{saved.path}: broken saved exercise: {len(saved.choices)} choices for {turns} turns"
        )
    bad = [c + 1 for c in saved.choices if c >= len(exercise.choices)]
    if bad:
        raise UsageError(
            f"{saved.path}: broken saved exercise: "
            f"choice {bad[0]} is not on the menu (1 to {len(exercise.choices)})"
        )
    try:
        return Tabletop(loaded, saved.seed, saved.choices)
    except UsageError as exc:
        raise UsageError(f"{saved.path}: broken saved exercise: {exc}") from None
