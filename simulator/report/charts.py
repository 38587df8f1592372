"""Charts as SVG: the same bytes for the same inputs (fixed hash salt, no dates), clear in grey."""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any, Literal

import matplotlib
from cycler import cycler

matplotlib.use("Agg")
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from simulator.i18n import _, language
from simulator.report.words import percent

STYLE: dict[str, Any] = {
    "svg.hashsalt": "exposure",
    "svg.fonttype": "none",  # text stays text: small files, no font outlines that vary by machine
    "font.family": "sans-serif",
    # Text is measured with the font matplotlib ships, so the layout is the same on every machine.
    "font.sans-serif": ["DejaVu Sans"],
    "text.parse_math": False,  # a "$" in a scenario's label is text, not mathematics
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=["#222222", "#666666", "#999999", "#444444", "#bbbbbb"]),
}
MARKERS = ["o", "s", "^", "D", "v", "x"]
LINES = ["-", "--", ":", "-."]


def svg(
    draw: Callable[[Any], None],
    size: tuple[float, float] = (7.0, 4.0),
    layout: Literal["constrained", "compressed", "tight"] | None = None,
) -> str:
    """Draw a figure with `draw(figure)` and return it as SVG text."""
    style = {**STYLE, "font.sans-serif": [*STYLE["font.sans-serif"], *_fallback_fonts()]}
    with matplotlib.rc_context(style), warnings.catch_warnings():  # type: ignore[arg-type]
        # A letter no font here has is still written as text: the reader's browser draws it.
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        # A figure of its own, not pyplot's: nothing global to close, and pyplot (a twentieth of
        # a second to import) is not needed to write SVG.
        fig = Figure(figsize=size, layout=layout)
        draw(fig)
        buffer = io.StringIO()
        fig.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": "Exposure"},
            bbox_inches="tight",
        )
    return buffer.getvalue()


# Fonts that measure Hangul and Persian letters as wide as a browser draws them, where installed;
# English charts are measured with DejaVu Sans alone, the same on every machine.
_FALLBACK = {
    "ko": ("NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic", "AppleGothic"),
    "fa": ("Vazirmatn", "Noto Sans Arabic", "Tahoma"),
}


@cache
def _installed(lang: str) -> tuple[str, ...]:
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return tuple(name for name in _FALLBACK.get(lang, ()) if name in have)


def _fallback_fonts() -> tuple[str, ...]:
    return _installed(language()) if language() in _FALLBACK else ()


def percent_axis(ax: Any) -> None:
    """Show a 0..1 axis as percentages."""
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))


def _tornado(ax: Any, rows: list[tuple[str, float, float, float]], xlabel: str) -> None:
    for y, (label, low, high, base) in enumerate(reversed(rows)):
        ax.barh(
            y,
            high - low,
            left=low,
            color="#777777" if high >= low else "#bbbbbb",
            edgecolor="#222222",
        )
        ax.text(max(low, high) + 0.01, y, label, va="center", fontsize=8)
        ax.axvline(base, color="#222222", linestyle=":", linewidth=1)
    ax.set_yticks([])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(xlabel)
    ax.set_title(
        _("Exposure from each parameter's low end (left) to its high end; dotted: baseline"),
        fontsize=9,
    )


def _curve(
    ax: Any, i: int, title: str, xs: list[float], ys: list[float], cis: list[tuple[float, float]]
) -> None:
    ax.fill_between(xs, [c[0] for c in cis], [c[1] for c in cis], color="#dddddd", linewidth=0)
    ax.plot(
        xs, ys, color="#222222", marker=MARKERS[i % len(MARKERS)], linestyle=LINES[i % len(LINES)]
    )
    # Dotted keys are long: break them at their last dot so neighbouring titles do not collide.
    head, dot, tail = title.rpartition(".")
    ax.set_title(f"{head}.\n{tail}" if dot and len(title) > 24 else title, fontsize=8)
    ax.set_ylim(0, 1)
    percent_axis(ax)


