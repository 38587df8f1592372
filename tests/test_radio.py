"""Radio direction-finding beyond the call's length: a phone left on, a call on the move, what a
listened-to call gives away, and the street check on the way to call.

Each mechanism has an exact special case, checked against its formula with the tolerance of
tests/test_exact_cases.py (4.5 standard errors of the estimate, fixed seeds). The rest checks that
the keys are refused where they would do nothing, and that `show` and a story say what happened.
"""

from __future__ import annotations

import math

import pytest
from conftest import FAST, invoke
from test_exact_cases import _assert_curve, _curve

from simulator.analysis.results import aggregate
from simulator.engine import simulate
from simulator.errors import ScenarioError
from simulator.report.describe import describe
from simulator.report.story import event_text, render_text
from simulator.runner import simulate_runs
from simulator.scenario import load
from simulator.teaching.story import tell, trace

RADIO = {"smuggled": {"kind": "plaintext", "radio": True, "operator_logs": False}}


def _town(scenario_file, changes, people=20_000, days=60):
    return scenario_file(
        {
            "days": days,
            "population": {"units": people // 100, "households_per_unit": 100},
            "channels": RADIO,
            **changes,
        }
    )


# ------------------------------------------------------------------ the idle signal
def test_a_phone_left_on_is_located_at_its_daily_chance(scenario_file):
    """Kept on every day with chance a, located with `notice.idle` i, reported with r:
    1 − (1 − a·i·r)^t. Coverage multiplies calls, not the idle signal."""
    a, i, r = 0.5, 0.04, 0.5
    path = _town(
        scenario_file,
        {
            "activities": {"keep": {"who": "everyone", "per_day": a, "switched_on": "smuggled"}},
            "observers": {
                "df": {
                    "kind": "direction_finding",
                    "fix_minutes": 2,
                    "coverage": 0.3,
                    "notice": {"idle": i},
                    "reports": r,
                }
            },
        },
    )
    group, _, _ = _curve(path, runs=1)
    _assert_curve(group.curve, lambda t: 1 - (1 - a * i * r) ** t, group.people, [5, 20, 60])


def test_switching_the_phone_off_removes_the_idle_signal(scenario_file):
    """`switched_on: null`, as the battery-out habit sets it, leaves no idle trace."""
    path = _town(
        scenario_file,
        {
            "activities": {"keep": {"who": "everyone", "per_day": 1.0, "switched_on": "smuggled"}},
            "observers": {
                "df": {"kind": "direction_finding", "fix_minutes": 2, "notice": {"idle": 0.5}}
            },
        },
        people=2_000,
        days=20,
    )
    on = load(str(path)).scenario
    off = load(str(path), overrides=["activities.keep.switched_on=null"]).scenario
    assert off.activities["keep"].switched_on is None
    assert (simulate(on, 1, 2).exposed_day >= 0).mean() > 0.9
    assert (simulate(off, 1, 2).exposed_day >= 0).sum() == 0


def test_the_idle_signal_follows_the_campaign(scenario_file):
    """A campaign multiplies the idle chance like any notice: days 11-20 at twice the chance."""
    i = 0.02
    path = _town(
        scenario_file,
        {
            "activities": {"keep": {"who": "everyone", "per_day": 1.0, "switched_on": "smuggled"}},
            "observers": {
                "df": {"kind": "direction_finding", "fix_minutes": 2, "notice": {"idle": i}}
            },
            "campaigns": {"sweep": {"start": 11, "end": 20, "multiply": {"df": 2}}},
        },
        days=30,
    )
    group, _, _ = _curve(path, runs=1)

    def formula(t: int) -> float:
        doubled = max(0, min(t, 20) - 10)
        return 1 - (1 - i) ** (t - doubled) * (1 - 2 * i) ** doubled

    _assert_curve(group.curve, formula, group.people, [10, 15, 20, 30])


# ------------------------------------------------------------------ a call on the move
@pytest.mark.parametrize("moves_every", [None, 2.0, 12.0])
def test_a_call_on_the_move_is_located_as_one_stay(scenario_file, moves_every):
    """A call of m minutes changing place every M minutes: located with chance
    c·(1 − e^(−min(m, M)/τ)); moving slower than the call lasts changes nothing."""
    a, m, tau, c = 0.2, 8.0, 4.0, 0.5
    call = {"who": "everyone", "per_day": a, "channel": "smuggled", "minutes": m}
    if moves_every is not None:
        call["moves_every"] = moves_every
    path = _town(
        scenario_file,
        {
            "activities": {"call": call},
            "observers": {"df": {"kind": "direction_finding", "fix_minutes": tau, "coverage": c}},
        },
    )
    group, _, _ = _curve(path, runs=1)
    heard = min(m, moves_every) if moves_every is not None else m
    q = a * c * (1 - math.exp(-heard / tau))
    _assert_curve(group.curve, lambda t: 1 - (1 - q) ** t, group.people, [2, 5, 15])


# ------------------------------------------------------------------ what a call gives away
def test_a_voice_on_a_listened_to_call_names_the_caller(scenario_file):
    """Listened to with chance c, recognised with v, and never located: 1 − (1 − a·c·v)^t."""
    a, c, v = 0.3, 0.4, 0.25
    path = _town(
        scenario_file,
        {
            "activities": {"call": {"who": "everyone", "per_day": a, "channel": "smuggled"}},
            "observers": {
                "df": {
                    "kind": "direction_finding",
                    "notice": {"radio": 1.0},
                    "coverage": c,
                    "reports": 0.0,
                    "overhears": {"voice": v},
                }
            },
        },
    )
    group, _, _ = _curve(path, runs=1)
    _assert_curve(group.curve, lambda t: 1 - (1 - a * c * v) ** t, group.people, [2, 10, 40])


@pytest.mark.parametrize("chance", [0.6, 0.06])
def test_a_name_spoken_on_a_call_names_one_of_the_callers_links(scenario_file, chance):
    """One caller with L sources calls with chance a; a call is listened to with c, names one of
    her sources (picked at random) with s, and the name is traced with n. Each source:
    1 − (1 − a·c·s·n/L)^t; the caller herself is never identified."""
    a, c, n, sources = 0.5, 0.5, 0.8, 4
    runs = 1000 if FAST else 3000
    path = scenario_file(
        {
            "days": 30,
            "population": {
                "units": 1,
                "households_per_unit": sources + 1,
                "roles": {"caller": 1, "source": sources},
            },
            "contacts": {"ties": [{"from": "caller", "to": "source", "channel": "phone"}]},
            "channels": {**RADIO, "phone": {"kind": "plaintext"}},
            "activities": {
                "call": {
                    "who": "caller",
                    "per_day": a,
                    "channel": "smuggled",
                    "names": {"of": "source", "chance": chance},
                }
            },
            "observers": {
                "df": {
                    "kind": "direction_finding",
                    "notice": {"radio": 0.0},
                    "coverage": c,
                    "overhears": {"names": n},
                }
            },
            "adversary": {"unlock": 0.0},
        }
    )
    loaded = load(str(path))
    results = aggregate(simulate_runs(loaded.scenario, runs, 3), loaded.scenario)
    assert results.roles["caller"].curve[-1] == 0.0
    source = results.roles["source"]
    q = a * c * chance * n / sources
    _assert_curve(source.curve, lambda t: 1 - (1 - q) ** t, source.people, [3, 10, 30])


def _caller_and_sources(chance: float, n: float) -> dict:
    return {
        "days": 60,
        "population": {"units": 1, "households_per_unit": 5, "roles": {"caller": 1, "source": 4}},
        "contacts": {"ties": [{"from": "caller", "to": "source", "channel": "phone"}]},
        "channels": {**RADIO, "phone": {"kind": "plaintext"}},
        "activities": {
            "call": {
                "who": "caller",
                "per_day": 1.0,
                "channel": "smuggled",
                "names": {"of": "source", "chance": chance},
            }
        },
        "observers": {
            "df": {
                "kind": "direction_finding",
                "notice": {"radio": 0.0},
                "overhears": {"names": n},
            }
        },
        "adversary": {"unlock": 0.0},
    }


def test_code_words_name_a_subset_of_the_same_sources(scenario_file):
    """Fewer names spoken pick a subset of the same calls (common random numbers)."""
    path = scenario_file(_caller_and_sources(0.5, 0.2))
    loose = load(str(path)).scenario
    careful = load(str(path), overrides=["activities.call.names.chance=0.05"]).scenario
    exposed = [simulate(s, 200, 5).exposed_day >= 0 for s in (loose, careful)]
    assert exposed[1].sum() < exposed[0].sum()
    assert not (exposed[1] & ~exposed[0]).any(), "a careful caller's source is a loose one's too"


# ------------------------------------------------------------------ the street check
@pytest.mark.parametrize("in_the_street", [False, True])
def test_a_phone_carried_to_a_call_is_found_only_on_the_way(scenario_file, in_the_street):
    """A call (chance a a day) sets a one-day state; a street check that stops a caller with
    chance k (a rate on the holders, or every day on the day's travellers, as border-phone has
    it) finds it with f and concealment h: 1 − (1 − a·k·f·(1 − h))^t."""
    a, k, f, h = 0.4, 0.25, 0.8, 0.5
    call = {
        "who": "everyone",
        "per_day": a,
        "channel": "smuggled",
        "state": "carried",
        "state_days": 1,
    }
    check: dict = {"per_day": k, "finds": {"carried": f}}
    if in_the_street:
        call["traces"] = ["travel"]
        check = {"scope": "travellers", "every": 1, "coverage": k, "finds": {"carried": f}}
    path = _town(
        scenario_file,
        {
            "states": {"carried": {"concealment": h}, "at_home": {}},
            "activities": {
                "keep": {"who": "everyone", "per_day": 1.0, "state": "at_home"},
                "call": call,
            },
            "checks": {"street": check},
        },
    )
    group, _, _ = _curve(path, runs=1)
    q = a * k * f * (1 - h)
    _assert_curve(group.curve, lambda t: 1 - (1 - q) ** t, group.people, [2, 10, 40])


# ------------------------------------------------------------------ keys that would do nothing
@pytest.mark.parametrize(
    "activity,message",
    [
        (
            {"who": "everyone", "per_day": 1, "switched_on": "sms"},
            "a phone left switched on leaks a signal only on a channel with `radio: true` "
            "(got sms)",
        ),
        (
            {"who": "everyone", "per_day": 1, "switched_on": "smugled"},
            "no channel named `smugled` (did you mean `smuggled`?)",
        ),
        (
            {"who": "everyone", "per_day": 1, "channel": "sms", "moves_every": 2},
            "`moves_every` is about a call direction-finding can hear: the activity needs a "
            "channel with `radio: true` (got sms)",
        ),
        (
            {"who": "everyone", "per_day": 1, "names": {"of": "resident", "chance": 0.1}},
            "`names` is about a call direction-finding can hear: the activity needs a channel "
            "with `radio: true` (got no channel)",
        ),
        (
            {
                "who": "everyone",
                "per_day": 1,
                "channel": "smuggled",
                "names": {"of": "sorce", "chance": 0.1},
            },
            "no role named `sorce`",
        ),
    ],
)
def test_radio_keys_need_a_radio_channel(scenario_file, activity, message):
    path = scenario_file(
        {
            "channels": {**RADIO, "sms": {"kind": "plaintext"}},
            "activities": {"act": activity},
            "observers": {"df": {"kind": "direction_finding", "fix_minutes": 2}},
        }
    )
    with pytest.raises(ScenarioError) as err:
        load(str(path))
    assert any(message in p.message for p in err.value.problems), err.value.problems


def test_only_direction_finding_overhears(scenario_file):
    path = scenario_file(
        {"observers": {"police": {"kind": "general", "overhears": {"voice": 0.1}}}}
    )
    with pytest.raises(ScenarioError) as err:
        load(str(path))
    assert "only direction-finding listens to calls" in str(err.value.problems[0].message)


# ------------------------------------------------------------------ what people read
def test_show_says_what_the_radio_hears():
    text = describe(load("border-phone").scenario)
    assert "locates a phone left switched on between calls on 1% of days" in text
    assert "recognises the caller's voice 0.2% of the time" in text
    assert "traces a name spoken on it to the person named 5% of the time" in text
    assert "naming a source in 20% of calls" in text
    assert "smuggled Chinese phone left switched on" in text
    assert "street phone inspection" in text


def test_show_says_a_call_on_the_move(scenario_file):
    path = _town(
        scenario_file,
        {
            "activities": {
                "call": {
                    "who": "everyone",
                    "per_day": 0.1,
                    "channel": "smuggled",
                    "minutes": 5,
                    "moves_every": 2,
                }
            },
            "observers": {"df": {"kind": "direction_finding", "fix_minutes": 2}},
        },
        people=100,
    )
    assert "changing place every 2 minutes during a call" in describe(load(str(path)).scenario)


def test_a_story_tells_a_voice_and_a_name_from_a_listened_to_call(scenario_file):
    path = scenario_file(
        {
            "days": 10,
            "population": {
                "units": 1,
                "households_per_unit": 3,
                "roles": {"caller": 1, "source": 2},
            },
            "contacts": {"ties": [{"from": "caller", "to": "source", "channel": "phone"}]},
            "channels": {**RADIO, "phone": {"kind": "plaintext"}},
            "activities": {
                "call": {
                    "label": "calls abroad",
                    "who": "caller",
                    "per_day": 1.0,
                    "channel": "smuggled",
                    "names": {"of": "source", "chance": 1.0},
                }
            },
            "observers": {
                "df": {
                    "kind": "direction_finding",
                    "label": "the radio team",
                    "notice": {"radio": 0.0},
                    "overhears": {"voice": 0.3, "names": 1.0},
                }
            },
            "adversary": {"unlock": 0.0, "threshold": 5},
        }
    )
    scenario = load(str(path)).scenario
    story = tell(scenario, simulate(scenario, 1, 4, record=True), 4, "caller")
    text = render_text(story)
    assert "The caller calls abroad." in text
    assert "The radio team listens to the call and traces a name spoken on it to source" in text
    kinds = {ev.kind for _day, events in story.days for ev in events}
    assert "named" in kinds
    voiced = [ev for _day, events in story.days for ev in events if ev.kind == "voice"]
    assert voiced, "a voice is recognised on some of ten calls at 0.3"
    assert event_text(story, voiced[0]) == (
        "The radio team listens to the call, and someone who knows the caller's voice recognises "
        "it on the recording: +1.00 for the caller."
    )
    assert "from their voice, recognised on a call the radio team listened to on day" in " ".join(
        text.split()
    )


def test_border_phone_exercises_every_radio_mechanism():
    scenario = load("border-phone").scenario
    df = scenario.observers["df"]
    assert df.notice.get("idle", 0) > 0 and df.overhears is not None
    assert df.overhears.voice > 0 and df.overhears.names > 0
    assert scenario.activities["keep_phone"].switched_on == "cn_phone"
    assert scenario.activities["call_abroad"].names is not None
    assert "street_check" in scenario.checks
    for name in ("phone_off_between_calls", "keep_moving", "code_words"):
        result = invoke("run", "border-phone", "--runs", "2", "--countermeasure", name)
        assert result.exit_code == 0, result.output


def test_border_phone_tells_a_street_check_on_the_way_to_call():
    """Seed 6 of border-phone: a street team stops her with the phone (the pin of this run)."""
    story = trace(load("border-phone").scenario, 6)
    finds = [
        event_text(story, ev)
        for _day, events in story.days
        for ev in events
        if ev.kind == "find" and ev.mechanism == "street_check"
    ]
    assert finds == [
        "A street phone inspection stops the reporting partner and finds the Chinese phone in her "
        "pocket on the way to call: +1.00 for the reporting partner."
    ]
