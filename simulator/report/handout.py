"""The report for a workshop: one HTML file (or Markdown and SVG charts), by the five questions.

Threat-modelling curricula ask: what do I protect, from whom, how likely, how bad, and what helps at
what cost. The report answers each from the scenario and the simulation, then adds one run up close,
the learning objectives, workshop prompts (Activity, Discussion, Input, Deepening, Synthesis), the
sources with their basis, and how to reproduce it.

All text for learners is made here, through `_`; the templates only arrange it. Scenario text is
untrusted: the HTML template escapes everything (autoescape), and the Markdown one escapes what a
Markdown renderer would turn into HTML or links.
"""

from __future__ import annotations

import re
import shlex
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from simulator import __version__
from simulator.analysis.compare import Comparison, Variant
from simulator.analysis.consequences import Consequences, following
from simulator.analysis.neighbourhood import Neighbourhood
from simulator.analysis.results import GroupResult, curve_band
from simulator.errors import UsageError
from simulator.i18n import _, finish, language, right_to_left
from simulator.report import charts
from simulator.report.compare import variant_sentence
from simulator.report.describe import (
    activity_lines,
    adversary_lines,
    campaign_lines,
    check_lines,
    observer_lines,
    range_lines,
)
from simulator.report.grid import no_html
from simulator.report.objectives import conditional_claims, depends_heading
from simulator.report.output import Output, Written, sealed_name, write_result
from simulator.report.words import (
    basis_word,
    change,
    exposure,
    horizon,
    illustrative,
    leaves_out,
    mechanism_label,
    no_change,
    parameter_words,
    percent,
    role_sentence,
    share,
    span,
    spread_values,
    titled,
)
from simulator.scenario.model import Scenario
from simulator.seal import Passphrase

if TYPE_CHECKING:  # made only by `report --uncertainty`, which imports scipy for it
    from simulator.analysis.uncertainty import RangedComparison

FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
# The charts of a Markdown report, written beside it as NAME-<chart>.svg.
CHARTS = ("curves", "causes", "countermeasures", "network")


def report_format(output: str) -> str:
    """'html' or 'md', from the output file's name."""
    fmt = FORMATS.get(Path(output).suffix.lower())
    if fmt is None:
        raise UsageError(
            f"{output}: a report is written as .html or .md (got "
            f"{Path(output).suffix or 'no suffix'})"
        )
    return fmt


def chart_path(output: str | Path, chart: str) -> Path:
    """Where a Markdown report's chart goes: report.md -> report-curves.svg beside it."""
    path = Path(output)
    return path.with_name(f"{path.stem}-{chart}.svg")


def report_paths(output: str) -> list[Path]:
    """Every file a report writes: the report, and for Markdown its charts."""
    paths = [Path(output)]
    if report_format(output) == "md":
        paths += [chart_path(output, c) for c in CHARTS]
    return paths


def check_writable(output: str, force: bool, sealed: bool = False) -> None:
    """Refuse, before any work, a report or chart this command may not write (Output.check)."""
    for path in report_paths(output):
        name = sealed_name(str(path)) if sealed else str(path)
        Output(name, force=force, sealed=sealed).check()


def write_files(files: dict[Path, str], passphrase: Passphrase | None = None) -> Written:
    """Write each file whole (sealed if asked, as NAME.sealed), the report last.

    On failure the files already written are removed; returns what was written.
    """
    written: list[Path] = []
    size = 0
    try:
        for path, text in files.items():
            name = Path(sealed_name(str(path))) if passphrase is not None else path
            size += write_result(name, text, passphrase).size
            written.append(name)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    names = [str(p) for p in written]
    # The report is written last and named first.
    return Written([names[-1], *names[:-1]], size, passphrase is not None)


@dataclass(frozen=True)
class ReportInput:
    """Everything a report is made from."""

    comparison: Comparison
    picture: Neighbourhood
    seed: int
    command: str
    trace_command: str  # the `exposure trace` that tells the pictured run, exactly
    ranged: RangedComparison | None = None  # over the sourced ranges, with --uncertainty N


