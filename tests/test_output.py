"""The output contract: `-o -` is stdout, nothing is replaced without --force, a sealed file never
by plain text, FIFOs and character devices are written through, links and sockets refused, the
folder is checked before any work, --seal names its file .sealed, and one line says what was
written."""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import cli
from simulator.seal import Passphrase, ScryptParams, is_sealed, seal

FAST = ScryptParams(log2_n=10, r=8, p=1)
SECRET = "a passphrase for the output tests"
SMALL = ["--people", "1000", "--runs", "2", "--days", "10"]

# Every command that writes a result, with arguments that make it quick.
WRITERS = {
    "run": ["run", "reference-cascade", *SMALL],
    "compare": ["compare", "border-phone", *SMALL],
    "sweep": ["sweep", "reference-cascade", *SMALL, "--vary", "adversary.unlock=0.1:0.9:2"],
    "trace": ["trace", "border-phone", "--days", "10"],
    "tap": ["tap", "group-chat", "--days", "3"],
    "seize": ["seize", "group-chat", "--person", "organiser"],
    "gallery": ["gallery"],
}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EXPOSURE_PASSPHRASE", SECRET)
    monkeypatch.setattr("simulator.seal.DEFAULT_PARAMS", FAST)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_dash_is_stdout_for_every_command(tmp_path, command):
    result = invoke(*WRITERS[command], "-o", "-")
    assert result.exit_code == 0, result.stderr
    assert result.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["run", "trace", "tap", "gallery"])
def test_an_existing_file_needs_force(tmp_path, command):
    out = tmp_path / "out.txt"
    out.write_text("keep me\n")
    refused = invoke(*WRITERS[command], "-o", str(out))
    assert refused.exit_code == 2
    assert _one_line(refused) == f"{out}: already exists; add --force to overwrite it"
    assert out.read_text() == "keep me\n"
    forced = invoke(*WRITERS[command], "-o", str(out), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert _one_line(forced).startswith(f"wrote {out} (")
    assert out.read_text() != "keep me\n"


def test_a_sealed_file_is_never_replaced_by_plain_text(tmp_path):
    out = tmp_path / "result.json.sealed"
    sealed = seal(b"secret result", Passphrase(text=SECRET), FAST)
    out.write_bytes(sealed)
    for args in (
        [*WRITERS["run"], "-o", str(out), "--force"],
        ["unseal", str(out), "-o", str(out), "--force"],
    ):
        result = invoke(*args)
        assert result.exit_code == 2
        assert "is a sealed file; plain text never replaces one" in _one_line(result)
        assert out.read_bytes() == sealed
    # A sealed result may replace it, with --force.
    again = invoke(*WRITERS["run"], "--seal", "-o", str(out), "--force")
    assert again.exit_code == 0, again.stderr
    assert is_sealed(out.read_bytes()) and out.read_bytes() != sealed


def test_seal_names_its_file_sealed(tmp_path):
    result = invoke(*WRITERS["run"], "--format", "json", "--seal", "-o", "result.json")
    assert result.exit_code == 0, result.stderr
    assert _one_line(result).startswith("wrote result.json.sealed (sealed, ")
    assert [p.name for p in tmp_path.iterdir()] == ["result.json.sealed"]
    assert is_sealed((tmp_path / "result.json.sealed").read_bytes())
    to_stdout = invoke(*WRITERS["run"], "--seal", "-o", "-")
    assert to_stdout.exit_code == 2
    assert _one_line(to_stdout) == (
        "--seal: a sealed result is written to a file, not to standard output"
    )
    plain = tmp_path / "notes.txt"
    plain.write_text("notes\n")
    sealed = invoke("seal", str(plain), "-o", "archive")
    assert sealed.exit_code == 0
    assert _one_line(sealed).startswith("wrote archive.sealed (sealed, ")


def test_unseal_says_what_it_wrote_and_keeps_existing_files(tmp_path):
    plain = tmp_path / "notes.txt"
    plain.write_text("notes\n")
    assert invoke("seal", str(plain)).exit_code == 0
    refused = invoke("unseal", "notes.txt.sealed")
    assert refused.exit_code == 2
    assert _one_line(refused) == "notes.txt: already exists; add --force to overwrite it"
    plain.unlink()
    done = invoke("unseal", "notes.txt.sealed")
    assert done.exit_code == 0
    assert _one_line(done) == "wrote notes.txt (6 bytes)"
    assert plain.read_text() == "notes\n"


def _drain(path: Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open(path, "rb") as handle:
            into.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


def test_a_fifo_is_written_through_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _drain(fifo, got)
    result = invoke(*WRITERS["run"], "--format", "json", "-o", str(fifo))
    reader.join(timeout=10)
    assert result.exit_code == 0, result.stderr
    assert got and got[0].startswith(b"{")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_a_character_device_is_written_through_not_replaced(tmp_path):
    """A node of the null device made in tmp (the system's /dev is never touched)."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except (PermissionError, AttributeError, OSError):
        pytest.skip("cannot make a device node here")
    result = invoke(*WRITERS["run"], "-o", str(node))
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(node.lstat().st_mode)


def test_a_symlink_is_refused_and_left_alone(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me\n")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    for force in ([], ["--force"]):
        result = invoke(*WRITERS["run"], "-o", str(link), *force)
        assert result.exit_code == 2
        assert "is a symbolic link" in _one_line(result)
        assert link.is_symlink() and target.read_text() == "keep me\n"


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        result = invoke(*WRITERS["run"], "-o", str(path))
    finally:
        server.close()
    assert result.exit_code == 2
    assert "is a device or socket, not a file" in _one_line(result)


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_a_missing_folder_is_found_before_any_work(tmp_path, command):
    # The same command at a size that would simulate for minutes.
    args = [{"1000": "200000", "2": "200"}.get(a, a) for a in WRITERS[command]]
    started = time.monotonic()
    result = invoke(*args, "-o", "missing/out.json")
    assert result.exit_code == 2
    assert _one_line(result) == "missing/out.json: cannot write: the folder missing does not exist"
    assert time.monotonic() - started < 5


def test_sweep_plot_follows_the_contract(tmp_path):
    chart = tmp_path / "chart.svg"
    chart.write_text("<svg/>")
    result = invoke(*WRITERS["sweep"], "--plot", str(chart))
    assert result.exit_code == 2
    assert chart.read_text() == "<svg/>"


def test_report_markdown_checks_every_file_first(tmp_path):
    (tmp_path / "r-network.svg").write_text("<svg/>")
    result = invoke("report", "border-phone", *SMALL, "-o", "r.md")
    assert result.exit_code == 2
    assert _one_line(result) == "r-network.svg: already exists; add --force to overwrite it"
    assert [p.name for p in tmp_path.iterdir()] == ["r-network.svg"]
