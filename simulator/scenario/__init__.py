"""Scenarios: finding, reading, patching and validating them."""

from __future__ import annotations

import copy
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.errors import Problem, ScenarioError, Setting, UsageError, did_you_mean
from simulator.i18n import _
from simulator.scenario.loader import (
    Document,
    decode_text,
    parse_yaml,
    read_text,
    top_level,
)
from simulator.seal import Passphrase

# The models (pydantic) and what builds on them are imported by the functions that need them:
# `exposure list` reads the bundled files without building a model (a tenth of a second).
if TYPE_CHECKING:
    from simulator.scenario.model import Scenario
    from simulator.scenario.patches import Override
else:

    def __getattr__(name: str) -> Any:
        if name == "Scenario":
            from simulator.scenario.model import Scenario

            return Scenario
        if name == "Override":
            from simulator.scenario.patches import Override

            return Override
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


# What `exposure list` shows of each bundled scenario.
LISTED = frozenset({"language", "title", "place"})


def listing(name: str) -> tuple[dict[str, Any], bool]:
    """A bundled scenario's language, title and place (those it gives), and whether it has an
    exercise: as the whole file says them, read without parsing all of it where its layout
    allows (loader.top_level)."""
    label = f"scenarios/{name}.yaml"
    raw = (bundled_dir() / f"{name}.yaml").read_bytes()
    return listed(decode_text(raw, label), raw, label)


def listed(text: str, raw: bytes, label: str) -> tuple[dict[str, Any], bool]:
    """`listing` of a scenario's text: the keys it lists, and whether it has an exercise."""
    found = top_level(text, raw, label, LISTED)
    if found is None:
        data = parse_yaml(text, raw, label).data
        return {k: v for k, v in data.items() if k in LISTED}, "exercise" in data
    values, keys = found
    return values, "exercise" in keys


def bundled_with_teams() -> list[str]:
    """Names of the bundled scenarios whose exercise names its teams, sorted (parses each file:
    for an error message, not for start-up)."""
    out = []
    for name in bundled_names():
        label = f"scenarios/{name}.yaml"
        raw = (bundled_dir() / f"{name}.yaml").read_bytes()
        exercise = parse_yaml(decode_text(raw, label), raw, label).data.get("exercise")
        if isinstance(exercise, dict) and exercise.get("teams"):
            out.append(name)
    return out


def bundled_with_exercise() -> list[str]:
    """Names of the bundled scenarios that have a tabletop exercise, sorted."""
    return [name for name in bundled_names() if listing(name)[1]]


@dataclass(frozen=True)
class Patches:
    """What turns a scenario file into the scenario used, in the order it is applied."""

    countermeasures: tuple[str, ...] = ()
    # exercise choices played together: each one's countermeasure, then its own set and scale
    choice: int | tuple[int, ...] | None = None
    overrides: tuple[Override, ...] = ()
    days: int | None = None
    people: int | None = None  # rescales the units last, from the patched scenario


@dataclass
class LoadedScenario:
    """A validated scenario with what it came from and what was changed."""

    scenario: Scenario
    document: Document  # as patched
    display_path: str
    original: Document  # as read, never patched: variants are made on copies of it
    original_scenario: Scenario  # the file's own scenario, validated
    patches: Patches = field(default_factory=Patches)
    # Sourced ranges by dotted key, in file order; a key an override fixed has none.
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """SHA-256 of the scenario file's bytes."""
        return self.document.sha256

    @property
    def sealed(self) -> bool:
        """Whether the scenario was read from a sealed file."""
        return self.original.sealed

    @property
    def countermeasures(self) -> list[str]:
        """The countermeasures applied, each once, in the order named."""
        return list(self.patches.countermeasures)

    @property
    def overrides(self) -> dict[str, Any]:
        """The values the overrides set, by dotted key."""
        return {o.key: o.value for o in self.patches.overrides}


