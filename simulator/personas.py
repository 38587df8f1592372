"""Whom a command follows: a role, named or by default, and a person of that role.

`compare`, `sweep` and `report` rank by a role; `trace` follows the first person of a role;
`tap` and `seize` take a person as `ROLE` or `ROLE:N`; the tabletop and the report's picture of a
neighbourhood follow the exercise's persona. Each of them resolves whom it means here, so that
they all agree on the default and refuse an unknown role in the same words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.errors import UsageError, ascii_number, did_you_mean
from simulator.scenario.model import RESIDENT, Scenario

if TYPE_CHECKING:  # only the functions given a town need numpy; `show` asks for a role alone
    import numpy as np

    from simulator.population import Population


def default_role(scenario: Scenario) -> str:
    """The role followed when none is named: the first role at risk, else the residents."""
    return next((r for r in scenario.population.roles if scenario.at_risk(r)), RESIDENT)


def tabletop_role(scenario: Scenario, otherwise: str | None = None) -> str:
    """The persona's role: the exercise's `persona`, else `otherwise`, else the default role."""
    named = scenario.exercise.persona if scenario.exercise is not None else None
    return named or otherwise or default_role(scenario)


def role_named(scenario: Scenario, role: str | None, subject: str = "role") -> str:
    """The role asked for, refusing one the scenario does not have; without one, the default.

    `subject` is what the role was asked for as: the "role" to rank by, or the "person" to follow.
    """
    if role is None:
        return default_role(scenario)
    names = scenario.role_names
    if role not in names:
        raise UsageError(
            f"no role named `{role}`{did_you_mean(role, names)}; roles: {', '.join(names)}",
            subject=subject,
        )
    spec = scenario.population.roles.get(role)
    if spec is not None and spec.count == 0:
        # Nobody to follow: every share of them would be 0 of 0.
        raise UsageError(f"the role `{role}` has no people in this scenario", subject=subject)
    return role


def people_of(scenario: Scenario, pop: Population, role: str) -> np.ndarray:
    """The people of a role in the population's first replica, in order."""
    import numpy as np

    first = pop.role[: pop.replica_start[1]]
    return np.flatnonzero(first == scenario.role_names.index(role))


def persona_of(scenario: Scenario, pop: Population, role: str) -> int:
    """The persona: the first person of the role in the population's first replica."""
    found = people_of(scenario, pop, role)
    if found.size == 0:
        raise UsageError(f"the role `{role}` has no people in this run", subject="person")
    return int(found[0])


def person_named(scenario: Scenario, pop: Population, spec: str) -> int:
    """The person `ROLE` (the first of the role) or `ROLE:N` (the N-th) names."""
    role, _sep, number = spec.partition(":")
    role_named(scenario, role, "person")
    people = people_of(scenario, pop, role)
    if people.size == 0:
        raise UsageError(f"nobody has the role `{role}` in this scenario", subject="person")
    if not number:
        return int(people[0])
    index = ascii_number(number)
    if index is None or not 1 <= index <= people.size:
        raise UsageError(
            f"there are {people.size} people with the role `{role}`; "
            f"give a number from 1 to {people.size}",
            subject="person",
            given=spec,
        )
    return int(people[index - 1])


def nth_of_role(scenario: Scenario, pop: Population, role: str, number: int) -> np.ndarray:
    """The `number`-th person (from 1) of a role in every replica (-1 where there is none)."""
    import numpy as np

    k = scenario.role_names.index(role)
    found = np.flatnonzero(pop.role == k)
    out = np.full(pop.replicas, -1, dtype=np.int64)
    if found.size == 0:
        return out
    replica = pop.replica[found]
    first = np.searchsorted(replica, np.arange(pop.replicas))
    counts = np.bincount(replica, minlength=pop.replicas)
    has = counts >= number
    out[has] = found[first[has] + number - 1]
    return out
