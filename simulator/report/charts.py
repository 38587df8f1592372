"""The report's and the sweep's charts as SVG: no date or random identifier in them, clear in grey.

Drawn on `plot.Canvas`: series are told apart by line styles, markers and hatching rather than
colour, so that a black-and-white printout keeps them apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from simulator.i18n import _, numerals
from simulator.report.plot import (
    FONT_SIZE,
    HATCHES,
    INK,
    TICK_SIZE,
    WIDTH,
    Axes,
    Canvas,
    dark,
    legend,
    text_width,
    ticks,
    wrap,
    x_axis,
    y_axis,
    y_axis_room,
)
from simulator.report.words import percent

MARKERS = ["o", "s", "^", "D", "v", "x"]
LINES = ["-", "--", ":", "-."]
# Greys and hatches tell series apart on a black-and-white printout.
GREYS = ["#333333", "#8c8c8c", "#cfcfcf", "#5e5e5e", "#ffffff", "#b0b0b0", "#1a1a1a", "#e6e6e6"]
HATCH_OF_SERIES = ["", "//", "..", "xx", "\\\\", "oo", "--", "++"]
assert set(HATCH_OF_SERIES) - {""} <= set(HATCHES)
MARGIN = 8.0
SMALL = 10.0
# The narrowest lines a label beside a bar is wrapped to before it goes above the bar instead.
LABEL_ROOM = 120.0
# How far a Sobol chart's axis reaches: an index is a share of variance, in [0, 1] but for
# sampling error; beyond this it is marked as going on, not drawn.
SOBOL_AXIS = (-0.5, 1.5)


def _percent_tick(value: float) -> str:
    return numerals(f"{value * 100:.0f}%")


def _decimal_tick(step: float) -> Callable[[float], str]:
    """Tick labels with as many decimals as the step between ticks needs."""
    places = 0
    while places < 6 and abs(step * 10**places - round(step * 10**places)) > 1e-6:
        places += 1

    def fmt(value: float) -> str:
        return numerals(f"{value:.{places}f}")

    return fmt


def _step(values: Sequence[float]) -> float:
    """The step between ticks; for a lone tick, the finest decimal its value needs."""
    if len(values) > 1:
        return values[1] - values[0]
    places = next(
        (p for p in range(7) if values and abs(round(values[0], p) - values[0]) < 1e-9), 6
    )
    return 10.0**-places


def _fitting_ticks(
    low: float, high: float, width: float, most: int = 8, whole: bool = False
) -> list[float]:
    """Round ticks over [low, high] whose labels fit side by side on an axis `width` wide; whole
    numbers only if `whole` (days)."""
    values = [low]
    for count in range(most, 0, -1):
        values = ticks(low, high, count)
        if whole and _step(values) < 1:
            values = [float(v) for v in range(math.ceil(low), math.floor(high) + 1)]
        fmt = _decimal_tick(_step(values))
        if sum(text_width(fmt(v), TICK_SIZE) + 10 for v in values) <= width:
            break
    return values


def _finite(values: Iterable[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def _row_labels(labels: Sequence[str], widest: float) -> tuple[list[list[str]], float]:
    """Row labels wrapped to at most `widest` pixels (and two fifths of the chart), and the width
    of the column they take."""
    width = min(widest, WIDTH * 0.4)
    lines = [wrap(label, width) for label in labels]
    return lines, max((text_width(line) for ls in lines for line in ls), default=0.0)


def _row_pitches(labels: Sequence[Sequence[str]], least: float) -> list[float]:
    """Each row's height: at least `least`, and room for its label's lines."""
    return [max(least, FONT_SIZE * 1.25 * len(lines) + 8) for lines in labels]


def _row_middles(top: float, pitches: Sequence[float]) -> list[float]:
    """The middle of each row of these heights, stacked from `top`."""
    return [top + sum(pitches[:r]) + pitch / 2 for r, pitch in enumerate(pitches)]


def _swatch(c: Canvas, fill: str, hatch: str) -> Callable[[float, float], None]:
    """A legend key: a small bar in a fill and its hatching."""

    def key(x: float, y: float) -> None:
        c.rect(x - 11, y - 6, 22, 12, fill, INK, 0.6, hatch)

    return key


def _line_key(c: Canvas, style: int, marker: str | None, filled: bool) -> Callable[..., None]:
    """A legend key: a line in series `style`'s dashes, long enough to show them either side of
    its marker."""

    def key(x: float, y: float) -> None:
        c.line(x - 18, y, x + 18, y, INK, 1.4, LINES[style % len(LINES)])
        if marker:
            c.marker(x, y, marker, 7, INK if filled else "#ffffff")

    return key


def _label_rows(boxes: list[tuple[float, float]]) -> list[int]:
    """A row for each label (left, right) so that labels on one row do not overlap: the first
    row that is free where the label goes."""
    rows: list[float] = []  # the right end of the last label on each row
    out = [0] * len(boxes)
    for i in sorted(range(len(boxes)), key=lambda i: boxes[i]):
        left, right = boxes[i]
        row = next((r for r, end in enumerate(rows) if end + 6 <= left), len(rows))
        if row == len(rows):
            rows.append(right)
        else:
            rows[row] = right
        out[i] = row
    return out


# --------------------------------------------------------------------------- curves over days


def exposure_curves_chart(
    series: list[tuple[str, list[float], list[tuple[float, float]]]],
    days: int,
    periods: list[tuple[int, int, str]],
    xlabel: str,
    ylabel: str,
) -> str:
    """Share exposed by each day: a line per role with its 95% band, and dotted campaigns."""
    span = float(max(days, 1))
    top = max([*_finite(hi for _label, _ys, band in series for _lo, hi in band), 0.05])
    ceiling = min(1.0, math.ceil((min(top, 1.0) + 0.02) * 10) / 10)
    y_ticks = ticks(0.0, ceiling, 5)
    left = MARGIN + y_axis_room(y_ticks, ylabel, _percent_tick)
    width = WIDTH - left - MARGIN - 12
    # Campaign labels over the plot, each within the picture, on as many rows as keep them apart.
    # A campaign's days are start to end, both counted: shaded from the day before it starts,
    # within the days shown; one wholly outside them is left out.
    shown = [
        (max(start - 1.0, 0.0), min(float(end), span), label)
        for start, end, label in periods
        if start <= span and end >= 0
    ]
    labels = [
        wrap(label, min(max((end - start) / span * width, 130.0), width), SMALL)
        for start, end, label in shown
    ]
    boxes = []
    for (start, end, _label), lines in zip(shown, labels):
        half = max(text_width(line, SMALL) for line in lines) / 2
        middle = left + (start + end) / 2 / span * width
        middle = max(MARGIN + half, min(middle, WIDTH - MARGIN - half))
        boxes.append((middle - half, middle + half))
    rows = _label_rows(boxes)
    heights = [SMALL * 1.25 * (len(lines) - 1) + SMALL for lines in labels]
    row_height = [
        max((h for h, r in zip(heights, rows) if r == row), default=0.0) + 4
        for row in range(max(rows, default=-1) + 1)
    ]
    ax = Axes(left, MARGIN + sum(row_height) + 4, width, 250.0, (0.0, span), (0, ceiling))
    c = Canvas(WIDTH, 0)
    y_axis(c, ax, y_ticks, ylabel, _percent_tick, grid=True)
    for (start, end, _label), lines, (x0, x1), row in zip(shown, labels, boxes, rows):
        c.rect(
            ax.x(start),
            ax.top,
            ax.x(end) - ax.x(start),
            ax.height,
            "none",
            hatch="..",
            hatch_colour="#8c8c8c",
        )
        bottom = ax.top - 4 - sum(row_height[:row])
        c.text((x0 + x1) / 2, bottom, lines, SMALL, "centre", "bottom", colour="#333333")
    for i, (_label, _ys, band) in enumerate(series):
        upper = [ax.xy(d, hi) for d, (_lo, hi) in enumerate(band)]
        lower = [ax.xy(d, lo) for d, (lo, _hi) in enumerate(band)]
        dash = LINES[i % len(LINES)]
        c.polygon(upper + lower[::-1], "#d0d0d0", "#777777", 0.5, dash, opacity=0.55)
    for i, (_label, ys, _band) in enumerate(series):
        c.polyline([ax.xy(d, y) for d, y in enumerate(ys)], INK, 1.5, LINES[i % len(LINES)])
        fill = "#ffffff" if i % 2 else INK
        for d in range(0, len(ys), max(1, days // 8)):
            c.marker(ax.x(d), ax.y(ys[d]), MARKERS[i % len(MARKERS)], 7, fill)
    x_ticks = _fitting_ticks(0.0, span, ax.width, whole=True)
    below = x_axis(c, ax, x_ticks, xlabel, _decimal_tick(_step(x_ticks)))
    # The legend below the plot, where it hides no curve.
    entries = [
        (_line_key(c, i, MARKERS[i % len(MARKERS)], i % 2 == 0), label)
        for i, (label, _ys, _band) in enumerate(series)
    ]
    columns = min(3, max(len(entries), 1))
    column = (WIDTH - left - MARGIN) / columns
    c.height = legend(c, entries, left, below + 10, columns, column, key_width=40) + MARGIN
    return c.svg()


# --------------------------------------------------------------------------- causes


def causes_chart(rows: list[tuple[str, list[tuple[str, float]]]], xlabel: str) -> str:
    """For each role, the shares of its exposures by cause, as one bar split into hatched parts."""
    causes = list(dict.fromkeys(cause for _label, parts in rows for cause, _share in parts))
    labels, column = _row_labels([label for label, _parts in rows], 150.0)
    left = MARGIN + column + 10
    pitches = _row_pitches(labels, 46.0)
    ax = Axes(left, MARGIN, WIDTH - left - MARGIN - 14, sum(pitches), (0.0, 1.0), (0, 1))
    c = Canvas(WIDTH, 0)
    middles = _row_middles(ax.top, pitches)
    for r, (_label, parts) in enumerate(rows):
        middle = middles[r]
        c.text(left - 8, middle, labels[r], FONT_SIZE, "right", "middle")
        at = 0.0
        for cause, part in parts:
            if not math.isfinite(part):
                continue
            k = causes.index(cause)
            fill = GREYS[k % len(GREYS)]
            hatch = HATCH_OF_SERIES[k % len(HATCH_OF_SERIES)]
            x0, x1 = ax.x(at), ax.x(at + part)
            c.rect(x0, middle - 15, x1 - x0, 30, fill, INK, 0.6, hatch)
            if part >= 0.08:
                white = dark(fill)
                c.text(
                    (x0 + x1) / 2,
                    middle,
                    percent(part),
                    TICK_SIZE,
                    "centre",
                    "middle",
                    colour="#ffffff" if white else INK,
                    box=not white,
                )
            at += part
    below = x_axis(c, ax, ticks(0.0, 1.0, 5), xlabel, _percent_tick)

    entries = [
        (_swatch(c, GREYS[k % len(GREYS)], HATCH_OF_SERIES[k % len(HATCH_OF_SERIES)]), cause)
        for k, cause in enumerate(causes)
    ]
    column_width = (WIDTH - 2 * MARGIN) / 2
    c.height = legend(c, entries, MARGIN, below + 12, 2, column_width) + MARGIN
    return c.svg()


# --------------------------------------------------------------------------- countermeasures


def effects_chart(
    rows: list[tuple[str, list[tuple[float, float, float, bool]]]],
    roles: list[str],
    xlabel: str,
    better: str,
    worse: str,
    unclear: str,
) -> str:
    """Each countermeasure's paired change of each role's exposure in points, with its 95% interval.

    rows: (countermeasure, [(change, low, high, distinguishable) per role]). A filled marker is a
    change the runs tell apart from none; a hollow one is not.
    """
    n = len(roles)
    labels, column = _row_labels([label for label, _effects in rows], 230.0)
    left = MARGIN + column + 12
    pitches = _row_pitches(labels, 18.0 + 14.0 * n)
    values = _finite(abs(v) * 100 for _label, effects in rows for e in effects for v in e[:3])
    span = max(max(values, default=0.0) * 1.05, 1.0)
    ax = Axes(left, MARGIN + 16, WIDTH - left - MARGIN - 12, sum(pitches), (-span, span), (0, 1))
    x_ticks = _fitting_ticks(-span, span, ax.width)
    c = Canvas(WIDTH, 0)
    step = _step(x_ticks)
    places = _decimal_tick(step)

    def signed(value: float) -> str:
        if abs(value) < step / 1000:
            return "0"
        text = places(abs(value))
        return ("+" if value > 0 else "−") + text

    for v in x_ticks:
        c.line(ax.x(v), ax.top, ax.x(v), ax.bottom, "#e0e0e0", 0.6)
    c.line(ax.x(0), ax.top, ax.x(0), ax.bottom, INK, 0.8)
    c.line(ax.left, ax.top, ax.left, ax.bottom, INK, 0.8)
    # Each arrow is text of its own, so that it points the chart's way in a language written
    # right to left too.
    arrow = text_width("←", SMALL + 1) + 4
    c.text(ax.left, ax.top - 4, "←", SMALL + 1, "left", "bottom")
    c.text(ax.left + arrow, ax.top - 4, better, SMALL + 1, "left", "bottom")
    c.text(ax.right, ax.top - 4, "→", SMALL + 1, "right", "bottom")
    c.text(ax.right - arrow, ax.top - 4, worse, SMALL + 1, "right", "bottom")
    middles = _row_middles(ax.top, pitches)
    for r, (_label, effects) in enumerate(rows):
        middle = middles[r]
        c.line(ax.left - 4, middle, ax.left, middle, INK, 0.8)
        c.text(ax.left - 8, middle, labels[r], FONT_SIZE, "right", "middle")
        for j, (change, low, high, clear) in enumerate(effects):
            y = middle + (j - (n - 1) / 2) * 14.0
            c.line(ax.x(low * 100), y, ax.x(high * 100), y, INK, 1.3, LINES[j % len(LINES)])
            fill = INK if clear else "#ffffff"
            c.marker(ax.x(change * 100), y, MARKERS[j % len(MARKERS)], 8, fill)
    below = x_axis(c, ax, x_ticks, xlabel, signed)
    entries = [
        (_line_key(c, j, MARKERS[j % len(MARKERS)], True), role) for j, role in enumerate(roles)
    ]

    def hollow(x: float, y: float) -> None:
        c.marker(x, y, "o", 8, "#ffffff")

    entries.append((hollow, unclear))
    columns = min(3, n + 1)
    column_width = (WIDTH - 2 * MARGIN) / columns
    c.height = legend(c, entries, MARGIN, below + 12, columns, column_width, key_width=40)
    c.height += MARGIN
    return c.svg()


# --------------------------------------------------------------------------- sweeps


def oat_chart(
    rows: list[tuple[str, float, float, float]],
    panels: list[tuple[str, list[float], list[float], list[tuple[float, float]]]],
    xlabel: str,
    ylabel: str,
) -> str:
    """A tornado of the parameters' effects above a small curve per parameter with its 95% band.

    rows: (parameter, exposure at its low end, at its high end, baseline).
    """
    c = Canvas(WIDTH, 0)
    title = _("Exposure from each parameter's low end (left) to its high end; dotted: baseline")
    _x, y, _w, h = c.text(MARGIN, MARGIN, wrap(title, WIDTH - 2 * MARGIN), FONT_SIZE, "left", "top")
    size = SMALL + 1
    ax = Axes(MARGIN + 4, y + h + 8, WIDTH - 2 * MARGIN - 16, 0.0, (0, 1), (0, 1))
    # Each bar's label goes beside the bar, on the side with more room, if it fits there in
    # lines of at least LABEL_ROOM pixels; else on a line of its own above the bar, so that it
    # never covers the bar's end.
    placed = []
    for label, low, high, _base in rows:
        x0, x1 = sorted((ax.x(low), ax.x(high)))
        right, left = WIDTH - MARGIN - x1 - 4, x0 - 4 - MARGIN
        side = "right" if right >= left or not math.isfinite(left) else "left"
        room = right if side == "right" else left
        if not room >= LABEL_ROOM:
            side, room = "above", WIDTH - 2 * MARGIN
        placed.append((x0, x1, side, wrap(label, room, size)))
    leading = size * 1.25
    pitches = [
        30.0 + (leading * len(lines) if side == "above" else max(leading * len(lines) - 22, 0))
        for *_, side, lines in placed
    ]
    ax.height = sum(pitches)
    for r, ((_label, low, high, base), (x0, x1, side, lines)) in enumerate(zip(rows, placed)):
        top = ax.top + sum(pitches[:r])
        middle = top + pitches[r] - 15 if side == "above" else top + pitches[r] / 2
        c.rect(x0, middle - 11, x1 - x0, 22, "#777777" if high >= low else "#bbbbbb", INK, 0.8)
        c.line(ax.x(base), top, ax.x(base), top + pitches[r], INK, 1, ":")
        if side == "right":
            c.text(x1 + 4, middle, lines, size, "left", "middle", box=True)
        elif side == "left":
            c.text(x0 - 4, middle, lines, size, "right", "middle", box=True)
        else:
            c.text(max(x0, MARGIN), top + 3, lines, size, "left", "top", box=True, keep_inside=True)
    below = x_axis(c, ax, ticks(0.0, 1.0, 5), xlabel, _percent_tick)
    c.line(ax.left, ax.top, ax.left, ax.bottom, INK, 0.8)
    cols = min(3, len(panels))
    if cols:
        below = _panels(c, panels, cols, ylabel, below + 18)
    c.height = below + MARGIN
    return c.svg()


def _panels(
    c: Canvas,
    panels: list[tuple[str, list[float], list[float], list[tuple[float, float]]]],
    cols: int,
    ylabel: str,
    top: float,
) -> float:
    """The sweep's small curves, `cols` to a row from `top`; returns the y below the last row."""
    y_ticks = ticks(0.0, 1.0, 4)
    room = y_axis_room(y_ticks, ylabel, _percent_tick)
    cell = (WIDTH - 2 * MARGIN) / cols
    size = SMALL + 1
    bottom = top
    for start in range(0, len(panels), cols):
        row = panels[start : start + cols]
        titles = [wrap(title, cell - 16, size) for title, *_rest in row]
        title_room = max(size + 1.25 * size * (len(t) - 1) for t in titles)
        for k, (_title, xs, ys, cis) in enumerate(row):
            i = start + k
            c.text(MARGIN + k * cell + cell / 2, top, titles[k], size, "centre", "top")
            finite = _finite(xs)
            if not finite:
                continue
            lo, hi = min(finite), max(finite)
            if hi <= lo:
                lo, hi = lo - 1, hi + 1
            pad = (hi - lo) * 0.05
            box = (MARGIN + k * cell + room, top + title_room + 6, cell - room - 12, 150.0)
            panel = Axes(*box, (lo - pad, hi + pad), (0, 1))
            y_axis(c, panel, y_ticks, ylabel if k == 0 else "", _percent_tick)
            band = [panel.xy(x, b) for x, (_a, b) in zip(xs, cis)]
            band += [panel.xy(x, a) for x, (a, _b) in zip(xs, cis)][::-1]
            c.polygon(band, "#dddddd")
            line = [panel.xy(x, y) for x, y in zip(xs, ys)]
            c.polyline(line, INK, 1.4, LINES[i % len(LINES)])
            for x, y in line:
                c.marker(x, y, MARKERS[i % len(MARKERS)], 7, INK)
            x_ticks = _fitting_ticks(lo, hi, panel.width, 4)
            below = x_axis(c, panel, x_ticks, "", _decimal_tick(_step(x_ticks)))
            bottom = max(bottom, below)
        bottom = max(bottom, top + title_room)
        top = bottom + 18
    return bottom


