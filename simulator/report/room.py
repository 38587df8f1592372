"""The tabletop for a room in a plain terminal: every team's turn, what passed between teams,
and a debrief of what each team's habits did to every team.

What the room sees holds no hidden information: what each persona did and saw, arrests, and what
an arrest gave away about another team's persona (a seized phone, a call log, words in custody).
Reports, overheard names and suspicion are for the facilitator (`--facilitator`), and every one of
them is told in the debrief.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.analysis.results import proportion_interval
from simulator.i18n import _, ngettext
from simulator.report.exercise import _fill, _rule, how_to_answer, read_answer, stopped_line
from simulator.report.story import cap, event_text, why
from simulator.report.words import (
    change,
    check_phrase,
    few_runs,
    figure,
    horizon,
    mechanism_label,
    observer_phrase,
    percent,
)
from simulator.teaching.exercise import FIRST_TURN_LIMIT, Combo, TurnResult
from simulator.teaching.story import Story
from simulator.teaching.teams import Coupling, Room, RoomDebrief

# What an arrest gives away: the room sees these; the rest is for the facilitator.
ARREST_WAYS = ("device", "metadata", "interrogation", "content")
# Hidden events shown to the facilitator per team and turn; the rest are counted.
MAX_HIDDEN = 12


def team_name(room: Room, k: int) -> str:
    """A team as the room calls it: "Team 2 (the first source)"."""
    return _("Team {n} ({persona})").format(n=k + 1, persona=room.teams[k].label)


def intro(room: Room) -> str:
    """What the game is, who plays whom, and how a turn works."""
    s = room.scenario
    lines = [*_rule(_("{title}: a tabletop for a room").format(title=s.title), "="), ""]
    lines.append(_fill(s.summary.strip()))
    lines.append("")
    lines.append(
        _fill(
            _(
                "{teams} teams play in the same town and the same run: {turns} turns of {days} "
                "days ({horizon} in all). Each turn every team still free chooses how its person "
                "lives until the next turn; then the model plays the days out for everyone at "
                "once, so what one team does can reach another."
            ).format(
                teams=len(room.teams),
                turns=len(room.turns),
                days=room.exercise.turn_days,
                horizon=horizon(room.turns[-1].last),
            )
        )
    )
    lines.append("")
    lines.append(
        _fill(
            _(
                "The town and its chances are those of `exposure trace {scenario} --seed "
                "{trace}`: had every team played its first option every turn, this game would be "
                "the run that command tells."
            ).format(scenario=s.name, trace=room.selection.trace_seed)
            if room.selection.attempt == 0
            else _(
                "The town and its chances are those of `exposure trace {scenario} --seed "
                "{trace}` (not of seed {seed}: the debrief says why): had every team played its "
                "first option every turn, this game would be the run that command tells."
            ).format(scenario=s.name, trace=room.selection.trace_seed, seed=room.seed)
        )
    )
    for k, team in enumerate(room.teams):
        lines.append("")
        lines.append(_fill(team_name(room, k) + (": " + team.brief.strip() if team.brief else "")))
    lines.append("")
    lines.append(how_to_answer())
    return "\n".join(lines) + "\n"


def turn_header(room: Room) -> str:
    """The turn, and which teams answer in it: every team still free, one line each."""
    turn = room.next_turn
    free = [str(k + 1) for k, out in enumerate(room.out) if not out]
    lines = [
        "",
        *_rule(
            _("Turn {n} of {total} — days {first} to {last}").format(
                n=turn.number, total=len(room.turns), first=turn.first, last=turn.last
            ),
            "=",
        ),
    ]
    if len(free) < len(room.teams):
        lines.append(
            _fill(_("Teams still free answer, in order: {teams}.").format(teams=", ".join(free)))
        )
    return "\n".join(lines) + "\n"


def team_menu(room: Room, k: int) -> str:
    """A team's situation and numbered menu for the next turn."""
    team = room.teams[k]
    turn = room.next_turn
    lines = ["", *_rule(team_name(room, k))]
    situation = team.situations[turn.number - 1] if turn.number <= len(team.situations) else ""
    for j in room.partners(k):
        day = room.exposed_day(j)
        if day is not None:
            lines += [
                _fill(
                    _(
                        "In this run {other} was arrested on day {day}. Your choice still counts "
                        "in the odds, over the runs in which she is free."
                    ).format(other=room.teams[j].label, day=day)
                ),
                "",
            ]
    if situation.strip():
        lines += [_fill(situation.strip()), ""]
    for n, (label, description, cost) in enumerate(
        zip(team.labels, team.descriptions, team.costs), start=1
    ):
        text = f"{n}. {label}"
        if description.strip():
            text += f" — {description.strip()}"
        if cost.strip():
            text += " " + _("Cost: {cost}").format(cost=cost.strip())
        lines.append(_fill(text, "  "))
    return "\n".join(lines) + "\n"


