"""The tabletop for a room: teams, each playing one person, in one shared town.

`exposure exercise SCENARIO --teams N` gives each team a persona — a person of the town, not a
role: the reporting partner, one of her sources, another source — and a menu. Every turn each
team chooses, and all the choices are simulated together in one run of one town
(`Engine(..., personal=...)`): a team's choice changes only its persona's own conduct, so that
one team's habits reach another only through the model — the partner's seized phone holds a
source's number, the call log links them, a report of a visit names both.

What "her own conduct" means is checked before a game starts (`personal_changes`): the activities
her role does (she does them by her rules, everyone else of the role by the town's), the find
chances of what she holds, the unlock chance of her seized phone and what its channels give up,
and the channel of the links of her role's ties that end at her. A choice that changes anything
else — a watcher, a rule of the whole town — is not played by a team: the team menus of
`exercise.teams` may not name one, and the default menus leave it out.

A link between two personas follows whichever end's choice changed its channel (the first team's,
if both did, differently): a contact one of them moved face to face is face to face.

The run played is chosen as the single-player tabletop chooses it: the first run, from the seed
on, in which no team's single first choice (the other teams playing their first option) exposes
that team's persona in turn one — only when, over many runs, every such first choice does so less
often than `FIRST_TURN_LIMIT`. The Debrief compares, over many runs on common random numbers,
each team's choices with its first option every turn, for its own persona and for every other
team's: what one team's habits did to another.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.engine import NOT_EXPOSED, Engine, Outcome, Personal
from simulator.errors import UsageError
from simulator.i18n import _, ngettext
from simulator.personas import nth_of_role, tabletop_role
from simulator.population import Population, build, with_channels
from simulator.runner import batch_size, batches, population_key
from simulator.scenario import (
    LoadedScenario,
    bundled_with_teams,
    choice_scenarios,
    combined_choice,
)
from simulator.scenario.model import RESIDENT, Scenario
from simulator.streams import Streams, batch_seed, exercise_seed
from simulator.teaching.exercise import (
    Combo,
    Odds,
    Saved,
    Selection,
    Turn,
    TurnResult,
    _Run,
    _same_people,
    _turn_result,
    check_saved,
    choice_cost,
    choose_run,
    clashing,
    combo,
    no_exercise_message,
    turns_of,
)
from simulator.teaching.story import Story, tell

# Kinds of record through which one persona's conduct reaches another's.
COUPLING_KINDS = ("reveal", "report", "registration", "named", "find")


# ------------------------------------------------------------------ what a team may change
def _changed(a: Any, b: Any, path: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    """The paths at which two plain values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[tuple[str | int, ...]] = []
        for key in dict.fromkeys([*a, *b]):
            out += _changed(a.get(key), b.get(key), (*path, key))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for k, (x, y) in enumerate(zip(a, b)) for p in _changed(x, y, (*path, k))]
    return [] if a == b else [path]


def _personal(s: Scenario, path: tuple[str | int, ...], role: str) -> bool:
    """Whether a change at `path` changes only the conduct of one person of `role`."""
    head = path[0] if path else ""
    if head == "activities" and len(path) >= 3:
        act = s.activities.get(str(path[1]))
        return act is not None and act.who == role and path[2] != "who"
    if head == "states":
        return path[2:] == ("concealment",)
    if head == "contacts" and len(path) == 4 and path[1] == "ties" and path[3] == "channel":
        tie = s.contacts.ties[int(path[2])]
        return role in (tie.from_, tie.to)
    if head == "adversary":
        return path[1:] == ("unlock",)
    if head == "channels" and len(path) >= 3:
        return path[2] in ("reveal", "stores_contacts")
    return False


def personal_changes(base: Scenario, variant: Scenario, role: str) -> list[str]:
    """The dotted keys a variant changes that are not one person's own conduct (empty if none)."""
    a, b = base.model_dump(mode="json"), variant.model_dump(mode="json")
    return [
        ".".join(str(p) for p in path)
        for path in _changed(a, b, ())
        if not _personal(base, path, role)
    ]