def sobol_chart(
    rows: list[tuple[str, float, tuple[float, float], float, tuple[float, float]]],
) -> str:
    """First-order and total Sobol indices with their intervals.

    With few samples an index can come out below zero or above one: the axis reaches such
    estimates and intervals as far as SOBOL_AXIS, and an arrowhead instead of an end marks
    what goes on beyond it (the table beside the chart gives every number).
    """
    labels, column = _row_labels([label for label, *_rest in rows], 220.0)
    left = MARGIN + column + 12
    c = Canvas(WIDTH, 0)

    entries = [
        (_swatch(c, "#444444", ""), _("alone (first order)")),
        (_swatch(c, "#bbbbbb", "//"), _("with interactions (total)")),
    ]
    top = legend(c, entries, left, MARGIN, 2, (WIDTH - left - MARGIN) / 2) + 4
    values = _finite(v for r in rows for v in (r[1], *r[2], r[3], *r[4]))
    low = max(min([0.0, *values]), SOBOL_AXIS[0])
    high = min(max([1.0, *values]), SOBOL_AXIS[1])
    pad = (high - low) * 0.05
    pitches = _row_pitches(labels, 50.0)
    xlim = (low - pad if low < 0 else 0.0, high + pad)
    ax = Axes(left, top, WIDTH - left - MARGIN - 12, sum(pitches), xlim, (0, 1))

    def end(value: float) -> tuple[float, str]:
        """Where a value is drawn, and how its end is marked: a cap ("|"), or an arrowhead
        pointing on past the axis."""
        if value < xlim[0]:
            return ax.left, "<"
        if value > xlim[1]:
            return ax.right, ">"
        return ax.x(value), "|"

    middles = _row_middles(ax.top, pitches)
    for r, (_label, first, first_ci, total, total_ci) in enumerate(rows):
        middle = middles[r]
        c.text(left - 8, middle, labels[r], FONT_SIZE, "right", "middle")
        for value, (lo, hi), y, fill, hatch in (
            (first, first_ci, middle - 10, "#444444", ""),
            (total, total_ci, middle + 10, "#bbbbbb", "//"),
        ):
            x0 = ax.x(0.0)
            tip, beyond = end(value)
            c.rect(x0, y - 9.5, tip - x0, 19, fill, INK, 0.6, hatch)
            if beyond != "|":
                c.marker(tip, y, beyond, 9, INK)
            (a, a_end), (b, b_end) = end(lo), end(hi)
            c.line(a, y, b, y, INK, 1.1)
            for x, mark in ((a, a_end), (b, b_end)):
                if mark == "|":
                    c.line(x, y - 4, x, y + 4, INK, 1.1)
                else:
                    c.marker(x, y, mark, 7, INK)
    c.line(ax.x(0.0), ax.top, ax.x(0.0), ax.bottom, INK, 0.8)
    x_ticks = _fitting_ticks(ax.xlim[0], ax.xlim[1], ax.width, 6)
    below = x_axis(
        c, ax, x_ticks, _("share of the variance of exposure"), _decimal_tick(_step(x_ticks))
    )
    c.height = below + MARGIN
    return c.svg()


