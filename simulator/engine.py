"""The daily loop: activities, traces, observers, checks, suspicion, exposure, seizure, cascade.

One call simulates a batch of independent replicas (runs) stacked into one population. The order
of events inside a day follows the design exactly, so that causes are unambiguous:

1. decay; 2. yesterday's reveals add the cascade weight; 3. activities, states and registrations;
4. observers, in file order; 5. checks due today, in file order; 6. exposure, seizure, reveals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from simulator.activities import (
    FOR_GOOD,
    NEVER,
    ActivityPlan,
    actors_today,
    coupled,
    links_today,
    mark_crossed,
    moved_today,
    named_today,
    plan_activities,
    role_mask,
)
from simulator.channels import (
    FOREVER,
    ChannelRules,
    channel_rules,
    content_chance,
    linked_by_timing,
    phone_routes,
    reveal_parts,
    third_parties,
)
from simulator.population import NO_CHANNEL, NO_GROUP, Population, build, order_by, row_positions
from simulator.records import NullRecorder, Record, Recorder
from simulator.scenario.model import RESIDENT, Observer, Scenario
from simulator.streams import DayBlock, Streams, trace_seed

NOT_EXPOSED = -1
NO_CAUSE = -1
# Weights such as 0.1 summed ten times must reach a threshold of 1.
THRESHOLD_SLACK = 1e-9
# The counter-based numbers of an activity are worked out for as many days at once as make about
# this many numbers (a year at once for a few hundred actors).
DAY_BLOCK_DRAWS = 1 << 16
# A day's exposed people are revealed this many at a time (see `_reveal_in_parts`).
REVEAL_PEOPLE = 1 << 17


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique's hashing is slow on large integer arrays).

    The values come in sorted runs nearly always (people in order, each one's links, arrays
    joined end to end), which a merge sort finds and keeps: 5-10 times quicker than numpy's
    default sort there, and a third slower on values in no order at all.
    """
    if values.size < 2:
        return values.copy()
    ordered = np.sort(values, kind="stable")
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


@dataclass(frozen=True)
class Personal:
    """Rules some people follow in their own conduct, apart from everyone else's.

    The tabletop's teams: each team's persona plays her own habits in the town everyone shares.
    `scenario` is the scenario as her choices change it; the engine takes from it only what is
    hers: the activities she does, the find chances of the states she holds, the unlock chance of
    her seized phone and what it gives up. Her links' channels come with the town (see
    `simulator.teaching.teams`). Every other rule is the town's; the changes a team may choose are
    checked to be of that kind before a game starts.
    """

    people: np.ndarray  # int64, sorted: one persona per replica (or fewer)
    scenario: Scenario


@dataclass
class Outcome:
    """What happened in one batch: who was exposed, on which day, and why."""

    population: Population
    exposed_day: np.ndarray  # int32[n], NOT_EXPOSED if never
    cause: np.ndarray  # int16[n]: index into Scenario.mechanisms, NO_CAUSE if never
    records: list[Record] | None = None  # only when recorded


@dataclass
class _Observer:
    name: str
    mechanism: int
    spec: Observer
    weight: float
    notice: list[tuple[float, float]]  # per activity: (unregistered, registered) notice chance
    multiplier: np.ndarray  # float[days + 1]: campaigns
    leaders: np.ndarray | None = None  # int32[units, per_unit]
    informant_links: np.ndarray | None = None  # int32[n]
    watched_by: np.ndarray | None = None  # int64[n]: watchers of each home (None: one each)
    attention: np.ndarray | None = None  # float[n]
    position: int = 0  # its place among the scenario's observers


@dataclass
class _Check:
    name: str
    mechanism: int
    every: int | None
    daily: float
    coverage: float
    scope: np.ndarray | None  # bool[n], None for everyone
    travellers: bool
    finds: list[tuple[int, float]]  # (state index, chance of finding it when present)
    weight: float
    multiplier: np.ndarray
    # Groups with rules of their own: their people, and their find chance of each state.
    personal: list[tuple[np.ndarray, dict[int, float]]] = field(default_factory=list)


@dataclass
class _Events:
    """One activity's occurrences today."""

    activity: int
    actor: np.ndarray
    partner: np.ndarray  # -1 when the activity has no partner
    registered: np.ndarray  # bool
    # Names the draws of these occurrences: the activity's name, or for occurrences another
    # activity's `off_channel` turned into this one, "<that activity>:off_channel", so that an
    # actor doing both on one day is noticed and registered on independent numbers.
    key: str = ""
    edge: np.ndarray | None = None  # the link positions crossed, actor by actor (None: none)
    # The occurrences drawn ahead these are, with every observer's decisions (None: drawn today).
    ahead: _Today | None = None


@dataclass
class _Drawn:
    """Who does an activity today, with whom and over which link (None: no partner)."""

    actor: np.ndarray
    partner: np.ndarray
    edge: np.ndarray | None
    registered: np.ndarray | None = None  # drawn ahead with the occurrences (None: not yet)
    ahead: _Today | None = None


# What the watchers of each occurrence did (reported, silenced, offered, extorted), counted per
# occurrence; the last three None where money plays no part on any day of the block.
_Decided = tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None]


@dataclass
class _Ahead:
    """One observer's decisions on occurrences drawn ahead, both ways `_reports` may draw them.

    `_reports` draws one number per occurrence when none of the day's occurrences has more than
    one watcher (`one`), and one per watcher otherwise (`many`): which way depends on the day's
    occurrences whose people are still free, known only on the day. Both are drawn ahead where
    both may be needed, and the day picks.
    """

    watchers: np.ndarray | None  # per occurrence (None: one each)
    one: _Decided | None
    many: _Decided | None


@dataclass
class _Occurrences:
    """An activity's occurrences over a block of days, as if nobody were ever exposed: those of
    day first + d are [start[d], start[d + 1]), in the order the day's draws give them."""

    start: np.ndarray
    day: np.ndarray
    actor: np.ndarray
    partner: np.ndarray  # -1 when the activity has no partner
    edge: np.ndarray | None
    registered: np.ndarray
    ahead: list[_Ahead | None]  # per observer


@dataclass(slots=True)  # made many times a day: no frozen dataclass's slower set-up
class _Today:
    """One day's part of occurrences drawn ahead: [lo, hi), of which `free` keeps those whose
    people are still free (None: all of them)."""

    occ: _Occurrences
    lo: int
    hi: int
    free: np.ndarray | None

    def take(self, values: np.ndarray) -> np.ndarray:
        """The day's kept values of an array over the block's occurrences."""
        part = values[self.lo : self.hi]
        return part if self.free is None else part[self.free]

    def decided(self, observer: int, terms: _Terms) -> _Told:
        """What an observer's watchers did today (`Engine._reports`), from the numbers drawn
        ahead: one number per occurrence unless one of today's has more than one watcher."""
        ahead = self.occ.ahead[observer]
        assert ahead is not None, "an observer that notices nothing decides nothing"
        decided = ahead.one
        # Drawn per watcher only where some occurrence of the block has several.
        many, watchers = ahead.many, ahead.watchers
        if many is not None and watchers is not None and self.take(watchers).max() > 1:
            decided = many
        assert decided is not None
        reported, silenced, offered, extorted = decided
        return _Told(
            self.take(reported),
            None if silenced is None or terms.accept <= 0 else self.take(silenced),
            None if offered is None or terms.report_offer <= 0 else self.take(offered),
            None if extorted is None or terms.extort <= 0 else self.take(extorted),
        )


@dataclass
class _Block:
    """An activity's occurrences drawn ahead for days [first, first + days), its own and those
    its `off_channel` turns into another activity (None: it has none)."""

    first: int
    days: int
    own: _Occurrences
    became: _Occurrences | None


@dataclass
class _Timing:
    """The operator's timing analysis of one sealed-sender channel, per sender (statistical
    disclosure): made on the channel's first sealed message an operator observes."""

    seen: np.ndarray  # int32[n]: the sender's sealed messages here that an operator observed
    last: np.ndarray  # int64[n]: the last of them counted (day × activities + activity), -1: none
    day: np.ndarray  # int32[n]: the day her messages here were linked to her, NEVER if not yet
    linking: np.ndarray  # int64[n]: the message that linked her (as `last`), -1 if none yet

    @classmethod
    def empty(cls, n: int) -> _Timing:
        """No message observed yet, nobody linked."""
        return cls(
            np.zeros(n, dtype=np.int32),
            np.full(n, -1, dtype=np.int64),
            np.full(n, NEVER, dtype=np.int32),
            np.full(n, -1, dtype=np.int64),
        )


@dataclass
class LinkReveals:
    """The channel links of people seized on one day, and the chance of each way of a reveal."""

    edges: np.ndarray  # link positions
    owner: np.ndarray  # the seized person holding each
    channel: np.ndarray
    device: np.ndarray  # chance her unlocked phone gives the link up
    metadata: np.ndarray  # chance the operator's log does
    interrogation: np.ndarray  # chance she names the other end in custody
    unlocked: np.ndarray  # bool: her phone was opened
    kept: np.ndarray  # int: messages of the conversation her phone still keeps (0 when unused)
    # bool: the log shows both ends only because timing named a sealed message's sender
    by_timing: np.ndarray

    @property
    def chance(self) -> np.ndarray:
        """Chance that the link is revealed at all: 1 − (1 − d)(1 − m)(1 − i)."""
        return 1.0 - (1.0 - self.device) * (1.0 - self.metadata) * (1.0 - self.interrogation)


