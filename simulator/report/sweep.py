"""Rendering sweeps: a tornado table, curves, Sobol indices; JSON, CSV and an SVG chart."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from simulator.analysis.sweep import MAX_EVALUATIONS, RESOLVED_WIDTH, Sweep, resolution
from simulator.i18n import _
from simulator.report.charts import oat_chart, sobol_chart
from simulator.report.grid import Grid, document
from simulator.report.run import RunInfo, run_json, timing_json
from simulator.report.words import change, exposure, illustrative, parameter_words, pts, titled


def sweep_json(sw: Sweep, seed: int, elapsed: float) -> dict[str, Any]:
    """The sweep as JSON.

    {"role", "method", "baseline": run JSON, "parameters": {KEY: ...}, "ranking", "sobol"?,
    "timing"}
    """
    base = sw.baseline
    info = RunInfo(
        loaded=base.loaded,
        runs=base.results.runs,
        days=base.results.days,
        seed=seed,
        elapsed_s=elapsed,
    )
    baseline = run_json(base.results, info)
    baseline.pop("timing")
    baseline.pop("note")  # said once, at the top
    params = {}
    for c in sw.curves:
        params[c.vary.key] = {
            "low": c.vary.low,
            "high": c.vary.high,
            "values": c.vary.values(),
            "p_exposed": [round(p.results.roles[sw.role].p_exposed, 6) for p in c.points],
            "ci95": [[round(x, 6) for x in p.results.roles[sw.role].ci95] for p in c.points],
            "swing": round(c.swing.p_exposed, 6),
            "swing_ci95": [round(c.swing.ci95[0], 6), round(c.swing.ci95[1], 6)],
            "distinguishable": c.swing.distinguishable,
        }
    doc: dict[str, Any] = {
        "note": illustrative(),
        "role": sw.role,
        "method": sw.method,
        "baseline": baseline,
        "parameters": params,
        "ranking": [c.vary.key for c in sw.ranking],
    }
    if sw.sobol is not None:
        doc["samples"] = sw.samples
        res = resolution(list(sw.sobol.values()), sw.samples)
        doc["sobol_resolved"] = res.resolved
        doc["sobol_samples_needed"] = res.samples_needed
        doc["sobol"] = {
            k: {
                "S1": round(s.first, 4),
                "S1_ci95": [round(x, 4) for x in s.first_ci95],
                "ST": round(s.total, 4),
                "ST_ci95": [round(x, 4) for x in s.total_ci95],
            }
            for k, s in sw.sobol.items()
        }
    runs = base.results.runs * (
        1
        + sum(len(c.points) for c in sw.curves)
        + (sw.samples * (len(sw.curves) + 2) if sw.sobol else 0)
    )
    people_days = base.results.people * base.results.days * runs
    doc["timing"] = timing_json(people_days, elapsed)
    return doc


def render_json(sw: Sweep, seed: int, elapsed: float) -> str:
    """JSON text of a sweep."""
    return json.dumps(sweep_json(sw, seed, elapsed), indent=2, ensure_ascii=False) + "\n"


def render_csv(sw: Sweep, seed: int, elapsed: float) -> str:
    """One row per parameter value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["parameter", "value", "role", "p_exposed", "ci95_low", "ci95_high"])
    for c in sw.curves:
        for value, p in zip(c.vary.values(), c.points):
            g = p.results.roles[sw.role]
            writer.writerow(
                [
                    c.vary.key,
                    value,
                    sw.role,
                    round(g.p_exposed, 6),
                    round(g.ci95[0], 6),
                    round(g.ci95[1], 6),
                ]
            )
    return out.getvalue()


def _fmt(x: float) -> str:
    return f"{x:g}"


