"""Patches to a scenario document: `--set key=value` and countermeasures' `set`/`scale`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from simulator.errors import Problem, did_you_mean
from simulator.scenario.loader import (
    Document,
    Path_,
    describe,
    dotted,
    parse_scalar,
    split_key,
)
from simulator.scenario.validation import _unwrap, keys_at, types_at


@dataclass(frozen=True)
class Override:
    """One value set over a scenario file: a dotted key, the value, and what its problems blame."""

    key: str
    value: Any
    label: str  # where its problems are blamed, e.g. Setting("set", "days=30") or a file position


def parse_override(expr: str) -> tuple[str, Any]:
    """Split `dotted.key=value` and parse the value as a YAML scalar."""
    key, sep, text = expr.partition("=")
    if not sep or not key.strip():
        raise ValueError("expected dotted.key=value")
    return key.strip(), parse_scalar(text.strip())


def _is_model_slot(path: Path_) -> bool:
    return any(
        isinstance(alt, type) and issubclass(alt, BaseModel)
        for tp in types_at(path)
        for alt in _unwrap(tp)
    )


def _locate_slot(
    doc: Document, path: Path_, label: str, create: bool
) -> tuple[Any, str | int] | Problem:
    """Find the container holding `path`'s last part, creating optional sections if allowed."""
    key = dotted(path)
    if not path or not types_at(path):
        parent = path[:-1]
        choices = keys_at(parent) or _existing(doc.data, parent)
        word = str(path[-1]) if path else ""
        return Problem(
            label, None, None, key, "no such key in a scenario" + did_you_mean(word, choices)
        )
    current = doc.data
    for depth, part in enumerate(path[:-1]):
        here = path[: depth + 1]
        if isinstance(current, dict) and part in current and current[part] is not None:  # noqa: SIM114
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and part < len(current):
            current = current[part]
        elif (
            create
            and isinstance(current, dict)
            and isinstance(part, str)
            and _is_model_slot(here)
            and part in keys_at(path[:depth])
        ):
            current[part] = {}
            current = current[part]
            doc.patched[here] = label
        else:
            names = _existing(doc.data, path[:depth])
            what = f"the scenario has no `{dotted(here)}`"
            return Problem(label, None, None, key, what + did_you_mean(str(part), names))
    return current, path[-1]


def _existing(data: Any, path: Path_) -> list[str]:
    current = data
    for part in path:
        if isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return []
    return [str(k) for k in current] if isinstance(current, dict) else []


def apply_set(doc: Document, key: str, value: Any, label: str) -> Problem | None:
    """Set one value; returns a problem instead of raising so all are reported together."""
    path = split_key(key)
    slot = _locate_slot(doc, path, label, create=True)
    if isinstance(slot, Problem):
        return slot
    container, last = slot
    if isinstance(container, list):
        if not isinstance(last, int) or last >= len(container):
            return Problem(label, None, None, key, f"no item {last} in this list")
    elif not isinstance(container, dict):
        return Problem(label, None, None, key, "cannot set a key inside a plain value")
    elif isinstance(last, str) and last not in container and last not in keys_at(path[:-1]):
        names = _existing(doc.data, path[:-1])
        return Problem(
            label, None, None, key, f"the scenario has no `{key}`" + did_you_mean(last, names)
        )
    container[last] = value
    doc.patched[path] = label
    return None


def apply_scale(doc: Document, key: str, factor: float, label: str) -> Problem | None:
    """Multiply one number the scenario sets."""
    path = split_key(key)
    slot = _locate_slot(doc, path, label, create=False)
    if isinstance(slot, Problem):
        return slot
    container, last = slot
    try:
        current = container[last]
    except (KeyError, IndexError, TypeError):
        return Problem(
            label, None, None, key, "cannot scale a value the scenario does not set; use `set`"
        )
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        return Problem(label, None, None, key, f"can only scale a number (got {describe(current)})")
    scaled = current * factor
    container[last] = (
        round(scaled) if isinstance(current, int) and float(scaled).is_integer() else scaled
    )
    doc.patched[path] = label
    return None