@dataclass
class _Day:
    """People whose suspicion crossed the threshold today, in the order they crossed."""

    crossed: list[np.ndarray] = field(default_factory=list)
    travellers: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class _Terms:
    """What money does today to a watcher who would report an occurrence (all 0: she reports)."""

    accept: float = 0.0  # an offered bribe is taken: she stays silent
    report_offer: float = 0.0  # an offer she does not take is reported with the occurrence
    extort: float = 0.0  # with no offer, she holds the report over its people for money


NO_TERMS = _Terms()


@dataclass(slots=True)  # made many times a day: no frozen dataclass's slower set-up
class _Told:
    """What the watchers of each occurrence did, counted per occurrence."""

    reported: np.ndarray  # reports passed on today
    # The rest are None where money played no part (no bribe offered, none asked for).
    silenced: np.ndarray | None  # offered bribes taken
    offered: np.ndarray | None  # offers refused and reported (each also among `reported`)
    extorted: np.ndarray | None  # reports held over the occurrence's people for money


@dataclass(frozen=True)
class _Tip:
    """A check an observer's report can send to the homes of the people it names."""

    check: int  # the check's mechanism
    name: str
    chance: float
    within: int


class _Rows:
    """Things due later (reports held for money, searches sent by tips) as int64 columns."""

    def __init__(self, *names: str):
        self.cols = {name: np.empty(0, dtype=np.int64) for name in names}

    def __len__(self) -> int:
        return next(iter(self.cols.values())).size

    def add(self, **cols: np.ndarray | int) -> None:
        """Append rows; a whole number fills its column for every new row."""
        size = next((np.size(v) for v in cols.values() if np.ndim(v)), 1)
        if size == 0:
            return
        for name, col in self.cols.items():
            new = np.broadcast_to(np.asarray(cols[name], dtype=np.int64), (size,))
            self.cols[name] = np.concatenate([col, new])

    def take(self, mask: np.ndarray) -> dict[str, np.ndarray]:
        """Remove the rows `mask` selects and return them."""
        out = {name: col[mask] for name, col in self.cols.items()}
        self.cols = {name: col[~mask] for name, col in self.cols.items()}
        return out


def campaign_multipliers(scenario: Scenario, target: str) -> np.ndarray:
    """Per-day product of the campaigns' multipliers for one observer or check."""
    out = np.ones(scenario.days + 1)
    for camp in scenario.campaigns.values():
        if target in camp.multiply:
            out[camp.start : camp.end + 1] *= camp.multiply[target]
    return out


def bribe_multipliers(scenario: Scenario, observer: str) -> np.ndarray:
    """Per-day product of the campaigns' factors on one observer's readiness to take money."""
    out = np.ones(scenario.days + 1)
    for camp in scenario.campaigns.values():
        if observer in camp.bribes:
            out[camp.start : camp.end + 1] *= camp.bribes[observer]
    return out


