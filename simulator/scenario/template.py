"""Starting a new scenario: a bundled one (or a small template) with every key explained.

`exposure new NAME --from SCENARIO` writes the scenario's YAML under a new name, keeping its own
comments and adding, above the first use of every key, a comment that says what the key means.
This module only lays the comments out: their words are the models' field descriptions, through
simulator/scenario/reference.py, which also writes the key tables of docs/scenario-format.md.
"""

from __future__ import annotations

import io
import re
import textwrap
from importlib import resources
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from simulator.errors import UsageError, did_you_mean
from simulator.scenario.loader import Path_, decode_text, parse_yaml
from simulator.scenario.model import Scenario
from simulator.scenario.reference import key_reference
from simulator.scenario.validation import _unwrap, types_at, validate_model

TEMPLATE = "template.yaml"
COMMENT_WIDTH = 98
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _models_at(path: Path_) -> list[type[BaseModel]]:
    """The parts of the format (models) a mapping at `path` may be."""
    return [
        alt
        for tp in types_at(path)
        for alt in _unwrap(tp)
        if isinstance(alt, type) and issubclass(alt, BaseModel)
    ]


def note_for(path: Path_, key: str) -> str | None:
    """The note explaining `key` in the mapping at `path`, or None for a name the author chose."""
    for model in _models_at(path) if path else [Scenario]:
        for field, info in model.model_fields.items():
            if (info.alias or field) == key:
                return key_reference(model, field).note()
    return None


def _is_flow(node: Any) -> bool:
    return bool(getattr(node, "fa", None) is not None and node.fa.flow_style())


def _wrap(key: str, note: str, indent: int) -> str:
    return "\n".join(textwrap.wrap(f"{key}: {note}.", width=COMMENT_WIDTH - indent - 2))


class _Annotator:
    """Adds a note above the first use of every key, walking the round-trip tree in file order."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, ...]] = set()

    def _first(self, path: Path_, key: str) -> str | None:
        note = note_for(path, key)
        if note is None:
            return None
        ident = (*(m.__name__ for m in _models_at(path)), key) if path else ("Scenario", key)
        if ident in self.seen:
            return None
        self.seen.add(ident)
        return note

    def _inline_notes(self, node: Any, path: Path_) -> list[str]:
        """Notes for keys written inside a flow mapping, which cannot hold comments of their own."""
        out: list[str] = []
        if isinstance(node, CommentedMap):
            for key, value in node.items():
                note = self._first(path, str(key))
                if note is not None:
                    out.append(f"{key}: {note}.")
                out += self._inline_notes(value, (*path, str(key)))
        elif isinstance(node, CommentedSeq):
            for i, item in enumerate(node):
                out += self._inline_notes(item, (*path, i))
        return out

    def _notes(self, node: CommentedMap, path: Path_, indent: int) -> dict[Any, str]:
        """The comment to put above each key of a block mapping (first uses only)."""
        out: dict[Any, str] = {}
        for key, value in node.items():
            child = (*path, str(key))
            lines: list[str] = []
            note = self._first(path, str(key))
            if note is not None:
                lines.append(_wrap(str(key), note, indent))
            if _is_flow(value):
                extra = self._inline_notes(value, child)
                if extra:
                    lines.append(
                        "\n".join(textwrap.wrap(" ".join(extra), width=COMMENT_WIDTH - indent - 2))
                    )
            if lines:
                out[key] = "\n".join(lines)
        return out

    def walk(self, node: Any, path: Path_, indent: int) -> None:
        """Annotate a block mapping or sequence and everything inside it."""
        if isinstance(node, CommentedMap):
            notes = self._notes(node, path, indent)
            for key in list(node.keys()):
                if not _is_flow(node[key]):
                    self.walk(node[key], (*path, str(key)), indent + 2)
                if key in notes:
                    node.yaml_set_comment_before_after_key(key, before=notes[key], indent=indent)
        elif isinstance(node, CommentedSeq):
            for i, item in enumerate(node):
                child = (*path, i)
                if _is_flow(item):
                    text = "\n".join(
                        textwrap.wrap(
                            " ".join(self._inline_notes(item, child)),
                            width=COMMENT_WIDTH - indent - 2,
                        )
                    )
                elif isinstance(item, CommentedMap):
                    # A comment above the first key of an item would land after its dash: put the
                    # notes of the item's own keys above the item instead.
                    notes = self._notes(item, child, indent)
                    text = "\n".join(notes.values())
                    for key in list(item.keys()):
                        if not _is_flow(item[key]):
                            self.walk(item[key], (*child, str(key)), indent + 4)
                else:
                    text = ""
                if text:
                    node.yaml_set_comment_before_after_key(i, before=text, indent=indent)


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096  # keep the source's own line breaks; never re-wrap its text
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


def annotate(text: str, name: str, origin: str) -> str:
    """A scenario's YAML renamed to `name`, with a header and every key explained in a comment."""
    yaml = _yaml()
    tree = yaml.load(text)
    if not isinstance(tree, CommentedMap):
        raise UsageError(f"{origin}: is not a scenario (a mapping of keys to values)")
    tree["name"] = name
    _Annotator().walk(tree, (), 0)
    buffer = io.StringIO()
    yaml.dump(tree, buffer)
    header = [
        f"# {name}: a new scenario, started from {origin} with `exposure new`.",
        "# Edit the values to fit your training. A comment above the first use of every key says "
        "what it",
        "# means; docs/scenario-format.md has the full reference. Keep personas as roles and "
        "pseudonyms:",
        "# never enter the real name of a person you work with.",
        f"# Check your changes with `exposure validate {name}.yaml --check-objectives`, read the "
        "scenario",
        f"# in plain words with `exposure show {name}.yaml`, and simulate it with "
        f"`exposure run {name}.yaml`.",
        "",
    ]
    return "\n".join(header) + buffer.getvalue()


def template_text() -> str:
    """The small commented template `exposure new` starts from by default."""
    return (resources.files("simulator") / "scenario" / TEMPLATE).read_text(encoding="utf-8")


def new_scenario(name: str, origin: str | None) -> str:
    """The text of a new scenario named `name`, from a bundled scenario or the template.

    The text is validated before it is returned, so that `exposure new` never writes a file that
    `exposure validate` would refuse.
    """
    from simulator.scenario import bundled_dir, bundled_names

    if not NAME_PATTERN.match(name):
        raise UsageError(
            f"{name}: a scenario name is lower-case letters, digits and -, starting with a letter "
            "or digit (at most 64)"
        )
    if origin is None:
        text, label = template_text(), "Exposure's small template"
    else:
        names = bundled_names()
        if origin not in names:
            raise UsageError(
                f"no bundled scenario by this name{did_you_mean(origin, names)}; "
                f"bundled: {', '.join(names)}",
                subject="origin",
                given=origin,
            )
        raw = (bundled_dir() / f"{origin}.yaml").read_bytes()
        text, label = decode_text(raw, origin), f"the bundled scenario `{origin}`"
    out = annotate(text, name, label)
    raw_out = out.encode("utf-8")
    validate_model(parse_yaml(out, raw_out, f"{name}.yaml"))
    return out