# Bundled scenarios renamed, by their old name: the old name still works, with a note, for one
# release.
RENAMED = {"siam-protest": "tehran-protest"}


def read_document(spec: str, passphrase: Passphrase | None = None) -> tuple[Document, str]:
    """Read a scenario named by a bundled name or a path (sealed files are opened in memory)."""
    path = Path(spec)
    looks_like_path = path.suffix in (".yaml", ".yml") or "/" in spec or path.exists()
    if not looks_like_path and spec in RENAMED:
        sys.stderr.write(
            _("note: `{old}` is now called `{new}`; the old name goes in the next release").format(
                old=spec, new=RENAMED[spec]
            )
            + "\n"
        )
        spec = RENAMED[spec]
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
                        _(
                            "no bundled scenario or file by this name{hint}; bundled: {listed}"
                        ).format(hint=hint, listed=listed),
                    )
                ]
            )
        entry = bundled_dir() / f"{spec}.yaml"
        raw = entry.read_bytes()
        label = f"scenarios/{spec}.yaml"
        return _parsed_bundled(spec, decode_text(raw, label), raw, label), label
    label = str(path)
    text, raw, sealed = read_text(path, label, passphrase)
    if not sealed and _is_bundled(path.stem, raw):
        return _parsed_bundled(path.stem, text, raw, label), label
    doc = parse_yaml(text, raw, label)
    doc.path = label
    doc.sealed = sealed
    return doc, label


def _is_bundled(name: str, raw: bytes) -> bool:
    """Whether `raw` is, byte for byte, the bundled scenario `name`."""
    try:
        return (bundled_dir() / f"{name}.yaml").read_bytes() == raw
    except (OSError, ValueError):
        return False


def _parsed_bundled(name: str, text: str, raw: bytes, label: str) -> Document:
    """A bundled scenario's document, labelled `label`, as kept parsed from an earlier command if
    it was (scenario/cache.py), else parsed now and kept."""
    from simulator.scenario import cache

    doc = cache.recall(name, raw, label, label)
    if doc is None:
        doc = parse_yaml(text, raw, label)
        doc.path = label
        cache.keep(name, raw, doc)
    return doc


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
    from simulator.scenario.patches import Override, parse_override
    from simulator.scenario.ranges import check as check_ranges
    from simulator.scenario.ranges import shape_problems
    from simulator.scenario.validation import validate_model

    doc, display = read_document(spec, passphrase)
    try:
        scenario = validate_model(doc)
    except ScenarioError as exc:
        # A range's own problems are reported with the file's others; its ends need a valid file.
        raise ScenarioError([*exc.problems, *shape_problems(doc)]) from None
    check_ranges(doc)
    settings: list[Override | Problem] = []
    for expr in overrides:
        try:
            key, value = parse_override(expr)
        except ValueError as exc:
            settings.append(Problem("", None, None, expr, str(exc), subject="set"))
        else:
            settings.append(Override(key, value, Setting("set", expr)))
    return _patched(doc, scenario, display, countermeasures, None, settings, days, people)


def variant(
    loaded: LoadedScenario,
    *,
    countermeasures: Sequence[str] = (),
    overrides: Sequence[Override] = (),
    choice: int | tuple[int, ...] | None = None,
    patches_first: bool = False,
    parameters: Mapping[str, float] | None = None,
) -> LoadedScenario:
    """The loaded scenario with more countermeasures or overrides, or with an exercise choice.

    The variant is made on a copy of the document as read, applying the loaded scenario's own
    patches and the new ones in the order `load` applies them (countermeasures, the choice,
    overrides, days, people): so it is exactly the scenario that loading with all of them would
    give, without reading, parsing or validating the file again. Every problem is raised at once,
    blamed on the patch that causes it. With `patches_first`, patches that do not apply are
    reported alone, as `validate` reports countermeasures and choices: a half-applied patch can
    leave problems of its own that would only add noise. A `choice` replaces the loaded one's.

    `parameters` (dotted key -> value, e.g. a set drawn over the sourced ranges) are set first, as
    if the file said so: a countermeasure that scales a rate then scales the drawn rate, and one
    that sets the key wins over it. A key whose value is a whole number gets a rounded value.
    """
    # Drawn values stay in the variant's `original`, so a variant of it keeps them; its ranges
    # are the file's, less those its overrides fix.
    return _on(
        loaded,
        *_with_parameters(loaded, parameters),
        countermeasures,
        overrides,
        choice,
        patches_first=patches_first,
        force=bool(parameters),
    )


