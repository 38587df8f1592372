"""Scenarios: finding, reading, patching and validating them."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from simulator.errors import Problem, ScenarioError, did_you_mean
from simulator.scenario.loader import Document, decode_text, load_document, parse_yaml
from simulator.scenario.model import Scenario, rescaled_units
from simulator.scenario.patches import apply_scale, apply_set, parse_override
from simulator.scenario.validation import validate_model
from simulator.seal import Passphrase

DEFAULT_SCENARIO = "border-phone"


def bundled_dir() -> Traversable:
    """The folder of bundled scenarios, in a wheel or in a source checkout."""
    inside = resources.files("simulator") / "scenarios"
    if inside.is_dir():
        return inside
    # Editable installs and source checkouts keep scenarios/ beside the package.
    return resources.files("simulator") / ".." / "scenarios"


def bundled_names() -> list[str]:
    """Names of the bundled scenarios, sorted."""
    return sorted(
        entry.name[: -len(".yaml")]
        for entry in bundled_dir().iterdir()
        if entry.name.endswith(".yaml")
    )


@dataclass
class LoadedScenario:
    """A validated scenario with what it came from and what was changed."""

    scenario: Scenario
    document: Document
    display_path: str
    countermeasures: list[str] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """SHA-256 of the scenario file's bytes."""
        return self.document.sha256


def read_document(spec: str, passphrase: Passphrase | None = None) -> tuple[Document, str]:
    """Read a scenario named by a bundled name or a path (sealed files are opened in memory)."""
    path = Path(spec)
    looks_like_path = path.suffix in (".yaml", ".yml") or "/" in spec or path.exists()
    if not looks_like_path:
        names = bundled_names()
        if spec not in names:
            hint = did_you_mean(spec, names)
            listed = ", ".join(names)
            raise ScenarioError(
                [
                    Problem(
                        spec,
                        None,
                        None,
                        "",
                        f"no bundled scenario or file by this name{hint}; bundled: {listed}",
                    )
                ]
            )
        entry = bundled_dir() / f"{spec}.yaml"
        raw = entry.read_bytes()
        label = f"scenarios/{spec}.yaml"
        doc = parse_yaml(decode_text(raw, label), raw, label)
        doc.path = label
        return doc, label
    return load_document(path, passphrase=passphrase), str(path)


def load(
    spec: str,
    *,
    overrides: list[str] | tuple[str, ...] = (),
    countermeasures: list[str] | tuple[str, ...] = (),
    days: int | None = None,
    people: int | None = None,
    passphrase: Passphrase | None = None,
) -> LoadedScenario:
    """Read, patch and validate a scenario; every problem is reported at once.

    `days` and `people` (rescale the units to about that many people) are applied last and
    validated like everything else. A sealed file is opened with `passphrase` (by default
    from EXPOSURE_PASSPHRASE).
    """
    doc, display = read_document(spec, passphrase)
    base = validate_model(doc)
    problems: list[Problem] = []
    patched = copy.deepcopy(doc)
    countermeasures = list(dict.fromkeys(countermeasures))  # applying one twice would compound
    for name in countermeasures:
        cm = base.countermeasures.get(name)
        if cm is None:
            names = list(base.countermeasures)
            listed = ", ".join(f"`{n}`" for n in names) or "none"
            problems.append(
                Problem(
                    "",
                    None,
                    None,
                    name,
                    f"no such countermeasure{did_you_mean(name, names)}; defined: {listed}",
                    subject="countermeasure",
                )
            )
            continue
        problems.extend(countermeasure_problems(patched, name, cm.set, cm.scale))
    applied: dict[str, Any] = {}
    for expr in overrides:
        try:
            key, value = parse_override(expr)
        except ValueError as exc:
            problems.append(Problem("--set", None, None, expr, str(exc)))
            continue
        problem = apply_set(patched, key, value, f"--set {expr}")
        if problem is not None:
            problems.append(problem)
        else:
            applied[key] = value
    if days is not None:
        apply_set(patched, "days", days, f"--days {days}")
    scenario = base
    if overrides or countermeasures or days is not None or people is not None:
        try:
            scenario = validate_model(patched)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    if people is not None:
        apply_set(
            patched, "population.units", rescaled_units(scenario, people), f"--people {people}"
        )
        scenario = validate_model(patched)
    return LoadedScenario(scenario, patched, display, countermeasures, applied)


def countermeasure_problems(
    doc: Document, name: str, sets: dict[str, Any], scales: dict[str, float]
) -> list[Problem]:
    """Apply one countermeasure's patches to a document, returning its problems."""
    return patch_problems(doc, ("countermeasures", name), sets, scales)


def patch_problems(
    doc: Document, where: tuple[str | int, ...], sets: dict[str, Any], scales: dict[str, float]
) -> list[Problem]:
    """Apply `set` then `scale` patches written at `where` in the file, returning their problems."""
    problems: list[Problem] = []
    for key, value in sets.items():
        label = _patch_label(doc, (*where, "set", key))
        problem = apply_set(doc, key, copy.deepcopy(value), label)
        if problem is not None:
            problems.append(problem)
    for key, factor in scales.items():
        label = _patch_label(doc, (*where, "scale", key))
        problem = apply_scale(doc, key, factor, label)
        if problem is not None:
            problems.append(problem)
    return problems


def _patch_label(doc: Document, path: tuple[str | int, ...]) -> str:
    source, line, col = doc.locate(path, key=True)
    return f"{source}:{line}:{col}" if line is not None else source


def check_countermeasures(loaded: LoadedScenario) -> list[Problem]:
    """Problems that any of the scenario's countermeasures would cause when applied."""
    problems: list[Problem] = []
    for name, cm in loaded.scenario.countermeasures.items():
        trial = copy.deepcopy(loaded.document)
        patch_problems = countermeasure_problems(trial, name, cm.set, cm.scale)
        if patch_problems:
            problems.extend(patch_problems)
            continue
        try:
            validate_model(trial)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    return problems


def choice_scenarios(loaded: LoadedScenario) -> list[Scenario]:
    """The scenario as each choice of its `exercise` changes it, in menu order.

    A choice applies its countermeasure (if it names one), then its own `set` and `scale`, to the
    scenario as loaded; every problem of every choice is raised at once.
    """
    exercise = loaded.scenario.exercise
    if exercise is None:
        return []
    out: list[Scenario] = []
    problems: list[Problem] = []
    for i, choice in enumerate(exercise.choices):
        if choice.countermeasure is None and not choice.set and not choice.scale:
            out.append(loaded.scenario)
            continue
        trial = copy.deepcopy(loaded.document)
        found: list[Problem] = []
        if choice.countermeasure is not None:
            cm = loaded.scenario.countermeasures[choice.countermeasure]
            found += countermeasure_problems(trial, choice.countermeasure, cm.set, cm.scale)
        found += patch_problems(trial, ("exercise", "choices", i), choice.set, choice.scale)
        if not found:
            try:
                out.append(validate_model(trial))
            except ScenarioError as exc:
                found += exc.problems
        problems += found
    if problems:
        raise ScenarioError(problems)
    return out


def check_exercise(loaded: LoadedScenario) -> list[Problem]:
    """Problems that any choice of the scenario's exercise would cause when applied."""
    try:
        choice_scenarios(loaded)
    except ScenarioError as exc:
        return exc.problems
    return []


__all__ = [
    "DEFAULT_SCENARIO",
    "LoadedScenario",
    "Scenario",
    "bundled_names",
    "check_countermeasures",
    "check_exercise",
    "choice_scenarios",
    "load",
]
