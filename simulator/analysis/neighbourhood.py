"""One recorded run seen from one person: her links, their links, who was exposed and how."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.engine import NO_CAUSE, NOT_EXPOSED, Outcome, simulate
from simulator.personas import people_of
from simulator.population import LINK_KINDS, NO_CHANNEL
from simulator.scenario.model import Scenario
from simulator.streams import picture_run

# A picture of more people than this stops being readable on a page.
MAX_PEOPLE = 40
# Recorded runs tried to find one in which the persona is exposed (each takes well under a second).
TRIES = 10


@dataclass(frozen=True)
class Person:
    """Someone in the picture."""

    id: int
    role: str
    hops: int  # 0 for the persona, 1 for her links, 2 for theirs
    exposed_day: int | None
    cause: str | None  # a mechanism of Scenario.mechanisms
    revealed_by: int | None  # for a cascade: whose phone or log gave them away


@dataclass(frozen=True)
class Link:
    """A link between two people in the picture (the most telling one when several join them)."""

    a: int
    b: int
    kind: str  # one of population.LINK_KINDS
    channel: str | None
    revealed: bool  # a seized phone or log gave away b through a (or a through b)


@dataclass(frozen=True)
class Neighbourhood:
    """The persona's neighbourhood in one recorded run."""

    persona: int
    role: str
    attempt: int  # which of the tried runs this is (0 = the first)
    tried: int  # how many runs were tried
    people: list[Person]
    links: list[Link]
    hidden: int  # people two links away left out to keep the picture readable
    seed: int  # the run's own seed: `exposure trace --seed` it tells this very run


def record_neighbourhood(
    scenario: Scenario, role: str, seed: int, tries: int = TRIES, max_people: int = MAX_PEOPLE
) -> Neighbourhood:
    """Record runs until the first person of `role` is exposed, and cut out her neighbourhood.

    The runs tried are those `trace` tells for seeds `seed`, `seed + 1`, … (`picture_run`). At
    most `tries` runs are recorded; if she is exposed in none, the first one is drawn.
    """
    chosen: tuple[int, Outcome, int] | None = None
    tried = 0
    for attempt in range(tries):
        outcome = simulate(scenario, 1, picture_run(seed, attempt), record=True)
        tried += 1
        people = people_of(scenario, outcome.population, role)
        if people.size == 0:
            raise ValueError(f"the scenario has nobody of role {role!r} to draw")
        persona = int(people[0])
        if chosen is None or outcome.exposed_day[persona] != NOT_EXPOSED:
            chosen = (attempt, outcome, persona)
        if outcome.exposed_day[persona] != NOT_EXPOSED:
            break
    assert chosen is not None, "tries must be at least 1"
    attempt, outcome, persona = chosen
    return neighbourhood(
        scenario,
        outcome,
        persona,
        role,
        attempt,
        tried,
        max_people,
        seed=picture_run(seed, attempt),
    )


def _contacts(outcome: Outcome, person: int) -> np.ndarray:
    pop = outcome.population
    return np.unique(pop.indices[pop.indptr[person] : pop.indptr[person + 1]]).astype(np.int64)


def neighbourhood(
    scenario: Scenario,
    outcome: Outcome,
    persona: int,
    role: str,
    attempt: int = 0,
    tried: int = 1,
    max_people: int = MAX_PEOPLE,
    *,
    seed: int,
) -> Neighbourhood:
    """The persona, everyone linked to her and the most telling of their links, to `max_people`."""
    pop = outcome.population
    revealed_pairs: set[tuple[int, int]] = set()
    revealed_by: dict[int, int] = {}
    for r in outcome.records or []:
        if r.kind == "reveal":
            revealed_pairs.add((min(r.person, r.other), max(r.person, r.other)))
        elif r.kind == "cascade":
            revealed_by.setdefault(r.person, r.other)
    first = [int(p) for p in _contacts(outcome, persona) if p != persona]
    shown = set(first) | {persona}
    at_risk = {i for i, name in enumerate(scenario.role_names) if scenario.at_risk(name)}
    candidates: dict[int, int] = {}  # person two links away -> how many shown people know them
    via_at_risk: set[int] = set()
    for p in first:
        for q in _contacts(outcome, p).tolist():
            if q not in shown:
                candidates[q] = candidates.get(q, 0) + 1
                if int(pop.role[p]) in at_risk:
                    via_at_risk.add(q)

    def priority(q: int) -> tuple[int, int, int, int, int]:
        exposed = outcome.exposed_day[q] != NOT_EXPOSED
        return (
            not exposed,
            int(pop.role[q]) not in at_risk,
            q not in via_at_risk,
            -candidates[q],
            q,
        )

    room = max(0, max_people - len(shown))
    second = sorted(candidates, key=priority)[:room]
    ids = [persona, *sorted(first), *sorted(second)]
    hops = {persona: 0, **dict.fromkeys(first, 1), **dict.fromkeys(second, 2)}
    people = []
    for p in ids:
        day = int(outcome.exposed_day[p])
        cause = int(outcome.cause[p])
        people.append(
            Person(
                id=p,
                role=scenario.role_names[int(pop.role[p])],
                hops=hops[p],
                exposed_day=None if day == NOT_EXPOSED else day,
                cause=None
                if day == NOT_EXPOSED or cause == NO_CAUSE
                else scenario.mechanisms[cause],
                revealed_by=revealed_by.get(p),
            )
        )
    return Neighbourhood(
        persona=persona,
        role=role,
        attempt=attempt,
        tried=tried,
        people=people,
        links=_links(scenario, outcome, ids, revealed_pairs),
        hidden=len(candidates) - len(second),
        seed=seed,
    )


def _links(
    scenario: Scenario, outcome: Outcome, ids: list[int], revealed: set[tuple[int, int]]
) -> list[Link]:
    """One link per pair of people in the picture: the most telling of the links joining them."""
    pop = outcome.population
    inside = set(ids)
    channels = list(scenario.channels)
    best: dict[tuple[int, int], tuple[int, Link]] = {}
    for a in ids:
        for e in range(int(pop.indptr[a]), int(pop.indptr[a + 1])):
            b = int(pop.indices[e])
            if b not in inside or a == b:
                continue
            pair = (min(a, b), max(a, b))
            channel = int(pop.edge_channel[e])
            kind = LINK_KINDS[int(pop.edge_kind[e])]
            link = Link(
                pair[0],
                pair[1],
                kind,
                None if channel == NO_CHANNEL else channels[channel],
                pair in revealed,
            )
            # A revealed link tells most, then one on a phone, then family, neighbours, the rest.
            rank = (
                (4 if link.revealed else 0)
                + (2 if link.channel is not None else 0)
                + (1 if kind == "family" else 0)
            )
            if pair not in best or rank > best[pair][0]:
                best[pair] = (rank, link)
    return [best[pair][1] for pair in sorted(best)]
