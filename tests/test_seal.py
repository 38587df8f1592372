"""Sealing: round trips, wrong passphrases, each changed byte detected, hostile headers, the CLI."""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator import cli as cli_module
from simulator import seal as sealing
from simulator.cli import cli
from simulator.errors import SealError
from simulator.report import output
from simulator.scenario import bundled_dir, load
from simulator.seal import (
    CHUNK_BYTES,
    HEADER_BYTES,
    MAGIC,
    OVERHEAD,
    Passphrase,
    ScryptParams,
    is_sealed,
    read_header,
    seal,
    sealed_size,
    unseal,
)

# Tests seal with N = 2**10 (a few milliseconds); the header carries it, so unsealing follows.
FAST = ScryptParams(log2_n=10, r=8, p=1)
SECRET = "correct horse battery staple"
SMALL = ["--people", "2000", "--runs", "4", "--days", "30"]


def pw(text: str = SECRET) -> Passphrase:
    return Passphrase(text=text)


@pytest.fixture
def fast_sealing(monkeypatch):
    """Seal with cheap scrypt parameters everywhere (the CLI included) and a known passphrase."""
    monkeypatch.setattr(sealing, "DEFAULT_PARAMS", FAST)
    monkeypatch.setenv("EXPOSURE_PASSPHRASE", SECRET)


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


def bundled_bytes(name: str = "border-phone") -> bytes:
    return (bundled_dir() / f"{name}.yaml").read_bytes()