# --------------------------------------------------------------------------- one neighbourhood

# How people and links are drawn in the picture of a neighbourhood: shapes and line styles, not
# colour. Node: (marker, size in pixels, fill, outline, hatch).
NODE_STYLES: dict[str, tuple[str, float, str, str, str]] = {
    "persona": ("*", 26, INK, INK, ""),
    "exposed_found": ("^", 16, INK, INK, ""),
    "exposed_revealed": ("s", 15, "#8c8c8c", INK, "////"),
    "at_risk": ("D", 13, "#ffffff", INK, ""),
    "resident": ("o", 10, "#e6e6e6", "#5e5e5e", ""),
}
# Link: (colour, width, dashes).
LINK_STYLES: dict[str, tuple[str, float, str]] = {
    "revealed": (INK, 2.6, "-"),
    "phone": (INK, 1.1, "--"),
    "family": ("#8c8c8c", 1.6, "-"),
    "other": ("#8c8c8c", 0.9, ":"),
}


def spring_layout(
    start: np.ndarray, links: np.ndarray, fixed: np.ndarray, k: float, iterations: int = 200
) -> np.ndarray:
    """Fruchterman and Reingold's force-directed layout (1991) from given starting places.

    Every pair of people pushes apart with force k²/d and every link pulls its ends together
    with force d²/k; each step moves a person along the sum of her forces by at most the
    temperature, which falls linearly to zero. People in `fixed` stay where they start. No
    random numbers: the same start and links give the same picture.
    """
    pos = start.astype(np.float64).copy()
    n = pos.shape[0]
    if n < 2:
        return pos
    adjacent = np.zeros((n, n))
    if links.size:
        adjacent[links[:, 0], links[:, 1]] = 1.0
        adjacent[links[:, 1], links[:, 0]] = 1.0
    temperature = 0.1 * max(float(np.ptp(pos[:, 0])), float(np.ptp(pos[:, 1])), 1.0)
    cooling = temperature / (iterations + 1)
    for _round in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        distance = np.maximum(np.hypot(delta[..., 0], delta[..., 1]), 0.01)
        # Along each unit direction: repulsion k²/d less attraction d²/k, over d for delta.
        push = (k * k / distance - adjacent * distance * distance / k) / distance
        np.fill_diagonal(push, 0.0)
        move = np.einsum("ij,ijk->ik", push, delta)
        length = np.maximum(np.hypot(move[:, 0], move[:, 1]), 0.01)
        move *= (np.minimum(length, temperature) / length)[:, None]
        move[fixed] = 0.0
        pos += move
        temperature -= cooling
    return pos