def command_line(
    scenario: str,
    output: str,
    runs: int,
    seed: int,
    days: int | None,
    people: int | None,
    overrides: Sequence[str],
    countermeasures: Sequence[str],
    role: str | None,
    uncertainty: int | None = None,
    command: str = "report",
) -> str:
    """The command that writes the same report (or, with `command`, the same cards) again, the
    output named without its folder."""
    args = ["exposure", command, scenario, "--runs", str(runs), "--seed", str(seed)]
    args += _town_flags(days, people, overrides)
    for c in countermeasures:
        args += ["--countermeasure", c]
    if role is not None:
        args += ["--role", role]
    if uncertainty is not None:
        args += ["--uncertainty", str(uncertainty)]
    return shlex.join([*args, "-o", Path(output).name])


def trace_command_line(
    scenario: str,
    seed: int,
    days: int | None,
    people: int | None,
    overrides: Sequence[str],
    person: str | None,
) -> str:
    """The `exposure trace` telling the very run a report pictures: its seed, town and persona."""
    args = ["exposure", "trace", scenario, "--seed", str(seed)]
    if person is not None:
        args += ["--person", person]
    return shlex.join([*args, *_town_flags(days, people, overrides)])


def _town_flags(days: int | None, people: int | None, overrides: Sequence[str]) -> list[str]:
    """The flags that rebuild the simulated town: its days, its size and its --set values."""
    flags = [] if days is None else ["--days", str(days)]
    if people is not None:
        flags += ["--people", str(people)]
    for o in overrides:
        flags += ["--set", o]
    return flags


# ----------------------------------------------------------------------------- plain words


def page_attributes() -> dict[str, str]:
    """The page's `lang` and `dir`, for <html>: attributes, never isolated text (see _isolated)."""
    return {"lang": Markup(language()), "dir": Markup("rtl" if right_to_left() else "ltr")}


def _texts() -> dict[str, str]:
    """Headings and fixed sentences of the report."""
    return {
        **page_attributes(),
        "objectives": _("What this session is for"),
        "protected": _("1. What is protected"),
        "people_at_risk": _("The people at risk"),
        "what_they_do": _("What they do that can give them away"),
        "phones": _("What their phones and the network keep"),
        "whom": _("2. From whom"),
        "observers": _("Who watches"),
        "checks": _("Checks and campaigns"),
        "adversary": _("How the adversary decides"),
        "likely": _("3. How likely"),
        "curves_caption": _(
            "Share of each group exposed by each day. The shaded band is the 95% interval: the "
            "range the runs cannot rule out. Dotted areas are campaigns of heavier surveillance."
        ),
        "causes": _("What gives them away"),
        "causes_caption": _(
            "For each group, the share of its exposures by the mechanism that tipped the balance."
        ),
        "role": _("Group"),
        "people": _("People"),
        "exposed": _("Exposed within {horizon}"),
        "interval": _("95% interval"),
        "median_day": _("Median day among those exposed"),
        "half_day": _("Half the group exposed by day"),
        "top_causes": _("Top causes"),
        "bad": _("4. How bad"),
        "bad_sources": _("What the scenario's sources say about the adversary"),
        "helps": _("5. What helps, and at what cost"),
        "helps_caption": _(
            "Change in the chance of exposure with each countermeasure, against the same runs "
            "without it, in percentage points; the line is the 95% interval."
        ),
        "countermeasure": _("Countermeasure"),
        "what_to_do": _("What to do"),
        "cost": _("What it costs"),
        "effort": _("Effort"),
        "change": _("Change for the {role}"),
        "others": _("Others"),
        "no_countermeasures": _("The scenario defines no countermeasures to compare."),
        "one_run": _("One run up close"),
        "one_run_command": _("This command tells the same run as a story, day by day:"),
        "workshop": _("Running the session"),
        "sources": _("Sources"),
        "basis_note": _(
            "Basis: reported — a named outlet, witness or document says it; secondary — a study or "
            "summary of others' reports; estimate — the scenario author's own judgement."
        ),
        "supports": _("backs"),
        "ranges": _("ranges"),
        "reproduce": _("Reproduce this report"),
        "offline": _(
            "Made offline by Exposure; the simulation is a model, not a prediction: it compares "
            "options, it does not judge anyone's choices."
        ),
        "version": _("Exposure version"),
        "seed": _("Seed"),
        "runs": _("Runs"),
        "scenario_file": _("Scenario"),
        "scenario_hash": _("Scenario SHA-256"),
        "command": _("Command"),
        "charts_beside": _(
            "The charts are SVG files beside this file; the tables give the same figures."
        ),
        "plausible": _("Interval over the values the sources allow"),
        "ranged_change": _("Change over the values the sources allow"),
    }


