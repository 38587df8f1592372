"""Errors name what was wrong in the core's words; the command line calls each by its flag."""

from __future__ import annotations

import ast
import copy
import pickle
import re
from pathlib import Path

import pytest

from simulator.cli import FLAGS
from simulator.errors import Problem, ScenarioError, Setting, UsageError, did_you_mean

ROOT = Path(__file__).parent.parent


def test_a_subject_is_called_by_its_own_word_or_by_the_name_given():
    error = UsageError(
        "that makes 255 variants; at most 200",
        subject="max_size",
        given=5,
        advice=" (use a smaller {max_size} or fewer {countermeasures})",
    )
    assert str(error) == (
        "max size 5: that makes 255 variants; at most 200 (use a smaller max size or fewer "
        "countermeasures)"
    )
    assert error.lines(FLAGS) == [
        "--max-size 5: that makes 255 variants; at most 200 (use a smaller --max-size or fewer "
        "--countermeasure)"
    ]
    assert UsageError("plain {braces} stay").lines(FLAGS) == ["plain {braces} stay"]


def test_a_problem_with_a_subject_is_called_by_its_flag():
    problem = Problem("", None, None, "clam", "no such countermeasure", subject="countermeasure")
    assert str(problem) == "countermeasure: clam: no such countermeasure"
    assert ScenarioError([problem]).lines(FLAGS) == [
        "--countermeasure: clam: no such countermeasure"
    ]


def test_did_you_mean_names_the_closest_choice():
    assert did_you_mean("tradr", ["trader", "host"]) == " (did you mean `trader`?)"
    assert did_you_mean("zzz", ["trader", "host"]) == ""


def _subjects_in_core() -> set[str]:
    """Every subject the core gives an error, and every one its advice names in braces."""
    found: set[str] = set()
    for path in (ROOT / "simulator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and isinstance(node.value, ast.Constant):
                if node.arg == "subject" and isinstance(node.value.value, str):
                    found.add(node.value.value)
                if node.arg == "advice" and isinstance(node.value.value, str):
                    found.update(re.findall(r"\{(\w+)\}", node.value.value))
            if isinstance(node, ast.FunctionDef):  # a `subject` parameter's default
                params = node.args.args[len(node.args.args) - len(node.args.defaults) :]
                for param, default in zip(params, node.args.defaults):
                    if param.arg == "subject" and isinstance(default, ast.Constant):
                        found.add(str(default.value))
            # role_named takes what the role was asked for as its third argument.
            is_role_named = (
                isinstance(node, ast.Call) and getattr(node.func, "id", "") == "role_named"
            )
            if is_role_named and len(node.args) > 2 and isinstance(node.args[2], ast.Constant):
                found.add(str(node.args[2].value))
    return found


def test_every_subject_the_core_names_has_a_flag():
    subjects = _subjects_in_core()
    assert {"role", "person", "countermeasure", "seed"} <= subjects
    assert subjects <= set(FLAGS), sorted(subjects - set(FLAGS))


def test_a_problem_blamed_on_a_setting_names_the_setting_and_its_flag():
    problem = Problem(Setting("set", "days=x"), None, None, "days", "expected a whole number")
    assert str(problem) == "set days=x: days: expected a whole number"
    assert ScenarioError([problem]).lines(FLAGS) == ["--set days=x: days: expected a whole number"]
    # A setting travels with the scenario it patched (to workers, into copies) unchanged.
    for copied in (
        pickle.loads(pickle.dumps(Setting("people", "100"))),
        copy.deepcopy(Setting("vary", "a=1:2")),
    ):
        assert isinstance(copied, Setting) and copied.subject in FLAGS
    assert str(pickle.loads(pickle.dumps(Setting("people", "100")))) == "people 100"


BORDER = Path(__file__).parent.parent / "scenarios" / "border-phone.yaml"


def _edited(tmp_path: Path, edit) -> tuple[Path, int]:
    """border-phone with one line edited; returns it and that line (from 1)."""
    lines = BORDER.read_text(encoding="utf-8").split("\n")
    at = lines.index("  call_abroad:")
    changed = edit(lines, at)
    path = tmp_path / "edited.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path, changed + 1


def _validate_lines(path: Path) -> list[str]:
    from conftest import invoke

    result = invoke("validate", str(path))
    assert result.exit_code == 2
    return result.stderr.strip().splitlines()


def _who(lines, at):
    """The line after `call_abroad`'s `who:` (a plain key after a plain key, as a typo meets it)."""
    return next(i for i in range(at, len(lines)) if lines[i].startswith("    who:")) + 1


def _unindent_who(lines, at):
    who = _who(lines, at)
    lines[who] = lines[who][2:]
    return who


def _indent_who(lines, at):
    who = _who(lines, at)
    lines[who] = " " + lines[who]
    return who


def _drop_colon(lines, at):
    # The first key of the leader's mapping, `kind: leader`: without its colon the value runs on.
    first = lines.index("  leader:") + 1
    lines[first] = lines[first].replace(": ", " ", 1)
    return first


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (_unindent_who, "this line is indented less than the lines around it"),
        (_indent_who, "this line is indented more than line"),
        (_drop_colon, "a colon is missing after the key"),
    ],
)
def test_a_yaml_mistake_is_reported_at_the_line_it_is_on(tmp_path, edit, says):
    """The scanner fails a line later than the mistake; the message names the mistake's line."""
    path, line = _edited(tmp_path, edit)
    (message,) = _validate_lines(path)
    assert message.startswith(f"{path}:{line}:"), (message, line)
    assert says in message


def test_a_mistake_met_twice_is_reported_once(tmp_path):
    """A countermeasure's typo is met again where an exercise choice applies it."""
    text = BORDER.read_text(encoding="utf-8")
    path = tmp_path / "typo.yaml"
    path.write_text(
        text.replace(
            "set: {activities.call_abroad.minutes: 1.5}",
            "set: {activities.call_abroad.minutess: 1.5}",
        ),
        encoding="utf-8",
    )
    (message,) = _validate_lines(path)
    assert "activities.call_abroad.minutess: no such key in a scenario" in message
