"""The tabletop for a room: teams, each one person, in one shared town."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator.engine import Engine, Personal
from simulator.errors import ScenarioError, UsageError
from simulator.scenario import check_exercise, choice_scenarios, load
from simulator.streams import Streams, batch_seed
from simulator.teaching.exercise import _Run, read_saved
from simulator.teaching.teams import (
    Room,
    _RoomRun,
    nth_of_role,
    personal_changes,
    personal_choices,
    team_specs,
)

BORDER = "border-phone"


@pytest.fixture(scope="module")
def border():
    return load(BORDER)


def test_a_team_alone_in_its_role_plays_exactly_the_variant(border):
    """The reporting partner is the only person of her role: a team playing her with a choice that
    changes only her own conduct gives the very runs the scenario under that choice gives, person
    for person (the same counter-based numbers decide)."""
    room = Room(border, 1, 1, runs=2)
    variants = {(k,): v for k, v in enumerate(choice_scenarios(border))}
    lock = border.scenario.exercise.choices.index(
        next(c for c in border.scenario.exercise.choices if c.countermeasure == "locked_phone")
    )
    for k in range(len(variants)):
        mine = _RoomRun(room, 60, batch_seed(7, 0), record=False)
        mine.advance(((k,),), border.scenario.days)
        whole = _Run(variants, 60, batch_seed(7, 0), record=False)
        whole.advance((k,), border.scenario.days)
        # Locking "both phones" is the one choice that may differ: for the team it locks her phone
        # alone, while the scenario's variant locks every seized phone in town.
        if k != lock:
            assert np.array_equal(mine.outcome().exposed_day, whole.outcome().exposed_day), k


def test_personal_rules_reach_only_their_people(border):
    """A group's unlock chance and find chances apply to its people, the town's to everyone else."""
    s = border.scenario
    locked = choice_scenarios(border)[4]
    assert locked.adversary.unlock != s.adversary.unlock
    engine = Engine(s, 3, Streams(batch_seed(1, 0)))
    people = nth_of_role(s, engine.pop, "source", 1)
    engine = Engine(s, 3, Streams(batch_seed(1, 0)), personal=[Personal(np.sort(people), locked)])
    others = np.setdiff1d(np.arange(engine.n), people)[:50]
    assert np.all(engine.unlock_chance(people) == locked.adversary.unlock)
    assert np.all(engine.unlock_chance(others) == s.adversary.unlock)
    # Her activities are planned apart from her role's (sources do none here, the partner's keep
    # her out of nobody): every plan of the town leaves her out.
    for plan in engine.activities[: len(s.activities)]:
        assert not np.isin(plan.actors, people).any()


def test_nth_of_role_picks_the_nth_person_in_every_replica(border):
    s = border.scenario
    pop = Engine(s, 4, Streams(batch_seed(3, 0))).pop
    k = s.role_names.index("source")
    for number in (1, 2):
        found = nth_of_role(s, pop, "source", number)
        for r in range(4):
            own = np.flatnonzero((pop.role == k) & (pop.replica == r))
            assert found[r] == own[number - 1]
    assert (nth_of_role(s, pop, "source", 99) == -1).all()


def test_choices_that_change_the_town_are_not_a_persons(border):
    """Only one person's own conduct may differ: a watcher or a town rule may not."""
    s = border.scenario
    assert personal_choices(border, "reporting_partner") == list(range(len(s.exercise.choices)))
    watched = s.model_copy(
        update={
            "observers": {
                **s.observers,
                "leader": s.observers["leader"].model_copy(update={"reports": 0.5}),
            }
        }
    )
    assert personal_changes(s, watched, "reporting_partner") == ["observers.leader.reports"]
    # The partner's calls are hers, not a source's.
    short = choice_scenarios(border)[1]
    assert personal_changes(s, short, "reporting_partner") == []
    assert personal_changes(s, short, "source") == ["activities.call_abroad.minutes"]


def _with_teams(tmp_path, teams: str):
    """border-phone with other `teams`, as a file."""
    raw = Path(f"scenarios/{BORDER}.yaml").read_text(encoding="utf-8")
    head, _sep, _tail = raw.partition("  # `exposure exercise border-phone --teams 3`")
    path = tmp_path / "teams.yaml"
    path.write_text(head + "  teams:\n" + teams, encoding="utf-8")
    return str(path)


def test_validate_refuses_bad_teams(tmp_path):
    path = _with_teams(
        tmp_path,
        "    - {name: a, persona: 'source:9', label: a source}\n"
        "    - {name: a, persona: nobody, label: someone}\n"
        "    - {name: c, persona: 'source:1', label: c, choices: [carry_on, no_such]}\n",
    )
    with pytest.raises(ScenarioError) as err:
        load(path)
    text = "\n".join(str(p) for p in err.value.problems)
    assert "has 4 people, so there is no person 9" in text
    assert "two teams are named `a`" in text
    assert "no role named `nobody`" in text
    assert "no exercise choice named `no_such`" in text


def test_validate_refuses_a_team_choice_that_changes_the_town(tmp_path):
    # The sources do not make the partner's calls: "Keep calls short" is not a source's habit.
    path = _with_teams(
        tmp_path,
        "    - {name: b, persona: 'source:1', label: a source, choices: [carry_on, short_calls]}\n",
    )
    problems = check_exercise(load(path))
    assert any("activities.call_abroad.minutes" in str(p) for p in problems), problems