_basis = basis_word


def _channel_line(s: Scenario, name: str) -> str:
    ch = s.channels[name]
    bits = []
    if ch.kind == "in_person":
        bits.append(_("leaves no record on any device or network"))
    else:
        if ch.keeps_contacts:
            bits.append(_("the phone keeps its contacts"))
        if ch.retention_days is not None:
            bits.append(_("messages stay on the phone for {n} days").format(n=ch.retention_days))
        if ch.logs_metadata and ch.sealed_sender and ch.timing_link > 0:
            bits.append(
                _(
                    "the network operator logs who receives messages, not who sends them, though "
                    "each message it reads gives its sender away by its timing with chance {p}"
                ).format(p=share(ch.timing_link))
            )
        elif ch.logs_metadata and ch.sealed_sender:
            bits.append(_("the network operator logs who receives messages, not who sends them"))
        elif ch.logs_metadata:
            bits.append(_("the network operator logs who contacts whom"))
        if ch.radio:
            bits.append(_("a detector can locate it while it transmits"))
        if ch.reveal.device > 0:
            bits.append(
                _("seized and unlocked, it gives away each contact with chance {p}").format(
                    p=share(ch.reveal.device)
                )
            )
        if ch.logs_metadata and not ch.sealed_sender and ch.reveal.metadata > 0:
            bits.append(
                _(
                    "the operator's log gives away each contact with chance {p}, even if the "
                    "phone stays locked"
                ).format(p=share(ch.reveal.metadata))
            )
    return f"{s.channel_label(name)}: {'; '.join(bits)}."


def _count(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:.2g}" if x < 1 else f"{x:.1f}".rstrip("0").rstrip(".")


def _curve_roles(s: Scenario, results_roles: dict[str, GroupResult]) -> list[str]:
    roles = [r for r in results_roles if s.at_risk(r)]
    return roles or list(results_roles)


def _table(
    s: Scenario,
    roles: dict[str, GroupResult],
    everyone: GroupResult,
    ranged: RangedComparison | None = None,
) -> list[dict[str, str]]:
    rows = [(s.role_label(r), g, r) for r, g in roles.items()] + [(_("everyone"), everyone, "")]
    out = []
    for label, g, role in rows:
        causes = (
            "; ".join(
                f"{mechanism_label(s, m)} {percent(v)}" for m, v in list(g.causes.items())[:2]
            )
            or "—"
        )
        out.append(
            {
                "role": label,
                "people": f"{g.people:,.0f}" if g.people >= 10 else f"{g.people:g}",
                "exposed": exposure(g).value,
                "interval": exposure(g).interval,
                "median_day": "—" if g.median_day is None else str(g.median_day),
                "half_day": _("not within {horizon}").format(horizon=horizon(s.days))
                if g.half_day is None
                else str(g.half_day),
                "causes": causes,
                "plausible": _plausible(ranged, role),
            }
        )
    return out


def _plausible(ranged: RangedComparison | None, role: str) -> str:
    """A role's interval over the sourced ranges and chance (none for everyone, or without)."""
    r = None if ranged is None else ranged.exposure.roles.get(role)
    if r is None:
        return "—"
    return _("nobody in any run") if r.all_zero else span(r.interval)


def _ranged_note(ranged: RangedComparison, runs: int) -> str:
    """What the interval over the sourced ranges is, in words to read aloud."""
    return _(
        "Across the values the sources allow, each group's chance of exposure lies within the "
        "column “{column}”: {sets} sets of values were drawn from the sourced ranges and each "
        "simulated {runs} times, so it counts both what the sources leave open and chance "
        "between runs."
    ).format(column=_texts()["plausible"], sets=len(ranged.exposure.sets), runs=runs)