def personal_choices(loaded: LoadedScenario, role: str) -> list[int]:
    """The exercise's choices that change only one person's conduct, for a persona of `role`."""
    return [
        k
        for k, v in enumerate(choice_scenarios(loaded))
        if not personal_changes(loaded.scenario, v, role)
    ]


# ------------------------------------------------------------------ the teams
@dataclass(frozen=True)
class TeamSpec:
    """One team as played: its persona (the `number`-th person of `role`) and its menu."""

    name: str
    label: str  # who the team plays: "the reporting partner"
    brief: str
    role: str
    number: int  # from 1
    options: tuple[int, ...]  # exercise choice indices, in the team's menu order
    labels: tuple[str, ...]
    descriptions: tuple[str, ...]
    costs: tuple[str, ...]  # "" where an option costs nothing said
    situations: tuple[str, ...]  # per turn ("" where none)

    def option_of(self, picks: Combo) -> Combo:
        """Team menu indices as the exercise's choice indices, played together."""
        return combo([self.options[k] for k in picks])

    @property
    def baseline(self) -> int:
        """The menu index the Debrief compares with: the first of the menu ("carry on")."""
        return 0


def _count_of(scenario: Scenario, role: str) -> int:
    if role == RESIDENT:
        return 1_000_000
    spec = scenario.population.roles.get(role)
    return spec.count if spec is not None else 0


def team_specs(loaded: LoadedScenario, count: int) -> list[TeamSpec]:
    """The first `count` teams: the exercise's `teams`, else people of its persona's role."""

    s = loaded.scenario
    ex = s.exercise
    if ex is None:
        raise UsageError(no_exercise_message(loaded.display_path))
    turns = ex.turn_count(s.days)
    names = {ex.choice_name(k): k for k in range(len(ex.choices)) if ex.choice_name(k)}
    plain = tuple(ex.situation_of(t) for t in range(1, turns + 1))
    if ex.teams:
        if count > len(ex.teams):
            raise UsageError(
                _("{name} has {n} teams to play; use --teams {n} or fewer").format(
                    name=s.name, n=len(ex.teams)
                )
            )
        out = []
        for team in ex.teams[:count]:
            options, labels, descriptions, costs = [], [], [], []
            items = team.choices or [n for n in names if n is not None]
            for item in items:
                key = item if isinstance(item, str) else item.choice
                k = names[key]
                choice = ex.choices[k]
                options.append(k)
                labels.append(
                    choice.label if isinstance(item, str) or item.label is None else item.label
                )
                descriptions.append(
                    choice.description
                    if isinstance(item, str) or item.description is None
                    else item.description
                )
                own = None if isinstance(item, str) else item.cost
                costs.append((own if own is not None else choice_cost(s, k)) or "")
            if team.situation is None:
                situations = plain
            elif isinstance(team.situation, str):
                situations = (team.situation,) * turns
            else:
                situations = tuple(
                    team.situation[t] if t < len(team.situation) else "" for t in range(turns)
                )
            out.append(
                TeamSpec(
                    team.name,
                    team.label,
                    team.brief,
                    team.role,
                    team.number,
                    tuple(options),
                    tuple(labels),
                    tuple(descriptions),
                    tuple(costs),
                    situations,
                )
            )
        return out
    role = tabletop_role(s)
    people = _count_of(s, role)
    if count > people:
        raise UsageError(
            ngettext(
                "{name} has no `teams` in its exercise, and only one person of the {role} role "
                "to give to a team; scenarios with teams: {teamed}",
                "{name} has no `teams` in its exercise, and only {n} people of the {role} role "
                "to give to teams; use --teams {n} or fewer",
                people,
            ).format(
                name=s.name,
                n=people,
                role=s.role_label(role),
                teamed=", ".join(bundled_with_teams()),
            )
        )
    menu = tuple(personal_choices(loaded, role))
    if len(menu) < 2:
        raise UsageError(
            _(
                "{name}: fewer than two of its exercise choices change one person's conduct "
                "alone, so teams have nothing to choose between"
            ).format(name=s.name)
        )
    label = s.role_label(role)
    description = s.population.roles[role].description if role in s.population.roles else ""
    return [
        TeamSpec(
            f"team_{k}",
            _("{role} {n}").format(role=label, n=k),
            description,
            role,
            k,
            menu,
            tuple(ex.choices[i].label for i in menu),
            tuple(ex.choices[i].description for i in menu),
            tuple(choice_cost(s, i) or "" for i in menu),
            plain,
        )
        for k in range(1, count + 1)
    ]


