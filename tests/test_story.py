"""Stories of one run (`exposure trace`): they agree with the engine on every day and cause."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import golden, invoke

from simulator.engine import NOT_EXPOSED, Engine, simulate
from simulator.report.story import render_md, render_text, story_json, why
from simulator.scenario import load
from simulator.streams import Streams, trace_seed
from simulator.teaching.story import INCREMENTS, decay_factor, tell


def test_trace_golden():
    result = invoke("trace", "overnight-guest", "--seed", "7")
    assert result.exit_code == 0, result.stderr
    golden("trace-overnight-guest.txt", result.stdout)


def _check_against_outcome(doc: dict, outcome, mechanisms: list[str]) -> None:
    """Every exposure day and cause the story states is the engine's."""

    def fate(person: int):
        day = int(outcome.exposed_day[person])
        return (
            None
            if day == NOT_EXPOSED
            else {"day": day, "cause": mechanisms[int(outcome.cause[person])]}
        )

    assert doc["exposed"] == fate(doc["persona"]["id"])
    for person in doc["linked"]:
        assert person["exposed"] == fate(person["id"]), person
    told = {
        (day["day"], ev["person_id"], ev["mechanism"])
        for day in doc["days"]
        for ev in day["events"]
        if ev["kind"] == "exposed"
    }
    people = [doc["persona"]["id"], *(p["id"] for p in doc["linked"])]
    expected = {(f["day"], p, f["cause"]) for p in people if (f := fate(p)) is not None}
    assert told == expected
    steps = [
        s for s in doc["chain"] if s["step"] == "exposed" and s["person_id"] == doc["persona"]["id"]
    ]
    if doc["exposed"] is None:
        assert not steps
    else:
        assert [(s["day"], s["cause"]) for s in steps] == [
            (doc["exposed"]["day"], doc["exposed"]["cause"])
        ]
        crossing = [
            s
            for s in doc["chain"]
            if s["step"] == "crossing" and s["person_id"] == doc["persona"]["id"]
        ]
        assert crossing and crossing[-1]["mechanism"] == doc["exposed"]["cause"]


def test_trace_json_matches_the_run():
    result = invoke("trace", "overnight-guest", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) >= {"scenario", "seed", "persona", "days", "exposed", "chain", "linked"}
    assert doc["persona"]["role"] == "trader" and doc["seed"] == 1
    scenario = load("overnight-guest").scenario
    _check_against_outcome(doc, simulate(scenario, 1, 1, record=True), scenario.mechanisms)


@pytest.mark.parametrize(
    "name,seed,role",
    [
        ("border-phone", 1, None),
        ("border-phone", 3, None),
        ("border-phone", 1, "source"),
        ("overnight-guest", 7, None),
        ("overnight-guest", 2, "host"),
        ("overnight-guest", 5, None),
    ],
)
def test_days_and_causes_agree_with_the_engine(name, seed, role):
    scenario = load(name).scenario
    outcome = simulate(scenario, 1, seed, record=True)
    story = tell(scenario, outcome, seed, role)
    _check_against_outcome(json.loads(json.dumps(story_json(story))), outcome, scenario.mechanisms)
    # The suspicion told on the exposure day is the engine's, to the last digit shown.
    exposed = story.exposed
    if exposed is not None:
        (told,) = [
            ev.suspicion
            for day, events in story.days
            if day == exposed[0]
            for ev in events
            if ev.kind == "suspicion"
        ]
        (engine,) = [
            r.amount
            for r in outcome.records
            if r.kind == "exposed" and r.person == story.persona.id
        ]
        assert told == pytest.approx(engine, abs=1e-9)
        assert story.chain.value >= scenario.adversary.threshold - 1e-9


def test_same_seed_same_story_and_another_seed_another():
    one = invoke("trace", "border-phone", "--seed", "3", "--format", "json").stdout
    again = invoke("trace", "border-phone", "--seed", "3", "--format", "json").stdout
    other = invoke("trace", "border-phone", "--seed", "4", "--format", "json").stdout
    assert one == again and one != other


