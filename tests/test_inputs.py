"""Inputs beside the scenario are held to the scenario's standard: one line, exit 2, never a
traceback or a hang. The corpus in tests/hostile-inputs/ holds saved exercises, passphrase files
and command lines; hypothesis searches the --set, --vary and --person grammars."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.analysis.sweep import Sweeper, parse_vary
from simulator.cli import cli
from simulator.errors import ExposureError
from simulator.personas import person_named
from simulator.population import build
from simulator.scenario import bundled_dir, load
from simulator.seal import Passphrase, ScryptParams, seal
from simulator.streams import Streams

CORPUS = Path(__file__).parent / "hostile-inputs"
FAST = ScryptParams(log2_n=10, r=8, p=1)
SECRET = "the corpus passphrase"


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def refused_in_one_line(result) -> str:
    """The one line a refusal printed (exit code 2, no traceback)."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert len(lines[0]) <= 1001
    return lines[0]


def _flag_lines() -> list[str]:
    text = (CORPUS / "flags.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("line", _flag_lines(), ids=lambda line: line[:60])
def test_hostile_flags_are_refused_in_one_line(line):
    started = time.monotonic()
    refused_in_one_line(invoke(*shlex.split(line)))
    assert time.monotonic() - started < 5


EXERCISE_EXPECTED = {
    "bidi-spec": "border\\u202ephone: no bundled scenario or file by this name",
    "bool-choice": "`choices` must be a list of choice numbers from 1",
    "broken": "broken JSON",
    "choice-off-menu": "is not on the menu",
    "deep-in-string-then-deep": "nested deeper than 8 levels",
    "deep-nesting": "nested deeper than 8 levels",
    "empty": "broken JSON",
    "future-version": "saved by another version",
    "huge-int-choice": "a number of 30 digits",
    "huge-int-seed": "a number of 5000 digits",
    "latin1": "not UTF-8 text",
    "list-top": 'no "format": "exposure-exercise"',
    "nan-seed": "NaN is not a number JSON allows",
    "negative-seed": "`seed` must be a whole number from 0",
    "other-sha": "was saved for another version",
    "scenario-not-text": "`scenario` needs `spec`, `name` and `sha256` as text",
    "too-many-choices": "500 choices for",
    "wrong-format": 'no "format": "exposure-exercise"',
    "zero-choice": "`choices` must be a list of choice numbers from 1",
}


def test_the_exercise_corpus_is_all_expected():
    assert sorted(p.stem for p in (CORPUS / "exercises").iterdir()) == sorted(EXERCISE_EXPECTED)


@pytest.mark.parametrize("name", sorted(EXERCISE_EXPECTED))
def test_hostile_saved_exercises_are_refused(name, tmp_path):
    # The corpus names the bundled scenario's hash by a placeholder, so that editing the scenario
    # does not turn every file into "saved for another version".
    raw = (CORPUS / "exercises" / f"{name}.json").read_bytes()
    digest = hashlib.sha256((bundled_dir() / "border-phone.yaml").read_bytes()).hexdigest()
    saved = tmp_path / f"{name}.json"
    saved.write_bytes(raw.replace(b"@sha256-of-border-phone", digest.encode()))
    line = refused_in_one_line(invoke("exercise", "--resume", str(saved)))
    assert EXERCISE_EXPECTED[name] in line


PASSPHRASE_EXPECTED = {
    "empty": "the passphrase file is empty",
    "huge": "a passphrase file holds one line",
    "latin1": "the passphrase file is not UTF-8 text",
    "nul": "wrong passphrase",
    "only-newline": "the passphrase file is empty",
    "utf16": "the passphrase file is not UTF-8 text",
}


@pytest.fixture
def sealed_scenario(tmp_path) -> Path:
    path = tmp_path / "town.yaml.sealed"
    text = b"name: town\n"
    path.write_bytes(seal(text, Passphrase(text=SECRET), FAST))
    return path


def test_the_passphrase_corpus_is_all_expected():
    assert sorted(p.name for p in (CORPUS / "passphrases").iterdir()) == sorted(PASSPHRASE_EXPECTED)


@pytest.mark.parametrize("name", sorted(PASSPHRASE_EXPECTED))
@pytest.mark.parametrize("command", ["show", "trace", "tap", "seize", "unseal"])
def test_hostile_passphrase_files_are_refused(sealed_scenario, name, command):
    extra = {"seize": ["--person", "x"], "unseal": ["-o", "-"]}.get(command, [])
    line = refused_in_one_line(
        invoke(
            command,
            str(sealed_scenario),
            *extra,
            "--passphrase-file",
            str(CORPUS / "passphrases" / name),
        )
    )
    assert PASSPHRASE_EXPECTED[name] in line


def test_a_passphrase_variable_that_is_not_utf8_is_refused(sealed_scenario):
    # The system hands Python bytes that are not UTF-8 as lone surrogates.
    env = {"EXPOSURE_PASSPHRASE": os.fsdecode(b"caf\xe9")}
    line = refused_in_one_line(invoke("unseal", str(sealed_scenario), "-o", "-", env=env))
    assert "EXPOSURE_PASSPHRASE: the passphrase is not UTF-8 text" in line


@pytest.mark.parametrize("role", ["scenario", "passphrase", "exercise"])
def test_fifos_are_refused_up_front_without_blocking(tmp_path, role, sealed_scenario):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    args = {
        "scenario": ["show", str(fifo)],
        "passphrase": ["show", "border-phone", "--passphrase-file", str(fifo)],
        "exercise": ["exercise", "--resume", str(fifo)],
    }[role]
    started = time.monotonic()
    line = refused_in_one_line(invoke(*args))
    assert "is not a regular file" in line
    assert time.monotonic() - started < 5


def test_a_sealed_scenario_does_not_go_to_a_cluster_in_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPOSURE_PASSPHRASE", SECRET)
    text = Path(__file__).parent.parent / "scenarios" / "reference-cascade.yaml"
    sealed = tmp_path / "ref.yaml.sealed"
    sealed.write_bytes(seal(text.read_bytes(), Passphrase(text=SECRET), FAST))
    args = ["sweep", str(sealed), "--runs", "2", "--vary", "adversary.unlock=0.1:0.9:2"]
    # A port nobody listens on: were the scenario let through, the refusal would be "cannot
    # connect", not this.
    line = refused_in_one_line(invoke(*args, "--scheduler", "tcp://127.0.0.1:9"))
    assert "is sealed, and a Dask cluster receives the scenario's text in clear" in line
    assert "--allow-network-plaintext" in line


def test_an_unreachable_scheduler_is_one_line_and_bounded(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("simulator.runner.CONNECT_SECONDS", 1)
    args = ["sweep", "reference-cascade", "--runs", "2", "--people", "1000", "--days", "5"]
    started = time.monotonic()
    line = refused_in_one_line(
        invoke(*args, "--vary", "adversary.unlock=0.1:0.9:2", "--scheduler", "tcp://127.0.0.1:9")
    )
    assert line.startswith("--scheduler tcp://127.0.0.1:9: cannot connect (")
    assert time.monotonic() - started < 10


# --- the grammars, searched ------------------------------------------------------------------

GRAMMAR = settings(
    max_examples=int(os.environ.get("EXPOSURE_FUZZ_EXAMPLES", "60")),
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize="EXPOSURE_FUZZ_EXAMPLES" not in os.environ,
)
# Digits of every script, and the look-alikes: what str.isdigit() accepts and int() may not.
DIGITS = st.text(
    alphabet=st.sampled_from("0123456789²³¹٣١۵߁०০੦૦୦௦౦೦൦๐໐༠၀႐០᠐᥆᧐᪀᭐᮰᱀᱐꘠꣐꤀꧐꩐꯰０𝟎𝟘🯰"),
    min_size=1,
    max_size=6,
)
PARTS = st.one_of(
    st.sampled_from(["days", "runs", "adversary", "unlock", "contacts", "ties", "each", "0"]),
    DIGITS,
    st.integers(0, 10**30).map(str),
    st.text(max_size=8),
)
KEYS = st.lists(PARTS, min_size=1, max_size=4).map(".".join)
NUMBERS = st.one_of(DIGITS, st.floats().map(repr), st.integers().map(str), st.text(max_size=6))


@pytest.fixture(scope="module")
def reference():
    return load("reference-cascade", people=500)


@GRAMMAR
@given(KEYS, NUMBERS)
def test_set_grammar(key, value):
    try:
        load("reference-cascade", overrides=[f"{key}={value}"], people=500)
    except ExposureError as exc:
        assert all("\n" not in line for line in exc.lines())


@GRAMMAR
@given(KEYS, NUMBERS, NUMBERS, st.one_of(st.none(), NUMBERS))
def test_vary_grammar(reference, key, low, high, steps):
    sweeper = Sweeper(reference, runs=2, seed=1, workers=1)
    text = f"{key}={low}:{high}" + ("" if steps is None else f":{steps}")
    try:
        parse_vary(text, sweeper)
    except ExposureError as exc:
        assert all("\n" not in line for line in exc.lines())


@pytest.fixture(scope="module")
def town():
    loaded = load("group-chat")
    return loaded.scenario, build(
        loaded.scenario, 1, Streams(np.random.SeedSequence(1))("population")
    )


@GRAMMAR
@given(
    st.one_of(st.sampled_from(["organiser", "member", "resident"]), st.text(max_size=8)), NUMBERS
)
def test_person_grammar(town, role, number):
    scenario, pop = town
    try:
        person_named(scenario, pop, f"{role}:{number}")
    except ExposureError as exc:
        assert all("\n" not in line for line in exc.lines())


def test_a_scheduler_that_accepts_and_never_answers_is_bounded(monkeypatch):
    pytest.importorskip("distributed")
    import socket

    monkeypatch.setattr("simulator.runner.CONNECT_SECONDS", 1)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepts connections into its backlog, and never says a word
    port = silent.getsockname()[1]
    args = ["sweep", "reference-cascade", "--runs", "2", "--people", "1000", "--days", "5"]
    started = time.monotonic()
    try:
        line = refused_in_one_line(
            invoke(
                *args,
                "--vary",
                "adversary.unlock=0.1:0.9:2",
                "--scheduler",
                f"tcp://127.0.0.1:{port}",
            )
        )
    finally:
        silent.close()
    assert line.startswith(f"--scheduler tcp://127.0.0.1:{port}: cannot connect (")
    assert time.monotonic() - started < 10


def test_a_sealed_scenario_is_not_checked_on_a_cluster_in_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPOSURE_PASSPHRASE", SECRET)
    text = Path(__file__).parent.parent / "scenarios" / "group-chat.yaml"
    sealed = tmp_path / "chat.yaml.sealed"
    sealed.write_bytes(seal(text.read_bytes(), Passphrase(text=SECRET), FAST))
    args = ["validate", "--robust", str(sealed), "--runs", "2", "--sets", "1"]
    result = invoke(*args, "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2
    assert "is sealed, and a Dask cluster receives the scenario's text in clear" in result.output
    assert "--allow-network-plaintext" in result.output


@pytest.mark.parametrize("people", ["1", "5", "99"])
def test_a_town_smaller_than_one_unit_is_refused_with_the_smallest_size(people):
    """--people below one unit's size used to give a whole unit (about 101 people) in silence."""
    line = refused_in_one_line(invoke("run", "border-phone", "--runs", "2", "--people", people))
    assert line == (
        f"--people {people}: fewer people than one inminban holds (about 100); "
        "use --people 100 or more"
    )
    result = invoke("run", "border-phone", "--runs", "2", "--days", "5", "--people", "100")
    assert result.exit_code == 0, result.output


def _exposure(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """The command line as a real process, given up (and the test failed) after `timeout`."""
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(root)},
    )


SWEEP_SMALL = [
    "sweep",
    "reference-cascade",
    "--runs",
    "2",
    "--people",
    "1000",
    "--days",
    "5",
    "--vary",
    "adversary.unlock=0.1:0.9:2",
]


def test_a_silent_port_is_given_up_within_the_connection_time_in_a_real_process():
    pytest.importorskip("distributed")
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepts into its backlog and never says a word
    port = silent.getsockname()[1]
    started = time.monotonic()
    try:
        done = _exposure(*SWEEP_SMALL, "--scheduler", f"tcp://127.0.0.1:{port}", timeout=60)
    finally:
        silent.close()
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"--scheduler tcp://127.0.0.1:{port}: cannot connect (")
    assert time.monotonic() - started < 30  # CONNECT_SECONDS is 10


def test_a_batch_the_cluster_never_returns_is_given_up_after_batch_timeout():
    """A scheduler without workers takes the jobs and never answers: before --batch-timeout the
    command waited forever."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=0, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        started = time.monotonic()
        done = _exposure(*SWEEP_SMALL, "--scheduler", address, "--batch-timeout", "2s", timeout=60)
        took = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"--scheduler {address}: the cluster returned no batch within 2 seconds: it may have no "
        "workers, or be too busy; allow longer with --batch-timeout, or run without --scheduler\n"
    )
    assert took < 30


def test_batch_timeout_is_a_bounded_duration():
    line = refused_in_one_line(invoke(*SWEEP_SMALL, "--batch-timeout", "forever"))
    assert "--batch-timeout" in line and "expected a duration" in line
