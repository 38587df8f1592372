"""Pins: the same seed gives the same bytes, command by command, through any change of the code.

Each pin is the whole output of one command on a bundled scenario at a small size, compared with
its file under tests/golden/pins/. A change of layout inside the program must leave every pin as it
is; a change of behaviour that is meant shows up here and is refreshed on purpose with
EXPOSURE_REFRESH_GOLDEN=1 python3 -m pytest tests/test_pins.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import golden

from simulator import __version__
from simulator.cli import cli

# (pin, command line, scripted stdin); FILE stands for a file the command writes and the pin keeps.
PINS: list[tuple[str, list[str], str | None]] = [
    ("run-border-phone.json", ["run", "border-phone", "--runs", "40", "--format", "json"], None),
    (
        "run-overnight-guest.txt",
        [
            "run",
            "overnight-guest",
            "--runs",
            "30",
            "--seed",
            "5",
            "--countermeasure",
            "register_stays",
        ],
        None,
    ),
    (
        "run-informant-state.csv",
        ["run", "informant-state", "--runs", "20", "--format", "csv"],
        None,
    ),
    (
        "compare-border-phone.json",
        ["compare", "border-phone", "--runs", "30", "--format", "json"],
        None,
    ),
    (
        "compare-overnight-guest-budget.txt",
        ["compare", "overnight-guest", "--runs", "20", "--combinations", "--budget", "4"],
        None,
    ),
    (
        "sweep-border-phone.json",
        [
            "sweep",
            "border-phone",
            "--runs",
            "12",
            "--vary",
            "activities.call_abroad.minutes=1:5:3",
            "--vary",
            "adversary.unlock=0.2:0.8:2",
            "--format",
            "json",
        ],
        None,
    ),
    (
        "sweep-border-phone.svg",
        [
            "sweep",
            "border-phone",
            "--runs",
            "12",
            "--vary",
            "activities.call_abroad.minutes=1:5:3",
            "--plot",
            "FILE",
        ],
        None,
    ),
    (
        "sobol-overnight-guest.json",
        [
            "sweep",
            "overnight-guest",
            "--method",
            "sobol",
            "--samples",
            "4",
            "--runs",
            "6",
            "--vary",
            "activities.stay_overnight.per_month=0.5:2",
            "--vary",
            "adversary.unlock=0.2:0.9",
            "--format",
            "json",
        ],
        None,
    ),
    ("trace-border-phone.json", ["trace", "border-phone", "--seed", "3", "--format", "json"], None),
    ("trace-group-chat.txt", ["trace", "group-chat", "--seed", "2"], None),
    (
        "exercise-overnight-guest.txt",
        ["exercise", "overnight-guest", "--seed", "4", "--runs", "6", "--facilitator"],
        "2\n1\n3\n2\n1\n" * 4,
    ),
    (
        "exercise-border-phone.txt",
        ["exercise", "border-phone", "--seed", "3", "--runs", "4"],
        "1\n" * 20,
    ),
    ("tap-group-chat.json", ["tap", "group-chat", "--days", "10", "--format", "json"], None),
    (
        "seize-group-chat.json",
        [
            "seize",
            "group-chat",
            "--person",
            "organiser",
            "--countermeasure",
            "disappearing_messages",
            "--format",
            "json",
        ],
        None,
    ),
    ("objectives-overnight-guest.txt", ["validate", "--check-objectives", "overnight-guest"], None),
    (
        "report-border-phone.html",
        ["report", "border-phone", "--runs", "12", "--seed", "2", "-o", "FILE"],
        None,
    ),
]


def _stable(text: str) -> str:
    """Leave out what changes for reasons of its own: timings, version, paths and file hashes."""
    text = text.replace(__version__, "VERSION")
    text = re.sub(r'"(elapsed_s|people_days_per_s)": [0-9.e+-]+', r'"\1": 0', text)
    text = re.sub(r"/[^\s\"'<>]*/(FILE|tmp[^\s\"'<>]*)", "TMP", text)
    return re.sub(r"\b[0-9a-f]{64}\b", "SHA256", text)


@pytest.mark.parametrize(("pin", "args", "stdin"), PINS, ids=[p[0] for p in PINS])
def test_pinned_output_is_unchanged(
    pin: str, args: list[str], stdin: str | None, tmp_path: Path
) -> None:
    target = tmp_path / Path(pin).name
    command = [str(target) if a == "FILE" else a for a in args]
    result = CliRunner().invoke(cli, command, input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8") if "FILE" in args else result.stdout
    if pin.endswith(".json"):
        json.loads(text)  # a pin of JSON is valid JSON
    golden(f"pins/{pin}", _stable(text))
