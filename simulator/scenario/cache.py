"""Bundled scenarios kept parsed between commands, so that a command does not parse them anew.

Parsing a bundled scenario with the pure-Python YAML parser (which keeps every line and column)
takes about a tenth of a second; reading the parsed document back takes about a millisecond.
Only the bundled scenarios are kept, and a file given by path only where its bytes are a bundled
scenario's: a trainer's own scenario, sealed or not, never leaves a copy on disk.

The cache is a folder of one file per bundled scenario: `$EXPOSURE_CACHE` if set (`off` turns the
cache off), else `$XDG_CACHE_HOME/exposure`, else `~/.cache/exposure`. A kept document is used
only if it was parsed from the same bytes by the same parser (the loader's source, the YAML
library's version and Python's), the folder and file belong to the user and nobody else may write
to them, and it reads back as a document and nothing else: any doubt, and the file is parsed as
if there were no cache. Nothing here ever makes a command fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import stat
import sys
from pathlib import Path
from typing import Any

from simulator.scenario.loader import Document

VERSION = 1  # of the kept files' layout
MAX_BYTES = 8 * 1024 * 1024  # a kept document is about 100 KiB
_FINGERPRINT: list[str] = []  # worked out once per process


def folder() -> Path | None:
    """Where parsed bundled scenarios are kept, or None if the cache is off."""
    chosen = os.environ.get("EXPOSURE_CACHE", "")
    if chosen.strip().lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME", "")
    if base and Path(base).is_absolute():
        return Path(base) / "exposure"
    home = os.environ.get("HOME", "")
    if not home:
        return None
    return Path(home) / ".cache" / "exposure"


def fingerprint() -> str:
    """What a parsed document depends on besides the file's bytes: the parser and its version."""
    if not _FINGERPRINT:
        import ruamel.yaml

        digest = hashlib.sha256(f"{VERSION}|{ruamel.yaml.__version__}|{sys.version}".encode())
        digest.update(Path(sys.modules[Document.__module__].__file__ or "").read_bytes())
        _FINGERPRINT.append(digest.hexdigest()[:20])
    return _FINGERPRINT[0]


def _entry(name: str, raw: bytes) -> str:
    return f"{name}-{hashlib.sha256(raw).hexdigest()[:20]}-{fingerprint()}.pickle"


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


def recall(name: str, raw: bytes, source: str, path: str) -> Document | None:
    """The kept document of bundled scenario `name` parsed from exactly `raw`, or None."""
    where = folder()
    if where is None:
        return None
    try:
        if not _private(os.stat(where), stat.S_IFDIR):
            return None
        fd = os.open(where / _entry(name, raw), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
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
    """Keep the freshly parsed document of bundled scenario `name` (and forget its older ones)."""
    where = folder()
    if where is None or doc.sealed or doc.patched:
        return
    import tempfile

    entry = _entry(name, raw)
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(os.stat(where), stat.S_IFDIR):
            return
        fd, temp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=where)
    except Exception:  # a read-only home, a full disk: no cache
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(doc, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, where / entry)
        for old in where.glob(f"{name}-*.pickle"):
            if old.name != entry:
                old.unlink(missing_ok=True)
    except Exception:  # a full disk, a race with another command: no cache
        pass
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)  # gone already if it was put in place
