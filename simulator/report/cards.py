"""Printable cards for a tabletop without a laptop per team: one HTML file, ready for paper.

Persona cards (one per role at risk), habit cards (one per countermeasure, with its cost and its
paired effect from a `compare`-style simulation), event cards (one per observer, check and
campaign) and a facilitator sheet (the timing of a session, the debrief questions, what the model
leaves out). Every word comes from the scenario through the wording helpers of `describe` and
`words`, through `_`; the template only arranges it. Scenario text is untrusted: the template
escapes everything (autoescape), like the report's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from simulator import __version__
from simulator.analysis.compare import Comparison, Delta, Variant
from simulator.errors import UsageError
from simulator.i18n import _, ngettext
from simulator.report.describe import activity_lines, campaign_lines, check_lines, observer_lines
from simulator.report.handout import html_environment, page_attributes, ranged_change
from simulator.report.output import STDOUT, Output
from simulator.report.words import (
    change,
    exposure,
    few_runs,
    horizon,
    illustrative,
    leaves_out,
    no_change,
    pts,
    titled,
    with_article,
)
from simulator.scenario.model import EVERYONE, Scenario, plain_name

if TYPE_CHECKING:  # made only by `cards --uncertainty`, which imports scipy for it
    from simulator.analysis.uncertainty import RangedComparison

SUFFIXES = (".html", ".htm")


def check_writable(output: str, force: bool) -> Output:
    """The cards' output, refused before any work if it may not be written (Output.check)."""
    if output != STDOUT and Path(output).suffix.lower() not in SUFFIXES:
        raise UsageError(
            f"{output}: cards are written as one .html file (got "
            f"{Path(output).suffix or 'no suffix'})"
        )
    target = Output(output, force=force)
    target.check()
    return target


@dataclass(frozen=True)
class CardsInput:
    """Everything the cards are made from."""

    comparison: Comparison
    seed: int
    command: str
    ranged: RangedComparison | None = None  # over the sourced ranges, with --uncertainty N


# ----------------------------------------------------------------------------- persona cards


def _without_prefix(line: str, prefix: str) -> str:
    """A describe line without the name it starts with ("source: visits …" -> "visits …")."""
    head = f"{prefix}: "
    return line[len(head) :] if line.startswith(head) else line


def _links(s: Scenario, role: str) -> list[str]:
    """Who a role is linked to, in plain words: ties, household, neighbours, group chats."""
    out = []
    for tie in s.contacts.ties:
        if role not in (tie.from_, tie.to):
            continue
        other = s.role_label(tie.to if tie.from_ == role else tie.from_)
        channel = s.channels.get(tie.channel) if tie.channel is not None else None
        if channel is None:
            out.append(_("{other}: no device records the link").format(other=other))
        elif channel.kind == "in_person":
            out.append(_("{other}, face to face: no device records the link").format(other=other))
        else:
            words = {
                "other": other,
                "channel": with_article(s.channel_label(tie.channel or ""), "the"),
            }
            if channel.keeps_contacts:
                out.append(_("{other}, over {channel}, saved in its contacts").format(**words))
            else:
                out.append(_("{other}, over {channel}").format(**words))
    c = s.contacts
    unit = s.population.unit_label
    if c.household is not None:
        out.append(_("the people of their household"))
    if c.neighbours is not None:
        out.append(_("neighbours in their {unit}").format(unit=unit))
    if c.across_units is not None:
        out.append(_("acquaintances beyond their own {unit}").format(unit=unit))
    if c.random is not None:
        out.append(_("acquaintances anywhere in the town"))
    for name, g in s.groups.items():
        if role in g.members or role in g.admins:
            out.append(_("the group chat “{group}”").format(group=s.group_label(name)))
    return out


def _persona_card(s: Scenario, role: str) -> dict[str, Any]:
    spec = s.population.roles[role]
    does = [
        _without_prefix(line, s.role_label(a.who) if a.who != EVERYONE else _("everyone"))
        for (_name, a), line in zip(s.activities.items(), activity_lines(s))
        if a.who in (role, EVERYONE)
    ]
    return {
        "kind": "persona",
        "kind_label": _("Persona"),
        "title": s.role_label(role),
        "count": ngettext(
            "{n} person like this in the town", "{n} people like this in the town", spec.count
        ).format(n=spec.count),
        "description": spec.description.strip(),
        "does": does,
        "links": _links(s, role),
    }


# ----------------------------------------------------------------------------- habit cards


