"""`off_channel`: a habit whose partner moved face to face turns into another habit, by mechanism.

A countermeasure is one change of habit; the side effect a real habit has (a source no longer
rung is walked to instead) is a parameter of the scenario, and its effect must come out of the
simulation exactly as the closed form says, on the same random numbers as the habit it replaces.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from conftest import BASE, FAST, invoke, merge

from simulator.engine import Engine, simulate
from simulator.messaging.simulation import simulate_messaging
from simulator.records import Record
from simulator.scenario import bundled_names, load
from simulator.scenario.model import Scenario
from simulator.streams import Streams

SLACK = 4.5  # standard errors, as in test_exact_cases.py
CALLERS = 500 if FAST else 1000


def town(
    ties: tuple[str, ...] = ("face",),
    share: float | None = 0.75,
    call: float = 0.8,
    visit: float = 0.5,
    notice: float = 0.6,
    weight: float = 0.0,
    days: int = 60,
) -> dict[str, Any]:
    """Callers ring one friend on each tie's channel (`phone` or `face`) and visit friends.

    With weight 0 nobody is ever exposed, so every caller acts on every day and the counts have
    a closed form; `share` None leaves `off_channel` out.
    """
    call_spec: dict[str, Any] = {"who": "caller", "channel": "phone", "with": "friend"}
    call_spec["per_day"] = call
    if share is not None:
        call_spec["off_channel"] = {"becomes": "visit", "share": share}
    return merge(
        BASE,
        {
            "days": days,
            "population": {
                "units": 2 * CALLERS // 100 + 10,
                "households_per_unit": 100,
                "household_size": 1,
                "roles": {"caller": CALLERS, "friend": CALLERS},
            },
            "contacts": {
                "ties": [{"from": "caller", "to": "friend", "channel": c, "each": 1} for c in ties]
            },
            "channels": {"phone": {"kind": "plaintext"}, "face": {"kind": "in_person"}},
            "activities": {
                "call": call_spec,
                "visit": {
                    "who": "caller",
                    "with": "friend",
                    "at": "partner",
                    "per_day": visit,
                    "traces": ["presence"],
                },
            },
            "observers": {
                "watcher": {"kind": "general", "notice": {"presence": notice}, "weight": weight}
            },
        },
    )


def records(data: dict[str, Any], seed: int = 11) -> list[Record]:
    told = simulate(Scenario.model_validate(data), 1, seed, record=True)
    assert told.records is not None
    return told.records


def occurrences(recs: list[Record], activity: str) -> list[tuple[int, int, int]]:
    """(day, actor, partner) of every occurrence of an activity, in the order they happened."""
    return [
        (r.day, r.person, r.other) for r in recs if r.kind == "activity" and r.mechanism == activity
    ]


def _near(simulated: float, p: float, variance: float, n: int) -> None:
    se = math.sqrt(variance / n)
    assert abs(simulated - p) <= SLACK * se, (
        f"simulated {simulated:.4f}, formula {p:.4f}, se {se:.4f}"
    )


def test_calls_to_a_friend_met_face_to_face_become_visits_at_the_closed_form_rate():
    a, s, b, n, days = 0.8, 0.75, 0.5, 0.6, 60
    recs = records(town(share=s, call=a, visit=b, notice=n, days=days))
    caller_days = CALLERS * days
    assert occurrences(recs, "call") == []  # nobody is rung: the only friend is met face to face
    visits = len(occurrences(recs, "visit"))
    # A visit of her own with chance b, and a call turned visit with chance a·s, each day.
    _near(visits / caller_days, b + a * s, b * (1 - b) + a * s * (1 - a * s), caller_days)
    # The watcher notices each visit on a number of its own: a day is reported unless neither
    # visit is, 1 − (1 − b·n)(1 − a·s·n) = 0.552. (On one number for both, a day with two visits
    # would be reported with chance n instead of 1 − (1 − n)², and the day's chance be 0.48.)
    callers = {r.person for r in recs if r.kind == "activity"}
    reported = {
        (r.day, r.person)
        for r in recs
        if r.kind == "report" and r.detail == "visit" and r.person in callers
    }
    p = 1 - (1 - b * n) * (1 - a * s * n)
    _near(len(reported) / caller_days, p, p * (1 - p), caller_days)


def test_with_one_friend_on_each_channel_half_the_calls_turn():
    a, s, b, days = 0.8, 0.5, 0.2, 60
    recs = records(town(ties=("phone", "face"), share=s, call=a, visit=b, days=days))
    caller_days = CALLERS * days
    calls = len(occurrences(recs, "call"))
    visits = len(occurrences(recs, "visit"))
    # The friend is picked among both links, so half the calls reach the friend on the phone.
    _near(calls / caller_days, a / 2, a / 2 * (1 - a / 2), caller_days)
    q = a * s / 2
    _near(visits / caller_days, b + q, b * (1 - b) + q * (1 - q), caller_days)


def test_each_call_becomes_a_visit_to_the_same_friend_on_the_same_day():
    """Common random numbers: the move off the phone is paired call for call."""
    rung = occurrences(records(town(ties=("phone",), share=1.0, visit=0.0)), "call")
    walked = occurrences(records(town(ties=("face",), share=1.0, visit=0.0)), "visit")
    assert rung and walked == rung
    # A lower share turns a subset of the same calls.
    some = occurrences(records(town(ties=("face",), share=0.4, visit=0.0)), "visit")
    assert set(some) < set(walked)
    _near(len(some) / len(walked), 0.4, 0.24, len(walked))
    assert occurrences(records(town(ties=("face",), share=0.0, visit=0.0)), "visit") == []


def test_off_channel_changes_nothing_while_every_partner_is_on_the_channel():
    # Reports count here, so people are exposed and the whole run depends on every number.
    plain = town(ties=("phone",), share=None, notice=0.1, weight=0.5)
    with_off = town(ties=("phone",), share=0.75, notice=0.1, weight=0.5)
    a = simulate(Scenario.model_validate(plain), 2, 5, record=True)
    b = simulate(Scenario.model_validate(with_off), 2, 5, record=True)
    assert np.array_equal(a.exposed_day, b.exposed_day) and np.array_equal(a.cause, b.cause)
    assert a.records == b.records and (a.exposed_day >= 0).any()


def test_the_messaging_layer_sends_nothing_to_a_friend_met_face_to_face():
    data = town(ties=("phone", "face"), share=1.0, days=30)
    data["observers"] = {}
    # A face-to-face habit with a channel of its own: both layers mark the link it crosses.
    data["activities"]["visit"]["channel"] = "face"
    scenario = Scenario.model_validate(data)
    run = simulate_messaging(scenario, 3)
    phone = list(scenario.channels).index("phone")
    assert run.messages
    assert all((run.population.edge_channel[list(m.links)] == phone).all() for m in run.messages)
    engine = Engine(scenario, 1, Streams(np.random.SeedSequence(3)), population=run.population)
    engine.run()
    assert engine.last_message is not None
    assert (engine.last_message == run.last_message).all()
    face = run.population.edge_channel == list(scenario.channels).index("face")
    assert (run.last_message[face] > 0).any()


def test_border_phone_moves_the_sources_off_the_phone_in_one_change():
    loaded = load("border-phone")
    meet = loaded.scenario.countermeasures["meet_in_person"]
    assert meet.changed_keys == ["contacts.ties.0.channel"]
    off = loaded.scenario.activities["call_source"].off_channel
    assert off is not None and off.becomes == "meet_source"
    assert loaded.ranges["activities.call_source.off_channel.share"] == (0.5, 1)
    shown = " ".join(invoke("show", "border-phone").output.split())
    assert "met only face to face" in shown
    assert (
        "“rings a source on her North Korean phone”: share that happens face to face instead: 1 "
        "(an estimate; range" in shown
    )
    technical = " ".join(invoke("show", "border-phone", "--technical").output.split())
    assert "activities.call_source.off_channel.share: 1 (an estimate; range 0.5–1)" in technical


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"call": {"channel": None}}, "needs the activity's own `channel`"),
        ({"call": {"channel": "face"}}, "is already face to face"),
        ({"call": {"off_channel": {"becomes": "vist"}}}, "no activity named `vist`"),
        ({"call": {"off_channel": {"becomes": "call"}}}, "cannot become itself"),
        ({"visit": {"who": "friend", "with": "caller"}}, "same people with the same partners"),
        ({"visit": {"channel": "phone"}}, "must be done face to face"),
        (
            {"visit": {"off_channel": {"becomes": "call"}, "channel": "phone"}},
            "has an `off_channel` of its own",
        ),
        ({"call": {"off_channel": {"becomes": "visit", "share": 1.5}}}, "activities.call"),
    ],
)
def test_a_wrong_off_channel_is_a_located_problem(scenario_file, change, message):
    data = town()
    for name, fields in change.items():
        for key, value in fields.items():
            if value is None:
                data["activities"][name].pop(key)
            else:
                data["activities"][name][key] = value
    result = invoke("validate", str(scenario_file(base=data)))
    assert result.exit_code != 0
    assert message in result.output, result.output


def test_validate_notes_a_countermeasure_of_several_keys_unless_it_says_why(scenario_file):
    bundled = {
        "description": "Meet the friends in person and visit them twice as often.",
        "cost": "More visits.",
        "set": {"contacts.ties.0.channel": "face"},
        "scale": {"activities.visit.per_day": 2},
    }
    path = scenario_file(base=merge(town(), {"countermeasures": {"meet": bundled}}))
    result = invoke("validate", str(path))
    assert result.exit_code == 0  # a note, not a problem
    assert (
        f"note: {path}: countermeasure meet changes 2 keys "
        "(contacts.ties.0.channel, activities.visit.per_day)"
    ) in result.output
    said = merge(bundled, {"one_change": "Walking over is how she meets them."})
    path = scenario_file(base=merge(town(), {"countermeasures": {"meet": said}}))
    result = invoke("validate", str(path))
    assert result.exit_code == 0 and "note:" not in result.output


@pytest.mark.parametrize("name", bundled_names())
def test_no_bundled_countermeasure_hides_a_second_change(name):
    result = invoke("validate", name)
    assert result.exit_code == 0 and "note:" not in result.output, result.output
