"""The error hierarchy: every failure a user can cause is an ExposureError, in one helpful line."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import IntEnum

# Line breaks, other control characters and bidirectional overrides, shown escaped in messages so
# that every message stays one line and shows what it says.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text with control characters escaped (`\\n`, `\\x1b`, `\\u202e`), for a one-line message."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def did_you_mean(word: str, choices: list[str]) -> str:
    """A hint naming the closest valid choice, or nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


class ExitCode(IntEnum):
    """Process exit codes, named."""

    OK = 0
    INTERNAL = 1
    BAD_INPUT = 2
    INTERRUPTED = 130


@dataclass(frozen=True)
class Problem:
    """One problem in an input, located as precisely as we can."""

    source: str
    line: int | None
    column: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        return printable(text)


class ExposureError(Exception):
    """Base of every error caused by the user's input (exit code 2)."""

    exit_code = ExitCode.BAD_INPUT

    def lines(self) -> list[str]:
        """The error as one or more one-line messages."""
        return [printable(str(self))]


# A hostile file can have thousands of problems; a person reads the first few dozen.
MAX_PROBLEM_LINES = 50


class ScenarioError(ExposureError):
    """One or more problems in a scenario, its patches or its overrides."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        shown = [str(p) for p in self.problems[:MAX_PROBLEM_LINES]]
        if len(self.problems) > MAX_PROBLEM_LINES:
            rest = len(self.problems) - MAX_PROBLEM_LINES
            shown.append(f"{self.problems[-1].source}: and {rest} more problems")
        return shown


class UsageError(ExposureError):
    """A bad flag or value on the command line."""


class ResourceError(ExposureError):
    """A request that would not fit in memory, refused before allocating."""


class SealError(ExposureError):
    """A sealed file that cannot be opened (wrong passphrase, changed, unknown format) or sealed."""
