"""The report's and the sweep's charts as SVG: the same bytes for the same inputs, clear in grey.

Drawn on `plot.Canvas`: series are told apart by line styles, markers and hatching rather than
colour, so that a black-and-white printout keeps them apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from simulator.i18n import _, numerals
from simulator.report.plot import (
    HATCHES,
    INK,
    TICK_SIZE,
    WIDTH,
    Axes,
    Canvas,
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
    return values[1] - values[0] if len(values) > 1 else 1.0


def _line_key(c: Canvas, style: int, marker: str | None, filled: bool) -> Callable[..., None]:
    """A legend key: a short line in series `style`'s dashes, with its marker."""

    def key(x: float, y: float) -> None:
        c.line(x - 12, y, x + 12, y, INK, 1.4, LINES[style % len(LINES)])
        if marker:
            c.marker(x, y, marker, 7, INK if filled else "#ffffff")

    return key


# --------------------------------------------------------------------------- curves over days


def exposure_curves_chart(
    series: list[tuple[str, list[float], list[tuple[float, float]]]],
    days: int,
    periods: list[tuple[int, int, str]],
    xlabel: str,
    ylabel: str,
) -> str:
    """Share exposed by each day: a line per role with its 95% band, and dotted campaigns."""
    top = max([hi for _label, _ys, band in series for _lo, hi in band] + [0.05])
    ceiling = min(1.0, math.ceil((top + 0.02) * 10) / 10)
    y_ticks = ticks(0.0, ceiling, 5)
    x_ticks = ticks(0.0, float(max(days, 1)), 8)
    left = MARGIN + y_axis_room(y_ticks, ylabel, _percent_tick)
    width = WIDTH - left - MARGIN - 12
    scale = width / max(days, 1)
    labels = [
        wrap(label, max((end - start) * scale, 130.0), SMALL) for start, end, label in periods
    ]
    label_room = max((SMALL * 1.25 * (len(lines) - 1) + SMALL for lines in labels), default=0.0)
    ax = Axes(left, MARGIN + label_room + 6, width, 250.0, (0.0, float(max(days, 1))), (0, ceiling))
    height = ax.bottom + 50
    c = Canvas(WIDTH, height)
    y_axis(c, ax, y_ticks, ylabel, _percent_tick, grid=True)
    for (start, end, _label), lines in zip(periods, labels):
        x0, x1 = ax.x(start), ax.x(end)
        c.rect(x0, ax.top, x1 - x0, ax.height, "none", hatch="..", hatch_colour="#8c8c8c")
        c.text((x0 + x1) / 2, ax.top - 4, lines, SMALL, "centre", "bottom", colour="#333333")
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
    x_axis(c, ax, x_ticks, xlabel, _decimal_tick(_step(x_ticks)))
    # The curves rise to the right, so the lower right corner is free for the legend.
    entries = [
        (_line_key(c, i, MARKERS[i % len(MARKERS)], i % 2 == 0), label)
        for i, (label, _ys, _band) in enumerate(series)
    ]
    widest = max((text_width(label, TICK_SIZE) for label in (e[1] for e in entries)), default=0.0)
    box_width = min(widest + 44, ax.width * 0.6)
    rows = sum(len(wrap(label, box_width - 40, TICK_SIZE)) for _key, label in entries)
    box_height = rows * TICK_SIZE * 1.25 + 7 * len(entries)
    x0, y0 = ax.right - box_width - 6, ax.bottom - box_height - 8
    c.rect(x0 - 4, y0 - 4, box_width + 8, box_height + 6, "#ffffff", opacity=0.85)
    legend(c, entries, x0, y0, 1, box_width)
    return c.svg()


# --------------------------------------------------------------------------- causes


