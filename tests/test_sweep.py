"""Sweeps: Sobol estimators against Ishigami, one-at-a-time curves, workers, Dask, bad input."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from test_compare import TOWN

from simulator.analysis.sweep import RESOLVED_WIDTH, resolution, saltelli_matrices, sobol_indices
from simulator.cli import cli

# Ishigami function with a = 7, b = 0.1 on [-pi, pi]^3 (Ishigami & Homma 1990): known indices.
A, B = 7.0, 0.1
VAR = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
V2 = A**2 / 8
V13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
S1_TRUE = [V1 / VAR, V2 / VAR, 0.0]
ST_TRUE = [(V1 + V13) / VAR, V2 / VAR, V13 / VAR]


def ishigami(u: np.ndarray) -> np.ndarray:
    x = -math.pi + 2 * math.pi * u
    return np.sin(x[..., 0]) + A * np.sin(x[..., 1]) ** 2 + B * x[..., 2] ** 4 * np.sin(x[..., 0])


def test_sobol_estimators_recover_ishigami_indices():
    """scipy's estimators on our sample matrices, against the analytic indices (4.5 se)."""
    rng = np.random.default_rng(2024)
    n = 8192
    a, b, ab = saltelli_matrices(3, n, rng)
    indices = sobol_indices(ishigami(a), ishigami(b), ishigami(ab), rng, resamples=300)
    for i, idx in enumerate(indices):
        # The bootstrap interval is about +-1.96 standard errors; allow 4.5 of them.
        se_first = (idx.first_ci95[1] - idx.first_ci95[0]) / (2 * 1.96)
        se_total = (idx.total_ci95[1] - idx.total_ci95[0]) / (2 * 1.96)
        assert abs(idx.first - S1_TRUE[i]) <= 4.5 * se_first + 1e-3, (
            i,
            idx.first,
            S1_TRUE[i],
            se_first,
        )
        assert abs(idx.total - ST_TRUE[i]) <= 4.5 * se_total + 1e-3, (
            i,
            idx.total,
            ST_TRUE[i],
            se_total,
        )
        assert se_first < 0.03 and se_total < 0.03