def network_chart(
    people: list[tuple[int, str, str]],
    links: list[tuple[int, int, str]],
    centre: int,
    legend_words: dict[str, str],
) -> str:
    """A neighbourhood: people (id, style, label) laid out by their links, links (a, b, style).

    `legend_words` names the styles used (keys of NODE_STYLES and LINK_STYLES) in plain words.
    """
    ids = [p[0] for p in people]
    index = {person: i for i, person in enumerate(ids)}
    links = [link for link in links if link[0] in index and link[1] in index]
    pairs = np.array([(index[a], index[b]) for a, b, _s in links], dtype=np.int64).reshape(-1, 2)
    # Start from rings around the centre (her links inside, theirs outside) so that the layout
    # settles the same way every time.
    first = {b if a == centre else a for a, b, _s in links if centre in (a, b)} - {centre}
    inner = sorted(first)
    outer = sorted(set(ids) - first - {centre})
    start = np.zeros((len(ids), 2))
    for ring, radius in ((inner, 0.5), (outer, 1.0)):
        for i, node in enumerate(ring):
            angle = 2 * math.pi * i / max(len(ring), 1)
            start[index[node]] = (radius * math.cos(angle), radius * math.sin(angle))
    fixed = np.array([person == centre for person in ids], dtype=bool)
    pos = spring_layout(start, pairs, fixed, 1.6 / math.sqrt(max(len(ids), 1)))

    # The picture: equal scales on both axes, room around for markers and labels.
    c = Canvas(WIDTH, 0)
    box_w, box_h = WIDTH - 2 * MARGIN - 60, 460.0
    lo, hi = (pos.min(axis=0), pos.max(axis=0)) if len(ids) else (np.zeros(2), np.zeros(2))
    span = np.maximum(hi - lo, 1e-9)
    scale = min(box_w / span[0], box_h / span[1])
    offset = (
        np.array([WIDTH / 2, MARGIN + 24 + box_h / 2]) - (lo + hi) / 2 * np.array([1, -1]) * scale
    )

    def at(i: int) -> tuple[float, float]:
        x, y = pos[i]
        return float(offset[0] + x * scale), float(offset[1] - y * scale)

    for style in ["other", "family", "phone", "revealed"]:
        colour, width, dash = LINK_STYLES[style]
        for a, b, s in links:
            if s == style:
                (x1, y1), (x2, y2) = at(index[a]), at(index[b])
                c.line(x1, y1, x2, y2, colour, width, dash, round_caps=True)
    for style in ["resident", "at_risk", "exposed_revealed", "exposed_found", "persona"]:
        shape, size, fill, edge, hatch = NODE_STYLES[style]
        for person, s, _label in people:
            if s == style:
                x, y = at(index[person])
                c.marker(x, y, shape, size, fill, edge, 0.9, hatch)
    for person, style, label in people:
        if label:
            x, y = at(index[person])
            above = y - NODE_STYLES[style][1] / 2 - 3
            c.text(x, above, label, SMALL, "centre", "bottom", box=True, keep_inside=True)
    used_nodes = {p[1] for p in people}
    used_links = {s for _a, _b, s in links}
    entries: list[tuple[Callable[[float, float], None], str]] = []
    for style in ["persona", "exposed_found", "exposed_revealed", "at_risk", "resident"]:
        if style in used_nodes and style in legend_words:
            entries.append((_node_key(c, style), legend_words[style]))
    for style in ["revealed", "phone", "family", "other"]:
        if style in used_links and style in legend_words:
            entries.append((_link_key(c, style), legend_words[style]))
    top = MARGIN + 24 + box_h + 24
    c.height = legend(c, entries, MARGIN + 20, top, 2, (WIDTH - 2 * MARGIN - 20) / 2) + MARGIN
    return c.svg()


def _node_key(c: Canvas, style: str) -> Callable[[float, float], None]:
    shape, size, fill, edge, hatch = NODE_STYLES[style]

    def key(x: float, y: float) -> None:
        c.marker(x, y, shape, min(size, 16), fill, edge, 0.9, hatch)

    return key


def _link_key(c: Canvas, style: str) -> Callable[[float, float], None]:
    colour, width, dash = LINK_STYLES[style]

    def key(x: float, y: float) -> None:
        c.line(x - 12, y, x + 12, y, colour, width, dash)

    return key
