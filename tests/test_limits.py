"""What a model leaves out: every bundled scenario says it; show, report and Debrief repeat it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import cli
from simulator.errors import ScenarioError
from simulator.report.words import leaves_out
from simulator.scenario import bundled_names, load


def invoke(*args: str, input: str | None = None) -> str:
    """The standard output of one command line, which must succeed."""
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("name", sorted(bundled_names()))
def test_every_bundled_scenario_says_what_it_leaves_out(name):
    limits = load(name).scenario.limits
    assert 3 <= len(limits) <= 6
    assert all(limit.strip() and limit.strip()[-1] in ".?" for limit in limits)


def test_show_lists_the_limits():
    text = " ".join(invoke("show", "border-phone").split())
    assert leaves_out() in text
    for limit in load("border-phone").scenario.limits:
        assert " ".join(limit.split()) in text


def test_the_report_and_the_debrief_list_the_limits(tmp_path: Path):
    limits = load("overnight-guest").scenario.limits
    output = tmp_path / "r.md"
    invoke("report", "overnight-guest", "--runs", "4", "-o", str(output))
    report = output.read_text(encoding="utf-8")
    assert f"## {leaves_out()}" in report
    debrief = invoke("exercise", "overnight-guest", "--runs", "2", input="1\n" * 20)
    assert leaves_out() in debrief
    for limit in limits:
        assert " ".join(limit.split())[:60] in " ".join(debrief.split())


def test_limits_are_plain_text_checked_like_any_other(scenario_file):
    with pytest.raises(ScenarioError) as err:
        load(str(scenario_file({"limits": ["x" * 20_001, {"text": "a mapping"}]})))
    text = str(err.value)
    assert "limits.0" in text and "limits.1" in text