def causes_chart(rows: list[tuple[str, list[tuple[str, float]]]], xlabel: str) -> str:
    """For each role, the shares of its exposures by cause, as one bar split into hatched parts."""
    causes = list(dict.fromkeys(cause for _label, parts in rows for cause, _share in parts))
    labels = [wrap(label, 150.0) for label, _parts in rows]
    left = MARGIN + max(text_width(line) for lines in labels for line in lines) + 10
    pitch = 46.0
    ax = Axes(left, MARGIN, WIDTH - left - MARGIN - 14, pitch * len(rows), (0.0, 1.0), (0, 1))
    c = Canvas(WIDTH, 0)
    for r, (_label, parts) in enumerate(rows):
        middle = ax.top + pitch * (r + 0.5)
        c.text(left - 8, middle, labels[r], 12.0, "right", "middle")
        at = 0.0
        for cause, part in parts:
            k = causes.index(cause)
            fill = GREYS[k % len(GREYS)]
            x0, x1 = ax.x(at), ax.x(at + part)
            c.rect(x0, middle - 15, x1 - x0, 30, fill, INK, 0.6, HATCH_OF_SERIES[k % 8])
            if part >= 0.08:
                dark = fill in ("#333333", "#5e5e5e", "#1a1a1a")
                c.text(
                    (x0 + x1) / 2,
                    middle,
                    percent(part),
                    TICK_SIZE,
                    "centre",
                    "middle",
                    colour="#ffffff" if dark else INK,
                    box=not dark,
                )
            at += part
    below = x_axis(c, ax, ticks(0.0, 1.0, 5), xlabel, _percent_tick)

    def swatch(k: int) -> Callable[[float, float], None]:
        def key(x: float, y: float) -> None:
            fill = GREYS[k % len(GREYS)]
            c.rect(x - 11, y - 6, 22, 12, fill, INK, 0.6, HATCH_OF_SERIES[k % 8])

        return key

    entries = [(swatch(k), cause) for k, cause in enumerate(causes)]
    column = (WIDTH - 2 * MARGIN) / 2
    c.height = legend(c, entries, MARGIN, below + 12, 2, column) + MARGIN
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
    labels = [wrap(label, 230.0) for label, _effects in rows]
    left = MARGIN + max((text_width(line) for lines in labels for line in lines), default=0) + 12
    pitch = 18.0 + 14.0 * n
    values = [abs(v) * 100 for _label, effects in rows for e in effects for v in e[:3]]
    span = max(max(values, default=0.0) * 1.05, 1.0)
    x_ticks = ticks(-span, span, 8)
    top = MARGIN + 16
    ax = Axes(left, top, WIDTH - left - MARGIN - 12, pitch * len(rows), (-span, span), (0, 1))
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
    for r, (_label, effects) in enumerate(rows):
        middle = ax.top + pitch * (r + 0.5)
        c.line(ax.left - 4, middle, ax.left, middle, INK, 0.8)
        c.text(ax.left - 8, middle, labels[r], 12.0, "right", "middle")
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
    c.height = legend(c, entries, MARGIN, below + 12, columns, (WIDTH - 2 * MARGIN) / columns)
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
    _x, y, _w, h = c.text(MARGIN, MARGIN, wrap(title, WIDTH - 2 * MARGIN), 12.0, "left", "top")
    pitch = 30.0
    ax = Axes(MARGIN + 4, y + h + 8, WIDTH - 2 * MARGIN - 16, pitch * len(rows), (0, 1), (0, 1))
    for r, (label, low, high, base) in enumerate(rows):
        middle = ax.top + pitch * (r + 0.5)
        x0, x1 = ax.x(low), ax.x(high)
        c.rect(x0, middle - 11, x1 - x0, 22, "#777777" if high >= low else "#bbbbbb", INK, 0.8)
        c.line(ax.x(base), ax.top + pitch * r, ax.x(base), ax.top + pitch * (r + 1), INK, 1, ":")
        lines = wrap(label, WIDTH - MARGIN - max(x0, x1) - 8, SMALL + 1)
        if max(x0, x1) + 4 + max(text_width(line, SMALL + 1) for line in lines) <= WIDTH - MARGIN:
            c.text(max(x0, x1) + 4, middle, lines, SMALL + 1, "left", "middle", box=True)
        else:  # no room right of the bar: left of it
            lines = wrap(label, max(min(x0, x1) - 4 - MARGIN, 120.0), SMALL + 1)
            c.text(min(x0, x1) - 4, middle, lines, SMALL + 1, "right", "middle", box=True)
    below = x_axis(c, ax, ticks(0.0, 1.0, 5), xlabel, _percent_tick)
    c.line(ax.left, ax.top, ax.left, ax.bottom, INK, 0.8)
    cols = min(3, len(panels))
    if cols:
        y_ticks = ticks(0.0, 1.0, 4)
        room = y_axis_room(y_ticks, ylabel, _percent_tick)
        cell = (WIDTH - 2 * MARGIN) / cols
        top = below + 18
        for start in range(0, len(panels), cols):
            titles = [
                wrap(title.replace(".", ".\u200b"), cell - 16, SMALL + 1)
                for title, *_rest in panels[start : start + cols]
            ]
            title_room = max(SMALL + 1 + 1.25 * (SMALL + 1) * (len(t) - 1) for t in titles)
            bottom = top
            for k, (_title, xs, ys, cis) in enumerate(panels[start : start + cols]):
                i = start + k
                x_ticks = ticks(min(xs), max(xs), 4) if max(xs) > min(xs) else [xs[0]]
                lo, hi = (min(xs), max(xs)) if max(xs) > min(xs) else (xs[0] - 1, xs[0] + 1)
                pad = (hi - lo) * 0.05
                left = MARGIN + k * cell + room
                panel = Axes(
                    left, top + title_room + 6, cell - room - 12, 150, (lo - pad, hi + pad), (0, 1)
                )
                c.text(MARGIN + k * cell + cell / 2, top, titles[k], SMALL + 1, "centre", "top")
                y_axis(c, panel, y_ticks, ylabel if k == 0 else "", _percent_tick)
                band = [panel.xy(x, hi_) for x, (_lo, hi_) in zip(xs, cis)]
                band += [panel.xy(x, lo_) for x, (lo_, _hi) in zip(xs, cis)][::-1]
                c.polygon(band, "#dddddd")
                c.polyline(
                    [panel.xy(x, y) for x, y in zip(xs, ys)], INK, 1.4, LINES[i % len(LINES)]
                )
                for x, y in zip(xs, ys):
                    c.marker(panel.x(x), panel.y(y), MARKERS[i % len(MARKERS)], 7, INK)
                bottom = max(bottom, x_axis(c, panel, x_ticks, "", _decimal_tick(_step(x_ticks))))
            top = bottom + 18
        below = top - 18
    c.height = below + MARGIN
    return c.svg()


