"""Paired comparisons: pairing sharpens differences, no-ops are marked as noise, budgets hold."""

from __future__ import annotations

import itertools
import json
import math
import re

import pytest
from click.testing import CliRunner

from simulator.analysis.compare import Comparer, Delta, compare, paired_delta
from simulator.cli import cli
from simulator.report.compare import _change
from simulator.scenario import load

TOWN = {
    "days": 120,
    "runs": 60,
    "population": {
        "units": 10,
        "households_per_unit": 10,
        "household_size": 3,
        "roles": {"activist": 20},
    },
    "contacts": {"household": {}, "neighbours": {"mean_degree": 2}},
    "states": {"leaflets": {"concealment": 0.2}},
    "activities": {
        "meet": {"who": "activist", "per_week": 2, "traces": ["presence"]},
        "keep_leaflets": {"who": "activist", "per_day": 1.0, "state": "leaflets"},
    },
    "observers": {
        "leader": {"kind": "leader", "notice": {"presence": 0.05}},
        "informer": {"kind": "informant", "density": 0.05, "notice": {"presence": 0.1}},
    },
    "checks": {"search": {"every": 30, "finds": {"leaflets": 0.3}}},
    "adversary": {"threshold": 1, "weights": {"reports": 0.5, "finds": 1}},
    "countermeasures": {
        "meet_less": {
            "description": "Meet half as often.",
            "cost": "Slower organising.",
            "effort": 2,
            "scale": {"activities.meet.per_week": 0.5},
        },
        "hide_leaflets": {
            "description": "Hide the leaflets.",
            "cost": "Harder to hand them out.",
            "effort": 1,
            "set": {"states.leaflets.concealment": 0.8},
        },
        "nothing": {
            "description": "Change nothing that matters.",
            "cost": "None.",
            "effort": 1,
            "scale": {"activities.meet.per_week": 1.0},
        },
    },
}


def _comparer(path, seed=3, runs=None, workers=1):
    return Comparer(load(str(path)), runs=runs, seed=seed, workers=workers)


def test_pairing_beats_independent_runs(scenario_file):
    path = scenario_file(TOWN)
    paired = _comparer(path, seed=3)
    base, variant = paired.baseline, paired.variants([("meet_less",)])[0]
    d = variant.delta["activist"]
    se_paired = (d.ci95[1] - d.ci95[0]) / 2
    # The same variant from an independent seed: the difference of two independent estimates.
    other = _comparer(path, seed=99).variants([("meet_less",)])[0]
    unpaired = paired_delta(base, other, "activist")
    g_b, g_v = base.results.roles["activist"], other.results.roles["activist"]
    se_b, se_v = (g_b.ci95[1] - g_b.ci95[0]) / 2, (g_v.ci95[1] - g_v.ci95[0]) / 2
    se_unpaired = math.sqrt(se_b**2 + se_v**2)
    assert unpaired.p_exposed < 0 and d.p_exposed < 0
    assert se_paired < 0.6 * se_unpaired, (se_paired, se_unpaired)
    assert d.distinguishable


def test_a_change_that_changes_nothing_is_no_clear_effect(scenario_file):
    result = compare(_comparer(scenario_file(TOWN)), ["nothing"], "activist")
    d = result.variants[0].delta["activist"]
    assert d.ci95[0] <= 0.0 <= d.ci95[1]
    assert not d.distinguishable and d.p_exposed == 0.0
    assert d.unchanged  # no run changed, so it is said plainly, not as "0 (0 to 0)"


def test_a_countermeasure_that_changes_no_run_is_said_to_change_nothing(scenario_file):
    path = str(scenario_file(TOWN))
    args = ["compare", path, "--runs", "6", "--countermeasure", "nothing"]
    table = CliRunner().invoke(cli, [*args, "--countermeasure", "meet_less", "--wide"])
    assert table.exit_code == 0, table.output
    rows = {line.split()[1]: line for line in table.output.splitlines() if line.startswith("│")}
    assert "no change in any run" in rows["nothing"]
    assert "pts (" in rows["meet_less"]  # a change some run shows keeps its figure and interval
    said = re.search(
        r"^nothing changes nothing for the activist in any of these runs \((\d+)% with it and "
        r"without\)\. Cost: None\.$",
        table.output,
        re.MULTILINE,
    )
    assert said, table.output
    assert "0 to 0" not in table.output


def test_the_same_outcome_at_other_times_is_not_called_no_change():
    same = Delta(0.0, (0.0, 0.0), False, 0, 0.0)
    later = Delta(0.0, (0.0, 0.0), False, 4, 5.4)
    assert same.unchanged and same.same_outcome
    assert later.same_outcome and not later.unchanged
    assert _change(same, 90) == "no change in any run"
    assert _change(later, 90) == "no change by day 90 in any run"
    assert not Delta(0.0, (-0.1, 0.1), False, 0, 0.0).same_outcome