def test_exposure_through_a_seized_phone_goes_back_to_the_phone():
    scenario = load("border-phone").scenario
    outcome = simulate(scenario, 1, 1, record=True)
    story = tell(scenario, outcome, 1, "source")
    assert story.persona.name == "the source" or story.persona.name.startswith("source ")
    assert story.exposed == (8, "cascade")
    assert story.chain.named_by is not None and story.chain.named_by.cause == "df"
    text = " ".join(why(story))
    assert "the seizure of the reporting partner's phone named them" in text
    assert (
        "The reporting partner was exposed on day 7 because the radio direction-finding team"
        in text
    )


def test_a_story_never_exposed_names_its_closest_call():
    scenario = load("overnight-guest").scenario
    for seed in range(1, 30):
        outcome = simulate(scenario, 1, seed, record=True)
        story = tell(scenario, outcome, seed)
        if story.exposed is None and story.chain.day is not None:
            break
    else:
        pytest.skip("no run without exposure but with suspicion in these seeds")
    assert "was not exposed within a year. Suspicion came closest on day" in why(story)[0]
    assert story_json(story)["exposed"] is None


def test_bribes_registrations_and_finds_are_told(scenario_file):
    path = scenario_file(
        {
            "days": 40,
            "population": {"roles": {"guest": 1, "host": 1}},
            "contacts": {"ties": [{"from": "guest", "to": "host"}]},
            "states": {"guest_here": {"label": "a guest in the home"}},
            "activities": {
                "stay": {
                    "who": "guest",
                    "with": "host",
                    "at": "partner",
                    "per_day": 0.5,
                    "nights": 1,
                    "registers": 0.3,
                    "offers_bribe": True,
                    "traces": ["presence"],
                    "state": "guest_here",
                    "label": "stays the night",
                }
            },
            "observers": {
                "leader": {
                    "kind": "leader",
                    "label": "the leader",
                    "notice": {"presence": 1.0},
                    "reports": 1.0,
                    "weight": 0.2,
                    "bribe": {"price": 50, "accepts": 0.5},
                }
            },
            "checks": {
                "night": {
                    "label": "night check",
                    "every": 5,
                    "finds": {"guest_here": 1.0},
                    "weight": 0.3,
                }
            },
            "adversary": {"threshold": 3, "weights": {"registration": 0.1}},
        }
    )
    scenario = load(str(path)).scenario
    outcome = simulate(scenario, 1, 2, record=True)
    story = tell(scenario, outcome, 2)
    kinds = {ev.kind for _day, events in story.days for ev in events}
    assert {"activity", "report", "bribe", "registration", "find", "suspicion"} <= kinds
    text = render_text(story)
    assert "takes a bribe of 50 RMB and stays silent" in text
    assert "The registration goes into a police file" in text
    assert "A night check at the home of the host finds a guest in the home — the guest" in text
    # Suspicion added in the story sums to the engine's at every step.
    doc = story_json(story)
    _check_against_outcome(doc, outcome, scenario.mechanisms)


def test_markdown_escapes_and_has_sections():
    scenario = load("border-phone").scenario
    story = tell(scenario, simulate(scenario, 1, 3, record=True), 3)
    md = render_md(story)
    assert md.startswith("# The phone by the border: one run told for the reporting partner")
    assert "## Day 276" in md and "## Why" in md


