"""Parameter uncertainty and robust claims: sampling, drawn values as the file's own, exact cases.

Statistical checks compare with the formula within SLACK standard errors of the estimate, with
fixed seeds, so that they never flake and would catch a wrong estimate.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import pickle

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import BASE, merge, prose

from simulator import runner
from simulator.analysis.compare import Comparer, compare
from simulator.analysis.objectives import Finding, check_objectives, needed_bundles
from simulator.analysis.robust import RobustChecker, _leans
from simulator.analysis.uncertainty import (
    RoleUncertainty,
    compare_uncertainty,
    corners,
    latin_hypercube,
    mixture_interval,
    parameter_share,
    ranged_comparison,
    run_uncertainty,
)
from simulator.cli import cli
from simulator.errors import ScenarioError
from simulator.report.objectives import claim_words, conditional_claims, robust_status
from simulator.report.words import change_ends
from simulator.scenario import load, variant
from simulator.scenario.model import CauseClaim, ComparisonClaim, EffectClaim, ExposureClaim
from simulator.scenario.validation import located_claims

SLACK = 4.5  # standard errors

RANGES = {"observers.watcher.notice.behaviour": (0.2, 0.6), "activities.act.per_day": (0.02, 0.08)}


def test_latin_hypercube_sets_lie_in_the_ranges_one_per_stratum_and_repeat_per_seed():
    sets = latin_hypercube(RANGES, 10, seed=5)
    assert len(sets) == 10
    for key, (lo, hi) in RANGES.items():
        values = np.array([s[key] for s in sets])
        assert np.all((values >= lo) & (values <= hi))
        # A Latin hypercube uses each tenth of every range exactly once; a positive range is cut
        # evenly on a log scale, so that it is centred on an estimate it multiplies and divides.
        strata = np.floor(np.log(values / lo) / np.log(hi / lo) * 10).astype(int)
        assert sorted(strata) == list(range(10))
    assert latin_hypercube(RANGES, 10, seed=5) == sets
    assert latin_hypercube(RANGES, 10, seed=6) != sets


def test_corners_are_every_combination_of_ends():
    found = corners(RANGES)
    assert len(found) == 4
    assert {tuple(sorted(c.items())) for c in found} == {
        (("activities.act.per_day", a), ("observers.watcher.notice.behaviour", n))
        for a in (0.02, 0.08)
        for n in (0.2, 0.6)
    }
    many = {f"k{i}": (0.0, 1.0) for i in range(12)}
    assert len(corners(many)) == 2 * 12 + 2


TOWN = merge(
    BASE,
    {
        "days": 30,
        "population": {"units": 10, "households_per_unit": 100, "roles": {"target": 3}},
        "activities": {"act": {"who": "everyone", "per_day": 0.05, "traces": ["behaviour"]}},
        "observers": {"watcher": {"kind": "general", "notice": {"behaviour": 0.4}}},
        "countermeasures": {
            "rarely": {
                "description": "Do it rarely.",
                "cost": "Less done.",
                "scale": {"activities.act.per_day": 0.1},
            },
            "less": {
                "description": "Do it half as often.",
                "cost": "Less done.",
                "scale": {"activities.act.per_day": 0.5},
            },
            "never": {
                "description": "Never do it.",
                "cost": "Nothing done.",
                "set": {"activities.act.per_day": 0.0},
            },
        },
    },
)


def _ranged(doc, ranges):
    """A copy of a scenario document whose `ranges` keys carry `{value, range}`, as a file would."""
    out = copy.deepcopy(doc)
    for key, (lo, hi) in ranges.items():
        *parents, last = key.split(".")
        slot = out
        for part in parents:
            slot = slot[part]
        slot[last] = {"value": slot[last], "range": [lo, hi]}
    return out


def _loaded(scenario_file, changes=None, ranges=None):
    doc = _ranged(merge(TOWN, changes or {}), RANGES if ranges is None else ranges)
    loaded = load(str(scenario_file(doc)))
    assert loaded.ranges == dict(RANGES if ranges is None else ranges)
    return loaded


def test_drawn_values_are_the_files_own_before_countermeasures(scenario_file):
    loaded = _loaded(scenario_file)
    drawn = {"activities.act.per_day": 0.06}
    plain = variant(loaded, parameters=drawn).scenario
    assert plain.activities["act"].per_day == pytest.approx(0.06)
    scaled = variant(loaded, countermeasures=["rarely"], parameters=drawn).scenario
    assert scaled.activities["act"].per_day == pytest.approx(0.006)  # scales the drawn rate
    set_ = variant(loaded, countermeasures=["never"], parameters=drawn).scenario
    assert set_.activities["act"].per_day == 0.0  # a countermeasure's `set` wins
    counted = variant(loaded, parameters={"days": 20.6}).scenario
    assert counted.days == 21 and isinstance(counted.days, int)  # whole-number keys are rounded
    # A variant of a variant keeps the drawn value, as loading a file that said so would.
    again = variant(variant(loaded, parameters=drawn), countermeasures=["less"]).scenario
    assert again.activities["act"].per_day == pytest.approx(0.03)
    with pytest.raises(ScenarioError):
        variant(loaded, parameters={"activities.act.per_day": 2.0})


def test_per_set_estimates_match_the_formula(scenario_file):
    """Everyone acts with probability a a day, one watcher notices with n: P = 1 − (1 − a·n)^t."""
    loaded = _loaded(scenario_file)
    runs = 4
    point, u = run_uncertainty(loaded, 6, runs=runs, seed=2)
    days = loaded.scenario.days
    people = point.results.roles["resident"].people * runs
    for values, estimate in zip(u.sets, u.roles["resident"].per_set):
        a = values["activities.act.per_day"]
        n = values["observers.watcher.notice.behaviour"]
        p = 1 - (1 - a * n) ** days
        se = math.sqrt(p * (1 - p) / people)
        assert abs(estimate - p) <= SLACK * se, (values, estimate, p, se)
    exact = 1 - (1 - 0.05 * 0.4) ** days
    assert abs(point.results.roles["resident"].p_exposed - exact) <= SLACK * math.sqrt(
        exact * (1 - exact) / people
    )
    # With about a thousand people a run, chance is small beside what the ranges do.
    resident = u.roles["resident"]
    assert resident.parameter_share > 0.9
    assert resident.interval[0] <= min(resident.per_set) <= max(resident.per_set)
    assert resident.interval[1] >= max(resident.per_set)


def test_mixture_interval_and_parameter_share_on_known_figures():
    # One set, no chance: the interval is the point and nothing comes from the parameters.
    assert mixture_interval([0.3], [0.0]) == (0.3, 0.3)
    # Many equal sets: a normal's 95% interval, all of it chance.
    lo, hi = mixture_interval([0.5] * 5, [0.01] * 5)
    assert lo == pytest.approx(0.5 - 1.96 * 0.01, abs=1e-4)
    assert hi == pytest.approx(0.5 + 1.96 * 0.01, abs=1e-4)
    assert parameter_share([0.5] * 5, [0.01] * 5) == 0.0
    # Sets far apart beside their chance: nearly all of the spread is the parameters'.
    assert parameter_share([0.1, 0.5, 0.9], [0.001] * 3) > 0.99


def test_results_do_not_depend_on_workers(scenario_file, monkeypatch):
    monkeypatch.setattr(runner, "MAX_BATCH_RUNS", 3)  # several batches, for the workers to share
    loaded = _loaded(scenario_file, {"population": {"units": 2}})
    one = run_uncertainty(loaded, 3, runs=7, seed=4, workers=1)[1]
    two = run_uncertainty(loaded, 3, runs=7, seed=4, workers=2)[1]
    assert one == two


def test_variants_shared_among_workers_give_the_same_bytes(scenario_file):
    """One batch, many parameter sets: the sets are split among workers, and nothing changes."""
    loaded = _loaded(scenario_file, {"population": {"units": 2}})
    sets = latin_hypercube(RANGES, 5, seed=2)
    groups = runner.variant_groups([variant(loaded, parameters=v).scenario for v in sets], 4)
    assert sorted(i for g in groups for i in g) == list(range(5)) and len(groups) == 4
    runner._BUILT.clear()
    runner._ASKED.clear()
    one = run_uncertainty(loaded, 5, runs=6, seed=4, workers=1)[1]
    # A town built once is not kept (a `run` of many batches would hold them all for nothing).
    assert not runner._BUILT
    two = run_uncertainty(loaded, 5, runs=6, seed=4, workers=2)[1]
    assert one == two
    # Built a second time, it is kept for later calls: read-only, with the same runs as fresh.
    assert run_uncertainty(loaded, 5, runs=6, seed=4, workers=1)[1] == one
    assert runner._BUILT and all(
        not p.replica.flags.writeable and not p.indices.flags.writeable
        for p in runner._BUILT.values()
    )
    again = run_uncertainty(loaded, 5, runs=6, seed=4, workers=1)[1]
    runner._BUILT.clear()
    assert again == one == run_uncertainty(loaded, 5, runs=6, seed=4, workers=1)[1]


def test_batch_summaries_go_between_processes_small_and_come_back_the_same():
    """A batch's summary is sent as its non-zero counts: a small fraction of its arrays' bytes,
    and the same int64 arrays on arrival."""
    for summary in runner.simulate_runs(load("guest-list").scenario, 20, seed=3):
        sent = pickle.dumps(summary)
        back = pickle.loads(sent)
        assert len(sent) < summary.exposures.nbytes / 10
        assert back.first_run == summary.first_run
        for name in ("people", "exposures", "causes", "collateral", "run_causes"):
            before, after = getattr(summary, name), getattr(back, name)
            assert after.dtype == np.int64 and after.flags.c_contiguous and after.flags.writeable
            assert after.shape == before.shape and np.array_equal(after, before), name


# The claim "the resident is exposed within 30 days in more than half of cases" with a watcher
# noticing 0.4 of the acts: P = 1 − (1 − 0.4a)^30 > 1/2 exactly when a > (1 − 2^(−1/30)) / 0.4.
THRESHOLD = (1 - 0.5 ** (1 / 30)) / 0.4


def _claims(*claims, ranges=None):
    return {"learning_objectives": [{"text": "Claims to check.", "expect": list(claims)}]}


def test_robust_claims_hold_flip_at_the_analytic_threshold_or_fail(scenario_file):
    loaded = _loaded(
        scenario_file,
        _claims(
            {"countermeasure": "rarely", "lowers": "resident"},
            {"role": "resident", "above": 0.5},
            {
                "role": "resident",
                "above": 0.5,
                "when": {"param": "activities.act.per_day", "above": 0.07},
            },
            {"role": "resident", "above": 0.99},
            # Stated for a region the file's value (0.1) lies outside: checked from its edge.
            {
                "role": "resident",
                "below": 0.5,
                "when": {"param": "activities.act.per_day", "below": 0.05},
            },
        ),
        {"activities.act.per_day": (0.03, 0.12)},
    )
    loaded = variant(loaded, parameters={"activities.act.per_day": 0.1})
    check = RobustChecker(loaded, runs=4, sets=4, seed=3).check()
    holds, flips, stated, fails, outside = check.findings
    assert holds.verdict == "holds" and holds.passes
    assert flips.verdict == "holds_only_when" and not flips.passes
    t = flips.threshold
    assert t is not None and t.param == "activities.act.per_day" and t.side == "above"
    # The bisection brackets where the claim's interval leaves 1/2; with 4,000 pairs a set that
    # is within 0.002 of the exact threshold in a (about 4 standard errors of P, divided by
    # dP/da = 6 near it).
    assert t.bracket[0] - 0.002 <= THRESHOLD <= t.bracket[1] + 0.002, (t, THRESHOLD)
    assert t.bracket[1] - t.bracket[0] <= (0.1 - 0.03) / 16 + 1e-12
    assert stated.verdict == "holds_when" and stated.passes
    assert fails.verdict == "not_at_file" and not fails.passes
    assert outside.verdict == "holds_when" and outside.at_file.value < 0.5
    assert check.passing == 3


def test_comparison_claims_hold_one_way_and_not_the_other(scenario_file):
    loaded = _loaded(
        scenario_file,
        _claims(
            {"countermeasure": "rarely", "protects": "resident", "more_than": "less"},
            {"countermeasure": "less", "protects": "resident", "more_than": "rarely"},
        ),
    )
    check = check_objectives(loaded, runs=4, seed=1)
    assert [f.holds for f in check.findings] == [True, False]
    one, other = check.findings
    assert one.value == pytest.approx(-other.value)
    assert one.value == pytest.approx(one.variant - one.baseline)


def test_a_comparison_with_itself_or_an_unknown_condition_key_is_refused(scenario_file):
    path = scenario_file(
        merge(
            TOWN,
            _claims(
                {"countermeasure": "rarely", "protects": "resident", "more_than": "rarely"},
                {"role": "resident", "above": 0.5, "when": {"param": "nope.key", "above": 1}},
            ),
        )
    )
    with pytest.raises(ScenarioError) as caught:
        load(str(path))
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "not with itself" in text and "when.param" in text


def test_run_uncertainty_in_table_and_json_and_refused_without_ranges(scenario_file):
    path = scenario_file(TOWN)
    result = CliRunner().invoke(cli, ["run", str(path), "--uncertainty", "3", "--runs", "2"])
    assert result.exit_code == 2
    assert "gives no parameter a sourced range" in result.output
    assert len(result.output.strip().splitlines()) == 1

    path = scenario_file(_ranged(TOWN, RANGES))
    table = CliRunner().invoke(cli, ["run", str(path), "--uncertainty", "3", "--runs", "2"])
    assert table.exit_code == 0, table.output
    assert "across the sourced ranges (3 parameter sets)" in table.output
    out = CliRunner().invoke(
        cli, ["run", str(path), "--uncertainty", "3", "--runs", "2", "--format", "json"]
    )
    block = json.loads(out.output)["uncertainty"]
    assert block["sets"] == 3
    assert block["parameters"] == {k: list(v) for k, v in RANGES.items()}
    resident = block["roles"]["resident"]
    assert len(resident["per_set"]) == 3 and 0 <= resident["parameter_share"] <= 1
    assert resident["interval"][0] <= resident["interval"][1]


def test_compare_uncertainty_gives_each_countermeasure_its_change_over_the_ranges(scenario_file):
    path = scenario_file(_ranged(TOWN, RANGES))
    args = ["compare", str(path), "--role", "resident", "--uncertainty", "3", "--runs", "2"]
    out = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert out.exit_code == 0, out.output
    block = json.loads(out.output)["uncertainty"]
    assert block["sets"] == 3 and block["role"] == "resident"
    never = block["variants"]["never"]
    # Never acting exposes nobody: the change is minus the baseline's share in every set.
    assert all(d < 0 for d in never["per_set"])
    assert never["delta_interval"][0] <= min(never["per_set"])
    table = CliRunner().invoke(cli, args)
    assert prose(table.output).count("across the sourced ranges (3 parameter sets)") == 3


def test_one_simulation_gives_exposure_and_changes_over_the_same_sets(scenario_file):
    """The report's two columns: the baselines of the drawn sets, and each change against them."""
    loaded = _loaded(scenario_file, {"population": {"units": 2}})
    comparer = Comparer(loaded, runs=4, seed=3, workers=1)
    comparison = compare(comparer, ["never", "rarely"], "resident")
    ranged = ranged_comparison(comparison, 3, seed=3)
    # The exposure over the sets is what `run --uncertainty` finds for the same seed.
    _point, alone = run_uncertainty(loaded, 3, runs=4, seed=3)
    assert ranged.exposure.sets == alone.sets
    for role, r in alone.roles.items():
        assert ranged.exposure.roles[role].per_set == r.per_set
        assert ranged.exposure.roles[role].interval == r.interval
    assert ranged.exposure.roles["resident"].point == (
        comparison.baseline.results.roles["resident"].p_exposed
    )
    # Never acting exposes nobody: in every set the change is minus that set's baseline share.
    never = ranged.changes.roles["never"]
    assert never.per_set == pytest.approx([-p for p in alone.roles["resident"].per_set])
    assert compare_uncertainty(comparison, 3, seed=3) == ranged.changes


