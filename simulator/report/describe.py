"""A scenario in plain words: who lives there, what they do, who watches, what helps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.i18n import _
from simulator.personas import tabletop_role
from simulator.report.objectives import objective_claims
from simulator.report.story import check_phrase
from simulator.report.words import horizon, leaves_out, share
from simulator.scenario.model import EVERYONE, Observer, Scenario, objective_text


def _times(n: float, once: str, many: str) -> str:
    n = round(n, 1)
    return once if n == 1 else many.format(n=f"{n:g}")


def _freq(daily: float) -> str:
    if daily >= 1.0:
        return _("every day")
    per_week = daily * 7
    if per_week >= 1:
        return _times(per_week, _("once a week"), _("{n} times a week"))
    per_month = daily * 30
    if per_month >= 1:
        return _times(per_month, _("once a month"), _("{n} times a month"))
    return _times(daily * 365, _("about once a year"), _("about {n} times a year"))


def _every(days: int) -> str:
    return _("every day") if days == 1 else _("every {n} days").format(n=days)


def _who(s: Scenario, role: str) -> str:
    if role == EVERYONE:
        return _("everyone")
    return s.role_label(role)


def _observer_line(s: Scenario, name: str, o: Observer) -> str:
    label = s.observer_label(name)
    if o.kind == "leader":
        where = _("{n} in every {unit}, watching its households").format(
            n=o.count_per_unit, unit=s.population.unit_label
        )
    elif o.kind == "informant":
        if o.density is not None:
            where = _("{p} of residents, secretly, watching the people they know").format(
                p=share(o.density)
            )
        else:
            where = _("{n} per {unit}, secretly, watching the people they know").format(
                n=o.count_per_unit, unit=s.population.unit_label
            )
    elif o.kind == "operator":
        where = _("logs who contacts whom on {channels}").format(channels=", ".join(o.channels))
    elif o.kind == "direction_finding":
        if o.fix_minutes is not None:
            where = _(
                "locates a transmitting phone: a call of m minutes is found with chance (1 − "
                "e^(−m/{tau:g})) × {cov}"
            ).format(tau=o.fix_minutes, cov=share(o.coverage))
        else:
            where = _("locates a transmitting phone")
    else:
        where = _("may notice anyone")
    notices = ", ".join(f"{k} {share(v)}" for k, v in o.notice.items())
    line = f"{label}: {where}"
    if notices:
        line += _("; notices {notices}").format(notices=notices)
    line += _("; reports {p} of what it notices").format(p=share(o.reports))
    if o.weight is not None:
        line += _("; each report adds {w:g} suspicion").format(w=o.weight)
    if o.bribe is not None:
        line += _("; takes a bribe of {price:g} {cur} {p} of the time").format(
            price=o.bribe.price, cur=o.bribe.currency, p=share(o.bribe.accepts)
        )
        if o.bribe.reports_offer:
            line += _(", and reports {p} of the bribes it turns down as attempted bribery").format(
                p=share(o.bribe.reports_offer)
            )
        if o.bribe.extorts:
            line += _(
                "; of the occurrences that offer nothing, demands {price:g} {cur} for {p} of those "
                "it would report and holds the report instead"
            ).format(p=share(o.bribe.extorts), price=o.bribe.demanded, cur=o.bribe.currency)
            if o.bribe.passes_on:
                line += _(
                    ", passing it on with a chance of {p} a day, or when it reports one of the "
                    "people again"
                ).format(p=share(o.bribe.passes_on))
            else:
                line += _(", passing it on only when it reports one of the people again")
    for check, tip in o.tips.items():
        if tip.within == 1:
            when = _("the next day")
        else:
            when = _("1 to {days} days later").format(days=tip.within)
        line += _(
            "; {p} of its reports send {check} to the homes of the people named, {when}"
        ).format(p=share(tip.chance), check=check_phrase(s, check), when=when)
    return line + "."


def activity_lines(s: Scenario) -> list[str]:
    """What people do, one plain line per activity."""
    out = []
    for name, a in s.activities.items():
        label = s.activity_label(name)
        bits = [_freq(a.daily)]
        channel = s.activity_channel(name)
        if channel:
            bits.append(_("over {channel}").format(channel=s.channel_label(channel)))
        if a.with_ in s.groups:
            bits.append(_("in {group}").format(group=s.group_label(a.with_)))
        elif a.with_:
            bits.append(
                _("with a {who}").format(
                    who=_who(s, a.with_) if a.with_ != "contact" else _("contact")
                )
            )
        if a.minutes:
            bits.append(_("{m:g} minutes").format(m=a.minutes))
        if a.nights:
            bits.append(_("{n} nights").format(n=a.nights))
        if a.registers:
            bits.append(_("registered {p} of the time").format(p=share(a.registers)))
        if a.offers_bribe:
            bits.append(_("offers a bribe when noticed"))
        out.append(f"{_who(s, a.who)}: {label} ({', '.join(bits)}).")
    return out


def group_lines(s: Scenario) -> list[str]:
    """The group chats, one plain line each."""
    out = []
    for name, g in s.groups.items():
        who = [_("{role} (in every chat)").format(role=s.role_label(r)) for r in g.admins]
        who += [s.role_label(r) for r in g.members]
        line = _("{group}, on {channel}: {who}").format(
            group=s.group_label(name),
            channel=s.channel_label(g.channel),
            who=", ".join(who),
        )
        if g.cell_size is not None:
            line += _("; members split into chats of at most {n}").format(n=g.cell_size)
        out.append(line + ".")
    return out


def observer_lines(s: Scenario) -> list[str]:
    """Who watches, one plain line per observer."""
    return [_observer_line(s, n, o) for n, o in s.observers.items()]


def check_lines(s: Scenario) -> list[str]:
    """The checks and campaigns, one plain line each."""
    out = []
    for name, c in s.checks.items():
        label = s.check_label(name)
        when = _every(c.every) if c.every else _freq(c.daily)
        scope = c.scope if isinstance(c.scope, str) else ", ".join(s.role_label(r) for r in c.scope)
        if c.every and c.coverage < 1.0:
            scope = _("{share} of {scope}").format(share=share(c.coverage), scope=scope)
        finds = ", ".join(f"{(s.states[k].label or k)} {share(v)}" for k, v in c.finds.items())
        line = f"{label}: {when}, {scope}; " + _("finds {finds}").format(finds=finds)
        if c.weight is not None:
            line += _("; each find adds {w:g} suspicion").format(w=c.weight)
        out.append(line + ".")
    return out


def campaign_lines(s: Scenario) -> list[str]:
    """Periods of heavier surveillance, one plain line each."""
    out = []
    for name, camp in s.campaigns.items():
        label = s.campaign_label(name)
        mult = ", ".join(
            [f"{k} ×{v:g}" for k, v in camp.multiply.items()]
            + [
                _("bribes taken by {observer} ×{factor:g}").format(observer=k, factor=v)
                for k, v in camp.bribes.items()
            ]
        )
        out.append(
            _("Campaign {label}: days {a}–{b}, {mult}.").format(
                label=label, a=camp.start, b=camp.end, mult=mult
            )
        )
    return out


def adversary_lines(s: Scenario) -> list[str]:
    """How the adversary turns what it learns into investigations, in plain sentences."""
    adv = s.adversary
    out = [
        _(
            "A person is investigated once suspicion reaches {t:g}: a report adds {r:g}, a "
            "check's find {f:g}, a registration record {g:g}, being revealed by someone's phone "
            "{c:g}."
        ).format(
            t=adv.threshold,
            r=adv.weights.reports,
            f=adv.weights.finds,
            g=adv.weights.registration,
            c=adv.weights.cascade,
        )
    ]
    out.append(_("A seized phone is unlocked {p} of the time.").format(p=share(adv.unlock)))
    if adv.decay is not None:
        out.append(_("Suspicion halves every {d:g} days.").format(d=adv.decay.half_life))
    return out


def _value(dump: Any, key: str) -> Any:
    for part in key.split("."):
        dump = dump[int(part)] if isinstance(dump, list) else dump[part]
    return dump


def range_lines(s: Scenario, ranges: Mapping[str, tuple[float, float]]) -> dict[str, list[str]]:
    """Each ranged value with its range, grouped by the source supporting it ("" if none).

    A range justifies an estimate, so a key backed by several sources is listed under the first
    estimate among them.
    """
    dump = s.model_dump(by_alias=True)
    out: dict[str, list[str]] = {}
    for key, (low, high) in ranges.items():
        backing = [
            name
            for name, src in s.sources.items()
            if any(key == k or key.startswith(f"{k}.") for k in src.supports)
        ]
        estimates = [name for name in backing if s.sources[name].basis == "estimate"]
        owner = (estimates or backing or [""])[0]
        line = _("{key}: {value:g} (sourced range {low:g}–{high:g})").format(
            key=key, value=_value(dump, key), low=low, high=high
        )
        out.setdefault(owner, []).append(line)
    return out


def describe(s: Scenario, ranges: Mapping[str, tuple[float, float]] | None = None) -> str:
    """The scenario as plain text for learners and trainers, with each sourced range if given."""
    pop = s.population
    hh_lo, hh_hi = pop.households_per_unit
    sz_lo, sz_hi = pop.household_size
    hh = f"{hh_lo}" if hh_lo == hh_hi else f"{hh_lo}–{hh_hi}"
    sz = f"{sz_lo}" if sz_lo == sz_hi else f"{sz_lo}–{sz_hi}"
    out: list[str] = [s.title, "=" * len(s.title), "", s.summary.strip(), ""]
    if s.context.strip():
        out += [s.context.strip(), ""]
    out += [_("Who lives there"), "-" * len(_("Who lives there"))]
    out.append(
        _(
            "{units} {unit}s of {hh} households, {sz} people per household; followed for {horizon}."
        ).format(units=pop.units, unit=pop.unit_label, hh=hh, sz=sz, horizon=horizon(s.days))
    )
    for name, role in pop.roles.items():
        desc = f": {role.description.strip()}" if role.description.strip() else ""
        out.append(f"- {role.count} × {s.role_label(name)}{desc}")
    if s.groups:
        out += ["", _("Group chats"), "-" * len(_("Group chats"))]
        out += [f"- {line}" for line in group_lines(s)]
    out += ["", _("What they do"), "-" * len(_("What they do"))]
    out += [f"- {line}" for line in activity_lines(s)]
    out += ["", _("Who watches"), "-" * len(_("Who watches"))]
    out += [f"- {line}" for line in observer_lines(s)] or [_("Nobody.")]
    out += ["", _("Checks"), "-" * len(_("Checks"))]
    out += [f"- {line}" for line in check_lines(s)]
    if not s.checks:
        out.append(_("None."))
    out += [f"- {line}" for line in campaign_lines(s)]
    out += ["", _("The adversary"), "-" * len(_("The adversary"))]
    out += adversary_lines(s)
    out += ["", _("What helps"), "-" * len(_("What helps"))]
    for name, cm in s.countermeasures.items():
        out.append(
            f"- {cm.label or name} ({name}): {cm.description.strip()} "
            + _("Cost: {cost}").format(cost=cm.cost.strip())
        )
    if s.exercise is not None:
        ex = s.exercise
        persona = tabletop_role(s)
        out += ["", _("Tabletop exercise"), "-" * len(_("Tabletop exercise"))]
        out.append(
            _(
                "Play the {role} for {turns} turns of {days} days, choosing each turn among: "
                "{choices} (`exposure exercise {name}`)."
            ).format(
                role=s.role_label(persona),
                turns=ex.turn_count(s.days),
                days=ex.turn_days,
                choices="; ".join(c.label for c in ex.choices),
                name=s.name,
            )
        )
    if s.learning_objectives:
        out += ["", _("Learning objectives"), "-" * len(_("Learning objectives"))]
        for objective in s.learning_objectives:
            out.append(f"- {objective_text(objective).strip()}")
            out += [
                "  " + _("Checked: {claim}.").format(claim=claim)
                for claim in objective_claims(s, objective)
            ]
    if s.limits:
        out += ["", leaves_out(), "-" * len(leaves_out())]
        out += [f"- {limit.strip()}" for limit in s.limits]
    if s.sources:
        out += ["", _("Sources"), "-" * len(_("Sources"))]
        ranged = range_lines(s, ranges or {})
        for name, src in s.sources.items():
            out.append(f"- [{src.basis}] {src.cite.strip()}")
            out += [f"  - {line}" for line in ranged.get(name, [])]
        out += [f"- {line}" for line in ranged.get("", [])]
    return "\n".join(out) + "\n"
