"""Reading scenario files safely, keeping the line and column of every key and value."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from simulator.errors import Problem, ScenarioError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 48

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

    def locate(self, path: Path_, *, key: bool = False) -> tuple[str, int | None, int | None]:
        """The source, line and column for a path, falling back to its nearest ancestor.

        A value set by a patch (or inside one, or a section a patch changed) is blamed on the patch.
        """
        for depth in range(len(path), -1, -1):
            if tuple(path[:depth]) in self.patched:
                return self.patched[tuple(path[:depth])], None, None
        inside = [label for changed, label in self.patched.items() if changed[: len(path)] == tuple(path)]
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


def dotted(path: Path_) -> str:
    """A path as a dotted key: activities.call_abroad.minutes."""
    return ".".join(str(p) for p in path)


def describe(value: Any, limit: int = 40) -> str:
    """A short, safe rendering of a bad value for an error message."""
    text = repr(value)
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_text(path: Path, source: str) -> tuple[str, bytes]:
    """Read a file as UTF-8 text, refusing missing, huge, binary or unreadable files."""
    try:
        if path.is_dir():
            raise ScenarioError([Problem(source, None, None, "", "is a folder, not a scenario file")])
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except ScenarioError:
        raise
    except FileNotFoundError:
        raise ScenarioError([Problem(source, None, None, "", "no such file")]) from None
    except PermissionError:
        raise ScenarioError([Problem(source, None, None, "", "permission denied")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(source, None, None, "", f"cannot read ({exc.strerror})")]) from None
    return decode_text(raw, source), raw


def decode_text(raw: bytes, source: str) -> str:
    """Check size and encoding of a scenario's bytes and return its text."""
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([Problem(source, None, None, "", f"is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB; scenario files are small text files")])
    if not raw.strip():
        raise ScenarioError([Problem(source, None, None, "", "is empty")])
    if b"\x00" in raw:
        raise ScenarioError([Problem(source, None, None, "", "is a binary file, not a YAML scenario")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(source, None, None, "", f"is not UTF-8 text (bad byte at offset {exc.start})")]) from None


def parse_yaml(text: str, raw: bytes, source: str) -> Document:
    """Parse YAML 1.2 text into plain data with positions, refusing tags, bombs and duplicates."""
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
        return _raise(Problem(source, line, col, "", f"invalid YAML: {what}"))
    except RecursionError:
        return _raise(Problem(source, None, None, "", f"nesting is deeper than {MAX_DEPTH} levels"))
    except YAMLError as exc:
        return _raise(Problem(source, None, None, "", f"invalid YAML: {str(exc).splitlines()[0]}"))
    doc = Document(source=source, data=None, sha256=hashlib.sha256(raw).hexdigest())
    walker = _Walker(doc)
    doc.data = walker.plain(tree, (), 0)
    if walker.problems:
        raise ScenarioError(walker.problems[:20])
    if not isinstance(doc.data, dict):
        _raise(Problem(source, 1, 1, "", f"a scenario is a mapping of keys to values (got {type(doc.data).__name__})"))
    return doc


def _raise(problem: Problem) -> Any:
    raise ScenarioError([problem])


class _Walker:
    """Turns ruamel's round-trip tree into plain data, recording positions and limits."""

    def __init__(self, doc: Document):
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
                self.problems.append(self.doc.problem(path, f"the document expands to more than {MAX_NODES} values (aliases?); scenario files are small"))
            return None
        if depth > MAX_DEPTH:
            self.problems.append(self.doc.problem(path, f"nesting is deeper than {MAX_DEPTH} levels"))
            self.nodes = MAX_NODES + 1
            self.too_big = True
            return None
        tag = self._tag_of(node)
        if isinstance(node, TaggedScalar) or tag not in _STANDARD_TAGS:
            self.problems.append(self.doc.problem(path, f"YAML tags are not allowed in scenarios (got {describe(tag)})"))
            return None
        if isinstance(node, CommentedMap):
            out: dict[str, Any] = {}
            for key in node:
                if not isinstance(key, str):
                    self.problems.append(self.doc.problem(path, f"keys must be text (got {describe(key)})"))
                    continue
                child = (*path, key)
                pos = node.lc.data.get(key)
                if pos:
                    self.doc.key_pos[child] = (pos[0] + 1, pos[1] + 1)
                    self.doc.value_pos[child] = (pos[2] + 1, pos[3] + 1)
                out[key] = self.plain(node[key], child, depth + 1)
            return out
        if isinstance(node, CommentedSeq):
            items = []
            for i, item in enumerate(node):
                child = (*path, i)
                pos = node.lc.data.get(i)
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
            return str(node)
        if isinstance(node, (datetime.date, datetime.datetime)):
            return node.isoformat()  # dates are text in a scenario
        if isinstance(node, bytes):
            self.problems.append(self.doc.problem(path, "YAML tags are not allowed in scenarios (got '!!binary')"))
            return None
        self.problems.append(self.doc.problem(path, f"unsupported YAML value (got {type(node).__name__})"))
        return None


def load_document(path: Path, source: str | None = None) -> Document:
    """Read and parse one scenario file."""
    label = source or str(path)
    text, raw = read_text(path, label)
    doc = parse_yaml(text, raw, label)
    doc.path = str(path)
    return doc


def parse_scalar(text: str) -> Any:
    """Parse a `--set` value as a YAML 1.2 scalar or flow list (`3`, `0.5`, `true`, `[1, 2]`)."""
    yaml = YAML(typ="rt", pure=True)
    try:
        node = yaml.load(text) if text.strip() else ""
    except YAMLError:
        return text
    doc = Document(source="--set", data=None, sha256="")
    walker = _Walker(doc)
    value = walker.plain(node, (), 0)
    if walker.problems:
        return text
    if isinstance(value, dict):
        return text
    return value