def sobol_chart(
    rows: list[tuple[str, float, tuple[float, float], float, tuple[float, float]]],
) -> str:
    """First-order and total Sobol indices with their intervals."""
    labels = [wrap(label, 220.0) for label, *_rest in rows]
    left = MARGIN + max((text_width(line) for lines in labels for line in lines), default=0) + 12
    c = Canvas(WIDTH, 0)

    def bar(fill: str, hatch: str) -> Callable[[float, float], None]:
        def key(x: float, y: float) -> None:
            c.rect(x - 11, y - 6, 22, 12, fill, INK, 0.6, hatch)

        return key

    entries = [
        (bar("#444444", ""), _("alone (first order)")),
        (bar("#bbbbbb", "//"), _("with interactions (total)")),
    ]
    top = legend(c, entries, left, MARGIN, 2, (WIDTH - left - MARGIN) / 2) + 4
    pitch = 50.0
    ax = Axes(left, top, WIDTH - left - MARGIN - 12, pitch * len(rows), (0.0, 1.05), (0, 1))
    for r, (_label, first, first_ci, total, total_ci) in enumerate(rows):
        middle = ax.top + pitch * (r + 0.5)
        c.text(left - 8, middle, labels[r], 12.0, "right", "middle")
        for value, (lo, hi), y, fill, hatch in (
            (first, first_ci, middle - 10, "#444444", ""),
            (total, total_ci, middle + 10, "#bbbbbb", "//"),
        ):
            x0 = ax.x(0.0)
            c.rect(x0, y - 9.5, ax.x(min(max(value, 0.0), 1.05)) - x0, 19, fill, INK, 0.6, hatch)
            a, b = ax.x(min(max(lo, 0.0), 1.05)), ax.x(min(max(hi, 0.0), 1.05))
            c.line(a, y, b, y, INK, 1.1)
            c.line(a, y - 4, a, y + 4, INK, 1.1)
            c.line(b, y - 4, b, y + 4, INK, 1.1)
    c.line(ax.left, ax.top, ax.left, ax.bottom, INK, 0.8)
    x_ticks = ticks(0.0, 1.0, 5)
    below = x_axis(c, ax, x_ticks, _("share of the variance of exposure"), _decimal_tick(0.2))
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
    lo, hi = pos.min(axis=0), pos.max(axis=0)
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
            c.text(x, y - NODE_STYLES[style][1] / 2 - 3, label, SMALL, "centre", "bottom", box=True)
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
