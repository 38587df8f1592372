"""The files a user names: read within a size bound, written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from simulator.errors import UsageError
from simulator.i18n import _

# Temporary files being written now, so that a signal that cannot wait for the writer to unwind
# can still remove them (simulator.interrupts). Only the main thread writes results.
_TEMPORARIES: set[str] = set()


def remove_temporaries() -> None:
    """Remove every temporary file being written: called when the process must end at once."""
    for tmp in list(_TEMPORARIES):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _TEMPORARIES.discard(tmp)


class FileProblem(Exception):
    """A file could not be read; `reason` completes the sentence "PATH: ..."."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def open_regular(path: Path, what: str = "a file", missing: str = "no such file") -> BinaryIO:
    """A regular file opened for reading in binary; anything else raises FileProblem.

    Folders, FIFOs, devices, missing files and unreadable files raise FileProblem: "is a
    folder, not WHAT", "is not a regular file ...", `missing`, "permission denied" or "cannot
    read (why)".
    """
    try:
        if path.is_dir():
            raise FileProblem(f"is a folder, not {what}")
        # Opened without blocking, so that a FIFO with no writer cannot hang the command before
        # it is found not to be a file.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise FileProblem(f"is not a regular file (a FIFO, device or socket), not {what}")
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return os.fdopen(fd, "rb")
    except FileNotFoundError:
        raise FileProblem(missing) from None
    except PermissionError:
        raise FileProblem("permission denied") from None
    except OSError as exc:
        raise FileProblem(f"cannot read ({exc.strerror})") from None


def read_bounded(
    path: Path, limit: int, what: str = "a file", missing: str = "no such file"
) -> bytes:
    """At most `limit + 1` bytes of a file, so that a caller can tell a file over its limit.

    Anything but a readable regular file raises FileProblem (see open_regular).
    """
    with open_regular(path, what, missing) as handle:
        try:
            return handle.read(limit + 1)
        except OSError as exc:
            raise FileProblem(f"cannot read ({exc.strerror})") from None


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write `data` to `path` so that the file is either complete or absent, never partial."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_writer(path) as handle:
        handle.write(payload)


@contextlib.contextmanager
def atomic_writer(path: str | Path) -> Iterator[BinaryIO]:
    """A temporary file beside `path`, renamed to it when the block ends without an exception.

    Any exception (a signal included) removes the temporary file: `path` is then untouched,
    never partial.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(
            _("{target}: cannot write: the folder {folder} does not exist").format(
                target=target, folder=folder
            )
        )
    if target.is_dir():
        raise UsageError(_("{target}: cannot write: it is a folder").format(target=target))
    # Named and registered before it exists, so that no signal can come between its creation
    # and remove_temporaries knowing of it (a Python signal handler runs between any two steps).
    tmp = str(folder / f".{target.name}.{secrets.token_hex(4)}.part")
    _TEMPORARIES.add(tmp)
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags, 0o600)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        if not isinstance(exc, FileExistsError):  # else the name is another writer's
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(exc, OSError):
            raise UsageError(
                _("{target}: cannot write ({strerror})").format(
                    target=target, strerror=exc.strerror
                )
            ) from None
        raise
    finally:
        _TEMPORARIES.discard(tmp)


def write_through(path: str | Path, data: bytes) -> None:
    """Write to a FIFO or character device in place: there is no file to replace."""
    with through_writer(path) as handle:
        handle.write(data)


@contextlib.contextmanager
def through_writer(path: str | Path) -> Iterator[BinaryIO]:
    """A FIFO or character device opened for writing in place (see write_through)."""
    target = Path(path)
    flags = os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        raise UsageError(
            _("{target}: cannot write ({strerror})").format(target=target, strerror=exc.strerror)
        ) from None
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
            raise UsageError(
                _("{target}: changed while the command ran; nothing written").format(target=target)
            )
        with os.fdopen(fd, "wb", closefd=False) as handle:
            yield handle
    except OSError as exc:
        raise UsageError(
            _("{target}: cannot write ({strerror})").format(target=target, strerror=exc.strerror)
        ) from None
    finally:
        os.close(fd)
