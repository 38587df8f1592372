"""The command line through Click's runner: output, contracts, exit codes, files."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import golden, invoke, prose

from simulator import cli as cli_module
from simulator import runner as runner_module

SMALL = ["reference-cascade", "--people", "2000", "--runs", "6", "--days", "60"]


def test_list_names_the_bundled_scenarios():
    result = invoke("list")
    assert result.exit_code == 0
    assert "reference-cascade" in result.stdout and "border-phone" in result.stdout


@pytest.mark.parametrize(
    "name",
    [
        "reference-cascade",
        "border-phone",
        "overnight-guest",
        "city",
        "group-chat",
        "pandemic-controls",
        "grid-checkpoint",
        "guest-list",
        "protest-phone-check",
        "informant-state",
        "block-committee",
        "tehran-protest",
    ],
)
def test_show_golden(name):
    result = invoke("show", name)
    assert result.exit_code == 0, result.stderr
    golden(f"show-{name}.txt", result.stdout)


def test_show_tells_what_money_and_tips_do(scenario_file):
    path = scenario_file(
        {
            "states": {"guest": {"label": "a guest"}},
            "activities": {"stay": {"who": "everyone", "per_day": 0.1, "state": "guest"}},
            "observers": {
                "leader": {
                    "kind": "leader",
                    "notice": {"presence": 0.5},
                    "bribe": {"price": 50, "accepts": 0.6, "extorts": 0.2, "demand": 90},
                    "tips": {"night": {"chance": 0.25, "within": 1}},
                }
            },
            "checks": {"night": {"label": "night check", "per_week": 0.1, "finds": {"guest": 0.9}}},
            "campaigns": {"crackdown": {"start": 1, "end": 5, "bribes": {"leader": 0.5}}},
        }
    )
    result = invoke("show", str(path))
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "takes a bribe of 50 RMB 60% of the time;" in text
    assert (
        "of the occurrences that offer nothing, demands 90 RMB for 20% of those it would report "
        "and holds the report instead, passing it on only when it reports one of the people again"
        in text
    )
    assert (
        "25% of its reports send a night check to the homes of the people named, the next day"
        in (text)
    )
    assert "crackdown, days 1 to 5: the leader takes bribes half as often." in text


def test_run_json_follows_the_contract():
    result = invoke("run", *SMALL, "--format", "json", "--seed", "5")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {
        "scenario",
        "note",
        "settings",
        "roles",
        "everyone",
        "causes",
        "collateral",
        "timing",
    }
    assert set(doc["scenario"]) == {"name", "title", "path", "sha256", "ranges"}
    assert doc["scenario"]["ranges"]["contacts.random.mean_degree"] == [4, 16]
    assert doc["note"].startswith("Illustrative figures")
    assert set(doc["settings"]) == {
        "runs",
        "days",
        "seed",
        "people",
        "countermeasures",
        "overrides",
    }
    assert (
        doc["settings"]["runs"] == 6
        and doc["settings"]["days"] == 60
        and doc["settings"]["seed"] == 5
    )
    for group in [*doc["roles"].values(), doc["everyone"]]:
        assert set(group) == {"people", "p_exposed", "ci95", "median_day", "curve"}
        curve = group["curve"]
        assert len(curve) == 61 and curve[0] == 0.0
        assert all(b >= a for a, b in itertools.pairwise(curve))
        assert curve[-1] == pytest.approx(group["p_exposed"], abs=1e-6)
        lo, hi = group["ci95"]
        assert 0 <= lo <= group["p_exposed"] <= hi <= 1
    assert set(doc["collateral"]) == {"mean", "p95"}
    assert set(doc["timing"]) == {"elapsed_s", "people_days_per_s"}
    assert sum(doc["causes"].values()) == pytest.approx(1.0, abs=1e-5)


def _without_timing(text: str) -> dict:
    doc = json.loads(text)
    doc.pop("timing")
    return doc


def test_same_seed_same_json_for_one_and_two_workers():
    args = [
        "run",
        "reference-cascade",
        "--people",
        "20000",
        "--runs",
        "9",
        "--days",
        "120",
        "--format",
        "json",
        "--seed",
        "42",
    ]
    one = invoke(*args, "--workers", "1")
    two = invoke(*args, "--workers", "2")
    again = invoke(*args, "--workers", "1")
    assert one.exit_code == two.exit_code == 0
    assert (
        _without_timing(one.stdout) == _without_timing(two.stdout) == _without_timing(again.stdout)
    )
    other = invoke(*args[:-1], "43")
    assert _without_timing(other.stdout) != _without_timing(one.stdout)


def test_border_phone_table_and_sentences():
    result = invoke("run", "border-phone", "--runs", "40")
    assert result.exit_code == 0, result.stderr
    assert "Role" in result.stdout and "interval" in result.stdout
    assert "The reporting partner is exposed within a year in" in prose(result.stdout)


def test_csv_has_a_row_per_role():
    result = invoke("run", *SMALL, "--format", "csv")
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("role,people,p_exposed,ci95_low,ci95_high")
    assert [line.split(",")[0] for line in lines[1:]] == ["resident", "everyone"]


def test_output_file_is_written_whole(tmp_path):
    target = tmp_path / "out.json"
    result = invoke("run", *SMALL, "--format", "json", "--output", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text())["settings"]["runs"] == 6
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_failed_run_leaves_no_file(tmp_path):
    target = tmp_path / "out.json"
    result = invoke("run", *SMALL, "--set", "adversary.unlock=7", "--output", str(target))
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_is_one_line(tmp_path):
    result = invoke("run", *SMALL, "--output", str(tmp_path / "missing" / "out.json"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr


@pytest.mark.parametrize(
    "args,expected",
    [
        (["run", "nowhere"], "nowhere: no bundled scenario or file by this name"),
        (["run", "reference-cascade", "--frmat", "json"], "Did you mean '--format'?"),
        (["run", "reference-cascade", "--runs", "0"], "--runs"),
        (["run", "reference-cascade", "--set", "adversary.unlokc=1"], "did you mean `unlock`?"),
        (
            ["run", "reference-cascade", "--countermeasure", "nope"],
            "defined: `fewer_contacts`, `locked_phone`",
        ),
        (["run", "reference-cascade", "--people", "1000000000"], "of memory but"),
        (["bogus"], "No such command"),
        # A required option left out is bad input, not an internal error.
        (["report", "reference-cascade"], "Missing option '--output'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, expected):
    result = invoke(*args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_validate_reports_all_files(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(
        Path(__file__).parent.parent.joinpath("scenarios", "reference-cascade.yaml").read_text()
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ntitle: t\nsummary: s\ndays: -1\npopulation: {units: 1, households_per_unit: "
        "1, household_size: 1}\n"
    )
    result = invoke("validate", str(good), str(bad))
    assert result.exit_code == 2
    assert f"{good}: ok" in result.stdout
    assert f"{bad}:4:7: days: must be at least 1 (got -1)" in result.stderr


def test_internal_error_is_one_line_and_exit_1(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(runner_module, "simulate_runs", boom)
    result = invoke("run", *SMALL)
    assert result.exit_code == 1
    assert (
        "internal error: RuntimeError: engine exploded" in result.stderr
        and "Traceback" not in result.stderr
    )
    result = invoke("run", *SMALL, "--traceback")
    assert result.exit_code == 1 and "Traceback" in result.stderr


def test_interrupt_exits_130(monkeypatch, tmp_path):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner_module, "simulate_runs", interrupted)
    result = invoke("run", *SMALL, "--output", str(tmp_path / "x.json"))
    assert result.exit_code == 130
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m_and_list_from_any_folder(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "list"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "reference-cascade" in result.stdout


def test_markdown_format_is_a_table_and_escapes_scenario_text(scenario_file):
    path = scenario_file(
        {"title": "A <b>bold</b> | town", "activities": {"a": {"who": "everyone", "per_day": 0.1}}}
    )
    result = invoke("run", str(path), "--runs", "3", "--format", "md")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "**A &lt;b>bold&lt;/b> \\| town — 3 runs of 30 days, about 100 people each**"
    assert lines[2].startswith("| Role | People |") and lines[3].startswith("|---|---:|")
    compared = invoke("compare", "border-phone", "--runs", "10", "--format", "md")
    assert compared.exit_code == 0 and "| Countermeasure | Exposed |" in compared.stdout


def test_help_is_complete_at_80_columns():
    """Every command's summary fits whole in `--help`, and every option says what it does."""
    import click
    from click.testing import CliRunner

    cli = cli_module.cli
    assert set(cli_module.SUMMARIES) == set(cli.commands)
    text = CliRunner().invoke(cli, ["--help"], terminal_width=80).output
    for name, summary in cli_module.SUMMARIES.items():
        assert f"  {name}" in text and summary in text, name
    assert "..." not in text.split("Commands:")[1]
    for name, command in cli.commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, (name, param.name)


