"""Rendering the results of `exposure run`: table with sentences, JSON (the contract), CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from simulator.analysis.results import GroupResult, Results
from simulator.i18n import _, ngettext
from simulator.report.grid import Grid, document
from simulator.report.words import exposure, mechanism_label, percent, role_sentence
from simulator.scenario import LoadedScenario


@dataclass(frozen=True)
class RunInfo:
    """What was run, for the JSON contract's `scenario` and `settings` parts."""

    loaded: LoadedScenario
    runs: int
    days: int
    seed: int
    elapsed_s: float


def _num(x: float, digits: int = 6) -> float:
    return round(float(x), digits)


def _people(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 2)


def group_json(g: GroupResult) -> dict[str, Any]:
    """One role's (or everyone's) figures, as in the JSON contract."""
    return {
        "people": _people(g.people),
        "p_exposed": _num(g.p_exposed),
        "ci95": [_num(g.ci95[0]), _num(g.ci95[1])],
        "median_day": g.median_day,
        "curve": [_num(v) for v in g.curve],
    }


def timing_json(people_days: float, elapsed: float) -> dict[str, Any]:
    """The `timing` part of every result: wall time and simulated people-days per second."""
    return {
        "elapsed_s": round(elapsed, 3),
        "people_days_per_s": round(people_days / elapsed) if elapsed > 0 else None,
    }


def run_json(results: Results, info: RunInfo) -> dict[str, Any]:
    """The `run --format json` document (DESIGN section 4)."""
    loaded = info.loaded
    people_days = results.people * results.runs * results.days
    return {
        "scenario": {
            "name": loaded.scenario.name,
            "title": loaded.scenario.title,
            "path": loaded.display_path,
            "sha256": loaded.sha256,
        },
        "settings": {
            "runs": info.runs,
            "days": info.days,
            "seed": info.seed,
            "people": _people(results.people),
            "countermeasures": list(loaded.countermeasures),
            "overrides": dict(loaded.overrides),
        },
        "roles": {role: group_json(g) for role, g in results.roles.items()},
        "everyone": group_json(results.everyone),
        "causes": {m: _num(v) for m, v in results.causes.items()},
        "collateral": {"mean": _num(results.collateral_mean), "p95": _num(results.collateral_p95)},
        "timing": timing_json(people_days, info.elapsed_s),
    }


def render_json(results: Results, info: RunInfo) -> str:
    """JSON text of a run."""
    return json.dumps(run_json(results, info), indent=2, ensure_ascii=False) + "\n"


def _top_causes(loaded: LoadedScenario, g: GroupResult, limit: int = 2) -> str:
    parts = [
        f"{mechanism_label(loaded.scenario, m)} {percent(s)}"
        for m, s in list(g.causes.items())[:limit]
    ]
    return "; ".join(parts) if parts else "—"


def render_csv(results: Results, info: RunInfo) -> str:
    """One row per role and one for everyone."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "role",
            "people",
            "p_exposed",
            "ci95_low",
            "ci95_high",
            "median_day",
            "top_cause",
            "top_cause_share",
        ]
    )
    rows = [*results.roles.items(), ("everyone", results.everyone)]
    for role, g in rows:
        top = next(iter(g.causes.items()), ("", 0.0))
        writer.writerow(
            [
                role,
                _people(g.people),
                _num(g.p_exposed),
                _num(g.ci95[0]),
                _num(g.ci95[1]),
                "" if g.median_day is None else g.median_day,
                top[0],
                _num(top[1]) if top[0] else "",
            ]
        )
    return out.getvalue()


def _run_document(results: Results, info: RunInfo, markdown: bool, width: int = 120) -> str:
    s = info.loaded.scenario
    title = ngettext(
        "{title} — {runs} run of {days} days, about {people} people",
        "{title} — {runs} runs of {days} days, about {people} people each",
        results.runs,
    ).format(title=s.title, runs=results.runs, days=results.days, people=f"{results.people:,.0f}")
    grid = Grid(
        title,
        [
            (_("Role"), False),
            (_("People"), True),
            (_("Exposed by day {day}").format(day=results.days), True),
            (_("95% interval"), True),
            (_("Median day"), True),
            (_("Top causes"), False),
        ],
    )
    rows = [(s.role_label(r), g) for r, g in results.roles.items()] + [
        (_("everyone"), results.everyone)
    ]
    for label, g in rows:
        grid.add(
            label,
            f"{g.people:,.0f}" if g.people >= 10 else f"{g.people:g}",
            exposure(g).value,
            exposure(g).interval,
            "—" if g.median_day is None else str(g.median_day),
            _top_causes(info.loaded, g),
        )
    sentences = [role_sentence(s, r, g) for r, g in results.roles.items() if s.at_risk(r)]
    if results.collateral_mean > 0:
        sentences.append(
            _(
                "On average {mean} people per run are exposed because someone else's phone or the "
                "network's log revealed them."
            ).format(
                mean=f"{results.collateral_mean:,.0f}"
                if results.collateral_mean >= 100
                else f"{results.collateral_mean:.1f}"
            )
        )
    return document([grid], sentences, markdown, width)


def render_table(results: Results, info: RunInfo, width: int | None = None) -> str:
    """The default table, then one plain sentence per role at risk."""
    return _run_document(results, info, markdown=False, width=width or 120)


def render_md(results: Results, info: RunInfo) -> str:
    """The same table and sentences as Markdown."""
    return _run_document(results, info, markdown=True)


RENDERERS = {"table": render_table, "json": render_json, "csv": render_csv, "md": render_md}
