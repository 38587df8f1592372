"""A scenario in plain words: who lives there, what they do, who watches, what helps."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from simulator.i18n import _, ngettext
from simulator.personas import tabletop_role
from simulator.report.grid import rule
from simulator.report.objectives import objective_claims
from simulator.report.words import (
    basis_word,
    check_phrase,
    horizon,
    leaves_out,
    parameter_words,
    share,
    with_article,
)
from simulator.scenario.model import EVERYONE, Observer, Scenario, objective_text, plain_name


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


def _trace(kind: str) -> str:
    """What a trace is, as something an observer notices."""
    words = {
        "behaviour": _("odd behaviour"),
        "presence": _("a visitor"),
        "travel": _("a journey"),
        "metadata": _("a message in its log"),
        "radio": _("a radio signal"),
    }
    return words.get(kind, kind)


def _of_the_time(p: float) -> str:
    """A chance as read aloud: 'every time', 'never', '15% of the time'."""
    if p >= 1.0:
        return _("every time")
    if p <= 0.0:
        return _("never")
    return _("{p} of the time").format(p=share(p))


def times_as(x: float) -> str:
    """A multiplier in words: 'twice', '5 times', 'half', '1.5 times'."""
    if x == 2:
        return _("twice")
    if x == 0.5:
        return _("half")
    if x == 0:
        return _("none")
    return _("{x:g} times").format(x=x)


def starts(s: Scenario, weight: float, one: str, many: str) -> str:
    """How much evidence of one kind starts an investigation, from its weight and the threshold:
    'one report starts an investigation', 'it takes 2 reports to start an investigation'.

    Where suspicion fades (a half-life), several pieces reach the threshold only close together:
    the sentence says so, and how soon a piece counts half.
    """
    if weight <= 0:
        return _("{many} count for nothing").format(many=many)
    n = _pieces(weight, s.adversary.threshold)
    if n <= 1:
        return _("one {one} starts an investigation").format(one=one)
    window = _window(s, weight, n)
    if window is not None and s.adversary.decay is not None:
        d = half_life_words(s.adversary.decay.half_life)
        if window == 0:
            return _(
                "it takes {n} {many} on the same day to start an investigation, or more if they "
                "are days apart (each counts half after {d})"
            ).format(n=n, many=many, d=d)
        return ngettext(
            "it takes {n} {many} within {days} day to start an investigation, or more if they "
            "are further apart (each counts half after {d})",
            "it takes {n} {many} within {days} days to start an investigation, or more if they "
            "are further apart (each counts half after {d})",
            window,
        ).format(n=n, many=many, days=window, d=d)
    return _("it takes {n} {many} to start an investigation").format(n=n, many=many)


def _window(s: Scenario, weight: float, n: int) -> int | None:
    """The most days apart that n pieces of one weight may lie and still reach the threshold
    together, where suspicion fades (None where it does not).

    With the first n − 1 pieces g days before the last (the worst case), suspicion is
    w × (1 + (n − 1) × 2^(−g / half-life)), which reaches the threshold t while
    g ≤ half-life × log2((n − 1) / (t / w − 1)); whole days, as the engine counts them.
    """
    decay = s.adversary.decay
    if decay is None or n <= 1:
        return None
    excess = s.adversary.threshold / weight - 1.0
    if excess <= 1e-9:
        return None
    days = decay.half_life * math.log2((n - 1) / excess)
    return max(0, math.floor(days + 1e-9))


def half_life_words(half: float) -> str:
    """A half-life in days as a learner reads it: '3 months', '10 days', '2.5 days'."""
    return horizon(round(half)) if float(half).is_integer() else _("{d:g} days").format(d=half)


def _pieces(weight: float, threshold: float) -> int:
    """How many pieces of evidence of one weight reach the threshold together (weight > 0)."""
    return max(1, math.ceil(threshold / weight - 1e-9))


def channel_phrase(s: Scenario, channel: str) -> str:
    """A channel as something people use: 'face to face', 'over the smuggled Chinese phone'."""
    ch = s.channels.get(channel)
    if ch is not None and ch.kind == "in_person":
        return _("face to face")
    return _("over {channel}").format(channel=with_article(s.channel_label(channel), "the"))


def _who(s: Scenario, role: str) -> str:
    if role == EVERYONE:
        return _("everyone")
    return s.role_label(role)


def _observer_line(s: Scenario, name: str, o: Observer, technical: bool = False) -> str:
    label = s.observer_label(name)
    weight = o.weight if o.weight is not None else s.adversary.weights.reports
    if o.kind == "leader":
        where = _("{n} in every {unit}, watching its households (not her own)").format(
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
        where = _("logs who contacts whom {channels}").format(
            channels=", ".join(channel_phrase(s, c) for c in o.channels)
        )
        where += "".join(_sealed_words(s, c) for c in o.channels if s.channels[c].sealed_sender)
    elif o.kind == "direction_finding":
        where = _df_words(s, o, technical)
    else:
        where = _("may notice anyone")
    noticed = [
        _("{what} {p}").format(what=_trace(k), p=_of_the_time(v))
        for k, v in o.notice.items()
        if k not in ("idle", "radio")
    ]
    line = f"{label}: {where}"
    if noticed:
        line += _("; notices {things}").format(things=_and(noticed))
    if "idle" in o.notice:
        line += _("; locates a phone left switched on between calls on {p} of days").format(
            p=share(o.notice["idle"])
        )
    if o.kind == "direction_finding":
        line += _("; {p} of its fixes lead agents to the caller").format(p=share(o.reports))
    elif o.reports >= 1.0:
        line += _("; reports everything it notices")
    else:
        line += _("; reports {p} of what it notices").format(p=share(o.reports))
    line += "; " + starts(s, weight, _("report"), _("reports"))
    if technical:
        line += _(" (weight {w:g})").format(w=weight)
    if o.bribe is not None:
        line += _("; takes a bribe of {price:g} {cur} {p}").format(
            price=o.bribe.price, cur=o.bribe.currency, p=_of_the_time(o.bribe.accepts)
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
    if o.overhears is not None:
        line += _(
            "; on a call it listens to, it recognises the caller's voice {voice} and traces a "
            "name spoken on it to the person named {names}; {needed}"
        ).format(
            voice=_of_the_time(o.overhears.voice),
            names=_of_the_time(o.overhears.names),
            needed=starts(s, weight, _("identification"), _("identifications")),
        )
    if technical:
        line += f" [{name}]"
    return line + "."


def _and(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(items) < 2:
        return "".join(items)
    return _("{some} and {last}").format(some=", ".join(items[:-1]), last=items[-1])


def _or(items: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    if len(items) < 2:
        return "".join(items)
    return _("{some} or {last}").format(some=", ".join(items[:-1]), last=items[-1])


def _df_words(s: Scenario, o: Observer, technical: bool) -> str:
    """What direction-finding locates, as figures for the scenario's own calls."""
    if o.fix_minutes is None:
        return _("locates a transmitting phone")
    calls = sorted(
        {
            a.minutes if a.moves_every is None else min(a.minutes or 1.0, a.moves_every)
            for name, a in s.activities.items()
            if (ch := s.activity_channel(name)) is not None
            and s.channels[ch].radio
            and a.minutes is not None
        }
    )
    words = _("listens to {cov} of calls on a radio phone").format(cov=share(o.coverage))
    if calls:
        located = [
            _("a {m:g}-minute call {p}").format(
                m=m, p=_of_the_time(1.0 - math.exp(-m / o.fix_minutes))
            )
            for m in calls
        ]
        words += _(", and locates a caller it hears: {calls}").format(calls=_and(located))
    if technical:
        words += _(" (a call of m minutes is located with chance 1 − e^(−m/{tau:g}))").format(
            tau=o.fix_minutes
        )
    return words