def read_team_choice(
    ask: Callable[[str], str | None], tell: Callable[[str], None], room: Room, k: int
) -> Combo | None:
    """A team's choice from the input (its menu indices), None at the end of the input."""
    labels = list(room.teams[k].labels)
    return read_answer(
        ask,
        tell,
        _("{team}, your choice (1-{n}): ").format(team=team_name(room, k), n=len(labels)),
        room.next_turn.number,
        labels,
        lambda picks: room.excluded(k, picks),
    )


def coupling_text(room: Room, c: Coupling) -> str:
    """One thing that passed between two teams' personas, as a sentence."""
    s = room.scenario
    values = {
        "source": room.teams[c.source].label,
        "target": room.teams[c.target].label,
    }
    if c.kind == "device":
        text = _("{target}'s number was on {source}'s seized phone.").format(**values)
    elif c.kind == "metadata":
        text = _("After {source}'s arrest, the operator's call log linked {target} to her.").format(
            **values
        )
    elif c.kind == "interrogation":
        text = _("{source} named {target} under interrogation.").format(**values)
    elif c.kind == "content":
        text = _("A message kept on {source}'s phone named {target}.").format(**values)
    elif c.kind == "report":
        text = _("{observer} reported {source} ({activity}) and named {target} too.").format(
            observer=observer_phrase(s, c.mechanism),
            activity=s.activity_label(c.detail),
            **values,
        )
    elif c.kind == "registration":
        text = _("{source}'s registered stay ({activity}) put {target} on record too.").format(
            activity=s.activity_label(c.detail), **values
        )
    elif c.kind == "named":
        text = _("{observer} heard {target}'s name on a call {source} made.").format(
            observer=observer_phrase(s, c.mechanism), **values
        )
    else:  # find
        text = _("{check} found {state} at {source}'s home, and {target} with it.").format(
            check=check_phrase(s, c.mechanism), state=s.state_label(c.detail), **values
        )
    return _("Day {day}: {text}").format(day=c.day, text=cap(text))