def test_markdown_escapes_tags_but_keeps_less_than_readable():
    """`<1%` stays as written in Markdown source; only what could open HTML is escaped."""
    from simulator.report.grid import no_html

    assert no_html("<1% of runs, < 5 days") == "<1% of runs, < 5 days"
    assert no_html("<b>x</b> <!-- c --> <?php <https://a.b>") == (
        "&lt;b>x&lt;/b> &lt;!-- c --> &lt;?php &lt;https://a.b>"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["show", "border-phone"],
        ["show", "group-chat"],
        ["run", "border-phone", "--runs", "20"],
        ["compare", "group-chat", "--runs", "20"],
        ["trace", "border-phone"],
        ["seize", "group-chat", "--person", "organiser"],
        ["tap", "group-chat", "--days", "5"],
        ["validate", "--check-objectives", "border-phone", "--runs", "20"],
    ],
)
def test_terminal_output_fits_80_columns(args):
    """What a projector's terminal shows fits 80 columns; --wide lays tables out for 120."""
    result = invoke(*args)
    assert result.stdout.strip(), result.output  # claims may fail on 20 runs; they are still told
    long = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert not long, long[:3]
    wide = invoke(*args, "--wide")
    assert max(len(line) for line in wide.stdout.splitlines()) <= 120


