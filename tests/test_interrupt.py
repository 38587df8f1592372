"""Ctrl-C: the command exits with 130 within a second, ends its workers and leaves no output file.

Each case starts `python -m simulator` on a job that takes far longer than the test, waits until
it is busy simulating (measured by the CPU time it and its workers have used, so a slow machine
only waits longer), sends SIGINT to the main process only, and times the exit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads /proc to follow processes"
)

LONG = ["reference-cascade", "--people", "200000", "--runs", "60"]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # fields from the state on


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def _interrupt(
    tmp_path: Path, args: list[str], busy_cpu_s: float, workers: int, name: str = "result.json"
) -> tuple[int, float, str, list[int]]:
    """Start a command, let it use `busy_cpu_s` of CPU, interrupt it; return what happened."""
    out = tmp_path / "out"
    out.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", *args, "-o", str(out / name)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        kids: list[int] = []
        while time.monotonic() < deadline:
            kids = _children(process.pid) if workers > 1 else []
            used = _cpu_seconds(process.pid) + sum(_cpu_seconds(k) for k in kids)
            if used >= busy_cpu_s and len(kids) >= (workers if workers > 1 else 0):
                break
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.02)
        else:
            pytest.fail("the command never got busy")
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=10)
        elapsed = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read() if process.stderr else ""
    assert list(out.iterdir()) == [], "an interrupted command left output behind"
    return code, elapsed, stderr, kids


@pytest.mark.parametrize("workers,busy", [(1, 1.5), (1, 3.0), (2, 1.5), (2, 3.0)])
def test_run_interrupted(tmp_path, workers, busy):
    code, elapsed, stderr, kids = _interrupt(
        tmp_path, ["run", *LONG, "--workers", str(workers)], busy, workers
    )
    assert code == 130, stderr
    assert elapsed < 1.0, f"took {elapsed:.2f} s to stop"
    assert stderr.strip().splitlines()[-1] == "interrupted"
    assert len(kids) == (workers if workers > 1 else 0)
    time.sleep(0.2)
    assert not [k for k in kids if _alive(k)], "worker processes outlived the command"


def test_compare_interrupted(tmp_path):
    code, elapsed, stderr, kids = _interrupt(tmp_path, ["compare", *LONG, "--workers", "2"], 2.0, 2)
    assert code == 130 and elapsed < 1.0, (code, elapsed, stderr)
    time.sleep(0.2)
    assert not [k for k in kids if _alive(k)]


def test_sweep_interrupted(tmp_path):
    args = ["sweep", *LONG, "--vary", "adversary.unlock=0.1:0.9:3", "--workers", "1"]
    code, elapsed, stderr, _ = _interrupt(tmp_path, args, 2.0, 1)
    assert code == 130 and elapsed < 1.0, (code, elapsed, stderr)


def test_report_interrupted(tmp_path):
    code, elapsed, stderr, _ = _interrupt(
        tmp_path, ["report", *LONG, "--workers", "1"], 2.0, 1, name="handout.html"
    )
    assert code == 130 and elapsed < 1.0, (code, elapsed, stderr)


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("the command never got there")
        time.sleep(0.002)


def _signal_and_time(process: subprocess.Popen, signum: int) -> tuple[int, float]:
    started = time.monotonic()
    process.send_signal(signum)
    code = process.wait(timeout=10)
    return code, time.monotonic() - started


@pytest.mark.parametrize(
    "signum,code,line",
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGHUP, 129, "hung up: the terminal was closed")],
)
def test_run_ended_by_signal(tmp_path, signum, code, line):
    out = tmp_path / "out"
    out.mkdir()
    args = ["run", *LONG, "--workers", "2", "-o", "out/r.json"]
    got, elapsed, stderr, kids = _signalled_when_busy(tmp_path, args, signum, cpu=1.0)
    assert got == code, stderr
    assert elapsed < 1.0, f"took {elapsed:.2f} s to stop"
    assert stderr.strip().splitlines()[-1] == line
    assert "Traceback" not in stderr
    assert list(out.iterdir()) == []
    time.sleep(0.2)
    assert not [k for k in kids if _alive(k)], "worker processes outlived the command"


def _signalled_when_busy(
    tmp_path, args: list[str], signum: int, cpu: float
) -> tuple[int, float, str, list[int]]:
    """Start a command, send it a signal once two workers have used `cpu` seconds between them,
    and return its exit code, how long it took to end, its standard error and its workers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    kids: list[int] = []
    try:

        def busy() -> bool:
            kids[:] = _children(process.pid)
            assert process.poll() is None
            return len(kids) >= 2 and sum(_cpu_seconds(k) for k in kids) > cpu

        _wait_for(busy)
        got, elapsed = _signal_and_time(process, signum)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read() if process.stderr else ""
    return got, elapsed, stderr, kids


