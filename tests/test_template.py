"""`exposure new` and docs/scenario-format.md: every key explained, from its model's description."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from simulator.cli import cli
from simulator.errors import UsageError
from simulator.scenario import bundled_names, load, model, reference
from simulator.scenario.template import note_for


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _format_keys(data, path: tuple = ()) -> set[str]:
    """Every key written in the file that belongs to the format (not a name an author chose)."""
    out: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if note_for(path, key) is not None:
                out.add(key)
            out |= _format_keys(value, (*path, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            out |= _format_keys(item, (*path, i))
    return out


def _models() -> list[type[BaseModel]]:
    """Every part of the format: the models of simulator/scenario/model.py."""
    return [
        part
        for part in vars(model).values()
        if isinstance(part, type)
        and issubclass(part, BaseModel)
        and part.__module__ == model.__name__
        and part is not model.Model
    ]


def test_every_key_of_the_format_is_explained_in_its_model():
    for part in _models():
        for field, info in part.model_fields.items():
            assert info.description and info.description.strip(), (
                f"{part.__name__}.{field}: give the field a description in "
                "simulator/scenario/model.py (Field(description=...)): it is the key's "
                "explanation in `exposure new` and docs/scenario-format.md"
            )
            ref = reference.key_reference(part, field)
            assert ref.meaning and ref.kind and ref.default, (part.__name__, field)


def test_the_comments_of_exposure_new_are_the_descriptions():
    units = model.Population.model_fields["units"].description
    assert (
        note_for(("population",), "units") == f"{units} (whole number, 1 to 10,000,000; required)"
    )
    with_ = reference.key_reference(model.Activity, "with_")
    assert note_for(("activities", "call"), "with") == with_.note()
    assert with_.default == "no partner" and "Default" not in with_.note().split("(")[0]
    assert note_for(("activities",), "call") is None  # a name the author chose


def test_every_part_of_the_format_has_a_table_on_the_page():
    shown = {m for section in reference.SECTIONS for m in reference.section_models(section)}
    # Frequency is written only through the activities and checks that inherit its keys.
    assert shown | {model.Frequency} == set(_models())


def test_scenario_format_page_is_current():
    page = Path(__file__).parent.parent / reference.PAGE
    assert page.read_text(encoding="utf-8") == reference.refresh_page(
        page.read_text(encoding="utf-8")
    ), (
        f"{reference.PAGE} is out of date; regenerate its key tables with "
        f"`python3 -m simulator.scenario.reference {reference.PAGE}`"
    )


def test_the_reference_states_the_bounds_that_validation_applies():
    low, high = reference.INT_RANGE_BOUNDS
    for good in (low, high, [low, high]):
        model._int_or_range(good)
    for bad in (low - 1, high + 1, [low, high + 1]):
        with pytest.raises(ValueError):
            model._int_or_range(bad)


def test_a_page_without_a_section_or_with_an_unknown_one_is_refused():
    page = (Path(__file__).parent.parent / reference.PAGE).read_text(encoding="utf-8")
    with pytest.raises(UsageError, match="no generated block for `standing`"):
        reference.refresh_page(page.replace("GENERATED: standing", "standing"))
    with pytest.raises(UsageError, match="no section of the format is called `standin`"):
        reference.refresh_page(page.replace("GENERATED: standing", "GENERATED: standin"))


def test_refreshing_rewrites_only_the_generated_blocks(tmp_path, capsys):
    page = (Path(__file__).parent.parent / reference.PAGE).read_text(encoding="utf-8")
    stale = page.replace("| `units` |", "| `units_old` |")
    path = tmp_path / "format.md"
    path.write_text(stale, encoding="utf-8")
    assert reference.main([str(path)]) == 0
    assert path.read_text(encoding="utf-8") == page
    assert reference.main([str(path)]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"{path}: refreshed",
        f"{path}: already current",
    ]


@pytest.mark.parametrize("origin", [None, *bundled_names()])
def test_new_round_trips(tmp_path, monkeypatch, origin):
    monkeypatch.chdir(tmp_path)
    args = ["new", "my-town"] + (["--from", origin] if origin else [])
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "my-town.yaml"
    text = path.read_text(encoding="utf-8")
    loaded = load(str(path))
    assert loaded.scenario.name == "my-town"
    if origin:
        assert loaded.scenario.model_dump(exclude={"name"}) == load(origin).scenario.model_dump(
            exclude={"name"}
        )
    # Every key of the format that the file uses is explained in a comment.
    comments = " ".join(line.split("#", 1)[1] for line in text.splitlines() if "#" in line)
    explained = set(re.findall(r"\b([a-z_]+): ", comments))
    missing = _format_keys(loaded.document.data) - explained
    assert not missing, f"keys without a comment: {sorted(missing)}"
    assert invoke("validate", str(path)).exit_code == 0
    run = invoke(
        "run", str(path), "--runs", "2", "--people", "2000", "--days", "30", "--format", "json"
    )
    assert run.exit_code == 0, run.stderr


def test_new_refuses_to_overwrite_without_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "town.yaml").write_text("mine\n", encoding="utf-8")
    result = invoke("new", "town")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "town.yaml: already exists" in result.stderr and "--force" in result.stderr
    assert (tmp_path / "town.yaml").read_text(encoding="utf-8") == "mine\n"
    assert invoke("new", "town", "--force", "--from", "guest-list").exit_code == 0
    assert load("town.yaml").scenario.title == load("guest-list").scenario.title
    assert sorted(os.listdir(tmp_path)) == ["town.yaml"]


@pytest.mark.parametrize(
    "args,expected",
    [
        (["new", "Bad_Name"], "Bad_Name: a scenario name is lower-case letters, digits and -"),
        (
            ["new", "town", "--from", "border-phon"],
            "--from border-phon: no bundled scenario by this name (did you mean `border-phone`?)",
        ),
    ],
)
def test_new_bad_input_is_one_line_and_exit_2(tmp_path, monkeypatch, args, expected):
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert expected in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_new_writes_into_a_folder(tmp_path):
    result = invoke("new", str(tmp_path / "workshop" / "town"))
    assert result.exit_code == 2  # the folder does not exist: one line, nothing written
    (tmp_path / "workshop").mkdir()
    assert invoke("new", str(tmp_path / "workshop" / "town")).exit_code == 0
    assert load(str(tmp_path / "workshop" / "town.yaml")).scenario.name == "town"
