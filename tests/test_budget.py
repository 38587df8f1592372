"""One budget for every command: each variant, parameter set and sweep point is estimated (its
population build included) and a request over the limits is refused before any work, exit 2."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.budget import (
    BUILD_PEOPLE_PER_S,
    estimate_seconds,
    estimate_variants,
    limits,
)
from simulator.cli import cli
from simulator.errors import ResourceError
from simulator.runner import simulate_variants
from simulator.scenario import bundled_dir, load, variant
from simulator.scenario.model import expected_people

SCENARIOS = bundled_dir()


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def refused(*args: str, input: str | None = None) -> str:
    started = time.monotonic()
    result = invoke(*args, input=input)
    assert result.exit_code == 2, (result.exit_code, result.output)
    line = result.stderr.strip().splitlines()[-1]
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 10, "refused only after some work"
    return line


@pytest.fixture
def crowding(tmp_path) -> Path:
    """reference-cascade with a countermeasure that makes the town a hundred times bigger."""
    text = (SCENARIOS / "reference-cascade.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "countermeasures:\n",
        "countermeasures:\n"
        "  crowd:\n"
        "    label: A bigger town\n"
        "    description: Everyone moves to a town a hundred times bigger.\n"
        "    cost: None.\n"
        "    set: {population.units: 100000}\n",
        1,
    )
    path = tmp_path / "crowding.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["compare", "report"])
def test_a_countermeasure_that_grows_the_town_is_refused_before_work(crowding, tmp_path, command):
    out = ["-o", str(tmp_path / "r.html")] if command == "report" else []
    line = refused(command, str(crowding), "--runs", "20", *out)
    assert line.startswith(f"{crowding}:62:3: countermeasures.crowd: this needs about")
    assert "variants, the largest of 10,000,000 people" in line


def test_every_variant_counts_each_population_once():
    base = load("reference-cascade", people=10_000)
    same_people = variant(base, overrides=[]).scenario
    bigger = load("reference-cascade", people=100_000).scenario
    one, summaries_one, _ = estimate_variants([base.scenario], 10, 1)
    shared, _, _ = estimate_variants([base.scenario, same_people], 10, 1)
    both, summaries_both, _ = estimate_variants([base.scenario, bigger], 10, 1)
    assert shared == one, "variants on one population build it once"
    assert both > 5 * one
    assert summaries_both == 2 * summaries_one


def test_the_estimate_includes_building_the_population():
    scenario = load("reference-cascade", people=1_000_000, days=1).scenario
    building = expected_people(scenario) / BUILD_PEOPLE_PER_S
    assert estimate_seconds(scenario, 1, 1) >= building


def test_the_runner_itself_refuses_what_exceeds_the_limits():
    scenario = load("reference-cascade", people=2_000).scenario
    with limits(1024**2, None), pytest.raises(ResourceError, match="this needs about"):
        simulate_variants([scenario, scenario], 10, seed=1)
    with limits(None, 0.001), pytest.raises(ResourceError, match="this would take about"):
        simulate_variants([scenario], 10, seed=1)


def test_reproducers_of_the_issue_are_refused():
    assert refused("compare", "border-phone", "--people", "1000000", "--runs", "100000").startswith(
        "this would take about"
    )
    assert "more than the limit of 60 minutes" in refused("run", "--people", "10000000")
    assert refused(
        "sweep", "reference-cascade", "--runs", "20", "--vary", "population.units=1:100000:2"
    ).startswith("this needs about")


@pytest.mark.parametrize(
    "args",
    [
        ["run", "border-phone", "--runs", "4"],
        ["compare", "border-phone", "--runs", "4"],
        ["sweep", "border-phone", "--runs", "4", "--vary", "adversary.unlock=0.1:0.9:2"],
        ["report", "border-phone", "--runs", "4", "-o", "REPORT"],
        ["validate", "--check-objectives", "border-phone", "--runs", "4"],
        ["exercise", "border-phone", "--runs", "4"],
    ],
    ids=lambda args: args[0],
)
def test_every_simulating_command_takes_the_limits(tmp_path, args):
    args = [str(tmp_path / "r.html") if a == "REPORT" else a for a in args]
    answers = "1\n" * 20 if args[0] == "exercise" else None
    line = refused(*args, "--max-memory", "1M", input=answers)
    assert "but the limit (--max-memory) is 1 MiB" in line
    line = refused(*args, "--max-time", "0.001s", input=answers)
    assert "more than the limit of 1 seconds" in line


def test_validate_warns_of_a_countermeasure_over_the_budget(crowding):
    result = invoke("validate", str(crowding))
    assert result.exit_code == 0
    assert f"warning: {crowding}:62:3: countermeasures.crowd: this needs about" in result.stderr
    assert "countermeasure locked_phone" not in result.stderr


# --- a countermeasure that grows the town ------------------------------------------------------

BIG_TOWN = """  big_town:
    label: {en: A bigger town, ko: 더 큰 마을}
    description: {en: The same habits in a town a hundred times as big., ko: 같은 습관.}
    cost: {en: None., ko: 없음.}
    set: {population.units: 100000}
