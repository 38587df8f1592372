"""Charts as SVG: byte-identical for the same inputs (fixed hash salt, no dates), readable in grey."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import matplotlib
from cycler import cycler

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from simulator.i18n import _  # noqa: E402

STYLE: dict[str, Any] = {
    "svg.hashsalt": "exposure",
    "svg.fonttype": "none",  # text stays text: small files, no font outlines that vary by machine
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=["#222222", "#666666", "#999999", "#444444", "#bbbbbb"]),
}
MARKERS = ["o", "s", "^", "D", "v", "x"]
LINES = ["-", "--", ":", "-."]


def svg(draw: Callable[[Any], None], size: tuple[float, float] = (7.0, 4.0)) -> str:
    """Draw a figure with `draw(figure)` and return it as SVG text."""
    with plt.rc_context(STYLE):  # type: ignore[arg-type]
        fig = plt.figure(figsize=size)
        try:
            draw(fig)
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "Exposure"}, bbox_inches="tight")
        finally:
            plt.close(fig)
    return buffer.getvalue()


def percent_axis(ax: Any) -> None:
    """Show a 0..1 axis as percentages."""
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))


def _tornado(ax: Any, rows: list[tuple[str, float, float, float]], xlabel: str) -> None:
    for y, (label, low, high, base) in enumerate(reversed(rows)):
        ax.barh(y, high - low, left=low, color="#777777" if high >= low else "#bbbbbb", edgecolor="#222222")
        ax.text(max(low, high) + 0.01, y, label, va="center", fontsize=8)
        ax.axvline(base, color="#222222", linestyle=":", linewidth=1)
    ax.set_yticks([])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(xlabel)
    ax.set_title(_("Exposure from each parameter's low end (left) to its high end; dotted: baseline"), fontsize=9)


def _curve(ax: Any, i: int, title: str, xs: list[float], ys: list[float], cis: list[tuple[float, float]]) -> None:
    ax.fill_between(xs, [c[0] for c in cis], [c[1] for c in cis], color="#dddddd", linewidth=0)
    ax.plot(xs, ys, color="#222222", marker=MARKERS[i % len(MARKERS)], linestyle=LINES[i % len(LINES)])
    # Dotted keys are long: break them at their last dot so neighbouring titles do not collide.
    head, dot, tail = title.rpartition(".")
    ax.set_title(f"{head}.\n{tail}" if dot and len(title) > 24 else title, fontsize=8)
    ax.set_ylim(0, 1)
    percent_axis(ax)


def oat_chart(rows: list[tuple[str, float, float, float]],
              panels: list[tuple[str, list[float], list[float], list[tuple[float, float]]]],
              xlabel: str, ylabel: str) -> str:
    """A tornado of the parameters' effects above one small curve per parameter with its 95% band."""
    cols = min(3, len(panels))
    curve_rows = -(-len(panels) // cols)
    height = 0.6 + 0.45 * len(rows) + 2.4 * curve_rows

    def draw(fig: Any) -> None:
        grid = fig.add_gridspec(1 + curve_rows, cols, height_ratios=[0.6 + 0.45 * len(rows)] + [2.4] * curve_rows)
        _tornado(fig.add_subplot(grid[0, :]), rows, xlabel)
        for i, (title, xs, ys, cis) in enumerate(panels):
            ax = fig.add_subplot(grid[1 + i // cols, i % cols])
            _curve(ax, i, title, xs, ys, cis)
            if i % cols == 0:
                ax.set_ylabel(ylabel)
        fig.tight_layout()

    return svg(draw, size=(7.0, height))


def sobol_chart(rows: list[tuple[str, float, tuple[float, float], float, tuple[float, float]]]) -> str:
    """First-order and total Sobol indices with their intervals."""
    def draw(fig: Any) -> None:
        ax = fig.add_subplot(1, 1, 1)
        ys = range(len(rows))
        first = [r[1] for r in rows]
        total = [r[3] for r in rows]
        ax.barh([y + 0.2 for y in ys], first, height=0.38, color="#444444", label=_("alone (first order)"),
                xerr=[[max(f - r[2][0], 0) for f, r in zip(first, rows)], [max(r[2][1] - f, 0) for f, r in zip(first, rows)]])
        ax.barh([y - 0.2 for y in ys], total, height=0.38, color="#bbbbbb", hatch="//", label=_("with interactions (total)"),
                xerr=[[max(t - r[4][0], 0) for t, r in zip(total, rows)], [max(r[4][1] - t, 0) for t, r in zip(total, rows)]])
        ax.set_yticks(list(ys), [r[0] for r in rows])
        ax.set_xlim(0, 1.05)
        ax.set_xlabel(_("share of the variance of exposure"))
        ax.legend(frameon=False)

    return svg(draw, size=(7.0, 0.8 + 0.6 * len(rows)))
