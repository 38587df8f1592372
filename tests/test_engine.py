"""The engine's records of one run agree with its outcome, and recording changes nothing."""

from __future__ import annotations

import numpy as np
from conftest import BASE, merge

from simulator.engine import NOT_EXPOSED, Engine, simulate
from simulator.scenario import load
from simulator.streams import Streams, trace_seed


def test_records_agree_with_the_outcome():
    scenario = load("overnight-guest").scenario
    plain = simulate(scenario, 3, 8)
    told = simulate(scenario, 3, 8, record=True)
    assert np.array_equal(plain.exposed_day, told.exposed_day) and np.array_equal(
        plain.cause, told.cause
    )
    records = told.records or []
    exposed = {(r.person, r.day, r.mechanism) for r in records if r.kind == "exposed"}
    expected = {
        (int(p), int(told.exposed_day[p]), scenario.mechanisms[told.cause[p]])
        for p in np.flatnonzero(told.exposed_day != NOT_EXPOSED)
    }
    assert exposed == expected and exposed
    # Every exposure's cause left a record of that mechanism on that day for that person.
    for person, day, cause in exposed:
        kinds = {"cascade": "cascade", "registration": "registration"}
        kind = kinds.get(cause, "report" if cause in scenario.observers else "find")
        assert any(
            r.kind == kind and r.person == person and r.day == day and r.mechanism == cause
            for r in records
        )
    # Nobody acts after being exposed.
    for r in records:
        if r.kind == "activity":
            day = told.exposed_day[r.person]
            assert day == NOT_EXPOSED or r.day <= day


def test_watchers_never_report_their_own_household(scenario_file):
    """Everyone is at home with a visible trace every day, and a leader and informants see and
    report all of it: by the end of day 1, everyone is exposed except the people who live with
    a watcher, and no watcher's housemate is ever exposed by a watcher."""
    doc = merge(
        BASE,
        {
            "days": 3,
            "population": {"units": 3, "households_per_unit": 6, "household_size": 3},
            "contacts": {"household": {}},
            "activities": {"home": {"who": "everyone", "per_day": 1, "traces": ["presence"]}},
            "observers": {
                "leader": {"kind": "leader", "notice": {"presence": 1.0}, "reports": 1.0},
                "informer": {
                    "kind": "informant",
                    "per_unit": 1,
                    "notice": {"presence": 1.0},
                    "reports": 1.0,
                },
            },
        },
    )
    scenario = load(str(scenario_file(doc))).scenario
    engine = Engine(scenario, 4, Streams(trace_seed(5)))
    outcome = engine.run()
    pop = engine.pop
    by_name = {o.name: o for o in engine.observers}
    leader, informer = by_name["leader"], by_name["informer"]
    assert leader.leaders is not None and informer.informant_links is not None
    watchers = np.concatenate([leader.leaders.ravel(), np.flatnonzero(informer.informant_links)])
    # Informants are linked only to their housemates here, so they watch nobody.
    assert not informer.informant_links.any()
    spared = np.isin(pop.household, pop.household[leader.leaders.ravel()])
    assert watchers.size and spared.any() and (~spared).any()
    assert np.all(outcome.exposed_day[~spared] == 1)
    assert np.all(outcome.exposed_day[spared] == NOT_EXPOSED)