def _sweep_document(sw: Sweep, markdown: bool, width: int | None = None) -> str:
    s = sw.baseline.loaded.scenario
    role = s.role_label(sw.role)
    title = _(
        "{title}: what moves the {role}'s exposure (baseline {p}, {runs} paired runs per point)"
    ).format(
        title=titled(sw.baseline.loaded),
        role=role,
        p=exposure(sw.baseline.results.roles[sw.role]).value,
        runs=sw.baseline.results.runs,
    )
    grids = [
        Grid(
            title,
            [
                (_("Parameter"), False),
                (_("Range"), True),
                (_("Exposure along the range"), False),
                (_("Low → high (95% interval)"), True),
            ],
        )
    ]
    for c in sw.ranking:
        along = " ".join(exposure(p.results.roles[sw.role]).value for p in c.points)
        f = change(c.swing.p_exposed, c.swing.ci95)
        swing = _("{d} ({interval})").format(d=pts(f.value), interval=f.interval)
        if not c.swing.distinguishable:
            swing += " " + _("no clear effect")
        grids[0].add(c.vary.key, f"{_fmt(c.vary.low)}–{_fmt(c.vary.high)}", along, swing)
    if sw.sobol is not None:
        sob = Grid(
            _("Sobol indices from {n} samples: share of the variance of exposure").format(
                n=sw.samples
            ),
            [
                (_("Parameter"), False),
                (_("Alone (first order)"), True),
                (_("With interactions (total)"), True),
            ],
        )
        for key, idx in sw.sobol.items():
            sob.add(
                key,
                f"{idx.first:.2f} ({idx.first_ci95[0]:.2f} to {idx.first_ci95[1]:.2f})",
                f"{idx.total:.2f} ({idx.total_ci95[0]:.2f} to {idx.total_ci95[1]:.2f})",
            )
        grids.append(sob)
    notes = [] if sw.sobol is None else _sobol_note(sw)
    top = sw.ranking[0]
    line = _(
        "Of the parameters varied, {key} moves the {role}'s exposure most: from {a} at {low} to "
        "{b} at {high}."
    ).format(
        key=top.vary.key,
        role=role,
        a=exposure(top.points[0].results.roles[sw.role]).value,
        low=_fmt(top.vary.low),
        b=exposure(top.points[-1].results.roles[sw.role]).value,
        high=_fmt(top.vary.high),
    )
    return document(grids, [*notes, line, illustrative()], markdown, width)


def _sobol_note(sw: Sweep) -> list[str]:
    """A warning when the Sobol indices are too uncertain to read, and the samples that would do."""
    assert sw.sobol is not None
    res = resolution(list(sw.sobol.values()), sw.samples)
    if res.resolved:
        return []
    why = _("an interval spans up to {width:.2f}").format(width=res.widest)
    if res.impossible:
        why += _(
            ", and some estimates break the rules every index obeys (each lies between 0 and 1, "
            "and a parameter alone cannot do more than with its interactions)"
        )
    needed = res.samples_needed * (len(sw.sobol) + 2)
    if needed > MAX_EVALUATIONS:
        more = _(
            "more samples would be needed than one sweep may simulate; vary fewer parameters or "
            "use the one-at-a-time method"
        )
    else:
        more = _("about {n} samples (--samples {n}) would narrow every interval to {w}").format(
            n=res.samples_needed, w=RESOLVED_WIDTH
        )
    return [
        _("These Sobol indices are not resolved yet: {why}. Read them as unknown; {more}.").format(
            why=why, more=more
        )
    ]


def render_table(sw: Sweep, seed: int, elapsed: float, width: int | None = None) -> str:
    """Parameters ranked by their effect (a tornado as a table), then Sobol indices if computed."""
    return _sweep_document(sw, markdown=False, width=width)


def render_md(sw: Sweep, seed: int, elapsed: float) -> str:
    """The same as Markdown."""
    return _sweep_document(sw, markdown=True)


def render_svg(sw: Sweep) -> str:
    """The sweep as one SVG: a tornado and the curves, or the Sobol indices."""
    scenario = sw.baseline.loaded.scenario
    if sw.sobol is not None:
        return sobol_chart(
            [
                (parameter_words(scenario, k), s.first, s.first_ci95, s.total, s.total_ci95)
                for k, s in sw.sobol.items()
            ]
        )
    base = sw.baseline.results.roles[sw.role].p_exposed
    rows = [
        (
            parameter_words(scenario, c.vary.key),
            c.points[0].results.roles[sw.role].p_exposed,
            c.points[-1].results.roles[sw.role].p_exposed,
            base,
        )
        for c in sw.ranking
    ]
    panels = [
        (
            parameter_words(scenario, c.vary.key),
            c.vary.values(),
            [p.results.roles[sw.role].p_exposed for p in c.points],
            [p.results.roles[sw.role].ci95 for p in c.points],
        )
        for c in sw.curves
    ]
    role = sw.baseline.loaded.scenario.role_label(sw.role)
    return oat_chart(rows, panels, _("exposure of the {role}").format(role=role), _("exposed"))


RENDERERS = {"table": render_table, "json": render_json, "csv": render_csv, "md": render_md}