def variants(
    loaded: LoadedScenario,
    bundles: Sequence[Sequence[str]],
    parameters: Mapping[str, float] | None = None,
) -> list[LoadedScenario]:
    """`variant(loaded, countermeasures=bundle, parameters=parameters)` for each bundle.

    The parameters are set and validated once for all the bundles, not once for each: the
    robust check makes hundreds of variants per simulation, while its workers wait. The
    variants share their `original` (as variants made without parameters share the loaded
    one's): it is only ever copied, never changed.
    """
    original, original_scenario = _with_parameters(loaded, parameters)
    return [
        _on(loaded, original, original_scenario, bundle, force=bool(parameters))
        for bundle in bundles
    ]


def _on(
    loaded: LoadedScenario,
    original: Document,
    original_scenario: Scenario,
    countermeasures: Sequence[str] = (),
    overrides: Sequence[Override] = (),
    choice: int | tuple[int, ...] | None = None,
    *,
    patches_first: bool = False,
    force: bool = False,
) -> LoadedScenario:
    """The loaded scenario's own patches and these, applied to `original` (see `variant`)."""
    patches = loaded.patches
    return _patched(
        original,
        original_scenario,
        loaded.display_path,
        [*patches.countermeasures, *countermeasures],
        patches.choice if choice is None else choice,
        [*patches.overrides, *overrides],
        patches.days,
        patches.people,
        patches_first=patches_first,
        force=force,
    )


def _with_parameters(
    loaded: LoadedScenario, parameters: Mapping[str, float] | None
) -> tuple[Document, Scenario]:
    """The loaded scenario's document as read, and its model, with `parameters` set (see
    `variant`); the loaded ones themselves if there are none."""
    from simulator.scenario.patches import apply_set
    from simulator.scenario.validation import validate_model

    if not parameters:
        return loaded.original, loaded.original_scenario
    original = copy.deepcopy(loaded.original)
    problems = [
        problem
        for key, value in parameters.items()
        if (problem := apply_set(original, key, as_written(key, value), key)) is not None
    ]
    if problems:
        raise ScenarioError(problems)
    return original, validate_model(original)


def as_written(key: str, value: float) -> float | int:
    """A drawn value as the file would write it: rounded where the key takes whole numbers."""
    from simulator.scenario.patches import split_key
    from simulator.scenario.validation import _unwrap, types_at

    kinds = {alt for tp in types_at(split_key(key)) for alt in _unwrap(tp)}
    if int in kinds and float not in kinds:
        return round(value)
    return float(value)