# ------------------------------------------------------------------ one town, many rules
def town_of(
    scenario: Scenario,
    replicas: int,
    sequence: np.random.SeedSequence,
    towns: dict[str, Population],
) -> Population:
    """The town a scenario builds from a stream: the same people and links as every other
    variant's (refused otherwise), channels as the variant says."""
    key = population_key(scenario)
    if key not in towns:
        town = build(scenario, replicas, Streams(sequence)("population"))
        first = next(iter(towns.values()), None)
        if first is not None and not _same_people(first, town):
            raise UsageError(
                _(
                    "an exercise choice changes who lives in the town or who knows whom; a "
                    "choice may change habits, channels and devices only"
                )
            )
        towns[key] = town
    return with_channels(towns[key], scenario)


def merged_town(base: Population, changes: Sequence[tuple[np.ndarray, Population]]) -> Population:
    """The town with each group's links as its own town has them: a link that ends at one of
    the group's people takes the channel the group's choices give it (the first group's when
    two changed it). Its channels follow no one scenario's rules, so it is not relabelled
    again (`population.with_channels`)."""
    if not changes:
        return base
    channel = base.edge_channel.copy()
    taken = np.zeros(channel.size, dtype=bool)
    source = base.edge_source()
    for people, town in changes:
        if town is base:
            continue
        mine = np.isin(source, people) | np.isin(base.indices, people)
        new = mine & (town.edge_channel != base.edge_channel) & ~taken
        channel[new] = town.edge_channel[new]
        taken |= new
    return dataclasses.replace(base, edge_channel=channel)


class _RoomRun(_Run):
    """Runs (one batch of replicas) of a room's town, every team by its own choices, stepped
    day by day; the choices (one per team, exercise indices) may change at any day."""

    def __init__(
        self,
        room: Room,
        replicas: int,
        sequence: np.random.SeedSequence,
        record: bool,
        towns: dict[str, Population] | None = None,
    ):
        super().__init__(room.variants, replicas, sequence, record, towns)
        self.room = room
        base = town_of(room.scenario, replicas, sequence, self.towns)
        self.personas = [nth_of_role(room.scenario, base, t.role, t.number) for t in room.teams]

    def _engine(self, choice: Any) -> Engine:
        """The town's engine with each team's persona under the rules of its own choice."""
        picks: tuple[Combo, ...] = choice
        room = self.room
        base = town_of(room.scenario, self.replicas, self.sequence, self.towns)
        personal, changes = [], []
        for people, pick in zip(self.personas, picks):
            variant = room.variant(pick)
            people = np.sort(people[people >= 0])
            personal.append(Personal(people, variant))
            changes.append((people, town_of(variant, self.replicas, self.sequence, self.towns)))
        return Engine(
            room.scenario,
            self.replicas,
            Streams(self.sequence),
            population=merged_town(base, changes),
            record=self.record,
            personal=personal,
        )

    def exposed(self) -> np.ndarray:
        """bool[teams, replicas]: each team's persona exposed so far (False where none)."""
        out = self.outcome()
        rows = [
            (people >= 0) & (out.exposed_day[np.maximum(people, 0)] != NOT_EXPOSED)
            for people in self.personas
        ]
        return np.array(rows, dtype=bool).reshape(len(self.personas), self.replicas)