def consequences(
    room: Room, results: list[TurnResult], stories: list[Story], facilitator: bool
) -> str:
    """What the turn brought each team, and what passed between them."""
    s = room.scenario
    turn = results[0].turn
    lines: list[str] = []
    for k, (result, story) in enumerate(zip(results, stories)):
        lines += ["", *_rule(team_name(room, k))]
        if result.turn.number > 1 and room.results[-2][k].exposed:
            day = room.exposed_day(k)
            arrested = next(t.number for t in room.turns if day is not None and day <= t.last)
            lines.append(
                _fill(
                    _("Out of the game since day {day} (turn {turn}).").format(
                        day=day, turn=arrested
                    )
                )
            )
            continue
        lines.append(_fill(_("You chose: {label}.").format(label=room.label(k, result.choice))))
        persona = room.teams[k].label
        if result.did:
            did = "; ".join(
                ngettext("{activity}: on {n} day", "{activity}: on {n} days", n).format(
                    activity=s.activity_label(a), n=n
                )
                for a, n in sorted(
                    result.did.items(), key=lambda kv: list(s.activities).index(kv[0])
                )
            )
            lines.append(_fill(_("What {persona} did: {did}.").format(persona=persona, did=did)))
        others = room.done_with(k, turn.first, turn.last)
        if others:
            by = {p: j for j, p in enumerate(room.personas)}
            done = "; ".join(
                ngettext(
                    "{person} {activity}: on {n} day", "{person} {activity}: on {n} days", n
                ).format(
                    person=room.teams[by[actor]].label if actor in by else story.name(actor),
                    activity=s.activity_label(activity),
                    n=n,
                )
                for (actor, activity), n in sorted(
                    others.items(), key=lambda kv: list(s.activities).index(kv[0][1])
                )
            )
            lines.append(
                _fill(
                    _("What others did with {persona}: {done}.").format(persona=persona, done=done)
                )
            )
        for j in room.partners(k):
            day = room.exposed_day(j)
            if day is not None and turn.first <= day <= turn.last and not result.exposed:
                lines.append(
                    _fill(
                        _(
                            "{other} was arrested on day {day}. Whatever her phone, the call log "
                            "and her words in custody gave away came out then; nothing more "
                            "passes between {persona} and her."
                        ).format(other=cap(room.teams[j].label), day=day, persona=persona)
                    )
                )
        for ev in result.seen:
            lines.append(
                _fill(_("Day {day}: {text}").format(day=ev.day, text=event_text(story, ev)), "  ")
            )
        if not result.seen and not result.exposed:
            lines.append(
                _fill(
                    _(
                        "Nothing happened that {persona} could see. On day {day}, {persona} is "
                        "still free."
                    ).format(persona=persona, day=turn.last)
                )
            )
        if result.odds is not None:
            odds = figure(result.odds.share, result.odds.ci95)
            values = {
                "runs": result.odds.runs,
                "persona": room.teams[k].label,
                "day": turn.last,
                "p": odds.value,
                "interval": odds.interval,
            }
            lines.append(
                _fill(
                    _(
                        "Over {runs} runs with every team's choices so far, {persona} is exposed "
                        "by day {day} in {p} of runs ({interval})."
                    ).format(**values)
                    if turn.number == 1
                    else _(
                        "Over {runs} runs with every team's choices so far, {persona} is exposed "
                        "by day {day} in {p} of runs ({interval}), counting runs where it "
                        "happened in an earlier turn."
                    ).format(**values)
                )
            )
        if facilitator:
            lines.append(_("For the facilitator (hidden from the teams):"))
            own = [
                ev
                for ev in result.hidden
                if ev.actor == room.personas[k] or room.personas[k] in ev.subjects
            ]
            lines += [
                _fill(_("Day {day}: {text}").format(day=ev.day, text=event_text(story, ev)), "  ")
                for ev in own[:MAX_HIDDEN]
            ]
            if len(own) > MAX_HIDDEN:
                lines.append(
                    _fill(
                        ngettext(
                            "… and {n} more event (`exposure trace` tells them all).",
                            "… and {n} more events (`exposure trace` tells them all).",
                            len(own) - MAX_HIDDEN,
                        ).format(n=len(own) - MAX_HIDDEN),
                        "  ",
                    )
                )
            if not result.exposed:
                lines.append(
                    _fill(
                        _(
                            "Suspicion on day {day}: {value} (an investigation starts at "
                            "{threshold})."
                        ).format(
                            day=turn.last,
                            value=f"{result.suspicion:.2f}",
                            threshold=f"{s.adversary.threshold:g}",
                        ),
                        "  ",
                    )
                )
    # The room sees what an arrest gave away, and whatever brought another team's person to her
    # own arrest in this turn; reports and names that only raised suspicion stay hidden.
    # A report or a name heard on a call is shown only once both people are taken: told while
    # the one it came through is free, it would tell the room whom the watchers follow.
    taken = {k for k, r in enumerate(results) if r.exposed}
    links = [
        c
        for c in room.links(turn.first, turn.last)
        if facilitator or c.kind in ARREST_WAYS or {c.source, c.target} <= taken
    ]
    if links:
        lines += ["", *_rule(_("Between the teams"))]
        lines += [_fill(coupling_text(room, c), "  ") for c in links]
    return "\n".join(lines) + "\n"