def ranged_change(s: Scenario, v: Variant, ranged: RangedComparison) -> tuple[str, str]:
    """A countermeasure's change over the sourced ranges: a table cell and a sentence."""
    r = ranged.changes.roles[v.name]
    values = {
        "name": f"“{_variant_label(v)}”",
        "role": s.role_label(ranged.role),
        **spread_values(r.interval, r.parameter_share, len(ranged.changes.sets)),
    }
    if r.all_zero:
        return no_change(s.days), _(
            "Across the values the sources allow, {name} changes no run's outcome for the {role} "
            "by day {day} in any of the {sets} sets of values drawn from the sourced ranges."
        ).format(day=s.days, **values)
    if r.interval[0] == r.interval[1]:
        d = change(r.point, r.interval).value
        return _("{d} points").format(d=d), _(
            "Across the values the sources allow, {name} changes the {role}'s chance of exposure "
            "by {d} points in every one of the {sets} sets of values drawn from the sourced "
            "ranges."
        ).format(d=d, **values)
    cell = _("{lo} to {hi} points").format(lo=values["lo"], hi=values["hi"])
    if r.parameter_share >= 0.5:
        text = _(
            "Across the values the sources allow, {name} changes the {role}'s chance of exposure "
            "by between {lo} and {hi} points ({sets} sets of values drawn from the sourced "
            "ranges); most of this spread ({share}) comes from what the sources leave open, not "
            "from chance."
        )
    else:
        text = _(
            "Across the values the sources allow, {name} changes the {role}'s chance of exposure "
            "by between {lo} and {hi} points ({sets} sets of values drawn from the sourced "
            "ranges); most of this spread ({chance}) is chance between runs, not what the "
            "sources leave open."
        )
    return cell, text.format(**values)


def _variant_label(v: Variant) -> str:
    cms = v.loaded.scenario.countermeasures
    return " + ".join(cms[m].label or m for m in v.members) if v.members else _("baseline")


def _bad_lines(
    s: Scenario, c: Comparison, after: Consequences, collateral: tuple[float, float]
) -> list[str]:
    results = c.baseline.results
    role = s.role_label(c.role)
    lines = [
        _(
            "In this model, being exposed means the adversary opens an investigation: the person "
            "is questioned "
            "or arrested, does nothing more in the simulation, and their phones are seized."
        )
    ]
    for r, g in results.roles.items():
        if s.at_risk(r) and g.median_day is not None:
            lines.append(
                _(
                    "Half of all exposures in the group “{role}” happen by day {day} of {days}."
                ).format(role=s.role_label(r), day=g.median_day, days=s.days)
            )
    if after.runs_exposed:
        for f in after.following:
            g = results.roles[f.role]
            text = _(
                "In the {n} of {runs} runs in which the {role} is exposed, on average {mean} of "
                "the {people} "
                "people of the group “{other}” are exposed after that; at least one is in {share} "
                "of those runs."
            ).format(
                n=after.runs_exposed,
                runs=after.runs,
                role=role,
                mean=_count(f.mean_after),
                people=_count(f.people),
                other=s.role_label(f.role),
                share=percent(f.any_after),
            )
            if g.causes:
                cause, part = next(iter(g.causes.items()))
                text += " " + _(
                    "People of this group are most often exposed through {cause} ({share})."
                ).format(cause=mechanism_label(s, cause), share=percent(part))
            lines.append(text)
    mean, p95 = collateral
    if mean > 0:
        lines.append(
            _(
                "On average {mean} people per run (up to {p95} in one run in twenty) are exposed "
                "because "
                "someone else's seized phone or the network's log revealed them."
            ).format(mean=_count(mean), p95=_count(p95))
        )
    else:
        lines.append(
            _("Nobody is exposed through someone else's phone or the network's log in these runs.")
        )
    return lines


def _helps(
    s: Scenario, c: Comparison, ranged: RangedComparison | None = None
) -> list[dict[str, str]]:
    rows = []
    for v in c.variants:
        d = v.delta[c.role]
        cms = [s.countermeasures[m] for m in v.members]
        f = change(d.p_exposed, d.ci95)
        difference = _("{d} points ({interval})").format(d=f.value, interval=f.interval)
        if d.same_outcome:
            difference = no_change(None if d.unchanged else s.days)
        elif not d.distinguishable:
            difference += " — " + _("no clear effect")
        others = [
            _("{role} {change}").format(
                role=s.role_label(r), change=change(od.p_exposed, od.ci95).value
            )
            for r, od in v.delta.items()
            if r != c.role and s.at_risk(r) and od.distinguishable
        ]
        cell, sentence = ("", "") if ranged is None else ranged_change(s, v, ranged)
        rows.append(
            {
                "name": _variant_label(v),
                "what": " ".join(cm.description.strip() for cm in cms),
                "cost": " ".join(cm.cost.strip() for cm in cms),
                "effort": "—" if v.effort is None else f"{v.effort:g}",
                "change": difference,
                "others": ", ".join(others) or "—",
                "sentence": variant_sentence(c, v),
                "ranged_change": cell,
                "ranged": sentence,
            }
        )
    return rows


