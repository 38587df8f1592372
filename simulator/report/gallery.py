"""The scenario gallery (docs/scenarios.md): every bundled scenario on one page, from its file.

Regenerate it with `exposure gallery -o docs/scenarios.md --force`; a test keeps the page in sync.
"""

from __future__ import annotations

import re

from simulator.i18n import _
from simulator.report.grid import no_html
from simulator.report.objectives import objective_claims
from simulator.report.words import horizon, leaves_out
from simulator.scenario import bundled_names, load
from simulator.scenario.model import Scenario, expected_people, objective_text

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(])")


def story(summary: str, sentences: int = 2) -> str:
    """The first sentences of a summary, as the gallery's short story."""
    parts = _SENTENCE_END.split(" ".join(summary.split()))
    return " ".join(parts[:sentences])


def md(text: str) -> str:
    """Text made safe for Markdown: no HTML, no table breaks, no stray emphasis."""
    text = " ".join(text.split())
    for plain, safe in (
        ("&", "&amp;"),
        (">", "&gt;"),
        ("|", "\\|"),
        ("*", "\\*"),
        ("_", "\\_"),
    ):
        text = text.replace(plain, safe)
    return no_html(text)


def _about(people: float) -> str:
    rounded = int(round(people, -2)) if people >= 1000 else int(round(people, -1))
    return f"{rounded:,}"


def section(s: Scenario) -> list[str]:
    """One scenario's section: story, roles, objectives with their claims, sources."""
    out = [f"## {s.name}", ""]
    facts = [md(s.title)]
    if s.place:
        facts.append(md(s.place))
    facts.append(_("about {n} people").format(n=_about(expected_people(s))))
    facts.append(_("followed for {horizon}").format(horizon=horizon(s.days)))
    out += [f"**{facts[0]}** · " + " · ".join(facts[1:]) + f" · `exposure show {s.name}`", ""]
    out += [md(story(s.summary)), ""]
    if s.population.roles:
        out += ["**" + _("Roles") + "**", ""]
        for name, role in s.population.roles.items():
            risk = _(", at risk") if role.at_risk else ""
            desc = f": {md(role.description)}" if role.description.strip() else ""
            out.append(f"- {md(s.role_label(name))} ({role.count}{risk}){desc}")
        out.append("")
    if s.learning_objectives:
        out += ["**" + _("Learning objectives") + "**", ""]
        for objective in s.learning_objectives:
            out.append(f"- {md(objective_text(objective))}")
            for claim in objective_claims(s, objective):
                out.append("  - " + _("checked: {claim}").format(claim=md(claim)))
        out.append("")
    if s.limits:
        out += ["**" + leaves_out() + "**", ""]
        out += [f"- {md(limit)}" for limit in s.limits]
        out.append("")
    if s.sources:
        out += ["**" + _("Sources") + "**", ""]
        for src in s.sources.values():
            out.append(f"- [{src.basis}] {md(src.cite)}")
        out.append("")
    return out


def render_gallery(names: list[str] | None = None) -> str:
    """The gallery page in Markdown for the given bundled scenarios (default: all of them)."""
    scenarios = [load(name).scenario for name in (names if names is not None else bundled_names())]
    out = [
        "# " + _("Scenario gallery"),
        "",
        _(
            "The bundled scenarios: for each, its story in two sentences, the people in it, what "
            "learners "
            'should take away, and where its numbers come from. Objectives marked "checked" carry '
            "claims "
            "that `exposure validate --check-objectives` simulates and tests. Start your own from "
            "any of "
            "them with `exposure new NAME --from SCENARIO`."
        ),
        "",
        _(
            "This page is generated from the scenario files by `exposure gallery -o "
            "docs/scenarios.md --force`; "
            "do not edit it by hand."
        ),
        "",
        "| " + " | ".join([_("Scenario"), _("Title"), _("Place"), _("People"), _("Days")]) + " |",
        "|---|---|---|---:|---:|",
    ]
    for s in scenarios:
        out.append(
            f"| [{s.name}](#{s.name}) | {md(s.title)} | {md(s.place) or '—'} | "
            f"{_about(expected_people(s))} | {s.days} |"
        )
    out.append("")
    for s in scenarios:
        out += section(s)
    return "\n".join(out).rstrip("\n") + "\n"