def _selection(room: Room, debrief: RoomDebrief) -> list[str]:
    sel = debrief.selection
    if not sel.chosen or sel.none_ends is None:
        return [
            _fill(
                _(
                    "The run played was seed {seed}'s own, left to chance: over {runs} runs, some "
                    "team's choice in turn one ends its game in that turn {limit} of the time or "
                    "more."
                ).format(seed=sel.trace_seed, runs=room.runs, limit=percent(FIRST_TURN_LIMIT))
            )
        ]
    return [
        _fill(
            _(
                "The run played (seed {trace}) was chosen so that no team's choice in turn one, "
                "whichever option it picked, would end its game in that turn; over {runs} runs, "
                "{p} of runs are like that. The odds shown each turn are over all runs, chosen "
                "or not."
            ).format(trace=sel.trace_seed, runs=room.runs, p=percent(sel.none_ends.share))
        )
    ]


def debrief_text(room: Room, debrief: RoomDebrief) -> str:
    """Each team's fate, everything that passed between teams, and what each team's habits did
    to every team over many runs."""
    lines = ["", *_rule(_("Debrief"), "=")]
    if debrief.stopped:
        lines.append(stopped_line(debrief.played, len(room.turns), debrief.horizon))
    for k, story in enumerate(debrief.stories):
        lines += ["", *_rule(team_name(room, k))]
        fate = story.exposed
        if fate is None:
            lines.append(_fill(_("Not exposed by day {day}.").format(day=debrief.horizon)))
        else:
            lines.append(
                _fill(
                    _("Exposed on day {day} ({cause}).").format(
                        day=fate[0], cause=mechanism_label(room.scenario, fate[1])
                    )
                )
            )
        lines += [_fill(sentence) for sentence in why(story)]
    lines += ["", *_rule(_("What passed between the teams"))]
    if debrief.links:
        lines += [_fill(coupling_text(room, c), "  ") for c in debrief.links]
    else:
        lines.append(_fill(_("Nothing in this run: no team's person implicated another's.")))
    lines += [
        "",
        *_rule(_("What each team's habits did, over {runs} runs").format(runs=debrief.runs)),
    ]
    lines.append(
        _fill(
            _(
                "Each team's choices against its first option every turn, the other teams "
                "playing as they did: the change in points, paired runs, 95% intervals."
            )
        )
    )
    teams = len(room.teams)
    played = []
    for j in range(teams):
        share = debrief.effects[j].yours  # every block's "as played" share is the same
        exposed = round(share * debrief.runs)
        shown = figure(share, proportion_interval(exposed, debrief.runs))
        played.append(
            _("{persona} {p} ({interval})").format(
                persona=room.teams[j].label, p=shown.value, interval=shown.interval
            )
        )
    lines.append(
        _fill(
            _("As played, exposed by day {day}: {shares}.").format(
                day=debrief.horizon, shares="; ".join(played)
            )
        )
    )
    lines += [_fill(a) for k in range(teams) if (a := _assumed(room, k, debrief))]
    for k in range(teams):
        first = room.teams[k].labels[0]
        lines.append("")
        if all(turn[k] == (room.teams[k].baseline,) for turn in room.picks):
            lines.append(
                _fill(
                    _("{team} played “{first}” every turn: nothing to compare.").format(
                        team=team_name(room, k), first=first
                    )
                )
            )
            continue
        lines.append(
            _fill(
                _("What the choices of {team} changed, against “{first}” every turn:").format(
                    team=team_name(room, k), first=first
                )
            )
        )
        for j in range(teams):
            e = debrief.effects[k * teams + j]
            d = change(e.delta, e.ci95)
            values = {"persona": room.teams[j].label, "delta": d.value, "interval": d.interval}
            if max(abs(e.ci95[0]), abs(e.ci95[1])) < 1e-9:
                text = _("{persona}: no difference in any run.").format(**values)
            elif not e.distinguishable:
                text = _(
                    "{persona}: no difference these runs can tell from chance ({interval} points)."
                ).format(**values)
            else:
                text = _("{persona}: {delta} points ({interval}).").format(**values)
            lines.append(_fill(cap(text), "  "))
    warning = few_runs(debrief.runs)
    if warning is not None:
        lines += ["", _fill(warning)]
    lines += ["", *_selection(room, debrief)]
    return "\n".join(lines) + "\n"


