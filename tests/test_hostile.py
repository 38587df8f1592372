"""Hostile input: each file in tests/hostile/ is refused in one clean line, fast, in little memory.

The files are small; each changes one thing in the reference-cascade scenario (or is a bomb or a
broken file of its own). The 100 MB string and the sealed hostile files are made on the fly.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator import seal as sealing
from simulator.cli import cli
from simulator.errors import ExposureError
from simulator.scenario import bundled_dir, load
from simulator.seal import MAGIC, Passphrase, ScryptParams, seal

HOSTILE = Path(__file__).parent / "hostile"
# What each hostile file must be refused for (a piece of its one-line message).
EXPECTED = {
    "absurd-runs": "this would take about",
    "alias-bomb": "expands to more than",
    "alias-bomb-mapping": "expands to more than",
    "ansi-escape": "title: contains the control character U+001B",
    "bad-date": "invalid YAML: month must be in 1..12",
    "bidi-override": "title: contains the control character U+202E",
    "rlm-mark": "title: contains the control character U+200F",
    "arabic-letter-mark": "title: contains the control character U+061C",
    "line-separator": "title: contains the control character U+2028",
    "bom-inside": "title: contains the invisible character U+FEFF",
    "zero-width-space": "title: contains the invisible character U+200B",
    "bidi-isolate": "title: contains the control character U+2067",
    "binary": "is a binary file",
    "binary-tag": "YAML tags are not allowed",
    "carriage-return": "title: contains the control character U+000D",
    "complex-key": "keys must be text",
    "confusable-name": r"(got 'd\u0430ily_life')",
    "confusable-reference": r"contacts.random.channel: names use lower-case letters",
    "control-in-key": (
        "control character U+001B, which can change what a terminal or report shows in a key"
    ),
    "deep-block": "nesting is deeper than 48 levels",
    "deep-flow": "nesting is deeper than 48 levels",
    "deep-flow-mapping": "nesting is deeper than 48 levels",
    "duplicate-key": 'found duplicate key "days"',
    "empty": "is empty",
    "huge-float": "must be a finite number (got inf)",
    "huge-int": "exceeds the limit (4300 digits)",
    "huge-population": "this needs about",
    "infinity": "adversary.threshold: must be a finite number (got inf)",
    "int-key": "keys must be text (got 1)",
    "latin1": "is not UTF-8 text",
    "list-top": "a scenario is a mapping",
    "local-tag": "YAML tags are not allowed in scenarios (got '!days')",
    "long-key": "invalid YAML",
    "many-items": "has more than 3,000 lines and list items",
    "many-lines": "has more than 3,000 lines and list items",
    "merge-key": "observers.police.bad_key: unknown key",
    "nan": "must be a finite number (got nan)",
    "negative-days": "days: must be at least 1 (got -1)",
    "negative-household": "population.household_size: must be at least 1 (got -4)",
    "negative-infinity": "days: expected a whole number (got -inf)",
    "negative-role-count": "population.roles.source: must not be negative (got -1)",
    "negative-runs": "runs: must be at least 1 (got -3)",
    "negative-units": "population.units: must be at least 1 (got -400)",
    "nul-escape": "title: contains the control character U+0000",
    "null-key": "keys must be text (got None)",
    "python-name": "YAML tags are not allowed",
    "python-object-apply": "YAML tags are not allowed",
    "python-object-new": "YAML tags are not allowed",
    "scalar-top": "a scenario is a mapping",
    "self-alias": "learning_objectives",
    "set-tag": "unsupported YAML value",
    "tag-directive": "YAML tags are not allowed",
    "two-documents": "invalid YAML: but found another document",
    "utf16": "is a binary file",
}
# Generous for a slow machine; measured here they take 0.01 to 0.3 s.
SECONDS = 1.0
PEAK_BYTES = 64 * 1024**2


def refuse(*args: str, cwd: Path | None = None) -> tuple[str, float]:
    """Run the CLI, which must exit 2 with exactly one line on stderr; returns it and the time."""
    started = time.perf_counter()
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    elapsed = time.perf_counter() - started
    assert result.exit_code == 2, (args, result.exit_code, result.stderr)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), result.stderr
    assert all(c == "\n" or c.isprintable() for c in result.stderr), repr(result.stderr)
    return result.stderr.strip(), elapsed


def test_the_corpus_is_complete():
    assert sorted(p.stem for p in HOSTILE.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_is_refused_cleanly(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a file that ran code would leave pwned.txt here
    path = HOSTILE / f"{name}.yaml"
    line, elapsed = refuse("run", str(path))
    assert EXPECTED[name] in line, line
    assert elapsed < SECONDS, f"{name} took {elapsed:.2f} s"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_needs_little_memory(name):
    tracemalloc.start()
    try:
        load(str(HOSTILE / f"{name}.yaml"))
    except ExposureError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"{name} peaked at {peak / 1024**2:.0f} MiB"


def test_a_100_mb_string_is_refused_by_size_before_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.write(b"name: huge\ncontext: ")
        block = b"a" * (1024 * 1024)
        for _ in range(100):
            handle.write(block)
        handle.write(b"\n")
    tracemalloc.start()
    line, elapsed = refuse("run", str(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert line == f"{path}: is larger than 1 MiB; scenario files are small text files"
    assert elapsed < SECONDS and peak < 16 * 1024**2


def test_sealed_hostile_files(tmp_path, monkeypatch):
    """Sealing does not smuggle anything past the checks, and hostile headers cost nothing."""
    monkeypatch.setenv("EXPOSURE_PASSPHRASE", "hostile corpus")
    fast = ScryptParams(log2_n=10)
    bomb = tmp_path / "bomb.yaml.sealed"
    bomb.write_bytes(
        seal((HOSTILE / "alias-bomb.yaml").read_bytes(), Passphrase(text="hostile corpus"), fast)
    )
    line, elapsed = refuse("run", str(bomb))
    assert "expands to more than" in line and elapsed < SECONDS
    tags = tmp_path / "tags.yaml.sealed"
    tags.write_bytes(
        seal(
            (HOSTILE / "python-object-apply.yaml").read_bytes(),
            Passphrase(text="hostile corpus"),
            fast,
        )
    )
    assert "YAML tags are not allowed" in refuse("run", str(tags))[0]
    greedy = bytearray(bomb.read_bytes())
    greedy[len(MAGIC) + 1] = 40  # scrypt N = 2**40: terabytes, if it were believed
    (tmp_path / "greedy.yaml.sealed").write_bytes(bytes(greedy))
    line, elapsed = refuse("run", str(tmp_path / "greedy.yaml.sealed"))
    assert "refuses: scrypt N = 2**40" in line and elapsed < 0.2
    future = bytearray(bomb.read_bytes())
    future[len(MAGIC)] = 9
    (tmp_path / "future.yaml.sealed").write_bytes(bytes(future))
    assert "format version 9" in refuse("run", str(tmp_path / "future.yaml.sealed"))[0]
    (tmp_path / "cut.yaml.sealed").write_bytes(MAGIC + b"\x01\x0a")
    assert "is cut short" in refuse("validate", str(tmp_path / "cut.yaml.sealed"))[0]
    (tmp_path / "huge.yaml.sealed").write_bytes(
        seal(b"a" * (2 * 1024 * 1024), Passphrase(text="hostile corpus"), fast)
    )
    assert "is larger than 1 MiB" in refuse("run", str(tmp_path / "huge.yaml.sealed"))[0]


@pytest.mark.parametrize(
    "expr,expected",
    [
        ("days=" + "[" * 5000, "days: expected a whole number"),
        ("days=" + "9" * 5000, "days: expected a whole number"),
        ("days=.nan", "days: expected a whole number"),
        ("activities.daily_life.per_day=.inf", "must be a finite number"),
        ("days=!!python/object/apply:os.system [id]", "days: expected a whole number"),
        ("population.units=-1", "must be at least 1"),
        ("a" + ".a" * 5000 + "=1", "no such key in a scenario"),
        (
            "activities.d\u0430ily_life.per_day=0.1",
            "the scenario has no `activities.d\u0430ily_life`",
        ),
        ("days=&a [*a]", "days: expected a whole number"),
    ],
)
def test_hostile_set_expressions(expr, expected):
    line, elapsed = refuse("run", "reference-cascade", "--set", expr)
    assert expected in line and elapsed < SECONDS


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--people", str(10**12)], "--people"),
        (["--runs", "10000000"], "--runs"),
        (["--max-memory", "1M"], "but the limit (--max-memory) is 1 MiB"),
        (["--runs", "1000", "--max-time", "10s"], "more than the limit of 10 seconds; try --runs"),
        (["--max-memory", "lots"], "expected a size such as 2G or 512M"),
        (["--max-time", "-3h"], "expected a duration such as 30m"),
    ],
)
def test_absurd_requests_are_refused_with_smaller_values(args, expected):
    line, elapsed = refuse("run", "reference-cascade", *args)
    assert expected in line and elapsed < SECONDS
    if "try" in line:
        assert "--people" in line or "--runs" in line


def test_limits_can_be_raised(monkeypatch):
    args = ["run", "reference-cascade", "--people", "2000", "--runs", "2", "--days", "20"]
    assert CliRunner().invoke(cli, [*args, "--max-memory", "2G", "--max-time", "2d"]).exit_code == 0
    slow = CliRunner().invoke(
        cli, ["run", "reference-cascade", "--runs", "100000", "--max-time", "1s"]
    )
    assert slow.exit_code == 2
    # A long job is allowed with a warning that says how to make it quicker (stopped before it
    # starts).
    monkeypatch.setattr(
        "simulator.runner.simulate_runs", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt)
    )
    warned = CliRunner().invoke(
        cli, ["run", "reference-cascade", "--runs", "5000", "--max-time", "30d"]
    )
    assert warned.exit_code == 130
    assert "This may take about" in warned.stderr and "would be quicker" in warned.stderr


def test_scenario_text_is_never_taken_as_markup(tmp_path):
    text = (bundled_dir() / "reference-cascade.yaml").read_text()
    path = tmp_path / "markup.yaml"
    path.write_text(
        text.replace(
            "title: Reference cascade",
            'title: "Town [/x] and [bold]b[/bold] [link=http://x]y[/link]"',
        )
    )
    result = CliRunner().invoke(
        cli, ["run", str(path), "--people", "2000", "--runs", "2", "--days", "20"]
    )
    assert result.exit_code == 0, result.stderr
    assert "Town [/x] and [bold]b[/bold] [link=http://x]y[/link]" in result.stdout


def test_sealing_parameters_are_bounded_by_default():
    assert sealing.DEFAULT_PARAMS.memory <= sealing.MAX_MEMORY


def test_joiners_that_scripts_need_are_kept(tmp_path):
    """Persian and Indic spelling needs the zero-width (non-)joiners: they are not refused."""
    text = (HOSTILE / "bidi-override.yaml").read_text(encoding="utf-8")
    path = tmp_path / "persian.yaml"
    path.write_text(
        text.replace(
            '"Reference \\u202Eedacsac"',
            '"\\u0645\\u06CC\\u200C\\u062E\\u0648\\u0627\\u0645 \\u200D"',
        ),
        encoding="utf-8",
    )
    assert load(str(path)).scenario.title.startswith("\u0645\u06cc\u200c")
