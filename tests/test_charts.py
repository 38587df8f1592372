"""The charts put every value where its axis says it is, and stay well-formed SVG."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from simulator.report import charts, plot

SVG = "{http://www.w3.org/2000/svg}"


def _tree(svg: str) -> ET.Element:
    return ET.fromstring(svg.split("?>", 1)[1])


def _tick_map(root: ET.Element, parse) -> tuple[float, float]:
    """The linear map value -> x that the x axis' tick labels draw (fitted on every label).

    The tick labels are the centred numbers on the lowest line that holds any.
    """
    labels = [
        (float(t.get("y")), float(t.get("x")), parse(t.text or ""))
        for t in root.iter(f"{SVG}text")
        if t.get("text-anchor") == "middle" and parse(t.text or "") is not None
    ]
    lowest = max(y for y, _x, _v in labels)
    xs = [x for y, x, _v in labels if y == lowest]
    values = [v for y, _x, v in labels if y == lowest]
    slope, intercept = np.polyfit(values, xs, 1)
    assert np.allclose(np.polyval([slope, intercept], values), xs, atol=0.02), "uneven ticks"
    return float(slope), float(intercept)


def _signed(text: str) -> float | None:
    m = re.fullmatch(r"([+−]?)(\d+(?:\.\d+)?)", text)
    if not m:
        return None
    return -float(m[2]) if m[1] == "−" else float(m[2])


def _percent(text: str) -> float | None:
    m = re.fullmatch(r"(\d+)%", text)
    return float(m[1]) / 100 if m else None


EFFECTS = [
    ("Short calls (effort 2)", [(-0.075, -0.112, -0.038, True), (-0.059, -0.09, -0.02, True)]),
    ("Locked phone (effort 1)", [(0.0, 0.0, 0.0, False), (-0.196, -0.24, -0.15, True)]),
    ("Face to face (effort 3)", [(0.135, 0.087, 0.183, True), (-0.399, -0.46, -0.34, True)]),
]


def test_effects_chart_marks_each_change_where_the_axis_puts_it():
    svg = charts.effects_chart(EFFECTS, ["partner", "source"], "points", "less", "more", "hollow")
    root = _tree(svg)
    slope, intercept = _tick_map(root, _signed)
    # The first role's markers are circles: one per countermeasure, and one in the legend.
    circles = list(root.iter(f"{SVG}circle"))[:3]
    for circle, (_label, effects) in zip(circles, EFFECTS):
        change, _low, _high, clear = effects[0]
        assert float(circle.get("cx")) == pytest.approx(slope * change * 100 + intercept, abs=0.02)
        assert circle.get("fill") == ("#1a1a1a" if clear else "#ffffff")
    # The axis is symmetric about no change and reaches the largest bound (46 points).
    ticks = [_signed(t.text) for t in root.iter(f"{SVG}text") if _signed(t.text or "")]
    assert min(ticks) == -max(ticks) and max(ticks) >= 40


def test_causes_chart_bars_are_the_shares():
    rows = [("partner", [("radio", 0.42), ("search", 0.25), ("seized phone", 0.33)])]
    root = _tree(charts.causes_chart(rows, "share"))
    slope, intercept = _tick_map(root, _percent)
    bars = [
        r
        for r in root.iter(f"{SVG}rect")
        if r.get("fill") in charts.GREYS and float(r.get("height")) == 30
    ]
    assert len(bars) == 3
    at = 0.0
    for bar, (_cause, share) in zip(bars, rows[0][1]):
        assert float(bar.get("x")) == pytest.approx(slope * at + intercept, abs=0.02)
        assert float(bar.get("width")) == pytest.approx(slope * share, abs=0.02)
        at += share
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert {"42%", "25%", "33%", "radio", "search", "seized phone"} <= set(labels)


def test_curves_follow_their_values_and_bands():
    ys = [min(d / 100, 1.0) * 0.5 for d in range(101)]
    band = [(y * 0.8, min(y * 1.2, 1.0)) for y in ys]
    svg = charts.exposure_curves_chart([("partner", ys, band)], 100, [(20, 40, "sweep")], "d", "s")
    root = _tree(svg)
    line = next(p for p in root.iter(f"{SVG}polyline") if p.get("stroke-width") == "1.5")
    points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
    assert len(points) == 101
    (x0, y0), (x1, y1) = points[0], points[-1]
    # Day 0 at the left, day 100 at the right; the value 0.5 at the height of the "50%" tick.
    # The y axis' labels are right-aligned percentages, their middle at their tick's height.
    levels = [
        (_percent(t.text or ""), float(t.get("y")) - 0.26 * plot.TICK_SIZE)
        for t in root.iter(f"{SVG}text")
        if t.get("text-anchor") == "end" and _percent(t.text or "") is not None
    ]
    slope, intercept = np.polyfit([v for v, _y in levels], [y for _v, y in levels], 1)
    assert x0 < x1
    assert y0 == pytest.approx(intercept, abs=0.05)
    assert y1 == pytest.approx(slope * 0.5 + intercept, abs=0.05)
    band_top = next(p for p in root.iter(f"{SVG}polygon") if p.get("fill") == "#d0d0d0")
    corners = [tuple(map(float, p.split(","))) for p in band_top.get("points").split()]
    assert corners[100][1] == pytest.approx(slope * 0.6 + intercept, abs=0.05)  # 0.5 × 1.2
    assert "sweep" in [t.text for t in root.iter(f"{SVG}text")]


def test_charts_escape_labels_and_are_well_formed():
    hostile = 'a <script>alert(1)</script> & "b"'
    svgs = [
        charts.effects_chart(
            [(hostile, [(0.1, 0.0, 0.2, True)])], [hostile], hostile, "l", "m", "h"
        ),
        charts.causes_chart([(hostile, [(hostile, 1.0)])], hostile),
        charts.exposure_curves_chart([(hostile, [0.0, 0.1], [(0, 0.2)] * 2)], 1, [], hostile, "y"),
        charts.oat_chart(
            [(hostile, 0.2, 0.4, 0.3)], [(hostile, [1, 2], [0.2, 0.4], [(0, 1)] * 2)], "x", "y"
        ),
        charts.sobol_chart([(hostile, 0.3, (0.1, 0.5), 0.6, (0.4, 0.8))]),
        charts.network_chart(
            [(1, "persona", hostile), (2, "resident", "")],
            [(1, 2, "phone")],
            1,
            {"persona": hostile},
        ),
    ]
    for svg in svgs:
        assert "<script" not in svg
        root = _tree(svg)  # parses: nothing left unescaped
        assert any(hostile == t.text for t in root.iter(f"{SVG}text"))


def test_right_to_left_labels_are_marked_and_anchored_from_their_end():
    c = plot.Canvas(100, 100)
    c.text(10, 10, "تلفن همراه", align="left")
    c.text(10, 30, "mobile phone", align="left")
    svg = c.svg()
    assert '<text x="10" y="10" text-anchor="end" direction="rtl">تلفن همراه</text>' in svg
    assert '<text x="10" y="30">mobile phone</text>' in svg


def test_text_is_measured_with_the_fonts_widths():
    # DejaVu Sans: "a" is 1255/2048 em, "W" 2025/2048; a Hangul syllable nearly square.
    assert plot.text_width("a", 20.48) == pytest.approx(12.55)
    assert plot.text_width("aW", 2048) == pytest.approx(1255 + 2025)
    assert plot.text_width("가", 10) == pytest.approx(9.5)
    assert plot.wrap("one two three four", plot.text_width("three four", 12)) == [
        "one two",
        "three four",
    ]


@pytest.mark.parametrize(
    ("low", "high", "most", "expected"),
    [
        (0.0, 1.0, 5, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0.0, 365.0, 8, [0, 50, 100, 150, 200, 250, 300, 350]),
        (-32.0, 32.0, 8, [-30, -20, -10, 0, 10, 20, 30]),
        (1.0, 3.0, 4, [1.0, 1.5, 2.0, 2.5, 3.0]),
    ],
)
def test_ticks_are_round_and_cover_the_range(low, high, most, expected):
    assert plot.ticks(low, high, most) == pytest.approx(expected)
    assert len(plot.ticks(low, high, most)) <= most + 1


def test_spring_layout_keeps_the_centre_and_pulls_links_together():
    rng = np.random.default_rng(3)
    n = 30
    links = np.array([(0, i) for i in range(1, 6)] + [(i, i + 1) for i in range(6, 29)])
    angle = 2 * math.pi * np.arange(n) / n
    start = np.column_stack([np.cos(angle), np.sin(angle)]) * rng.uniform(0.5, 1.0, n)[:, None]
    start[0] = 0.0
    fixed = np.zeros(n, dtype=bool)
    fixed[0] = True
    pos = charts.spring_layout(start, links, fixed, 1.6 / math.sqrt(n))
    assert np.array_equal(pos, charts.spring_layout(start, links, fixed, 1.6 / math.sqrt(n)))
    assert np.array_equal(pos[0], [0.0, 0.0])
    linked = np.hypot(*(pos[links[:, 0]] - pos[links[:, 1]]).T).mean()
    everyone = np.hypot(*(pos[:, None] - pos[None, :]).transpose(2, 0, 1))[np.triu_indices(n, 1)]
    assert linked < 0.5 * everyone.mean()
    # No two people on top of each other.
    assert everyone.min() > 0.01


def _edge_cases() -> list[tuple[str, object]]:
    nan, inf = math.nan, math.inf
    return [
        ("no causes", lambda: charts.causes_chart([], "x")),
        ("no effects", lambda: charts.effects_chart([], [], "x", "a", "b", "c")),
        (
            "effects not finite",
            lambda: charts.effects_chart(
                [("a", [(inf, -1, 2, True)]), ("b", [(nan, 0, 0.1, False)])],
                ["r"],
                "x",
                "a",
                "b",
                "c",
            ),
        ),
        ("no curves", lambda: charts.exposure_curves_chart([], 0, [], "x", "y")),
        (
            "curves not finite",
            lambda: charts.exposure_curves_chart(
                [("a", [0, nan, 0.2], [(0, 0.1), (nan, 0.3), (0.1, 0.3)])],
                2,
                [(0, 1, "c")],
                "x",
                "y",
            ),
        ),
        (
            "panel with no points",
            lambda: charts.oat_chart([("p", 0.0, 1.0, 0.5)], [("p", [], [], [])], "x", "y"),
        ),
        ("no sobol rows", lambda: charts.sobol_chart([])),
        ("nobody in the picture", lambda: charts.network_chart([], [], 1, {})),
        (
            "a link to nobody drawn",
            lambda: charts.network_chart([(1, "persona", "x")], [(1, 2, "phone")], 1, {}),
        ),
        (
            "a word wider than the chart",
            lambda: charts.causes_chart([("x" * 300, [("c", 1.0)])], "x"),
        ),
    ]


@pytest.mark.parametrize(("name", "draw"), _edge_cases(), ids=[n for n, _d in _edge_cases()])
def test_odd_inputs_still_give_well_formed_svg(name, draw):
    svg = draw()
    root = _tree(svg)
    geometry = ("x", "y", "cx", "cy", "r", "width", "height", "points", "transform")
    numbers = " ".join(v for e in root.iter() for k, v in e.attrib.items() if k in geometry)
    assert "nan" not in numbers and "inf" not in numbers
    # No text runs off the picture's sides (a word wider than the chart is broken).
    for text in root.iter(f"{SVG}text"):
        width = plot.text_width(text.text or "", float(text.get("font-size", plot.FONT_SIZE)))
        anchor = text.get("text-anchor", "start")
        left = float(text.get("x")) - {"start": 0, "middle": width / 2, "end": width}[anchor]
        assert left >= -1 and left + width <= plot.WIDTH + 1, text.text


def test_a_right_to_left_label_is_right_to_left_on_every_line():
    c = plot.Canvas(200, 100)
    c.text(10, 10, ["فقط با برنامهٔ امن پیام‌رسان", "Signal روی گوشی دوم"])
    assert c.svg().count('direction="rtl"') == 2


def test_wrap_breaks_after_the_dots_of_a_key_and_inside_a_word_only_when_it_must():
    key = "population.roles.reporting_partner.at_risk_probability"
    lines = plot.wrap(key, plot.text_width("population.roles.", 12))
    assert "".join(lines) == key and lines[0] == "population.roles."
    assert all(
        plot.text_width(line, 12) <= plot.text_width("population.roles.", 12) for line in lines
    )
    word = "x" * 60
    lines = plot.wrap(word, 100)
    assert "".join(lines) == word and all(plot.text_width(line) <= 100 for line in lines)


def test_sobol_axis_reaches_estimates_beyond_one_and_marks_what_goes_past_it():
    rows = [
        ("minutes", -0.2, (-0.5, 0.1), 1.3, (0.9, 2.4)),
        ("unlock", 0.3, (0.2, 0.4), 0.4, (0.3, 0.5)),
    ]
    root = _tree(charts.sobol_chart(rows))
    number = re.compile(r"−?-?\d+(\.\d+)?")
    slope, intercept = _tick_map(root, lambda t: float(t) if number.fullmatch(t) else None)
    ticks = [float(t.text) for t in root.iter(f"{SVG}text") if number.fullmatch(t.text or "")]
    # The axis reaches the estimate of 1.3 and the low end of -0.5, but not the 2.4 beyond
    # SOBOL_AXIS: one wild interval does not squeeze the other rows.
    assert max(ticks) <= charts.SOBOL_AXIS[1] and min(ticks) >= -0.5
    caps = sorted(
        float(line.get("points").split()[0].split(",")[0])
        for line in root.iter(f"{SVG}polyline")
        if line.get("stroke-width") == "1.1"
        and line.get("points").split()[0].split(",")[0]
        == line.get("points").split()[1].split(",")[0]
    )
    assert caps[0] == pytest.approx(slope * -0.5 + intercept, abs=0.05)
    total = next(
        r for r in root.iter(f"{SVG}rect") if r.get("fill") == "#bbbbbb" and r.get("height") == "19"
    )
    assert float(total.get("x")) + float(total.get("width")) == pytest.approx(
        slope * 1.3 + intercept, abs=0.05
    )
    # The interval going past the axis ends in an arrowhead at the axis' end, not in a cap.
    right = max(
        float(p.split(",")[0])
        for poly in root.iter(f"{SVG}polygon")
        for p in poly.get("points").split()
    )
    assert right > max(caps)
    assert slope * 2.4 + intercept > right


def test_campaign_labels_stay_in_the_picture_and_the_legend_hides_no_curve():
    ys = [d / 365 * 0.03 for d in range(366)]
    band = [(y * 0.5, y * 1.5) for y in ys]
    periods = [(355, 365, "Year-end crackdown on the press"), (350, 365, "Another late campaign")]
    root = _tree(charts.exposure_curves_chart([("partner", ys, band)], 365, periods, "day", "s"))
    texts = {t.text: t for t in root.iter(f"{SVG}text")}
    for label in ("Year-end crackdown on the press", "Another late campaign"):
        words = [t for t in texts.values() if t.text and t.text in label]
        for t in words:
            half = plot.text_width(t.text, charts.SMALL) / 2
            assert float(t.get("x")) + half <= plot.WIDTH
    day_label = texts["day"]
    assert float(texts["partner"].get("y")) > float(day_label.get("y"))  # below the axis


def test_a_chart_lays_itself_out_left_to_right_inside_a_right_to_left_page():
    """A Persian report's page is right to left, and SVG text inherits the page's direction:
    without its own, every label anchored at its start would be drawn from its other end."""
    root = _tree(charts.causes_chart([("partner", [("radio", 1.0)])], "share"))
    assert root.get("direction") == "ltr"


def test_wrap_keeps_decimal_numbers_whole():
    lines = plot.wrap("Move sensitive chats to Signal (effort 2.5)", 230)
    assert any("2.5)" in line for line in lines)


def test_a_lone_tick_is_labelled_with_its_own_decimals():
    values = charts._fitting_ticks(843.49, 843.494, 149.7, 4)
    assert len(values) == 1
    assert charts._decimal_tick(charts._step(values))(values[0]) == "843.49"


def test_campaigns_are_drawn_within_the_days_shown():
    ys = [0.1] * 91
    band = [(0.05, 0.15)] * 91
    periods = [(1, 3650, "All year and beyond"), (200, 300, "After the end"), (45, 45, "One day")]
    root = _tree(charts.exposure_curves_chart([("p", ys, band)], 90, periods, "day", "s"))
    dotted = [r for r in root.iter(f"{SVG}rect") if (r.get("fill") or "").startswith("url(")]
    assert len(dotted) == 2  # the campaign after the last day is left out
    slope, intercept = _tick_map(root, lambda t: float(t) if t.isdigit() else None)
    whole, one_day = dotted
    assert float(whole.get("x")) == pytest.approx(intercept, abs=0.05)
    assert float(whole.get("x")) + float(whole.get("width")) == pytest.approx(
        slope * 90 + intercept, abs=0.05
    )
    # A one-day campaign is shaded over its day: from the day before to the day itself.
    assert float(one_day.get("width")) == pytest.approx(slope, abs=0.05)
    assert "After the end" not in [t.text for t in root.iter(f"{SVG}text")]


def test_days_are_ticked_in_whole_days():
    root = _tree(
        charts.exposure_curves_chart([("p", [0, 0.1, 0.2], [(0, 0.3)] * 3)], 2, [], "d", "s")
    )
    days = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]
    assert "0.5" not in days and "0.25" not in days and {"0", "1", "2"} <= set(days)


def test_campaign_label_rows_are_as_few_as_the_overlaps_need():
    assert charts._label_rows([(400, 500), (60, 120), (200, 260)]) == [0, 0, 0]
    assert charts._label_rows([(0, 100), (50, 150), (120, 200)]) == [0, 1, 0]


def test_a_tornado_label_with_no_room_beside_its_bar_goes_above_it():
    root = _tree(charts.oat_chart([("observers.police.notice", 0.02, 0.98, 0.4)], [], "x", "y"))
    bar = next(r for r in root.iter(f"{SVG}rect") if r.get("fill") == "#777777")
    label = next(t for t in root.iter(f"{SVG}text") if t.text and "police" in t.text)
    assert float(label.get("y")) < float(bar.get("y"))  # its baseline above the bar's top