def _effect(s: Scenario, g_before: Any, g_after: Any, d: Delta) -> dict[str, str]:
    """One role's paired change with a habit: from, to, the change in points and its interval."""
    f = change(d.p_exposed, d.ci95)
    if d.same_outcome:
        text = no_change(None if d.unchanged else s.days)
    else:
        text = _("{d} ({interval})").format(d=pts(f.value), interval=f.interval)
        if not d.distinguishable:
            text += " — " + _("no clear effect")
    return {
        "before": exposure(g_before).value,
        "after": exposure(g_after).value,
        "change": text,
        "style": "clear" if d.distinguishable and not d.same_outcome else "unclear",
    }


def _habit_card(
    s: Scenario, c: Comparison, v: Variant, ranged: RangedComparison | None
) -> dict[str, Any]:
    cms = [s.countermeasures[m] for m in v.members]
    roles = [r for r in c.baseline.results.roles if s.at_risk(r)] or [c.role]
    effects = [
        {
            "role": s.role_label(r),
            **_effect(s, c.baseline.results.roles[r], v.results.roles[r], v.delta[r]),
        }
        for r in roles
        if r in v.delta
    ]
    spread = ""
    if ranged is not None and v.name in ranged.changes.roles:
        spread = ranged_change(s, v, ranged)[1]
    return {
        "kind": "habit",
        "kind_label": _("Habit"),
        "title": " + ".join(cm.label or plain_name(m) for cm, m in zip(cms, v.members)),
        "description": " ".join(cm.description.strip() for cm in cms),
        "cost": " ".join(cm.cost.strip() for cm in cms),
        "effort": "" if v.effort is None else f"{v.effort:g}",
        "effects": effects,
        "spread": spread,
    }


# ----------------------------------------------------------------------------- event cards


def _event_cards(s: Scenario) -> list[dict[str, Any]]:
    cards = []
    for name, line in zip(s.observers, observer_lines(s)):
        label = s.observer_label(name)
        cards.append(
            {
                "kind": "observer",
                "kind_label": _("Who watches"),
                "title": label,
                "text": _without_prefix(line, label),
            }
        )
    for name, line in zip(s.checks, check_lines(s)):
        label = s.check_label(name)
        cards.append(
            {
                "kind": "check",
                "kind_label": _("Check"),
                "title": label,
                "text": _without_prefix(line, label),
            }
        )
    for name, line in zip(s.campaigns, campaign_lines(s)):
        cards.append(
            {
                "kind": "campaign",
                "kind_label": _("Campaign"),
                "title": s.campaign_label(name),
                "text": line,
            }
        )
    return cards


# ----------------------------------------------------------------------------- facilitator sheet

# The session the cards are made for: (phase, minutes); the total is what the sheet says.
PLAN_MINUTES = (10, 10, 20, 20, 10, 20)


def _plan(s: Scenario, role: str) -> list[dict[str, str]]:
    """The timing of a card session, phase by phase."""
    steps = [
        (
            _("Opening"),
            _(
                "Read the summary aloud. Agree the ground rules: pseudonyms and roles only, no "
                "real names or cases, and anyone may sit out or step away at any time."
            ),
        ),
        (
            _("Personas"),
            _(
                "Each team takes a persona card and lists what in that person's days could give "
                "them away, and whom they could give away."
            ),
        ),
        (
            _("Who watches"),
            _(
                "Turn the event cards over one at a time. For each, teams say which habit of "
                "their persona it could notice, and how often."
            ),
        ),
        (
            _("Habits"),
            _(
                "Teams choose two habit cards they could keep up for {horizon} and say what each "
                "would cost them; then they read the model's effect on the card, for the {role} "
                "and for the others."
            ).format(horizon=horizon(s.days), role=s.role_label(role)),
        ),
        (
            _("Break"),
            _("A real break, away from the table. Nobody has to come back to the game."),
        ),
        (
            _("Debrief"),
            _(
                "The questions below, feelings first, then the facts. End with what each person "
                "takes home."
            ),
        ),
    ]
    return [
        {"phase": phase, "minutes": _("{n} min").format(n=n), "what": what}
        for (phase, what), n in zip(steps, PLAN_MINUTES)
    ]


