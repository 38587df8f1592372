"""One scenario, one seed, one answer: every command that shows the baseline shows the same figure.

A trainer who runs `run`, then `compare`, `sweep`, `report` and the exercise on the same scenario
and seed must be able to point at one number for the baseline; a second number for the same thing
would be a lesson nobody can defend. Each command is run here as a user would type it.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from click.testing import CliRunner

from simulator.cli import cli
from simulator.report.words import percent

SCENARIO = "border-phone"
ROLE = "reporting_partner"
RUNS = "20"
SEED = "3"


def invoke(*args: str, input: str | None = None) -> str:
    """The standard output of one command line, which must succeed."""
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_command_gives_the_same_baseline(tmp_path: Path) -> None:
    common = ("--runs", RUNS, "--seed", SEED)
    run = json.loads(invoke("run", SCENARIO, *common, "--format", "json"))
    p = run["roles"][ROLE]["p_exposed"]

    compared = json.loads(invoke("compare", SCENARIO, *common, "--format", "json"))
    assert compared["baseline"]["roles"][ROLE]["p_exposed"] == p

    swept = json.loads(
        invoke(
            "sweep",
            SCENARIO,
            *common,
            "--vary",
            "activities.call_abroad.minutes=2:4:2",
            "--format",
            "json",
        )
    )
    assert swept["baseline"]["roles"][ROLE]["p_exposed"] == p

    output = tmp_path / "r.md"
    invoke("report", SCENARIO, *common, "-o", str(output))
    row = next(
        line
        for line in output.read_text(encoding="utf-8").splitlines()
        if line.startswith("| reporting partner |")
    )
    assert row.split("|")[3].strip() == percent(p)

    # "Carry on as before" every turn is the scenario as written: the baseline, like for like.
    played = invoke("exercise", SCENARIO, *common, input="1\n" * 20)
    yours = re.search(r"in (\S+) of runs with your\s+choices", played)
    assert yours is not None, played
    assert yours.group(1) == percent(p)
    # Whatever is played, the Debrief names the option that is the baseline, with its figure.
    other = invoke("exercise", SCENARIO, *common, input="2\n" * 20)
    written = re.search(r"is the scenario as written: (\S+) \([^)]*\) for the", other)
    assert written is not None, other
    assert written.group(1) == percent(p)


def test_sweep_and_exercise_default_to_the_scenarios_runs() -> None:
    from simulator.cli import exercise, sweep

    for command in (sweep, exercise):
        runs = next(o for o in command.params if o.name == "runs")
        assert runs.default is None


def test_the_trace_a_report_prints_tells_the_very_run_it_pictures(tmp_path: Path) -> None:
    # With seed 3 the picture of overnight-guest tries four runs before its persona is exposed.
    from simulator.analysis.neighbourhood import record_neighbourhood
    from simulator.personas import tabletop_role
    from simulator.scenario import load

    scenario = load("overnight-guest").scenario
    picture = record_neighbourhood(scenario, tabletop_role(scenario), 3)
    assert picture.attempt > 0
    pictured = next(p for p in picture.people if p.id == picture.persona)
    assert pictured.exposed_day is not None

    output = tmp_path / "r.md"
    invoke("report", "overnight-guest", "--runs", "4", "--seed", "3", "-o", str(output))
    text = output.read_text(encoding="utf-8")
    command = re.search(r"^exposure trace .*$", text, re.MULTILINE)
    assert command is not None
    args = shlex.split(command.group(0))[1:]
    assert args[args.index("--seed") + 1] == str(picture.seed)

    story = json.loads(invoke(*args, "--format", "json"))
    assert story["persona"]["id"] == picture.persona
    assert story["exposed"] == {"day": pictured.exposed_day, "cause": pictured.cause}