def _sealed_words(s: Scenario, channel: str) -> str:
    """What an operator sees of a sealed-sender channel it logs, and what timing gives it."""
    words = _("; on {channel} it sees who receives a message, not who sent it").format(
        channel=with_article(s.channel_label(channel), "the")
    )
    q = s.channels[channel].timing_link
    if q > 0:
        # numpy's power, as the engine computes it: imported only for a channel that needs it.
        from simulator.channels import timing_link_chance

        words += _(
            ", until it links a hidden sender by the timing of her messages: each one it notices "
            "does so {q} of the time, so a sender is linked {five} of the time after 5 of them"
        ).format(q=share(q), five=share(float(timing_link_chance(q, 5))))
    return words


def activity_lines(s: Scenario) -> list[str]:
    """What people do, one plain line per activity."""
    out = []
    for name, a in s.activities.items():
        label = s.activity_label(name)
        bits = [_freq(a.daily)]
        channel = s.activity_channel(name)
        if channel:
            bits.append(channel_phrase(s, channel))
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
        if a.moves_every is not None:
            bits.append(
                _("changing place every {m:g} minutes during a call").format(m=a.moves_every)
            )
        if a.names is not None:
            bits.append(
                _("naming a {who} in {p} of calls").format(
                    who=_who(s, a.names.of) if a.names.of != "contact" else _("contact"),
                    p=share(a.names.chance),
                )
            )
        if a.switched_on is not None:
            bits.append(
                _("{channel} left switched on").format(
                    channel=with_article(s.channel_label(a.switched_on), "the")
                )
            )
        if a.nights:
            bits.append(_("{n} nights").format(n=a.nights))
        if a.registers:
            bits.append(_("registered {p} of the time").format(p=share(a.registers)))
        if a.offers_bribe:
            bits.append(_("offers a bribe when noticed"))
        line = f"{_who(s, a.who)}: {label} ({', '.join(bits)})."
        if a.off_channel is not None and channel:
            line += " " + _off_channel_sentence(s, name, channel)
        out.append(line)
    return out


