"""Writing results safely: a temporary file in the target folder, then an atomic rename."""

from __future__ import annotations

import os
from pathlib import Path

from simulator.errors import SealError, UsageError
from simulator.files import write_atomic
from simulator.seal import Passphrase, seal


def check_new_file(path: str | Path, force: bool) -> None:
    """Refuse, before any work, an existing file (without --force) or an unwritable folder."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise UsageError(f"{target}: cannot write: it is a folder")
    if target.exists() and not force:
        raise UsageError(f"{target}: already exists", advice="; add {force} to overwrite it")
    if not folder.is_dir():
        raise UsageError(f"{target}: cannot write: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{target}: cannot write: the folder {folder} is not writable")


def write_result(path: str | Path, data: str | bytes, passphrase: Passphrase | None = None) -> None:
    """Write a result atomically, sealed first (in memory) when a passphrase is given.

    Only the sealed bytes ever reach the disk, so no plaintext copy is left behind.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if passphrase is not None:
        try:
            payload = seal(payload, passphrase)
        except SealError as exc:
            raise SealError(f"{path}: {exc}") from None
    write_atomic(path, payload)