class Engine:
    """Simulates one batch of replicas of a scenario with one random stream."""

    def __init__(
        self,
        scenario: Scenario,
        replicas: int,
        streams: Streams,
        population: Population | None = None,
        record: bool = False,
        personal: Sequence[Personal] = (),
    ):
        self.s = scenario
        self.personal = [p for p in personal if p.people.size]
        self.stream = streams
        self.pop = (
            population
            if population is not None
            else build(scenario, replicas, streams("population"))
        )
        self.recorder = Recorder(scenario, self.pop) if record else NullRecorder()
        self.rules = channel_rules(scenario)
        n = self.pop.size
        self.n = n
        self.threshold = scenario.adversary.threshold - THRESHOLD_SLACK
        self.suspicion = np.zeros(n)
        # Who was ever given suspicion, so that decay touches only them (0 stays 0): `suspects`
        # once merged, the people of later additions in `added` until the next decay.
        self.suspected = np.zeros(n, dtype=bool)
        self.suspects = np.empty(0, dtype=np.int64)
        self.added: list[np.ndarray] = []
        self.track_suspects = scenario.adversary.decay is not None  # False: nothing to track
        self.exposed_day = np.full(n, NOT_EXPOSED, dtype=np.int32)
        self.cause = np.full(n, NO_CAUSE, dtype=np.int16)
        self.active = np.ones(n, dtype=bool)
        self.mechanisms = scenario.mechanisms
        self.states = list(scenario.states)
        self.state_until = np.full((len(self.states), n), NEVER, dtype=np.int32)
        self.state_partner = np.full((len(self.states), n), -1, dtype=np.int32)
        # Everyone who ever held each state (sorted), so that checks need not scan everybody.
        self.holders = [np.empty(0, dtype=np.int64) for _ in self.states]
        self.edge_source = self.pop.edge_source()
        self.attention = self._attention()
        self.activity_count = len(scenario.activities)
        self.activities = plan_activities(scenario, self.pop, self.rules, self.edge_source)
        self.day_blocks: dict[int, DayBlock] = {}  # numbers of posts to groups, by activity
        self.personal_rules: list[ChannelRules] = []
        if self.personal:
            self._plan_personal()
        self.messaging = any(a.messages for a in self.activities)
        self.last_message = (
            np.full(self.pop.indices.size, NEVER, dtype=np.int32) if self.messaging else None
        )
        # Per link position: the channel of the last message that crossed it (NO_CHANNEL: none).
        self.logged_on = (
            np.full(self.pop.indices.size, NO_CHANNEL, dtype=np.int8) if self.messaging else None
        )
        # What kept messages say needs how many messages each link holds: the crossings of the
        # last days (for channels whose messages disappear) and of all days (for the others).
        # Whether a kept message can name anyone at all (a channel whose content names people).
        self.content_names = bool((self.rules.names > 0).any())
        self.counts_messages = self.messaging and self.content_names
        finite = self.rules.retention_days[
            (self.rules.names > 0) & (self.rules.retention_days >= 0)
        ]
        self.window = int(finite.max()) if finite.size else 0
        self.crossed_on: dict[int, np.ndarray] = {}  # day -> link positions crossed (both ends)
        self.crossed_ever = (
            np.zeros(self.pop.indices.size, dtype=np.int32) if self.counts_messages else None
        )
        self.observers = [self._plan_observer(name) for name in scenario.observers]
        for position, obs in enumerate(self.observers):
            obs.position = position
        self.blocks: dict[int, _Block] = {}  # occurrences drawn ahead, by activity
        # Per check, everyone who ever held its states, with how many held each then.
        self.ever_held: dict[str, tuple[tuple[int, ...], np.ndarray]] = {}
        self.checks = [self._plan_check(name) for name in scenario.checks]
        self.pending = np.empty(0, dtype=np.int64)
        # Timing analysis of sealed-sender channels, by channel name (see `_timing`).
        self.timing: dict[str, _Timing] = {}
        # Per link position: a sealed message crossed it whose sender timing had linked when she
        # sent it, so the operator's log shows both its ends (see `_attribute`).
        self.attributed = (
            np.zeros(self.pop.indices.size, dtype=bool)
            if self.messaging and bool(self.rules.attributable_links.any())
            else None
        )
        # The suspicion each pending reveal adds tomorrow (the cascade or the content weight).
        self.pending_weight = np.empty(0, dtype=np.float64)
        self._plan_reports()

    # ----------------------------------------------------------------- set-up
    def _plan_personal(self) -> None:
        """Each group's own plan of every activity, for its people alone; the town's plans leave
        them out. A plan keeps its activity's name, so its draws are the very numbers the town's
        plan would draw for the same people: a group whose rules are the town's does what it
        would have done anyway."""
        everyone = np.unique(np.concatenate([p.people for p in self.personal]))
        for plan in self.activities:
            plan.actors = plan.actors[~np.isin(plan.actors, everyone)]
        for group in self.personal:
            rules = channel_rules(group.scenario)
            self.personal_rules.append(rules)
            offset = len(self.activities)
            plans = plan_activities(group.scenario, self.pop, rules, self.edge_source)
            for plan in plans:
                plan.actors = plan.actors[np.isin(plan.actors, group.people)]
                if plan.off_target >= 0:
                    plan.off_target += offset
            self.activities.extend(plans)

    def _plan_observer(self, name: str) -> _Observer:
        spec = self.s.observers[name]
        weight = spec.weight if spec.weight is not None else self.s.adversary.weights.reports
        notice = []
        channels = list(self.s.channels)
        for act in self.activities:
            channel = channels[act.channel] if act.channel != NO_CHANNEL else None
            pair = []
            for traces in (act.traces, act.traces_registered):
                miss = 1.0
                for trace in traces:
                    if (
                        trace == "metadata"
                        and spec.kind == "operator"
                        and channel not in spec.channels
                    ):
                        continue
                    miss *= 1.0 - spec.notice_probability(trace, act.minutes)
                pair.append(1.0 - miss)
            notice.append((pair[0], pair[1]))
        plan = _Observer(
            name=name,
            mechanism=self.mechanisms.index(name),
            spec=spec,
            weight=weight,
            notice=notice,
            multiplier=campaign_multipliers(self.s, name),
        )
        if spec.kind not in ("leader", "informant"):
            return plan
        # Where the observers stand follows from the town and the placement's own stream alone:
        # variants sharing a population share it (`Population.derived`), without a draw.
        resident = self.s.role_names.index(RESIDENT)
        seed = self.stream.seed
        key = (
            "placement",
            name,
            seed.entropy,
            tuple(seed.spawn_key),
            spec.kind,
            spec.count_per_unit,
            spec.density,
            resident,
        )
        if spec.kind == "leader":
            leaders = plan.leaders = self.pop.derived(
                key,
                lambda: self._place_per_unit(self.pop.role == resident, spec.count_per_unit, name),
            )
            plan.watched_by = self.pop.derived(
                (*key, "watched_by"), lambda: self._watched_by_leaders(leaders)
            )
            plan.attention = self.attention
        else:
            plan.informant_links = plan.watched_by = self.pop.derived(
                key, lambda: self._informant_links(spec, name, self.pop.role == resident)
            )
        return plan

    def _watched_by_leaders(self, leaders: np.ndarray) -> np.ndarray:
        """How many leaders watch each person's home: her unit's, but not one of her household
        (who, living in her home, are among her unit's leaders)."""
        placed = leaders[leaders >= 0]
        per_unit = (leaders >= 0).sum(axis=1)
        at_home = np.bincount(
            self.pop.household[placed], minlength=int(self.pop.household_start.size - 1)
        )
        return per_unit[self.pop.unit] - at_home[self.pop.household]

    def _informant_links(self, spec: Observer, name: str, residents: np.ndarray) -> np.ndarray:
        """How many informants each person is linked to (their watchers)."""
        if spec.density is not None:
            informant = residents & (self.stream(f"placement:{name}").random(self.n) < spec.density)
        else:
            informant = np.zeros(self.n, dtype=bool)
            placed = self._place_per_unit(residents, spec.count_per_unit, name)
            informant[placed[placed >= 0]] = True
        # An informant watches the homes of the people linked to her, but not her own
        # household's: she does not inform on the people she lives with. Links go both ways, so
        # counting along the informants' own links (a few in a hundred people) counts every
        # person's links to informants.
        placed = np.flatnonzero(informant)
        edges, degree = row_positions(self.pop.indptr, placed)
        seen = self.pop.indices[edges]
        household = self.pop.household
        watched = seen[household[np.repeat(placed, degree)] != household[seen]]
        return np.bincount(watched, minlength=self.n).astype(np.int64)

    def _place_per_unit(self, eligible: np.ndarray, per_unit: int, name: str) -> np.ndarray:
        """Choose up to `per_unit` eligible people in every unit (-1 where a unit has too few)."""
        units = self.pop.units
        out = np.full((units, per_unit), -1, dtype=np.int64)
        if per_unit == 0:
            return out
        # People in a random order, then grouped (stably, in linear time) by unit, eligible first:
        # the first `per_unit` eligible people of each unit win.
        shuffled = self.stream(f"placement:{name}").permutation(self.n)
        key = self.pop.unit.astype(np.int64)[shuffled] * 2 + (~eligible[shuffled])
        order = shuffled[order_by(key, 2 * units)]
        starts = self.pop.unit_start[:-1]
        for k in range(per_unit):
            pos = starts + k
            ok = pos < self.pop.unit_start[1:]
            cand = np.where(ok, order[np.minimum(pos, self.n - 1)], -1)
            ok &= (cand >= 0) & eligible[np.maximum(cand, 0)]
            out[:, k] = np.where(ok, cand, -1)
        return out

    def _attention(self) -> np.ndarray | None:
        standing = self.s.standing
        if standing is None or standing.attention == 1.0:
            return None
        households = self.pop.household_start.size - 1
        missing = self.stream("standing").random(households) < standing.share
        for role in standing.roles:
            missing[self.pop.household[role_mask(self.s, self.pop, role)]] = True
        return np.where(missing[self.pop.household], standing.attention, 1.0)

    def _plan_check(self, name: str) -> _Check:
        spec = self.s.checks[name]
        scope: np.ndarray | None = None
        if isinstance(spec.scope, list):
            scope = np.zeros(self.n, dtype=bool)
            for role in spec.scope:
                scope |= role_mask(self.s, self.pop, role)
        finds = [
            (self.states.index(state), p * (1.0 - self.s.states[state].concealment))
            for state, p in spec.finds.items()
        ]
        personal = [
            (
                group.people,
                {
                    self.states.index(state): p * (1.0 - group.scenario.states[state].concealment)
                    for state, p in spec.finds.items()
                },
            )
            for group in self.personal
        ]
        return _Check(
            name=name,
            mechanism=self.mechanisms.index(name),
            every=spec.every,
            daily=spec.daily,
            coverage=spec.coverage,
            scope=scope,
            travellers=spec.scope == "travellers",
            finds=finds,
            personal=personal,
            weight=spec.weight if spec.weight is not None else self.s.adversary.weights.finds,
            multiplier=campaign_multipliers(self.s, name),
        )

    def _plan_reports(self) -> None:
        """What may follow a report: money (campaigns' factors on bribes), held reports, tips."""
        s = self.s
        self.bribe_factor = {
            name: bribe_multipliers(s, name)
            for name, spec in s.observers.items()
            if spec.bribe is not None
        }
        self.tips = {
            name: [
                _Tip(self.mechanisms.index(check), check, tip.chance, tip.within)
                for check, tip in spec.tips.items()
            ]
            for name, spec in s.observers.items()
        }
        # Reports held for money: observer (mechanism), activity, the people the report names
        # (actor -1 under sealed sender), how many watchers hold it, its day, and a serial number
        # for its counter-based draws.
        self.held = _Rows("observer", "activity", "actor", "partner", "count", "day", "serial")
        self.held_serial = 0
        # Searches sent by tips: check (mechanism), whose home, the day it comes, the observer
        # (mechanism) whose report sent it, and the day of that report.
        self.searches = _Rows("check", "person", "day", "observer", "reported")
        self.named_today: list[np.ndarray] = []

    # ------------------------------------------------------------- the loop
    def run(self, on_day: Callable[[], None] | None = None) -> Outcome:
        """Simulate every day and return who was exposed, when and why."""
        for t in range(1, self.s.days + 1):
            self.step(t)
            if on_day is not None:
                on_day()
        return self.outcome()

    def step(self, t: int) -> None:
        """Simulate day t; days are stepped in order from 1, by this engine or earlier ones."""
        decay = self.s.adversary.decay
        day = _Day()
        if decay:
            self._decay(0.5 ** (1.0 / decay.half_life))
        self._cascade(day, t)
        events = self._do_activities(t, day)
        for obs in self.observers:
            self._observe(obs, events, t, day)
            self._overhear(obs, events, t, day)
        self._attribute(events, t)
        travellers = (
            distinct(np.concatenate(day.travellers)) if day.travellers else np.empty(0, np.int64)
        )
        for chk in self.checks:
            self._inspect(chk, t, travellers, day)
        self._expose(t, day)

    def _decay(self, factor: float) -> None:
        """Multiply everyone's suspicion by the day's factor: the suspects' alone while they are
        few (the same numbers, as zero times the factor is zero), everyone's once they are not."""
        if self.added:
            new = np.concatenate(self.added)
            self.added = []
            new = distinct(new[~self.suspected[new]])
            self.suspected[new] = True
            self.suspects = np.concatenate([self.suspects, new])
        if self.track_suspects and self.suspects.size * 8 < self.n:
            self.suspicion[self.suspects] *= factor
        else:
            self.track_suspects = False  # from now on everyone, every day
            self.suspicion *= factor

    def outcome(self) -> Outcome:
        """Who was exposed so far, when and why."""
        return Outcome(self.pop, self.exposed_day, self.cause, self.recorder.records)

    def resume_from(self, earlier: Engine) -> None:
        """Continue the runs of an engine that simulated the same town under other rules.

        Used when rules change part-way through a run (the tabletop's turns): this engine was
        set up from a fresh stream of the same seed, so its town and watchers match; it takes over
        everything that happened (suspicion, exposures, states held, messages on phones,
        reveals due tomorrow, records) and the earlier stream, whose draws continue where they
        stopped. Every per-run array of the engine must be carried here.
        """
        if (
            self.n != earlier.n
            or self.states != earlier.states
            or self.mechanisms != earlier.mechanisms
        ):
            raise ValueError("resume_from needs the same people, states and causes of exposure")
        self.stream = earlier.stream
        self.suspicion = earlier.suspicion
        # Who has suspicion, worked out afresh: the earlier rules may have decayed and these
        # not, or the other way round.
        self.suspected = self.suspicion != 0
        self.suspects = np.flatnonzero(self.suspected)
        self.added = []
        self.track_suspects = self.s.adversary.decay is not None
        self.exposed_day = earlier.exposed_day
        self.cause = earlier.cause
        self.active = earlier.active
        self.state_until = earlier.state_until
        self.state_partner = earlier.state_partner
        self.holders = earlier.holders
        self.ever_held = {}  # worked out again from the holders taken over
        if earlier.last_message is not None:  # messages already on phones stay there
            self.last_message = earlier.last_message
            self.logged_on = earlier.logged_on  # and the operator's log keeps their channel
        self.pending = earlier.pending
        self.timing = earlier.timing  # a sender once linked by timing stays linked
        if earlier.attributed is not None and self.attributed is not None:
            self.attributed = earlier.attributed  # and what the log shows of her stays shown
        self.pending_weight = earlier.pending_weight
        if earlier.crossed_ever is not None and self.crossed_ever is not None:
            self.crossed_on, self.crossed_ever = earlier.crossed_on, earlier.crossed_ever
        self.held = earlier.held
        self.held_serial = earlier.held_serial
        self.searches = earlier.searches
        self.recorder.resume_from(earlier.recorder)

    def _add(
        self, people: np.ndarray, weight: float | np.ndarray, mechanism: int, day: _Day
    ) -> None:
        """Add suspicion; who first reaches the threshold through this mechanism has it as cause."""
        if people.size == 0:
            return
        np.add.at(self.suspicion, people, weight)
        if self.track_suspects:
            self.added.append(people)
        hit = people[(self.suspicion[people] >= self.threshold) & (self.cause[people] == NO_CAUSE)]
        if hit.size:
            hit = distinct(hit)
            self.cause[hit] = mechanism
            day.crossed.append(hit)

    def _cascade(self, day: _Day, t: int) -> None:
        alive = self.active[self.pending]
        targets = self.pending[alive]
        weights = self.pending_weight[alive]
        self.recorder.cascade(t, targets, alive)
        self.pending = np.empty(0, dtype=np.int64)
        self.pending_weight = np.empty(0, dtype=np.float64)
        self._add(targets, weights, self.mechanisms.index("cascade"), day)

    def _count_messages(self, edges: np.ndarray, t: int) -> None:
        """Note a message on each link crossed today, at both ends."""
        assert self.crossed_ever is not None
        both = np.concatenate([edges, self.pop.reverse[edges]]).astype(np.int64)
        # Ones of the counts' own type: np.add.at's fast path, tens of times faster than a 1.
        np.add.at(self.crossed_ever, both, np.ones(both.size, dtype=self.crossed_ever.dtype))
        if self.window:
            today = self.crossed_on.get(t)
            self.crossed_on[t] = both if today is None else np.concatenate([today, both])
            for old in [d for d in self.crossed_on if d <= t - self.window]:
                del self.crossed_on[old]

    def kept_messages(self, edges: np.ndarray, channel: np.ndarray, t: int) -> np.ndarray:
        """How many messages each link (distinct positions) still holds on day t.

        A channel whose messages disappear after R days keeps those of days t − R + 1 to t; the
        others keep every message. A message is one crossing of the link, either way.
        """
        if self.crossed_ever is None:
            return np.zeros(edges.size, dtype=np.int64)
        retention = self.rules.retention_days[channel]
        count = np.where(retention == FOREVER, self.crossed_ever[edges], 0).astype(np.int64)
        finite = retention != FOREVER
        if finite.any() and self.crossed_on:
            days = sorted(self.crossed_on)
            crossed = np.concatenate([self.crossed_on[d] for d in days])
            when = np.repeat(days, [self.crossed_on[d].size for d in days])
            order = np.argsort(edges, kind="stable")
            at = np.minimum(np.searchsorted(edges[order], crossed), edges.size - 1)
            mine = edges[order][at] == crossed
            which = order[at[mine]]
            recent = finite[which] & (when[mine] > t - retention[which])
            count += np.bincount(which[recent], minlength=edges.size)
        return count

    def _do_activities(self, t: int, day: _Day) -> list[_Events]:
        """Every activity's occurrences today, in file order.

        All are drawn first, because an occurrence another activity's `off_channel` turns into
        this one is done as this one: its events follow the activity's own.
        """
        drawn: list[_Drawn] = []
        turned: list[list[tuple[str, _Drawn]]] = [[] for _ in self.activities]
        for index, act in enumerate(self.activities):
            own, became = self._draw_activity(index, t)
            drawn.append(own)
            if became is not None:
                turned[act.off_target].append((f"{act.name}:off_channel", became))
        events = []
        for index, act in enumerate(self.activities):
            events.append(self._do_activity(index, t, day, drawn[index], act.name))
            for key, became in turned[index]:
                events.append(self._do_activity(index, t, day, became, key))
        return events

    def _draw_activity(self, index: int, t: int) -> tuple[_Drawn, _Drawn | None]:
        """An activity's occurrences today, and those its `off_channel` turns into another."""
        act = self.activities[index]
        if self._ahead_of_time(act):
            block = self.blocks.get(index)
            if block is None or not block.first <= t < block.first + block.days:
                block = self.blocks[index] = self._block(index, t)
            own = self._today(block.own, t - block.first)
            return own, None if block.became is None else self._today(block.became, t - block.first)
        actor = self._actors_today(index, t)
        actor = actor[self.active[actor]]
        partner = np.full(actor.size, -1, dtype=np.int64)
        edge = None
        became = None
        if act.partner_edges is not None:
            actor, _links, edge = links_today(act, self.stream, t, actor)
            if act.to_group:
                partner = np.full(actor.size, -1, dtype=np.int64)
            else:
                partner = self.pop.indices[edge].astype(np.int64)
                ok = self.active[partner]
                actor, partner, edge = actor[ok], partner[ok], edge[ok]
                if act.off_target >= 0:
                    moved, becomes = moved_today(act, self.pop, self.stream, t, actor, edge)
                    became = _Drawn(actor[becomes], partner[becomes], edge[becomes])
                    actor, partner, edge = actor[~moved], partner[~moved], edge[~moved]
        return _Drawn(actor, partner, edge), became

    def _ahead_of_time(self, act: ActivityPlan) -> bool:
        """Whether an activity's occurrences are drawn a block of days ahead (`_block`): those
        drawn with one counter-based number per actor and day, with one partner or none, and
        actors few enough for a block to span four days or more."""
        return (
            act.daily > 0.0
            and coupled(act, self.s.days)
            and not act.to_group
            and 4 * act.actors.size <= DAY_BLOCK_DRAWS
        )

    def _block(self, index: int, t: int) -> _Block:
        """An activity's occurrences from day t on, for as many days as make about
        DAY_BLOCK_DRAWS numbers, with every number the days would draw for them.

        Every number is counter-based, fixed by (purpose, day, id): drawn for many days at once
        they are the very numbers each day would draw (`Streams.days`, `Streams.uniform_paired`).
        Who will be exposed is not known ahead, so the block holds the occurrences of everyone
        still free today, and each day keeps those whose people are still free then (`_today`):
        the numbers of the others are never looked at. (Exposure lasts: nobody exposed is free
        again.)
        """
        act = self.activities[index]
        days = max(1, min(self.s.days - t + 1, DAY_BLOCK_DRAWS // max(act.actors.size, 1)))
        if act.daily >= 1.0:
            step = np.repeat(np.arange(days), act.actors.size)
            local = np.tile(np.arange(act.actors.size), days)
        else:
            acting = self.stream.days(f"activity:{act.name}", t, days, act.actors)
            step, local = np.nonzero(acting.below_all(act.daily))
        free = self.active[act.actors[local]]
        step, local = step[free], local[free]
        actor = act.actors[local]
        partner = np.full(actor.size, -1, dtype=np.int64)
        edge = None
        became = None
        if act.partner_edges is not None:
            assert act.partner_count is not None and act.partner_start is not None
            count = act.partner_count[actor]
            reach = count > 0
            step, local, actor, count = step[reach], local[reach], actor[reach], count[reach]
            picks = self.stream.days(f"partner:{act.name}", t, days, act.actors)
            u = picks.uniform_pairs(step, local)
            edge = act.partner_edges[act.partner_start[actor] + (u * count).astype(np.int64)]
            partner = self.pop.indices[edge].astype(np.int64)
            free = self.active[partner]
            step, actor, partner, edge = step[free], actor[free], partner[free], edge[free]
            if act.off_target >= 0:
                moved = self.pop.edge_channel[edge] != act.channel
                becomes = np.zeros(moved.size, dtype=bool)
                if moved.any():
                    becomes[moved] = self.stream.below_paired(
                        f"off_channel:{act.name}", t + step[moved], actor[moved], act.off_share
                    )
                target = act.off_target
                became = self._occurrences(
                    target,
                    f"{act.name}:off_channel",
                    days,
                    step[becomes],
                    actor[becomes],
                    partner[becomes],
                    edge[becomes],
                    t,
                )
                step, actor, partner, edge = (
                    step[~moved],
                    actor[~moved],
                    partner[~moved],
                    edge[~moved],
                )
        own = self._occurrences(index, act.name, days, step, actor, partner, edge, t)
        return _Block(t, days, own, became)

    def _occurrences(
        self,
        index: int,
        key: str,
        days: int,
        step: np.ndarray,
        actor: np.ndarray,
        partner: np.ndarray,
        edge: np.ndarray | None,
        t: int,
    ) -> _Occurrences:
        """Occurrences of activity `index` drawn ahead (on day t + step), named `key` for their
        draws, with their registration and every observer's decisions."""
        day = t + step
        registered = self.stream.below_paired(
            f"register:{key}", day, actor, self.activities[index].registers
        )
        start = np.searchsorted(step, np.arange(days + 1)).astype(np.int64)
        occ = _Occurrences(start, day, actor, partner, edge, registered, [])
        occ.ahead = [self._decided_ahead(obs, index, key, occ) for obs in self.observers]
        return occ

    def _decided_ahead(
        self, obs: _Observer, index: int, key: str, occ: _Occurrences
    ) -> _Ahead | None:
        """An observer's decisions on occurrences drawn ahead: `_observe`'s chances and
        `_reports`' draws, worked for every occurrence of the block with its own day's campaign
        and money factors (the same products, in the same order, as the day would make). None
        for an observer that notices nothing of the activity (the day skips it)."""
        p_unreg, p_reg = obs.notice[index]
        if p_unreg == 0.0 and p_reg == 0.0:
            return None
        act, spec = self.activities[index], obs.spec
        notice = np.where(occ.registered, p_reg, p_unreg) * obs.multiplier[occ.day]
        watchers = None
        if obs.attention is not None or obs.watched_by is not None:
            location = (
                np.where(occ.partner >= 0, occ.partner, occ.actor) if act.at_partner else occ.actor
            )
            if obs.attention is not None:
                notice = notice * obs.attention[location]
            if obs.watched_by is not None:
                watchers = obs.watched_by[location]
        chance = np.minimum(notice, 1.0) * spec.reports
        accept = extort = None
        offer = 0.0
        if spec.bribe is not None:
            factor = self.bribe_factor[obs.name][occ.day]
            if act.offers_bribe:
                accept = np.minimum(spec.bribe.accepts * factor, 1.0)
                offer = spec.bribe.reports_offer
            else:
                extort = np.minimum(spec.bribe.extorts * factor, 1.0)
        purpose = f"observer:{obs.name}:{key}"

        def decide(ids: np.ndarray, event: np.ndarray | None) -> _Decided:
            days = occ.day if event is None else occ.day[event]

            def each(values: np.ndarray | None) -> np.ndarray | None:
                return values if values is None or event is None else values[event]

            def drawn(prefix: str) -> np.ndarray:
                return self.stream.uniform_paired(prefix + purpose, days, ids)

            would = drawn("") < each(chance)
            if event is None and watchers is not None:
                would &= watchers > 0
            silenced = offered = extorted = None
            reported = would
            if accept is not None:
                silenced = would & (drawn("bribe:") < each(accept))
                reported = would & ~silenced
            if offer > 0:
                offered = reported & (drawn("offer:") < offer)
            if extort is not None:
                extorted = reported & (drawn("extort:") < each(extort))
                reported = reported & ~extorted

            def per_event(decided: np.ndarray | None) -> np.ndarray | None:
                if decided is None:
                    return None
                if event is None:
                    return decided.astype(np.int64)
                return np.bincount(event, weights=decided, minlength=occ.actor.size).astype(
                    np.int64
                )

            out = per_event(reported)
            assert out is not None
            return out, per_event(silenced), per_event(offered), per_event(extorted)

        one = decide(occ.actor, None)
        many = None
        if watchers is not None and watchers.size and watchers.max() > 1:
            event = np.repeat(np.arange(occ.actor.size), watchers)
            slot = np.arange(event.size) - np.repeat(np.cumsum(watchers) - watchers, watchers)
            many = decide(occ.actor[event] * 4096 + slot, event)
        return _Ahead(watchers, one, many)

    def _today(self, occ: _Occurrences, d: int) -> _Drawn:
        """The occurrences of the block's day d whose people are still free."""
        lo, hi = int(occ.start[d]), int(occ.start[d + 1])
        free = self.active[occ.actor[lo:hi]]
        if occ.edge is not None:
            free &= self.active[occ.partner[lo:hi]]
        # count_nonzero is one C call; ndarray.all() goes through Python first.
        today = _Today(occ, lo, hi, None if np.count_nonzero(free) == free.size else free)
        return _Drawn(
            today.take(occ.actor),
            today.take(occ.partner),
            None if occ.edge is None else today.take(occ.edge),
            today.take(occ.registered),
            today,
        )

    def _actors_today(self, index: int, t: int) -> np.ndarray:
        """Who does an activity not drawn ahead today (`actors_today`).

        A post to a group drawn with one counter-based number per actor and day has its numbers
        worked out for many days at once (`Streams.days`).
        """
        act = self.activities[index]
        if not coupled(act, self.s.days) or act.daily <= 0.0:
            return actors_today(act, self.stream, t, self.s.days)
        if act.daily >= 1.0:
            return act.actors.copy()
        block = self.day_blocks.get(index)
        if block is None or not block.covers(t):
            days = max(1, min(self.s.days - t + 1, DAY_BLOCK_DRAWS // max(act.actors.size, 1)))
            block = self.day_blocks[index] = self.stream.days(
                f"activity:{act.name}", t, days, act.actors
            )
        return act.actors[np.flatnonzero(block.below(t, act.daily))]

    def _do_activity(self, index: int, t: int, day: _Day, drawn: _Drawn, key: str) -> _Events:
        act = self.activities[index]
        actor, partner, edge = drawn.actor, drawn.partner, drawn.edge
        registered = drawn.registered
        if registered is None:
            registered = self.stream.below(f"register:{key}", t, actor, act.registers)
        if edge is not None and self.last_message is not None and act.channel != NO_CHANNEL:
            mark_crossed(self.last_message, self.pop, edge, t)
            assert self.logged_on is not None
            self.logged_on[edge] = act.channel
            self.logged_on[self.pop.reverse[edge]] = act.channel
            if self.counts_messages:
                self._count_messages(edge, t)
        if act.state >= 0:
            holder = partner if act.at_partner else actor
            sel = ~registered
            until = min(t + act.state_days - 1, FOR_GOOD)
            hold = holder[sel]
            self.state_until[act.state, hold] = np.maximum(self.state_until[act.state, hold], until)
            if hold.size:
                self.holders[act.state] = distinct(np.concatenate([self.holders[act.state], hold]))
            # Who is implicated with the holder when the state is found (the guest of a stay).
            self.state_partner[act.state, hold] = actor[sel] if act.at_partner else -1
        self.recorder.activity(t, act.name, actor, partner, registered)
        if act.registers > 0 and registered.any():
            subjects = self._subjects(actor[registered], partner[registered])
            self._add(
                subjects,
                self.s.adversary.weights.registration,
                self.mechanisms.index("registration"),
                day,
            )
        if "travel" in act.traces:
            day.travellers.append(actor)
        return _Events(index, actor, partner, registered, key, edge, drawn.ahead)

    @staticmethod
    def _subjects(actor: np.ndarray, partner: np.ndarray) -> np.ndarray:
        """The people an event implicates: the actor, and the partner where there is one."""
        return np.concatenate([actor, partner[partner >= 0]])

    def _observe(self, obs: _Observer, events: list[_Events], t: int, day: _Day) -> None:
        spec = obs.spec
        for ev in events:
            if ev.actor.size == 0:
                continue
            act = self.activities[ev.activity]
            p_unreg, p_reg = obs.notice[ev.activity]
            if p_unreg == 0.0 and p_reg == 0.0:
                continue
            terms = self._terms(obs, act.offers_bribe, t)
            if ev.ahead is not None:
                told = ev.ahead.decided(obs.position, terms)
            else:
                told = self._decide(obs, ev, t, terms)
            counts, bribed = told.reported, told.silenced
            sealed = (
                spec.kind == "operator"
                and act.channel != NO_CHANNEL
                and bool(self.rules.sealed_sender[act.channel])
            )
            self.recorder.observation(
                t, obs.name, act.name, ev.actor, ev.partner, counts, bribed, obs.weight, sealed
            )
            hit = counts > 0
            reported = np.count_nonzero(hit) > 0
            self._after_reports(obs, ev, t, told, sealed, day, hit if reported else None)
            if not reported:
                continue
            if sealed:
                # Sealed sender: the operator's log names the recipient, not the sender...
                has = hit & (ev.partner >= 0)
                self._add(ev.partner[has], obs.weight * counts[has], obs.mechanism, day)
                # ... until timing links the sender to her messages: then they count against her.
                linked = self._timing(obs, ev, hit, counts, t)
                if linked.any():
                    self._add(ev.actor[linked], obs.weight * counts[linked], obs.mechanism, day)
                continue
            subjects = self._subjects(ev.actor[hit], ev.partner[hit])
            repeat = np.concatenate([counts[hit], counts[hit][ev.partner[hit] >= 0]])
            self._add(subjects, obs.weight * repeat, obs.mechanism, day)
        self._pass_on(obs, t, day)

    def _decide(self, obs: _Observer, ev: _Events, t: int, terms: _Terms) -> _Told:
        """What an observer's watchers did about occurrences drawn today."""
        act, spec = self.activities[ev.activity], obs.spec
        p_unreg, p_reg = obs.notice[ev.activity]
        report: float | np.ndarray
        if obs.attention is None and obs.watched_by is None:
            # The same products in Python's floats, once for the day: no array per event.
            factor = float(obs.multiplier[t])
            report = min(p_unreg * factor, 1.0) * spec.reports
            if p_reg != p_unreg:
                registered = min(p_reg * factor, 1.0) * spec.reports
                report = np.where(ev.registered, registered, report)
            watchers = None
        else:
            location = (
                np.where(ev.partner >= 0, ev.partner, ev.actor) if act.at_partner else ev.actor
            )
            notice = np.where(ev.registered, p_reg, p_unreg) * obs.multiplier[t]
            if obs.attention is not None:
                notice = notice * obs.attention[location]
            report = np.minimum(notice, 1.0) * spec.reports
            watchers = self._watchers(obs, location)
        # A watcher who would report may be bribed into silence (report x (1 - accepts) in all),
        # refuse the bribe and report the offer too, or hold the report for money.
        return self._reports(f"observer:{obs.name}:{ev.key}", t, ev.actor, watchers, report, terms)

    def _terms(self, obs: _Observer, offers: bool, t: int) -> _Terms:
        """What money does today to this observer's reports of an occurrence (offering a bribe?)."""
        bribe = obs.spec.bribe
        if bribe is None:
            return NO_TERMS
        factor = self.bribe_factor[obs.name][t]
        if offers:
            return _Terms(accept=min(bribe.accepts * factor, 1.0), report_offer=bribe.reports_offer)
        return _Terms(extort=min(bribe.extorts * factor, 1.0))

    def _timing(
        self, obs: _Observer, ev: _Events, hit: np.ndarray, counts: np.ndarray, t: int
    ) -> np.ndarray:
        """Which of an operator's observed sealed messages count against their senders.

        Statistical disclosure, per sender and channel: each sealed message an operator observes
        links its sender with the channel's `timing_link` chance (`linked_by_timing`, one number
        per message however many operators observe it), so after k observed messages she is
        linked with chance 1 − (1 − q)^k. From the message that links her on, her sealed messages
        on the channel count against her as if unsealed.
        """
        act = self.activities[ev.activity]
        chance = float(self.rules.timing_link[act.channel])
        if chance <= 0.0 or not hit.any():
            return np.zeros(hit.size, dtype=bool)
        name = list(self.s.channels)[act.channel]
        state = self.timing.get(name)
        if state is None:
            state = self.timing[name] = _Timing.empty(self.n)
        sender = ev.actor[hit]  # one message per sender, activity and day
        message = t * self.activity_count + self.activities[ev.activity].index
        counted = state.last[sender] == message  # another operator observed it already
        state.last[sender] = message
        state.seen[sender[~counted]] += 1
        fresh = linked_by_timing(self.stream, act.name, t, sender, chance) & (
            state.day[sender] == NEVER
        )
        state.day[sender[fresh]] = t
        state.linking[sender[fresh]] = message
        linked = np.zeros(hit.size, dtype=bool)
        linked[hit] = state.day[sender] != NEVER
        new = np.zeros(hit.size, dtype=bool)
        new[hit] = fresh
        self.recorder.timing(
            t,
            obs.name,
            act.name,
            ev.actor[linked],
            ev.partner[linked],
            counts[linked],
            new[linked],
            state.seen[ev.actor[linked]],
            obs.weight,
        )
        return linked

    def _attribute(self, events: list[_Events], t: int) -> None:
        """Note the links of today's sealed messages whose senders timing had linked by then.

        Run after every observer, once today's timing links are made. A message counts from the
        one that linked its sender on, never before it: messages are taken by day, then activity
        by activity, as `_timing` numbers them. Such a message shows the operator's log both its
        ends, so the link it crossed counts as logged at a seizure (`reveal_parts`); who sent it
        matters, not whether the other end was ever linked.
        """
        if self.attributed is None or not self.timing:
            return
        names = list(self.s.channels)
        for ev in events:
            act = self.activities[ev.activity]
            if ev.edge is None or ev.edge.size == 0 or act.channel == NO_CHANNEL:
                continue
            state = self.timing.get(names[act.channel])
            if state is None or not self.rules.attributable_links[act.channel]:
                continue
            edge = ev.edge[self.pop.edge_channel[ev.edge] == act.channel]
            sender = self.edge_source[edge]
            linking = state.linking[sender]
            message = t * self.activity_count + self.activities[ev.activity].index
            shown = edge[(linking >= 0) & (linking <= message)]
            self.attributed[shown] = True
            self.attributed[self.pop.reverse[shown]] = True

    def _overhear(self, obs: _Observer, events: list[_Events], t: int, day: _Day) -> None:
        """What direction-finding identifies from the radio calls it listens to today.

        A call is listened to with chance min(coverage × campaign multiplier, 1), drawn apart from
        its fix; a call listened to names its caller by her voice with chance `overhears.voice`,
        and the person a call names (the activity's `names`) with chance `overhears.names`. Each
        identification adds the observer's weight to the person identified.
        """
        spec = obs.spec.overhears
        if spec is None or (spec.voice <= 0.0 and spec.names <= 0.0):
            return
        listen = min(obs.spec.coverage * obs.multiplier[t], 1.0)
        for ev in events:
            act = self.activities[ev.activity]
            names = spec.names > 0.0 and act.named_edges is not None
            if (
                ev.actor.size == 0
                or listen <= 0.0
                or act.channel == NO_CHANNEL
                or not self.rules.radio[act.channel]
                or not (spec.voice > 0.0 or names)
            ):
                continue
            purpose = f"{obs.name}:{act.name}"
            heard = ev.actor[self.stream.below(f"overhear:{purpose}", t, ev.actor, listen)]
            if spec.voice > 0.0 and heard.size:
                known = heard[self.stream.below(f"voice:{purpose}", t, heard, spec.voice)]
                self.recorder.overheard(t, obs.name, act.name, "voice", known, None, obs.weight)
                self._add(known, obs.weight, obs.mechanism, day)
            if names and heard.size:
                caller, link = named_today(act, self.stream, t, heard)
                traced = self.stream.below(f"name_traced:{purpose}", t, caller, spec.names)
                caller, named = caller[traced], self.pop.indices[link[traced]].astype(np.int64)
                alive = self.active[named]
                caller, named = caller[alive], named[alive]
                self.recorder.overheard(t, obs.name, act.name, "named", named, caller, obs.weight)
                self._add(named, obs.weight, obs.mechanism, day)

    def _reports(
        self,
        purpose: str,
        t: int,
        actor: np.ndarray,
        watchers: np.ndarray | None,
        chance: float | np.ndarray,
        terms: _Terms,
    ) -> _Told:
        """What each event's watchers do: report it, take its bribe, or hold it for money.

        Each watcher decides independently with its own counter-based numbers; one who would
        report takes an offered bribe with probability `terms.accept`, reports an offer she does
        not take as an attempted bribe with probability `terms.report_offer`, and holds the report
        of an occurrence that offered nothing for money with probability `terms.extort`.
        `watchers` None stands for one watcher of each event; `chance` may be one for all.
        """
        if watchers is None:
            ids = actor
            event = None
            if np.ndim(chance):
                would = self.stream.uniform(purpose, t, ids) < chance
            else:
                would = self.stream.below(purpose, t, ids, float(chance))
        elif watchers.size and watchers.max() <= 1:
            ids = actor
            event = None
            would = (self.stream.uniform(purpose, t, ids) < chance) & (watchers > 0)
        else:
            event = np.repeat(np.arange(actor.size), watchers)
            slot = np.arange(event.size) - np.repeat(np.cumsum(watchers) - watchers, watchers)
            ids = actor[event] * 4096 + slot
            would = self.stream.uniform(purpose, t, ids) < np.asarray(chance)[event]
        silenced = offered = extorted = None
        reported = would
        if terms.accept > 0:
            silenced = would & (self.stream.uniform("bribe:" + purpose, t, ids) < terms.accept)
            reported = would & ~silenced
        if terms.report_offer > 0:
            offered = reported & (
                self.stream.uniform("offer:" + purpose, t, ids) < terms.report_offer
            )
        if terms.extort > 0:
            extorted = reported & (self.stream.uniform("extort:" + purpose, t, ids) < terms.extort)
            reported &= ~extorted

        def per_event(decided: np.ndarray) -> np.ndarray:
            if event is None:
                return decided.astype(np.int64)
            return np.bincount(event, weights=decided, minlength=actor.size).astype(np.int64)

        return _Told(
            per_event(reported),
            None if silenced is None else per_event(silenced),
            None if offered is None else per_event(offered),
            None if extorted is None else per_event(extorted),
        )

    # ------------------------------------------------------------ after a report
    @staticmethod
    def _named(
        actor: np.ndarray, partner: np.ndarray, counts: np.ndarray, sealed: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """The people reports name, with how many reports name each.

        A report names the actor and the partner; under sealed sender (an actor of -1 in a held
        report) the partner alone.
        """
        hit = counts > 0
        if sealed:
            has = hit & (partner >= 0)
            return partner[has], counts[has]
        has = hit & (actor >= 0)
        with_partner = hit & (partner >= 0)
        return (
            np.concatenate([actor[has], partner[with_partner]]),
            np.concatenate([counts[has], counts[with_partner]]),
        )

    def _after_reports(
        self,
        obs: _Observer,
        ev: _Events,
        t: int,
        told: _Told,
        sealed: bool,
        day: _Day,
        hit: np.ndarray | None,
    ) -> None:
        """What follows an observer's decisions on today's occurrences of one activity.

        A refused offer is reported as an attempted bribe: everyone the report names gains a
        second report's weight. A report held for money is paid for now and waits in `held`.
        A report passed on may send its tips' checks, and frees the reports held over its people.
        `hit` marks the occurrences reported today (None: none was).
        """
        act = self.activities[ev.activity]
        if told.offered is not None and told.offered.any():
            self.recorder.offer(
                t, obs.name, act.name, ev.actor, ev.partner, told.offered, obs.weight, sealed
            )
            people, repeat = self._named(ev.actor, ev.partner, told.offered, sealed)
            self._add(people, obs.weight * repeat, obs.mechanism, day)
        if told.extorted is not None and told.extorted.any():
            hold = told.extorted > 0
            actor = np.where(sealed, -1, ev.actor[hold])
            self.recorder.extorted(
                t, obs.name, act.name, ev.actor[hold], ev.partner[hold], told.extorted[hold]
            )
            serial = self.held_serial + np.arange(int(hold.sum()))
            self.held_serial += serial.size
            self.held.add(
                observer=obs.mechanism,
                activity=ev.activity,
                actor=actor,
                partner=ev.partner[hold],
                count=told.extorted[hold],
                day=t,
                serial=serial,
            )
        if hit is None:
            return
        people, _count = self._named(ev.actor, ev.partner, told.reported, sealed)
        self.named_today.append(people)
        if self.tips[obs.name]:
            actor = ev.actor[hit] if not sealed else np.full(int(hit.sum()), -1, dtype=np.int64)
            self._send_tips(
                obs,
                f":{ev.key}",
                t,
                ev.actor[hit],
                actor,
                ev.partner[hit],
                told.reported[hit],
            )

    def _send_tips(
        self,
        obs: _Observer,
        suffix: str,
        t: int,
        ids: np.ndarray,
        actor: np.ndarray,
        partner: np.ndarray,
        counts: np.ndarray,
    ) -> None:
        """Searches that reports of the day send, each to the homes of the people it names.

        An occurrence reported by k watchers sends a tip's check with chance 1 - (1 - chance)^k,
        on a day drawn evenly from 1 to `within` days later (one draw gives both: given that the
        number falls below the chance, its place below it is even).
        """
        for tip in self.tips[obs.name]:
            chance = np.where(counts == 1, tip.chance, 1.0 - (1.0 - tip.chance) ** counts)
            u = self.stream.uniform(f"tip:{obs.name}:{tip.name}{suffix}", t, ids)
            sent = u < chance
            if not sent.any():
                continue
            delay = 1 + np.minimum(
                (u[sent] / chance[sent] * tip.within).astype(np.int64), tip.within - 1
            )
            for who in (actor[sent], partner[sent]):
                has = who >= 0
                self.searches.add(
                    check=tip.check,
                    person=who[has],
                    day=t + delay[has],
                    observer=obs.mechanism,
                    reported=t,
                )

    def _unexposed(self, people: np.ndarray) -> np.ndarray:
        """The people, with -1 for anyone already exposed (and for -1)."""
        return np.where((people >= 0) & self.active[np.maximum(people, 0)], people, -1)

    def _pass_on(self, obs: _Observer, t: int, day: _Day) -> None:
        """Reports this observer held for money and passes on today, after all.

        From the day after it was held, a report is passed on with chance `passes_on` each day,
        and on the first day the observer reports one of the people it names. It then adds the
        weight of its reports, as if made today, to the people it names who are not yet exposed,
        and may send its tips' checks.
        """
        named, self.named_today = self.named_today, []
        if len(self.held) == 0:
            return
        # Exposed people are past suspicion: a held report naming nobody else is forgotten.
        actor, partner = (
            self._unexposed(self.held.cols["actor"]),
            self._unexposed(self.held.cols["partner"]),
        )
        gone = (actor < 0) & (partner < 0)
        if gone.any():
            self.held.take(gone)
            actor, partner = actor[~gone], partner[~gone]
        cols = self.held.cols
        mine = (cols["observer"] == obs.mechanism) & (cols["day"] < t)
        if not mine.any():
            return
        go = np.zeros(mine.size, dtype=bool)
        chance = obs.spec.bribe.passes_on if obs.spec.bribe is not None else 0.0
        if chance > 0:
            go[mine] = self.stream.uniform(f"pass_on:{obs.name}", t, cols["serial"][mine]) < chance
        if named:
            people = distinct(np.concatenate(named))
            go |= mine & (np.isin(actor, people) | np.isin(partner, people))
        if not go.any():
            return
        actor, partner = actor[go], partner[go]
        rows = self.held.take(go)
        names = [self.activities[a].name for a in rows["activity"].tolist()]
        self.recorder.passed_on(
            t, obs.name, names, actor, partner, rows["count"], rows["day"], obs.weight
        )
        people, repeat = self._named(actor, partner, rows["count"], False)
        self._add(people, obs.weight * repeat, obs.mechanism, day)
        if self.tips[obs.name]:
            self._send_tips(obs, "", t, rows["serial"], actor, partner, rows["count"])

    def _watchers(self, obs: _Observer, location: np.ndarray) -> np.ndarray:
        """How many observers of this kind can see an event at each location."""
        if obs.watched_by is not None:
            return obs.watched_by[location]
        return np.ones(location.size, dtype=np.int64)

    def _inspect(self, chk: _Check, t: int, travellers: np.ndarray, day: _Day) -> None:
        self._search(chk, t, day)
        if chk.every is not None:
            if t % chk.every:
                return
            chance = chk.coverage * chk.multiplier[t]
        else:
            chance = chk.daily * chk.multiplier[t]
        chance = min(chance, 1.0)
        if chance <= 0.0 or not chk.finds:
            return
        if chk.travellers:
            candidates = travellers
            candidates = candidates[self.active[candidates]]
        else:
            # Only people who ever held a state can be found holding one: look at them alone.
            ever = self._ever_held(chk)
            present = np.zeros(ever.size, dtype=bool)
            for state, _ in chk.finds:
                present |= self.state_until[state, ever] >= t
            present &= self.active[ever]
            if chk.scope is not None:
                present &= chk.scope[ever]
            candidates = ever[present]
        inspected = self.stream.sample(candidates, chance, f"inspect:{chk.name}", t)
        if inspected.size == 0:
            return
        self._finds(chk, t, inspected, "find", day)

    def _ever_held(self, chk: _Check) -> np.ndarray:
        """Everyone who ever held a state the check finds (sorted), worked out again only after
        someone new held one."""
        held = tuple(self.holders[state].size for state, _ in chk.finds)
        kept = self.ever_held.get(chk.name)
        if kept is None or kept[0] != held:
            ever = distinct(np.concatenate([self.holders[state] for state, _ in chk.finds]))
            kept = self.ever_held[chk.name] = (held, ever)
        return kept[1]

    def _finds(
        self,
        chk: _Check,
        t: int,
        inspected: np.ndarray,
        purpose: str,
        day: _Day,
        sent_by: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """Each state the inspected people hold, found with the check's chance; weight per find.

        `sent_by` gives, for searches tips sent, the observer (mechanism) whose report sent each
        visit and the day of that report.
        """
        for state, p in chk.finds:
            present = self.state_until[state, inspected] >= t
            here = inspected[present]
            if chk.personal:
                chance = np.full(here.size, p)
                for people, table in chk.personal:
                    chance[np.isin(here, people)] = table[state]
                hit = self.stream.uniform(f"{purpose}:{chk.name}:{state}", t, here) < chance
            else:
                hit = self.stream.below(f"{purpose}:{chk.name}:{state}", t, here, p)
            found = here[hit]
            if found.size == 0:
                continue
            partner = self.state_partner[state, found].astype(np.int64)
            partner = np.where((partner >= 0) & self.active[np.maximum(partner, 0)], partner, -1)
            sent = None
            if sent_by is not None:
                observer, reported = (x[present][hit] for x in sent_by)
                sent = ([self.mechanisms[m] for m in observer.tolist()], reported)
            self.recorder.find(t, chk.name, found, partner, self.states[state], chk.weight, sent)
            self._add(self._subjects(found, partner), chk.weight, chk.mechanism, day)

    def _search(self, chk: _Check, t: int, day: _Day) -> None:
        """The searches tips sent for today: each visits a reported person's home.

        It finds the check's states there with the check's find chances, whatever its rate,
        coverage or scope, before the day's random inspections; a home two reports sent the same
        check to on the same day is searched once.
        """
        if len(self.searches) == 0:
            return
        cols = self.searches.cols
        due = (cols["check"] == chk.mechanism) & (cols["day"] == t)
        if not due.any():
            return
        rows = self.searches.take(due)
        person = rows["person"]
        # One visit per home: the earliest report that sent it (sorted by person, then report).
        order = np.lexsort((rows["reported"], person))
        first = np.ones(order.size, dtype=bool)
        first[1:] = person[order][1:] != person[order][:-1]
        keep = order[first]
        keep = keep[self.active[person[keep]]]
        if keep.size == 0:
            return
        person, observer, reported = person[keep], rows["observer"][keep], rows["reported"][keep]
        self.recorder.search(
            t, chk.name, person, [self.mechanisms[m] for m in observer.tolist()], reported
        )
        self._finds(chk, t, person, "search", day, (observer, reported))

    def _expose(self, t: int, day: _Day) -> None:
        if not day.crossed:
            return
        new = distinct(np.concatenate(day.crossed))
        new = new[self.active[new]]
        self.recorder.exposed(t, new, self.cause, self.suspicion)
        self.exposed_day[new] = t
        self.active[new] = False
        self.pending, self.pending_weight = self._reveal_in_parts(new, t)

    def _reveal_in_parts(self, people: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
        """`_reveal` of the day's exposed people; a day that exposes many at once (a cascade
        through a large town) is revealed REVEAL_PEOPLE at a time, so that the links of the day
        stay small in memory. Every number is drawn by person and link, so the parts give the
        same reveals in the same order: the links' names part after part, then the names in
        kept messages (the people come sorted, so part after part is the order of the whole).
        A recorded run (one town's story) is revealed in one part."""
        step = REVEAL_PEOPLE if self.recorder.records is None else max(people.size, 1)
        parts = [self._reveal(people[i : i + step], t) for i in range(0, max(people.size, 1), step)]
        if len(parts) == 1:
            (targets, weights), (named, _named_weights) = parts[0]
            if not named.size:
                return targets, weights
        return (
            np.concatenate([*(p[0][0] for p in parts), *(p[1][0] for p in parts)]),
            np.concatenate([*(p[0][1] for p in parts), *(p[1][1] for p in parts)]),
        )

    def _reveal(
        self, people: np.ndarray, t: int
    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """Seize the new exposed people's devices; the people named, and what each name weighs.

        A link is revealed by her phone or the operator's log (one number decides both, see
        `phone_routes`) or by her own words in custody (a number of its own); a person so revealed
        by several links or ways counts once per exposed person. Each conversation her unlocked
        phone still keeps may also name a third party (`content_named`), who counts once per
        phone with the content weight, on top of any reveal of her link. Returns the people her
        links name with their weights, and the people her kept messages name with theirs.
        """
        rules = self.rules
        none = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))
        nothing = (none, none)
        if people.size == 0 or rules.on_device.size == 0:
            return nothing
        chance = self.unlock_chance(people)
        if isinstance(chance, float):
            unlocked = self.stream.below("unlock", t, people, chance)
        else:
            unlocked = self.stream.uniform("unlock", t, people) < chance
        self.recorder.seized(t, people, unlocked)
        # A link to someone already exposed names nobody new: unless a story records every link
        # or a kept message may name a third party along it, it is not looked at (its numbers
        # are counter-based, so the other links draw the same ones).
        only_free = self.recorder.records is None and not self.content_names
        links = self.link_reveals(people, t, unlocked, only_free)
        if links.edges.size == 0:
            return nothing
        edges = links.edges
        u = self.stream.uniform("reveal", t, edges)
        hit = u < 1.0 - (1.0 - links.device) * (1.0 - links.metadata)
        asked = np.zeros(edges.size, dtype=bool)
        if (links.interrogation > 0).any():
            asked = self.stream.uniform("interrogation", t, edges) < links.interrogation
            hit |= asked
        by_device, by_metadata = phone_routes(u[hit], links.device[hit], links.metadata[hit])
        owner = links.owner[hit]
        edges = edges[hit]
        revealed = self.pop.indices[edges].astype(np.int64)
        # One reveal per (exposed person, revealed person), however many links join them.
        pairs = distinct(owner * self.n + revealed)
        revealed = pairs % self.n
        alive = self.active[revealed]
        routes = (by_device, by_metadata, asked[hit])
        self.recorder.revealed(t, edges, owner, routes, pairs, alive)
        targets = revealed[alive]
        weights = np.full(targets.size, self.s.adversary.weights.cascade)
        named_links, named_owner, named = self.content_named(links, t)
        if not named_links.size:
            return (targets, weights), none
        ok = named >= 0
        named_pairs = distinct(named_owner[ok] * self.n + named[ok])
        third = named_pairs % self.n
        named_alive = self.active[third]
        self.recorder.named(
            t, named_links[ok], named_owner[ok], named[ok], named_pairs, named_alive
        )
        third = third[named_alive]
        return (targets, weights), (
            third,
            np.full(third.size, self.s.adversary.weights.content_weight),
        )

    def unlock_chance(self, people: np.ndarray) -> float | np.ndarray:
        """The chance that each seized phone is opened: the town's, or a group's own."""
        if not self.personal:
            return self.s.adversary.unlock
        chance = np.full(people.size, self.s.adversary.unlock)
        for group in self.personal:
            chance[np.isin(people, group.people)] = group.scenario.adversary.unlock
        return chance

    def reveal_chances(
        self, people: np.ndarray, t: int, unlocked: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every channel link of people seized on day t: (position, owner, chance of a reveal)."""
        links = self.link_reveals(people, t, unlocked)
        return links.edges, links.owner, links.chance

    def link_reveals(
        self, people: np.ndarray, t: int, unlocked: np.ndarray, only_free: bool = False
    ) -> LinkReveals:
        """Every channel link of people seized on day t, and the chance of each way of a reveal;
        with `only_free`, only the links to people not exposed yet.

        An unlocked phone holds a link if the channel stores contacts, the link belongs to a group
        chat (each member's phone keeps the member list), or a message on it is still within the
        channel's retention; the operator's log holds it if a message was exchanged on it at all;
        the person herself knows every link, phone or none.
        """
        rules = self.rules
        edges, degree = row_positions(self.pop.indptr, people)
        if only_free:
            free = self.active[self.pop.indices[edges]]
            edges = edges[free]
            # Each person's free links, from a running count: late in a cascade most links lead
            # to people already exposed, and their owners need not be listed at all.
            counted = np.zeros(free.size + 1, dtype=np.int64)
            np.cumsum(free, out=counted[1:])
            ends = np.cumsum(degree)
            degree = counted[ends] - counted[ends - degree]
        owner = np.repeat(people, degree)
        owner_unlocked = np.repeat(unlocked, degree)
        current = self.pop.edge_channel[edges].astype(np.int64)
        # The channel its messages last crossed on: the operator's log keeps them even after the
        # link moved to another channel (the tabletop's habits change channels part-way through).
        was = self.logged_on[edges].astype(np.int64) if self.logged_on is not None else current
        has = (current != NO_CHANNEL) | (was != NO_CHANNEL)
        edges, current, was, owner, owner_unlocked = (
            edges[has],
            current[has],
            was[has],
            owner[has],
            owner_unlocked[has],
        )
        now = current != NO_CHANNEL
        channel = np.where(now, current, was)
        held = self.pop.edge_group[edges] != NO_GROUP
        if self.last_message is not None:
            last = self.last_message[edges]
            retention = rules.retention_days[channel]
            held |= (last != NEVER) & ((retention == FOREVER) | (last > t - retention))
            logged = last != NEVER
        else:
            logged = np.zeros(edges.size, dtype=bool)
        timed = (
            self.attributed[edges] & ~rules.metadata_links[channel]
            if self.attributed is not None
            else np.zeros(edges.size, dtype=bool)
        )
        device, metadata, asked = reveal_parts(
            rules, channel, owner_unlocked, held | rules.keeps_contacts[channel], logged, timed
        )
        # A group's own phones keep and give up what their rules say (its channels' `reveal` and
        # `stores_contacts`); the log and the channels themselves are the town's.
        for group, own in zip(self.personal, self.personal_rules):
            rows = np.isin(owner, group.people)
            if not rows.any():
                continue
            c = channel[rows]
            kept = held[rows] | own.keeps_contacts[c]
            parts = reveal_parts(own, c, owner_unlocked[rows], kept, logged[rows], timed[rows])
            device[rows], metadata[rows], asked[rows] = parts
        moved = (was != NO_CHANNEL) & (was != channel)
        if moved.any():
            w = was[moved]
            metadata[moved] = np.where(
                logged[moved] & rules.metadata_links[w], rules.reveal_metadata[w], 0.0
            )
        # A link on no channel now is on no phone and in nobody's words; only the log remembers.
        device[~now], asked[~now] = 0.0, 0.0
        timed &= metadata > 0
        kept = self.kept_messages(edges, channel, t)
        kept[~now] = 0
        return LinkReveals(
            edges, owner, channel, device, metadata, asked, owner_unlocked, kept, timed
        )

    def content_named(
        self, links: LinkReveals, t: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The conversations kept on the seized phones that name someone: (link, owner, person).

        Each message an unlocked phone still keeps names a third party with its channel's
        `content.names` chance q, so a conversation of c kept messages names someone with chance
        1 − (1 − q)^c (one number of its own decides); whom it names is drawn by `third_parties`
        from another number, -1 when the owner has nobody else to name.
        """
        empty = np.empty(0, dtype=np.int64)
        if not self.content_names:
            return empty, empty, empty
        chance = content_chance(self.rules, links.channel, links.unlocked, links.kept)
        some = chance > 0
        edges, owner = links.edges[some], links.owner[some]
        hit = self.stream.uniform("content", t, edges) < chance[some]
        edges, owner = edges[hit], owner[hit]
        u = self.stream.uniform("content:whom", t, edges)
        whom = third_parties(self.pop.indptr, self.pop.indices, edges, owner, u)
        return edges, owner, whom


def simulate(
    scenario: Scenario,
    replicas: int,
    seed: np.random.SeedSequence | int,
    on_day: Callable[[], None] | None = None,
    record: bool = False,
) -> Outcome:
    """Simulate `replicas` independent runs of a scenario from one seed.

    With `record`, the outcome also lists every activity, report, bribe, find, exposure,
    seizure and reveal (meant for one small run told as a story).
    """
    sequence = seed if isinstance(seed, np.random.SeedSequence) else trace_seed(seed)
    return Engine(scenario, replicas, Streams(sequence), record=record).run(on_day)
