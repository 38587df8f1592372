"""The messaging layer: real cryptography acting out a scenario's channels, for `tap` and `seize`.

keys and ciphers (`crypto`), pairwise sessions with an optional ratchet (`session`), the bytes on
the wire (`wire`), phones (`device`), the network and the operator's log (`network`), one run of
a scenario's messaging (`simulation`) and what the adversary gets from it (`adversary`).
"""

from __future__ import annotations

from simulator.errors import UsageError
from simulator.messaging.adversary import SeizeReport, TapReport, seize, tap
from simulator.messaging.simulation import MessagingRun, require_messages, simulate_messaging
from simulator.personas import person_named
from simulator.population import build
from simulator.scenario.model import Scenario
from simulator.streams import Streams, messaging_seed


def _person(scenario: Scenario, seed: int, spec: str) -> int:
    """Resolve the person before simulating, on the population the run will build."""
    pop = build(scenario, 1, Streams(messaging_seed(seed))("population"))
    return person_named(scenario, pop, spec)


def tap_scenario(scenario: Scenario, seed: int, person: str | None = None) -> TapReport:
    """Simulate the scenario's messaging over its days and return what the operator holds."""
    require_messages(scenario)
    who = _person(scenario, seed, person) if person is not None else None
    return tap(simulate_messaging(scenario, seed), who)


def seize_scenario(
    scenario: Scenario, seed: int, person: str, day: int | None = None, locked: bool = False
) -> SeizeReport:
    """Simulate the messaging up to `day` and seize one person's phone at its end."""
    require_messages(scenario)
    when = scenario.days if day is None else day
    if not 1 <= when <= scenario.days:
        raise UsageError(
            f"outside the scenario's {scenario.days} days; give a day from 1 to {scenario.days}",
            subject="day",
            given=when,
        )
    who = _person(scenario, seed, person)
    return seize(simulate_messaging(scenario, seed, when), who, unlocked=not locked)


__all__ = [
    "MessagingRun",
    "SeizeReport",
    "TapReport",
    "seize",
    "seize_scenario",
    "simulate_messaging",
    "tap",
    "tap_scenario",
]
