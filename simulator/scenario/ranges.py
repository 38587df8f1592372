"""Sourced ranges: a number written `{value: X, range: [LOW, HIGH]}` and what they must satisfy.

A range says how far an estimate could honestly be from the value the scenario uses. It never
changes that value: the loader lifts each such mapping to its value before the models see it, and
keeps the range beside the document, so `run` simulates exactly what the plain value would give.
"""

from __future__ import annotations

import copy
from typing import Any

from simulator.errors import Problem, ScenarioError, ascii_number
from simulator.scenario.loader import RANGE, VALUE, Document, Path_, describe, dotted
from simulator.scenario.model import Scenario
from simulator.scenario.validation import _unwrap, types_at, validate_model


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _slot(path: Path_) -> tuple[bool, bool]:
    """Whether the key at `path` is a number, and whether it is a whole number."""
    kinds = [alt for tp in types_at(path) for alt in _unwrap(tp)]
    numeric = any(alt in (int, float) for alt in kinds)
    return numeric, numeric and float not in kinds


def _value_at(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


def _set_at(data: Any, path: Path_, value: Any) -> None:
    _value_at(data, path[:-1])[path[-1]] = value


def shape_problems(doc: Document) -> list[Problem]:
    """Problems a range has on its own: its form, its slot, and whether it holds its value."""
    return list(_shape_problems(doc).values())


def _shape_problems(doc: Document) -> dict[Path_, Problem]:
    problems: dict[Path_, Problem] = {}
    for path, raw in doc.ranges.items():
        at = (*path, RANGE)
        value = _value_at(doc.data, path)
        numeric, whole = _slot(path)
        if not numeric:
            problems[path] = doc.problem(
                at, f"only a number can have a range (got {describe(value)})"
            )
            continue
        if not _number(value):
            problems[path] = doc.problem(
                (*path, VALUE), f"expected a number (got {describe(value)})"
            )
            continue
        if not (isinstance(raw, list) and len(raw) == 2 and all(_number(x) for x in raw)):
            problems[path] = doc.problem(
                at, f"expected two numbers [low, high] (got {describe(raw)})"
            )
            continue
        low, high = raw
        if whole and not all(isinstance(x, int) for x in raw):
            problems[path] = doc.problem(
                at, f"this key is a whole number: so are its bounds (got {raw})"
            )
        elif low > high:
            problems[path] = doc.problem(at, f"the low end is above the high end (got {raw})")
        elif not low <= value <= high:
            problems[path] = doc.problem(
                at, f"must include the value {value:g} (got [{low:g}, {high:g}])"
            )
    return problems


def end_problems(doc: Document, skip: set[Path_] | frozenset[Path_] = frozenset()) -> list[Problem]:
    """Problems the scenario has with every range at its low end, or at its high end.

    Both ends are tried at once first (the common case, where every end is a valid value); only
    when that fails is each range tried alone, so that a problem is blamed on the range causing it.
    """
    problems: list[Problem] = []
    ranges = {path: raw for path, raw in doc.ranges.items() if path not in skip}
    for end, word in ((0, "low"), (1, "high")):
        if _fails(doc, {path: raw[end] for path, raw in ranges.items()}) is None:
            continue
        for path, raw in ranges.items():
            found = _fails(doc, {path: raw[end]})
            for p in found or []:
                at = "" if p.key == dotted(path) else f"{p.key} "
                problems.append(
                    doc.problem(
                        (*path, RANGE),
                        f"the {word} end {raw[end]:g} makes {at or 'it '}fail: {p.message}",
                    )
                )
    return problems


def _fails(doc: Document, values: dict[Path_, Any]) -> list[Problem] | None:
    """The problems of the document with some values replaced, or None if it validates."""
    trial = Document(doc.source, copy.deepcopy(doc.data), doc.sha256)
    for path, value in values.items():
        _set_at(trial.data, path, value)
    try:
        validate_model(trial)
    except ScenarioError as exc:
        return exc.problems
    return None


def check(doc: Document) -> None:
    """Raise every problem of the document's ranges at once (the document itself is valid)."""
    shapes = _shape_problems(doc)
    problems = [*shapes.values(), *end_problems(doc, skip=set(shapes))]
    if problems:
        raise ScenarioError(problems)


def pairs(doc: Document) -> dict[str, tuple[float, float]]:
    """The checked ranges by dotted key, in file order; whole-number keys keep whole bounds."""
    return {dotted(path): (raw[0], raw[1]) for path, raw in doc.ranges.items()}


def numeric_keys(data: Any, key: str) -> list[str]:
    """The dotted keys of the numbers at or under `key` in plain data, in file order."""
    current = data
    for part in key.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and (ascii_number(part) or 0) < len(current):
            current = current[ascii_number(part) or 0]
        else:
            return []
    out: list[str] = []

    def walk(node: Any, here: str) -> None:
        if _number(node):
            out.append(here)
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{here}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{here}.{i}")

    walk(current, key)
    return out


def unranged_estimates(
    scenario: Scenario, data: Any, ranges: dict[str, tuple[float, float]]
) -> list[tuple[str, str]]:
    """(key, source) for each number a `basis: estimate` source supports that has no range.

    A source may support a whole section: then every number under it needs a range.
    """
    out: list[tuple[str, str]] = []
    for name, src in scenario.sources.items():
        if src.basis != "estimate":
            continue
        for supported in src.supports:
            out += [(key, name) for key in numeric_keys(data, supported) if key not in ranges]
    return list(dict.fromkeys(out))