def _off_channel_sentence(s: Scenario, name: str, channel: str) -> str:
    """What an activity's `off_channel` turns an occurrence into, in plain words."""
    a = s.activities[name]
    assert a.off_channel is not None
    off = a.off_channel
    partner = _who(s, a.with_) if a.with_ and a.with_ != "contact" else _("contact")
    words = {
        "partner": partner,
        "channel": with_article(s.channel_label(channel), "the"),
        "who": _who(s, a.who),
        "becomes": s.activity_label(off.becomes),
        "p": share(off.share),
    }
    if off.share >= 1.0:
        return _(
            "With a {partner} met only face to face, not over {channel}, the {who} {becomes} "
            "instead, every time."
        ).format(**words)
    if off.share <= 0.0:
        return _(
            "With a {partner} met only face to face, not over {channel}, it does not happen at all."
        ).format(**words)
    return _(
        "With a {partner} met only face to face, not over {channel}, the {who} {becomes} "
        "instead {p} of the time, and otherwise not at all."
    ).format(**words)


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


def observer_lines(s: Scenario, technical: bool = False) -> list[str]:
    """Who watches, one plain line per observer."""
    return [_observer_line(s, n, o, technical) for n, o in s.observers.items()]


def _scope_words(s: Scenario, scope: str | list[str]) -> str:
    """Whom a scheduled check inspects, after "every N days," or "20% of"."""
    if scope == "everyone":
        return _("people")
    if scope == "travellers":
        return _("people on the move that day")
    return _and([s.role_label(r) for r in scope])


def _each_inspected(s: Scenario, scope: str | list[str]) -> str:
    """Whom a check at a rate inspects: its rate is each person's own (engine `_inspect` samples
    every person in scope with the daily chance), not the town's."""
    if scope == "everyone":
        return _("per person")
    if scope == "travellers":
        return _("per person on the move that day")
    return _("for each {roles}").format(roles=_or([s.role_label(r) for r in scope]))


def _found(s: Scenario, state: str, chance: float) -> str:
    """How often a check finds a state on a person who holds it: its find chance, lowered by how
    well the state is hidden (the engine finds it with chance × (1 − concealment))."""
    concealment = s.states[state].concealment if state in s.states else 0.0
    found = chance * (1.0 - concealment)
    if concealment <= 0:
        return _("{state} {p}").format(state=s.state_label(state), p=_of_the_time(found))
    return _("{state} {p} (hidden; {q} in plain sight)").format(
        state=s.state_label(state), p=_of_the_time(found), q=_of_the_time(chance)
    )