def test_compare_uncertainty_takes_bundles(scenario_file):
    path = scenario_file(_ranged(merge(TOWN, {"population": {"units": 2}}), RANGES))
    args = ["compare", str(path), "--combinations", "--uncertainty", "2", "--runs", "2"]
    chosen = ["--countermeasure", "less", "--countermeasure", "never"]
    out = CliRunner().invoke(cli, [*args, *chosen, "--format", "json"])
    assert out.exit_code == 0, out.output
    assert set(json.loads(out.output)["uncertainty"]["variants"]) == {"less", "never", "less+never"}


def test_all_zero_means_no_run_of_any_set():
    assert RoleUncertainty(0.0, (0.0, 0.0), 0.0, [0.0, 0.0]).all_zero
    assert not RoleUncertainty(0.0, (0.0, 0.0), 0.0, [0.0, 0.001]).all_zero
    assert not RoleUncertainty(0.0, (-0.01, 0.01), 0.0, [0.0, 0.0]).all_zero


def test_compare_uncertainty_rounds_by_the_width_and_says_when_nothing_changes(scenario_file):
    path = str(scenario_file(_ranged(merge(TOWN, {"population": {"units": 2}}), RANGES)))
    args = ["compare", path, "--role", "resident", "--uncertainty", "3", "--runs", "2"]
    block = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).output)
    table = prose(CliRunner().invoke(cli, args).output)
    for name, r in block["uncertainty"]["variants"].items():
        lo, hi = change_ends(tuple(r["delta_interval"]))
        assert f"by between {lo} and {hi} points across the sourced ranges" in table, name
    # Nothing ever exposes the target: no countermeasure changes any run of any set for them.
    town = _ranged(merge(TOWN, {"activities": {"act": {"who": "resident"}}}), RANGES)
    args = ["compare", str(scenario_file(town)), "--role", "target", "--uncertainty", "2"]
    out = CliRunner().invoke(cli, [*args, "--runs", "2", "--countermeasure", "never"])
    assert out.exit_code == 0, out.output
    words = prose(out.output)
    assert (
        "“never” changes no run's outcome for the target by day 30 in any of the 2 parameter "
        "sets across the sourced ranges." in words
    ), words
    table = CliRunner().invoke(cli, [*args, "--runs", "2", "--countermeasure", "never", "--wide"])
    assert "0 to 0" not in words and "no change in any run" in table.output