# --- the format -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size", [0, 1, 100, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 2 * CHUNK_BYTES, 200_000]
)
def test_round_trip(size):
    data = os.urandom(size)
    blob = seal(data, pw(), FAST)
    chunks = max(1, -(-size // CHUNK_BYTES))
    assert len(blob) == size + HEADER_BYTES + 16 * chunks == sealed_size(size)
    assert is_sealed(blob) and len(blob) >= size + OVERHEAD
    assert unseal(blob, pw()) == data


def test_the_header_names_the_format_and_its_parameters():
    blob = seal(b"x", pw(), FAST)
    assert blob.startswith(b"EXPOSURE-SEALED\n\x02")
    params, salt, nonce = read_header(blob)
    assert params == FAST and len(salt) == 16 and len(nonce) == 12
    assert ScryptParams(17, 8, 1) == sealing.DEFAULT_PARAMS  # secure by default


def test_every_seal_has_a_fresh_salt_and_nonce():
    one, two = seal(b"same text", pw(), FAST), seal(b"same text", pw(), FAST)
    assert one[len(MAGIC) + 4 : HEADER_BYTES] != two[len(MAGIC) + 4 : HEADER_BYTES]
    assert one[HEADER_BYTES:] != two[HEADER_BYTES:]


def test_sealed_bytes_show_none_of_the_plaintext():
    data = bundled_bytes()
    blob = seal(data, pw(), FAST)
    body = blob[HEADER_BYTES:]
    # No 8-byte piece of the scenario appears anywhere in the sealed file.
    pieces = {data[i : i + 8] for i in range(len(data) - 8)}
    assert not any(blob[i : i + 8] in pieces for i in range(len(blob) - 8))
    assert b"border" not in blob and b"name:" not in body


def test_wrong_passphrase_is_refused():
    blob = seal(b"secret plans", pw(), FAST)
    with pytest.raises(SealError, match="wrong passphrase, or the file was changed"):
        unseal(blob, pw("correct horse battery stapler"))


def test_passphrases_are_compared_in_one_unicode_form():
    composed = unicodedata.normalize("NFC", "clé secrète")
    decomposed = unicodedata.normalize("NFD", "clé secrète")
    assert composed != decomposed
    assert unseal(seal(b"x", pw(composed), FAST), pw(decomposed)) == b"x"


def test_every_byte_changed_is_detected():
    """Flipping one bit, or all bits, of any byte of a small sealed file is refused."""
    blob = seal(b"a small sealed scenario", pw(), FAST)
    for position in range(len(blob)):
        for mask in (0x01, 0xFF):
            changed = bytearray(blob)
            changed[position] ^= mask
            with pytest.raises(SealError):
                unseal(bytes(changed), pw())


def test_cut_or_extended_files_are_refused():
    blob = seal(b"a small sealed scenario", pw(), FAST)
    for cut in (1, 16, len(blob) - HEADER_BYTES, len(blob) - len(MAGIC) - 1):
        with pytest.raises(SealError):
            unseal(blob[:-cut], pw())
    with pytest.raises(SealError):
        unseal(blob + b"\x00", pw())


def test_unknown_versions_are_refused():
    blob = bytearray(seal(b"x", pw(), FAST))
    for version in (0, 3, 255):
        blob[len(MAGIC)] = version
        with pytest.raises(
            SealError, match=f"format version {version}, which this version of Exposure cannot read"
        ):
            unseal(bytes(blob), pw())


@pytest.mark.parametrize(
    "log2_n,r,p",
    [
        (60, 8, 1),
        (19, 8, 1),
        (18, 16, 1),
        (18, 8, 3),
        (9, 8, 1),
        (17, 0, 1),
        (17, 8, 0),
        (17, 255, 255),
    ],
)
def test_hostile_scrypt_parameters_are_refused_before_any_work(log2_n, r, p):
    blob = bytearray(seal(b"x", pw(), FAST))
    blob[len(MAGIC) + 1 : len(MAGIC) + 4] = bytes([log2_n, r, p])
    started = time.perf_counter()
    with pytest.raises(SealError, match="refuses: scrypt"):
        unseal(bytes(blob), pw())
    assert time.perf_counter() - started < 0.05


def test_a_key_is_derived_once_per_passphrase_and_file(monkeypatch):
    blob = seal(b"x", pw(), FAST)
    calls = []
    real = sealing.derive_key
    monkeypatch.setattr(sealing, "derive_key", lambda *a: calls.append(a) or real(*a))
    source = pw()
    for _ in range(3):
        assert unseal(blob, source) == b"x"
    assert len(calls) == 1


# --- where the passphrase comes from ------------------------------------------------------------


def test_passphrase_file_loses_one_line_break(tmp_path):
    for ending in ("\n", "\r\n", ""):
        path = tmp_path / "pass"
        path.write_bytes(f"{SECRET}{ending}".encode())
        assert Passphrase(file=path, environ={}).get() == SECRET
    path.write_bytes(b"  spaces count  \n\n")
    assert Passphrase(file=path, environ={}).get() == "  spaces count  \n"


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "is empty"),
        (b"\n", "is empty"),
        (b"\xff\xfe", "not UTF-8"),
        (b"x" * 70_000, "holds one line"),
    ],
)
def test_bad_passphrase_files(tmp_path, content, message):
    path = tmp_path / "pass"
    path.write_bytes(content)
    with pytest.raises(SealError, match=message):
        Passphrase(file=path, environ={}).get()
    with pytest.raises(SealError, match="no such passphrase file"):
        Passphrase(file=tmp_path / "absent", environ={}).get()


def test_file_then_variable_then_prompt(tmp_path):
    path = tmp_path / "pass"
    path.write_text("from the file\n")
    env = {"EXPOSURE_PASSPHRASE": "from the variable"}
    asked: list[bool] = []

    def prompt(confirm: bool) -> str:
        asked.append(confirm)
        return "typed"

    assert Passphrase(file=path, environ=env, prompt=prompt).get() == "from the file"
    assert Passphrase(environ=env, prompt=prompt).get() == "from the variable"
    assert Passphrase(environ={}, prompt=prompt).get(confirm=True) == "typed" and asked == [True]
    with pytest.raises(SealError, match="EXPOSURE_PASSPHRASE is set but empty"):
        Passphrase(environ={"EXPOSURE_PASSPHRASE": ""}).get()
    with pytest.raises(
        SealError, match="no passphrase: set EXPOSURE_PASSPHRASE or use --passphrase-file"
    ):
        Passphrase(environ={}).get()


