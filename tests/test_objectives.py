"""Learning objectives as checked claims: grammar, bad input, the statistics, the bundled claims."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import BASE, merge, prose

from simulator.analysis.objectives import check_objectives, lead_interval
from simulator.cli import cli
from simulator.report.objectives import claim_words, finding_line
from simulator.scenario import bundled_names, load
from simulator.scenario.model import CauseClaim, EffectClaim, ExposureClaim, Objective

# Runs and seed for the bundled claims: the claims were chosen to hold with a margin at 100 runs
# under several seeds (and at the scenarios' own 200 runs), so a fixed seed never flakes and a
# change of the engine that breaks a lesson is caught.
BUNDLED_RUNS = 100
BUNDLED_SEED = 1

# Two watchers of one habit, one ten times as sharp as the other; a countermeasure that makes the
# habit ten times rarer. Exposure of a target within 60 days: 1 - (1 - 0.2 x 0.11)^60, about 0.74.
TOWN = merge(
    BASE,
    {
        "days": 60,
        "runs": 40,
        "population": {"roles": {"target": 5}},
        "activities": {"habit": {"who": "target", "per_day": 0.2, "traces": ["behaviour"]}},
        "observers": {
            "sharp": {"kind": "general", "notice": {"behaviour": 0.1}},
            "dull": {"kind": "general", "notice": {"behaviour": 0.01}},
        },
        "countermeasures": {
            "rarely": {
                "description": "Do it rarely.",
                "cost": "Less done.",
                "scale": {"activities.habit.per_day": 0.1},
            },
        },
    },
)


def with_claims(*claims) -> dict:
    return merge(
        TOWN,
        {
            "learning_objectives": [
                "A plain objective stays valid.",
                {"text": "Claims to check.", "expect": list(claims)},
            ]
        },
    )


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_plain_and_checked_objectives_load(scenario_file):
    path = scenario_file(
        merge(
            TOWN,
            {
                "learning_objectives": [
                    "Plain text.",
                    {
                        "text": "One claim.",
                        "expect": {"countermeasure": "rarely", "lowers": "target"},
                    },
                    {
                        "text": "Several.",
                        "expect": [
                            {"cause": "sharp", "most_common_for": "target"},
                            {
                                "role": "target",
                                "exposed_within": 30,
                                "below": 0.9,
                                "with": "rarely",
                            },
                        ],
                    },
                ]
            },
        )
    )
    objectives = load(str(path)).scenario.learning_objectives
    assert objectives[0] == "Plain text."
    assert isinstance(objectives[1], Objective) and objectives[1].claims == [
        EffectClaim(countermeasure="rarely", lowers="target")
    ]
    cause, exposure = objectives[2].claims
    assert isinstance(cause, CauseClaim) and isinstance(exposure, ExposureClaim)
    assert exposure.with_ == ["rarely"] and exposure.exposed_within == 30


@pytest.mark.parametrize(
    "claim,expected",
    [
        (
            {"countermeasure": "rarly", "lowers": "target"},
            r"learning_objectives\.1\.expect\.0\.countermeasure: no countermeasure named `rarly` "
            r"\(did you mean `rarely`\?\); defined: `rarely`",
        ),
        (
            {"countermeasure": "rarely", "lowers": "targt"},
            r"learning_objectives\.1\.expect\.0\.lowers: no role named `targt` \(did you mean "
            r"`target`\?\); defined: `target`, `resident`",
        ),
        (
            {"cause": "sharpp", "most_common_for": "target"},
            r"learning_objectives\.1\.expect\.0\.cause: no cause named `sharpp` \(did you mean "
            r"`sharp`\?\); defined: `cascade`, `registration`, `dull`, `sharp`",
        ),
        (
            {"role": "target", "above": 0.5, "with": ["nope"]},
            r"learning_objectives\.1\.expect\.0\.with\.0: no countermeasure named `nope`",
        ),
        (
            {"countermeasure": "rarely"},
            r"learning_objectives\.1\.expect\.0: say what the countermeasure does: give exactly "
            r"one of `lowers: ROLE` or `raises: ROLE`",
        ),
        (
            {"role": "target", "above": 0.5, "below": 0.9},
            r"learning_objectives\.1\.expect\.0: give exactly one of `above: SHARE` or `below: "
            r"SHARE`",
        ),
        (
            {"role": "target", "abve": 0.5},
            r"learning_objectives\.1\.expect\.0\.abve: unknown key \(did you mean `above`\?\)",
        ),
        (
            {"who": "target"},
            r"learning_objectives\.1\.expect\.0: an `expect` clause is a mapping with one of "
            r"`countermeasure`, `cause` or `role`",
        ),
        (
            {"role": "target", "above": 1.5},
            r"learning_objectives\.1\.expect\.0\.above: is a probability: must be between 0 and 1 "
            r"\(got 1\.5\)",
        ),
    ],
)
def test_bad_claims_are_one_located_line_and_exit_2(scenario_file, claim, expected):
    path = scenario_file(with_claims(claim))
    result = invoke("validate", str(path))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert re.search(rf"^{re.escape(str(path))}:\d+:\d+: {expected}", result.stderr), result.stderr


def test_a_single_claim_is_located_without_an_index(scenario_file):
    path = scenario_file(
        merge(
            TOWN,
            {
                "learning_objectives": [
                    {"text": "t", "expect": {"cause": "nobody", "most_common_for": "target"}}
                ]
            },
        )
    )
    result = invoke("validate", str(path))
    assert result.exit_code == 2
    assert re.search(
        r":\d+:\d+: learning_objectives\.0\.expect\.cause: no cause named `nobody`", result.stderr
    )


def test_an_objective_without_expect_is_refused(scenario_file):
    path = scenario_file(merge(TOWN, {"learning_objectives": [{"text": "t"}]}))
    result = invoke("validate", str(path))
    assert (
        result.exit_code == 2
        and "learning_objectives.0.expect: required key is missing" in result.stderr
    )


@pytest.mark.parametrize(
    "changes,expected",
    [
        (
            {
                "learning_objectives": [
                    {"text": "t", "expect": {"role": "target", "exposed_within": 90, "above": 0.1}}
                ]
            },
            "learning_objectives.0.expect.exposed_within: the scenario runs only 60 days, so "
            "exposure within 90 days cannot be checked",
        ),
        (
            {
                "population": {"roles": {"target": 5, "nobody": 0}},
                "learning_objectives": [
                    {"text": "t", "expect": {"cause": "sharp", "most_common_for": "nobody"}}
                ],
            },
            "learning_objectives.0.expect.most_common_for: the role `nobody` has no people "
            "(count: 0), so there is nothing to check",
        ),
    ],
)
def test_claims_that_cannot_be_checked_are_one_line_and_exit_2(scenario_file, changes, expected):
    path = scenario_file(merge(TOWN, changes))
    assert invoke("validate", str(path)).exit_code == 0  # valid as a scenario ...
    result = invoke("validate", "--check-objectives", str(path))  # ... but not checkable
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert re.match(rf"{re.escape(str(path))}:\d+:\d+: ", result.stderr)


def test_true_claims_hold_and_false_ones_do_not(scenario_file):
    path = scenario_file(
        with_claims(
            {"countermeasure": "rarely", "lowers": "target"},
            {"countermeasure": "rarely", "raises": "target"},
            {"countermeasure": "rarely", "lowers": "target", "by_at_least": 0.9},
            {"cause": "sharp", "most_common_for": "target"},
            {"cause": "dull", "most_common_for": "target"},
            {"role": "target", "above": 0.5},
            {"role": "target", "below": 0.5},
            {"role": "target", "below": 0.5, "with": "rarely"},
            {"role": "target", "exposed_within": 10, "below": 0.5},
            {"role": "resident", "below": 0.1},
        )
    )
    check = check_objectives(load(str(path)), runs=40, seed=3)
    assert [f.holds for f in check.findings] == [
        True,
        False,
        False,
        True,
        False,
        True,
        False,
        True,
        True,
        True,
    ]
    assert check.holding == 6 and check.runs == 40
    exact = 1 - (1 - 0.2 * (1 - 0.9 * 0.99)) ** 60
    share = check.findings[5]
    assert share.ci95[0] <= share.value <= share.ci95[1]
    assert abs(share.value - exact) < 0.1
    effect = check.findings[0]
    assert effect.baseline == pytest.approx(share.value) and effect.value == pytest.approx(
        effect.variant - effect.baseline
    )
    assert check.findings[3].share > 0.8 and check.findings[3].runner_up == "dull"


def test_findings_read_as_sentences(scenario_file):
    path = scenario_file(
        with_claims(
            {"countermeasure": "rarely", "lowers": "target"},
            {"cause": "sharp", "most_common_for": "target"},
            {"role": "target", "exposed_within": 30, "above": 0.05, "with": ["rarely"]},
        )
    )
    check = check_objectives(load(str(path)), runs=20, seed=1)
    s = check.loaded.scenario
    lines = [finding_line(s, f) for f in check.findings]
    assert (
        lines[0].startswith("holds: “rarely” lowers the exposure of the target: ")
        and "points (95% interval −" in lines[0]
    )
    assert lines[1].startswith(
        "holds: The sharp is the most common cause of exposure for the target: "
    )
    assert "next the dull" in lines[1]
    assert (
        claim_words(s, check.findings[2].claim)
        == "The target is exposed within a month in more than 5% of cases, with “rarely”"
    )


def test_validate_check_objectives_prints_each_claim_and_fails_on_one_that_does_not_hold(
    scenario_file,
):
    good = scenario_file(
        with_claims({"countermeasure": "rarely", "lowers": "target"}), name="good.yaml"
    )
    bad = scenario_file(
        with_claims({"cause": "dull", "most_common_for": "target"}), name="bad.yaml"
    )
    result = invoke("validate", "--check-objectives", "--runs", "30", str(good), str(bad))
    assert result.exit_code == 2
    assert f"{good}: ok\n  holds: “rarely” lowers" in result.stdout
    assert "  1 of 1 claims hold (30 runs, seed 1)." in result.stdout
    assert "DOES NOT HOLD: The dull is the most common cause" in prose(result.stdout)
    assert result.stderr == f"{bad}: 1 of 1 claims do not hold\n"


def test_validate_check_objectives_without_claims_says_so(scenario_file):
    path = scenario_file()
    result = invoke("validate", "--check-objectives", str(path))
    assert result.exit_code == 0
    assert "no learning objective has an `expect` clause" in result.stdout


def test_lead_interval_is_sharp_when_runs_agree_and_wide_when_they_do_not():
    runs = 50
    all_first = np.ones(runs)
    lead, (lo, hi) = lead_interval(all_first, np.zeros(runs), all_first)
    assert lead == 1.0 and 0.8 < lo < 1.0 and hi == 1.0  # each run one observation: Wilson bound
    one_run = np.zeros(runs)
    one_run[0] = 1
    lead, (lo, hi) = lead_interval(one_run, np.zeros(runs), one_run)
    assert lead == 1.0 and lo < 0  # one exposure in all the runs proves nothing
    rng = np.random.default_rng(7)
    first = rng.binomial(1, 0.5, 400).astype(float)
    second = 1.0 - first
    lead, (lo, hi) = lead_interval(first, second, first + second)
    assert lo < lead < hi and hi - lo == pytest.approx(2 * 1.966 * math.sqrt(1 / 400), rel=0.15)


def test_every_bundled_scenario_has_sourced_defaults():
    for name in bundled_names():
        s = load(name).scenario
        assert s.sources, name
        for key, src in s.sources.items():
            assert src.basis in ("reported", "secondary", "estimate"), (name, key)
            assert src.supports, f"{name}: source {key} backs no key"


def test_the_library_spans_ten_scenarios_and_five_places():
    result = invoke("list")
    lines = result.stdout.strip().splitlines()
    assert len(lines) >= 10
    places = {load(name).scenario.place.split(",")[0] for name in bundled_names()} - {""}
    assert len(places) >= 5, places


CHECKED = [
    name
    for name in bundled_names()
    if any(isinstance(o, Objective) for o in load(name).scenario.learning_objectives)
]


def test_the_bundled_scenarios_with_claims():
    assert {
        "border-phone",
        "overnight-guest",
        "pandemic-controls",
        "grid-checkpoint",
        "guest-list",
        "protest-phone-check",
        "informant-state",
        "block-committee",
        "tehran-protest",
        "group-chat",
    } <= set(CHECKED)


@pytest.mark.slow
@pytest.mark.parametrize("name", CHECKED)
def test_every_bundled_claim_holds(name):
    check = check_objectives(load(name), runs=BUNDLED_RUNS, seed=BUNDLED_SEED)
    failing = [finding_line(check.loaded.scenario, f) for f in check.findings if not f.holds]
    assert not failing, "\n".join(failing)
    assert check.findings


def test_objectives_in_show_name_their_claims():
    text = invoke("show", "grid-checkpoint").stdout
    assert (
        "Checked: A checkpoint phone scan is the most common cause of exposure for the student, "
        "if a scan that finds the apps means arrest and a scan catches at least one pass in three "
        "hundred and she passes it three days a week or more." in prose(text)
    )


@pytest.mark.slow
def test_a_bundled_scenario_s_claims_hold_across_its_sourced_ranges():
    """The check a scenario author runs: every claim holds wherever it says it does."""
    result = invoke("validate", "--check-objectives", "--robust", "group-chat")
    assert result.exit_code == 0, result.output
    assert "3 of 3 claims hold wherever they say they do" in result.stdout
    assert "if two mentions on seized phones or in the logs are enough for questioning" in (
        prose(result.stdout)
    )


def test_gallery_page_is_in_sync():
    from simulator.report.gallery import render_gallery

    page = Path(__file__).parent.parent / "docs" / "scenarios.md"
    assert page.read_text(encoding="utf-8") == render_gallery(), (
        "docs/scenarios.md is out of date; regenerate it with `exposure gallery -o "
        "docs/scenarios.md --force`"
    )