def _picture_style(s: Scenario, person: Any, persona: int) -> str:
    if person.id == persona:
        return "persona"
    if person.exposed_day is not None:
        return "exposed_revealed" if person.cause == "cascade" else "exposed_found"
    return "at_risk" if s.at_risk(person.role) else "resident"


def _picture(s: Scenario, n: Neighbourhood) -> tuple[str, str, list[str]]:
    """The network chart, its caption and the run's events around the persona."""
    labels = {}
    for p in n.people:
        bits = []
        if p.id == n.persona or s.at_risk(p.role):
            bits.append(s.role_label(p.role))
        if p.exposed_day is not None:
            bits.append(_("day {day}").format(day=p.exposed_day))
        labels[p.id] = ", ".join(bits)
    people = [(p.id, _picture_style(s, p, n.persona), labels[p.id]) for p in n.people]
    links = []
    for link in n.links:
        if link.revealed:
            style = "revealed"
        elif link.channel is not None and s.channels[link.channel].kind != "in_person":
            style = "phone"
        elif link.kind == "family":
            style = "family"
        else:
            style = "other"
        links.append((link.a, link.b, style))
    legend = {
        "persona": _("{role} (at the centre)").format(role=s.role_label(n.role)),
        "exposed_found": _("exposed: found by an observer or a check"),
        "exposed_revealed": _("exposed: given away by a seized phone or log"),
        "at_risk": _("also at risk, not exposed"),
        "resident": _("neighbour, family or acquaintance"),
        "revealed": _("link a seized phone or log gave away"),
        "phone": _("link kept on a phone"),
        "family": _("same household"),
        "other": _("neighbours and acquaintances"),
    }
    svg = charts.network_chart(people, links, n.persona, legend)
    persona = next(p for p in n.people if p.id == n.persona)
    role = s.role_label(n.role)
    if persona.exposed_day is not None:
        which = _(
            "seed {seed}, run {k} of the {tried} tried, the first in which the {role} is exposed"
        ).format(seed=n.seed, k=n.attempt + 1, tried=n.tried, role=role)
    else:
        which = _(
            "seed {seed}; none of the {tried} runs tried exposes the {role}; this is the first"
        ).format(seed=n.seed, tried=n.tried, role=role)
    caption = _(
        "The {role}, everyone linked to the {role}, and {shown} of the people linked to them, in "
        "one simulated "
        "run ({which})."
    ).format(role=role, shown=sum(1 for p in n.people if p.hops == 2), which=which)
    if n.hidden:
        caption += " " + _("{n} more people two links away are left out.").format(n=n.hidden)
    by_id = {p.id: p for p in n.people}

    def who(p: Any) -> str:
        label = s.role_label(p.role)
        return _("{role} (at the centre)").format(role=label) if p.id == n.persona else label

    events = []
    for p in sorted(
        (p for p in n.people if p.exposed_day is not None),
        key=lambda p: (p.exposed_day, p.hops, p.id),
    ):
        if p.cause == "cascade":
            giver = by_id.get(p.revealed_by) if p.revealed_by is not None else None
            by = who(giver) if giver is not None else _("someone outside the picture")
            events.append(
                _(
                    "Day {day}: {who}, given away by the seized phone or the network's log of {by}."
                ).format(day=p.exposed_day, who=who(p), by=by)
            )
        else:
            events.append(
                _("Day {day}: {who}, exposed through {cause}.").format(
                    day=p.exposed_day, who=who(p), cause=mechanism_label(s, p.cause or "")
                )
            )
    if not events:
        events.append(_("Nobody in the picture is exposed in this run."))
    return svg, caption, events