def _patched(
    original: Document,
    original_scenario: Scenario,
    display: str,
    countermeasures: Sequence[str],
    choice: int | tuple[int, ...] | None,
    settings: Sequence[Override | Problem],
    days: int | None,
    people: int | None,
    *,
    patches_first: bool = False,
    force: bool = False,
) -> LoadedScenario:
    """Patch a copy of a document and validate it; a Problem among `settings` is reported as is.

    `original_scenario` is `original` validated; `force` validates the patched copy even when no
    patch is given (the caller changed `original` itself).
    """
    from simulator.scenario.model import rescaled_units
    from simulator.scenario.patches import Override, apply_set
    from simulator.scenario.ranges import pairs
    from simulator.scenario.validation import validate_model

    patched = copy.deepcopy(original)
    problems: list[Problem] = []
    names = tuple(dict.fromkeys(countermeasures))  # applying one twice would compound
    for name in names:
        cm = original_scenario.countermeasures.get(name)
        if cm is None:
            defined = list(original_scenario.countermeasures)
            listed = ", ".join(f"`{n}`" for n in defined) or "none"
            problems.append(
                Problem(
                    "",
                    None,
                    None,
                    name,
                    f"no such countermeasure{did_you_mean(name, defined)}; defined: {listed}",
                    subject="countermeasure",
                )
            )
            continue
        problems.extend(countermeasure_problems(patched, name, cm.set, cm.scale))
    if choice is not None:
        problems.extend(_choice_problems(patched, original_scenario, choice))
    # An override's value goes into the document as it is, not copied: only a later override
    # can change it in place, and replaying the same overrides sets it to the same again.
    for item in settings:
        if isinstance(item, Problem):
            problems.append(item)
            continue
        problem = apply_set(patched, item.key, item.value, item.label)
        if problem is not None:
            problems.append(problem)
    if days is not None:
        apply_set(patched, "days", days, Setting("days", str(days)))
    if problems and patches_first:
        raise ScenarioError(problems)
    scenario = original_scenario
    if force or names or choice is not None or settings or days is not None or people is not None:
        try:
            scenario = validate_model(patched)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    if people is not None:
        _check_people(scenario, people)
        apply_set(
            patched,
            "population.units",
            rescaled_units(scenario, people),
            Setting("people", str(people)),
        )
        scenario = validate_model(patched)
    overrides = tuple(item for item in settings if isinstance(item, Override))
    patches = Patches(names, choice, overrides, days, people)
    ranges = {
        key: bounds
        for key, bounds in pairs(original).items()
        if not any(key == o.key or key.startswith(f"{o.key}.") for o in overrides)
    }
    return LoadedScenario(scenario, patched, display, original, original_scenario, patches, ranges)


def _check_people(scenario: Scenario, people: int) -> None:
    """Refuse a town smaller than one unit: it would silently become one unit of its usual size."""
    from simulator.scenario.model import mean_people_per_unit

    smallest = math.ceil(mean_people_per_unit(scenario))
    if people < smallest:
        raise UsageError(
            _("fewer people than one %(unit)s holds (about %(n)d)")
            % {"unit": scenario.population.unit_label, "n": smallest},
            subject="people",
            given=people,
            advice=_("; use {people} %(n)d or more") % {"n": smallest},
        )


def _choice_problems(
    doc: Document, scenario: Scenario, indices: int | tuple[int, ...]
) -> list[Problem]:
    """Apply exercise choices to a document: each one's countermeasure, then its `set` and `scale`.

    Choices played together are applied in menu order; choices whose patches would not add up
    (validation requires them to exclude each other) are never played together.
    """
    if scenario.exercise is None:
        raise ValueError(f"the scenario has no exercise to choose from (got choice {indices})")
    problems: list[Problem] = []
    for index in sorted({indices} if isinstance(indices, int) else set(indices)):
        choice = scenario.exercise.choices[index]
        if choice.countermeasure is not None:
            cm = scenario.countermeasures[choice.countermeasure]
            problems += countermeasure_problems(doc, choice.countermeasure, cm.set, cm.scale)
        problems += patch_problems(doc, ("exercise", "choices", index), choice.set, choice.scale)
    return problems


def countermeasure_problems(
    doc: Document, name: str, sets: dict[str, Any], scales: dict[str, float]
) -> list[Problem]:
    """Apply one countermeasure's patches to a document, returning its problems."""
    return patch_problems(doc, ("countermeasures", name), sets, scales)


def patch_problems(
    doc: Document, where: tuple[str | int, ...], sets: dict[str, Any], scales: dict[str, float]
) -> list[Problem]:
    """Apply `set` then `scale` patches written at `where` in the file, returning their problems."""
    from simulator.scenario.patches import apply_scale, apply_set

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
    for name in loaded.scenario.countermeasures:
        try:
            variant(loaded, countermeasures=[name], patches_first=True)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    return problems