def test_default_teams_are_people_of_the_persona_role():
    with pytest.raises(UsageError, match="only one person"):
        team_specs(load("tehran-protest"), 2)
    loaded = load("tehran-protest", overrides=["population.roles.protester.count=3"])
    teams = team_specs(loaded, 2)
    assert [t.number for t in teams] == [1, 2]
    assert {t.role for t in teams} == {"protester"}
    # Every option on the menu changes one person's conduct alone.
    for k in teams[0].options:
        assert not personal_changes(loaded.scenario, choice_scenarios(loaded)[k], "protester")
    with pytest.raises(UsageError, match="teams"):
        team_specs(load(BORDER), 4)


def _play(args: list[str], answers: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", "exercise", *args],
        input=answers,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_three_teams_play_through_and_one_teams_arrest_reaches_another(tmp_path):
    """`exercise border-phone --teams 3` from scripted stdin: every team chooses every turn, and
    in the default seed the partner's and the sources' arrests pass between them."""
    save = tmp_path / "room.json"
    done = _play([BORDER, "--teams", "3", "--runs", "20", "--save", str(save)], "1\n" * 15)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    flat = " ".join(out.split())
    assert out.count("Team 2 (the first source), your choice (1-3):") == 5
    assert "Between the teams" in out
    assert "number was on the first source's seized phone" in flat
    assert "What each team's habits did, over 20 runs" in out
    assert "Only 20 runs: a share near one half is known only to within about ±22 points" in flat
    saved = json.loads(save.read_text())
    assert saved["teams"] == ["partner", "source_1", "source_2"]
    assert saved["choices"] == [[1, 1, 1]] * 5
    assert read_saved(str(save)).team_choices[0] == [(0,), (0,), (0,)]


def test_a_room_game_resumes_where_it_was_saved(tmp_path):
    save = tmp_path / "room.json"
    first = _play([BORDER, "--teams", "3", "--runs", "4", "--save", str(save)], "1\n2 3\n3\n")
    assert first.returncode == 0, first.stderr
    assert json.loads(save.read_text())["choices"] == [[1, [2, 3], 3]]
    resumed = _play(["--resume", str(save), "--runs", "4"], "")
    assert resumed.returncode == 0, resumed.stderr
    assert "Resumed after turn 1." in resumed.stdout
    assert "Only face to face with her + Lock your own phone" in resumed.stdout
    wrong = _play(["--resume", str(save), "--teams", "2"], "")
    assert wrong.returncode == 2
    assert "played by 3 teams" in wrong.stderr


def test_room_view_hides_what_the_facilitator_sees():
    both = _play([BORDER, "--teams", "2", "--room", "--facilitator"], "")
    assert both.returncode == 2 and "--room and --facilitator" in both.stderr
    room = _play([BORDER, "--teams", "2", "--runs", "4", "--room"], "1\n1\n")
    assert room.returncode == 0, room.stderr
    assert "For the facilitator" not in room.stdout
    assert max(len(line) for line in room.stdout.splitlines()) <= 60


def test_a_link_moved_face_to_face_keeps_its_call_log(border):
    """Calls already made stay in the operator's log when a source moves her link face to face:
    if the partner is taken later, the log still links them (with the log's chance), though her
    phone no longer holds the source and her words are her words."""
    room = Room(border, 1, 3, runs=2)
    run = _RoomRun(room, 40, batch_seed(11, 0), record=False)
    carry = tuple(t.option_of((0,)) for t in room.teams)
    run.advance(carry, 200)
    moved = (carry[0], room.teams[1].option_of((1,)), carry[2])
    run.advance(moved, 201)
    engine = run.engine
    s = border.scenario
    home = list(s.channels).index("home_phone")
    partners, sources = run.personas[0], run.personas[1]
    logged = []
    for partner, source in zip(partners, sources):
        start, end = engine.pop.indptr[partner], engine.pop.indptr[partner + 1]
        edge = start + int(np.flatnonzero(engine.pop.indices[start:end] == source)[0])
        assert engine.pop.edge_channel[edge] == list(s.channels).index("in_person")
        if engine.logged_on[edge] == home:
            logged.append(partner)
    assert logged, "no partner had rung her source in 200 days"
    people = np.array(logged, dtype=np.int64)
    links = engine.link_reveals(people, 202, np.zeros(people.size, dtype=bool))
    to_source = np.isin(engine.pop.indices[links.edges], sources)
    assert np.allclose(links.metadata[to_source], s.channels["home_phone"].reveal.metadata)
    assert np.allclose(links.device[to_source], 0.0)


def test_couplings_read_from_the_records(border):
    """What passed between two personas, read from a run's records: each way a seizure named
    the other, a report naming both counted once from whoever did the activity, and nothing
    about a person already taken."""
    from simulator.engine import Outcome
    from simulator.records import Record
    from simulator.teaching.teams import couplings

    s = border.scenario
    pop = Engine(s, 1, Streams(batch_seed(1, 0))).pop
    partner, source = 0, 1
    exposed = np.full(pop.size, -1, dtype=np.int32)
    exposed[partner] = 50
    records = [
        # the leader reports the partner's visit: one record for each person it names
        Record(10, "report", "leader", partner, -1, "meet_source", 0.5),
        Record(10, "report", "leader", source, partner, "meet_source", 0.5),
        Record(50, "reveal", "home_phone", partner, source, "device+interrogation"),
        # a name heard on her call the day the partner is taken may be what took her: told
        Record(50, "named", "df", partner, source, "call_abroad"),
        # the source's own phone names the partner after the partner was taken: nothing to tell
        Record(60, "reveal", "home_phone", source, partner, "device"),
    ]
    out = Outcome(pop, exposed, np.zeros(pop.size, dtype=np.int16), records)
    found = couplings(s, out, [partner, source], ["reporting_partner", "source"])
    assert [(c.day, c.kind, c.source, c.target) for c in found] == [
        (10, "report", 0, 1),
        (50, "device", 0, 1),
        (50, "interrogation", 0, 1),
        (50, "named", 1, 0),
    ]
