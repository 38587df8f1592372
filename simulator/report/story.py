"""Rendering the story of one run (`exposure trace`): plain text, Markdown, JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from simulator.i18n import _, ngettext
from simulator.report.grid import fill, fold, rule, width_of
from simulator.report.words import (
    check_phrase,
    horizon,
    illustrative,
    mechanism_label,
    observer_phrase,
)
from simulator.scenario.model import Scenario
from simulator.teaching.story import Chain, Event, Increment, Story

# The causal chain names at most this many earlier marks one by one; the rest are summed.
MAX_EARLIER = 4


def cap(text: str) -> str:
    """The text with its first letter in upper case."""
    return text[:1].upper() + text[1:]


def _n(x: float) -> str:
    return f"{x:.2f}"


def money(s: Scenario, observer: str, amount: float) -> str:
    """An amount paid to (or refused by) an observer, in the currency of its bribe: "50 RMB"."""
    spec = s.observers.get(observer)
    currency = spec.bribe.currency if spec is not None and spec.bribe is not None else ""
    return f"{amount:g} {currency}".strip()


def _names(story: Story, people: tuple[int, ...] | list[int]) -> str:
    names = [story.name(p) for p in people]
    if len(names) <= 1:
        return "".join(names)
    return _("{first} and {last}").format(first=", ".join(names[:-1]), last=names[-1])


def _added(story: Story, amount: float, subjects: tuple[int, ...]) -> str:
    if len(subjects) > 1:
        return _("+{amount} each for {people}").format(
            amount=_n(amount), people=_names(story, subjects)
        )
    return _("+{amount} for {person}").format(amount=_n(amount), person=_names(story, subjects))


def event_text(story: Story, ev: Event) -> str:
    """One event as a plain sentence in the present tense."""
    s = story.scenario
    if ev.kind == "activity":
        # A person and what they do, as a sentence: "The trader sleeps at her cousin's".
        text = _("{person} {activity}").format(
            person=cap(story.name(ev.actor)), activity=s.activity_label(ev.mechanism)
        )
        if ev.other >= 0:
            text += _(" — with {partner}").format(partner=story.name(ev.other))
        if ev.detail == "registered":
            text += _(" (registered)")
        return text + "."
    if ev.kind == "report":
        return _("{observer} notices it and reports it: {added}.").format(
            observer=cap(observer_phrase(s, ev.mechanism)),
            added=_added(story, ev.amount, ev.subjects),
        )
    if ev.kind == "linked":
        messages = int(ev.amount)
        return ngettext(
            "{observer} cannot see who sends on {channel}, but the timing of this message gives "
            "its sender away: {sender}. From now on {sender}'s messages there count against "
            "{sender} too.",
            "{observer} cannot see who sends on {channel}, but the timing of the {n} messages it "
            "has seen from one hidden sender gives the sender away: {sender}. From now on "
            "{sender}'s messages there count against {sender} too.",
            messages,
        ).format(
            observer=cap(observer_phrase(s, ev.mechanism)),
            channel=s.channel_label(s.activity_channel(ev.detail) or ""),
            sender=story.name(ev.actor),
            n=messages,
        )
    if ev.kind == "voice":
        return _(
            "{observer} listens to the call, and someone who knows {person}'s voice recognises it "
            "on the recording: {added}."
        ).format(
            observer=cap(observer_phrase(s, ev.mechanism)),
            person=story.name(ev.actor),
            added=_added(story, ev.amount, ev.subjects),
        )
    if ev.kind == "named":
        return _(
            "{observer} listens to the call and traces a name spoken on it to {named}: {added}."
        ).format(
            observer=cap(observer_phrase(s, ev.mechanism)),
            named=story.name(ev.other),
            added=_added(story, ev.amount, ev.subjects),
        )
    if ev.kind == "bribe":
        return _(
            "{observer} would report it, but takes a bribe of {price} and stays silent."
        ).format(
            observer=cap(observer_phrase(s, ev.mechanism)),
            price=money(s, ev.mechanism, ev.amount),
        )
    if ev.kind == "offer":
        bribe = s.observers[ev.mechanism].bribe if ev.mechanism in s.observers else None
        return _(
            "{observer} refuses a bribe of {price} and reports the offer as well: {added}."
        ).format(
            observer=cap(observer_phrase(s, ev.mechanism)),
            price=money(s, ev.mechanism, bribe.price if bribe is not None else 0.0),
            added=_added(story, ev.amount, ev.subjects),
        )
    if ev.kind == "extorted":
        people = (ev.actor,) if ev.other < 0 else (ev.actor, ev.other)
        return _(
            "{observer} would report it, but demands {price} to keep quiet; it is paid, and the "
            "report is held over {people}."
        ).format(
            observer=cap(observer_phrase(s, ev.mechanism)),
            price=money(s, ev.mechanism, ev.amount),
            people=_names(story, people),
        )
    if ev.kind == "passed_on":
        return _(
            "{observer} passes on the report held since day {since} ({activity}) after all: "
            "{added}."
        ).format(
            observer=cap(observer_phrase(s, ev.mechanism)),
            since=ev.since,
            activity=s.activity_label(ev.detail),
            added=_added(story, ev.amount, ev.subjects),
        )
    if ev.kind == "search":
        later = ev.day - ev.since
        values = {
            "observer": cap(observer_phrase(s, ev.via)),
            "since": ev.since,
            "check": check_phrase(s, ev.mechanism),
            "people": _names(story, ev.subjects or (ev.actor,)),
            "n": later,
        }
        if len(ev.subjects) > 1:
            return ngettext(
                "{observer}'s report of day {since} sends {check} to the homes of {people}, {n} "
                "day later.",
                "{observer}'s report of day {since} sends {check} to the homes of {people}, {n} "
                "days later.",
                later,
            ).format(**values)
        return ngettext(
            "{observer}'s report of day {since} sends {check} to the home of {people}, {n} day "
            "later.",
            "{observer}'s report of day {since} sends {check} to the home of {people}, {n} days "
            "later.",
            later,
        ).format(**values)
    if ev.kind == "registration":
        return _("The registration goes into a police file: {added}.").format(
            added=_added(story, ev.amount, ev.subjects)
        )
    if ev.kind == "find":
        check = s.checks.get(ev.mechanism)
        found = s.state_label(ev.detail)
        if ev.other >= 0:
            found += f" — {story.name(ev.other)}"
        if check is not None and check.scope == "travellers":
            text = _("{check} stops {holder} and finds {state}").format(
                check=cap(check_phrase(s, ev.mechanism)), holder=story.name(ev.actor), state=found
            )
        else:
            text = _("{check} at the home of {holder} finds {state}").format(
                check=cap(check_phrase(s, ev.mechanism)), holder=story.name(ev.actor), state=found
            )
        return f"{text}: {_added(story, ev.amount, ev.subjects)}."
    if ev.kind == "cascade":
        values = {
            "person": cap(story.name(ev.actor)),
            "other": story.name(ev.other),
            "added": _added(story, ev.amount, ev.subjects),
        }
        if ev.detail == "content":
            return _(
                "{person} is named in a message kept on {other}'s seized phone: {added}."
            ).format(**values)
        if ev.detail == "interrogation":
            return _("{person} is named by {other} under interrogation: {added}.").format(**values)
        if "interrogation" in ev.detail.split("+"):
            return _(
                "{person} is named through the seizure of {other}'s phone, and by {other} under "
                "interrogation: {added}."
            ).format(**values)
        return _("{person} is named through the seizure of {other}'s phone: {added}.").format(
            **values
        )
    if ev.kind == "suspicion":
        return _suspicion_text(story, ev)
    if ev.kind == "exposed":
        return _("{person} is exposed: investigated from today. Cause: {cause}.").format(
            person=cap(story.name(ev.actor)), cause=mechanism_label(s, ev.mechanism)
        )
    if ev.kind == "seized":
        if ev.detail == "unlocked":
            return _("{person}'s phone is seized and unlocked.").format(
                person=cap(story.name(ev.actor))
            )
        return _("{person}'s phone is seized but stays locked.").format(
            person=cap(story.name(ev.actor))
        )
    if ev.kind == "reveal":
        values = {
            "owner": story.name(ev.actor),
            "channel": s.channel_label(ev.mechanism),
            "other": story.name(ev.other),
        }
        ways = ev.detail.split("+")
        if ways == ["content"]:
            return _("A message kept on {owner}'s {channel} names {other}.").format(**values)
        phone = [w for w in ways if w != "interrogation"]
        asked = _("Under interrogation, {owner} names {other}.").format(**values)
        if not phone:
            return asked
        if phone == ["metadata"]:
            text = _("The network's records of {owner}'s {channel} name {other}.").format(**values)
        elif phone == ["device"]:
            text = cap(_("{owner}'s {channel} names {other}.").format(**values))
        elif ev.detail == "device+metadata":
            text = cap(
                _("{owner}'s {channel} and the network's records of it both name {other}.").format(
                    **values
                )
            )
        else:
            text = cap(
                _("{owner}'s {channel}, or the network's records of it, name {other}.").format(
                    **values
                )
            )
        if "interrogation" in ways:
            text += " " + _("Under interrogation, {owner} names {other} too.").format(**values)
        return text
    return f"{ev.kind} {ev.mechanism}".strip() + "."


def _suspicion_text(story: Story, ev: Event) -> str:
    value = ev.suspicion or 0.0
    before = ev.before or 0.0
    values = {
        "person": story.name(ev.actor),
        "value": _n(value),
        "threshold": f"{story.threshold:g}",
        "before": _n(before),
        "added": _n(value - before),
    }
    if value >= story.threshold - 1e-9:
        text = _("Suspicion of {person}: {value}, past the threshold of {threshold}").format(
            **values
        )
    else:
        text = _("Suspicion of {person}: {value} (an investigation starts at {threshold})").format(
            **values
        )
    if before >= 0.005:
        if story.half_life is not None:
            text += _(
                " — {before} left from earlier days (it halves every {days} days) and {added} today"
            ).format(days=f"{story.half_life:g}", **values)
        else:
            text += _(" — {before} from earlier days and {added} today").format(**values)
    return text + "."


# ------------------------------------------------------------------ the chain
def _mark(story: Story, inc: Increment, decays: bool) -> str:
    """An earlier mark in the causal chain: what it was, when, and what was left of it."""
    s = story.scenario
    values = {"day": inc.day, "amount": _n(inc.amount), "left": _n(inc.remaining)}
    if inc.kind == "report":
        text = _("a report by {observer} on day {day} ({activity}").format(
            observer=observer_phrase(s, inc.mechanism),
            activity=s.activity_label(inc.detail),
            **values,
        )
    elif inc.kind == "voice":
        text = _("their voice, recognised on a call {observer} listened to on day {day} (").format(
            observer=observer_phrase(s, inc.mechanism), **values
        )
    elif inc.kind == "named":
        text = _(
            "their name, spoken on {caller}'s call that {observer} listened to on day {day} ("
        ).format(caller=story.name(inc.other), observer=observer_phrase(s, inc.mechanism), **values)
    elif inc.kind == "offer":
        text = _("a refused bribe {observer} reported on day {day} ({activity}").format(
            observer=observer_phrase(s, inc.mechanism),
            activity=s.activity_label(inc.detail),
            **values,
        )
    elif inc.kind == "passed_on":
        text = _(
            "a report {observer} held from day {since} and passed on on day {day} ({activity}"
        ).format(
            observer=observer_phrase(s, inc.mechanism),
            since=inc.since,
            activity=s.activity_label(inc.detail),
            **values,
        )
    elif inc.kind == "find" and inc.via:
        text = _(
            "{check} on day {day}, sent by a report of {observer} on day {since}, that found "
            "{state} ("
        ).format(
            check=check_phrase(s, inc.mechanism),
            observer=observer_phrase(s, inc.via),
            since=inc.since,
            state=s.state_label(inc.detail),
            **values,
        )
    elif inc.kind == "find":
        text = _("{check} on day {day} that found {state} (").format(
            check=check_phrase(s, inc.mechanism), state=s.state_label(inc.detail), **values
        )
    elif inc.kind == "registration":
        text = _("a registration record of day {day} (").format(**values)
    elif inc.detail == "content":
        text = _("being named in a message on {other}'s phone on day {day} (").format(
            other=story.name(inc.other), **values
        )
    elif inc.detail == "interrogation":
        text = _("being named by {other} under interrogation on day {day} (").format(
            other=story.name(inc.other), **values
        )
    else:
        text = _("being named through {other}'s phone on day {day} (").format(
            other=story.name(inc.other), **values
        )
    sep = ", " if not text.endswith("(") else ""
    if decays and inc.remaining < inc.amount - 0.005:
        text += sep + _("{amount} then, {left} left").format(**values)
    else:
        text += sep + _shown(inc, decays)
    return text + ")"


def _crossing(story: Story, inc: Increment) -> str:
    """What took a person over the threshold."""
    s = story.scenario
    if inc.kind == "report":
        return _("{observer} reported it ({activity}, +{amount})").format(
            observer=observer_phrase(s, inc.mechanism),
            activity=s.activity_label(inc.detail),
            amount=_n(inc.amount),
        )
    if inc.kind == "voice":
        return _("{observer} recognised their voice on a call it listened to (+{amount})").format(
            observer=observer_phrase(s, inc.mechanism), amount=_n(inc.amount)
        )
    if inc.kind == "named":
        return _("{observer} traced a name spoken on {caller}'s call to them (+{amount})").format(
            observer=observer_phrase(s, inc.mechanism),
            caller=story.name(inc.other),
            amount=_n(inc.amount),
        )
    if inc.kind == "offer":
        return _(
            "{observer} refused a bribe and reported the offer ({activity}, +{amount})"
        ).format(
            observer=observer_phrase(s, inc.mechanism),
            activity=s.activity_label(inc.detail),
            amount=_n(inc.amount),
        )
    if inc.kind == "passed_on":
        return _(
            "{observer} passed on a report held since day {since} ({activity}, +{amount})"
        ).format(
            observer=observer_phrase(s, inc.mechanism),
            since=inc.since,
            activity=s.activity_label(inc.detail),
            amount=_n(inc.amount),
        )
    if inc.kind == "find" and inc.via:
        return _(
            "{check}, sent by a report of {observer} on day {since}, found {state} (+{amount})"
        ).format(
            check=check_phrase(s, inc.mechanism),
            observer=observer_phrase(s, inc.via),
            since=inc.since,
            state=s.state_label(inc.detail),
            amount=_n(inc.amount),
        )
    if inc.kind == "find":
        return _("{check} found {state} (+{amount})").format(
            check=check_phrase(s, inc.mechanism),
            state=s.state_label(inc.detail),
            amount=_n(inc.amount),
        )
    if inc.kind == "registration":
        return _("a registration record added {amount}").format(amount=_n(inc.amount))
    values = {"other": story.name(inc.other), "amount": _n(inc.amount)}
    if inc.detail == "content":
        return _("a message kept on {other}'s seized phone named them (+{amount})").format(**values)
    if inc.detail == "interrogation":
        return _("{other} named them under interrogation (+{amount})").format(**values)
    if "interrogation" in inc.detail.split("+"):
        return _(
            "the seizure of {other}'s phone, and {other} under interrogation, named them "
            "(+{amount})"
        ).format(**values)
    return _("the seizure of {other}'s phone named them (+{amount})").format(**values)


def _earlier(story: Story, marks: tuple[Increment, ...]) -> str:
    decays = story.half_life is not None
    shown = [_mark(story, m, decays) for m in marks[-MAX_EARLIER:]]
    rest = marks[:-MAX_EARLIER] if len(marks) > MAX_EARLIER else ()
    if rest:
        shown.insert(
            0,
            _("{n} earlier marks ({left} left)").format(
                n=len(rest), left=_n(sum(m.remaining for m in rest))
            ),
        )
    return _names_list(shown)


def _shown(inc: Increment, decays: bool) -> str:
    """The figure an earlier mark shows: what was left of it where that differs, else its amount."""
    return _n(inc.remaining) if decays and inc.remaining < inc.amount - 0.005 else _n(inc.amount)


def _adds_up(story: Story, chain: Chain) -> bool:
    """Whether the parts a chain's sentence shows, each rounded to two decimals, add up to the
    total it shows, as far as rounding goes: rounded apart, 0.18 + 0.50 + 1.00 may show a total
    of 1.67."""
    decays = story.half_life is not None
    marks = chain.earlier
    parts = [_shown(m, decays) for m in marks[-MAX_EARLIER:]]
    if len(marks) > MAX_EARLIER:
        parts.append(_n(sum(m.remaining for m in marks[:-MAX_EARLIER])))
    if chain.crossing is not None:
        parts.append(_n(chain.crossing.amount))
    gap = abs(sum(Decimal(part) for part in parts) - Decimal(_n(chain.value)))
    # Only rounding: each part and the total are off by at most half a hundredth. A larger gap
    # comes from increments the sentence does not list (several on the crossing day), not from
    # rounding, and "about" would not explain it.
    return gap == 0 or gap > Decimal("0.005") * (len(parts) + 1)


def _names_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return _("{first} and {last}").format(first=", ".join(items[:-1]), last=items[-1])


def chain_sentences(story: Story, chain: Chain | None = None) -> list[str]:
    """The causal chain as sentences: "Exposed on day 143 because …", then who was named next."""
    chain = chain or story.chain
    person = cap(story.name(chain.person))
    values = {
        "person": person,
        "day": chain.day,
        "value": _n(chain.value),
        "threshold": f"{story.threshold:g}",
        "horizon": horizon(story.horizon),
    }
    if chain.cause is None:
        if chain.day is None:
            return [
                _(
                    "{person} was not exposed within {horizon}: nothing {lower} did was reported, "
                    "found or recorded."
                ).format(lower=story.name(chain.person), **values)
            ]
        if not _adds_up(story, chain):
            return [
                _(
                    "{person} was not exposed within {horizon}. Suspicion came closest on day "
                    "{day}: about {value} (the parts are rounded) of the {threshold} that starts "
                    "an investigation, from {marks}."
                ).format(marks=_earlier(story, chain.earlier), **values)
            ]
        return [
            _(
                "{person} was not exposed within {horizon}. Suspicion came closest on day {day}: "
                "{value} of the {threshold} that starts an investigation, from {marks}."
            ).format(marks=_earlier(story, chain.earlier), **values)
        ]
    because = (
        _crossing(story, chain.crossing)
        if chain.crossing is not None
        else mechanism_label(story.scenario, chain.cause)
    )
    if chain.earlier and chain.crossing is not None and not _adds_up(story, chain):
        text = _(
            "{person} was exposed on day {day} because {because}, on top of {marks}: suspicion "
            "of about {value} (the parts are rounded) reached the threshold of {threshold}."
        ).format(because=because, marks=_earlier(story, chain.earlier), **values)
    elif chain.earlier:
        text = _(
            "{person} was exposed on day {day} because {because}, on top of {marks}: suspicion "
            "{value} reached the threshold of {threshold}."
        ).format(because=because, marks=_earlier(story, chain.earlier), **values)
    else:
        text = _(
            "{person} was exposed on day {day} because {because}: suspicion {value} reached the "
            "threshold of {threshold}."
        ).format(because=because, **values)
    out = [text]
    if chain.named_by is not None:
        out += chain_sentences(story, chain.named_by)
    return out


def aftermath_sentence(story: Story) -> str | None:
    """What the persona's seized phone gave up, and what became of the people it named."""
    seized = next((ev for ev in story.aftermath if ev.kind == "seized"), None)
    if seized is None:
        return None
    person = cap(story.name(story.persona.id))
    named = list(dict.fromkeys(ev.other for ev in story.aftermath if ev.kind == "reveal"))
    state = _("unlocked") if seized.detail == "unlocked" else _("stayed locked")
    if not named:
        return _(
            "{person}'s phone was seized ({state}); it named nobody who was still free."
        ).format(person=person, state=state)
    fates = []
    for other in named:
        found = story.people.get(other)
        if found is not None and found.exposed_day is not None:
            fates.append(
                _("{name} (exposed on day {day})").format(
                    name=story.name(other), day=found.exposed_day
                )
            )
        else:
            fates.append(_("{name} (not exposed)").format(name=story.name(other)))
    ways = {w for ev in story.aftermath if ev.kind == "reveal" for w in ev.detail.split("+")}
    phone = bool(ways & {"device", "content"})
    log = "metadata" in ways
    words = "interrogation" in ways
    values = {
        "person": person,
        "state": state,
        "lower": story.name(story.persona.id),
        "people": _names_list(fates),
    }
    # Only the ways that named someone in this run: a locked phone names nobody by itself.
    if words and not phone and not log:
        text = _(
            "{person}'s phone was seized ({state}); under interrogation {lower} named {people}."
        )
    elif words and phone and not log:
        text = _(
            "{person}'s phone was seized ({state}); the phone or {lower} under interrogation "
            "named {people}."
        )
    elif words and log and not phone:
        text = _(
            "{person}'s phone was seized ({state}); the network's records or {lower} under "
            "interrogation named {people}."
        )
    elif words:
        text = _(
            "{person}'s phone was seized ({state}); the phone, the network's records or {lower} "
            "under interrogation named {people}."
        )
    elif phone and not log:
        text = _("{person}'s phone was seized ({state}); the phone named {people}.")
    elif log and not phone:
        text = _("{person}'s phone was seized ({state}); the network's records named {people}.")
    else:
        text = _(
            "{person}'s phone was seized ({state}); it or the network's records named {people}."
        )
    return text.format(**values)