def _workshop(s: Scenario, c: Comparison, scenario_spec: str, trace: str) -> list[dict[str, Any]]:
    role = s.role_label(c.role)
    g = c.baseline.results.roles[c.role]
    spec = shlex.quote(scenario_spec)
    cause = mechanism_label(s, next(iter(g.causes))) if g.causes else _("nothing in particular")
    steps: list[dict[str, Any]] = [
        {
            "phase": _("Activity"),
            "minutes": _("{n} min").format(n=10),
            "prompts": [
                _(
                    "Before any numbers, read the summary aloud and ask: how could the {role} be "
                    "found out here? "
                    "Write each idea on a card."
                ).format(role=role)
            ],
            "commands": [],
        },
        {
            "phase": _("Discussion"),
            "minutes": _("{n} min").format(n=15),
            "prompts": [
                _(
                    "Sort the cards under “From whom”. Which watchers or checks did nobody think "
                    "of?"
                ),
                _(
                    "Which habit of the {role} leaves the most traces, and which one the most "
                    "lasting ones?"
                ).format(role=role),
            ],
            "commands": [],
        },
        {
            "phase": _("Input"),
            "minutes": _("{n} min").format(n=10),
            "prompts": [
                _(
                    "Show “How likely”: within {horizon}, the {role} is exposed in {p} of runs, "
                    "most often through {cause}. "
                    "The band around each line is what the runs cannot rule out."
                ).format(horizon=horizon(s.days), role=role, p=exposure(g).value, cause=cause),
                _(
                    "Show “How bad” and the run up close: who else is exposed once the {role} is, "
                    "and through which link?"
                ).format(role=role),
            ],
            "commands": [f"exposure show {spec}"],
        },
        {
            "phase": _("Deepening"),
            "minutes": _("{n} min").format(n=20),
            "prompts": [
                _(
                    "In small groups, take one countermeasure each: what would it take to keep up "
                    "for a year? "
                    "Then check its effect and its cost in “What helps”."
                ),
                _(
                    "Change one number you doubt (the commands below) and see whether the ranking "
                    "of habits changes."
                ),
            ],
            "commands": [
                trace,
                f"exposure compare {spec} --combinations",
            ],
        },
    ]
    synthesis = [
        _(
            "Each person names the one or two habits worth their cost for the {role}, and what "
            "they would "
            "watch for. The numbers compare options; they are not verdicts."
        ).format(role=role)
    ]
    helping = [
        v for v in c.variants if v.delta[c.role].distinguishable and v.delta[c.role].p_exposed < 0
    ]
    if helping:
        best = helping[0]
        synthesis.insert(
            0,
            _(
                "In this scenario {name} protects the {role} most ({a} → {b}); its cost: {cost}"
            ).format(
                name=_variant_label(best),
                role=role,
                a=exposure(g).value,
                b=exposure(best.results.roles[c.role]).value,
                cost=" ".join(s.countermeasures[m].cost.strip() for m in best.members),
            ),
        )
    commands = (
        [f"exposure compare {spec} --budget 4"]
        if any(cm.effort is not None for cm in s.countermeasures.values())
        else []
    )
    steps.append(
        {
            "phase": _("Synthesis"),
            "minutes": _("{n} min").format(n=10),
            "prompts": synthesis,
            "commands": commands,
        }
    )
    if s.countermeasures:
        first = next(iter(s.countermeasures))
        steps[3]["commands"].insert(0, f"exposure run {spec} --countermeasure {first}")
    return steps


def _sources(s: Scenario, ranged: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "basis": _basis(src.basis),
            "basis_key": src.basis,
            "cite": src.cite.strip(),
            "url": src.url or "",
            "supports": list(src.supports),
            "backs": [parameter_words(s, key) for key in src.supports],
            "ranges": ranged.get(name, []),
        }
        for name, src in s.sources.items()
    ]


# ----------------------------------------------------------------------------- the document


def _inline(svg: str, prefix: str, label: str) -> Markup:
    """An SVG file's text fit for HTML: no XML prologue, ids unique on the page, scalable."""
    text = svg[svg.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, count=1, flags=re.DOTALL)
    text = re.sub(r'\sid="([^"]+)"', rf' id="{prefix}-\1"', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    head_end = text.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end])
    # The label is the only text put into the markup here, so escape it ourselves.
    head += f' role="img" aria-label="{Markup.escape(label)}"'
    return Markup(head + text[head_end:])