"""


@pytest.fixture
def growing(tmp_path) -> tuple[Path, int]:
    """border-phone with a countermeasure of 100,000 units, which one objective is about; and the
    line where the file defines it."""
    text = (SCENARIOS / "border-phone.yaml").read_text(encoding="utf-8")
    at = text.index("countermeasures:\n") + len("countermeasures:\n")
    text = text[:at] + BIG_TOWN + text[at:]
    claim = "expect: {countermeasure: fewer_calls, lowers: reporting_partner}"
    assert claim in text
    text = text.replace(claim, claim.replace("fewer_calls", "big_town"), 1)
    path = tmp_path / "growing.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text[:at].count("\n") + 1


@pytest.mark.parametrize(
    "command",
    [
        ["compare"],
        ["compare", "--countermeasure", "big_town"],
        ["report", "-o", "{tmp}/r.html"],
        ["cards", "-o", "{tmp}/c.html"],
        ["validate", "--check-objectives"],
        ["validate", "--robust", "--sets", "2"],
    ],
)
def test_a_countermeasure_that_grows_the_town_is_refused_at_its_line(growing, command, tmp_path):
    """validate passes such a file with a warning; every command that would simulate the
    countermeasure refuses it before any work, where the file defines it, saying what would fit."""
    path, line = growing
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    started = time.monotonic()
    result = invoke(args[0], str(path), *args[1:])
    assert time.monotonic() - started < 15
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"{path}:{line}:3: countermeasures.big_town: this needs about ")
    assert "10,000,000 people" in result.stderr and "; try --people " in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["growing.yaml"]


def test_an_exercise_too_big_for_its_debrief_is_refused_before_the_first_turn():
    """It used to play (and take the odds of each turn over 100,000 runs) and be refused only at
    the debrief."""
    started = time.monotonic()
    # Memory allowed without bound, so that time refuses it whatever this machine has free.
    result = invoke(
        "exercise", "border-phone", "--runs", "100000", "--max-memory", "1000T", input="1\n"
    )
    assert time.monotonic() - started < 10
    assert result.exit_code == 2
    assert result.stdout == ""  # not even the first turn's situation
    assert result.stderr.startswith("this would take about ")
    assert "(10 variants, the largest of 3,000 people x 365 days x 100,000 runs)" in result.stderr
    assert "try --runs " in result.stderr


def test_a_containers_cpu_quota_bounds_the_usable_cores(monkeypatch):
    from simulator import budget

    values = {"cpu.max": "150000 100000"}
    monkeypatch.setattr(budget, "_cgroup_value", values.get)
    monkeypatch.setattr(budget.os, "sched_getaffinity", lambda _pid: set(range(16)), raising=False)
    assert budget.usable_cores() == 2  # 1.5 cores of quota: two processes can use it
    values["cpu.max"] = "max 100000"
    assert budget.usable_cores() == 16
    values["cpu.max"] = "not numbers"
    assert budget.usable_cores() == 16


def test_a_containers_memory_limit_bounds_the_available_memory(monkeypatch):
    from simulator import budget

    values = {"memory.max": str(2 * 1024**3), "memory.current": str(512 * 1024**2)}
    monkeypatch.setattr(budget, "_cgroup_value", values.get)
    monkeypatch.setattr(budget, "_machine_bytes", lambda: 64 * 1024**3)
    assert budget.available_bytes() == 2 * 1024**3 - 512 * 1024**2
    values["memory.max"] = "max"
    assert budget.available_bytes() == 64 * 1024**3
