"""Bundled scenarios kept parsed between commands, so that a command does not parse them anew.

Parsing a bundled scenario with the pure-Python YAML parser (which keeps every line and column)
takes about a tenth of a second; reading the parsed document back takes about a millisecond.
Only the bundled scenarios are kept (the files of the `scenarios` folder that comes with
Exposure), and a file given by path only where its bytes are a bundled scenario's; what is kept
is labelled with the bundled name, never with the path it was read from. A trainer's own
scenario, sealed or not, never leaves a copy on disk.

The cache is a folder of a few files per bundled scenario: `$EXPOSURE_CACHE` if set (an
absolute path; `off` turns the cache off), else `$XDG_CACHE_HOME/exposure`, else
`~/.cache/exposure`. A kept document is used only if it was parsed from the same bytes by the
same parser (the loader's source, the YAML library's version and Python's), the folder and file
belong to the user and nobody else may write to them, the file is a regular file (not a link, a
FIFO or a device), and it reads back as a document and nothing else: any doubt, and the file is
parsed as if there were no cache. Nothing here ever makes a command fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import pickle
import re
import stat
import sys
import time
from pathlib import Path
from typing import Any

from simulator.scenario.loader import Document

VERSION = 2  # of the kept files' layout
MAX_BYTES = 8 * 1024 * 1024  # a kept document is about 100 KiB
KEEP_PER_NAME = 4  # documents kept per bundled name (other installs or Pythons sharing the folder)
STALE_SECONDS = 3600.0  # a temporary file this old was left by a process that was killed
_FINGERPRINT: list[str | None] = []  # worked out once per process


def folder() -> Path | None:
    """Where parsed bundled scenarios are kept, or None if the cache is off."""
    chosen = os.environ.get("EXPOSURE_CACHE", "")
    if chosen.strip().lower() == "off":
        return None
    if chosen:
        return Path(chosen) if Path(chosen).is_absolute() else None
    base = os.environ.get("XDG_CACHE_HOME", "")
    if base and Path(base).is_absolute():
        return Path(base) / "exposure"
    home = os.environ.get("HOME", "")
    if not home or not Path(home).is_absolute():
        return None
    return Path(home) / ".cache" / "exposure"


def fingerprint() -> str | None:
    """What a parsed document depends on besides the file's bytes: the parser and its version
    (None, and so no cache, where the loader's source cannot be read)."""
    if not _FINGERPRINT:
        try:
            # The YAML library's version is read from its own first file, which states it, rather
            # than by importing the library: a command that finds its scenario kept need not
            # import the parser at all (about 10 ms).
            spec = importlib.util.find_spec("ruamel.yaml")
            library = Path(spec.origin if spec and spec.origin else "").read_bytes()
            source = Path(sys.modules[Document.__module__].__file__ or "").read_bytes()
            digest = hashlib.sha256(f"{VERSION}|{sys.version}".encode())
            digest.update(hashlib.sha256(library).digest())
            digest.update(source)
            _FINGERPRINT.append(digest.hexdigest()[:20])
        except Exception:  # a frozen or zipped install: nothing to tell parsers apart by
            _FINGERPRINT.append(None)
    return _FINGERPRINT[0]


def _entry(name: str, raw: bytes) -> str | None:
    found = fingerprint()
    if found is None:
        return None
    return f"{name}-{hashlib.sha256(raw).hexdigest()[:20]}-{found}.pickle"


def _private(st: os.stat_result, kind: int) -> bool:
    """Of this kind, the user's own, and writable by nobody else."""
    mode = st.st_mode
    owner = not hasattr(os, "geteuid") or st.st_uid == os.geteuid()
    return stat.S_IFMT(mode) == kind and owner and not mode & (stat.S_IWGRP | stat.S_IWOTH)


class _DocumentOnly(pickle.Unpickler):
    """Reads back a kept document: plain data and the Document class, nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (Document.__module__, Document.__qualname__):
            return Document
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a parsed scenario")


def _open_folder(where: Path) -> int | None:
    """The cache folder opened for lookups, if it is the user's own and private."""
    fd = os.open(where, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    if _private(os.fstat(fd), stat.S_IFDIR):
        return fd
    os.close(fd)
    return None


def recall(name: str, raw: bytes, source: str, path: str) -> Document | None:
    """The kept document of bundled scenario `name` parsed from exactly `raw`, or None."""
    where = folder()
    entry = _entry(name, raw)
    if where is None or entry is None:
        return None
    try:
        dir_fd = _open_folder(where)
        if dir_fd is None:
            return None
        try:
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            fd = os.open(entry, flags, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        with os.fdopen(fd, "rb") as handle:
            st = os.fstat(handle.fileno())
            if not _private(st, stat.S_IFREG) or st.st_size > MAX_BYTES:
                return None
            doc = _DocumentOnly(io.BytesIO(handle.read(MAX_BYTES + 1))).load()
    except Exception:  # no file, or a damaged one (which can raise almost anything read back)
        return None
    if not isinstance(doc, Document) or doc.sha256 != hashlib.sha256(raw).hexdigest():
        return None
    doc.source, doc.path = source, path
    return doc


def keep(name: str, raw: bytes, doc: Document) -> None:
    """Keep the freshly parsed document of bundled scenario `name` (and forget its oldest)."""
    from simulator.files import atomic_writer

    where = folder()
    if where is None or doc.sealed or doc.patched:
        return
    try:
        entry = _entry(name, raw)
        if entry is None:
            return
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        dir_fd = _open_folder(where)
        if dir_fd is None:
            return
        os.close(dir_fd)
        # Labelled with the bundled name, not the path it was read from (a folder's name can
        # say more than a trainer wants kept).
        label = f"scenarios/{name}.yaml"
        kept = Document(
            label, doc.data, doc.sha256, doc.value_pos, doc.key_pos, {}, label, doc.ranges
        )
        with atomic_writer(where / entry) as handle:
            pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)
        _tidy(where, name, entry)
    except Exception:  # a full disk, a read-only home, a race with another command: no cache
        return


def _tidy(where: Path, name: str, entry: str) -> None:
    """Forget all but the newest KEEP_PER_NAME documents of `name`, and temporary files left by
    killed processes."""
    mine = re.compile(re.escape(name) + r"-[0-9a-f]{20}-[0-9a-f]{20}\.pickle")
    older = []
    now = time.time()
    for item in os.scandir(where):
        with contextlib.suppress(OSError):
            if mine.fullmatch(item.name) and item.name != entry:
                older.append((item.stat(follow_symlinks=False).st_mtime, item.path))
            elif (
                item.name.startswith(".")
                and item.name.endswith(".part")
                and now - item.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
            ):
                os.unlink(item.path)
    for _mtime, old in sorted(older, reverse=True)[KEEP_PER_NAME - 1 :]:
        with contextlib.suppress(OSError):
            os.unlink(old)
