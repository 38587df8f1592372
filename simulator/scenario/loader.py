"""Reading scenario files safely, keeping the line and column of every key and value."""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.errors import Problem, ScenarioError, SealError, ascii_number
from simulator.files import FileProblem, read_bounded
from simulator.seal import Passphrase, is_sealed, sealed_size, unseal

# Limits that keep a hostile file to a fraction of a second and a few MiB: the pure-Python
# parser takes about 100 microseconds a value, and the bundled scenarios have under 400 lines
# and commas.
MAX_FILE_BYTES = 1024 * 1024
MAX_ITEMS = 3_000  # lines plus commas, counted before parsing
MAX_NODES = 50_000  # values after expanding aliases
MAX_DEPTH = 48
# Control characters (but tab and line feed), bidirectional controls and marks, line separators
# and invisible characters can make a terminal or a report show something other than what the
# file says. The zero-width (non-)joiners U+200C and U+200D stay: Persian and Indic scripts need
# them to be spelled right.
_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_INVISIBLE = "\u180e\u200b\u2060-\u2064\ufeff\ufff9-\ufffb"
_UNSAFE_CHARACTER = re.compile(f"[{_CONTROL}{_INVISIBLE}]")
_INVISIBLE_CHARACTER = re.compile(f"[{_INVISIBLE}]")

Path_ = tuple[str | int, ...]

_STANDARD_TAGS = {
    None,
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


def _copy_plain(data: Any) -> Any:
    """A deep copy of plain data: mappings and lists copied, everything else (immutable) shared."""
    if isinstance(data, dict):
        return {k: _copy_plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy_plain(v) for v in data]
    return data


@dataclass
class Document:
    """A parsed scenario document: plain data plus where each piece came from."""

    source: str
    data: Any
    sha256: str
    # path -> (line, column) of the value, and of the key for mapping entries (1-based).
    value_pos: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_pos: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    # Paths changed by a patch: path -> label of the patch (used instead of file positions).
    patched: dict[Path_, str] = field(default_factory=dict)
    path: str = ""
    # Numbers written `{value: X, range: [LOW, HIGH]}`: path -> the range as written (ranges.py).
    ranges: dict[Path_, Any] = field(default_factory=dict)
    # Read from a sealed file: its text must not leave the process in clear.
    sealed: bool = False

    def __deepcopy__(self, memo: dict[int, Any]) -> Document:
        """A copy with its own data and patch records; positions, fixed once parsed, are shared.

        Variants of a scenario are made by patching copies of its document, one for every
        parameter set and countermeasure: copying the positions of every key each time cost
        more than validating the copy.
        """
        return Document(
            self.source,
            _copy_plain(self.data),
            self.sha256,
            self.value_pos,
            self.key_pos,
            dict(self.patched),
            self.path,
            _copy_plain(self.ranges),
        )

    def locate(self, path: Path_, *, key: bool = False) -> tuple[str, int | None, int | None]:
        """The source, line and column for a path, falling back to its nearest ancestor.

        A value set by a patch (or inside one, or a section a patch changed) is blamed on the patch.
        """
        for depth in range(len(path), -1, -1):
            if tuple(path[:depth]) in self.patched:
                return self.patched[tuple(path[:depth])], None, None
        inside = [
            label for changed, label in self.patched.items() if changed[: len(path)] == tuple(path)
        ]
        if inside:
            return inside[0], None, None
        for depth in range(len(path), -1, -1):
            head = tuple(path[:depth])
            table = self.key_pos if (key and depth == len(path)) else self.value_pos
            if head in table:
                line, col = table[head]
                return self.source, line, col
            if head in self.key_pos:
                line, col = self.key_pos[head]
                return self.source, line, col
        return self.source, None, None

    def problem(self, path: Path_, message: str, *, key: bool = False) -> Problem:
        """A Problem located at `path`."""
        source, line, col = self.locate(path, key=key)
        return Problem(source, line, col, dotted(path), message)


def split_key(key: str) -> Path_:
    """`contacts.ties.0.each` -> ("contacts", "ties", 0, "each")."""
    return tuple(_part(p) for p in key.split("."))


def _part(text: str) -> str | int:
    """A part of a dotted key: an index in ASCII digits, or a name."""
    index = ascii_number(text)
    return text if index is None else index


def dotted(path: Path_) -> str:
    """A path as a dotted key: activities.call_abroad.minutes."""
    return ".".join(str(p) for p in path)


def describe(value: Any, limit: int = 40) -> str:
    """A short, safe rendering of a bad value for an error message."""
    text = repr(value)
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_text(
    path: Path, source: str, passphrase: Passphrase | None = None
) -> tuple[str, bytes, bool]:
    """Read a file as UTF-8 text, refusing missing, huge, binary or unreadable files.

    A sealed file is opened in memory with the passphrase (by default from EXPOSURE_PASSPHRASE);
    the text and bytes returned are then the plaintext's. The flag says whether it was sealed.
    """
    try:
        raw = read_bounded(path, sealed_size(MAX_FILE_BYTES), "a scenario file")
    except FileProblem as problem:
        raise ScenarioError([Problem(source, None, None, "", problem.reason)]) from None
    if is_sealed(raw):
        if len(raw) > sealed_size(MAX_FILE_BYTES):
            return decode_text(raw, source), raw, True  # refused for its size, before decryption
        try:
            raw = unseal(raw, passphrase if passphrase is not None else Passphrase())
        except SealError as exc:
            raise ScenarioError([Problem(source, None, None, "", f"is sealed: {exc}")]) from None
        return decode_text(raw, source), raw, True
    return decode_text(raw, source), raw, False


def decode_text(raw: bytes, source: str) -> str:
    """Check size and encoding of a scenario's bytes and return its text."""
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            [
                Problem(
                    source,
                    None,
                    None,
                    "",
                    f"is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB; scenario files are "
                    "small text files",
                )
            ]
        )
    if not raw.strip():
        raise ScenarioError([Problem(source, None, None, "", "is empty")])
    if b"\x00" in raw:
        raise ScenarioError(
            [Problem(source, None, None, "", "is a binary file, not a YAML scenario")]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [Problem(source, None, None, "", f"is not UTF-8 text (bad byte at offset {exc.start})")]
        ) from None


