"""The error hierarchy: every failure a user can cause is an ExposureError, in one helpful line."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

# Line breaks, other control characters, bidirectional controls and invisible characters, shown
# escaped in messages so that every message stays one line and shows what it says.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)


def printable(text: str) -> str:
    """Text with control characters escaped (`\\n`, `\\x1b`, `\\u202e`), for a one-line message."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def ascii_number(text: str, digits: int = 18) -> int | None:
    """A whole number written in ASCII digits only (at most `digits` of them), or None.

    str.isdigit() also accepts '²' and '٣', which int() refuses or reads as a number: keys,
    indices and answers typed on the command line take only 0-9.
    """
    if 0 < len(text) <= digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def did_you_mean(word: str, choices: list[str]) -> str:
    """A hint naming the closest valid choice, or nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    from simulator.i18n import _

    return _(" (did you mean `{choice}`?)").format(choice=close[0]) if close else ""


def name_subjects(template: str, names: Mapping[str, str] | None = None) -> str:
    """Text naming subjects in braces ("try {runs} 200"), each called by its name in `names`."""
    return template.format_map(_Words(names or {}))


class ExitCode(IntEnum):
    """Process exit codes, named."""

    OK = 0
    INTERNAL = 1
    BAD_INPUT = 2
    INTERRUPTED = 130


class _Words(dict[str, str]):
    """Names for the subjects of messages; a subject without one is called by its own word."""

    def __missing__(self, subject: str) -> str:
        return subject.replace("_", " ")


class Setting(str):
    """A patch labelled by the setting that made it ("set days=30"), for problems it causes.

    The core says which setting (`subject`) and what was given; a Problem blamed on it calls the
    setting by its name, so the command line can say `--set days=30` where the core says
    "set days=30".
    """

    subject: str
    given: str

    def __new__(cls, subject: str, given: str) -> Setting:
        made = super().__new__(cls, f"{_Words()[subject]} {given}")
        made.subject = subject
        made.given = given
        return made

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (self.subject, self.given)


@dataclass(frozen=True)
class Problem:
    """One problem in an input, located as precisely as we can.

    A problem with a value given outside the file (a countermeasure asked for) has a `subject`
    instead of a file for its source; `text(names)` calls it by its name there.
    """

    source: str
    line: int | None
    column: int | None
    key: str
    message: str
    subject: str | None = None

    def __post_init__(self) -> None:
        # A problem blamed on a setting names the setting as its subject, with what was given.
        if isinstance(self.source, Setting) and self.subject is None:
            object.__setattr__(self, "subject", self.source.subject)
            object.__setattr__(self, "source", self.source.given)

    def origin(self, names: Mapping[str, str] | None = None) -> str:
        """The file, or the subject (followed by the value as given, if any), without position."""
        if self.subject is None:
            return self.source
        name = _Words(names or {})[self.subject]
        return f"{name} {self.source}" if self.source else name

    def text(self, names: Mapping[str, str] | None = None) -> str:
        """The problem as one line, its subject called by its name in `names`."""
        where = self.origin(names)
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"
        return printable(text)

    def __str__(self) -> str:
        return self.text()


class ExposureError(Exception):
    """Base of every error caused by the user's input (exit code 2).

    The core names what a message is about by a word of its own (`subject`: "role", "person",
    "countermeasure", "day"...), followed by the value as `given` when that helps; `advice` may
    name more subjects in braces ("leave {seed} out"). Only the command line knows its flags: it
    passes them to `lines` as the names of the subjects.
    """

    exit_code = ExitCode.BAD_INPUT

    def __init__(
        self,
        message: str = "",
        *,
        subject: str | None = None,
        given: object = None,
        advice: str = "",
    ):
        self.message = message
        self.subject = subject
        self.given = None if given is None else str(given)
        self.advice = advice
        super().__init__(self.phrased())

    def phrased(self, names: Mapping[str, str] | None = None) -> str:
        """The message, its subjects called by their names in `names` (else by their own words)."""
        words = _Words(names or {})
        text = self.message + name_subjects(self.advice, names)
        if self.subject is None:
            return text
        head = words[self.subject] if self.given is None else f"{words[self.subject]} {self.given}"
        return f"{head}: {text}"

    def lines(self, names: Mapping[str, str] | None = None) -> list[str]:
        """The error as one or more one-line messages, its subjects called by `names`."""
        return [printable(self.phrased(names))]


# A hostile file can have thousands of problems; a person reads the first few dozen.
MAX_PROBLEM_LINES = 50


class ScenarioError(ExposureError):
    """One or more problems in a scenario, its patches or its overrides."""

    def __init__(self, problems: list[Problem]):
        # One mistake can be met twice (a countermeasure's key, checked again where an exercise
        # choice applies it): each problem is told once, where it was first met.
        self.problems = list(dict.fromkeys(problems))
        super().__init__("\n".join(self.lines()))

    def lines(self, names: Mapping[str, str] | None = None) -> list[str]:
        shown = [p.text(names) for p in self.problems[:MAX_PROBLEM_LINES]]
        if len(self.problems) > MAX_PROBLEM_LINES:
            rest = len(self.problems) - MAX_PROBLEM_LINES
            shown.append(f"{self.problems[-1].origin(names)}: and {rest} more problems")
        return shown


class UsageError(ExposureError):
    """A bad flag or value on the command line."""


class ResourceError(ExposureError):
    """A request that would not fit in memory, refused before allocating."""


class SealError(ExposureError):
    """A sealed file that cannot be opened (wrong passphrase, changed, unknown format) or sealed."""