def _csv(output):
    return list(csv.DictReader(io.StringIO(output)))


def test_csv_keeps_the_spread_over_the_ranges(scenario_file):
    path = str(scenario_file(_ranged(merge(TOWN, {"population": {"units": 2}}), RANGES)))
    run = ["run", path, "--uncertainty", "3", "--runs", "2"]
    block = json.loads(CliRunner().invoke(cli, [*run, "--format", "json"]).output)["uncertainty"]
    rows = {r["role"]: r for r in _csv(CliRunner().invoke(cli, [*run, "--format", "csv"]).output)}
    for role, r in block["roles"].items():
        assert [float(rows[role]["plausible_low"]), float(rows[role]["plausible_high"])] == r[
            "interval"
        ]
        assert float(rows[role]["parameter_share"]) == r["parameter_share"]
    assert rows["everyone"]["plausible_low"] == ""  # the sets give no figure for everyone
    plain = _csv(CliRunner().invoke(cli, ["run", path, "--runs", "2", "--format", "csv"]).output)
    assert "plausible_low" not in plain[0]

    compare = ["compare", path, "--role", "resident", "--uncertainty", "3", "--runs", "2"]
    block = json.loads(CliRunner().invoke(cli, [*compare, "--format", "json"]).output)
    rows = _csv(CliRunner().invoke(cli, [*compare, "--format", "csv"]).output)
    for row in rows:
        if row["variant"] != "baseline" and row["role"] == "resident":
            r = block["uncertainty"]["variants"][row["variant"]]
            low, high = float(row["delta_plausible_low"]), float(row["delta_plausible_high"])
            assert [low, high] == r["delta_interval"]
            assert float(row["delta_parameter_share"]) == r["parameter_share"]
        else:
            assert row["delta_plausible_low"] == row["delta_parameter_share"] == ""
    md = CliRunner().invoke(cli, [*compare, "--format", "md"]).output
    assert md.count("across the sourced ranges (3 parameter sets)") == 3