SIMULATOR = [sys.executable, "-m", "simulator"]


@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_robust_check_ended_by_signal(tmp_path, signum, code):
    """The robust check keeps its workers from one simulation to the next (`kept_workers`):
    a signal ends them with the command all the same, whichever simulation it lands in."""
    # Past the first simulation (the claims at the file's values), on the same workers.
    args = ["validate", "--robust", "border-phone", "--workers", "2"]
    got, elapsed, stderr, kids = _signalled_when_busy(tmp_path, args, signum, cpu=6.0)
    assert got == code, stderr
    assert elapsed < 1.0, f"took {elapsed:.2f} s to stop"
    assert "Traceback" not in stderr
    time.sleep(0.2)
    assert not [k for k in kids if _alive(k)], "worker processes outlived the command"


def test_kept_workers_end_with_the_command(tmp_path):
    """Workers kept for a whole command end when it ends: none is left in its process group."""
    process = subprocess.Popen(
        [*SIMULATOR, "validate", "--check-objectives", "guest-list", "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
        start_new_session=True,
    )
    seen: set[int] = set()
    while process.poll() is None:
        seen.update(_children(process.pid))
        time.sleep(0.05)
    assert process.returncode == 0
    assert seen, "the command started no worker"
    left = [
        int(e.name)
        for e in Path("/proc").iterdir()
        if e.name.isdigit() and (f := _stat(int(e.name))) is not None and int(f[2]) == process.pid
    ]
    assert not [k for k in left if _alive(k)], "workers outlived the command"


def test_workers_die_with_a_killed_parent(tmp_path):
    """Even SIGKILL, which the parent cannot handle, leaves no worker running on its own."""
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "run", *LONG, "--workers", "2", "-o", "r.json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    kids: list[int] = []
    try:

        def started() -> bool:
            kids[:] = _children(process.pid)
            return len(kids) >= 2

        _wait_for(started)
    finally:
        process.kill()
        process.wait()
    deadline = time.monotonic() + 2.0
    while [k for k in kids if _alive(k)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [k for k in kids if _alive(k)], "workers outlived their killed parent"


def _big_sealed(tmp_path: Path, size: int) -> Path:
    from simulator.seal import Passphrase, ScryptParams, seal

    plain = os.urandom(size)
    sealed = tmp_path / "big.sealed"
    sealed.write_bytes(seal(plain, Passphrase(text="a test passphrase"), ScryptParams(10, 8, 1)))
    return sealed


@pytest.mark.parametrize("command", ["unseal", "seal"])
def test_signal_while_writing_leaves_no_part_file(tmp_path, command):
    """SIGTERM while the (decrypted) output is being written removes the temporary file."""
    source = _big_sealed(tmp_path, 80 * 1024**2) if command == "unseal" else tmp_path / "big.bin"
    if command == "seal":
        source.write_bytes(os.urandom(80 * 1024**2))
    env = {**os.environ, "EXPOSURE_PASSPHRASE": "a test passphrase"}
    # On a busy machine the write may finish before the signal lands: then the try is repeated
    # (it must have left the whole file, and nothing else).
    for attempt in range(4):
        out = tmp_path / f"out{attempt}"
        out.mkdir()
        process = subprocess.Popen(
            [sys.executable, "-m", "simulator", command, str(source), "-o", str(out / "result")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:

            def writing(out: Path = out, process: subprocess.Popen = process) -> bool:
                return any(p.suffix == ".part" for p in out.iterdir()) or process.poll() is not None

            _wait_for(writing)
            got, elapsed = _signal_and_time(process, signal.SIGTERM)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        stderr = process.stderr.read() if process.stderr else ""
        assert "Traceback" not in stderr
        if got == 0:
            assert [p.name for p in out.iterdir()] == ["result"]
            continue
        assert got == 143, stderr
        assert elapsed < 1.0, f"took {elapsed:.2f} s to stop"
        assert list(out.iterdir()) == [], "a signalled command left its temporary file"
        return
    pytest.fail("the write always finished before the signal")


def test_a_signal_at_any_moment_of_a_short_command_is_never_a_traceback(tmp_path):
    """Signals sent from start to finish of a short command, the end included: each try exits
    0 (finished first) or with the signal's code, never with a traceback or a temporary file."""
    args = ["run", "reference-cascade", "--people", "1000", "--runs", "2", "--format", "json"]
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "simulator", *args], capture_output=True, check=True)
    whole = time.monotonic() - started
    codes = set()
    for i, signum in enumerate([signal.SIGINT, signal.SIGTERM, signal.SIGHUP] * 2):
        out = tmp_path / f"try{i}"
        out.mkdir()
        process = subprocess.Popen(
            [sys.executable, "-m", "simulator", *args, "-o", str(out / "r.json")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(whole * (0.5 + 0.1 * i))  # from the middle to just after the end
        process.send_signal(signum)
        code = process.wait(timeout=10)
        stderr = process.stderr.read() if process.stderr else ""
        codes.add(code)
        # Ended by the handler (128 + n) or, as the interpreter shuts down, by the signal itself
        # (-n, which a shell also reports as 128 + n).
        assert code in (0, 128 + signum, -signum), (code, stderr)
        assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
        # Either no file, or the whole result: never a temporary file.
        names = [p.name for p in out.iterdir()]
        assert names in ([], ["r.json"]), names
        if names:
            json.loads((out / "r.json").read_text())
    assert codes - {0}, "no try was interrupted: the test did not test anything"


def test_an_error_raised_while_a_signal_unwinds_the_command_is_the_signal(monkeypatch, capsys):
    """A signal landing inside a compiled module's import surfaces as an ImportError; once a
    signal is being unwound, any error is its consequence: the signal's line and code, no
    'internal error'."""
    import click

    from simulator import cli as cli_module
    from simulator import interrupts

    @click.group()
    def group() -> None:
        """A group with one command that fails as an interrupted import does."""

    @group.command()
    def boom() -> None:
        raise ImportError("initialization failed")

    assert cli_module._run_guarded(group, ["boom"], "exposure") == 1
    assert "internal error: ImportError" in capsys.readouterr().err
    monkeypatch.setattr(interrupts, "_UNWINDING", [int(signal.SIGTERM)])
    assert cli_module._run_guarded(group, ["boom"], "exposure") == 128 + int(signal.SIGTERM)
    err = capsys.readouterr().err
    assert "internal error" not in err and err.strip()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_the_command_is_still_loading_ends_it_cleanly(signum):
    """Before the command's own policy is in place (`run` imports numpy and the engine, a few
    tenths of a second), a signal ends the process with the signal's code and no traceback."""
    # A signal that lands before the interpreter itself has started is the interpreter's to
    # handle, not ours: wait as long as a bare interpreter takes to start on this machine now
    # (which a loaded machine stretches), then signal while the command's modules load.
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    startup = time.perf_counter() - began
    # `list` and `show` load too little now to be caught loading: `run` loads the most.
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "run", "reference-cascade", "--runs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5 * startup)
    process.send_signal(signum)
    code = process.wait(timeout=10)
    stderr = process.stderr.read() if process.stderr else ""
    assert code in (0, 128 + signum), (code, stderr)
    assert "Traceback" not in stderr, stderr


def test_a_signal_landing_where_python_cannot_raise_ends_the_command_without_a_traceback():
    """A signal whose handler runs inside a callback that cannot raise (a weak reference's, as
    an import's locks have) would be printed as an ignored exception and forgotten: it ends the
    command within the grace period instead, with its line and code and no traceback."""
    script = """
import gc, signal, sys, time, weakref
from simulator.interrupts import end_promptly_on_signals

class Thing:
    pass

with end_promptly_on_signals(0.3, {int(signal.SIGTERM): "terminated"}):
    thing = Thing()
    ref = weakref.ref(thing, lambda _ref: signal.raise_signal(signal.SIGTERM))
    del thing
    gc.collect()
    time.sleep(5)
    print("carried on")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 128 + signal.SIGTERM, done
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.stderr.strip() == "terminated" and "carried on" not in done.stdout


def test_a_reader_that_stops_early_is_no_error():
    """`unseal -o - | head`: the reader took what it wanted and closed the pipe. The command
    ends quietly with 0, as when its whole output was read (click alone would end it with 1)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        sealed = _big_sealed(Path(folder), 4 * 1024**2)
        env = {**os.environ, "EXPOSURE_PASSPHRASE": "a test passphrase"}
        process = subprocess.Popen(
            [sys.executable, "-m", "simulator", "unseal", str(sealed), "-o", "-"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert process.stdout is not None and process.stderr is not None
        assert len(process.stdout.read(10)) == 10
        process.stdout.close()  # as `head -c 10` does
        code = process.wait(timeout=30)
        assert process.stderr.read() == b""
        assert code == 0
