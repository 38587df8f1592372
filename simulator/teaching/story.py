"""Narratives of one run (`exposure trace`): what a persona did, who noticed, how suspicion rose.

A story is read from the records of one simulated run (`simulate(..., record=True)`), never from
a second simulation, so it agrees with the run on every day and cause. It follows one *persona* —
the first person of a role — and the people linked to her: partners of her activities, contacts who
appear in the records, and the people the seizures of their phones named (and who named them).
People are called by pseudonyms made from their role or their link to the persona ("source 2",
"neighbour 1"), never by anything else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from simulator.engine import NOT_EXPOSED, THRESHOLD_SLACK, Outcome, simulate
from simulator.i18n import _
from simulator.personas import persona_of, role_named
from simulator.population import LINK_KINDS
from simulator.records import Record
from simulator.scenario.model import RESIDENT, Scenario

# Kinds of record that add suspicion to their person.
INCREMENTS = ("report", "voice", "named", "offer", "passed_on", "find", "registration", "cascade")
# Identifications from a call direction-finding listened to: a voice names its caller, a name
# spoken on it the person named (the record's person), and the caller is its `other`.
OVERHEARD = ("voice", "named")
# More people than this in one story would bury the persona's; the rest are counted, not told.
MAX_LINKED = 30
# How far the story follows seized phones: the persona's, and the phones of the people it named.
CASCADE_DEPTH = 2
# How many generations of "who named whom" the causal chain goes back.
CHAIN_DEPTH = 4


@dataclass(frozen=True)
class Person:
    """Someone in the story: the persona or a person linked to her, by pseudonym."""

    id: int  # position in the simulated population (not an identity)
    role: str
    name: str
    relation: str  # "persona", "partner", "contact", "named", "named_by"
    exposed_day: int | None
    cause: str | None


@dataclass(frozen=True)
class Event:
    """One thing that happened on a day of the story.

    kind: "activity" (mechanism = activity; actor, other = partner; detail "registered" or ""),
    "report", "bribe", "offer", "extorted", "registration" (mechanism = observer or
    "registration"; detail = activity; actor did it with other; subjects = who received `amount`;
    a bribe's amount is its price, an extortion's the money demanded, an offer's the weight of
    reporting the refused bribe), "passed_on" (a held report passed on: as a report, `since` the
    day of the occurrence), "search" (mechanism = check; a tip sent it to actor's home, `via` the
    observer whose report of day `since` sent it), "linked" (mechanism = an operator; actor = the
    hidden sender it links by the timing of her sealed messages, other = the recipient or -1;
    detail = activity; amount = how many of her messages it had observed), "voice" and "named"
    (mechanism = observer; detail = activity; actor made the call it listened to; a voice
    identifies the actor, a name `other`, the subject), "find" (mechanism = check; detail =
    state; actor = holder, other = guest; `via` and `since` when a tip sent the search),
    "cascade" (actor is named by other's seized phone or log, or under interrogation or in a kept
    message when detail says "interrogation", "content", or the ways joined by "+"), "suspicion"
    (the persona's, after the day's increments: `suspicion`, of which `before` was left from
    earlier days), "exposed" (mechanism = cause), "seized" (detail "unlocked" or "locked"),
    "reveal" (mechanism = channel; actor's phone, log or words name other; detail the ways joined
    by "+" among "device", "metadata" and "interrogation", or "content": a message kept on
    actor's phone names other).
    """

    day: int
    kind: str
    mechanism: str
    actor: int
    other: int = -1
    detail: str = ""
    amount: float = 0.0
    subjects: tuple[int, ...] = ()
    suspicion: float | None = None
    before: float | None = None
    via: str = ""
    since: int = 0


@dataclass(frozen=True)
class Increment:
    """Suspicion added to one person by one event, and what was left of it on a later day."""

    day: int
    kind: str  # one of INCREMENTS
    mechanism: str
    detail: str  # activity of a report or registration, state of a find
    other: int  # who named them (cascade), the partner or guest otherwise
    amount: float
    remaining: float
    via: str = ""  # the observer whose report sent the search of a find
    since: int = 0  # the day of a held report's occurrence, or of the report that sent a search


@dataclass(frozen=True)
class Chain:
    """Why one person was exposed (or how close they came): the increments that added up.

    `crossing` is the increment that reached the threshold (None if never exposed); `earlier` the
    ones before it still counting; `named_by` the chain of whoever's seized phone named them, when
    that was the cause.
    """

    person: int
    day: int | None  # exposure day, or the day suspicion peaked
    cause: str | None
    value: float  # suspicion at exposure, or at its peak
    crossing: Increment | None
    earlier: tuple[Increment, ...]
    named_by: Chain | None = None


@dataclass
class Story:
    """One run told for a persona and the people linked to her."""

    scenario: Scenario
    seed: int
    horizon: int  # the last day simulated
    persona: Person
    people: dict[int, Person]  # the persona and everyone linked, by id
    days: list[tuple[int, list[Event]]]
    chain: Chain
    aftermath: list[Event] = field(default_factory=list)  # the persona's seizure and what it named
    untold: int = 0  # linked people left out beyond MAX_LINKED
    variant: str = ""  # what was changed from the scenario file, in words ('' if nothing)

    @property
    def threshold(self) -> float:
        """Suspicion at which a person is exposed."""
        return self.scenario.adversary.threshold

    @property
    def half_life(self) -> float | None:
        """Days in which suspicion halves, if it fades."""
        decay = self.scenario.adversary.decay
        return decay.half_life if decay is not None else None

    @property
    def exposed(self) -> tuple[int, str] | None:
        """(day, cause) of the persona's exposure, or None."""
        p = self.persona
        return (
            (p.exposed_day, p.cause) if p.exposed_day is not None and p.cause is not None else None
        )

    @property
    def linked(self) -> list[Person]:
        """Everyone in the story but the persona, in the order they were found."""
        return [p for p in self.people.values() if p.id != self.persona.id]

    def name(self, person: int) -> str:
        """A person's pseudonym ("someone" for a person outside the story)."""
        found = self.people.get(person)
        return found.name if found is not None else _("someone outside this story")


def decay_factor(scenario: Scenario) -> float:
    """What one day leaves of suspicion (1.0 without decay)."""
    decay = scenario.adversary.decay
    return 0.5 ** (1.0 / decay.half_life) if decay is not None else 1.0


def activity_counts(
    records: Iterable[Record], person: int, first: int, last: int
) -> dict[str, int]:
    """How many times the person did each activity from day `first` to day `last`."""
    counts: dict[str, int] = {}
    for rec in records:
        if rec.kind == "activity" and rec.person == person and first <= rec.day <= last:
            counts[rec.mechanism] = counts.get(rec.mechanism, 0) + 1
    return counts


def suspicion_path(
    records: Iterable[Record], person: int, scenario: Scenario
) -> list[tuple[int, float, float]]:
    """(day, left from earlier days, after the day's increments) on each day suspicion was added."""
    factor = decay_factor(scenario)
    out: list[tuple[int, float, float]] = []
    value, last = 0.0, 0
    for rec in records:
        if rec.kind not in INCREMENTS or rec.person != person:
            continue
        if out and out[-1][0] == rec.day:
            day, before, after = out[-1]
            out[-1] = (day, before, after + rec.amount)
            value = after + rec.amount
            continue
        before = value * factor ** (rec.day - last)
        value = before + rec.amount
        last = rec.day
        out.append((rec.day, before, value))
    return out


def tell(
    scenario: Scenario,
    outcome: Outcome,
    seed: int,
    role: str | None = None,
    horizon: int | None = None,
    person: int | None = None,
) -> Story:
    """The story of a recorded run for the first person of a role (default: the first at risk),
    or for `person`, who has that role."""
    if outcome.records is None:
        raise ValueError("tell needs a run simulated with record=True")
    records = outcome.records
    chosen = role_named(scenario, role, "person")
    persona = persona_of(scenario, outcome.population, chosen) if person is None else person
    chain = _chain(scenario, outcome, persona, CHAIN_DEPTH)
    order, relation, untold = _linked(outcome, persona, _named_by(chain))
    people = _pseudonyms(scenario, outcome, persona, order, relation)
    roles = outcome.population.role
    ranked = sorted(
        order,
        key=lambda p: (
            p != persona,
            int(roles[p]),
            p if roles[p] != len(scenario.role_names) - 1 else 0,
        ),
    )
    people = {p: people[p] for p in ranked}
    ids = set(people)
    days = _days(scenario, records, persona, ids)
    aftermath = [
        ev
        for _day, events in days
        for ev in events
        if ev.kind in ("seized", "reveal") and ev.actor == persona
    ]
    return Story(
        scenario=scenario,
        seed=seed,
        horizon=horizon or scenario.days,
        persona=people[persona],
        people=people,
        days=days,
        chain=chain,
        aftermath=aftermath,
        untold=untold,
    )


# ------------------------------------------------------------------ who is in the story
def _contacts(outcome: Outcome, person: int) -> dict[int, int]:
    """The person's links: other end -> kind of link (the first one, if several)."""
    pop = outcome.population
    start, stop = int(pop.indptr[person]), int(pop.indptr[person + 1])
    out: dict[int, int] = {}
    for other, kind in zip(pop.indices[start:stop].tolist(), pop.edge_kind[start:stop].tolist()):
        out.setdefault(int(other), int(kind))
    return out


def _named_by(chain: Chain) -> list[int]:
    """Whose seized phones, one behind the other, led to the chain's person."""
    out = []
    link = chain.named_by
    while link is not None:
        out.append(link.person)
        link = link.named_by
    return out


def _linked(
    outcome: Outcome, persona: int, chain: list[int]
) -> tuple[list[int], dict[int, str], int]:
    """The persona and the people linked to her, in the order found, with how they are linked."""
    assert outcome.records is not None
    records = outcome.records
    relation: dict[int, str] = {persona: "persona"}
    order = [persona]
    extra = 0

    def add(person: int, how: str) -> None:
        nonlocal extra
        if person < 0 or person in relation:
            return
        if len(order) > MAX_LINKED:
            extra += 1
            relation[person] = "untold"
            return
        relation[person] = how
        order.append(person)

    for rec in records:
        if rec.person == persona and rec.other >= 0 and rec.kind not in ("reveal", "cascade"):
            add(rec.other, "partner")
        elif rec.other == persona and rec.kind not in ("reveal", "cascade"):
            add(rec.person, "partner")
    contacts = _contacts(outcome, persona)
    for rec in records:
        if rec.kind != "activity" and rec.person in contacts:
            add(rec.person, "contact")
    # Seized phones: whom the persona's named, whom theirs named, and who named the persona.
    frontier = {persona}
    for _depth in range(CASCADE_DEPTH):
        named = [rec.other for rec in records if rec.kind == "reveal" and rec.person in frontier]
        for person in named:
            add(person, "named")
        frontier = {p for p in named if relation.get(p) != "untold"}
    for person in chain:
        add(person, "named_by")
    for rec in records:
        if rec.kind == "cascade" and rec.person in relation and relation[rec.person] != "untold":
            add(rec.other, "named_by")
    shown = [p for p in order if relation[p] != "untold"]
    return shown, {p: relation[p] for p in shown}, extra


_LINK_NOUNS = {
    "family": "relative",
    "neighbour": "neighbour",
    "acquaintance": "acquaintance",
    "random": "contact",
    "tie": "contact",
    "group": "group member",
}


def _link_noun(kind: str) -> str:
    nouns = {
        "relative": _("relative"),
        "neighbour": _("neighbour"),
        "acquaintance": _("acquaintance"),
        "contact": _("contact"),
        "group member": _("group member"),
    }
    return nouns[_LINK_NOUNS[kind]]


def _pseudonyms(
    scenario: Scenario, outcome: Outcome, persona: int, order: list[int], relation: dict[int, str]
) -> dict[int, Person]:
    """Names made from roles ("the host", "source 2") or links to the persona ("neighbour 1")."""
    pop = outcome.population
    roles = scenario.role_names
    contacts = _contacts(outcome, persona)
    numbered: dict[str, int] = {}
    people: dict[int, Person] = {}
    for person in order:
        role = roles[int(pop.role[person])]
        replica = int(pop.replica[person])
        if role != RESIDENT and (person == persona or scenario.population.roles[role].count == 1):
            name = _("the {role}").format(role=scenario.role_label(role))
        elif role != RESIDENT:
            # Numbered by position among the role's people of the run: stable for a seed.
            start = int(pop.replica_start[replica])
            same = np.flatnonzero(
                pop.role[start : int(pop.replica_start[replica + 1])] == roles.index(role)
            )
            rank = int(np.searchsorted(same, person - start)) + 1
            name = _("{role} {n}").format(role=scenario.role_label(role), n=rank)
        else:
            noun = _link_noun(LINK_KINDS[contacts[person]]) if person in contacts else _("resident")
            if person == persona:
                name = _("the {role}").format(role=noun)
            else:
                numbered[noun] = numbered.get(noun, 0) + 1
                name = f"{noun} {numbered[noun]}"
        day = int(outcome.exposed_day[person])
        exposed = day != NOT_EXPOSED
        people[person] = Person(
            id=person,
            role=role,
            name=name,
            relation=relation[person],
            exposed_day=day if exposed else None,
            cause=scenario.mechanisms[int(outcome.cause[person])] if exposed else None,
        )
    return people


# ------------------------------------------------------------------ the days
def _who_did(
    activities: dict[tuple[int, str], list[tuple[int, int]]], rec: Record
) -> tuple[int, int]:
    """(actor, partner) of the occurrence a report, bribe or registration record is about."""
    pairs = activities.get((rec.day, rec.detail), [])
    if (rec.person, rec.other) in pairs:
        return rec.person, rec.other
    if (rec.other, rec.person) in pairs:
        return rec.other, rec.person
    return rec.person, rec.other


def _days(
    scenario: Scenario, records: list[Record], persona: int, ids: set[int]
) -> list[tuple[int, list[Event]]]:
    """The days that matter, each with its events in the order the day applies them."""
    activities: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for rec in records:
        if rec.kind == "activity" and (rec.person in ids or rec.other in ids):
            activities.setdefault((rec.day, rec.mechanism), []).append((rec.person, rec.other))
    # Occurrences someone noticed (or that were registered): the only activities worth telling.
    noticed: set[tuple[int, str, int, int]] = set()
    for rec in records:
        if rec.kind in ("report", "bribe", "offer", "extorted", "registration") and (
            rec.person in ids or rec.other in ids
        ):
            actor, partner = _who_did(activities, rec)
            noticed.add((rec.day, rec.detail, actor, partner))
        elif rec.kind in OVERHEARD and (rec.person in ids or rec.other in ids):
            caller = _caller(rec)
            noticed.update(
                (rec.day, rec.detail, caller, partner)
                for actor, partner in activities.get((rec.day, rec.detail), [])
                if actor == caller
            )
    rules = _reveal_routes(scenario)
    unlocked: dict[int, bool] = {}
    path = {
        day: (before, after) for day, before, after in suspicion_path(records, persona, scenario)
    }
    out: list[tuple[int, list[Event]]] = []
    events: list[Event] = []
    day = 0
    told = -1  # index in `events` of the persona's last increment today

    def close() -> None:
        if day in path and told >= 0:
            before, after = path[day]
            events.insert(
                told + 1, Event(day, "suspicion", "", persona, suspicion=after, before=before)
            )
        if events:
            out.append((day, list(events)))

    for rec in records:
        if rec.day != day:
            close()
            events.clear()
            day, told = rec.day, -1
        event = _event(rec, persona, ids, noticed, activities, rules, unlocked)
        if event is None:
            continue
        last = events[-1] if events else None
        if last is not None and _links_report(last, event):
            # Told before the report on the recipient, so that the report on the sender it makes
            # possible joins that report as one sentence.
            events.insert(len(events) - 1, event)
            if told == len(events) - 2:
                told += 1
            continue
        if last is not None and _mirrors(last, event):
            events[-1] = replace(last, subjects=(*last.subjects, *event.subjects))
            if rec.kind in INCREMENTS and rec.person == persona:
                told = len(events) - 1
            continue
        else:
            events.append(event)
        if rec.kind in INCREMENTS and rec.person == persona:
            told = len(events) - 1
    close()
    return out


def _caller(rec: Record) -> int:
    """Who made the call an identification from a listened-to call comes from."""
    return rec.person if rec.kind == "voice" else rec.other


def _mirrors(a: Event, b: Event) -> bool:
    """Whether b is the same occurrence as a, adding suspicion to a's partner (or guest)."""
    if (
        a.kind != b.kind
        or a.kind not in ("report", "offer", "passed_on", "registration", "find", "search")
        or set(a.subjects) & set(b.subjects)
    ):
        return False
    if a.kind == "search":
        # One report sends the check to the homes of everyone it names on the same day.
        return (a.day, a.mechanism, a.via, a.since) == (b.day, b.mechanism, b.via, b.since)
    # Finds and passed-on reports name the holder (or actor) first and mirror the pair.
    swapped = a.kind in ("find", "passed_on")
    same = (a.actor, a.other) == ((b.other, b.actor) if swapped else (b.actor, b.other))
    return (
        same
        and a.day == b.day
        and a.mechanism == b.mechanism
        and a.detail == b.detail
        and a.since == b.since
    )


def _links_report(report: Event, linked: Event) -> bool:
    """Whether `linked` is a timing link on the very occurrence `report` reported."""
    return (
        linked.kind == "linked"
        and report.kind == "report"
        and (report.day, report.mechanism, report.detail)
        == (linked.day, linked.mechanism, linked.detail)
        and (report.actor, report.other) == (linked.actor, linked.other)
    )


def _reveal_routes(scenario: Scenario) -> dict[str, tuple[bool, bool]]:
    """Per channel: (an unlocked phone can give up a link, the operator's log can)."""
    out = {}
    for name, ch in scenario.channels.items():
        meta = ch.logs_metadata and not ch.sealed_sender and ch.reveal.metadata > 0
        out[name] = (ch.on_device and ch.reveal.device > 0, meta)
    return out


def _event(
    rec: Record,
    persona: int,
    ids: set[int],
    noticed: set[tuple[int, str, int, int]],
    activities: dict[tuple[int, str], list[tuple[int, int]]],
    routes: dict[str, tuple[bool, bool]],
    unlocked: dict[int, bool],
) -> Event | None:
    """The story's event for one record, or None if the record is not part of the story."""
    kind = rec.kind
    if kind == "activity":
        if (rec.day, rec.mechanism, rec.person, rec.other) not in noticed:
            return None
        return Event(rec.day, kind, rec.mechanism, rec.person, rec.other, rec.detail)
    if kind in ("report", "bribe", "offer", "extorted", "registration"):
        if rec.person not in ids and rec.other not in ids:
            return None
        actor, partner = _who_did(activities, rec)
        subjects = () if kind in ("bribe", "extorted") else (rec.person,)
        return Event(rec.day, kind, rec.mechanism, actor, partner, rec.detail, rec.amount, subjects)
    if kind == "linked":
        if rec.person not in ids and rec.other not in ids:
            return None
        return Event(rec.day, kind, rec.mechanism, rec.person, rec.other, rec.detail, rec.amount)
    if kind in OVERHEARD:
        if rec.person not in ids and rec.other not in ids:
            return None
        named = rec.person if kind == "named" else -1
        return Event(
            rec.day, kind, rec.mechanism, _caller(rec), named, rec.detail, rec.amount, (rec.person,)
        )
    if kind in ("find", "passed_on"):
        if rec.person not in ids and rec.other not in ids:
            return None
        # The first record of a find names the holder (of a passed-on report, the actor); a
        # mirrored one (the guest, the partner) follows it.
        return Event(
            rec.day,
            kind,
            rec.mechanism,
            rec.person,
            rec.other,
            rec.detail,
            rec.amount,
            (rec.person,),
            via=rec.via,
            since=rec.since,
        )
    if kind == "search":
        if rec.person not in ids:
            return None
        return Event(
            rec.day,
            kind,
            rec.mechanism,
            rec.person,
            subjects=(rec.person,),
            via=rec.via,
            since=rec.since,
        )
    if kind == "cascade":
        if rec.person not in ids:
            return None
        return Event(
            rec.day,
            kind,
            rec.mechanism,
            rec.person,
            rec.other,
            rec.detail,
            rec.amount,
            (rec.person,),
        )
    if kind in ("exposed", "seized"):
        if kind == "seized":
            unlocked[rec.person] = rec.detail == "unlocked"
        if rec.person not in ids:
            return None
        return Event(rec.day, kind, rec.mechanism, rec.person, -1, rec.detail, rec.amount)
    if kind == "reveal":
        # A phone naming people outside the story is told only for the persona's own phone.
        if rec.person not in ids or (rec.other not in ids and rec.person != persona):
            return None
        route = rec.detail
        if not route:
            device, meta = routes.get(rec.mechanism, (True, False))
            device = device and unlocked.get(rec.person, True)
            route = "device+metadata" if device and meta else ("device" if device else "metadata")
        return Event(rec.day, kind, rec.mechanism, rec.person, rec.other, route)
    return None


# ------------------------------------------------------------------ the causal chain
def _increments(records: list[Record], person: int, until: int) -> list[Record]:
    return [r for r in records if r.kind in INCREMENTS and r.person == person and r.day <= until]


def _chain(scenario: Scenario, outcome: Outcome, person: int, depth: int) -> Chain:
    """Why a person was exposed: the increment that crossed the threshold and those before it."""
    assert outcome.records is not None
    factor = decay_factor(scenario)
    threshold = scenario.adversary.threshold - THRESHOLD_SLACK
    day = int(outcome.exposed_day[person])
    if day == NOT_EXPOSED:
        return _closest(scenario, outcome.records, person, factor)
    cause = scenario.mechanisms[int(outcome.cause[person])]
    incs = _increments(outcome.records, person, day)
    # Walk the exposure day's increments in the order the day applied them.
    earlier = [r for r in incs if r.day < day]
    carried = sum(r.amount * factor ** (day - r.day) for r in earlier)
    value = carried
    crossing: Record | None = None
    today: list[Record] = []
    for rec in (r for r in incs if r.day == day):
        value += rec.amount
        if crossing is None and rec.mechanism == cause and value >= threshold:
            crossing = rec
        elif crossing is None:
            today.append(rec)
    if crossing is None:  # the engine's cause is authoritative; take its first increment today
        crossing = next((r for r in incs if r.day == day and r.mechanism == cause), None)
        today = [r for r in incs if r.day == day and r is not crossing]
    before = [_increment(r, day, factor) for r in [*earlier, *today]]
    named_by = None
    if crossing is not None and crossing.kind == "cascade" and depth > 1 and crossing.other >= 0:
        named_by = _chain(scenario, outcome, crossing.other, depth - 1)
    return Chain(
        person,
        day,
        cause,
        value,
        _increment(crossing, day, factor) if crossing is not None else None,
        tuple(i for i in before if i.remaining >= 0.005),
        named_by,
    )


def _increment(rec: Record, day: int, factor: float) -> Increment:
    return Increment(
        rec.day,
        rec.kind,
        rec.mechanism,
        rec.detail,
        rec.other,
        rec.amount,
        rec.amount * factor ** (day - rec.day),
        rec.via,
        rec.since,
    )


def _closest(scenario: Scenario, records: list[Record], person: int, factor: float) -> Chain:
    """For someone never exposed: the increments behind their highest suspicion."""
    path = suspicion_path(records, person, scenario)
    if not path:
        return Chain(person, None, None, 0.0, None, ())
    peak_day, _before, peak = max(path, key=lambda p: (p[2], -p[0]))
    incs = [_increment(r, peak_day, factor) for r in _increments(records, person, peak_day)]
    return Chain(person, peak_day, None, peak, None, tuple(i for i in incs if i.remaining >= 0.005))


def trace(scenario: Scenario, seed: int, role: str | None = None) -> Story:
    """Simulate one recorded run of a scenario from a seed and tell it for the persona."""
    role_named(scenario, role, "person")  # an unknown role is refused before simulating
    return tell(scenario, simulate(scenario, 1, seed, record=True), seed, role)