def test_a_typed_passphrase_is_asked_again_to_seal_unless_it_opened_a_file():
    typed = iter(["first", "second"])
    asked: list[bool] = []

    def prompt(confirm: bool) -> str:
        asked.append(confirm)
        return next(typed)

    source = Passphrase(environ={}, prompt=prompt)
    assert source.get() == "first"
    assert source.get(confirm=True) == "second" and asked == [False, True]
    opened = Passphrase(environ={}, prompt=lambda confirm: "key words here")
    unseal(seal(b"x", Passphrase(text="key words here"), FAST), opened)
    assert opened.get(confirm=True) == "key words here"


# --- reading sealed scenarios ---------------------------------------------------------------------


def test_a_sealed_scenario_loads_like_the_plain_one(tmp_path, monkeypatch):
    path = tmp_path / "town.yaml.sealed"
    path.write_bytes(seal(bundled_bytes(), pw(), FAST))
    plain = load("border-phone")
    monkeypatch.setattr(
        "tempfile.mkstemp", lambda *a, **k: pytest.fail("a temporary file was made")
    )
    loaded = load(str(path), passphrase=pw())
    assert loaded.scenario == plain.scenario
    assert loaded.sha256 == plain.sha256  # of the plaintext, so sealed and plain results agree
    assert sorted(p.name for p in tmp_path.iterdir()) == ["town.yaml.sealed"]


def test_sealed_scenario_problems_are_located_in_the_plaintext(tmp_path):
    path = tmp_path / "bad.yaml.sealed"
    path.write_bytes(seal(bundled_bytes().replace(b"days: 365", b"days: -3"), pw(), FAST))
    with pytest.raises(Exception) as info:
        load(str(path), passphrase=pw())
    (line,) = info.value.lines()
    assert line.startswith(f"{path}:") and "days: must be at least 1 (got -3)" in line


def test_sealed_scenario_with_a_wrong_or_missing_passphrase(tmp_path):
    path = tmp_path / "town.yaml.sealed"
    path.write_bytes(seal(bundled_bytes(), pw(), FAST))
    with pytest.raises(Exception) as info:
        load(str(path), passphrase=pw("nope"))
    assert info.value.lines() == [
        f"{path}: is sealed: cannot unseal: wrong passphrase, or the file was changed after sealing"
    ]
    with pytest.raises(Exception) as info:
        load(str(path), passphrase=Passphrase(environ={}))
    assert "is sealed: no passphrase" in info.value.lines()[0]


# --- the command line -----------------------------------------------------------------------------


def test_seal_and_unseal_a_bundled_scenario_byte_for_byte(tmp_path, fast_sealing):
    original = tmp_path / "border-phone.yaml"
    original.write_bytes(bundled_bytes())
    result = invoke("seal", str(original))
    assert result.exit_code == 0, result.stderr
    sealed = tmp_path / "border-phone.yaml.sealed"
    assert sealed.read_bytes().startswith(MAGIC) and b"border" not in sealed.read_bytes()
    assert (sealed.stat().st_mode & 0o077) == 0  # only its owner may read it
    original.rename(tmp_path / "kept.yaml")
    result = invoke("unseal", str(sealed))
    assert result.exit_code == 0, result.stderr
    assert original.read_bytes() == bundled_bytes()


def test_unseal_to_stdout(tmp_path, fast_sealing):
    sealed = tmp_path / "s.yaml.sealed"
    sealed.write_bytes(seal(b"name: x\n", pw(), FAST))
    result = invoke("unseal", str(sealed), "-o", "-")
    assert result.exit_code == 0 and result.stdout_bytes == b"name: x\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml.sealed"]


def test_wrong_passphrase_exits_2_and_writes_nothing(tmp_path, fast_sealing):
    sealed = tmp_path / "s.yaml.sealed"
    sealed.write_bytes(seal(bundled_bytes(), pw(), FAST))
    before = sorted(tmp_path.iterdir())
    for args in (
        ["unseal", str(sealed)],
        ["unseal", str(sealed), "-o", str(tmp_path / "out.yaml")],
        ["run", str(sealed), *SMALL, "-o", str(tmp_path / "r.json")],
    ):
        result = invoke(*args, env={"EXPOSURE_PASSPHRASE": "not the passphrase"})
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1 and "wrong passphrase" in result.stderr
        assert sorted(tmp_path.iterdir()) == before


