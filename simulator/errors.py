"""The error hierarchy: every failure a user can cause is an ExposureError."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


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
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ExposureError(Exception):
    """Base of every error caused by the user's input (exit code 2)."""

    exit_code = ExitCode.BAD_INPUT

    def lines(self) -> list[str]:
        """The error as one or more one-line messages."""
        return [str(self)]


class ScenarioError(ExposureError):
    """One or more problems in a scenario, its patches or its overrides."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class UsageError(ExposureError):
    """A bad flag or value on the command line."""


class ResourceError(ExposureError):
    """A request that would not fit in memory, refused before allocating."""