def check_shape(text: str, source: str) -> None:
    """Refuse, before parsing, text with too many values or flow brackets nested too deep."""
    items = text.count("\n") + text.count(",")
    if items > MAX_ITEMS:
        _raise(
            Problem(
                source,
                None,
                None,
                "",
                f"has more than {MAX_ITEMS:,} lines and list items; scenario files are small",
            )
        )
    # Bracket depth, never below zero; counts brackets inside text too, which only over-estimates.
    # Only the brackets are visited: a scenario has a few hundred, and numpy would cost more to
    # import than this takes; a file of brackets (hostile) is counted with numpy.
    brackets = _BRACKET.findall(text)
    if len(brackets) > _FEW_BRACKETS:
        deepest = _deepest(brackets)
    else:
        deepest = level = lowest = 0
        for bracket in brackets:
            level += 1 if bracket in "[{" else -1
            lowest = min(lowest, level)
            deepest = max(deepest, level - lowest)
    if deepest > MAX_DEPTH:
        _raise(Problem(source, None, None, "", f"nesting is deeper than {MAX_DEPTH} levels"))


_BRACKET = re.compile(r"[\[\]{}]")
_FEW_BRACKETS = 20_000


def _deepest(brackets: list[str]) -> int:
    """The deepest nesting of many brackets, never counting below zero."""
    import numpy as np

    codes = np.frombuffer("".join(brackets).encode("ascii"), dtype=np.uint8)
    steps = np.isin(codes, (ord("["), ord("{"))).astype(np.int32) - np.isin(
        codes, (ord("]"), ord("}"))
    )
    level = np.cumsum(steps)
    return int((level - np.minimum(np.minimum.accumulate(level), 0)).max())


_BLANKS_AND_COMMENTS = re.compile(r"(?:\s|#[^\n]*)*")