def test_tampered_file_exits_2(tmp_path, fast_sealing):
    sealed = tmp_path / "s.yaml.sealed"
    blob = bytearray(seal(bundled_bytes(), pw(), FAST))
    blob[len(blob) // 2] ^= 0x20
    sealed.write_bytes(bytes(blob))
    result = invoke("unseal", str(sealed), "-o", str(tmp_path / "out.yaml"))
    assert result.exit_code == 2 and "the file was changed after sealing" in result.stderr
    assert not (tmp_path / "out.yaml").exists()


def test_seal_refuses_to_overwrite_or_seal_twice(tmp_path, fast_sealing):
    plain = tmp_path / "a.yaml"
    plain.write_text("name: a\n")
    assert invoke("seal", str(plain)).exit_code == 0
    again = invoke("seal", str(plain))
    assert again.exit_code == 2 and "already exists" in again.stderr
    twice = invoke("seal", str(tmp_path / "a.yaml.sealed"))
    assert twice.exit_code == 2 and "is already sealed" in twice.stderr
    missing = invoke("seal", str(tmp_path / "absent.yaml"))
    assert (
        missing.exit_code == 2
        and missing.stderr.strip() == f"{tmp_path / 'absent.yaml'}: no such file"
    )
    not_sealed = invoke("unseal", str(plain), "-o", "-")
    assert not_sealed.exit_code == 2 and "is not a sealed file" in not_sealed.stderr


def test_seal_asks_twice_at_a_prompt(tmp_path, monkeypatch):
    monkeypatch.setattr(sealing, "DEFAULT_PARAMS", FAST)
    monkeypatch.delenv("EXPOSURE_PASSPHRASE", raising=False)
    monkeypatch.setattr(cli_module, "_stdin_is_terminal", lambda: True)
    plain = tmp_path / "a.yaml"
    plain.write_text("name: a\n")
    result = CliRunner().invoke(
        cli, ["seal", str(plain)], input="four long random words\nfour long random words\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("Passphrase") == 1 and "Repeat the passphrase" in result.output
    assert "four long" not in result.output  # not echoed
    sealed = (tmp_path / "a.yaml.sealed").read_bytes()
    assert unseal(sealed, pw("four long random words")) == b"name: a\n"
    opened = CliRunner().invoke(
        cli,
        ["unseal", str(tmp_path / "a.yaml.sealed"), "-o", "-"],
        input="four long random words\n",
    )
    assert (
        opened.exit_code == 0
        and opened.stdout.endswith("name: a\n")
        and "Repeat" not in opened.output
    )


def test_without_a_terminal_or_passphrase_the_error_says_how(tmp_path, monkeypatch):
    monkeypatch.delenv("EXPOSURE_PASSPHRASE", raising=False)
    plain = tmp_path / "a.yaml"
    plain.write_text("name: a\n")
    result = invoke("seal", str(plain))
    assert result.exit_code == 2
    assert result.stderr == "no passphrase: set EXPOSURE_PASSPHRASE or use --passphrase-file\n"
    assert list(tmp_path.iterdir()) == [plain]


def test_short_passphrase_is_warned_about(tmp_path, monkeypatch):
    monkeypatch.setattr(sealing, "DEFAULT_PARAMS", FAST)
    plain = tmp_path / "a.yaml"
    plain.write_text("name: a\n")
    result = invoke("seal", str(plain), env={"EXPOSURE_PASSPHRASE": "1234"})
    assert result.exit_code == 0 and "short passphrase is easy to guess" in result.stderr


def test_run_reads_a_sealed_scenario_and_seals_its_result(tmp_path, fast_sealing):
    scenario = tmp_path / "town.yaml.sealed"
    scenario.write_bytes(seal(bundled_bytes("reference-cascade"), pw(), FAST))
    plain = invoke("run", "reference-cascade", *SMALL, "--format", "json")
    result = invoke(
        "run", str(scenario), *SMALL, "--format", "json", "--seal", "-o", str(tmp_path / "r.json")
    )
    assert result.exit_code == 0, result.stderr
    # --seal names the file .sealed, and says so in one line
    assert result.stderr.startswith(f"wrote {tmp_path / 'r.json.sealed'} (sealed, ")
    assert result.stderr.count("\n") == 1
    sealed_result = (tmp_path / "r.json.sealed").read_bytes()
    assert is_sealed(sealed_result) and b"reference" not in sealed_result
    doc = json.loads(unseal(sealed_result, pw()))
    expected = json.loads(plain.stdout)
    for d in (doc, expected):
        d.pop("timing")
        d["scenario"].pop("path")
    assert doc == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json.sealed", "town.yaml.sealed"]


def test_passphrase_file_on_show_validate_and_run(tmp_path, monkeypatch):
    monkeypatch.delenv("EXPOSURE_PASSPHRASE", raising=False)
    scenario = tmp_path / "town.yaml.sealed"
    scenario.write_bytes(seal(bundled_bytes("reference-cascade"), pw(), FAST))
    secret = tmp_path / "pass"
    secret.write_text(SECRET + "\n")
    assert invoke("show", str(scenario), "--passphrase-file", str(secret)).stdout.startswith(
        "Reference cascade"
    )
    assert invoke("validate", str(scenario), "--passphrase-file", str(secret)).exit_code == 0
    assert invoke("run", str(scenario), *SMALL, "--passphrase-file", str(secret)).exit_code == 0
    refused = invoke("validate", str(scenario))
    assert refused.exit_code == 2 and "is sealed: no passphrase" in refused.stderr


def test_seal_needs_an_output_file(fast_sealing):
    result = invoke("run", "reference-cascade", *SMALL, "--seal")
    assert result.exit_code == 2 and result.stderr.startswith(
        "--seal: a sealed result is written to a file"
    )


def test_no_plaintext_temporary_file_when_sealing(tmp_path, monkeypatch, fast_sealing):
    """Every file the writer creates holds sealed bytes from its first write."""
    seen: list[bytes] = []
    real_replace = os.replace

    def replace(src, dst):
        seen.append(Path(src).read_bytes())
        real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", replace)
    result = invoke("run", "reference-cascade", *SMALL, "--seal", "-o", str(tmp_path / "r.txt"))
    assert result.exit_code == 0, result.stderr
    plain = tmp_path / "p.yaml"
    plain.write_bytes(bundled_bytes())
    assert invoke("seal", str(plain)).exit_code == 0
    assert len(seen) == 2 and all(is_sealed(data) for data in seen)


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    def interrupt(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        output.write_result(tmp_path / "r.json.sealed", "{}", pw())
    assert list(tmp_path.iterdir()) == []


def test_report_can_be_sealed(tmp_path, fast_sealing):
    out = tmp_path / "handout.html"
    result = invoke(
        "report",
        "reference-cascade",
        "--people",
        "2000",
        "--runs",
        "4",
        "--days",
        "30",
        "--seal",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    sealed = (tmp_path / "handout.html.sealed").read_bytes()
    assert is_sealed(sealed) and b"html" not in sealed.lower()
    assert b"<html" in unseal(sealed, pw()).lower()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["handout.html.sealed"]


# --- chunks (format version 2) and the files of version 1 -----------------------------------

FULL = CHUNK_BYTES + 16  # one full chunk as sealed: its ciphertext and its tag


def chunks_of(blob: bytes) -> tuple[bytes, list[bytes]]:
    body = blob[HEADER_BYTES:]
    return blob[:HEADER_BYTES], [body[i : i + FULL] for i in range(0, len(body), FULL)]


def test_chunks_moved_dropped_repeated_or_cut_are_refused():
    data = os.urandom(3 * CHUNK_BYTES + 500)
    header, parts = chunks_of(seal(data, pw(), FAST))
    assert len(parts) == 4 and unseal(header + b"".join(parts), pw()) == data
    forged = {
        "swapped": [parts[1], parts[0], parts[2], parts[3]],
        "dropped": [parts[0], parts[2], parts[3]],
        "repeated": [parts[0], parts[1], parts[1], parts[2], parts[3]],
        "cut at a chunk": parts[:3],
        "cut in the last chunk": [*parts[:3], parts[3][:-1]],
        "extended by a chunk": [*parts, parts[3]],
        "extended by a byte": [*parts, b"\x00"],
        "last chunk empty": [*parts[:3], b""],
    }
    for name, pieces in forged.items():
        with pytest.raises(SealError, match="cannot unseal"):
            unseal(header + b"".join(pieces), pw())
        assert name


def test_a_chunk_from_another_file_under_the_same_passphrase_is_refused():
    data = os.urandom(2 * CHUNK_BYTES)
    header, parts = chunks_of(seal(data, pw(), FAST))
    _, others = chunks_of(seal(data, pw(), FAST))
    with pytest.raises(SealError, match="changed, cut or extended"):
        unseal(header + parts[0] + others[1], pw())


def test_a_file_of_whole_chunks_ends_with_its_last_full_chunk():
    """A cut at the chunk boundary of a file of exactly two chunks is one chunk: refused."""
    header, parts = chunks_of(seal(os.urandom(2 * CHUNK_BYTES), pw(), FAST))
    assert [len(p) for p in parts] == [FULL, FULL]
    with pytest.raises(SealError):
        unseal(header + parts[0], pw())


def seal_v1(data: bytes, passphrase: str = SECRET) -> bytes:
    """A file sealed as version 1 wrote it: the whole text encrypted at once."""
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    salt, nonce = os.urandom(16), os.urandom(12)
    header = MAGIC + bytes([1, FAST.log2_n, FAST.r, FAST.p]) + salt + nonce
    key = sealing.derive_key(passphrase, salt, FAST)
    return header + ChaCha20Poly1305(key).encrypt(nonce, data, header)


V1_FIXTURE = Path(__file__).parent / "sealed" / "reference-cascade.v1.yaml.sealed"


def test_a_version_1_file_sealed_by_an_earlier_exposure_still_opens(tmp_path, fast_sealing):
    """The fixture was written by the version-1 code, from reference-cascade as the scenario was
    then (its SHA-256 below); in memory, by the loader and by unseal."""
    blob = V1_FIXTURE.read_bytes()
    assert blob[len(MAGIC)] == 1
    plain = unseal(blob, pw())
    assert hashlib.sha256(plain).hexdigest() == (
        "3aadb5d6a9559d2f53dc93e2e022083e3e84ee1d00b6530dcd2910a509bc7a38"
    )
    assert load(str(V1_FIXTURE)).scenario.title == load("reference-cascade").scenario.title
    out = tmp_path / "plain.yaml"
    result = invoke("unseal", str(V1_FIXTURE), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes() == plain
    shown = invoke("unseal", str(V1_FIXTURE), "-o", "-")
    assert shown.exit_code == 0 and shown.stdout_bytes == plain


@pytest.mark.parametrize("size", [0, 15, 16, 17, 3 * 1024 * 1024 + 5])
def test_version_1_files_are_checked_in_blocks_then_decrypted(tmp_path, size):
    data = os.urandom(size)
    source = tmp_path / "v1.sealed"
    source.write_bytes(seal_v1(data))
    sink = io.BytesIO()
    with source.open("rb") as handle:
        assert sealing.unseal_stream(handle, sink, pw()) == size
    assert sink.getvalue() == data
    for position in {HEADER_BYTES, HEADER_BYTES + size // 2, HEADER_BYTES + size + 15}:
        changed = bytearray(source.read_bytes())
        changed[position] ^= 0x01
        (tmp_path / "bad.sealed").write_bytes(bytes(changed))
        written = io.BytesIO()
        with (tmp_path / "bad.sealed").open("rb") as handle, pytest.raises(SealError):
            sealing.unseal_stream(handle, written, pw())
        assert written.getvalue() == b""  # checked whole before anything is decrypted


def test_unseal_of_a_changed_late_chunk_leaves_no_file_and_no_part(tmp_path, fast_sealing):
    data = os.urandom(5 * CHUNK_BYTES)
    blob = bytearray(seal(data, pw(), FAST))
    blob[-5] ^= 0x40  # in the last chunk: four good chunks come first
    sealed = tmp_path / "big.bin.sealed"
    sealed.write_bytes(bytes(blob))
    result = invoke("unseal", str(sealed), "-o", str(tmp_path / "big.bin"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"{sealed}: cannot unseal: the file was changed, cut or extended after sealing "
        "(after 0 MiB that were intact)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.bin.sealed"]
    shown = invoke("unseal", str(sealed), "-o", "-")
    assert shown.exit_code == 2 and shown.stdout_bytes == b""  # checked before it is shown


def test_seal_and_unseal_stream_through_a_fifo(tmp_path, fast_sealing):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    import threading

    data = os.urandom(3 * CHUNK_BYTES + 7)
    sealed = tmp_path / "d.sealed"
    sealed.write_bytes(seal(data, pw(), FAST))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = invoke("unseal", str(sealed), "-o", str(fifo))
    reader.join(timeout=10)
    assert result.exit_code == 0, result.stderr
    assert got == [data] and fifo.is_fifo()


def _peak_rss_kib(tmp_path: Path, *args: str) -> int:
    """The peak memory of `exposure ARGS` in a fresh process, sealing with cheap scrypt.

    VmHWM, not ru_maxrss: the latter keeps the peak of the forking test process across exec.
    """
    import subprocess
    import sys

    program = (
        "import re, sys\n"
        "from simulator import seal\n"
        "seal.DEFAULT_PARAMS = seal.ScryptParams(10, 8, 1)\n"
        "from simulator.entry import run\n"
        "try:\n"
        "    run()\n"
        "finally:\n"
        "    status = open('/proc/self/status').read()\n"
        "    sys.stderr.write('rss=' + re.search(r'VmHWM:\\s*(\\d+)', status).group(1) + '\\n')\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "EXPOSURE_PASSPHRASE": SECRET}
    done = subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )
    return int(done.stderr.rsplit("rss=", 1)[1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_sealing_and_unsealing_take_memory_bounded_by_chunks(tmp_path):
    """A 96 MiB file is sealed and unsealed in a few MiB more than a tiny one (it took 3x the
    file's size when read whole); refusing a changed one stops at its first chunk."""
    tiny = tmp_path / "tiny.bin"
    tiny.write_bytes(b"x")
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        for _ in range(96):
            handle.write(os.urandom(1024 * 1024))
    base = _peak_rss_kib(tmp_path, "seal", str(tiny))
    sealing_peak = _peak_rss_kib(tmp_path, "seal", str(big))
    assert (tmp_path / "big.bin.sealed").stat().st_size == sealed_size(96 * 1024**2)
    big.rename(tmp_path / "original.bin")
    unsealing_peak = _peak_rss_kib(tmp_path, "unseal", str(tmp_path / "big.bin.sealed"))
    assert big.read_bytes() == (tmp_path / "original.bin").read_bytes()
    assert sealing_peak - base < 24 * 1024, (base, sealing_peak)
    assert unsealing_peak - base < 24 * 1024, (base, unsealing_peak)
    garbage = tmp_path / "garbage.sealed"
    garbage.write_bytes((tmp_path / "big.bin.sealed").read_bytes()[:HEADER_BYTES] + bytes(FULL))
    with garbage.open("ab") as handle:
        handle.write(bytes(64 * 1024**2))
    started = time.perf_counter()
    refusing_peak = _peak_rss_kib(tmp_path, "unseal", str(garbage), "-o", "g.out")
    assert time.perf_counter() - started < 10
    assert refusing_peak - base < 24 * 1024
    assert not (tmp_path / "g.out").exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_unseal_to_a_full_standard_output_is_one_line(tmp_path):
    import subprocess
    import sys

    sealed = tmp_path / "s.sealed"
    sealed.write_bytes(seal(os.urandom(3 * CHUNK_BYTES), pw(), FAST))
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "EXPOSURE_PASSPHRASE": SECRET}
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "simulator", "unseal", str(sealed), "-o", "-"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr == "standard output: cannot write (No space left on device)\n"
