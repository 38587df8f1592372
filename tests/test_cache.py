"""Bundled scenarios kept parsed between commands: the same document as a fresh parse, kept only
for bundled bytes, and ignored (never fatal) whenever anything about the kept file is in doubt."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from simulator.scenario import bundled_dir, cache, load, read_document
from simulator.scenario.loader import decode_text, parse_yaml
from simulator.seal import Passphrase, ScryptParams, seal

NAME = "border-phone"


def _refuse(*args, **kwargs):
    raise AssertionError("parsed although kept")


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("EXPOSURE_CACHE", str(where))
    return where


def raw(name: str = NAME) -> bytes:
    return (bundled_dir() / f"{name}.yaml").read_bytes()


def fresh(name: str = NAME, label: str | None = None):
    label = label or f"scenarios/{name}.yaml"
    doc = parse_yaml(decode_text(raw(name), label), raw(name), label)
    doc.path = label
    return doc


def kept(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def same(one, two) -> None:
    for attr in ("source", "data", "sha256", "value_pos", "key_pos", "patched", "path", "ranges"):
        assert getattr(one, attr) == getattr(two, attr), attr
    assert one.sealed is two.sealed is False


def test_a_bundled_scenario_is_read_back_as_the_document_a_parse_gives(folder, monkeypatch):
    first, _ = read_document(NAME)
    assert len(kept(folder)) == 1 and kept(folder)[0].startswith(f"{NAME}-")
    assert os.stat(folder).st_mode & 0o777 == 0o700
    monkeypatch.setattr("simulator.scenario.parse_yaml", _refuse)
    again, label = read_document(NAME)
    assert label == f"scenarios/{NAME}.yaml"
    same(again, fresh())
    same(first, again)


def test_a_kept_scenario_gives_the_same_validated_scenario(folder):
    before = load(NAME)
    after = load(NAME)  # from the cache
    assert after.scenario == before.scenario
    assert after.ranges == before.ranges
    assert after.sha256 == before.sha256


def test_a_path_to_a_bundled_files_bytes_is_kept_for_the_bundled_name(
    folder, tmp_path, monkeypatch
):
    copy = tmp_path / f"{NAME}.yaml"
    copy.write_bytes(raw())
    read_document(str(copy))
    assert len(kept(folder)) == 1
    monkeypatch.setattr("simulator.scenario.parse_yaml", _refuse)
    doc, _ = read_document(NAME)
    same(doc, fresh())


def test_a_path_to_a_bundled_file_is_labelled_by_its_path(folder, tmp_path, monkeypatch):
    copy = tmp_path / f"{NAME}.yaml"
    copy.write_bytes(raw())
    read_document(NAME)
    monkeypatch.setattr("simulator.scenario.parse_yaml", _refuse)
    doc, label = read_document(str(copy))
    assert label == str(copy)
    same(doc, fresh(label=str(copy)))


def test_a_trainers_own_file_is_never_kept(folder, tmp_path):
    own = tmp_path / f"{NAME}.yaml"  # a bundled name, but changed bytes
    own.write_bytes(raw().replace(b"title:", b"# a trainer's own copy\ntitle:", 1))
    read_document(str(own))
    other = tmp_path / "my-town.yaml"
    other.write_bytes(raw())
    read_document(str(other))
    assert kept(folder) == []


def test_a_sealed_bundled_file_is_never_kept(folder, tmp_path, monkeypatch):
    sealed = tmp_path / f"{NAME}.yaml"
    sealed.write_bytes(
        seal(raw(), Passphrase(text="a passphrase for the test"), ScryptParams(log2_n=10, r=8, p=1))
    )
    doc, _ = read_document(str(sealed), Passphrase(text="a passphrase for the test"))
    assert doc.sealed
    assert kept(folder) == []


def test_off_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPOSURE_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    read_document(NAME)
    assert cache.folder() is None
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


def test_the_folder_follows_xdg_then_home(tmp_path, monkeypatch):
    monkeypatch.delenv("EXPOSURE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.folder() == tmp_path / "xdg" / "exposure"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.folder() == tmp_path / "home" / ".cache" / "exposure"


def _only_entry(folder: Path) -> Path:
    (entry,) = folder.iterdir()
    return entry


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b"",
        lambda b: b[: len(b) // 2],
        lambda b: b"not a pickle at all",
        lambda b: b[:-40] + bytes(40),
        lambda b: pickle.dumps({"data": "a dict, not a document"}),
    ],
    ids=["empty", "cut", "garbage", "zeroed-end", "wrong-type"],
)
def test_a_damaged_kept_file_is_ignored_and_replaced(folder, damage):
    read_document(NAME)
    entry = _only_entry(folder)
    entry.write_bytes(damage(entry.read_bytes()))
    doc, _ = read_document(NAME)
    same(doc, fresh())
    again = cache.recall(NAME, raw(), "x", "x")
    assert again is not None and again.data == doc.data  # parsed and kept anew


class _Runs:
    """Unpickling this would run code: the cache must refuse to build it."""

    def __reduce__(self):
        return (os.system, ("touch should-never-exist",))


def test_a_kept_file_that_would_run_code_is_refused(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    read_document(NAME)
    entry = _only_entry(folder)
    entry.write_bytes(pickle.dumps(_Runs()))
    doc, _ = read_document(NAME)
    same(doc, fresh())
    assert not (tmp_path / "should-never-exist").exists()


def test_a_document_for_other_bytes_is_ignored(folder):
    read_document(NAME)
    entry = _only_entry(folder)
    other = fresh("city")
    entry.write_bytes(pickle.dumps(other))
    doc, _ = read_document(NAME)
    assert doc.data == fresh().data


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_a_folder_others_may_write_to_is_not_used(folder, monkeypatch):
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o777)
    read_document(NAME)
    assert kept(folder) == []
    os.chmod(folder, 0o700)
    read_document(NAME)
    entry = _only_entry(folder)
    os.chmod(entry, 0o666)
    monkeypatch.setattr("simulator.scenario.parse_yaml", _refuse)
    with pytest.raises(AssertionError):  # not read back: parsed again
        read_document(NAME)


def test_an_unwritable_folder_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("EXPOSURE_CACHE", str(blocker / "exposure"))
    doc, _ = read_document(NAME)
    same(doc, fresh())


def test_a_new_parser_does_not_read_the_old_parsers_documents(folder, monkeypatch):
    read_document(NAME)
    assert len(kept(folder)) == 1
    monkeypatch.setattr(cache, "_FINGERPRINT", ["0" * 20])
    monkeypatch.setattr("simulator.scenario.parse_yaml", _refuse)
    with pytest.raises(AssertionError):  # not the old parser's document: parsed again
        read_document(NAME)


def test_the_fingerprint_follows_the_loaders_source(tmp_path, monkeypatch):
    from simulator.scenario import loader

    monkeypatch.setattr(cache, "_FINGERPRINT", [])
    real = cache.fingerprint()
    assert real is not None and len(real) == 20
    edited = tmp_path / "loader.py"
    edited.write_bytes(Path(loader.__file__).read_bytes() + b"\n# edited\n")
    monkeypatch.setattr(loader, "__file__", str(edited))
    monkeypatch.setattr(cache, "_FINGERPRINT", [])
    assert cache.fingerprint() not in (None, real)


def test_the_fingerprint_follows_the_yaml_librarys_version(tmp_path, monkeypatch):
    """Read from the file of the library that states its version, without importing it."""
    import importlib.util

    monkeypatch.setattr(cache, "_FINGERPRINT", [])
    real = cache.fingerprint()
    spec = importlib.util.find_spec("ruamel.yaml")
    assert spec is not None and spec.origin is not None
    assert "__version__" in Path(spec.origin).read_text(encoding="utf-8")
    other = tmp_path / "__init__.py"
    other.write_bytes(Path(spec.origin).read_bytes().replace(b"version_info", b"version_info_"))
    found = importlib.util.spec_from_file_location("ruamel.yaml", other)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: found)
    monkeypatch.setattr(cache, "_FINGERPRINT", [])
    assert cache.fingerprint() not in (None, real)


def test_an_unreadable_loader_source_turns_the_cache_off_without_failing(folder, monkeypatch):
    from simulator.scenario import loader

    monkeypatch.setattr(loader, "__file__", str(folder / "nowhere" / "loader.py"))
    monkeypatch.setattr(cache, "_FINGERPRINT", [])
    doc, _ = read_document(NAME)
    same(doc, fresh())
    assert kept(folder) == []


def test_the_path_a_bundled_file_was_read_from_is_not_kept(folder, tmp_path):
    where = tmp_path / "client-in-trouble"
    where.mkdir()
    copy = where / f"{NAME}.yaml"
    copy.write_bytes(raw())
    doc, _ = read_document(str(copy))
    assert doc.source == str(copy)
    (entry,) = folder.iterdir()
    assert b"client-in-trouble" not in entry.read_bytes()
    assert f"scenarios/{NAME}.yaml".encode() in entry.read_bytes()


def test_a_few_documents_are_kept_per_name_and_stale_temporaries_removed(folder, monkeypatch):
    read_document(NAME)
    for k in range(cache.KEEP_PER_NAME + 2):
        monkeypatch.setattr(cache, "_FINGERPRINT", [f"{k:020x}"])
        read_document(NAME)
    assert len([n for n in kept(folder) if n.startswith(f"{NAME}-")]) == cache.KEEP_PER_NAME
    stale, fresh_part = folder / ".left-by-a-killed-process.part", folder / ".being-written.part"
    stale.write_bytes(b"x")
    fresh_part.write_bytes(b"x")
    os.utime(stale, (0, 0))
    monkeypatch.setattr(cache, "_FINGERPRINT", ["f" * 20])
    read_document(NAME)
    assert not stale.exists() and fresh_part.exists()
    read_document("city")  # another name's documents are its own
    assert any(n.startswith("city-") for n in kept(folder))


def test_a_relative_cache_folder_is_not_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EXPOSURE_CACHE", "relative/cache")
    assert cache.folder() is None
    read_document(NAME)
    assert not (tmp_path / "relative").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_in_place_of_a_kept_file_does_not_hang(folder, monkeypatch):
    read_document(NAME)
    entry = _only_entry(folder)
    entry.unlink()
    os.mkfifo(entry, 0o600)
    monkeypatch.setattr("simulator.scenario.parse_yaml", _refuse)
    with pytest.raises(AssertionError):  # refused at once, and parsed again
        read_document(NAME)


def test_a_symlinked_kept_file_is_not_followed(folder, tmp_path, monkeypatch):
    read_document(NAME)
    entry = _only_entry(folder)
    target = tmp_path / "elsewhere.pickle"
    target.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(target)
    monkeypatch.setattr("simulator.scenario.parse_yaml", _refuse)
    with pytest.raises(AssertionError):
        read_document(NAME)
