"""The engine's records of one run agree with its outcome, and recording changes nothing."""

from __future__ import annotations

import numpy as np

from simulator.engine import NOT_EXPOSED, simulate
from simulator.scenario import load


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