# ------------------------------------------------------------------ what passed between teams
@dataclass(frozen=True)
class Coupling:
    """One way one team's persona reached another's in the played run."""

    day: int
    kind: str  # "device", "metadata", "interrogation", "content", "report", "registration",
    # "named" or "find"
    source: int  # team index whose conduct (phone, call, visit, home) it came through
    target: int  # team index it reached
    mechanism: str  # channel, observer or check
    detail: str = ""  # activity or state


def couplings(
    scenario: Scenario, outcome: Outcome, personas: Sequence[int], roles: Sequence[str]
) -> list[Coupling]:
    """Every record in which one persona's conduct implicated another persona not yet exposed,
    in day order; a report that names two personas counts once, from the one who did it."""
    assert outcome.records is not None
    team = {p: k for k, p in enumerate(personas) if p >= 0}
    exposed = outcome.exposed_day
    out: list[Coupling] = []
    seen: set[tuple[int, str, str, frozenset[int]]] = set()
    for rec in outcome.records:
        if rec.kind not in COUPLING_KINDS:
            continue
        a, b = team.get(rec.other), team.get(rec.person)
        if rec.kind in ("reveal", "find"):
            # A seized phone names `other`; a find is in `person`'s home, the first of its two
            # records (the second, the guest's, is the same find seen from her side).
            a, b = team.get(rec.person), team.get(rec.other)
        if a is None or b is None or a == b:
            continue
        # Nothing more to give away about someone already taken: a reveal counts the day after
        # it, so one on her day of arrest came too late; anything else that day may be its cause.
        taken = exposed[personas[b]]
        late = rec.day >= taken if rec.kind == "reveal" else rec.day > taken
        if taken != NOT_EXPOSED and late:
            continue
        if rec.kind == "reveal":
            out += [Coupling(rec.day, way, a, b, rec.mechanism) for way in rec.detail.split("+")]
            continue
        if rec.kind in ("report", "registration", "find"):
            key = (rec.day, rec.kind + rec.mechanism, rec.detail, frozenset((a, b)))
            if key in seen:
                continue
            seen.add(key)
            act = scenario.activities.get(rec.detail)
            if act is not None and roles[b] == act.who and roles[a] != act.who:
                a, b = b, a
        out.append(Coupling(rec.day, rec.kind, a, b, rec.mechanism, rec.detail))
    return out


def done_with(outcome: Outcome, persona: int, first: int, last: int) -> dict[tuple[int, str], int]:
    """What others did with a persona from day `first` to `last`: (actor, activity) -> days."""
    assert outcome.records is not None
    counts: dict[tuple[int, str], int] = {}
    for rec in outcome.records:
        if rec.kind == "activity" and rec.other == persona and first <= rec.day <= last:
            key = (rec.person, rec.mechanism)
            counts[key] = counts.get(key, 0) + 1
    return counts


# ------------------------------------------------------------------ the room
@dataclass(frozen=True)
class Effect:
    """What one team's choices did, over many runs, to one team's persona (paired runs)."""

    team: int  # whose choices
    on: int  # whose persona
    yours: float  # share exposed as played
    instead: float  # share exposed had `team` played its first option every turn
    delta: float  # yours - instead
    ci95: tuple[float, float]

    @property
    def distinguishable(self) -> bool:
        return self.ci95[0] > 0 or self.ci95[1] < 0


@dataclass(frozen=True)
class RoomDebrief:
    stories: list[Story]
    links: list[Coupling]
    effects: list[Effect]
    runs: int
    horizon: int
    played: int
    stopped: bool
    selection: Selection