def check_lines(s: Scenario, technical: bool = False) -> list[str]:
    """The checks and campaigns, one plain line each."""
    out = []
    for name, c in s.checks.items():
        label = s.check_label(name)
        finds = _and([_found(s, k, v) for k, v in c.finds.items()])
        if c.every:
            if c.coverage < 1.0:
                scope = _("{share} of {scope}").format(
                    share=share(c.coverage), scope=_scope_words(s, c.scope)
                )
            elif c.scope == "everyone":
                scope = _("everyone")
            else:
                scope = _scope_words(s, c.scope)
            line = _("{label}: {when}, {scope}; finds {finds}").format(
                label=label, when=_every(c.every), scope=scope, finds=finds
            )
        else:
            line = _("{label}: {when} {scope}; finds {finds}").format(
                label=label,
                when=_freq(c.daily),
                scope=_each_inspected(s, c.scope),
                finds=finds,
            )
        weight = c.weight if c.weight is not None else s.adversary.weights.finds
        line += "; " + starts(s, weight, _("find"), _("finds"))
        if technical:
            line += f" [{name}]"
        out.append(line + ".")
    return out


def _multiplied(s: Scenario, target: str, x: float) -> str:
    """What a campaign's multiplier does to one observer or check."""
    if target in s.observers:
        return _("{observer} notices {x} as much").format(
            observer=with_article(s.observer_label(target), "the"), x=times_as(x)
        )
    if target in s.checks:
        return _("{check} {x} as often").format(check=s.check_label(target), x=times_as(x))
    return f"{plain_name(target)} × {x:g}"


def campaign_lines(s: Scenario, technical: bool = False) -> list[str]:
    """Periods of heavier surveillance, one plain line each."""
    out = []
    for name, camp in s.campaigns.items():
        label = s.campaign_label(name)
        mult = _and(
            [_multiplied(s, k, v) for k, v in camp.multiply.items()]
            + [
                _("{observer} takes bribes {x} as often").format(
                    observer=with_article(s.observer_label(k), "the"), x=times_as(v)
                )
                for k, v in camp.bribes.items()
            ]
        )
        line = _("{label}, days {a} to {b}: {mult}.").format(
            label=label, a=camp.start, b=camp.end, mult=mult
        )
        if technical:
            line += " [" + ", ".join(f"{k} ×{v:g}" for k, v in camp.multiply.items()) + "]"
        out.append(line)
    return out