def _assumed(room: Room, k: int, debrief: RoomDebrief) -> str:
    """What the comparison assumes of a team after its person's arrest in the played run."""
    day = room.exposed_day(k)
    if day is None or day > debrief.horizon:
        return ""
    arrested = next(t.number for t in room.turns if t.first <= day <= t.last)
    last = next(t.number for t in room.turns if t.first <= debrief.horizon <= t.last)
    if arrested >= last:
        return ""
    return _(
        "{persona} was arrested in turn {turn} of this run; in the other runs her last choice, "
        "“{label}”, is taken to go on to turn {last}, in every comparison below."
    ).format(
        persona=cap(room.teams[k].label),
        turn=arrested,
        label=room.label(k, room.picks[arrested - 1][k]),
        last=last,
    )


def recap(room: Room, k: int) -> str:
    turn = room.turns[k]
    picks = "; ".join(
        f"{team.label}: {room.label(t, p)}"
        for t, (team, p) in enumerate(zip(room.teams, room.picks[k]))
    )
    taken = [
        _("{persona} arrested on day {day}").format(persona=team.label, day=day)
        for t, team in enumerate(room.teams)
        if (day := room.exposed_day(t)) is not None and turn.first <= day <= turn.last
    ]
    if taken:
        picks += " — " + "; ".join(taken)
    return (
        _fill(
            _("Turn {n} (days {first} to {last}): {label}").format(
                n=turn.number, first=turn.first, last=turn.last, label=picks
            )
        )
        + "\n"
    )


def play_room(
    room: Room,
    ask: Callable[[str], str | None],
    tell: Callable[[str], None],
    *,
    facilitator: bool,
    runs: int,
    after_turn: Callable[[], None] | None = None,
) -> RoomDebrief | None:
    """Play the game to its end (or the end of the input), then show the Debrief."""
    tell(intro(room))
    if room.results:
        tell("\n" + _("Resumed after turn {n}.").format(n=len(room.results)) + "\n")
        for k in range(len(room.results)):
            tell(recap(room, k))
    while not room.finished:
        tell(turn_header(room))
        out = room.out
        picks: list[Combo] = []
        ended = False
        for k in range(len(room.teams)):
            if out[k]:
                picks.append(room.picks[-1][k])
                continue
            tell(team_menu(room, k))
            pick = read_team_choice(ask, tell, room, k)
            if pick is None:
                ended = True
                break
            picks.append(pick)
        if ended:
            break
        results = room.play(picks)
        tell(consequences(room, results, room.stories(), facilitator))
        if after_turn is not None:
            after_turn()
    if not room.results:
        tell(
            "\n"
            + _("The input ended before the first turn was played; there is nothing to debrief.")
            + "\n"
        )
        return None
    debrief = room.debrief(runs)
    tell(debrief_text(room, debrief))
    return debrief