def test_a_role_nobody_can_expose_is_said_to_be_untouched_in_every_set(scenario_file):
    town = _ranged(merge(TOWN, {"activities": {"act": {"who": "resident"}}}), RANGES)
    result = CliRunner().invoke(
        cli, ["run", str(scenario_file(town)), "--uncertainty", "3", "--runs", "2"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "The target: nobody exposed in any run of the 3 parameter sets across the sourced ranges."
        in prose(result.output)
    )


def test_a_claim_under_two_conditions_is_checked_where_both_hold(scenario_file):
    """P = 1 − (1 − a·n)^30 > 1/2 needs a·n > 0.0228: a ≥ 0.07 alone is not enough (n = 0.2)."""
    both = [
        {"param": "activities.act.per_day", "above": 0.07, "says": "people act often"},
        {"param": "observers.watcher.notice.behaviour", "above": 0.4},
    ]
    loaded = _loaded(
        scenario_file,
        _claims(
            {"role": "resident", "above": 0.5, "when": both},
            {"role": "resident", "above": 0.5, "when": both[:1]},
        ),
        {"activities.act.per_day": (0.03, 0.12), "observers.watcher.notice.behaviour": (0.2, 0.6)},
    )
    loaded = variant(loaded, parameters={"activities.act.per_day": 0.1})
    stated, short = RobustChecker(loaded, runs=4, sets=4, seed=3).check().findings
    assert stated.verdict == "holds_when" and stated.passes
    assert short.verdict == "holds_only_when" and not short.passes
    assert short.threshold is not None
    assert short.threshold.param == "observers.watcher.notice.behaviour"
    s = loaded.scenario
    words = claim_words(s, stated.at_file.claim)
    assert words.endswith(
        ", if people act often and observers.watcher.notice.behaviour is above 0.4"
    )
    assert conditional_claims(s) == [
        "The resident is exposed within a month in more than 50% of cases, if people act often and "
        "observers.watcher.notice.behaviour is above 0.4",
        "The resident is exposed within a month in more than 50% of cases, if people act often",
    ]


def test_sets_where_nobody_can_be_exposed_are_counted_apart(scenario_file):
    """A watcher that may notice nothing: there, no habit lowers anything and no cause leads."""
    loaded = _loaded(
        scenario_file,
        _claims(
            {"countermeasure": "rarely", "lowers": "resident"},
            {"cause": "watcher", "most_common_for": "resident"},
        ),
        {"observers.watcher.notice.behaviour": (0.0, 0.6)},
    )
    # Twenty runs: with a single cause, its lead is shown by how many runs it led in.
    effect, cause = RobustChecker(loaded, runs=20, sets=4, seed=3).check().findings
    for finding in (effect, cause):
        assert finding.verdict == "holds" and finding.passes and finding.failing == 0
        assert finding.degenerate >= 1  # at least the end where the watcher notices nothing
    s = loaded.scenario
    assert "no room for an effect" in robust_status(s, effect)
    assert "was never exposed" in robust_status(s, cause)


def test_a_failure_leans_the_claimed_way_by_its_estimate():
    def finding(claim, value, **extra):
        return Finding(0, (), claim, False, value, (value - 0.1, value + 0.1), **extra)

    lowers = EffectClaim(countermeasure="c", lowers="r", by_at_least=0.05)
    assert _leans(finding(lowers, -0.06, baseline=0.5, variant=0.44))
    assert not _leans(finding(lowers, -0.04, baseline=0.5, variant=0.46))
    raises = EffectClaim(countermeasure="c", raises="r")
    assert _leans(finding(raises, 0.01, baseline=0.5, variant=0.51))
    # Exposed in every run with it and without: nothing to resolve by more runs.
    assert not _leans(finding(raises, 0.0, baseline=1.0, variant=1.0))
    assert _leans(finding(ExposureClaim(role="r", above=0.3), 0.31))
    assert not _leans(finding(ExposureClaim(role="r", below=0.3), 0.31))
    # 20 runs of 200 against "more than 10%": a tie, looked at again on more runs.
    assert _leans(finding(ExposureClaim(role="r", above=0.1), 20 / 200))
    assert _leans(finding(ExposureClaim(role="r", below=0.1), 20 / 200))
    assert not _leans(finding(ExposureClaim(role="r", above=0.1), 19 / 200))
    # No share is above 1 or below 0: a tie there is nothing more runs could resolve.
    assert not _leans(finding(ExposureClaim(role="r", above=1.0), 1.0))
    assert not _leans(finding(ExposureClaim(role="r", below=0.0), 0.0))
    assert _leans(finding(ComparisonClaim(countermeasure="a", protects="r", more_than="b"), -0.01))
    assert not _leans(finding(CauseClaim(cause="x", most_common_for="r"), -0.2, exposures=5.0))


def test_a_claim_that_fails_only_where_two_estimates_are_low_together_says_where(scenario_file):
    """P = 1 − (1 − a·n)^30 > 0.3 needs a·n > 0.0118: a = 0.05 or n = 0.2 alone keeps a·n at
    0.02 (P = 0.45), both together make it 0.01 (P = 0.26), well below at 4,000 pairs."""
    loaded = _loaded(
        scenario_file,
        _claims({"role": "resident", "above": 0.3}),
        {"activities.act.per_day": (0.05, 0.2), "observers.watcher.notice.behaviour": (0.2, 0.8)},
    )
    loaded = variant(loaded, parameters={"activities.act.per_day": 0.1})
    (finding,) = RobustChecker(loaded, runs=4, sets=4, seed=3).check().findings
    assert finding.verdict == "fails" and not finding.passes and not finding.also
    corner = (
        ("activities.act.per_day", 0.05, "low"),
        ("observers.watcher.notice.behaviour", 0.2, "low"),
    )
    assert any(sorted(where) == sorted(corner) for where in finding.where), finding.where
    text = robust_status(loaded.scenario, finding)
    assert "activities.act.per_day 0.05 (low)" in text and "among them where" in text


def test_the_robust_check_on_a_dask_cluster_gives_the_same_verdicts(scenario_file):
    distributed = pytest.importorskip("distributed", reason="the test extra installs Dask")
    doc = _ranged(
        merge(TOWN, _claims({"countermeasure": "rarely", "lowers": "resident"})),
        {"activities.act.per_day": (0.03, 0.12)},
    )
    path = str(scenario_file(doc))
    args = ["validate", "--check-objectives", "--robust", path, "--runs", "4", "--sets", "2"]
    here = CliRunner().invoke(cli, args)
    assert here.exit_code == 0, here.output
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        there = CliRunner().invoke(cli, [*args, "--scheduler", cluster.scheduler_address])
    assert there.exit_code == 0, there.output
    assert there.stdout == here.stdout and "1 of 1 claims hold" in here.stdout
    # Without --robust there is nothing to send to a cluster.
    alone = CliRunner().invoke(cli, ["validate", path, "--scheduler", "tcp://127.0.0.1:9"])
    assert alone.exit_code == 2 and "--scheduler only applies with --robust" in alone.output


def test_each_set_is_simulated_once_with_the_countermeasures_its_claims_need(
    scenario_file, monkeypatch
):
    """Claims under a condition the file's values meet plan the same one-at-a-time sets as the
    unconditioned ones: in each call a set and countermeasure is simulated once, a group's sets
    only with its own claims' countermeasures, and the verdicts are those of simulating every
    set as planned."""
    import simulator.analysis.robust as robust

    loaded = _loaded(
        scenario_file,
        _claims(
            {"countermeasure": "rarely", "lowers": "resident"},
            {
                "role": "resident",
                "above": 0.05,
                "when": {"param": "observers.watcher.notice.behaviour", "above": 0.3},
            },
        ),
    )
    calls: list[list[tuple[object, tuple[str, ...]]]] = []
    real = robust.simulate_sets

    def counted(loaded_, sets, bundles, *, runs, per_set=None, **kw):
        calls.append([])
        for i, values in enumerate(sets):
            wanted = {(), *(per_set[i] if per_set is not None else bundles)}
            key = None if values is None else tuple(sorted(values.items()))
            calls[-1].extend((key, b) for b in wanted)
        return real(loaded_, sets, bundles, runs=runs, per_set=per_set, **kw)

    monkeypatch.setattr(robust, "simulate_sets", counted)
    findings = RobustChecker(loaded, runs=8, sets=3, seed=5).check().findings
    # Both groups plan the other parameter's one-at-a-time ends: each is asked for once.
    assert all(len(call) == len(set(call)) for call in calls)
    # The conditioned claim needs no countermeasure: the sets of its own Latin hypercube are
    # simulated without "rarely".
    stage = max(calls, key=len)
    assert {k for k, b in stage if b == ("rarely",)} < {k for k, _b in stage}
    # Simulating every set as planned, again and with every bundle, gives the same verdicts.
    monkeypatch.setattr(robust, "simulate_sets", real)
    planned = RobustChecker(loaded, runs=8, sets=3, seed=5)

    def every_time(sets, bundles, runs, per_set=None):
        everything = needed_bundles(located_claims(loaded.scenario))
        return real(loaded, sets, everything, runs=runs, seed=5)

    planned._simulate = every_time  # type: ignore[method-assign]
    again = planned.check().findings
    assert [(f.verdict, f.failing, f.degenerate, f.threshold) for f in again] == [
        (f.verdict, f.failing, f.degenerate, f.threshold) for f in findings
    ]
