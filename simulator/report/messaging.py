"""Rendering `exposure tap` and `exposure seize`: tables with plain sentences, and JSON."""

from __future__ import annotations

import io
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from simulator.channels import channel_rules
from simulator.i18n import _, ngettext
from simulator.messaging.adversary import (
    ExposedPerson,
    NamedInMessage,
    ReadLine,
    SeizeReport,
    TapReport,
)
from simulator.messaging.network import LogLine
from simulator.messaging.wire import unpack
from simulator.report.grid import table_width
from simulator.report.words import percent, person_phrase, possessive, titled
from simulator.scenario import LoadedScenario

LOG_LINES = 8
HEX_CHARS = 24


def _console(buffer: io.StringIO, width: int | None) -> Console:
    # Scenario text is never markup.
    return Console(
        file=buffer,
        width=width or table_width(),
        force_terminal=False,
        color_system=None,
        highlight=False,
        markup=False,
    )


def _tidy(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def clock(second: int) -> str:
    """Seconds into a day as HH:MM."""
    return f"{second // 3600:02d}:{second % 3600 // 60:02d}"


def wire_hex(line: LogLine, chars: int = HEX_CHARS) -> str:
    """The start of a logged message's body as hex (the header is shown as the endpoints)."""
    parts = unpack(line.wire)
    body = parts[1] if parts is not None else line.wire
    text = body.hex()
    return text if len(text) <= chars else text[:chars] + "…"


def _who(names: list[str], person: int | None) -> str:
    return _("(hidden)") if person is None else names[person]


def _sender(names: list[str], r: ReadLine) -> str:
    """The sender a log line shows, or the one the operator linked to it by timing."""
    if r.line.sender is None and r.by_timing is not None:
        return _("{person} (by timing)").format(person=names[r.by_timing])
    return _who(names, r.line.sender)


def _scenario_json(loaded: LoadedScenario) -> dict[str, Any]:
    s = loaded.scenario
    return {"name": s.name, "title": s.title, "path": loaded.display_path, "sha256": loaded.sha256}


# ------------------------------------------------------------------------------ tap
def tap_json(report: TapReport, loaded: LoadedScenario, seed: int) -> dict[str, Any]:
    """The `tap --format json` document."""
    channels = list(loaded.scenario.channels)
    links: dict[str, Any] = {
        "people": len(report.linked),
        "pairs": len(report.pairs),
        "linked": sorted(report.names[p] for p in report.linked),
    }
    if channel_rules(loaded.scenario).timed.any():
        links["by_timing"] = [
            {
                "person": report.names[k.person],
                "channel": channels[k.channel],
                "day": k.day,
                "messages": k.messages,
            }
            for k in report.timing
        ]
    return {
        "scenario": _scenario_json(loaded),
        "settings": {
            "days": report.days,
            "seed": seed,
            "countermeasures": list(loaded.countermeasures),
            "person": None if report.person is None else report.names[report.person],
        },
        "messages": {
            "seen": report.seen,
            "readable": report.readable,
            "sealed": report.sealed,
            "not_logged": report.unlogged,
        },
        "channels": {
            channels[c]: {"seen": seen, "readable": readable}
            for c, (seen, readable) in sorted(report.per_channel.items())
        },
        "links": links,
        "log": [
            {
                "day": r.line.day,
                "time": clock(r.line.second),
                "channel": channels[r.line.channel],
                "from": None if r.line.sender is None else report.names[r.line.sender],
                **({"by_timing": report.names[r.by_timing]} if r.by_timing is not None else {}),
                "to": report.names[r.line.recipient],
                "bytes": len(r.line.wire),
                "wire": r.line.wire.hex(),
                "content": r.content,
            }
            for r in report.lines[:LOG_LINES]
        ],
    }


def tap_table(
    report: TapReport, loaded: LoadedScenario, seed: int, width: int | None = None
) -> str:
    """The first log lines, a summary, and one sentence on what encryption did and did not hide."""
    s = loaded.scenario
    buffer = io.StringIO()
    console = _console(buffer, width)
    if report.person is None:
        title = _("{title}: what the operator logged in {days} days (seed {seed})").format(
            title=titled(loaded), days=report.days, seed=seed
        )
    else:
        title = _(
            "{title}: what the operator logged naming {person} in {days} days (seed {seed})"
        ).format(
            title=titled(loaded), person=report.names[report.person], days=report.days, seed=seed
        )
    table = Table()
    table.add_column(_("Day"), justify="right")
    table.add_column(_("Time"))
    table.add_column(_("From"))
    table.add_column(_("To"))
    table.add_column(_("Bytes"), justify="right")
    table.add_column(_("What the operator reads"))
    for r in report.lines[:LOG_LINES]:
        what = (
            f'"{r.content}"'
            if r.content is not None
            else _("{hex} (cannot decrypt)").format(hex=wire_hex(r.line))
        )
        table.add_row(
            str(r.line.day),
            clock(r.line.second),
            _sender(report.names, r),
            report.names[r.line.recipient],
            str(len(r.line.wire)),
            what,
        )
    console.print(title)
    if report.lines:
        console.print(table)
        if len(report.lines) > LOG_LINES:
            console.print(_("… and {n} more lines.").format(n=f"{len(report.lines) - LOG_LINES:,}"))
    else:
        console.print(_("The operator logged nothing."))
    console.print("")
    channels = list(s.channels.values())
    per = ", ".join(
        f"{channels[c].label or list(s.channels)[c]} {seen:,}"
        for c, (seen, _r) in sorted(report.per_channel.items())
    )
    rows = [
        (_("Messages logged"), f"{report.seen:,}" + (f" ({per})" if per else "")),
        (_("Readable by the operator"), f"{report.readable:,}"),
        (_("Sender hidden (sealed sender)"), f"{report.sealed:,}"),
        (
            _("People the log links to someone"),
            f"{len(report.linked):,} ("
            + ngettext("{n} pair", "{n} pairs", len(report.pairs)).format(
                n=f"{len(report.pairs):,}"
            )
            + ")",
        ),
        (_("Not logged (no operator, or one that keeps no log)"), f"{report.unlogged:,}"),
    ]
    if report.timing:
        rows.insert(3, (_("Hidden senders linked by timing"), f"{len(report.timing):,}"))
    label_width = max(len(label) for label, _v in rows)
    for label, value in rows:
        console.print(f"{label:<{label_width}}  {value}")
    console.print("")
    if report.seen and report.readable == 0 and report.pairs:
        sentence = _(
            "The operator could read none of the {n} messages it logged, yet its log links "
            "{people} people to each other."
        ).format(n=f"{report.seen:,}", people=f"{len(report.linked):,}")
    elif report.seen and report.readable == report.seen:
        sentence = _("The operator read every message it logged, and knows who wrote to whom.")
    elif report.seen:
        sentence = _(
            "The operator read {r} of the {n} messages it logged; its log links {people} people."
        ).format(r=f"{report.readable:,}", n=f"{report.seen:,}", people=f"{len(report.linked):,}")
    else:
        sentence = _("Nothing these people sent passed an operator that keeps a log.")
    console.print(sentence)
    if report.timing:
        console.print("")
        console.print(
            _(
                "Sealed sender hid who sent {n} of these messages, but the operator links a hidden "
                "sender to her messages by their timing (a statistical disclosure attack), the "
                "surer the more of them it sees:"
            ).format(n=f"{report.sealed:,}")
        )
        for k in report.timing:
            console.print(
                "  "
                + ngettext(
                    "linked by timing after {n} message: {person} (day {day}, {channel})",
                    "linked by timing after {n} messages: {person} (day {day}, {channel})",
                    k.messages,
                ).format(
                    n=k.messages,
                    person=report.names[k.person],
                    day=k.day,
                    channel=channels[k.channel].label or list(s.channels)[k.channel],
                )
            )
    return _tidy(buffer.getvalue())


# ----------------------------------------------------------------------------- seize
def _via(e: ExposedPerson) -> list[str]:
    return [
        name
        for name, on in (
            ("device", e.via_device),
            ("metadata", e.via_metadata),
            ("interrogation", e.via_interrogation),
        )
        if on
    ]


def _conversation(report: SeizeReport, loaded: LoadedScenario, named: NamedInMessage) -> str:
    """Whom a conversation is with: the partner, or the group chat it belongs to."""
    if named.group is None:
        return report.names[named.partner]
    return loaded.scenario.group_label(list(loaded.scenario.groups)[named.group])


def _message_line(report: SeizeReport, r: dict[str, Any]) -> str:
    """A recovered message as one line: day, time, sender, recipients and text."""
    recipients: list[int] = r["recipients"]
    to = (
        _("the group")
        if r["group"] is not None
        else ", ".join(report.names[int(p)] for p in recipients)
    )
    return (
        f"{_('day')} {r['day']} {clock(int(r['second']))}  {report.names[int(r['sender'])]} → "
        f'{to}: "{r["text"]}"'
    )


def seize_json(report: SeizeReport, loaded: LoadedScenario, seed: int) -> dict[str, Any]:
    """The `seize --format json` document."""
    roles = loaded.scenario.role_names
    pop_role = report.roles
    # Whom the log links only through a timing link: when some sealed channel can be linked.
    timed = bool(channel_rules(loaded.scenario).timed.any())
    return {
        "scenario": _scenario_json(loaded),
        "settings": {"seed": seed, "countermeasures": list(loaded.countermeasures)},
        "person": report.names[report.person],
        "day": report.day,
        "unlocked": report.unlocked,
        "messages": {
            "total": report.total,
            "on_device": report.on_device,
            "recovered": report.recovered,
            "tapped": report.tapped,
            "tapped_decrypted": report.tapped_decrypted,
            "read_by_operator": report.read_by_operator,
            "unreadable": report.unreadable,
        },
        "links": {
            "exposed": [
                {
                    "person": report.names[e.person],
                    "role": roles[pop_role[e.person]],
                    "via": _via(e),
                    **({"log_by_timing": e.via_timing} if timed else {}),
                    "chance": round(e.chance, 6),
                }
                for e in report.exposed
            ],
            "via_device": report.via_device,
            "via_metadata": report.via_metadata,
            **({"via_timing": report.via_timing} if timed else {}),
            "via_interrogation": report.via_interrogation,
        },
        "content": {
            "kept_conversations": report.kept_conversations,
            "named": [
                {
                    "person": report.names[n.person],
                    "role": roles[pop_role[n.person]],
                    "conversation": _conversation(report, loaded, n),
                    "message": {
                        "day": n.message["day"],
                        "time": clock(int(n.message["second"])),  # type: ignore[call-overload]
                        "from": report.names[int(n.message["sender"])],  # type: ignore[call-overload]
                        "text": n.message["text"],
                    },
                    "kept_messages": n.kept,
                    "chance": round(n.chance, 6),
                }
                for n in report.named
            ],
        },
    }


def seize_table(
    report: SeizeReport, loaded: LoadedScenario, seed: int, width: int | None = None
) -> str:
    """What the phone and the log gave up: messages, then people, then plain sentences."""
    who = report.names[report.person]
    buffer = io.StringIO()
    console = _console(buffer, width)
    state = _("unlocked") if report.unlocked else _("locked")
    title = _("{title}: {phone}, seized at the end of day {day} ({state}, seed {seed})").format(
        title=titled(loaded),
        phone=possessive(who, _("phone")),
        day=report.day,
        state=state,
        seed=seed,
    )
    console.print(title)
    table = Table()
    table.add_column(_("Messages {person} sent or received").format(person=person_phrase(who)))
    table.add_column(_("Count"), justify="right")
    for label, value in (
        (_("all of them"), report.total),
        (_("still on the phone"), report.on_device),
        (_("recovered: decrypted from the phone"), report.recovered),
        (_("logged by the operator"), report.tapped),
        (_("logged, and now decrypted with the phone's keys"), report.tapped_decrypted),
        (_("logged, and readable without any key"), report.read_by_operator),
        (_("unreadable to the adversary"), report.unreadable),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    if report.recovered_examples:
        console.print(_("Latest messages recovered from the phone:"))
        for r in report.recovered_examples:
            console.print("  " + _message_line(report, r))
    if report.tapped_examples:
        console.print(_("Logged messages, tried with the keys from the phone:"))
        outcomes = {
            "read": _("readable without a key"),
            "decrypted": _("decrypted with the phone's keys"),
            "unreadable": _("no key on the phone opens it: unreadable"),
        }
        for line, outcome in report.tapped_examples:
            console.print(
                f"  {_('day')} {line.day} {clock(line.second)}  {_who(report.names, line.sender)} "
                "→ "
                f"{report.names[line.recipient]}  {wire_hex(line)}  {outcomes[outcome]}"
            )
    console.print("")
    people = Table()
    people.add_column(_("Person"))
    people.add_column(_("Found on the phone"))
    people.add_column(_("Linked by the operator's log"))
    asked = report.via_interrogation > 0
    if asked:
        people.add_column(_("Named under interrogation"))
    people.add_column(_("Chance of a reveal"), justify="right")
    for e in report.exposed:
        cells = [
            report.names[e.person],
            _("yes") if e.via_device else "—",
            (_("yes, by timing") if e.via_timing else _("yes")) if e.via_metadata else "—",
        ]
        if asked:
            cells.append(_("yes") if e.via_interrogation else "—")
        people.add_row(*cells, percent(e.chance))
    if report.exposed:
        console.print(_("People the seizure exposes: {n}").format(n=len(report.exposed)))
        console.print(people)
    else:
        console.print(_("People the seizure exposes: none."))
    if report.named:
        console.print(_("Recovered messages that name someone else:"))
        for n in report.named:
            console.print(
                "  "
                + _message_line(report, n.message)
                + "  "
                + _(
                    "names {person} (its conversation keeps {kept} messages; chance {chance})"
                ).format(person=report.names[n.person], kept=n.kept, chance=percent(n.chance))
            )
    sentences = [
        _(
            "The phone gave up {recovered} of the {total} messages; {unreadable} stayed "
            "unreadable to the adversary."
        ).format(
            recovered=f"{report.recovered:,}",
            total=f"{report.total:,}",
            unreadable=f"{report.unreadable:,}",
        )
    ]
    encrypted = report.tapped - report.read_by_operator
    if encrypted > 0 and report.unlocked:
        if report.tapped_decrypted == 0:
            sentences.append(
                _(
                    "The keys on the phone opened none of the {n} encrypted messages the operator "
                    "had logged before the seizure."
                ).format(n=f"{encrypted:,}")
            )
        else:
            sentences.append(
                _(
                    "The keys on the phone decrypted {d} of the {n} encrypted messages the "
                    "operator had logged before the seizure."
                ).format(d=f"{report.tapped_decrypted:,}", n=f"{encrypted:,}")
            )
    sentences.append(
        _(
            "{device} people were found on the phone; the operator's log links {metadata}, "
            "whatever the phone still holds."
        ).format(device=report.via_device, metadata=report.via_metadata)
    )
    if report.via_timing:
        sentences.append(
            _(
                "The log does not show who sent a sealed message, yet it links {n} of these people "
                "only because it linked a sender by timing: from the message that linked her on, "
                "her sealed messages show both ends."
            ).format(n=report.via_timing)
        )
    if report.via_interrogation:
        sentences.append(
            _(
                "Under interrogation {person} can be made to name {n} of them, whether the phone "
                "opens or not."
            ).format(person=person_phrase(who), n=report.via_interrogation)
        )
    if report.kept_conversations:
        sentences.append(
            _(
                "{kept} conversations are still on the phone; what they say names {n} people "
                "besides those they are with."
            ).format(kept=report.kept_conversations, n=len({n.person for n in report.named}))
        )
    if report.exposed and report.via_interrogation:
        sentences.append(
            _(
                "The chances beside each person are the ones `exposure run` uses for these links: "
                "how often the phone, the operator's log and an interrogation give such a link "
                "away."
            )
        )
    elif report.exposed:
        sentences.append(
            _(
                "The chances beside each person are the ones `exposure run` uses for these links: "
                "how often the phone and the operator's log give such a link away."
            )
        )
    for sentence in sentences:
        console.print(sentence)
    return _tidy(buffer.getvalue())


def render_tap(report: TapReport, loaded: LoadedScenario, seed: int, fmt: str) -> str:
    """`tap` output in the chosen format."""
    if fmt == "json":
        return json.dumps(tap_json(report, loaded, seed), indent=2, ensure_ascii=False) + "\n"
    return tap_table(report, loaded, seed)


def render_seize(report: SeizeReport, loaded: LoadedScenario, seed: int, fmt: str) -> str:
    """`seize` output in the chosen format."""
    if fmt == "json":
        return json.dumps(seize_json(report, loaded, seed), indent=2, ensure_ascii=False) + "\n"
    return seize_table(report, loaded, seed)