def build(data: ReportInput, scenario_spec: str) -> dict[str, Any]:
    """The report's content: plain text and SVG charts, ready for either template."""
    c = data.comparison
    loaded = c.baseline.loaded
    s = loaded.scenario
    results = c.baseline.results
    summaries = c.baseline.summaries
    curve_roles = _curve_roles(s, results.roles)
    ranged = range_lines(s, loaded.ranges)
    series = [
        (s.role_label(r), results.roles[r].curve, curve_band(summaries, s.role_names.index(r)))
        for r in curve_roles
    ]
    periods = [(camp.start, camp.end, s.campaign_label(name)) for name, camp in s.campaigns.items()]
    curves_svg = charts.exposure_curves_chart(
        series, s.days, periods, _("day"), _("share exposed so far")
    )
    cause_rows = [
        (s.role_label(r), [(mechanism_label(s, m), v) for m, v in results.roles[r].causes.items()])
        for r in curve_roles
        if results.roles[r].causes
    ]
    causes_svg = (
        charts.causes_chart(cause_rows, _("share of the group's exposures")) if cause_rows else ""
    )
    effect_roles = [c.role, *[r for r in curve_roles if r != c.role]]
    effects_svg = ""
    if c.variants:
        rows = [
            (
                _("{name} (effort {effort:g})").format(name=_variant_label(v), effort=v.effort)
                if v.effort is not None
                else _variant_label(v),
                [
                    (
                        v.delta[r].p_exposed,
                        v.delta[r].ci95[0],
                        v.delta[r].ci95[1],
                        v.delta[r].distinguishable,
                    )
                    for r in effect_roles
                ],
            )
            for v in c.variants
        ]
        effects_svg = charts.effects_chart(
            rows,
            [s.role_label(r) for r in effect_roles],
            _("change in the chance of exposure within {horizon}, percentage points").format(
                horizon=horizon(s.days)
            ),
            _("less exposure"),
            _("more exposure"),
            _("hollow: no clear effect"),
        )
    network_svg, picture_caption, events = _picture(s, data.picture)
    after = following(summaries, s, c.role)
    at_risk = [(name, role) for name, role in s.population.roles.items() if role.at_risk]
    at_risk_roles = {name for name, _role in at_risk}
    t = _texts()
    t["change"] = t["change"].format(role=s.role_label(c.role))
    t["exposed"] = t["exposed"].format(horizon=horizon(s.days))
    t["illustrative"] = illustrative()
    t["limits"] = leaves_out()
    t["depends"] = depends_heading()
    return {
        "t": t,
        "title": titled(c.baseline.loaded),
        "summary": s.summary.strip(),
        "context": s.context.strip(),
        "about": _(
            "{runs} simulated runs of {days} days, about {people} people each; seed {seed}."
        ).format(runs=results.runs, days=s.days, people=f"{results.people:,.0f}", seed=data.seed),
        # An objective is its text, or (with claims the simulation must bear out) a model holding
        # it.
        "objectives": [
            (o if isinstance(o, str) else o.text).strip() for o in s.learning_objectives
        ],
        "people_at_risk": [
            f"{r.count} × {s.role_label(n)}"
            + (f": {r.description.strip()}" if r.description.strip() else "")
            for n, r in at_risk
        ]
        or [_("The scenario marks no role as at risk; it follows everyone.")],
        "activities": [
            line
            for (name, a), line in zip(s.activities.items(), activity_lines(s))
            if a.who in at_risk_roles or not at_risk_roles
        ]
        or activity_lines(s),
        "channels": [_channel_line(s, name) for name in s.channels],
        "observers": observer_lines(s) or [_("Nobody.")],
        "checks": [*check_lines(s), *campaign_lines(s)] or [_("None.")],
        "adversary": adversary_lines(s),
        "sentences": [role_sentence(s, r, results.roles[r]) for r in curve_roles],
        "table": _table(s, results.roles, results.everyone, data.ranged),
        "ranged": bool(data.ranged),
        "ranged_note": "" if data.ranged is None else _ranged_note(data.ranged, results.runs),
        "curves_svg": curves_svg,
        "causes_svg": causes_svg,
        "bad": _bad_lines(s, c, after, (results.collateral_mean, results.collateral_p95)),
        "bad_sources": [
            src
            for src in _sources(s, ranged)
            if any(k.startswith("adversary") for k in src["supports"])
        ],
        "helps": _helps(s, c, data.ranged),
        "limits": [limit.strip() for limit in s.limits],
        "conditions": conditional_claims(s),
        "effects_svg": effects_svg,
        "network_svg": network_svg,
        "picture_caption": picture_caption,
        "events": events,
        "picture_command": [data.trace_command],
        "workshop": _workshop(s, c, scenario_spec, data.trace_command),
        "sources": _sources(s, ranged),
        "unsourced_ranges": ranged.get("", []),
        "footer": {
            "version": __version__,
            "seed": str(data.seed),
            "runs": str(results.runs),
            "scenario": f"{s.name} ({loaded.display_path})",
            "sha256": loaded.sha256,
            "command": data.command,
        },
    }