def combined_choice(loaded: LoadedScenario, choices: tuple[int, ...]) -> Scenario:
    """The scenario as several exercise choices played together change it (menu order)."""
    exercise = loaded.scenario.exercise
    if exercise is None:
        raise ValueError("the scenario has no exercise to choose from")
    if all(
        exercise.choices[k].countermeasure is None
        and not exercise.choices[k].set
        and not exercise.choices[k].scale
        for k in choices
    ):
        return loaded.scenario
    return variant(loaded, choice=tuple(sorted(set(choices))), patches_first=True).scenario


def choice_scenarios(loaded: LoadedScenario) -> list[Scenario]:
    """The scenario as each choice of its `exercise` changes it, in menu order.

    A choice applies its countermeasure (if it names one), then its own `set` and `scale`, to the
    scenario as loaded (after its countermeasures, before its overrides, as `variant` orders
    patches); every problem of every choice is raised at once.
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
        try:
            out.append(variant(loaded, choice=i, patches_first=True).scenario)
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    return out


def unranged_estimates(loaded: LoadedScenario) -> list[tuple[str, str]]:
    """(key, source) for each number a `basis: estimate` source supports that has no range."""
    from simulator.scenario.ranges import pairs
    from simulator.scenario.ranges import unranged_estimates as estimate_gaps

    return estimate_gaps(loaded.original_scenario, loaded.original.data, pairs(loaded.original))


def untranslated_texts(loaded: LoadedScenario) -> list[Problem]:
    """Each text of the scenario file missing a language its `languages` declares."""
    from simulator.scenario.validation import untranslated

    return untranslated(loaded.original)


def check_exercise(loaded: LoadedScenario) -> list[Problem]:
    """Problems that any choice of the scenario's exercise would cause when applied."""
    from simulator.scenario.validation import conflict_problems

    try:
        variants = choice_scenarios(loaded)
    except ScenarioError as exc:
        return exc.problems
    return [
        *conflict_problems(loaded.original_scenario, loaded.original),
        *_team_choice_problems(loaded, variants),
    ]


def _team_choice_problems(loaded: LoadedScenario, variants: list[Scenario]) -> list[Problem]:
    """Team menus naming a choice that changes more than the team's persona's own conduct."""
    from simulator.scenario.model import TeamOption
    from simulator.teaching.teams import personal_changes

    s = loaded.scenario
    ex = s.exercise
    if ex is None:
        return []
    index: dict[str, int] = {}
    for k in range(len(ex.choices)):
        name = ex.choice_name(k)
        if name is not None:
            index.setdefault(name, k)
    problems: list[Problem] = []
    for i, team in enumerate(ex.teams):
        items: list[str | TeamOption] = list(team.choices) or list(index)
        for j, item in enumerate(items):
            key = item if isinstance(item, str) else item.choice
            if key not in index:
                continue  # reported by validation
            bad = personal_changes(s, variants[index[key]], team.role)
            if bad:
                where = (
                    ("exercise", "teams", i, "choices", j)
                    if team.choices
                    else ("exercise", "teams", i)
                )
                problems.append(
                    loaded.original.problem(
                        where,
                        f"the choice `{key}` changes `{bad[0]}`, which is not one person's own "
                        "conduct: a team's choice may change only its persona's activities, how "
                        "well she hides what she holds, her phone and her links",
                    )
                )
    return problems


__all__ = [
    "DEFAULT_SCENARIO",
    "LoadedScenario",
    "Override",
    "Patches",
    "Scenario",
    "as_written",
    "bundled_names",
    "check_countermeasures",
    "check_exercise",
    "choice_scenarios",
    "combined_choice",
    "load",
    "unranged_estimates",
    "untranslated_texts",
    "variant",
    "variants",
]