def adversary_lines(s: Scenario, technical: bool = False) -> list[str]:
    """How the adversary turns what it learns into investigations, in plain sentences."""
    adv = s.adversary
    w = adv.weights
    t = adv.threshold
    kinds = [
        (w.reports, _("report from an observer"), _("reports from observers")),
        (w.finds, _("find in a check"), _("finds in checks")),
    ]
    if any(
        (ch.kind != "in_person" and (ch.reveal.device > 0 or ch.reveal.metadata > 0))
        or ch.reveal.interrogation > 0
        or ch.content.names > 0
        for ch in s.channels.values()
    ):
        kinds.append(
            (w.cascade, _("mention on someone's seized phone or in the logs"), _("mentions"))
        )
    if w.registration > 0 or any(a.registers > 0 for a in s.activities.values()):
        kinds.append((w.registration, _("registration record"), _("registration records")))
    counted = sorted(
        ((_pieces(weight, t), weight, one, many) for weight, one, many in kinds if weight > 0),
        key=lambda k: k[0],
    )
    amounts = []
    for n, weight, one, many in counted:
        window = _window(s, weight, n)
        if n <= 1:
            amounts.append(_("one {one}").format(one=one))
        elif window is None:
            amounts.append(_("{n} {many}").format(n=n, many=many))
        elif window == 0:
            amounts.append(_("{n} {many} on the same day").format(n=n, many=many))
        else:
            amounts.append(
                ngettext(
                    "{n} {many} within {days} day", "{n} {many} within {days} days", window
                ).format(n=n, many=many, days=window)
            )
    out = []
    if amounts:
        out.append(
            _("What starts an investigation: {amounts}; pieces of different kinds add up.").format(
                amounts=_or(amounts)
            )
        )
    out += [
        _("A {one} counts for nothing.").format(one=one)
        for weight, one, _many in kinds
        if weight <= 0
    ]
    if technical:
        out.append(
            _(
                "Suspicion threshold {t:g}; weights: report {r:g}, find {f:g}, registration "
                "{g:g}, cascade {c:g}, content {k:g}."
            ).format(
                t=t,
                r=w.reports,
                f=w.finds,
                g=w.registration,
                c=w.cascade,
                k=w.content_weight,
            )
        )
    if any(ch.kind != "in_person" for ch in s.channels.values()):
        out.append(_("A seized phone is opened {p}.").format(p=_of_the_time(adv.unlock)))
    for name, ch in s.channels.items():
        if ch.reveal.interrogation > 0:
            if ch.kind == "in_person":
                whom = _("each person she meets face to face")
            else:
                whom = _("each of her contacts {channel}").format(channel=channel_phrase(s, name))
            out.append(
                _(
                    "Under interrogation, a person in custody names {whom} {p}, whether her "
                    "phone opens or not."
                ).format(whom=whom, p=_of_the_time(ch.reveal.interrogation))
            )
        if ch.content.names > 0:
            out.append(
                _(
                    "Each message kept on an opened phone {channel} names one of its owner's "
                    "other contacts {p}; {needed}."
                ).format(
                    channel=channel_phrase(s, name),
                    p=_of_the_time(ch.content.names),
                    needed=starts(s, w.content_weight, _("such message"), _("such messages")),
                )
            )
    if adv.decay is not None:
        every = half_life_words(adv.decay.half_life)
        out.append(
            _(
                "Suspicion fades: it halves every {d}, so evidence far apart adds up to less."
            ).format(d=every)
        )
    return out


def _value(dump: Any, key: str) -> Any:
    for part in key.split("."):
        dump = dump[int(part)] if isinstance(dump, list) else dump[part]
    return dump


def range_lines(
    s: Scenario, ranges: Mapping[str, tuple[float, float]], technical: bool = False
) -> dict[str, list[str]]:
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
        value = _value(dump, key)
        values = {
            "key": key if technical else parameter_words(s, key),
            "value": value,
            "low": low,
            "high": high,
        }
        factor = _either_way(value, low, high)
        if estimates and factor is not None:
            line = _("{key}: {value:g} (an estimate; range ×{k} either way, {low:g}–{high:g})")
            line = line.format(k=f"{factor:g}", **values)
        elif estimates:
            line = _("{key}: {value:g} (an estimate; range {low:g}–{high:g})").format(**values)
        elif backing:
            line = _("{key}: {value:g} (range from sources {low:g}–{high:g})").format(**values)
        else:
            line = _("{key}: {value:g} (range {low:g}–{high:g}, no source given)").format(**values)
        out.setdefault(owner, []).append(line)
    return out


def _either_way(value: float, low: float, high: float) -> float | None:
    """The factor k of a range from value ÷ k to value × k, as the estimates' rule draws them
    ("a third to three times", "half to twice"): None if the range is not such (capped at a
    bound, or one-sided). The bounds are written rounded (0.067 for 0.2 ÷ 3), so k is matched
    to two figures (within 5%, a bound's rounding at two figures), and only from 1.5 up: a
    narrower range is a judgement of its own."""
    if value <= 0 or low <= 0 or high <= value:
        return None
    up, down = high / value, value / low
    k = float(f"{up:.2g}")
    if k < 1.5 or abs(up - k) > 0.05 * k or abs(down - k) > 0.05 * k:
        return None
    return k


def option_label(s: Scenario, index: int) -> str:
    """A menu option as the debrief and `show` name it: with the label of the countermeasure it
    applies where that differs ("Keep calls short (Short calls)"), so that it reads as the same
    habit as the countermeasure's card and `compare` row."""
    if s.exercise is None:
        return ""
    choice = s.exercise.choices[index]
    cm = s.countermeasures.get(choice.countermeasure or "")
    if cm is None:
        return choice.label
    named = cm.label or plain_name(choice.countermeasure or "")
    if named.strip().casefold() == choice.label.strip().casefold():
        return choice.label
    return _("{choice} ({countermeasure})").format(choice=choice.label, countermeasure=named)


