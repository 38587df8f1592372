"""The output contract: one set of rules for every command that writes a file.

- `-` is standard output.
- A new file is written to a temporary file in the target folder, then renamed, so that it is
  complete or absent. The folder is checked before any work, so that a long simulation does not
  end in "cannot write".
- An existing file is replaced only with --force, and a sealed file never by plain text.
- A FIFO or a character device (a terminal, /dev/null) is written through, never replaced: there
  is no file to rename over it. A symbolic link, a block device, a socket or a folder is refused:
  replacing a link or writing through it to wherever it points are both surprises.
- A sealed output's name ends in `.sealed` (added when missing), and it never goes to standard
  output.
- The command says on stderr, in one line, what it wrote (the caller prints `Written.line`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from simulator.errors import SealError, UsageError
from simulator.files import atomic_writer, through_writer, write_atomic, write_through
from simulator.i18n import _
from simulator.seal import MAGIC, Passphrase, seal

STDOUT = "-"
SEALED_SUFFIX = ".sealed"


@dataclass(frozen=True)
class Output:
    """Where a command writes one file: checked before any work, written whole at the end."""

    path: str
    force: bool = False
    sealed: bool = False

    @property
    def to_stdout(self) -> bool:
        """Whether the output is standard output (`-o -`)."""
        return self.path == STDOUT

    def check(self) -> None:
        """Refuse, before any work, an output this command may not write (see the module)."""
        if self.to_stdout:
            if self.sealed:
                raise UsageError(
                    _("a sealed result is written to a file, not to standard output"),
                    subject="seal",
                )
            return
        if self.sealed and not self.path.endswith(SEALED_SUFFIX):
            raise UsageError(
                _("{path}: a sealed file's name ends in {sealed_suffix}").format(
                    path=self.path, sealed_suffix=SEALED_SUFFIX
                )
            )
        kind = _kind(Path(self.path))
        if kind == "stream":
            return
        if kind == "file":
            if _is_sealed_file(Path(self.path)) and not self.sealed:
                raise UsageError(
                    _(
                        "{path}: is a sealed file; plain text never replaces one: choose another "
                        "name"
                    ).format(path=self.path)
                )
            if not self.force:
                raise UsageError(
                    _("{path}: already exists").format(path=self.path),
                    advice=_("; add {force} to overwrite it"),
                )
        _check_folder(Path(self.path))

    def write(self, data: str | bytes, passphrase: Passphrase | None = None) -> Written:
        """Write `data` (sealed first, in memory, when a passphrase is given); say what it did.

        Only the sealed bytes ever reach the disk, so no plaintext copy is left behind.
        """
        payload = data.encode("utf-8") if isinstance(data, str) else data
        if passphrase is not None:
            try:
                payload = seal(payload, passphrase)
            except SealError as exc:
                raise SealError(_("{path}: {exc}").format(path=self.path, exc=exc)) from None
        if self.to_stdout:
            raise UsageError(_("standard output is written by the command, not here"))
        self.check()  # again: the file may have appeared while the command worked
        if _kind(Path(self.path)) == "stream":
            write_through(self.path, payload)
        else:
            write_atomic(self.path, payload)
        return Written([self.path], len(payload), passphrase is not None)

    def write_stream(self, produce: Callable[[BinaryIO], int], sealed: bool = False) -> Written:
        """Write what `produce` writes to the handle it is given (returning how many bytes).

        A file is written to a temporary file and renamed only if `produce` returns: an
        exception (a refused chunk, a signal) leaves nothing, not even part of a decrypted file.
        """
        if self.to_stdout:
            raise UsageError(_("standard output is written by the command, not here"))
        self.check()
        if self.is_stream():
            with through_writer(self.path) as handle:
                size = produce(handle)
        else:
            with atomic_writer(self.path) as handle:
                size = produce(handle)
        return Written([self.path], size, sealed)

    def is_stream(self) -> bool:
        """Whether the output is written through, in place: a FIFO or a character device."""
        return not self.to_stdout and _kind(Path(self.path)) == "stream"


def sealed_name(path: str) -> str:
    """The name of a sealed output: the name given, with `.sealed` added unless it has it."""
    return path if path == STDOUT or path.endswith(SEALED_SUFFIX) else path + SEALED_SUFFIX


@dataclass(frozen=True)
class Written:
    """What a command wrote, for the one line that says so."""

    paths: list[str]
    size: int
    sealed: bool

    def line(self) -> str:
        """`wrote result.json (12 KiB)`, `wrote report.md and 4 more files (sealed, 2 MiB)`."""
        what = self.paths[0]
        if len(self.paths) > 1:
            what = _("{file} and {n} more files").format(file=what, n=len(self.paths) - 1)
        size = _size(self.size)
        detail = _("sealed, {size}").format(size=size) if self.sealed else size
        return _("wrote {what} ({detail})").format(what=what, detail=detail)


def check_new_file(path: str | Path, force: bool) -> None:
    """Refuse, before any work, an output that may not be written (see Output.check)."""
    Output(str(path), force=force).check()


def write_result(
    path: str | Path, data: str | bytes, passphrase: Passphrase | None = None, force: bool = True
) -> Written:
    """Write one result under the output contract (already checked, hence `force` by default)."""
    return Output(str(path), force=force, sealed=passphrase is not None).write(data, passphrase)


def _kind(path: Path) -> str:
    """'new', 'file' or 'stream' (a FIFO or character device); anything else is refused."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return "new"
    except OSError as exc:
        raise UsageError(
            _("{path}: cannot write ({strerror})").format(path=path, strerror=exc.strerror)
        ) from None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return "stream"
    if stat.S_ISLNK(mode):
        raise UsageError(
            _(
                "{path}: is a symbolic link; Exposure neither replaces links nor writes through "
                "them: name the file itself"
            ).format(path=path)
        )
    if stat.S_ISDIR(mode):
        raise UsageError(_("{path}: cannot write: it is a folder").format(path=path))
    raise UsageError(
        _("{path}: is a device or socket, not a file; Exposure does not write to it").format(
            path=path
        )
    )


def _check_folder(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(
            _("{path}: cannot write: the folder {folder} does not exist").format(
                path=path, folder=folder
            )
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(
            _("{path}: cannot write: the folder {folder} is not writable").format(
                path=path, folder=folder
            )
        )


def _is_sealed_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def _size(n: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}" if n < 10 * size else f"{n // size:,} {unit}"
    return f"{n} bytes"


__all__ = ["Output", "Written", "check_new_file", "sealed_name", "write_atomic", "write_result"]