def _questions(s: Scenario, c: Comparison) -> list[str]:
    """The debrief questions, the scenario's own figures in them where they prompt a question."""
    role = s.role_label(c.role)
    g = c.baseline.results.roles[c.role]
    questions = [
        _("How do you feel after this game? What was hard to hear?"),
        _("Which card surprised you most, and why?"),
    ]
    helping = [
        v for v in c.variants if v.delta[c.role].distinguishable and v.delta[c.role].p_exposed < 0
    ]
    if helping:
        best = helping[0]
        d = change(best.delta[c.role].p_exposed, best.delta[c.role].ci95)
        questions.append(
            _(
                "In this model “{habit}” protects the {role} most ({a} → {b} within {horizon}; "
                "{d}, 95% interval {interval} points). What would it cost to keep up, and for "
                "whom?"
            ).format(
                habit=_habit_card(s, c, best, None)["title"],
                role=role,
                a=exposure(g).value,
                b=exposure(best.results.roles[c.role]).value,
                horizon=horizon(s.days),
                d=pts(d.value),
                interval=d.interval,
            )
        )
    raised = [
        (v, r)
        for v in c.variants
        for r, d in v.delta.items()
        if s.at_risk(r) and d.distinguishable and d.p_exposed > 0
    ]
    for v, r in raised[:2]:
        d = change(v.delta[r].p_exposed, v.delta[r].ci95)
        questions.append(
            _(
                "In this model “{habit}” raises the exposure of the {role} ({d}, 95% interval "
                "{interval} points). How can a protective habit shift the risk to someone else, "
                "or to later?"
            ).format(
                habit=_habit_card(s, c, v, None)["title"],
                role=s.role_label(r),
                d=pts(d.value),
                interval=d.interval,
            )
        )
    unclear = [v for v in c.variants if not v.delta[c.role].distinguishable]
    if unclear:
        questions.append(
            _(
                "Some habits show no clear effect for the {role} here, such as “{habit}”. Are "
                "they useless, or does the model leave out what they protect?"
            ).format(role=role, habit=_habit_card(s, c, unclear[0], None)["title"])
        )
    questions += [
        _(
            "Which figure would you doubt, and what would change your mind? Read what this model "
            "leaves out."
        ),
        _("What will you do differently, and what will you leave here in this room?"),
    ]
    return questions


# ----------------------------------------------------------------------------- the document


def _texts() -> dict[str, str]:
    """Headings and fixed words of the cards."""
    return {
        **page_attributes(),
        "cards": _("Cards"),
        "does": _("What they do"),
        "links": _("Linked to"),
        "cost": _("What it costs"),
        "effort": _("Effort"),
        "effect": _(
            "Exposed within {horizon}: without → with this habit; the change in points (95% "
            "interval)"
        ),
        "sheet": _("Facilitator sheet"),
        "timing": _("Timing of the session"),
        "phase": _("Phase"),
        "minutes": _("Time"),
        "what": _("What happens"),
        "total": _("Total"),
        "questions": _("Debrief questions"),
        "limits": leaves_out(),
        "no_limits": _(
            "The scenario names no limits; ask the room what a model of a town must leave out."
        ),
        "illustrative": illustrative(),
        "not_a_verdict": _(
            "The figures compare options; they are not verdicts on anyone's choices, and never a "
            "prediction for a person in the room."
        ),
        "reproduce": _("These cards were printed with:"),
        "version": _("Exposure version"),
    }


def build(data: CardsInput) -> dict[str, Any]:
    """The cards' content: plain text, ready for the template."""
    c = data.comparison
    loaded = c.baseline.loaded
    s = loaded.scenario
    results = c.baseline.results
    at_risk = [name for name, role in s.population.roles.items() if role.at_risk]
    t = _texts()
    t["effect"] = t["effect"].format(horizon=horizon(s.days))
    plan = _plan(s, c.role)
    return {
        "t": t,
        "title": titled(loaded),
        "summary": s.summary.strip(),
        "about": _(
            "{runs} simulated runs of {days} days, about {people} people each; seed {seed}."
        ).format(runs=results.runs, days=s.days, people=f"{results.people:,.0f}", seed=data.seed),
        "few_runs": few_runs(results.runs) or "",
        "personas": [_persona_card(s, r) for r in at_risk],
        "habits": [_habit_card(s, c, v, data.ranged) for v in c.variants],
        "events": _event_cards(s),
        "plan": plan,
        "total": _("{n} min").format(n=sum(PLAN_MINUTES)),
        "questions": _questions(s, c),
        "limits": [limit.strip() for limit in s.limits],
        "command": data.command,
        "version": __version__,
    }


def render_html(data: CardsInput) -> str:
    """The cards as one self-contained HTML file: inline CSS, no script, no fetches."""
    context = build(data)
    context["title_text"] = Markup.escape(context["title"])  # <title> holds text, never markup
    return html_environment().get_template("cards.html.j2").render(context)
