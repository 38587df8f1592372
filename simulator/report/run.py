"""Rendering the results of `exposure run`: table with sentences, JSON (the contract), CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.analysis.results import GroupResult, Results
from simulator.i18n import _, ngettext
from simulator.report.grid import Grid, document
from simulator.report.words import (
    exposure,
    illustrative,
    mechanism_label,
    percent,
    role_sentence,
    titled,
)
from simulator.scenario import LoadedScenario

if TYPE_CHECKING:  # made only by `run --uncertainty`, which imports scipy for it
    from simulator.analysis.uncertainty import Uncertainty


@dataclass(frozen=True)
class RunInfo:
    """What was run, for the JSON contract's `scenario` and `settings` parts."""

    loaded: LoadedScenario
    runs: int
    days: int
    seed: int
    elapsed_s: float
    uncertainty: Uncertainty | None = None  # over the sourced ranges, with --uncertainty N


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
            "ranges": {key: [low, high] for key, (low, high) in loaded.ranges.items()},
        },
        "note": illustrative(),
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
        **({"uncertainty": uncertainty_json(info.uncertainty)} if info.uncertainty else {}),
        "timing": timing_json(people_days, info.elapsed_s),
    }


def uncertainty_json(u: Uncertainty) -> dict[str, Any]:
    """The `uncertainty` part of a result: the ranges drawn over and each role's spread."""
    return {
        "sets": len(u.sets),
        "parameters": {k: [lo, hi] for k, (lo, hi) in u.parameters.items()},
        "roles": {
            role: {
                "p_exposed": _num(r.point),
                "interval": [_num(r.interval[0]), _num(r.interval[1])],
                "parameter_share": _num(r.parameter_share, 3),
                "per_set": [_num(p) for p in r.per_set],
            }
            for role, r in u.roles.items()
        },
    }


def uncertainty_sentence(loaded: LoadedScenario, role: str, u: Uncertainty) -> str:
    """One role's exposure over the sourced ranges and chance, and where the spread comes from."""
    r = u.roles[role]
    values = {
        "role": loaded.scenario.role_label(role),
        "lo": percent(r.interval[0]),
        "hi": percent(r.interval[1]),
        "share": percent(r.parameter_share),
        "chance": percent(1.0 - r.parameter_share),
        "sets": len(u.sets),
    }
    if r.interval == (0.0, 0.0):
        # No run of any set exposed them: say so, not "0%" beside the table's bound of 1 in N.
        text = _(
            "The {role}: nobody exposed in any run of the {sets} parameter sets across the "
            "sourced ranges."
        )
    elif r.interval[0] == r.interval[1]:
        text = _(
            "The {role}: {lo} in every one of {sets} parameter sets across the sourced ranges."
        )
    elif r.parameter_share >= 0.5:
        text = _(
            "The {role}: between {lo} and {hi} across the sourced ranges ({sets} parameter sets); "
            "most of the spread ({share}) comes from the ranges, not chance."
        )
    else:
        text = _(
            "The {role}: between {lo} and {hi} across the sourced ranges ({sets} parameter sets); "
            "most of the spread ({chance}) comes from chance between runs, not the ranges."
        )
    return _capital(text.format(**values))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def render_json(results: Results, info: RunInfo) -> str:
    """JSON text of a run."""
    return json.dumps(run_json(results, info), indent=2, ensure_ascii=False) + "\n"


def _top_causes(loaded: LoadedScenario, g: GroupResult, limit: int = 2) -> str:
    parts = [
        f"{mechanism_label(loaded.scenario, m)} {percent(s)}"
        for m, s in list(g.causes.items())[:limit]
    ]
    return "; ".join(parts) if parts else "—"


def changes_field(loaded: LoadedScenario) -> str:
    """What was changed from the scenario file, for a CSV cell: countermeasures, then --set
    overrides as KEY=VALUE, separated by semicolons ('' when nothing was)."""
    patches = loaded.patches
    return ";".join([*patches.countermeasures, *(f"{o.key}={o.value}" for o in patches.overrides)])


def render_csv(results: Results, info: RunInfo) -> str:
    """One row per role and one for everyone; with --uncertainty, each role's spread too."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    u = info.uncertainty
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
            *(["plausible_low", "plausible_high", "parameter_share"] if u else []),
            "changes",
        ]
    )
    changes = changes_field(info.loaded)
    rows = [*results.roles.items(), ("everyone", results.everyone)]
    for role, g in rows:
        top = next(iter(g.causes.items()), ("", 0.0))
        spread: list[float | str] = []
        if u:
            r = u.roles.get(role) if role in results.roles else None
            spread = (
                ["", "", ""]
                if r is None
                else [_num(r.interval[0]), _num(r.interval[1]), _num(r.parameter_share, 3)]
            )
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
                *spread,
                changes,
            ]
        )
    return out.getvalue()


def _run_document(results: Results, info: RunInfo, markdown: bool, width: int | None = None) -> str:
    s = info.loaded.scenario
    title = ngettext(
        "{title} — {runs} run of {days} days, about {people} people",
        "{title} — {runs} runs of {days} days, about {people} people each",
        results.runs,
    ).format(
        title=titled(info.loaded),
        runs=results.runs,
        days=results.days,
        people=f"{results.people:,.0f}",
    )
    grid = Grid(
        title,
        [
            (_("Role"), False),
            (_("People"), True),
            (_("Exposed by day {day}").format(day=results.days), True),
            (_("95% interval"), True),
            (_("Median day if exposed"), True),
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
    if info.uncertainty is not None:
        sentences += [uncertainty_sentence(info.loaded, r, info.uncertainty) for r in results.roles]
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
    sentences.append(illustrative())
    return document([grid], sentences, markdown, width)


def render_table(results: Results, info: RunInfo, width: int | None = None) -> str:
    """The default table, then one plain sentence per role at risk."""
    return _run_document(results, info, markdown=False, width=width)


def render_md(results: Results, info: RunInfo) -> str:
    """The same table and sentences as Markdown."""
    return _run_document(results, info, markdown=True)


RENDERERS = {"table": render_table, "json": render_json, "csv": render_csv, "md": render_md}