def _fence(lines: list[str]) -> Markup:
    """Lines as a fenced code block whose fence no line can close."""
    text = "\n".join(str(line) for line in lines)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return Markup(f"{fence}\n{text}\n{fence}")


def html_environment() -> jinja2.Environment:
    """The HTML templates' environment: autoescape, and Latin text isolated on a right-to-left
    page; shared by the report and the cards."""
    return _environment(markdown=False)


def _environment(markdown: bool) -> jinja2.Environment:
    loader = jinja2.PackageLoader("simulator.report", "templates")
    if markdown:
        env = jinja2.Environment(
            loader=loader,
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            finalize=_markdown_safe,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["fence"] = _fence
        return env
    return jinja2.Environment(
        loader=loader,
        autoescape=True,
        finalize=_isolated if right_to_left() else None,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


# A run of Latin script (words, Latin digits and what joins them) inside right-to-left text.
_LATIN_RUN = re.compile(r"`[^`]*`|[A-Za-z0-9][A-Za-z0-9 .,:;_'’/+\-–%()]*[A-Za-z0-9%)]|[A-Za-z0-9]")
_RIGHT_TO_LEFT_LETTER = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def _isolated(value: Any) -> Any:
    """Text for a right-to-left page: Latin text isolated (<bdi>), so that its punctuation and
    numbers stay with it instead of being reordered by the text around it. A text with no
    right-to-left letter (one not yet translated) is isolated whole, left to right."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    if not _RIGHT_TO_LEFT_LETTER.search(value):
        if not re.search(r"[A-Za-z]", value):
            return value  # a number, a symbol: nothing to isolate
        return Markup('<bdi dir="ltr">{}</bdi>').format(value)
    value = finish(value)  # Persian commas and semicolons
    out: list[str] = []
    at = 0
    for match in _LATIN_RUN.finditer(value):
        if match.group().isdigit():
            continue  # a bare number needs no isolation
        if match.group().startswith("`"):  # a command or key: one left-to-right unit, unbroken
            code = Markup.escape(match.group().strip("`"))
            out += [str(Markup.escape(value[at : match.start()])), f'<code dir="ltr">{code}</code>']
            at = match.end()
            continue
        out += [
            str(Markup.escape(value[at : match.start()])),
            f"<bdi>{Markup.escape(match.group())}</bdi>",
        ]
        at = match.end()
    out.append(str(Markup.escape(value[at:])))
    return Markup("".join(out))


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def _markdown_safe(value: Any) -> Any:
    """Scenario text made inert in Markdown: no raw HTML, no links or code, one line."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    text = " ".join(value.split())
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    text = no_html(text).replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_html(data: ReportInput, scenario_spec: str) -> str:
    """The report as one self-contained HTML file: inline SVG and CSS, no script, no fetches."""
    context = build(data, scenario_spec)
    context["title_text"] = Markup.escape(context["title"])  # <title> holds text, never markup
    for key, label in (
        ("curves_svg", context["t"]["likely"]),
        ("causes_svg", context["t"]["causes"]),
        ("effects_svg", context["t"]["helps"]),
        ("network_svg", context["t"]["one_run"]),
    ):
        prefix = key.split("_")[0]
        context[key] = _inline(context[key], prefix, label) if context[key] else ""
    return _environment(markdown=False).get_template("report.html.j2").render(context)


def render_markdown(data: ReportInput, scenario_spec: str, output: str) -> dict[Path, str]:
    """The report as Markdown, its charts as SVG files beside it (charts first, the report last)."""
    context = build(data, scenario_spec)
    files: dict[Path, str] = {}
    images = {}
    for chart, key in zip(CHARTS, ("curves_svg", "causes_svg", "effects_svg", "network_svg")):
        path = chart_path(output, chart)
        if context[key]:
            files[path] = context[key]
            images[chart] = Markup(urllib.parse.quote(path.name))
    context["images"] = images
    files[Path(output)] = _environment(markdown=True).get_template("report.md.j2").render(context)
    return files


def render(data: ReportInput, scenario_spec: str, output: str) -> dict[Path, str]:
    """Every file of the report, by path, in the order to write them."""
    if report_format(output) == "html":
        return {Path(output): render_html(data, scenario_spec)}
    return render_markdown(data, scenario_spec, output)