def _value_start(text: str) -> tuple[int, int] | None:
    """Where the plain value being read when the scanner failed began (line, column from 1).

    The scanner reports "mapping values are not allowed here" at the colon it met, but the
    mistake is where the value it was reading started: a key whose colon is missing, or a line
    indented differently from its neighbours, swallows the lines below it into one value.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    last = None
    try:
        for token in YAML(typ="rt", pure=True).scan(text):
            last = token
    except YAMLError:
        begin = last.end_mark.index if last is not None else 0
        match = _BLANKS_AND_COMMENTS.match(text, begin)
        at = match.end() if match else begin
        line_start = text.rfind("\n", 0, at) + 1
        return text.count("\n", 0, at) + 1, at - line_start + 1
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _swallowed_line(text: str, line: int, col: int, what: str) -> tuple[int, int, str]:
    """Where a "mapping values are not allowed here" mistake is, and what it probably is.

    A plain value swallowed the line the scanner failed on. Either the value's line has no colon
    (the value is really a key), or one of the two lines is indented out of step: the value's line
    if the line above it is indented like the swallowed one, else the swallowed line itself.
    """
    start = _value_start(text)
    if start is None or start[0] >= line:
        return line, col, what
    lines = text.split("\n")
    key_line = lines[start[0] - 1]
    if ":" not in key_line[: start[1] - 1]:
        return (
            start[0],
            start[1],
            f"a colon is missing after the key (line {line} is read as part of it)",
        )
    above = next(
        (
            lines[i]
            for i in range(start[0] - 2, -1, -1)
            if lines[i].strip() and not lines[i].lstrip().startswith("#")
        ),
        "",
    )
    if above and not above.rstrip().endswith(":") and _indent(above) == _indent(lines[line - 1]):
        return (
            start[0],
            _indent(key_line) + 1,
            f"this line is indented less than the lines around it, so line {line} is read as "
            "part of its value",
        )
    return (
        line,
        _indent(lines[line - 1]) + 1,
        (
            f"this line is indented more than line {start[0]} above it, so it is read as part of "
            "that line's value"
        ),
    )


def parse_yaml(text: str, raw: bytes, source: str) -> Document:
    """Parse YAML 1.2 text into plain data with positions, refusing tags, bombs and duplicates."""
    # The parser is imported only to parse: a scenario found kept (see cache.py) needs none.
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    check_shape(text, source)
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        what = (exc.problem or exc.context or "invalid YAML").strip()
        if "duplicate key" in what:
            what = what.split(" with value")[0]
        if what == "mapping values are not allowed here" and line is not None:
            line, col, what = _swallowed_line(text, line, col or 1, what)
        return _raise(Problem(source, line, col, "", f"invalid YAML: {what}"))
    except RecursionError:
        return _raise(Problem(source, None, None, "", f"nesting is deeper than {MAX_DEPTH} levels"))
    except YAMLError as exc:
        return _raise(Problem(source, None, None, "", f"invalid YAML: {str(exc).splitlines()[0]}"))
    except ValueError as exc:  # a number with more digits than Python converts
        what = " ".join(str(exc).split(";")[0].split())[:120]
        return _raise(
            Problem(source, None, None, "", f"invalid YAML: {what[:1].lower()}{what[1:]}")
        )
    doc = Document(source=source, data=None, sha256=hashlib.sha256(raw).hexdigest())
    walker = _Walker(doc)
    doc.data = walker.plain(tree, (), 0)
    if walker.problems:
        raise ScenarioError(walker.problems[:20])
    if not isinstance(doc.data, dict):
        _raise(
            Problem(
                source,
                1,
                1,
                "",
                f"a scenario is a mapping of keys to values (got {type(doc.data).__name__})",
            )
        )
    lift_ranges(doc)
    return doc


# A top-level key as the bundled scenarios write it: a plain name at the start of a line.
_TOP_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: |\n|$)")
_LINE = re.compile(r"[^\n]*\n|[^\n]+$")


def top_level(
    text: str, raw: bytes, source: str, wanted: frozenset[str]
) -> tuple[dict[str, Any], list[str]] | None:
    """The values of a few top-level keys, parsed alone, and every top-level key, in file order.

    The full parse of a large scenario takes a tenth of a second (pure-Python YAML); a listing
    needs its title. Only a file laid out plainly is cut: every line that starts a top-level entry
    is `name:` at its first column, each name once. The lines of the wanted keys are parsed as one
    document by `parse_yaml`, with all its refusals, and the whole text is checked for size, lines
    and nesting as before any parse. Anything else (a document marker, a quoted or complex key, a
    sequence at the first column, a tab, a duplicate, a piece that does not parse alone, such as
    an alias of an anchor elsewhere) gives None: the caller parses the whole file, which then
    says what is wrong, where.
    """
    check_shape(text, source)
    keys: list[str] = []
    kept: list[str] = []
    keep = False
    for line in _LINE.findall(text):  # each with its line feed: a block scalar keeps its own
        if line[:1] in (" ", "#", "\n") or line == "\r\n":
            if keep:
                kept.append(line)
            continue
        found = _TOP_KEY.match(line)
        if found is None:
            return None
        keys.append(found[1])
        keep = found[1] in wanted
        if keep:
            kept.append(line)
    if len(set(keys)) != len(keys):
        return None
    try:
        doc = parse_yaml("".join(kept) or "{}", raw, source)
    except ScenarioError:
        return None
    return doc.data, keys


VALUE = "value"
RANGE = "range"


def is_ranged(node: Any) -> bool:
    """Whether a plain value is written as `{value: X, range: [LOW, HIGH]}`."""
    return isinstance(node, dict) and set(node) == {VALUE, RANGE}


def lift_ranges(doc: Document) -> None:
    """Replace every `{value, range}` mapping by its value, keeping the range in `doc.ranges`.

    The models then see plain values, so a range can never change the value used; the file
    positions stay recorded under the mapping's own path, where errors about the value belong.
    """

    def walk(node: Any, path: Path_) -> Any:
        if is_ranged(node):
            doc.ranges[path] = node[RANGE]
            return node[VALUE]
        if isinstance(node, dict):
            for key in node:
                node[key] = walk(node[key], (*path, key))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                node[i] = walk(item, (*path, i))
        return node

    doc.data = walk(doc.data, ())


def _raise(problem: Problem) -> Any:
    raise ScenarioError([problem])


class _Walker:
    """Turns ruamel's round-trip tree into plain data, recording positions and limits."""

    def __init__(self, doc: Document):
        from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

        self.mapping, self.sequence, self.tagged = CommentedMap, CommentedSeq, TaggedScalar
        self.doc = doc
        self.nodes = 0
        self.problems: list[Problem] = []
        self.too_big = False

    def _tag_of(self, node: Any) -> str | None:
        tag = getattr(node, "tag", None)
        value = getattr(tag, "value", tag)
        return value if isinstance(value, str) else None

    def plain(self, node: Any, path: Path_, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if not self.too_big:
                self.too_big = True
                self.problems.append(
                    self.doc.problem(
                        path,
                        f"the document expands to more than {MAX_NODES} values (aliases?); "
                        "scenario files are small",
                    )
                )
            return None
        if depth > MAX_DEPTH:
            self.problems.append(
                self.doc.problem(path, f"nesting is deeper than {MAX_DEPTH} levels")
            )
            self.nodes = MAX_NODES + 1
            self.too_big = True
            return None
        tag = self._tag_of(node)
        if isinstance(node, self.tagged) or tag not in _STANDARD_TAGS:
            self.problems.append(
                self.doc.problem(
                    path, f"YAML tags are not allowed in scenarios (got {describe(tag)})"
                )
            )
            return None
        if isinstance(node, self.mapping):
            out: dict[str, Any] = {}
            for key in node:
                if not isinstance(key, str):
                    self.problems.append(
                        self.doc.problem(path, f"keys must be text (got {describe(key)})")
                    )
                    continue
                if _UNSAFE_CHARACTER.search(key):
                    self.problems.append(
                        self.doc.problem(path, f"{_unsafe(key)} in a key (got {describe(key)})")
                    )
                    continue
                child = (*path, key)
                pos = (node.lc.data or {}).get(key)  # merged keys have no position of their own
                if pos:
                    self.doc.key_pos[child] = (pos[0] + 1, pos[1] + 1)
                    self.doc.value_pos[child] = (pos[2] + 1, pos[3] + 1)
                out[key] = self.plain(node[key], child, depth + 1)
            return out
        if isinstance(node, self.sequence):
            items = []
            for i, item in enumerate(node):
                child = (*path, i)
                pos = (node.lc.data or {}).get(i)
                if pos:
                    self.doc.value_pos[child] = (pos[0] + 1, pos[1] + 1)
                items.append(self.plain(item, child, depth + 1))
            return items
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, str):
            if _UNSAFE_CHARACTER.search(node):
                self.problems.append(
                    self.doc.problem(path, f"{_unsafe(node)} (got {describe(node)})")
                )
                return None
            return str(node)
        if isinstance(node, (datetime.date, datetime.datetime)):
            return node.isoformat()  # dates are text in a scenario
        if isinstance(node, bytes):
            self.problems.append(
                self.doc.problem(path, "YAML tags are not allowed in scenarios (got '!!binary')")
            )
            return None
        self.problems.append(
            self.doc.problem(path, f"unsupported YAML value (got {type(node).__name__})")
        )
        return None


def _unsafe(text: str) -> str:
    found = _UNSAFE_CHARACTER.search(text)
    code = f"U+{ord(found.group()):04X}" if found else "?"
    kind = "invisible" if found and _INVISIBLE_CHARACTER.match(found.group()) else "control"
    return f"contains the {kind} character {code}, which can change what a terminal or report shows"


def parse_scalar(text: str) -> Any:
    """Parse a `--set` value as a YAML 1.2 scalar or flow list (`3`, `0.5`, `true`, `[1, 2]`)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt", pure=True)
    try:
        check_shape(text, "a value")
        node = yaml.load(text) if text.strip() else ""
    except (YAMLError, ScenarioError, RecursionError, ValueError):
        return text
    doc = Document(source="a value", data=None, sha256="")
    walker = _Walker(doc)
    value = walker.plain(node, (), 0)
    if walker.problems:
        return text
    if isinstance(value, dict):
        return text
    return value