def oat_chart(
    rows: list[tuple[str, float, float, float]],
    panels: list[tuple[str, list[float], list[float], list[tuple[float, float]]]],
    xlabel: str,
    ylabel: str,
) -> str:
    """A tornado of the parameters' effects above a small curve per parameter with its 95% band."""
    cols = min(3, len(panels))
    curve_rows = -(-len(panels) // cols)
    height = 0.6 + 0.45 * len(rows) + 2.4 * curve_rows

    def draw(fig: Any) -> None:
        grid = fig.add_gridspec(
            1 + curve_rows, cols, height_ratios=[0.6 + 0.45 * len(rows)] + [2.4] * curve_rows
        )
        _tornado(fig.add_subplot(grid[0, :]), rows, xlabel)
        for i, (title, xs, ys, cis) in enumerate(panels):
            ax = fig.add_subplot(grid[1 + i // cols, i % cols])
            _curve(ax, i, title, xs, ys, cis)
            if i % cols == 0:
                ax.set_ylabel(ylabel)
        fig.tight_layout()

    return svg(draw, size=(7.0, height))


def sobol_chart(
    rows: list[tuple[str, float, tuple[float, float], float, tuple[float, float]]],
) -> str:
    """First-order and total Sobol indices with their intervals."""

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        ys = range(len(rows))
        first = [r[1] for r in rows]
        total = [r[3] for r in rows]
        ax.barh(
            [y + 0.2 for y in ys],
            first,
            height=0.38,
            color="#444444",
            label=_("alone (first order)"),
            xerr=[
                [max(f - r[2][0], 0) for f, r in zip(first, rows)],
                [max(r[2][1] - f, 0) for f, r in zip(first, rows)],
            ],
        )
        ax.barh(
            [y - 0.2 for y in ys],
            total,
            height=0.38,
            color="#bbbbbb",
            hatch="//",
            label=_("with interactions (total)"),
            xerr=[
                [max(t - r[4][0], 0) for t, r in zip(total, rows)],
                [max(r[4][1] - t, 0) for t, r in zip(total, rows)],
            ],
        )
        ax.set_yticks(list(ys), [r[0] for r in rows])
        ax.set_xlim(0, 1.05)
        ax.set_xlabel(_("share of the variance of exposure"))
        ax.legend(frameon=False)

    return svg(draw, size=(7.0, 0.8 + 0.6 * len(rows)))


# Greys and hatches tell series apart on a black-and-white printout.
GREYS = ["#333333", "#8c8c8c", "#cfcfcf", "#5e5e5e", "#ffffff", "#b0b0b0", "#1a1a1a", "#e6e6e6"]
HATCHES = ["", "//", "..", "xx", "\\\\", "oo", "--", "++"]


def _legend_text(label: str) -> str:
    # matplotlib hides legend entries whose label starts with an underscore.
    return f" {label}" if label.startswith("_") else label


def _wrap(label: str, width: int = 28) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(label, width)) or label


def exposure_curves_chart(
    series: list[tuple[str, list[float], list[tuple[float, float]]]],
    days: int,
    periods: list[tuple[int, int, str]],
    xlabel: str,
    ylabel: str,
) -> str:
    """Share exposed by each day: a line per role with its 95% band, and shaded campaigns."""

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        xs = list(range(days + 1))
        top = max([hi for _label, _ys, band in series for _lo, hi in band] + [0.05])
        ceiling = min(1.0, math.ceil((top + 0.02) * 10) / 10)
        for start, end, label in periods:
            ax.axvspan(start, end, facecolor="none", edgecolor="#b0b0b0", hatch="..", linewidth=0)
            ax.text(
                (start + end) / 2,
                ceiling,
                _wrap(label, 24),
                ha="center",
                va="bottom",
                fontsize=7,
                color="#333333",
            )
        for i, (label, ys, band) in enumerate(series):
            ax.fill_between(
                xs,
                [b[0] for b in band],
                [b[1] for b in band],
                facecolor="#d0d0d0",
                alpha=0.55,
                edgecolor="#777777",
                linestyle=LINES[i % len(LINES)],
                linewidth=0.5,
            )
            ax.plot(
                xs,
                ys,
                color="#1a1a1a",
                linestyle=LINES[i % len(LINES)],
                marker=MARKERS[i % len(MARKERS)],
                markevery=max(1, days // 8),
                markersize=5,
                markerfacecolor="white" if i % 2 else "#1a1a1a",
                label=_legend_text(label),
            )
        ax.set_xlim(0, days)
        ax.set_ylim(0, ceiling)
        percent_axis(ax)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
        # The curves rise to the right, so the lower right corner is free for the legend.
        ax.legend(frameon=False, loc="lower right")

    return svg(draw, size=(7.0, 3.6))


def causes_chart(rows: list[tuple[str, list[tuple[str, float]]]], xlabel: str) -> str:
    """For each role, the shares of its exposures by cause, as one bar split into hatched parts."""
    causes = list(dict.fromkeys(cause for _label, parts in rows for cause, _share in parts))

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        for y, (_label, parts) in enumerate(reversed(rows)):
            left = 0.0
            for cause, part in parts:
                c = causes.index(cause)
                fill = GREYS[c % len(GREYS)]
                ax.barh(
                    y,
                    part,
                    left=left,
                    height=0.6,
                    color=fill,
                    hatch=HATCHES[c % len(HATCHES)],
                    edgecolor="#1a1a1a",
                    linewidth=0.6,
                )
                if part >= 0.08:
                    dark = fill in ("#333333", "#5e5e5e", "#1a1a1a")
                    ax.text(
                        left + part / 2,
                        y,
                        percent(part),
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if dark else "black",
                        bbox=None
                        if dark
                        else {"facecolor": "white", "edgecolor": "none", "pad": 1.0},
                    )
                left += part
        handles = [
            Patch(
                facecolor=GREYS[c % len(GREYS)],
                hatch=HATCHES[c % len(HATCHES)],
                edgecolor="#1a1a1a",
                linewidth=0.6,
                label=_legend_text(_wrap(cause, 40)),
            )
            for c, cause in enumerate(causes)
        ]
        ax.set_yticks(range(len(rows)), [_wrap(label, 22) for label, _parts in reversed(rows)])
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(xlabel)
        fig.legend(handles=handles, frameon=False, loc="outside lower center", ncol=2, fontsize=8)

    return svg(
        draw,
        size=(7.0, 1.1 + 0.5 * len(rows) + 0.25 * ((len(causes) + 1) // 2)),
        layout="constrained",
    )


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

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        n = len(roles)
        offsets = [(j - (n - 1) / 2) * 0.22 for j in range(n)]
        for y, (_label, effects) in enumerate(reversed(rows)):
            for j, (change, low, high, clear) in enumerate(effects):
                yy = y + offsets[j]
                ax.plot(
                    [low * 100, high * 100],
                    [yy, yy],
                    color="#1a1a1a",
                    linestyle=LINES[j % len(LINES)],
                    linewidth=1.2,
                )
                ax.plot(
                    [change * 100],
                    [yy],
                    marker=MARKERS[j % len(MARKERS)],
                    markersize=6,
                    color="#1a1a1a",
                    markerfacecolor="#1a1a1a" if clear else "white",
                    linestyle="none",
                )
        for j, role in enumerate(roles):
            ax.plot(
                [],
                [],
                marker=MARKERS[j % len(MARKERS)],
                color="#1a1a1a",
                linestyle=LINES[j % len(LINES)],
                markerfacecolor="#1a1a1a",
                label=_legend_text(role),
            )
        ax.plot(
            [],
            [],
            marker="o",
            color="#1a1a1a",
            markerfacecolor="white",
            linestyle="none",
            label=_legend_text(unclear),
        )
        ax.axvline(0, color="#1a1a1a", linewidth=0.8)
        ax.set_yticks(range(len(rows)), [_wrap(label, 30) for label, _effects in reversed(rows)])
        ax.set_ylim(-0.6, len(rows) - 0.4)
        lo, hi = ax.get_xlim()
        span = max(abs(lo), abs(hi), 1.0)
        ax.set_xlim(-span, span)
        ax.xaxis.set_major_formatter(
            matplotlib.ticker.FuncFormatter(
                lambda v, _pos: f"{v:+.0f}".replace("-", "−") if v else "0"
            )
        )
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
        ax.set_xlabel(xlabel)
        ax.text(
            0.0, 1.01, "← " + better, transform=ax.transAxes, ha="left", va="bottom", fontsize=8
        )
        ax.text(
            1.0, 1.01, worse + " →", transform=ax.transAxes, ha="right", va="bottom", fontsize=8
        )
        ax.legend(
            frameon=False,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16 - 0.3 / max(len(rows), 1)),
            ncol=min(3, n + 1),
            fontsize=8,
        )

    return svg(draw, size=(7.0, 1.6 + 0.5 * len(rows)))


# How people and links are drawn in the picture of a neighbourhood: shapes and line styles, not
# colour.
NODE_STYLES: dict[str, dict[str, Any]] = {
    "persona": {
        "marker": "*",
        "s": 420,
        "facecolor": "#1a1a1a",
        "edgecolor": "#1a1a1a",
        "hatch": "",
    },
    "exposed_found": {
        "marker": "^",
        "s": 150,
        "facecolor": "#1a1a1a",
        "edgecolor": "#1a1a1a",
        "hatch": "",
    },
    "exposed_revealed": {
        "marker": "s",
        "s": 120,
        "facecolor": "#8c8c8c",
        "edgecolor": "#1a1a1a",
        "hatch": "////",
    },
    "at_risk": {"marker": "D", "s": 80, "facecolor": "white", "edgecolor": "#1a1a1a", "hatch": ""},
    "resident": {
        "marker": "o",
        "s": 55,
        "facecolor": "#e6e6e6",
        "edgecolor": "#5e5e5e",
        "hatch": "",
    },
}
LINK_STYLES: dict[str, dict[str, Any]] = {
    "revealed": {"color": "#1a1a1a", "linewidth": 2.6, "linestyle": "-"},
    "phone": {"color": "#1a1a1a", "linewidth": 1.1, "linestyle": "--"},
    "family": {"color": "#8c8c8c", "linewidth": 1.6, "linestyle": "-"},
    "other": {"color": "#8c8c8c", "linewidth": 0.9, "linestyle": ":"},
}


def network_chart(
    people: list[tuple[int, str, str]],
    links: list[tuple[int, int, str]],
    centre: int,
    legend: dict[str, str],
) -> str:
    """A neighbourhood: people (id, style, label) in a seeded spring layout, links (a, b, style).

    `legend` names the styles used (keys of NODE_STYLES and LINK_STYLES) in plain words.
    """
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(p[0] for p in people)
    graph.add_edges_from((a, b) for a, b, _style in links)
    # Start from rings around the centre (her links inside, theirs outside) so the layout settles
    # the same way every time; the seed fixes the rest.
    first = set(graph.neighbors(centre)) if centre in graph else set()
    inner = sorted(first)
    outer = sorted(set(graph.nodes) - first - {centre})
    start = {centre: (0.0, 0.0)}
    for ring, radius in ((inner, 0.5), (outer, 1.0)):
        for i, node in enumerate(ring):
            angle = 2 * math.pi * i / max(len(ring), 1)
            start[node] = (radius * math.cos(angle), radius * math.sin(angle))
    pos = nx.spring_layout(
        graph,
        pos=start,
        fixed=[centre] if len(graph) > 1 else None,
        seed=7,
        iterations=200,
        k=1.6 / math.sqrt(max(len(graph), 1)),
    )
    xy = {node: (round(float(x), 4), round(float(y), 4)) for node, (x, y) in pos.items()}

    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        order = ["other", "family", "phone", "revealed"]
        for style in order:
            for a, b, s in links:
                if s == style:
                    (x1, y1), (x2, y2) = xy[a], xy[b]
                    ax.plot(
                        [x1, x2],
                        [y1, y2],
                        zorder=1 + order.index(style),
                        solid_capstyle="round",
                        **LINK_STYLES[style],
                    )
        for style in ["resident", "at_risk", "exposed_revealed", "exposed_found", "persona"]:
            group = [p for p in people if p[1] == style]
            if group:
                spec = NODE_STYLES[style]
                ax.scatter(
                    [xy[p[0]][0] for p in group],
                    [xy[p[0]][1] for p in group],
                    marker=spec["marker"],
                    s=spec["s"],
                    facecolor=spec["facecolor"],
                    edgecolor=spec["edgecolor"],
                    hatch=spec["hatch"],
                    linewidth=0.9,
                    zorder=10,
                )
        for node, _style, label in people:
            if label:
                x, y = xy[node]
                ax.annotate(
                    label,
                    (x, y),
                    xytext=(0, 9),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=7.5,
                    zorder=11,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.8},
                )
        used_nodes = {p[1] for p in people}
        used_links = {s for _a, _b, s in links}
        for style in ["persona", "exposed_found", "exposed_revealed", "at_risk", "resident"]:
            if style in used_nodes and style in legend:
                spec = NODE_STYLES[style]
                ax.scatter(
                    [],
                    [],
                    marker=spec["marker"],
                    s=min(spec["s"], 150),
                    facecolor=spec["facecolor"],
                    edgecolor=spec["edgecolor"],
                    hatch=spec["hatch"],
                    linewidth=0.9,
                    label=_legend_text(legend[style]),
                )
        for style in ["revealed", "phone", "family", "other"]:
            if style in used_links and style in legend:
                ax.plot([], [], label=_legend_text(legend[style]), **LINK_STYLES[style])
        ax.set_axis_off()
        ax.set_aspect("equal", adjustable="datalim")
        ax.margins(0.06)
        fig.legend(frameon=False, loc="outside lower center", ncol=2, fontsize=8, labelspacing=0.9)

    return svg(draw, size=(7.0, 6.6), layout="constrained")
