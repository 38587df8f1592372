"""The scenario format: every kind of bad input gives located one-line problems."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from conftest import BASE, dump_yaml, invoke, merge

from simulator.cli import FLAGS
from simulator.errors import ScenarioError, Setting
from simulator.scenario import Override, bundled_names, check_countermeasures, load, variant

LINE = re.compile(r"^[^:]+(:\d+:\d+)?: [\w.\-]*:? ?.+$")


def problems_of(path: Path, **kwargs) -> list[str]:
    """The problems of loading, as the command line shows them (settings called by their flags)."""
    with pytest.raises(ScenarioError) as info:
        load(str(path), **kwargs)
    lines = info.value.lines(FLAGS)
    for line in lines:
        assert "\n" not in line
    return lines


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_bundled_scenario_loads_and_its_countermeasures_apply():
    names = bundled_names()
    assert "reference-cascade" in names
    for name in names:
        loaded = load(name)
        assert check_countermeasures(loaded) == []
        assert len(loaded.scenario.countermeasures) >= 2


def test_valid_test_scenario_loads(scenario_file):
    loaded = load(str(scenario_file()))
    assert loaded.scenario.population.households_per_unit == (100, 100)
    assert len(loaded.sha256) == 64


def test_invalid_yaml_has_line_and_column(tmp_path):
    path = write(tmp_path, "name: x\ntitle: [unclosed\nsummary: s\n")
    (line,) = problems_of(path)
    assert line.startswith(f"{path}:")
    assert "invalid YAML" in line
    assert re.match(rf"{re.escape(str(path))}:\d+:\d+: ", line)


def test_duplicate_keys_are_errors(tmp_path):
    path = write(tmp_path, dump_yaml(BASE) + "days: 40\n")
    (line,) = problems_of(path)
    assert "duplicate key" in line and ":" in line


def test_wrong_types_probabilities_and_negative_counts_all_at_once(scenario_file):
    path = scenario_file(
        {
            "days": "thirty",
            "population": {"units": -3},
            "activities": {"act": {"who": "everyone", "per_day": 1.5}},
            "observers": {"w": {"kind": "general", "notice": {"behaviour": 2}}},
        }
    )
    lines = problems_of(path)
    text = "\n".join(lines)
    assert len(lines) == 4, text
    assert re.search(r":\d+:\d+: days: expected a whole number \(got 'thirty'\)", text)
    assert re.search(r":\d+:\d+: population.units: must be at least 1 \(got -3\)", text)
    assert "activities.act: more than once a day is not allowed (got per_day: 1.5)" in text
    assert re.search(
        r"observers.w.notice.behaviour: is a probability: must be between 0 and 1 \(got 2\)", text
    )


def test_line_and_column_point_at_the_value(tmp_path):
    text = dump_yaml(merge(BASE, {"days": 0}))
    path = write(tmp_path, text)
    (line,) = problems_of(path)
    number = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("days:"))
    assert line.startswith(f"{path}:{number}:7: days: must be at least 1 (got 0)")


def test_unknown_key_suggests_the_right_one(scenario_file):
    path = scenario_file({"activities": {"act": {"who": "everyone", "per_weak": 1}}})
    lines = problems_of(path)
    assert any(
        "activities.act.per_weak: unknown key (did you mean `per_week`?)" in line for line in lines
    ), lines


def test_unknown_enum_value_suggests(scenario_file):
    path = scenario_file({"observers": {"w": {"kind": "leeder"}}})
    (line,) = problems_of(path)
    assert "observers.w.kind: must be one of" in line and "did you mean `leader`?" in line


def test_references_to_missing_roles_channels_states_observers(scenario_file):
    path = scenario_file(
        {
            "population": {"roles": {"trader": 1}},
            "activities": {
                "act": {"who": "tradr", "per_day": 0.1, "channel": "sms", "state": "guest"}
            },
            "checks": {"c": {"every": 3, "finds": {"phone": 0.5}}},
            "campaigns": {"sweep": {"start": 1, "end": 5, "multiply": {"cc": 2}}},
        }
    )
    text = "\n".join(problems_of(path))
    assert "activities.act.who: no role named `tradr` (did you mean `trader`?)" in text
    assert "activities.act.channel: no channel named `sms`" in text
    assert "activities.act.state: no state named `guest`" in text
    assert "checks.c.finds.phone: no state named `phone`" in text
    assert (
        "campaigns.sweep.multiply.cc: no observer or check named `cc` (did you mean `c`?)" in text
    )


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"", "is empty"),
        (b"   \n\n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary file"),
        (b"name: \xff\xfe bad", "not UTF-8"),
        (b"- just\n- a list\n", "a scenario is a mapping"),
    ],
)
def test_empty_binary_and_wrong_shape_files(tmp_path, content, expected):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    (line,) = problems_of(path)
    assert line.startswith(str(path)) and expected in line


def test_missing_file_and_folder(tmp_path):
    (line,) = problems_of(tmp_path / "absent.yaml")
    assert line == f"{tmp_path / 'absent.yaml'}: no such file"
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    (line,) = problems_of(folder)
    assert "is a folder" in line


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, dump_yaml(BASE))

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("simulator.files.os.open", refuse)
    (line,) = problems_of(path)
    assert line == f"{path}: permission denied"


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    started = time.perf_counter()
    out = problems_of(path)
    assert time.perf_counter() - started < 2.0
    assert any("expands to more than" in line for line in out)


@pytest.mark.parametrize(
    "tag", ["!!python/object/apply:os.system ['echo hacked']", "!custom 3", "!!binary aGVsbG8="]
)
def test_object_building_tags_are_refused(tmp_path, tag, capfd):
    path = write(tmp_path, dump_yaml(BASE) + f"context: {tag}\n")
    out = problems_of(path)
    assert any("YAML tags are not allowed" in line for line in out)
    assert "hacked" not in capfd.readouterr().out


def test_deep_nesting_is_refused(tmp_path):
    path = write(tmp_path, "context: " + "[" * 200 + "]" * 200 + "\n")
    out = problems_of(path)
    assert any("nesting is deeper" in line for line in out)


def test_yaml_1_2_keeps_yes_as_text(scenario_file):
    path = scenario_file({"contacts": {"ties": []}, "title": "yes"})
    assert load(str(path)).scenario.title == "yes"


def test_set_on_missing_key_and_bad_value(scenario_file):
    path = scenario_file({"activities": {"act": {"who": "everyone", "per_day": 0.1}}})
    text = "\n".join(
        problems_of(
            path, overrides=["activities.act.per_weak=1", "activities.act.per_day=lots", "nothing"]
        )
    )
    assert (
        "--set activities.act.per_weak=1: activities.act.per_weak: no such key in a scenario (did "
        "you mean `per_week`?)" in text
    )
    assert (
        "--set activities.act.per_day=lots: activities.act.per_day: expected a number (got 'lots')"
        in text
    )
    assert "nothing: expected dotted.key=value" in text


def test_set_and_countermeasure_patch_values(scenario_file):
    path = scenario_file(
        {
            "activities": {"act": {"who": "everyone", "per_day": 0.2}},
            "countermeasures": {
                "calm": {"description": "d", "cost": "c", "scale": {"activities.act.per_day": 0.5}}
            },
        }
    )
    loaded = load(str(path), overrides=["adversary.decay.half_life=30"], countermeasures=["calm"])
    assert loaded.scenario.activities["act"].per_day == pytest.approx(0.1)
    assert loaded.scenario.adversary.decay.half_life == 30
    assert loaded.overrides == {"adversary.decay.half_life": 30}


def test_broken_countermeasure_is_located_at_its_line(scenario_file):
    path = scenario_file(
        {
            "activities": {"act": {"who": "everyone", "per_day": 0.2}},
            "countermeasures": {
                "bad": {"description": "d", "cost": "c", "set": {"activities.act.per_dai": 0.1}}
            },
        }
    )
    loaded = load(str(path))
    (problem,) = check_countermeasures(loaded)
    assert re.match(
        rf"{re.escape(str(path))}:\d+:\d+: activities.act.per_dai: .*did you mean `per_day`",
        str(problem),
    )


def test_unknown_countermeasure_lists_valid_names(scenario_file):
    path = scenario_file(
        {
            "activities": {"act": {"who": "everyone", "per_day": 0.2}},
            "countermeasures": {
                "calm": {"description": "d", "cost": "c", "set": {"activities.act.per_day": 0.1}}
            },
        }
    )
    with pytest.raises(ScenarioError) as info:
        load(str(path), countermeasures=["clam"])
    (line,) = info.value.lines()
    # The scenario names the countermeasure; the command line calls it by its flag.
    assert line == (
        "countermeasure: clam: no such countermeasure (did you mean `calm`?); defined: `calm`"
    )
    result = invoke("show", str(path), "--countermeasure", "clam")
    assert result.exit_code == 2
    assert result.stderr == (
        "--countermeasure: clam: no such countermeasure (did you mean `calm`?); defined: `calm`\n"
    )


CALM_TOWN = {
    "activities": {"act": {"who": "everyone", "per_day": 0.2}},
    "countermeasures": {
        "calm": {"description": "d", "cost": "c", "scale": {"activities.act.per_day": 0.5}}
    },
}


def test_a_variant_is_what_loading_with_all_its_patches_gives(scenario_file):
    path = scenario_file(CALM_TOWN)
    sets = ["activities.act.per_day=0.4", "adversary.decay.half_life=30"]
    loaded = load(str(path), overrides=sets[:1], days=12, people=150)
    path.unlink()  # a variant never reads the file again
    made = variant(
        loaded,
        countermeasures=["calm"],
        overrides=[Override("adversary.decay.half_life", 30, f"--set {sets[1]}")],
    )
    path = scenario_file(CALM_TOWN)
    whole = load(str(path), overrides=sets, countermeasures=["calm"], days=12, people=150)
    assert made.scenario == whole.scenario and made.document.data == whole.document.data
    # The countermeasure applies before the overrides, as when loading: the --set value stands.
    assert made.scenario.activities["act"].per_day == 0.4
    assert (made.countermeasures, made.overrides) == (whole.countermeasures, whole.overrides)
    assert loaded.scenario.adversary.decay is None and loaded.countermeasures == []


def test_a_variant_blames_its_problems_as_loading_does(scenario_file):
    path = scenario_file(CALM_TOWN)
    loaded = load(str(path))
    with pytest.raises(ScenarioError) as info:
        variant(
            loaded,
            countermeasures=["clam"],
            overrides=[
                Override("activities.act.per_day", 3, Setting("set", "activities.act.per_day=3"))
            ],
        )
    expected = problems_of(path, overrides=["activities.act.per_day=3"], countermeasures=["clam"])
    assert info.value.lines(FLAGS) == expected and len(expected) == 2
    # The core calls the setting by its own word; only the command line knows the flag.
    assert info.value.lines()[1].startswith("set activities.act.per_day=3: activities.act: ")
    assert expected[1].startswith("--set activities.act.per_day=3: activities.act: more than once")


def test_huge_file_is_refused_without_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"context: " + b"a" * (3 * 1024 * 1024) + b"\n")
    started = time.perf_counter()
    (line,) = problems_of(path)
    assert "larger than" in line and time.perf_counter() - started < 1.0


def test_nan_and_infinity_are_refused(scenario_file):
    path = scenario_file(
        {
            "activities": {"act": {"who": "everyone", "per_day": float("nan")}},
            "observers": {"w": {"kind": "general", "reports": float("inf")}},
        }
    )
    text = "\n".join(problems_of(path))
    assert "activities.act.per_day" in text and "observers.w.reports" in text


def test_builtin_cause_names_are_reserved(scenario_file):
    path = scenario_file(
        {
            "observers": {"cascade": {"kind": "general"}},
            "checks": {"registration": {"every": 3, "finds": {}}},
        }
    )
    text = "\n".join(problems_of(path))
    assert "observers.cascade: `cascade` is a built-in cause of exposure" in text
    assert "checks.registration: `registration` is a built-in cause" in text


def test_problems_caused_by_a_set_are_blamed_on_it(scenario_file):
    path = scenario_file(
        {"activities": {"act": {"who": "everyone", "per_day": 0.1, "traces": ["presence"]}}}
    )
    lines = problems_of(
        path, overrides=["activities.act.traces=[radio]", "contacts.neighbours.channel=x"]
    )
    assert any(
        line.startswith("--set activities.act.traces=[radio]: activities.act.traces")
        for line in lines
    ), lines
    assert any(
        line.startswith(
            "--set contacts.neighbours.channel=x: contacts.neighbours.mean_degree: required"
        )
        for line in lines
    ), lines


def test_days_and_people_are_validated_like_the_file(scenario_file):
    path = scenario_file(
        {"population": {"units": 10, "households_per_unit": 10, "roles": {"trader": 50}}}
    )
    (line,) = problems_of(path, people=10)
    assert line.startswith("--people 10: population.roles: the roles need 50 people")
    loaded = load(str(path), people=1000, days=12)
    assert loaded.scenario.population.units == 100 and loaded.scenario.days == 12
    assert loaded.overrides == {}


def test_a_countermeasure_named_twice_applies_once(scenario_file):
    path = scenario_file(
        {
            "activities": {"act": {"who": "everyone", "per_day": 0.2}},
            "countermeasures": {
                "calm": {"description": "d", "cost": "c", "scale": {"activities.act.per_day": 0.5}}
            },
        }
    )
    loaded = load(str(path), countermeasures=["calm", "calm"])
    assert loaded.scenario.activities["act"].per_day == pytest.approx(0.1)
    assert loaded.countermeasures == ["calm"]


def test_keys_that_would_be_ignored_are_refused(scenario_file):
    path = scenario_file(
        {
            "observers": {
                "w": {"kind": "general", "per_unit": 2},
                "o": {"kind": "leader", "channels": ["x"]},
            },
            "checks": {"c": {"per_week": 1, "coverage": 0.5, "finds": {}}},
        }
    )
    text = "\n".join(problems_of(path))
    assert "observers.w: only leaders and informants are placed in units" in text
    assert "observers.o: only an operator carries `channels`" in text
    assert "checks.c: `coverage` applies to scheduled checks" in text


def test_aliases_only_in_their_written_form(scenario_file):
    path = scenario_file(
        {
            "population": {"roles": {"a": 1, "b": 1}},
            "contacts": {"ties": [{"from_": "a", "to": "b"}]},
        }
    )
    text = "\n".join(problems_of(path))
    assert "contacts.ties.0.from_: unknown key (did you mean `from`?)" in text


def test_a_shorter_run_only_shortens_the_exercise():
    loaded = load("block-committee", days=20)
    assert loaded.scenario.days == 20 and loaded.scenario.exercise is not None


def test_too_many_roles_is_a_plain_message(scenario_file):
    path = scenario_file({"population": {"units": 10, "roles": {f"r{i}": 0 for i in range(101)}}})
    text = "\n".join(problems_of(path))
    assert "population.roles: has too many entries (at most 100)" in text


def test_tips_and_campaign_bribes_name_what_exists(scenario_file):
    path = scenario_file(
        {
            "states": {"guest": {}},
            "activities": {"stay": {"who": "everyone", "per_day": 0.1, "state": "guest"}},
            "observers": {
                "leader": {
                    "kind": "leader",
                    "notice": {"presence": 0.5},
                    "tips": {
                        "nigth": {"chance": 0.3, "within": 2},
                        "road": {"chance": 0.3, "within": 2},
                    },
                },
                "informant": {"kind": "informant", "per_unit": 1},
            },
            "checks": {
                "night": {"per_week": 0.1, "finds": {"guest": 0.9}},
                "road": {"every": 1, "scope": "travellers", "finds": {"guest": 0.5}},
            },
            "campaigns": {
                "crackdown": {"start": 1, "end": 5, "bribes": {"leader": 0.5, "informant": 0.5}}
            },
        }
    )
    text = "\n".join(problems_of(path))
    assert "observers.leader.tips.nigth: no check named `nigth` (did you mean `night`?)" in text
    assert (
        "observers.leader.tips.road: a tip sends a check to a home, but `road` stops travellers"
        in text
    )
    # Neither observer has a bribe, so no campaign can change one.
    assert "campaigns.crackdown.bribes.leader: no observer with a `bribe` named `leader`" in text
    assert "campaigns.crackdown.bribes.informant: no observer with a `bribe` named" in text


def test_a_campaign_may_change_bribes_alone(scenario_file):
    path = scenario_file(
        {
            "observers": {
                "leader": {"kind": "leader", "bribe": {"price": 50, "accepts": 0.6}},
            },
            "campaigns": {"crackdown": {"start": 1, "end": 5, "bribes": {"leader": 0.5}}},
        }
    )
    scenario = load(str(path)).scenario
    assert scenario.campaigns["crackdown"].multiply == {}
    assert scenario.observers["leader"].bribe.demanded == 50
