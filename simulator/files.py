"""Reading the small files a user names: bounded in size, with one plain reason when it fails."""

from __future__ import annotations

from pathlib import Path


class FileProblem(Exception):
    """A file could not be read; `reason` completes the sentence "PATH: ..."."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def read_bounded(
    path: Path, limit: int, what: str = "a file", missing: str = "no such file"
) -> bytes:
    """At most `limit + 1` bytes of a file, so that a caller can tell a file over its limit.

    Folders, missing files and unreadable files raise FileProblem: "is a folder, not WHAT",
    `missing`, "permission denied" or "cannot read (why)".
    """
    try:
        if path.is_dir():
            raise FileProblem(f"is a folder, not {what}")
        with path.open("rb") as handle:
            return handle.read(limit + 1)
    except FileNotFoundError:
        raise FileProblem(missing) from None
    except PermissionError:
        raise FileProblem("permission denied") from None
    except OSError as exc:
        raise FileProblem(f"cannot read ({exc.strerror})") from None
