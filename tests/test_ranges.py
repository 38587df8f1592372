"""Sourced ranges `{value: X, range: [LOW, HIGH]}`: parsed, checked, kept, and changing nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import invoke

from simulator.errors import ScenarioError
from simulator.scenario import (
    Override,
    bundled_dir,
    bundled_names,
    load,
    unranged_estimates,
    variant,
)

RANGED = re.compile(r"\{value: ([^,{}]+), range: \[[^\]]*\]\}")


def plain(text: str) -> str:
    """The scenario text with every range taken out, leaving its values as written."""
    return RANGED.sub(lambda m: m.group(1), text)


def border_phone() -> str:
    return (bundled_dir() / "border-phone.yaml").read_text(encoding="utf-8")


def written(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def with_range(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load(str(path))
    return info.value.lines()


FIX = "fix_minutes: {value: 2.5, range: [0.5, 5]}"


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        ("fix_minutes: {value: 2.5, range: [3, 5]}", "must include the value 2.5 (got [3, 5])"),
        ("fix_minutes: {value: 2.5, range: [5, 1]}", "the low end is above the high end"),
        ("fix_minutes: {value: 2.5, range: [1, x]}", "expected two numbers [low, high]"),
        ("fix_minutes: {value: 2.5, range: 3}", "expected two numbers [low, high] (got 3)"),
        ("fix_minutes: {value: 2.5, range: [-1, 5]}", "the low end -1 makes it fail"),
    ],
)
def test_a_bad_range_is_located_at_the_range(tmp_path, replacement, expected):
    text = with_range(border_phone(), FIX, replacement)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if replacement in t)
    (found,) = problems(written(tmp_path, text))
    assert found.startswith(f"{tmp_path / 's.yaml'}:{line}:")
    assert "observers.df.fix_minutes.range: " in found
    assert expected in found


def test_a_probability_range_beyond_one_is_an_error(tmp_path):
    text = with_range(
        border_phone(),
        "unlock: {value: 0.85, range: [0.55, 0.95]}",
        "unlock: {value: 0.85, range: [0.55, 1.3]}",
    )
    (found,) = problems(written(tmp_path, text))
    assert "adversary.unlock.range: the high end 1.3 makes it fail" in found
    assert "between 0 and 1 (got 1.3)" in found


def test_a_whole_number_key_needs_whole_bounds(tmp_path):
    text = with_range(
        border_phone(), "count: {value: 4, range: [2, 8]}", "count: {value: 4, range: [2.5, 8]}"
    )
    (found,) = problems(written(tmp_path, text))
    assert "population.roles.source.count.range: this key is a whole number" in found


def test_only_a_number_can_have_a_range(tmp_path):
    text = re.sub(
        r"^title:.*\n(?:[ \t]+.*\n)*",
        "title: {value: A town, range: [1, 2]}\n",
        border_phone(),
        flags=re.M,
    )
    found = problems(written(tmp_path, text))
    assert any("title.range: only a number can have a range" in line for line in found)


def test_range_problems_come_with_the_file_s_others(tmp_path):
    text = with_range(border_phone(), FIX, "fix_minutes: {value: 2.5, range: [3, 5]}")
    text = re.sub(r"^days: .*$", "days: -3", text, flags=re.M)
    found = problems(written(tmp_path, text))
    assert any(line.split(": ", 2)[1] == "days" for line in found)
    assert any("fix_minutes.range" in line for line in found)


def test_ranges_are_kept_by_dotted_key_in_file_order():
    loaded = load("border-phone")
    assert loaded.ranges["observers.df.fix_minutes"] == (0.5, 5)
    assert loaded.ranges["observers.leader.notice.presence"] == (0.005, 0.045)
    count = loaded.ranges["population.roles.source.count"]
    assert count == (2, 8) and all(isinstance(x, int) for x in count)
    keys = list(loaded.ranges)
    assert keys.index("population.roles.source.count") < keys.index("observers.df.fix_minutes")
    assert keys.index("observers.df.fix_minutes") < keys.index("adversary.unlock")
    # The value used is the value written, never a bound.
    assert loaded.scenario.observers["df"].fix_minutes == 2.5


def test_a_variant_keeps_ranges_but_drops_those_an_override_fixes():
    loaded = load("border-phone")
    fixed = variant(loaded, overrides=[Override("observers.df.fix_minutes", 1, "--set")])
    assert "observers.df.fix_minutes" not in fixed.ranges
    assert fixed.ranges == {
        k: v for k, v in loaded.ranges.items() if k != "observers.df.fix_minutes"
    }
    section = load("border-phone", overrides=["observers.leader.notice.presence=0.1"])
    assert "observers.leader.notice.presence" not in section.ranges
    assert "observers.leader.notice.behaviour" in section.ranges
    assert variant(loaded, countermeasures=list(loaded.scenario.countermeasures)[:1]).ranges == (
        loaded.ranges
    )


def test_validate_warns_of_estimates_without_a_range(tmp_path):
    text = with_range(border_phone(), FIX, "fix_minutes: 2.5")
    path = written(tmp_path, text)
    result = invoke("validate", str(path))
    assert result.exit_code == 0
    assert f"{path}: ok" in result.stdout
    assert result.stderr.strip().splitlines() == [
        f"warning: {path}: observers.df.fix_minutes is an estimate without a range "
        "(source df_tau_estimate)"
    ]


def test_a_supported_section_needs_a_range_on_every_number(tmp_path):
    text = with_range(
        border_phone(),
        "notice: {behaviour: {value: 0.005, range: [0.0017, 0.015]}, presence: "
        "{value: 0.015, range: [0.005, 0.045]}}",
        "notice: {behaviour: 0.005, presence: {value: 0.015, range: [0.005, 0.045]}}",
    )
    loaded = load(str(written(tmp_path, text)))
    assert unranged_estimates(loaded) == [
        ("observers.leader.notice.behaviour", "exposure_estimate")
    ]


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_estimate_has_a_range(name):
    assert unranged_estimates(load(name)) == []


def test_show_prints_a_range_beside_its_value():
    said = " ".join(invoke("show", "border-phone").stdout.split())
    assert (
        "“radio direction-finding team”: time scale of a radio fix, in minutes: 2.5 "
        "(an estimate; range 0.5–5)" in said
    )
    technical = invoke("show", "border-phone", "--technical").stdout
    assert "observers.df.fix_minutes: 2.5 (an estimate; range 0.5–5)" in technical


def test_an_estimates_range_is_not_called_sourced():
    """Every bundled range is backed by an estimate: none is printed as a range from sources,
    and one drawn a third to three times the value says so."""
    said = " ".join(invoke("show", "border-phone").stdout.split())
    assert "sourced range" not in said
    assert "range from sources" not in said
    assert (
        "“radio direction-finding team”: share within its reach: 0.2 (an estimate; range ×3 "
        "either way, 0.067–0.6)" in said
    )
    assert "days for suspicion to halve: 90 (an estimate; range ×2 either way, 45–180)" in said


def test_a_range_backed_only_by_reports_is_from_sources(tmp_path):
    text = border_phone()
    start = text.index("Project research estimate: chance of a radio fix")
    end = text.index("supports: [observers.df.fix_minutes]", start)
    block = text[start:end].replace("basis: estimate", "basis: reported")
    assert block != text[start:end]
    path = written(tmp_path, text[:start] + block + text[end:])
    said = " ".join(invoke("show", str(path)).stdout.split())
    assert "time scale of a radio fix, in minutes: 2.5 (range from sources 0.5–5)" in said
    unbacked = written(
        tmp_path,
        text.replace("supports: [observers.df.fix_minutes]\n", "supports: []\n")
        .replace("supports: [observers.df]\n", "supports: []\n")
        .replace(
            "supports: [observers.df.fix_minutes, activities.call_abroad.minutes, observers.df]",
            "supports: [activities.call_abroad.minutes]",
        ),
        "unbacked.yaml",
    )
    said = " ".join(invoke("show", str(unbacked)).stdout.split())
    assert "time scale of a radio fix, in minutes: 2.5 (range 0.5–5, no source given)" in said


def test_ranged_values_simulate_exactly_as_the_plain_values(tmp_path):
    path = written(tmp_path, plain(border_phone()))
    assert "range:" not in path.read_text(encoding="utf-8")
    args = ["--runs", "4", "--days", "60", "--people", "300", "--format", "json", "--seed", "3"]
    ranged = json.loads(invoke("run", "border-phone", *args).stdout)
    flat = json.loads(invoke("run", str(path), *args).stdout)
    assert flat["scenario"]["ranges"] == {}
    assert ranged["scenario"]["ranges"]["observers.df.fix_minutes"] == [0.5, 5]
    for doc in (ranged, flat):
        doc.pop("scenario")
        doc.pop("timing")
    assert ranged == flat