def _sweep(path, *extra):
    result = CliRunner().invoke(
        cli,
        [
            "sweep",
            str(path),
            "--runs",
            "30",
            "--format",
            "json",
            "--vary",
            "observers.informer.density=0:0.4:4",
            "--vary",
            "activities.meet.per_week=0.5:3:3",
            *extra,
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    doc.pop("timing")
    return doc


def test_one_at_a_time_curves_rank_and_are_monotone(scenario_file):
    doc = _sweep(scenario_file(TOWN))
    density = doc["parameters"]["observers.informer.density"]
    assert density["values"] == [0.0, pytest.approx(0.1333333), pytest.approx(0.2666667), 0.4]
    shares = density["p_exposed"]
    assert all(b >= a - 0.02 for a, b in itertools.pairwise(shares)), shares
    assert doc["ranking"][0] in doc["parameters"]
    swings = {k: abs(v["swing"]) for k, v in doc["parameters"].items()}
    assert doc["ranking"] == sorted(swings, key=lambda k: -swings[k])


def test_sweep_identical_across_workers_and_plot_is_reproducible(scenario_file, tmp_path):
    path = scenario_file(TOWN)
    one = _sweep(path, "--workers", "1", "--plot", str(tmp_path / "a.svg"))
    two = _sweep(path, "--workers", "2", "--plot", str(tmp_path / "b.svg"))
    assert one == two
    svg_a = (tmp_path / "a.svg").read_bytes()
    assert svg_a == (tmp_path / "b.svg").read_bytes()
    assert svg_a.startswith(b"<?xml") and b"<svg" in svg_a and b"dc:date" not in svg_a


def test_sobol_sweep_through_the_cli(scenario_file):
    doc = _sweep(scenario_file(TOWN), "--method", "sobol", "--samples", "8", "--runs", "10")
    assert set(doc["sobol"]) == {"observers.informer.density", "activities.meet.per_week"}
    for idx in doc["sobol"].values():
        assert (
            idx["S1_ci95"][0] <= idx["S1"] <= idx["S1_ci95"][1]
            or idx["S1_ci95"][0] == idx["S1_ci95"][1]
        )


def test_dask_cluster_gives_the_same_results(scenario_file):
    distributed = pytest.importorskip("distributed", reason="the test extra installs Dask")
    path = scenario_file(TOWN)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        on_dask = _sweep(path, "--scheduler", cluster.scheduler_address)
    assert on_dask == _sweep(path)


@pytest.mark.parametrize(
    "vary,expected",
    [
        ("observers.informer.densty=0:1", "no such key in a scenario"),
        (
            "observers.informer.density=0:2",
            "observers.informer.density: is a probability: must be between 0 and 1 (got 2",
        ),
        ("observers.informer.density=0.5:0.1", "HIGH must be a finite number above LOW"),
        ("observers.informer.kind=0:1", "not a number, cannot be varied"),
        ("observers.informer.density", "expected dotted.key=LOW:HIGH"),
    ],
)
def test_bad_vary(scenario_file, vary, expected):
    result = CliRunner().invoke(
        cli, ["sweep", str(scenario_file(TOWN)), "--vary", vary], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert expected in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_sobol_intervals_are_reproducible_and_cover_the_estimate():
    """The bootstrap takes the sweep's stream: the same seed gives the same intervals."""
    a, b, ab = saltelli_matrices(3, 256, np.random.default_rng(5))
    f = (ishigami(a), ishigami(b), ishigami(ab))
    first = sobol_indices(*f, np.random.default_rng(9), resamples=200)
    again = sobol_indices(*f, np.random.default_rng(9), resamples=200)
    assert first == again
    for idx in first:
        assert idx.first_ci95[0] <= idx.first <= idx.first_ci95[1]
        assert idx.total_ci95[0] <= idx.total <= idx.total_ci95[1]


def test_sobol_indices_of_a_constant_are_zero_and_certain():
    zero = np.zeros(16)
    for idx in sobol_indices(zero, zero, np.zeros((2, 16)), np.random.default_rng(1)):
        assert (idx.first, idx.first_ci95, idx.total, idx.total_ci95) == (0, (0, 0), 0, (0, 0))


def test_sobol_samples_must_be_a_power_of_two(scenario_file):
    result = CliRunner().invoke(
        cli,
        [
            "sweep",
            str(scenario_file(TOWN)),
            "--method",
            "sobol",
            "--samples",
            "12",
            "--vary",
            "activities.meet.per_week=0.5:3",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    assert "--samples" in result.stderr and "power of two" in result.stderr, result.stderr


def _ishigami_indices(samples: int, seed: int):
    rng = np.random.default_rng(seed)
    a, b, ab = saltelli_matrices(3, samples, rng)
    return sobol_indices(ishigami(a), ishigami(b), ishigami(ab), rng, resamples=200)


def test_unresolved_sobol_indices_are_named_with_the_samples_that_resolve_them():
    """Few samples give intervals wider than an index can be; the suggested size narrows them."""
    few = resolution(_ishigami_indices(64, seed=7), 64)
    assert not few.resolved and few.widest > RESOLVED_WIDTH
    assert few.samples_needed > 64 and few.samples_needed & (few.samples_needed - 1) == 0
    again = resolution(_ishigami_indices(few.samples_needed, seed=107), few.samples_needed)
    assert again.resolved and again.widest <= RESOLVED_WIDTH
    many = resolution(_ishigami_indices(8192, seed=7), 8192)
    assert many.resolved and many.samples_needed == 8192


def test_a_sobol_sweep_with_too_few_samples_says_so(scenario_file):
    result = CliRunner().invoke(
        cli,
        [
            "sweep",
            str(scenario_file(TOWN)),
            "--vary",
            "observers.informer.density=0.01:0.2",
            "--vary",
            "activities.meet.per_week=0.5:3",
            "--method",
            "sobol",
            "--samples",
            "8",
            "--runs",
            "10",
        ],
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "These Sobol indices are not resolved yet: an interval spans up to" in said
    assert "Read them as unknown" in said