def why(story: Story) -> list[str]:
    """The closing paragraph: the causal chain and its aftermath."""
    out = chain_sentences(story)
    after = aftermath_sentence(story)
    if after is not None:
        out.append(after)
    return out


# ------------------------------------------------------------------ whole stories
def _relation(story: Story, relation: str) -> str:
    persona = story.persona.name
    return {
        "persona": _("the person this story follows"),
        "partner": _("does things with {persona}").format(persona=persona),
        "contact": _("linked to {persona}").format(persona=persona),
        "named": _("named by a seized phone"),
        "named_by": _("their seized phone named someone in this story"),
    }.get(relation, relation)


def _person_line(story: Story, person: Any) -> str:
    s = story.scenario
    bits = [_relation(story, person.relation)]
    if person.exposed_day is not None:
        bits.append(
            _("exposed on day {day} ({cause})").format(
                day=person.exposed_day, cause=mechanism_label(s, person.cause)
            )
        )
    else:
        bits.append(_("not exposed"))
    return f"{cap(person.name)}: {'; '.join(bits)}"


def _heading(story: Story) -> str:
    title = story.scenario.title
    if story.variant:
        title = f"{title}, {story.variant}"
    return _("{title}: one run told for {persona}").format(title=title, persona=story.persona.name)


def _settings(story: Story) -> str:
    text = _(
        "Seed {seed}, {horizon}. An investigation starts when suspicion reaches {threshold}"
    ).format(seed=story.seed, horizon=horizon(story.horizon), threshold=f"{story.threshold:g}")
    if story.half_life is not None:
        text += _("; suspicion halves every {days} days").format(days=f"{story.half_life:g}")
    return text + "."