def test_more_informants_never_lower_exposure(scenario_file):
    path = scenario_file(TOWN)
    shares = []
    for density in (0.0, 0.05, 0.15, 0.4):
        loaded = load(str(path), overrides=[f"observers.informer.density={density}"])
        c = Comparer(loaded, runs=60, seed=5, workers=1)
        shares.append(c.baseline.results.roles["activist"].p_exposed)
    # Common random numbers make informants a superset as density grows; allow a little noise.
    assert all(b >= a - 0.01 for a, b in itertools.pairwise(shares)), shares
    assert shares[-1] > shares[0] + 0.05


def test_sorted_by_benefit_and_budget_is_exact(scenario_file):
    comparer = _comparer(scenario_file(TOWN))
    result = compare(comparer, ["meet_less", "hide_leaflets", "nothing"], "activist", budget=3)
    changes = [v.delta["activist"].p_exposed for v in result.variants]
    assert changes == sorted(changes)
    choice = result.budget
    assert choice is not None and choice.method == "exact"
    assert (choice.variant.effort or 0) <= 3
    feasible = comparer.variants(
        [
            ("meet_less",),
            ("hide_leaflets",),
            ("nothing",),
            ("hide_leaflets", "meet_less"),
            ("hide_leaflets", "nothing"),
            ("meet_less", "nothing"),
        ]
    )
    best = min(v.results.roles["activist"].p_exposed for v in feasible if (v.effort or 0) <= 3)
    assert choice.variant.results.roles["activist"].p_exposed == best
    assert set(choice.contributions) == set(choice.variant.members)


def _json(args):
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    doc.pop("timing")
    return doc


def test_compare_json_identical_for_one_and_two_workers(scenario_file):
    path = str(scenario_file(TOWN))
    args = ["compare", path, "--runs", "40", "--format", "json", "--combinations"]
    one, two = _json([*args, "--workers", "1"]), _json([*args, "--workers", "2"])
    assert one == two
    assert set(one) == {"note", "role", "baseline", "variants"}
    variant = one["variants"]["meet_less"]
    assert {"scenario", "settings", "roles", "everyone", "causes", "collateral", "delta"} <= set(
        variant
    )
    assert set(variant["delta"]["activist"]) >= {"p_exposed", "ci95", "distinguishable"}
    assert "hide_leaflets+meet_less" in one["variants"]


def test_border_phone_compare_has_a_clear_winner():
    result = CliRunner().invoke(
        cli, ["compare", "border-phone", "--runs", "100"], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert "lowers the reporting partner's chance of exposure" in result.stdout


@pytest.mark.parametrize(
    "args,expected",
    [
        (
            ["--countermeasure", "meet_les"],
            "no countermeasure named `meet_les` (did you mean `meet_less`?); defined: "
            "`hide_leaflets`, `meet_less`, `nothing`",
        ),
        (["--role", "activst"], "--role: no role named `activst` (did you mean `activist`?)"),
    ],
)
def test_bad_compare_input(scenario_file, args, expected):
    result = CliRunner().invoke(
        cli, ["compare", str(scenario_file(TOWN)), *args], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert expected in result.stderr and result.stderr.count("\n") == 1


def test_budget_without_efforts(scenario_file):
    town = {
        **TOWN,
        "countermeasures": {
            "meet_less": {
                "description": "d",
                "cost": "c",
                "scale": {"activities.meet.per_week": 0.5},
            }
        },
    }
    result = CliRunner().invoke(
        cli,
        ["compare", str(scenario_file(town)), "--budget", "3", "--runs", "5"],
        catch_exceptions=False,
    )
    assert result.exit_code == 2 and "no countermeasure declares an `effort`" in result.stderr


@pytest.mark.parametrize("command", ["compare", "report", "sweep", "trace"])
def test_a_role_with_nobody_in_it_is_refused_in_one_line(scenario_file, tmp_path, command):
    town = {**TOWN, "population": {**TOWN["population"], "roles": {"activist": 6, "ghost": 0}}}
    flags = {
        "compare": ["--role", "ghost"],
        "report": ["--role", "ghost", "-o", str(tmp_path / "r.html")],
        "sweep": ["--role", "ghost", "--vary", "adversary.unlock=0.2:0.8"],
        "trace": ["--person", "ghost"],
    }[command]
    result = CliRunner().invoke(
        cli, [command, str(scenario_file(town)), *flags], catch_exceptions=False
    )
    assert result.exit_code == 2, result.output
    flag = "--person" if command == "trace" else "--role"
    assert result.stderr == f"{flag}: the role `ghost` has no people in this scenario\n"
    assert not (tmp_path / "r.html").exists()