def test_every_format_names_what_was_simulated():
    """A run with a countermeasure or an override cannot be mistaken for the baseline's."""
    args = ["run", "border-phone", "--runs", "3", "--days", "10"]
    changed = [
        *args,
        "--countermeasure",
        "short_calls",
        "--set",
        "activities.call_abroad.minutes=2",
    ]
    words = (
        "with “Short calls” and “calls a journalist abroad on the Chinese phone”: minutes set to 2"
    )
    assert f"The phone by the border, {words}" in prose(invoke(*changed).stdout)
    assert (
        f"**The phone by the border, {words} — 3 runs" in invoke(*changed, "--format", "md").stdout
    )
    rows = invoke(*changed, "--format", "csv").stdout.splitlines()
    assert rows[0].endswith(",changes")
    assert all(r.endswith(",short_calls;activities.call_abroad.minutes=2") for r in rows[1:])
    settings = json.loads(invoke(*changed, "--format", "json").stdout)["settings"]
    assert settings["countermeasures"] == ["short_calls"]
    assert invoke(*args).stdout.startswith("The phone by the border — 3 runs")
    shown = prose(invoke("show", "border-phone", "--countermeasure", "short_calls").stdout)
    assert "Shown with “Short calls”: every figure below includes this change." in shown
    told = invoke("trace", "border-phone", "--days", "10", "--countermeasure", "short_calls")
    assert prose(told.stdout).startswith("The phone by the border, with “Short calls”: one run")


JARGON_COMMANDS = [
    ["show", "border-phone"],
    ["show", "group-chat"],
    ["run", "border-phone", "--runs", "20"],
    ["run", "group-chat", "--runs", "20"],
    ["compare", "border-phone", "--runs", "20"],
    ["compare", "group-chat", "--runs", "20"],
    ["trace", "border-phone"],
    ["trace", "group-chat"],
    ["seize", "border-phone", "--person", "reporting_partner"],
    ["seize", "group-chat", "--person", "organiser"],
]


@pytest.mark.parametrize("args", JARGON_COMMANDS)
def test_learner_output_has_no_internal_names_or_formulas(args):
    """What a room reads has no dotted keys (outside a command to type), no formulas, no
    multiplier next to an internal name, and no doubled article."""
    text = prose(invoke(*args).stdout)
    outside_commands = re.sub(r"`[^`]*`", "", text)
    assert not re.search(r"\b[a-z_]+\.[a-z_]+\.[a-z_0-9]+\b", outside_commands), args
    assert "e^" not in text and "e^(" not in text
    assert not re.search(r"\b[a-z]+_[a-z_]+ ×", text)
    assert not re.search(r"×\s?[0-9.]+,? [a-z]+_[a-z]+", text)
    assert not re.search(r"\b(the|a|an) (the|a|an)\b", text, re.IGNORECASE), args


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("run-border-phone.txt", ["run", "border-phone", "--runs", "40"]),
        ("run-group-chat.txt", ["run", "group-chat", "--runs", "40"]),
        ("compare-border-phone.txt", ["compare", "border-phone", "--runs", "40"]),
        ("compare-group-chat.txt", ["compare", "group-chat", "--runs", "40"]),
        ("trace-border-phone.txt", ["trace", "border-phone"]),
        ("seize-border-phone.txt", ["seize", "border-phone", "--person", "reporting_partner"]),
        ("seize-group-chat.txt", ["seize", "group-chat", "--person", "organiser"]),
    ],
)
def test_what_a_room_reads_at_80_columns(name, args):
    """Golden pages of the commands a trainer projects, at the 80 columns they are laid out for."""
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    golden(f"80-{name}", result.stdout)


def test_version_answers_without_loading_the_command_line():
    """`exposure --version` says what the full command line says, without importing it."""
    fast = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.argv = ['exposure', '--version']; "
            "from simulator.entry import run; run()",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert fast.returncode == 0 and fast.stderr == ""
    assert fast.stdout == _click_version()
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.argv = ['exposure', '--version']\n"
            "from simulator import entry\n"
            "try:\n    entry.run()\nexcept SystemExit:\n    pass\n"
            "print('simulator.cli' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.stdout.strip().endswith("False")