def _untold(story: Story) -> str | None:
    if not story.untold:
        return None
    return _("{n} more people were caught up in the cascade; this story leaves them out.").format(
        n=story.untold
    )


def render_text(story: Story) -> str:
    """The story as plain text for a terminal or a handout."""
    title = fold(_heading(story))
    out = [
        *title,
        "=" * max(width_of(line) for line in title),
        fill(_settings(story)),
        "",
        _("People"),
        rule(_("People")),
    ]
    out += [fill(_person_line(story, p), first="  ", rest="    ") for p in story.people.values()]
    if (note := _untold(story)) is not None:
        out.append(fill(note, first="  ", rest="    "))
    out.append("")
    if not story.days:
        out += [
            fill(_("Nothing the adversary noticed happened to these people.")),
            "",
        ]
    for day, events in story.days:
        out.append(_("Day {day}").format(day=day))
        out += [fill(event_text(story, ev), first="  ", rest="    ") for ev in events]
        out.append("")
    out += [_("Why"), rule(_("Why"))]
    out += [fill(sentence) for sentence in why(story)]
    out += ["", fill(illustrative())]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Text safe to put in Markdown: characters that would format are escaped."""
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text


def render_md(story: Story) -> str:
    """The story as Markdown, for a handout."""
    out = [f"# {_md(_heading(story))}", "", _md(_settings(story)), "", f"## {_('People')}", ""]
    out += [f"- {_md(_person_line(story, p))}" for p in story.people.values()]
    if (note := _untold(story)) is not None:
        out.append(f"- {_md(note)}")
    out.append("")
    if not story.days:
        out += [_md(_("Nothing the adversary noticed happened to these people.")), ""]
    for day, events in story.days:
        out += [f"## {_md(_('Day {day}').format(day=day))}", ""]
        out += [f"- {_md(event_text(story, ev))}" for ev in events]
        out.append("")
    out += [f"## {_md(_('Why'))}", ""]
    out += [_md(sentence) + "\n" for sentence in why(story)]
    out.append(f"*{_md(illustrative())}*")
    return "\n".join(out).rstrip("\n") + "\n"


def _num(x: float) -> float:
    return round(float(x), 6)


def _event_json(story: Story, ev: Event) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": ev.kind,
        "text": event_text(story, ev),
        "mechanism": ev.mechanism,
        "person": story.name(ev.actor),
        "person_id": ev.actor,
    }
    if ev.other >= 0:
        out["other"] = story.name(ev.other)
        out["other_id"] = ev.other
    if ev.detail:
        out["detail"] = ev.detail
    if ev.kind in (
        "report",
        "voice",
        "named",
        "offer",
        "passed_on",
        "registration",
        "find",
        "cascade",
        "bribe",
        "extorted",
    ):
        out["amount"] = _num(ev.amount)
    if ev.kind == "linked":
        out["messages"] = int(ev.amount)
    if ev.via:
        out["via"] = ev.via
    if ev.since:
        out["since"] = ev.since
    if ev.subjects:
        out["subjects"] = [story.name(p) for p in ev.subjects]
    if ev.kind == "suspicion":
        out["suspicion"] = _num(ev.suspicion or 0.0)
        out["before"] = _num(ev.before or 0.0)
    return out


def _chain_json(story: Story, chain: Chain) -> list[dict[str, Any]]:
    def mark(inc: Increment, role: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "step": role,
            "person": story.name(chain.person),
            "person_id": chain.person,
            "day": inc.day,
            "kind": inc.kind,
            "mechanism": inc.mechanism,
            "amount": _num(inc.amount),
            "remaining": _num(inc.remaining),
        }
        if inc.detail:
            out["detail"] = inc.detail
        if inc.via:
            out["via"] = inc.via
        if inc.since:
            out["since"] = inc.since
        if inc.other >= 0:
            out["other"] = story.name(inc.other)
            out["other_id"] = inc.other
        return out

    steps = [mark(inc, "earlier") for inc in chain.earlier]
    if chain.crossing is not None:
        steps.append(mark(chain.crossing, "crossing"))
    if chain.cause is not None:
        steps.append(
            {
                "step": "exposed",
                "person": story.name(chain.person),
                "person_id": chain.person,
                "day": chain.day,
                "cause": chain.cause,
                "suspicion": _num(chain.value),
            }
        )
    if chain.named_by is not None:
        steps = _chain_json(story, chain.named_by) + steps
    return steps


def story_json(story: Story, source: dict[str, Any] | None = None) -> dict[str, Any]:
    """The story as data: every day and cause as in the run, with the sentences."""
    s = story.scenario
    exposed = story.exposed
    scenario: dict[str, Any] = {"name": s.name, "title": s.title}
    scenario.update(source or {})
    return {
        "scenario": scenario,
        "note": illustrative(),
        "seed": story.seed,
        "horizon": story.horizon,
        "threshold": story.threshold,
        "half_life": story.half_life,
        "persona": {
            "role": story.persona.role,
            "person": story.persona.name,
            "id": story.persona.id,
        },
        "days": [
            {"day": day, "events": [_event_json(story, ev) for ev in events]}
            for day, events in story.days
        ],
        "exposed": {"day": exposed[0], "cause": exposed[1]} if exposed is not None else None,
        "chain": _chain_json(story, story.chain),
        "why": why(story),
        "linked": [
            {
                "person": p.name,
                "id": p.id,
                "role": p.role,
                "relation": p.relation,
                "exposed": {"day": p.exposed_day, "cause": p.cause}
                if p.exposed_day is not None
                else None,
            }
            for p in story.linked
        ],
        "untold": story.untold,
    }


def render_json(story: Story, source: dict[str, Any] | None = None) -> str:
    """JSON text of a story."""
    return json.dumps(story_json(story, source), indent=2, ensure_ascii=False) + "\n"


FORMATS = ("text", "md", "json")


def render(story: Story, fmt: str, source: dict[str, Any] | None = None) -> str:
    """The story in one of FORMATS; `source` (path, sha256) goes into the JSON's `scenario`."""
    if fmt == "json":
        return render_json(story, source)
    if fmt == "md":
        return render_md(story)
    return render_text(story)
