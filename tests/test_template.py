"""`exposure new`: a scenario started from a bundled one or the template, every key explained."""

from __future__ import annotations

import os
import re

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from simulator.cli import cli
from simulator.scenario import bundled_names, load, model
from simulator.scenario.template import NOTES, note_for


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


def test_every_key_of_the_format_has_a_note():
    for name in dir(model):
        part = getattr(model, name)
        if (
            isinstance(part, type)
            and issubclass(part, BaseModel)
            and part.__module__ == model.__name__
            and part is not model.Model
        ):
            notes = {k for cls in part.__mro__ for k in NOTES.get(cls.__name__, {})}
            keys = {info.alias or key for key, info in part.model_fields.items()}
            assert keys <= notes, (
                f"{name}: no note for {sorted(keys - notes)} in simulator/scenario/template.py"
            )


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
    run = invoke("run", str(path), "--runs", "2", "--people", "300", "--format", "json")
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