def describe(
    s: Scenario,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    technical: bool = False,
) -> str:
    """The scenario as plain text for learners and trainers, with each sourced range if given.

    `technical` adds what a scenario author needs and a room does not: internal names, formulas
    and weights, and parameters by their dotted keys.
    """
    pop = s.population
    hh_lo, hh_hi = pop.households_per_unit
    sz_lo, sz_hi = pop.household_size
    hh = f"{hh_lo}" if hh_lo == hh_hi else f"{hh_lo}–{hh_hi}"
    sz = f"{sz_lo}" if sz_lo == sz_hi else f"{sz_lo}–{sz_hi}"
    out: list[str] = [s.title, rule(s.title, "="), "", s.summary.strip(), ""]
    if s.context.strip():
        out += [s.context.strip(), ""]
    out += [_("Who lives there"), rule(_("Who lives there"))]
    out.append(
        _(
            "{units} {unit}s of {hh} households, {sz} people per household; followed for {horizon}."
        ).format(units=pop.units, unit=pop.unit_label, hh=hh, sz=sz, horizon=horizon(s.days))
    )
    for name, role in pop.roles.items():
        desc = f": {role.description.strip()}" if role.description.strip() else ""
        out.append(f"- {role.count} × {s.role_label(name)}{desc}")
    if s.groups:
        out += ["", _("Group chats"), rule(_("Group chats"))]
        out += [f"- {line}" for line in group_lines(s)]
    out += ["", _("What they do"), rule(_("What they do"))]
    out += [f"- {line}" for line in activity_lines(s)]
    out += ["", _("Who watches"), rule(_("Who watches"))]
    out += [f"- {line}" for line in observer_lines(s, technical)] or [_("Nobody.")]
    out += ["", _("Checks"), rule(_("Checks"))]
    out += [f"- {line}" for line in check_lines(s, technical)]
    if not s.checks:
        out.append(_("None."))
    out += [f"- {line}" for line in campaign_lines(s, technical)]
    out += ["", _("The adversary"), rule(_("The adversary"))]
    out += adversary_lines(s, technical)
    out += ["", _("What helps"), rule(_("What helps"))]
    for name, cm in s.countermeasures.items():
        named = f"{cm.label or name} ({name})" if technical else cm.label or plain_name(name)
        out.append(
            f"- {named}: {cm.description.strip()} " + _("Cost: {cost}").format(cost=cm.cost.strip())
        )
    if s.exercise is not None:
        ex = s.exercise
        persona = tabletop_role(s)
        out += ["", _("Tabletop exercise"), rule(_("Tabletop exercise"))]
        out.append(
            _(
                "Play the {role} for {turns} turns of {days} days, choosing each turn among: "
                "{choices} (`exposure exercise {name}`)."
            ).format(
                role=s.role_label(persona),
                turns=ex.turn_count(s.days),
                days=ex.turn_days,
                choices="; ".join(option_label(s, k) for k in range(len(ex.choices))),
                name=s.name,
            )
        )
    if s.learning_objectives:
        out += ["", _("Learning objectives"), rule(_("Learning objectives"))]
        for objective in s.learning_objectives:
            out.append(f"- {objective_text(objective).strip()}")
            out += [
                "  " + _("Checked: {claim}.").format(claim=claim)
                for claim in objective_claims(s, objective)
            ]
    if s.limits:
        out += ["", leaves_out(), rule(leaves_out())]
        out += [f"- {limit.strip()}" for limit in s.limits]
    if s.sources:
        out += ["", _("Sources"), rule(_("Sources"))]
        ranged = range_lines(s, ranges or {}, technical)
        for name, src in s.sources.items():
            out.append(f"- [{basis_word(src.basis)}] {src.cite.strip()}")
            out += [f"  - {line}" for line in ranged.get(name, [])]
        out += [f"- {line}" for line in ranged.get("", [])]
    return "\n".join(out) + "\n"
