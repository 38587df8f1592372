"""The tabletop exercise: exact runs with changing rules, scripted play, saving and resuming."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import prose

from simulator.cli import cli
from simulator.engine import simulate
from simulator.errors import ScenarioError, UsageError
from simulator.scenario import (
    bundled_names,
    check_exercise,
    choice_scenarios,
    load,
    read_document,
)
from simulator.teaching.exercise import Tabletop, read_saved, resume

# A small town the tests can play quickly: a partner who calls, two sources on her phone.
TABLE = {
    "days": 60,
    "runs": 6,
    "population": {
        "units": 1,
        "households_per_unit": 40,
        "household_size": 1,
        "roles": {
            "partner": {"count": 1, "label": "partner"},
            "source": {"count": 2, "label": "source"},
        },
    },
    "contacts": {"ties": [{"from": "partner", "to": "source", "channel": "phone"}]},
    "channels": {
        "phone": {"kind": "plaintext", "stores_contacts": True, "reveal": {"device": 1.0}},
        "talk": {"kind": "in_person"},
    },
    "activities": {
        "call": {"who": "partner", "per_day": 0.5, "traces": ["behaviour"], "label": "calls abroad"}
    },
    "observers": {
        "police": {
            "kind": "general",
            "label": "the police",
            "notice": {"behaviour": 0.05},
            "weight": 0.5,
        }
    },
    "adversary": {
        "threshold": 1,
        "weights": {"reports": 1, "finds": 1, "cascade": 1},
        "unlock": 1.0,
    },
    "countermeasures": {
        "quiet": {
            "description": "Call less.",
            "cost": "Less news.",
            "scale": {"activities.call.per_day": 0.2},
        }
    },
    "exercise": {
        "persona": "partner",
        "turn_days": 20,
        "situation": ["Winter.", "Spring."],
        "choices": [
            {"label": "Carry on", "description": "As before."},
            {"label": "Go quiet", "countermeasure": "quiet"},
            {"label": "Stop calling", "set": {"activities.call.per_day": 0}},
        ],
    },
}


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def town(scenario_file):
    """Write the small tabletop town (with changes) and return its path."""
    from conftest import merge

    def write(changes: dict | None = None, name: str = "table.yaml") -> Path:
        return scenario_file(merge(TABLE, changes or {}), name=name)

    return write


# ------------------------------------------------------------------ exact runs
@pytest.mark.parametrize("name", ["border-phone", "overnight-guest"])
def test_one_choice_every_turn_is_the_plain_run_of_that_choice(name):
    loaded = load(name)
    variants = choice_scenarios(loaded)
    for k in range(len(variants)):
        table = Tabletop(loaded, 3, runs=4)
        while not table.finished:
            table.play(k)
        # The run played is the one `trace --seed` tells for the seed the run was chosen at.
        seed = table.selection.trace_seed
        plain = simulate(variants[k].model_copy(update={"days": table.day}), 1, seed, record=True)
        played = table._run.outcome()
        assert np.array_equal(plain.exposed_day, played.exposed_day)
        assert np.array_equal(plain.cause, played.cause)
        assert plain.records == played.records


def test_a_changed_choice_changes_the_run_from_its_turn_on(town):
    loaded = load(str(town()))
    calm = Tabletop(loaded, 5)
    calm.play(0)
    switched = Tabletop(loaded, 5)
    switched.play(0)
    assert calm._run.outcome().records == switched._run.outcome().records
    calm.play(0)
    switched.play(2)
    before = [r for r in switched._run.outcome().records if r.day <= 20]
    assert before == [r for r in calm._run.outcome().records if r.day <= 20]
    calls = [r for r in switched._run.outcome().records if r.kind == "activity" and r.day > 20]
    assert calls == []  # "Stop calling" holds from its turn on
    again = Tabletop(loaded, 5, [0, 2])
    assert again._run.outcome().records == switched._run.outcome().records


def test_turns_cover_the_horizon_and_the_last_may_be_shorter(town):
    table = Tabletop(load(str(town({"days": 50}))), 1)
    assert [(t.first, t.last) for t in table.turns] == [(1, 20), (21, 40), (41, 50)]
    assert [t.situation for t in table.turns] == ["Winter.", "Spring.", ""]


# ------------------------------------------------------------------ playing from stdin
def test_border_phone_plays_from_stdin_through_to_the_debrief():
    result = invoke("exercise", "border-phone", "--seed", "3", "--runs", "4", input="1\n" * 20)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Turn 1 of 5 — days 1 to 73" in out and "Your choice (1-9): 1" in out
    assert "What the reporting partner did:" in out
    assert "\nDebrief\n=======\n" in out
    assert (
        "What exposed the reporting partner" in out or "What kept the reporting partner safe" in out
    )
    assert (
        "Had you chosen “Lie low” every turn, exposure of the reporting partner within a year"
        in prose(out)
    )
    assert "“Carry on as before” every turn is what you did" in prose(out)


def test_a_scripted_game_with_facilitator_view(town):
    path = town()
    result = invoke("exercise", str(path), "--seed", "2", "--facilitator", input="1\n2\n3\n")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.count("You chose:") >= 1
    assert "For the facilitator (hidden from the player):" in out
    assert "Suspicion of the partner" in out or "The partner is exposed" in out
    assert "Debrief" in out and "Your choices against the alternatives" in out


def test_invalid_answers_are_asked_again(town):
    result = invoke("exercise", str(town()), input="x\n9\n\n2\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("Please answer with a number from 1 to 3.") == 3
    assert "You chose: Go quiet." in result.stdout


def test_end_of_input_stops_with_a_debrief_of_the_days_played(town):
    result = invoke("exercise", str(town()), "--seed", "4", input="3\n")
    assert result.exit_code == 0, result.stderr
    assert "The input ended after turn 1 of 3; this debrief covers days 1 to 20." in result.stdout
    assert "Turn 1 (days 1 to 20): Stop calling" in result.stdout


def test_no_input_at_all_says_there_is_nothing_to_debrief(town):
    result = invoke("exercise", str(town()), input="")
    assert result.exit_code == 0
    assert "nothing to debrief" in result.stdout


def test_input_ending_after_a_bad_answer_is_one_line_and_exit_2(town):
    result = invoke("exercise", str(town()), input="1\nmaybe\n")
    assert result.exit_code == 2
    assert result.stderr == "turn 2: `maybe` is not a choice from 1 to 3, and the input ended\n"


def test_debrief_compares_the_choices_with_each_option(town):
    loaded = load(str(town()))
    table = Tabletop(loaded, 8, [1, 1, 1])
    debrief = table.debrief(runs=6)
    assert debrief.runs == 6 and debrief.horizon == 60
    same = [a for a in debrief.alternatives if a.yours]
    assert [a.label for a in same] == ["Go quiet"]
    assert same[0].delta["partner"].p_exposed == 0.0 and same[0].delta["partner"].ci95 == (0.0, 0.0)
    stop = next(a for a in debrief.alternatives if a.label == "Stop calling")
    assert stop.variant.results.roles["partner"].p_exposed == 0.0  # nobody calls, nobody is noticed
    assert stop.fate is None


def test_debrief_is_the_same_on_one_or_two_workers(town):
    # 40 people make batches of 256 runs: 520 runs are three batches, two of them in parallel.
    args = ["exercise", str(town()), "--seed", "3", "--runs", "520", "--facilitator"]
    one = invoke(*args, "--workers", "1", input="2\n1\n3\n")
    two = invoke(*args, "--workers", "2", input="2\n1\n3\n")
    assert one.exit_code == 0 and two.exit_code == 0, (one.stderr, two.stderr)
    assert "Had you chosen" in one.stdout
    assert one.stdout == two.stdout


# ------------------------------------------------------------------ saving and resuming
def test_save_and_resume_replay_the_same_game(town, tmp_path):
    path = str(town())
    saved = tmp_path / "game.json"
    first = invoke("exercise", path, "--seed", "6", "--save", str(saved), input="2\n")
    assert first.exit_code == 0, first.stderr
    state = json.loads(saved.read_text())
    assert state["choices"] == [2] and state["seed"] == 6 and state["format"] == "exposure-exercise"
    rest = invoke("exercise", "--resume", str(saved), input="3\n1\n")
    assert rest.exit_code == 0, rest.stderr
    assert "Resumed after turn 1." in rest.stdout
    whole = invoke("exercise", path, "--seed", "6", input="2\n3\n1\n")
    assert rest.stdout.split("\nDebrief\n")[1] == whole.stdout.split("\nDebrief\n")[1]
    assert json.loads(saved.read_text())["choices"][:2] == [2, 3]


def test_save_refuses_an_existing_file_without_force(town, tmp_path):
    saved = tmp_path / "game.json"
    saved.write_text("keep me")
    result = invoke("exercise", str(town()), "--save", str(saved), input="1\n")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "already exists; add --force" in result.stderr
    assert saved.read_text() == "keep me"
    forced = invoke("exercise", str(town()), "--save", str(saved), "--force", input="1\n")
    assert forced.exit_code == 0 and json.loads(saved.read_text())["choices"] == [1]


def test_save_to_a_missing_folder_is_refused_before_playing(town, tmp_path):
    result = invoke(
        "exercise", str(town()), "--save", str(tmp_path / "no" / "game.json"), input="1\n"
    )
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "content,expected",
    [
        ("{", "not a saved exercise (broken JSON at line 1"),
        ("[]", 'not a saved exercise (no "format"'),
        (
            json.dumps({"format": "exposure-exercise", "version": 9}),
            "saved by another version of Exposure",
        ),
        (
            json.dumps({"format": "exposure-exercise", "version": 1, "scenario": {"spec": "x"}}),
            "`scenario` needs",
        ),
        (
            json.dumps(
                {
                    "format": "exposure-exercise",
                    "version": 1,
                    "scenario": {"spec": "S", "name": "n", "sha256": "H"},
                    "seed": -1,
                    "choices": [],
                }
            ),
            "`seed` must be",
        ),
        (
            json.dumps(
                {
                    "format": "exposure-exercise",
                    "version": 1,
                    "scenario": {"spec": "S", "name": "n", "sha256": "H"},
                    "seed": 1,
                    "choices": ["2"],
                }
            ),
            "`choices` must be a list",
        ),
        (
            json.dumps(
                {
                    "format": "exposure-exercise",
                    "version": 1,
                    "scenario": {"spec": "S", "name": "n", "sha256": "H"},
                    "seed": 1,
                    "choices": [7],
                }
            ),
            "choice 7 is not on the menu",
        ),
        (
            json.dumps(
                {
                    "format": "exposure-exercise",
                    "version": 1,
                    "scenario": {"spec": "S", "name": "n", "sha256": "H"},
                    "seed": 1,
                    "choices": [1, 1, 1, 1],
                }
            ),
            "4 choices for 3 turns",
        ),
        (
            json.dumps(
                {
                    "format": "exposure-exercise",
                    "version": 1,
                    "scenario": {"spec": "S", "name": "n", "sha256": "0" * 64},
                    "seed": 1,
                    "choices": [1],
                }
            ),
            "was saved for another version of",
        ),
    ],
)
def test_a_broken_saved_exercise_is_one_line_and_exit_2(town, tmp_path, content, expected):
    path = town()
    sha = load(str(path)).sha256
    saved = tmp_path / "game.json"
    saved.write_text(content.replace('"S"', json.dumps(str(path))).replace('"H"', json.dumps(sha)))
    before = saved.read_text()
    result = invoke("exercise", "--resume", str(saved), input="1\n")
    assert result.exit_code == 2, result.stdout
    assert expected in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == "" and saved.read_text() == before


def test_resume_refuses_another_seed(town, tmp_path):
    saved = tmp_path / "game.json"
    invoke("exercise", str(town()), "--seed", "3", "--save", str(saved), input="1\n")
    result = invoke("exercise", "--resume", str(saved), "--seed", "4", input="1\n")
    assert result.exit_code == 2 and "was played with seed 3" in result.stderr


def test_read_saved_and_resume_directly(town, tmp_path):
    loaded = load(str(town()))
    table = Tabletop(loaded, 2, [0])
    saved = tmp_path / "g.json"
    saved.write_text(json.dumps(table.saved(str(town()))))
    again = resume(read_saved(str(saved)), loaded, None)
    assert again.choices == [(0,)] and again.seed == 2


# ------------------------------------------------------------------ the format
def test_a_scenario_without_an_exercise_says_how_to_add_one():
    result = invoke("exercise", "reference-cascade", input="1\n")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    line = result.stderr
    assert "has no tabletop exercise to play; these scenarios have one: block-committee, " in line
    assert "`exposure new NAME --from border-phone`" in line
    assert "docs/" not in line and "scenarios/border-phone" not in line  # no repository paths


def test_list_marks_the_scenarios_with_an_exercise():
    result = invoke("list")
    marked = {line.split()[0] for line in result.output.splitlines() if line[22:23] == "*"}
    assert "border-phone" in marked and "group-chat" not in marked
    assert marked == {name for name in bundled_names() if "exercise" in read_document(name)[0].data}
    assert result.output.rstrip().endswith("* has a tabletop exercise: exposure exercise NAME")


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({"exercise": {"persona": "nobody"}}, "exercise.persona: no role named `nobody`"),
        (
            {"exercise": {"turns": 4}},
            "exercise.turns: turn 4 would start on day 61, after the last day (60)",
        ),
        (
            {"exercise": {"situation": ["a", "b", "c", "d"]}},
            "exercise.situation: gives 4 situations for 3 turns",
        ),
        (
            {"exercise": {"choices": [{"label": "A"}, {"label": "B", "countermeasure": "quite"}]}},
            "no countermeasure named `quite` (did you mean `quiet`?)",
        ),
        (
            {
                "exercise": {
                    "choices": [{"label": "A"}, {"label": "B", "set": {"population.units": 2}}]
                }
            },
            "not who lives in the town or who knows whom (got population.units)",
        ),
        ({"exercise": {"choices": [{"label": "A"}]}}, "exercise.choices"),
        ({"exercise": {"turn_days": 0}}, "exercise.turn_days: must be at least 1"),
    ],
)
def test_exercise_blocks_are_validated(town, changes, expected):
    result = invoke("validate", str(town(changes)))
    assert result.exit_code == 2
    assert expected in result.stderr, result.stderr


def test_a_choice_patching_a_missing_key_is_reported_where_it_is_written(town):
    path = town(
        {
            "exercise": {
                "choices": [{"label": "A"}, {"label": "B", "set": {"activities.call.minuts": 2}}]
            }
        }
    )
    loaded = load(str(path))
    (problem,) = check_exercise(loaded)
    assert "activities.call.minuts" in str(problem) and "did you mean `minutes`?" in str(problem)
    assert str(problem).startswith(f"{path}:")
    with pytest.raises(ScenarioError):
        Tabletop(loaded, 1)
    result = invoke("exercise", str(path), input="1\n")
    assert result.exit_code == 2 and "did you mean `minutes`?" in result.stderr


def test_a_channel_may_change_part_way(town):
    loaded = load(
        str(
            town(
                {
                    "exercise": {
                        "choices": [
                            {"label": "A"},
                            {"label": "Talk", "set": {"contacts.ties.0.channel": "talk"}},
                        ]
                    }
                }
            )
        )
    )
    phone, talk = {}, {}
    for seed in range(1, 40):
        for schedule, found in (([0, 0, 0], phone), ([1, 1, 1], talk)):
            table = Tabletop(loaded, seed)
            while not table.finished:
                table.play(schedule[len(table.choices)])
            found[seed] = [r for r in table._run.outcome().records if r.kind == "reveal"]
    assert any(phone.values())  # a seized phone names the sources ...
    assert not any(talk.values())  # ... unless she only ever talks to them face to face


def test_more_saved_choices_than_the_game_allows_are_refused(town):
    with pytest.raises(UsageError, match="4 choices saved, but the exercise ended after turn 3"):
        Tabletop(load(str(town())), 1, [0, 1, 1, 1])


def test_bundled_exercises_are_valid():
    for name in ("border-phone", "overnight-guest"):
        loaded = load(name)
        assert loaded.scenario.exercise is not None
        assert check_exercise(loaded) == []
        assert 4 <= loaded.scenario.exercise.turn_count(loaded.scenario.days) <= 6


# ------------------------------------------------------------------ combined habits
EXCLUSIVE = {
    "exercise": {
        "excludes": [["quiet", "stop"]],
        "choices": [
            {"label": "Carry on", "description": "As before."},
            {"label": "Go quiet", "countermeasure": "quiet"},
            {"label": "Stop calling", "name": "stop", "set": {"activities.call.per_day": 0}},
        ],
    }
}


def test_combined_habits_play_from_stdin_and_save_as_lists(tmp_path):
    saved = tmp_path / "game.json"
    args = ["exercise", "border-phone", "--runs", "4", "--save", str(saved)]
    result = invoke(*args, input="2 4\n2,4\n")
    assert result.exit_code == 0, result.stderr
    out = prose(result.stdout)
    assert out.count("You chose: Keep calls short + Keep the phone out of the house.") == 2
    assert "Cost: Less news gets through in each call" in out
    assert json.loads(saved.read_text())["choices"] == [[2, 4], [2, 4]]
    # The combination is the union of both habits' patches, in the played run and the debrief.
    table = Tabletop(load("border-phone"), 1, [(1, 3)], runs=0, attempt=0)
    both = table.variant((1, 3))
    assert (
        both.activities["call_abroad"].minutes
        != load("border-phone").scenario.activities["call_abroad"].minutes
    )
    assert both != table.variants[(1,)] and both != table.variants[(3,)]


def test_an_excluded_combination_is_refused_and_asked_again():
    result = invoke("exercise", "border-phone", "--runs", "4", input="3 9\n3\n")
    assert result.exit_code == 0, result.stderr
    out = prose(result.stdout)
    assert out.count("“Call less often” and “Lie low” cannot be combined; choose again.") == 1
    assert "You chose: Call less often." in out
    assert result.stdout.count("Your choice (1-9): ") == 3  # asked again, then the next turn


def test_pairs_whose_patches_do_not_add_up_are_refused_and_reported(town):
    loaded = load(str(town()))  # Go quiet scales the calls that Stop calling sets to 0
    problems = [str(p) for p in check_exercise(loaded)]
    assert len(problems) == 1 and "choices 2 and 3 cannot be combined" in problems[0]
    table = Tabletop(loaded, 1, runs=4)
    assert table.excluded((1, 2)) == (1, 2) and table.excluded((0, 1)) is None
    with pytest.raises(UsageError, match="choices 2 and 3 cannot be combined"):
        table.play((1, 2))
    result = invoke("exercise", str(town()), input="2 3\n1 2\n")
    assert "“Go quiet” and “Stop calling” cannot be combined; choose again." in prose(result.stdout)
    assert "You chose: Carry on + Go quiet." in prose(result.stdout)
    declared = load(str(town(EXCLUSIVE)))
    assert check_exercise(declared) == []


def test_unknown_names_in_excludes_are_refused(town):
    bad = merge_exercise({"excludes": [["quiet", "stopp"]]})
    result = invoke("validate", str(town(bad)))
    assert result.exit_code != 0 and "no choice named `stopp`" in result.stderr
    assert "did you mean `stop`?" in result.stderr


def merge_exercise(changes):
    from conftest import merge

    return merge(EXCLUSIVE, {"exercise": changes})


def test_an_old_save_resumes_on_the_seeds_own_run(town, tmp_path):
    # Saved before runs were chosen and habits combined: no "run", single numbers.
    old = {
        "format": "exposure-exercise",
        "version": 1,
        "scenario": {"spec": "border-phone", "name": "border-phone", "sha256": ""},
        "seed": 1,
        "choices": [1],
    }
    loaded = load("border-phone")
    old["scenario"]["sha256"] = loaded.sha256
    saved = tmp_path / "old.json"
    saved.write_text(json.dumps(old))
    table = resume(read_saved(str(saved)), loaded, None, runs=4)
    assert table.selection.attempt == 0 and table.selection.trace_seed == 1
    assert table.choices == [(0,)]
    # The seed's own run, as it was played: `trace --seed 1`.
    plain = simulate(loaded.scenario.model_copy(update={"days": table.day}), 1, 1, record=True)
    assert plain.records == table._run.outcome().records
    result = invoke("exercise", "--resume", str(saved), "--runs", "4", input="")
    assert result.exit_code == 0, result.stderr
    assert "Resumed after turn 1." in result.stdout
    assert "as the saved exercise was first played" in prose(result.stdout)


# ------------------------------------------------------------------ a game that teaches
@pytest.mark.parametrize("name", ["border-phone", "overnight-guest"])
def test_with_the_default_seed_no_first_choice_ends_the_game_in_turn_one(name):
    loaded = load(name)
    chosen = Tabletop(loaded, 1, runs=20).selection
    assert chosen.chosen  # every first choice ends turn one in well under half of runs
    assert all(o.share < 0.5 for o in chosen.first_turn)
    for k in range(len(loaded.scenario.exercise.choices)):
        table = Tabletop(loaded, 1, runs=0, attempt=chosen.attempt)
        result = table.play(k)
        assert not result.exposed, (name, k)


def test_the_debrief_says_how_the_run_was_chosen():
    result = invoke("exercise", "border-phone", "--runs", "20", input="1\n")
    out = prose(result.stdout)
    assert "This run was chosen so that no first choice ended the game in the first turn" in out
    assert "`exposure trace border-phone --seed 2` tells" in out
    assert "the chance that no first choice ends the game in the first turn is" in out


def test_a_risky_first_turn_is_left_to_chance_and_said_so(town):
    # Noticed nearly every call: every first choice but stopping ends the game in turn one.
    risky = town({"observers": {"police": {"notice": {"behaviour": 0.9}, "weight": 1}}})
    table = Tabletop(load(str(risky)), 1, runs=20)
    assert not table.selection.chosen and table.selection.attempt == 0
    assert max(o.share for o in table.selection.first_turn) >= 0.5
    result = invoke("exercise", str(risky), "--runs", "20", input="1\n1\n1\n")
    assert "left to chance: with “Carry on” as the first choice" in prose(result.stdout)


def test_each_turn_shows_the_odds_that_the_debrief_ends_with(town):
    loaded = load(str(town()))
    table = Tabletop(loaded, 4, runs=30)
    for k in (0, 1, 0):
        if not table.finished:
            table.play(k)
    odds = [r.odds for r in table.results]
    assert all(o is not None and o.runs == 30 for o in odds)
    assert [o.exposed for o in odds] == sorted(o.exposed for o in odds)  # exposure only grows
    if len(table.results) == len(table.turns):
        debrief = table.debrief(runs=30)
        assert debrief.yours.variant.results.roles["partner"].p_exposed == odds[-1].share
    result = invoke("exercise", str(town()), "--seed", "4", "--runs", "30", input="1\n")
    assert (
        "Over 30 runs played with your choices so far, the partner is exposed by day 20 in"
        in prose(result.stdout)
    )


def test_the_debrief_explains_a_habit_that_does_not_protect(town):
    # A habit that changes nothing for the partner: the debrief says it does not clearly help.
    idle = merge_exercise(
        {
            "choices": [
                {"label": "Carry on"},
                {"label": "New phone", "set": {"channels.phone.reveal.device": 1.0}},
            ],
            "excludes": [],
        }
    )
    result = invoke("exercise", str(town(idle)), "--runs", "8", input="2\n2\n2\n")
    out = prose(result.stdout)
    assert "Why a protective habit may not protect" in out
    assert "“New phone” every turn leaves exposure of the partner" in out