class Room:
    """A tabletop played by several teams in one town."""

    def __init__(
        self,
        loaded: LoadedScenario,
        seed: int,
        count: int,
        choices: Sequence[Sequence[int | Combo]] = (),
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
        self.teams = team_specs(loaded, count)
        self.variants: dict[Combo, Scenario] = {}
        for team in self.teams:
            for k in team.options:
                bad = personal_changes(scenario, self.variant((k,)), team.role)
                if bad:
                    raise UsageError(
                        _(
                            "team {team}: the choice “{label}” changes {key}, which is not one "
                            "person's own conduct; a team's choice may change only its persona's "
                            "activities, hiding places, phone and links"
                        ).format(team=team.name, label=self.exercise.choices[k].label, key=bad[0])
                    )
        self.turns = turns_of(scenario)
        self.picks: list[tuple[Combo, ...]] = []  # per turn, per team: team menu indices
        self._stories: tuple[int, list[Story]] | None = None  # (day, stories) last told
        self.results: list[list[TurnResult]] = []
        self._towns: dict[int, dict[str, Population]] = {}
        self.selection = self._select(attempt)
        self._run = _RoomRun(self, 1, exercise_seed(self.selection.trace_seed), record=True)
        self.personas = [int(p[0]) for p in self._run.personas]
        self._odds = [
            _RoomRun(self, n, batch_seed(seed, b), record=False, towns=self._towns_of(b))
            for b, n in batches(runs, batch_size(scenario))
        ]
        for turn in choices:
            if self.finished:
                raise UsageError(
                    f"{len(choices)} turns saved, but the exercise ended after turn "
                    f"{len(self.picks)}"
                )
            self.play([combo(c) for c in turn])

    def _towns_of(self, batch: int) -> dict[str, Population]:
        return self._towns.setdefault(batch, {})

    def variant(self, choice: Combo) -> Scenario:
        """The scenario under exercise choices played together."""
        if choice not in self.variants:
            self.variants[choice] = combined_choice(self.loaded, choice)
        return self.variants[choice]

    def excluded(self, team: int, picks: Combo) -> tuple[int, int] | None:
        """The first pair of a team's options (menu indices) that may not be played together."""
        pair = clashing(self.scenario, [self.teams[team].options[k] for k in picks])
        return None if pair is None else (picks[pair[0]], picks[pair[1]])

    def label(self, team: int, picks: Combo) -> str:
        return " + ".join(self.teams[team].labels[k] for k in picks)

    @property
    def out(self) -> list[bool]:
        """Each team's persona exposed by now."""
        if not self.results:
            return [False] * len(self.teams)
        return [r.exposed for r in self.results[-1]]

    @property
    def finished(self) -> bool:
        return all(self.out) or len(self.picks) == len(self.turns)

    @property
    def next_turn(self) -> Turn:
        return self.turns[len(self.picks)]

    def _exercise_picks(self, picks: Sequence[Combo]) -> tuple[Combo, ...]:
        return tuple(t.option_of(p) for t, p in zip(self.teams, picks))

    def play(self, picks: Sequence[Combo]) -> list[TurnResult]:
        """Play the next turn, each team with its choice (its menu indices)."""
        if self.finished:
            raise UsageError("the exercise is over")
        if len(picks) != len(self.teams):
            raise UsageError(f"{len(picks)} choices for {len(self.teams)} teams")
        for k, (team, pick) in enumerate(zip(self.teams, picks)):
            bad = [i for i in pick if not 0 <= i < len(team.options)]
            if bad or not pick:
                raise UsageError(
                    f"turn {len(self.picks) + 1}, team {team.name}: no choice "
                    f"{bad[0] + 1 if bad else ''}; choose from 1 to {len(team.options)}"
                )
            pair = self.excluded(k, pick)
            if pair is not None:
                raise UsageError(
                    f"turn {len(self.picks) + 1}, team {team.name}: choices {pair[0] + 1} and "
                    f"{pair[1] + 1} cannot be combined"
                )
        turn = self.next_turn
        chosen = self._exercise_picks(picks)
        self._run.advance(chosen, turn.last)
        self.picks.append(tuple(picks))
        outcome = self._run.outcome()
        exposed = np.zeros(len(self.teams), dtype=np.int64)
        for run in self._odds:
            run.advance(chosen, turn.last)
            exposed += run.exposed().sum(axis=1)
        stories = self.stories()
        results = []
        for k, story in enumerate(stories):
            odds = Odds(int(exposed[k]), self.runs) if self._odds else None
            results.append(_turn_result(story, outcome, turn, picks[k], self.personas[k], odds))
        self.results.append(results)
        return results

    def stories(self) -> list[Story]:
        """The story of the run so far, told for each team's persona; every team's persona is
        called by the team's words for her ("the first source"), not by a pseudonym; told once
        per day simulated."""
        if self._stories is not None and self._stories[0] == self._run.day:
            return self._stories[1]
        out = self._run.outcome()
        names = {p: t.label for t, p in zip(self.teams, self.personas)}
        stories = []
        for team, p in zip(self.teams, self.personas):
            story = tell(
                self.scenario,
                out,
                self.selection.trace_seed,
                team.role,
                horizon=max(self._run.day, 1),
                person=p,
            )
            people = {
                k: dataclasses.replace(v, name=names[k]) if k in names else v
                for k, v in story.people.items()
            }
            stories.append(dataclasses.replace(story, people=people, persona=people[p]))
        self._stories = (self._run.day, stories)
        return stories

    def exposed_day(self, team: int) -> int | None:
        """The day a team's persona was exposed in the played run, or None."""
        if self._run.engine is None:
            return None
        day = int(self._run.outcome().exposed_day[self.personas[team]])
        return None if day == NOT_EXPOSED else day

    def partners(self, team: int) -> list[int]:
        """The other teams whose persona did something with this team's, or this one with
        theirs, so far in the played run."""
        if self._run.engine is None:
            return []
        out = self._run.outcome()
        assert out.records is not None
        mine = self.personas[team]
        by = {p: k for k, p in enumerate(self.personas)}
        found: set[int] = set()
        for rec in out.records:
            if rec.kind != "activity":
                continue
            if rec.person == mine and rec.other in by:
                found.add(by[rec.other])
            elif rec.other == mine and rec.person in by:
                found.add(by[rec.person])
        found.discard(team)
        return sorted(found)

    def done_with(self, team: int, first: int, last: int) -> dict[tuple[int, str], int]:
        """What others did with a team's persona in the played run, between two days."""
        return done_with(self._run.outcome(), self.personas[team], first, last)

    def links(self, first: int = 1, last: int | None = None) -> list[Coupling]:
        """What passed between teams in the played run, between two days."""
        end = self._run.day if last is None else last
        roles = [t.role for t in self.teams]
        found = couplings(self.scenario, self._run.outcome(), self.personas, roles)
        return [c for c in found if first <= c.day <= end]

    # -------------------------------------------------------------- choosing the run
    def _first_turn(
        self, sequence: np.random.SeedSequence, replicas: int, towns: dict[str, Population]
    ) -> list[list[np.ndarray]]:
        """Per team, per option: bool[replicas], the team's persona exposed in turn one when the
        team plays that option alone and the others their first."""
        last = self.turns[0].last
        first = tuple(t.option_of((0,)) for t in self.teams)
        out: list[list[np.ndarray]] = []
        for k, team in enumerate(self.teams):
            rows = []
            for option in range(len(team.options)):
                picks = list(first)
                picks[k] = team.option_of((option,))
                run = _RoomRun(self, replicas, sequence, record=False, towns=towns)
                run.advance(tuple(picks), last)
                rows.append(run.exposed()[k])
            out.append(rows)
        return out

    def _select(self, attempt: int | None) -> Selection:
        rows: list[list[np.ndarray]] | None = None
        for b, n in batches(self.runs, batch_size(self.scenario)):
            found = self._first_turn(batch_seed(self.seed, b), n, self._towns_of(b))
            rows = (
                found
                if rows is None
                else [[np.concatenate([x, y]) for x, y in zip(a, c)] for a, c in zip(rows, found)]
            )
        flat = [r for team in rows or [] for r in team]
        ended = np.array(flat, dtype=bool).reshape(len(flat), self.runs)

        def clean(trace: int) -> bool:
            ends = self._first_turn(exercise_seed(trace), 1, {})
            return not any(bool(r.any()) for team in ends for r in team)

        return choose_run(self.seed, ended, self.runs, clean, attempt)

    # -------------------------------------------------------------- saving
    def saved(self, spec: str) -> dict[str, Any]:
        """The state to save: enough to replay the game exactly."""
        from simulator.teaching.exercise import SAVE_FORMAT, SAVE_VERSION

        return {
            "format": SAVE_FORMAT,
            "version": SAVE_VERSION,
            "scenario": {"spec": spec, "name": self.scenario.name, "sha256": self.loaded.sha256},
            "seed": self.seed,
            "run": self.selection.attempt,
            "teams": [t.name for t in self.teams],
            "choices": [
                [p[0] + 1 if len(p) == 1 else [k + 1 for k in p] for p in turn]
                for turn in self.picks
            ],
        }

    # -------------------------------------------------------------- the debrief
    def debrief(self, runs: int) -> RoomDebrief:
        """Each team's story, what passed between teams, and what each team's choices did to
        every team's persona over many runs (paired against its first option every turn)."""
        stopped = not self.finished
        played = len(self.picks)
        if not played:
            raise UsageError(
                "the input ended before the first turn was played; there is nothing to debrief"
            )
        compared = played if stopped else len(self.turns)
        horizon = self.turns[compared - 1].last
        mine = list(self.picks) + [self.picks[-1]] * (compared - played)
        schedules = [mine]
        for k, team in enumerate(self.teams):
            other = [
                tuple((team.baseline,) if j == k else p for j, p in enumerate(turn))
                for turn in mine
            ]
            schedules.append(other)
        exposed: list[list[np.ndarray]] = [[] for _ in schedules]
        for b, n in batches(runs, batch_size(self.scenario)):
            towns: dict[str, Population] = {}
            for s_index, schedule in enumerate(schedules):
                run = _RoomRun(self, n, batch_seed(self.seed, b), record=False, towns=towns)
                for turn, picks in zip(self.turns, schedule):
                    run.advance(self._exercise_picks(picks), min(turn.last, horizon))
                exposed[s_index].append(run.exposed())
        table = [np.concatenate(x, axis=1) for x in exposed]  # per schedule: [teams, runs]
        effects = []
        for k in range(len(self.teams)):
            for j in range(len(self.teams)):
                a = table[0][j].astype(float)
                b = table[k + 1][j].astype(float)
                diff = a - b
                mean = float(diff.mean())
                half = 1.96 * float(diff.std(ddof=1)) / np.sqrt(diff.size) if diff.size > 1 else 0
                effects.append(
                    Effect(k, j, float(a.mean()), float(b.mean()), mean, (mean - half, mean + half))
                )
        return RoomDebrief(
            self.stories(),
            self.links(1, horizon),
            effects,
            runs,
            horizon,
            played,
            stopped,
            self.selection,
        )


__all__ = [
    "Coupling",
    "Effect",
    "Room",
    "RoomDebrief",
    "TeamSpec",
    "couplings",
    "merged_town",
    "personal_changes",
    "personal_choices",
    "team_specs",
]


def resume_room(
    saved: Saved, loaded: LoadedScenario, seed: int | None, count: int, runs: int = 200
) -> Room:
    """Replay a saved game of a room on its scenario, refusing one that does not fit it."""
    check_saved(saved, loaded, seed)
    names = [t.name for t in team_specs(loaded, count)]
    if names != saved.teams:
        raise UsageError(
            f"{saved.path}: broken saved exercise: its teams ({', '.join(saved.teams)}) are not "
            f"this scenario's ({', '.join(names)})"
        )
    try:
        return Room(loaded, saved.seed, count, saved.team_choices, runs=runs, attempt=saved.run)
    except UsageError as exc:
        raise UsageError(f"{saved.path}: broken saved exercise: {exc}") from None
