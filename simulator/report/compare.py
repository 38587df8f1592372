"""Rendering comparisons: a ranked table, plain sentences, JSON extending the run contract, CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from simulator.analysis.compare import Comparison, Delta, Variant
from simulator.i18n import _
from simulator.report.grid import Grid, document
from simulator.report.run import RunInfo, changes_field, run_json, timing_json
from simulator.report.words import (
    MINUS,
    change,
    exposure,
    few_runs,
    horizon,
    illustrative,
    no_change,
    pts,
    spread_values,
    titled,
)

if TYPE_CHECKING:  # made only by `compare --uncertainty`, which imports scipy for it
    from simulator.analysis.uncertainty import Uncertainty


def _delta_json(d: Delta) -> dict[str, Any]:
    return {
        "p_exposed": round(d.p_exposed, 6),
        "ci95": [round(d.ci95[0], 6), round(d.ci95[1], 6)],
        "distinguishable": d.distinguishable,
        "median_days_gained": d.median_days_gained,
        "safe_days_gained": round(d.safe_days_gained, 3),
    }


def _variant_json(v: Variant, seed: int, elapsed: float) -> dict[str, Any]:
    """One variant in the run contract, with its countermeasures and paired changes."""
    info = RunInfo(
        loaded=v.loaded, runs=v.results.runs, days=v.results.days, seed=seed, elapsed_s=elapsed
    )
    doc = run_json(v.results, info)
    doc.pop("timing")
    doc.pop("note")  # said once, at the top
    cm = v.loaded.scenario.countermeasures
    doc["countermeasures"] = {
        m: {"description": cm[m].description, "cost": cm[m].cost, "effort": cm[m].effort}
        for m in v.members
    }
    if v.members:
        doc["delta"] = {role: _delta_json(d) for role, d in v.delta.items()}
    return doc


def compare_json(c: Comparison, seed: int, elapsed: float) -> dict[str, Any]:
    """{"baseline", "variants": {NAME: run JSON + "delta"}, "role", "budget"?, "timing"}."""
    doc: dict[str, Any] = {
        "note": illustrative(),
        "role": c.role,
        "baseline": _variant_json(c.baseline, seed, elapsed),
        "variants": {v.name: _variant_json(v, seed, elapsed) for v in c.variants},
    }
    if c.budget is not None:
        b = c.budget
        doc["budget"] = {
            "budget": b.budget,
            "method": b.method,
            "bound": None if b.bound is None else round(b.bound, 4),
            "bundles_searched": b.searched,
            "bundle": b.variant.members,
            "effort": b.variant.effort,
            "delta": _delta_json(b.variant.delta[c.role]),
            "contributions": {m: _delta_json(d) for m, d in b.contributions.items()},
        }
    people_days = sum(
        v.results.people * v.results.runs * v.results.days for v in [c.baseline, *c.variants]
    )
    if c.uncertainty is not None:
        doc["uncertainty"] = uncertainty_json(c.uncertainty, c.role)
    doc["timing"] = timing_json(people_days, elapsed)
    return doc


def uncertainty_json(u: Uncertainty, role: str) -> dict[str, Any]:
    """The `uncertainty` part of a comparison: each countermeasure's change over the ranges."""
    return {
        "sets": len(u.sets),
        "parameters": {k: [lo, hi] for k, (lo, hi) in u.parameters.items()},
        "role": role,
        "variants": {
            name: {
                "delta_interval": [round(r.interval[0], 6), round(r.interval[1], 6)],
                "parameter_share": round(r.parameter_share, 3),
                "per_set": [round(p, 6) for p in r.per_set],
            }
            for name, r in u.roles.items()
        },
    }


def uncertainty_sentence(c: Comparison, name: str, u: Uncertainty) -> str:
    """One countermeasure's change of the role's exposure across the sourced ranges."""
    s = c.baseline.loaded.scenario
    r = u.roles[name]
    values = {
        "cm": f"“{s.countermeasure_label(name)}”",
        "role": s.role_label(c.role),
        "day": s.days,
        **spread_values(r.interval, r.parameter_share, len(u.sets)),
    }
    if r.all_zero:
        text = _(
            "{cm} changes no run's outcome for the {role} by day {day} in any of the {sets} "
            "parameter sets across the sourced ranges."
        )
    elif r.interval[0] == r.interval[1]:
        text = _(
            "{cm} changes the exposure of the {role} by {lo} points in every one of {sets} "
            "parameter sets across the sourced ranges."
        )
    elif r.parameter_share >= 0.5:
        text = _(
            "{cm} changes the exposure of the {role} by between {lo} and {hi} points across the "
            "sourced ranges ({sets} parameter sets); most of the spread ({share}) comes from the "
            "ranges, not chance."
        )
    else:
        text = _(
            "{cm} changes the exposure of the {role} by between {lo} and {hi} points across the "
            "sourced ranges ({sets} parameter sets); most of the spread ({chance}) comes from "
            "chance between runs, not the ranges."
        )
    return text.format(**values)