def _click_version() -> str:
    from click.testing import CliRunner

    return CliRunner().invoke(cli_module.cli, ["--version"]).output


SMALL_CASCADE = [
    "run",
    "reference-cascade",
    "--people",
    "100000",
    "--runs",
    "9",
    "--days",
    "30",
    "--format",
    "json",
]


def test_workers_auto_is_the_default_and_gives_the_same_json_as_one(monkeypatch):
    """`auto` starts one worker per core for work worth it (made so here: two cores, any work
    worth it), and the JSON is the same bytes as one process's."""
    from simulator import budget, runner

    monkeypatch.setattr(budget, "usable_cores", lambda: 2)
    monkeypatch.setattr(budget, "WORTH_PEOPLE_DAYS", 0.0)
    started: list[int] = []
    real = runner._on_processes

    def spy(workers, pieces, report):
        started.append(workers)
        return real(workers, pieces, report)

    monkeypatch.setattr(runner, "_on_processes", spy)
    default = invoke(*SMALL_CASCADE)
    auto = invoke(*SMALL_CASCADE, "--workers", "AUTO")
    assert started == [2, 2]
    one = invoke(*SMALL_CASCADE, "--workers", "1")
    assert started == [2, 2]
    assert default.exit_code == auto.exit_code == one.exit_code == 0
    assert _without_timing(default.output) == _without_timing(one.output)
    assert _without_timing(auto.output) == _without_timing(one.output)


def test_workers_auto_uses_one_process_for_small_work(monkeypatch):
    from simulator import budget, runner

    monkeypatch.setattr(budget, "usable_cores", lambda: 2)

    def never(*args):
        raise AssertionError("workers started for small work")

    monkeypatch.setattr(runner, "_on_processes", never)
    assert (
        invoke(*SMALL_CASCADE).exit_code == 0
    )  # 1.5e7 person-days in 3 batches, below WORTH_PEOPLE_DAYS


def test_workers_auto_takes_cores_pieces_and_memory_into_account(monkeypatch):
    from simulator import budget
    from simulator.scenario import load

    scenario = load("border-phone").scenario
    runs, size = 400, 100  # four batches
    monkeypatch.setattr(budget, "usable_cores", lambda: 16)
    with budget.limits(memory=64 * 1024**3, seconds=None):  # whatever this machine has free
        assert budget.auto_workers([scenario], 1000, 10, size) == budget.MAX_AUTO_WORKERS
        assert budget.auto_workers([scenario], runs, 4, size) == 4  # one per piece
        assert budget.auto_workers([scenario], runs, 2, size) == 2
        assert budget.auto_workers([scenario], 1, 1, size) == 1  # one piece: one process
        monkeypatch.setattr(budget, "usable_cores", lambda: 1)
        assert budget.auto_workers([scenario], runs, 4, size) == 1
    monkeypatch.setattr(budget, "usable_cores", lambda: 8)
    # Room for two workers' batches and processes, not three: auto takes two (never refuses).
    two, summaries, _ = budget.estimate_variants([scenario], runs, 2, size)
    with budget.limits(memory=two + summaries + 2 * budget.WORKER_BYTES, seconds=None):
        assert budget.auto_workers([scenario], runs, 4, size) == 2
    one, summaries, _ = budget.estimate_variants([scenario], runs, 1, size)
    with budget.limits(memory=one + summaries, seconds=None):
        assert budget.auto_workers([scenario], runs, 4, size) == 1


def test_workers_refuses_what_is_neither_a_number_nor_auto():
    result = invoke("run", "border-phone", "--workers", "autom")
    assert result.exit_code == 2
    assert "expected a whole number in digits 0-9, or auto (got 'autom')" in result.stderr


def test_workers_auto_waits_for_more_work_where_workers_are_spawned(monkeypatch):
    """A spawned worker imports Exposure again: auto starts one only for work of seconds."""
    import multiprocessing

    from simulator import budget
    from simulator.scenario import load

    scenario = load("border-phone").scenario  # 200 runs: 2.2e8 person-days
    monkeypatch.setattr(budget, "usable_cores", lambda: 2)
    with budget.limits(memory=64 * 1024**3, seconds=None):
        monkeypatch.setattr(multiprocessing, "get_start_method", lambda *a, **k: "fork")
        assert budget.auto_workers([scenario], 200, 2, 133) == 2
        monkeypatch.setattr(multiprocessing, "get_start_method", lambda *a, **k: "spawn")
        assert budget.auto_workers([scenario], 200, 2, 133) == 1
        assert budget.auto_workers([scenario], 2000, 2, 133) == 2  # 2.2e9 person-days
