"""Wording of figures: precision follows the interval, tiny shares read as 1 in N."""

from __future__ import annotations

import pytest

from simulator.report.words import MINUS, change, change_ends, figure, horizon, rounding_step


@pytest.mark.parametrize(
    "lo,hi,step",
    [(0.0, 0.79, 0.10), (0.40, 0.65, 0.05), (0.55, 0.68, 0.01), (0.001, 0.008, 0.001)],
)
def test_rounding_step_follows_the_width(lo, hi, step):
    assert rounding_step(lo, hi) == step


def test_a_wide_interval_is_not_printed_to_the_point():
    f = figure(0.62, (0.32, 0.92))
    assert (f.value, f.interval) == ("60%", "30–100%")


def test_whole_points_round_the_interval_outward():
    f = figure(0.62, (0.551, 0.684))
    assert (f.value, f.interval, f.kind) == ("62%", "55–69%", "percent")


def test_a_narrow_interval_gets_one_decimal():
    assert (figure(0.003, (0.001, 0.008)).value, figure(0.003, (0.001, 0.008)).interval) == (
        "0.3%",
        "0.1–0.8%",
    )


def test_nobody_exposed_reads_fewer_than_one_in_a_round_number():
    f = figure(0.0, (0.0, 7.4e-5))  # 1 in 13,514: the round number below keeps the bound true
    assert (f.value, f.interval, f.kind) == ("fewer than 1 in 10,000", "0 to 1 in 10,000", "below")
    assert figure(0.0, (0.0, 0.0183)).value == "fewer than 1 in 50"
    assert figure(0.0, (0.0, 0.975)).interval == "0–100%"  # one person, one run: nothing known


def test_a_tiny_share_reads_one_in_n_with_its_range():
    f = figure(0.00078, (0.00052, 0.0011))
    assert (f.value, f.interval) == ("about 1 in 1,200", "1 in 2,000 to 1 in 900")


def test_an_extreme_that_is_not_reached_is_not_printed():
    assert figure(0.99, (0.5, 0.999)).value == ">90%"
    assert figure(0.01, (0.0, 0.6)).value == "<10%"
    assert change(0.99, (0.5, 1.0)).value == ">+90"


def test_changes_use_a_true_minus_and_the_interval_precision():
    f = change(-0.132, (-0.185, -0.081))
    assert (f.value, f.interval) == (f"{MINUS}13", f"{MINUS}19 to {MINUS}8")
    f = change(-0.004, (-0.009, 0.001))
    assert (f.value, f.interval) == (f"{MINUS}0.4", f"{MINUS}0.9 to +0.1")
    assert change(0.003, (-0.1, 0.12)).value == "0"


def test_the_ends_of_a_change_are_rounded_like_its_interval():
    # A 98-point interval supports tens, outward: never −94.8 and +1.5 beside figures in tens.
    assert change_ends((-0.948, 0.015)) == (f"{MINUS}100", "+10")
    assert change_ends((-0.185, -0.081)) == (f"{MINUS}19", f"{MINUS}8")
    for ci in ((-0.948, 0.015), (-0.004, 0.0), (0.02, 0.31)):
        assert change(0.0, ci).interval == "{} to {}".format(*change_ends(ci))


@pytest.mark.parametrize(
    ("days", "said"),
    [
        (365, "a year"),
        (730, "2 years"),
        (90, "3 months"),
        (30, "a month"),
        (14, "2 weeks"),
        (7, "a week"),
        (1, "a day"),
        (100, "100 days"),
        (400, "400 days"),
    ],
)
def test_a_span_is_said_in_its_largest_natural_unit(days, said):
    assert horizon(days) == said


def test_the_shares_of_a_change_differ_by_the_change_printed_beside_them():
    from simulator.report.compare import _arrow

    assert _arrow("62%", "56%", f"{MINUS}6") == ("62%", "56%")
    # −6.5 points printed as −7 (or −5.5 as −6) beside 62% → 56% would not add up.
    assert _arrow("62%", "56%", f"{MINUS}7") == ("62%", "55%")
    assert _arrow("95%", "90%", f"{MINUS}7") == ("95%", "88%")
    assert _arrow("fewer than 1 in 2,000", "0%", "0") == (
        "fewer than 1 in 2,000",
        "0%",
    )


def test_one_point_is_singular():
    from simulator.report.words import pts

    assert pts(f"{MINUS}1") == f"{MINUS}1 pt" and pts("+12") == "+12 pts"


def test_a_persons_thing_is_said_with_an_article_and_never_after_a_bracket():
    from simulator.report.words import person_phrase, possessive

    assert possessive("organiser", "phone") == "the organiser's phone"
    assert possessive("member 5", "phone") == "member 5's phone"
    assert possessive("host (a cousin)", "phone") == "the phone of the host (a cousin)"
    assert person_phrase("the reporting partner") == "the reporting partner"


def test_an_interval_that_excludes_zero_is_never_printed_as_reaching_it():
    """−8 to −0.3 points, not −8 to 0: a clear change must not read as a possible no change."""
    from simulator.report.words import change_ends

    assert change_ends((-0.08, -0.003)) == ("−8", "−0.3")
    assert change_ends((0.002, 0.3)) == ("+0.2", "+30")
    # An interval that does include no change keeps its plain ends.
    assert change_ends((-0.08, 0.01)) == ("−8", "+1")