def test_trace_formats_and_output_file(tmp_path):
    target = tmp_path / "story.md"
    result = invoke("trace", "border-phone", "--format", "md", "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text().startswith("# The phone by the border")
    again = invoke("trace", "border-phone", "--output", str(target))
    assert again.exit_code == 2 and "already exists; add --force" in again.stderr
    assert again.stderr.count("\n") == 1
    forced = invoke("trace", "border-phone", "--output", str(target), "--force")
    assert forced.exit_code == 0 and target.read_text().startswith("The phone by the border")


@pytest.mark.parametrize(
    "args,expected",
    [
        (["trace", "overnight-guest", "--person", "nobody"], "--person: no role named `nobody`"),
        (["trace", "overnight-guest", "--person", "tradr"], "did you mean `trader`?"),
        (["trace", "nowhere"], "nowhere: no bundled scenario or file by this name"),
        (["trace", "overnight-guest", "--format", "html"], "--format"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, expected):
    result = invoke(*args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""


def test_unwritable_output_leaves_no_file(tmp_path):
    result = invoke("trace", "border-phone", "--output", str(tmp_path / "missing" / "story.txt"))
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_timing_link_is_told_and_its_reports_add_up(scenario_file):
    """Under sealed sender the story says when the operator links the hidden sender by timing,
    and the reports that link makes count in the suspicion it tells, as in the engine."""
    path = scenario_file(
        {
            "days": 20,
            "population": {"households_per_unit": 4, "roles": {"admin": 1, "member": 2}},
            "contacts": {"ties": [{"from": "admin", "to": "member", "channel": "chat"}]},
            "channels": {
                "chat": {"kind": "end_to_end_sealed", "timing_link": 0.3, "label": "the chat"}
            },
            "groups": {"circle": {"channel": "chat", "admins": ["admin"], "members": ["member"]}},
            "activities": {
                "post": {"who": "admin", "with": "circle", "per_day": 0.5},
                "write": {"who": "admin", "with": "member", "channel": "chat", "per_day": 0.5},
            },
            "observers": {
                "operator": {
                    "kind": "operator",
                    "label": "the operator",
                    "channels": ["chat"],
                    "notice": {"metadata": 0.6},
                }
            },
            "adversary": {"threshold": 3},
        }
    )
    scenario = load(str(path)).scenario
    outcome = simulate(scenario, 1, 3, record=True)
    story = tell(scenario, outcome, 3, "admin")
    doc = story_json(story)
    linked = [ev for day in doc["days"] for ev in day["events"] if ev["kind"] == "linked"]
    assert [(ev["person"], ev["messages"]) for ev in linked] == [("the admin", 3)]
    text = render_text(story)
    assert (
        "The operator cannot see who sends on the chat, but the timing of the 3 messages it has "
        "seen from one hidden sender gives the sender away: the admin." in " ".join(text.split())
    )
    # The link is told before the report it makes possible, which names both ends at once.
    events = next(
        d["events"] for d in doc["days"] if any(e["kind"] == "linked" for e in d["events"])
    )
    kinds = [e["kind"] for e in events]
    after = events[kinds.index("linked") + 1]
    assert after["kind"] == "report" and "the admin" in after["subjects"]
    _check_against_outcome(doc, outcome, scenario.mechanisms)


def _story_with(name: str, role: str, route: str, seeds: range):
    """The first story among seeds whose persona's arrest names someone by `route`."""
    scenario = load(name).scenario
    for seed in seeds:
        story = tell(scenario, simulate(scenario, 1, seed, record=True), seed, role)
        ways = [ev for ev in story.aftermath if ev.kind == "reveal"]
        if any(route in ev.detail.split("+") for ev in ways):
            return story
    raise AssertionError(f"no seed in {seeds} names anyone by {route} in {name}")


def test_a_story_says_who_was_named_under_interrogation_and_who_in_a_kept_message():
    story = _story_with("border-phone", "reporting_partner", "interrogation", range(1, 40))
    text = render_text(story)
    assert "Under interrogation, the reporting partner names source" in text
    # The sources named so are told as named by her in custody, not by her phone alone.
    assert "under interrogation" in " ".join(why(story))
    cascades = [ev for _day, evs in story.days for ev in evs if ev.kind == "cascade"]
    assert any("interrogation" in ev.detail for ev in cascades)
    story = _story_with("group-chat", "organiser", "content", range(1, 40))
    assert "A message kept on the organiser's end-to-end encrypted messenger names" in render_text(
        story
    )


def _money_town(scenario_file, days=120):
    """Guests stay with hosts (offering a bribe or not); the leader takes money, refuses it,
    extorts, passes held reports on and sends night checks after her reports."""
    return scenario_file(
        {
            "days": days,
            "population": {"units": 4, "households_per_unit": 25, "roles": {"guest": 6, "host": 6}},
            "contacts": {"ties": [{"from": "guest", "to": "host"}]},
            "states": {"guest_here": {"label": "a guest in the home"}},
            "activities": {
                "stay": {
                    "who": "guest",
                    "with": "host",
                    "at": "partner",
                    "per_day": 0.15,
                    "nights": 2,
                    "offers_bribe": True,
                    "traces": ["presence"],
                    "state": "guest_here",
                    "label": "stays the night and pays",
                },
                "visit": {
                    "who": "guest",
                    "with": "host",
                    "at": "partner",
                    "per_day": 0.15,
                    "nights": 2,
                    "traces": ["presence"],
                    "state": "guest_here",
                    "label": "stays the night",
                },
            },
            "observers": {
                "leader": {
                    "kind": "leader",
                    "label": "the leader",
                    "notice": {"presence": 0.8},
                    "reports": 0.8,
                    "weight": 0.3,
                    "bribe": {
                        "price": 50,
                        "accepts": 0.4,
                        "reports_offer": 0.5,
                        "extorts": 0.6,
                        "demand": 80,
                        "passes_on": 0.05,
                    },
                    "tips": {"night": {"chance": 0.5, "within": 2}},
                }
            },
            "checks": {
                "night": {
                    "label": "night check",
                    "per_week": 0.1,
                    "finds": {"guest_here": 0.9},
                    "weight": 0.4,
                }
            },
            "adversary": {"threshold": 2, "decay": {"half_life": 30}},
        }
    )


def test_money_and_tips_are_told(scenario_file):
    scenario = load(str(_money_town(scenario_file))).scenario
    told: dict[str, str] = {}
    for seed in range(1, 40):
        outcome = simulate(scenario, 1, seed, record=True)
        for role in ("guest", "host"):
            story = tell(scenario, outcome, seed, role)
            _check_against_outcome(story_json(story), outcome, scenario.mechanisms)
            text = render_text(story)
            for kind in ("offer", "extorted", "passed_on", "search"):
                if any(ev.kind == kind for _d, events in story.days for ev in events):
                    told.setdefault(kind, text)
        if len(told) == 4:
            break
    assert set(told) == {"offer", "extorted", "passed_on", "search"}
    flat = {kind: " ".join(text.split()) for kind, text in told.items()}
    assert (
        "The leader refuses a bribe of 50 RMB and reports the offer as well: +0.30"
        in (flat["offer"])
    )
    assert (
        "The leader would report it, but demands 80 RMB to keep quiet; it is paid, and"
        in (flat["extorted"])
    )
    assert "The leader passes on the report held since day" in flat["passed_on"]
    assert "The leader's report of day" in flat["search"]
    assert "sends a night check to the home" in flat["search"]


def test_every_recorded_increment_adds_up_to_the_engine_suspicion(scenario_file):
    """Reports, refused offers, held reports passed on and finds of tipped searches: the records
    hold every increment, so the suspicion they add up to is the engine's, for everyone."""
    scenario = load(str(_money_town(scenario_file, days=90))).scenario
    for seed in (1, 2, 3):
        engine = Engine(scenario, 3, Streams(trace_seed(seed)), record=True)
        outcome = engine.run()
        factor = decay_factor(scenario)
        value = np.zeros(engine.n)
        last = np.zeros(engine.n, dtype=int)
        for rec in outcome.records:
            if rec.kind in INCREMENTS:
                p = rec.person
                value[p] = value[p] * factor ** (rec.day - last[p]) + rec.amount
                last[p] = rec.day
        value *= factor ** (scenario.days - last)
        assert np.allclose(value, engine.suspicion, atol=1e-9)
        kinds = {rec.kind for rec in outcome.records}
        assert {"offer", "extorted", "passed_on", "search"} <= kinds, kinds


def test_a_held_report_is_passed_on_by_the_next_report_of_its_people(scenario_file):
    scenario = load(str(_money_town(scenario_file))).scenario
    checked = 0
    for seed in (1, 2, 3, 4):
        records = simulate(scenario, 4, seed, record=True).records
        reports: dict[int, list[int]] = {}
        passed: dict[tuple[int, int], list[int]] = {}
        exposed = {rec.person: rec.day for rec in records if rec.kind == "exposed"}
        for rec in records:
            if rec.kind == "report":
                reports.setdefault(rec.person, []).append(rec.day)
            elif rec.kind == "passed_on":
                passed.setdefault((rec.since, rec.person), []).append(rec.day)
        for rec in records:
            if rec.kind != "extorted":
                continue
            named = [p for p in (rec.person, rec.other) if p >= 0]
            later = [
                d for p in named for d in reports.get(p, []) if rec.day < d < exposed.get(p, 10**6)
            ]
            when = [day for p in named for day in passed.get((rec.day, p), [])]
            assert all(day > rec.day for day in when)
            if later:
                # Passed on by the first later report, if not by chance before it.
                assert when and min(when) <= min(later)
                checked += 1
    assert checked > 0