def render_json(c: Comparison, seed: int, elapsed: float) -> str:
    """JSON text of a comparison."""
    return json.dumps(compare_json(c, seed, elapsed), indent=2, ensure_ascii=False) + "\n"


def render_csv(c: Comparison, seed: int, elapsed: float) -> str:
    """One row per variant and role; with --uncertainty, the compared role's change over ranges."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    u = c.uncertainty
    ranged = ["delta_plausible_low", "delta_plausible_high", "delta_parameter_share"]
    writer.writerow(
        [
            "variant",
            "role",
            "p_exposed",
            "ci95_low",
            "ci95_high",
            "delta",
            "delta_low",
            "delta_high",
            "distinguishable",
            "median_days_gained",
            "effort",
            *(ranged if u else []),
            "changes",
        ]
    )
    changes = changes_field(c.baseline.loaded)
    for v in [c.baseline, *c.variants]:
        for role, g in v.results.roles.items():
            d = v.delta.get(role)
            spread: list[float | str] = []
            if u:
                r = u.roles.get(v.name) if v.members and role == c.role else None
                spread = (
                    ["", "", ""]
                    if r is None
                    else [
                        round(r.interval[0], 6),
                        round(r.interval[1], 6),
                        round(r.parameter_share, 3),
                    ]
                )
            writer.writerow(
                [
                    v.name,
                    role,
                    round(g.p_exposed, 6),
                    round(g.ci95[0], 6),
                    round(g.ci95[1], 6),
                    "" if d is None else round(d.p_exposed, 6),
                    "" if d is None else round(d.ci95[0], 6),
                    "" if d is None else round(d.ci95[1], 6),
                    "" if d is None else d.distinguishable,
                    "" if d is None or d.median_days_gained is None else d.median_days_gained,
                    "" if v.effort is None else v.effort,
                    *spread,
                    changes,
                ]
            )
    return out.getvalue()


def _label(v: Variant) -> str:
    cms = v.loaded.scenario.countermeasures
    return " + ".join(cms[m].label or m for m in v.members) if v.members else _("baseline")


def _change(d: Delta, days: int) -> str:
    if d.same_outcome:
        return no_change(None if d.unchanged else days)
    f = change(d.p_exposed, d.ci95)
    text = _("{d} ({interval})").format(d=pts(f.value), interval=f.interval)
    return text if d.distinguishable else text + " " + _("no clear effect")


def _arrow(a: str, b: str, d: str) -> tuple[str, str]:
    """The two shares of 'from A to B' so that they differ by the change printed beside them.

    Each share is rounded by its own interval, the change by its own: 62% and 56% can sit beside
    a change of −6.5 or −5.5. When the rounded shares do not differ by the printed change, the
    second is the first plus the change, so that the sentence adds up without claiming more
    precision than either figure has.
    """
    try:
        whole_a, whole_b = float(a.rstrip("%")), float(b.rstrip("%"))
        printed = float(d.replace(MINUS, "-").lstrip("+"))
    except ValueError:
        return a, b  # 'fewer than 1 in 2,000' and the like: no arithmetic to keep
    if abs((whole_b - whole_a) - printed) < 1e-9:
        return a, b
    other = min(max(whole_a + printed, 0.0), 100.0)
    return a, f"{other:g}%"


def variant_sentence(c: Comparison, v: Variant) -> str:
    """One plain sentence about a countermeasure for learners."""
    s = v.loaded.scenario
    role = s.role_label(c.role)
    d = v.delta[c.role]
    a, b = _arrow(
        exposure(c.baseline.results.roles[c.role]).value,
        exposure(v.results.roles[c.role]).value,
        change(d.p_exposed, d.ci95).value,
    )
    values = {
        "name": _label(v),
        "role": role,
        "horizon": horizon(s.days),
        "a": a,
        "b": b,
        "interval": change(d.p_exposed, d.ci95).interval,
    }
    if d.unchanged:
        text = _(
            "{name} changes nothing for the {role} in any of these runs ({a} with it and without)."
        ).format(**values)
    elif d.same_outcome:
        text = (
            _(
                "{name} changes no run's outcome for the {role} by day {day} ({a} with it and "
                "without); it only moves exposure later on average."
            )
            if d.safe_days_gained > 0
            else _(
                "{name} changes no run's outcome for the {role} by day {day} ({a} with it and "
                "without); it only moves exposure earlier on average."
            )
        ).format(day=s.days, **values)
    elif not d.distinguishable:
        text = _(
            "{name}: no clear effect on the {role} ({a} → {b}; the change could be anywhere from "
            "{interval} points)."
        ).format(**values)
    elif d.p_exposed < 0:
        text = _(
            "{name} lowers the {role}'s chance of exposure within {horizon} from {a} to {b} "
            "({interval} points)."
        ).format(**values)
    else:
        text = _(
            "{name} raises the {role}'s chance of exposure within {horizon} from {a} to {b} "
            "({interval} points)."
        ).format(**values)
    others = [
        _("{role} {change}").format(
            role=s.role_label(r), change=pts(change(od.p_exposed, od.ci95).value)
        )
        for r, od in v.delta.items()
        if r != c.role and s.at_risk(r) and od.distinguishable
    ]
    if others:
        text += " " + _("It also changes: {others}.").format(others=", ".join(others))
    costs = [s.countermeasures[m].cost.strip() for m in v.members]
    if costs:
        text += " " + _("Cost: {cost}").format(cost=" ".join(costs))
    return text


def _compare_document(c: Comparison, markdown: bool, width: int | None = None) -> str:
    s = c.baseline.loaded.scenario
    title = _("{title}: what helps the {role} — {runs} paired runs of {days} days").format(
        title=titled(c.baseline.loaded),
        role=s.role_label(c.role),
        runs=c.baseline.results.runs,
        days=s.days,
    )
    grid = Grid(
        title,
        [
            (_("Countermeasure"), False),
            (_("Exposed"), True),
            (_("95% interval"), True),
            (_("Change (95% interval)"), True),
            (_("Median day if exposed"), True),
            (_("Effort"), True),
        ],
    )
    for v in [c.baseline, *c.variants]:
        g = v.results.roles[c.role]
        d = v.delta.get(c.role)
        median = "—" if g.median_day is None else str(g.median_day)
        if d is not None and d.median_days_gained is not None and d.median_days_gained != 0:
            median += f" ({d.median_days_gained:+d})".replace("-", MINUS)
        grid.add(
            _label(v),
            exposure(g).value,
            exposure(g).interval,
            "—" if d is None else _change(d, s.days),
            median,
            "—" if v.effort is None or not v.members else f"{v.effort:g}",
        )
    lines: list[str] = []
    if c.budget is not None:
        b = c.budget
        d = b.variant.delta[c.role]
        how = (
            _("searched all {n} bundles").format(n=b.searched)
            if b.method == "exact"
            else _(
                "greedy search of {n} bundles; within a factor {bound:.2f} of the best if effects "
                "have diminishing returns"
            ).format(n=b.searched, bound=b.bound or 0.0)
        )
        lines += [
            "",
            _(
                "Best within an effort of {budget:g} ({how}): {bundle} — effort {effort:g}, "
                "{role} {a} → {b} ({change})."
            ).format(
                budget=b.budget,
                how=how,
                bundle=_label(b.variant),
                effort=b.variant.effort or 0.0,
                role=s.role_label(c.role),
                a=exposure(c.baseline.results.roles[c.role]).value,
                b=exposure(b.variant.results.roles[c.role]).value,
                change=_change(d, s.days),
            ),
        ]
        for member, contribution in b.contributions.items():
            lines.append(
                "  "
                + _("without {name}: {change} points more exposure").format(
                    name=s.countermeasures[member].label or member,
                    change=change(contribution.p_exposed, contribution.ci95).value,
                )
            )
    lines.append("")
    lines += [variant_sentence(c, v) for v in c.variants]
    if c.uncertainty is not None:
        lines += [uncertainty_sentence(c, v.name, c.uncertainty) for v in c.variants]
    warning = few_runs(c.baseline.results.runs)
    if warning is not None:
        lines.append(warning)
    lines.append(illustrative())
    return document([grid], lines, markdown, width)


def render_table(c: Comparison, seed: int, elapsed: float, width: int | None = None) -> str:
    """The ranked table, the budget choice, then one sentence per countermeasure."""
    return _compare_document(c, markdown=False, width=width)


def render_md(c: Comparison, seed: int, elapsed: float) -> str:
    """The same as Markdown."""
    return _compare_document(c, markdown=True)


RENDERERS = {"table": render_table, "json": render_json, "csv": render_csv, "md": render_md}
