"""The tabletop in a plain terminal: turns, the menu, consequences, and the debrief.

Everything is plain text on stdout, one answer per line on stdin, so an exercise can be played by
hand, scripted (`yes 1 | exposure exercise`), or fed by tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from simulator.errors import UsageError, ascii_number
from simulator.i18n import _, ngettext
from simulator.report.describe import option_label
from simulator.report.grid import fill, rule
from simulator.report.objectives import conditional_claims, depends_heading
from simulator.report.story import cap, event_text, why
from simulator.report.words import (
    change,
    exposure,
    few_runs,
    figure,
    horizon,
    illustrative,
    leaves_out,
    mechanism_label,
    percent,
    span,
)
from simulator.teaching.exercise import (
    FIRST_TURN_LIMIT,
    Alternative,
    Combo,
    Debrief,
    Tabletop,
    TurnResult,
)
from simulator.teaching.story import Story


def _fill(text: str, indent: str = "") -> str:
    """A paragraph (no indent) or a list item (indented, continued a little further in)."""
    return fill(text, first=indent, rest=indent + "  " if indent else "")


def _rule(title: str, char: str = "-") -> list[str]:
    return [title, rule(title, char)]


def _alt_label(table: Tabletop, alt: Alternative) -> str:
    """An alternative played every turn, its options named with their countermeasures."""
    if not alt.schedule or any(c != alt.schedule[0] for c in alt.schedule):
        return alt.label
    return " + ".join(option_label(table.scenario, k) for k in alt.schedule[0])


def intro(table: Tabletop) -> str:
    """What the exercise is, whom the player plays, and how a turn works."""
    s = table.scenario
    title = _("{title}: a tabletop exercise").format(title=s.title)
    turns = len(table.turns)
    lines = [*_rule(title, "="), _fill(s.summary.strip()), ""]
    values = {
        "role": s.role_label(table.role),
        "turns": turns,
        "days": table.exercise.turn_days,
        "horizon": horizon(table.turns[-1].last),
        "seed": table.seed,
        "trace": table.selection.trace_seed,
        "name": s.name,
    }
    if table.selection.trace_seed == table.seed:
        text = _(
            "You play the {role}. {turns} turns of {days} days ({horizon} in all); each turn, "
            "choose how the {role} works until the next one, and the model plays the days out "
            "in the seed's own run (seed {seed}): with no change of habit, it is the run "
            "`exposure trace {name} --seed {trace}` tells."
        )
    else:
        text = _(
            "You play the {role}. {turns} turns of {days} days ({horizon} in all); each turn, "
            "choose how the {role} works until the next one, and the model plays the days out "
            "in the run of seed {trace}, not of the seed {seed} asked for (the debrief says why): "
            "with no change of habit, it is the run `exposure trace {name} --seed {trace}` tells."
        )
    lines.append(_fill(text.format(**values)))
    lines.append(how_to_answer())
    return "\n".join(lines) + "\n"


def how_to_answer() -> str:
    """How a turn is answered, for one player or a team."""
    return _fill(
        _(
            "Answer with the number of a habit, or with several numbers (such as 2 4) to "
            "combine habits in one turn."
        )
    )


def turn_header(table: Tabletop) -> str:
    """The situation of the next turn and the numbered menu."""
    turn = table.next_turn
    lines = [
        "",
        *_rule(
            _("Turn {n} of {total} — days {first} to {last}").format(
                n=turn.number, total=len(table.turns), first=turn.first, last=turn.last
            )
        ),
    ]
    if turn.situation.strip():
        lines += [_fill(turn.situation.strip()), ""]
    for k, choice in enumerate(table.exercise.choices, start=1):
        text = f"{k}. {option_label(table.scenario, k - 1)}"
        if choice.description.strip():
            text += f" — {choice.description.strip()}"
        cost = table.cost(k - 1)
        if cost is not None and cost.strip():
            text += " " + _("Cost: {cost}").format(cost=cost.strip())
        lines.append(_fill(text, "  "))
    return "\n".join(lines) + "\n"


def prompt(table: Tabletop) -> str:
    """The question asked each turn."""
    return _("Your choice (1-{n}): ").format(n=len(table.exercise.choices))


def consequences(table: Tabletop, result: TurnResult, story: Story, facilitator: bool) -> str:
    """What the turn brought: what the persona did and saw; with `facilitator`, what was hidden."""
    s = table.scenario
    turn = result.turn
    persona = cap(story.persona.name)
    lines = ["", _("You chose: {label}.").format(label=table.label(result.choice))]
    if result.did:
        did = "; ".join(
            ngettext("{activity}: on {n} day", "{activity}: on {n} days", n).format(
                activity=s.activity_label(a), n=n
            )
            for a, n in sorted(result.did.items(), key=lambda kv: list(s.activities).index(kv[0]))
        )
        lines.append(
            _fill(_("What {persona} did: {did}.").format(persona=story.persona.name, did=did))
        )
    else:
        lines.append(_fill(_("{persona} did nothing risky.").format(persona=persona)))
    if result.seen:
        lines.append(_("What {persona} saw:").format(persona=story.persona.name))
        lines += [
            _fill(_("Day {day}: {text}").format(day=ev.day, text=event_text(story, ev)), "  ")
            for ev in result.seen
        ]
    elif not result.exposed:
        lines.append(
            _fill(
                _(
                    "Nothing happened that {persona} could see. On day {day}, {persona} is still "
                    "free."
                ).format(persona=story.persona.name, day=turn.last)
            )
        )
    if result.odds is not None:
        odds = figure(result.odds.share, result.odds.ci95)
        values = {
            "runs": result.odds.runs,
            "role": s.role_label(table.role),
            "day": turn.last,
            "p": odds.value,
            "interval": odds.interval,
        }
        lines.append(
            _fill(
                _(
                    "Over {runs} runs played with your choices so far, the {role} is exposed by "
                    "day {day} in {p} of runs ({interval}), counting those exposed in earlier "
                    "turns; in this run, the {role} was exposed."
                ).format(**values)
                if result.exposed
                else _(
                    "Over {runs} runs played with your choices so far, the {role} is exposed by "
                    "day {day} in {p} of runs ({interval}), counting those exposed in earlier "
                    "turns; in this run, the {role} is still free."
                ).format(**values)
            )
        )
    if facilitator:
        lines.append(_("For the facilitator (hidden from the player):"))
        lines += [
            _fill(_("Day {day}: {text}").format(day=ev.day, text=event_text(story, ev)), "  ")
            for ev in result.hidden
        ]
        if not result.hidden:
            lines.append(_fill(_("Nobody noticed anything."), "  "))
        if not result.exposed:
            lines.append(
                _fill(
                    _(
                        "Suspicion of {persona} on day {day}: {value} (an investigation starts at "
                        "{threshold})."
                    ).format(
                        persona=story.persona.name,
                        day=turn.last,
                        value=f"{result.suspicion:.2f}",
                        threshold=f"{s.adversary.threshold:g}",
                    ),
                    "  ",
                )
            )
    return "\n".join(lines) + "\n"


def recap(table: Tabletop, result: TurnResult) -> str:
    """One line for a turn played before the exercise was saved."""
    return (
        _("Turn {n} (days {first} to {last}): {label}").format(
            n=result.turn.number,
            first=result.turn.first,
            last=result.turn.last,
            label=table.label(result.choice),
        )
        + "\n"
    )


def _fate(table: Tabletop, fate: tuple[int, str] | None, until: int) -> str:
    if fate is None:
        return _("not exposed by day {day}").format(day=until)
    return _("exposed on day {day} ({cause})").format(
        day=fate[0], cause=mechanism_label(table.scenario, fate[1])
    )


def _comparison(table: Tabletop, debrief: Debrief, alt: Alternative) -> str:
    """One sentence comparing playing one option every turn with the player's choices."""
    role = debrief.role
    label = table.scenario.role_label(role)
    mine = debrief.yours.variant.results.roles[role].p_exposed
    theirs = alt.variant.results.roles[role].p_exposed
    delta = alt.delta[role]
    values = {
        "label": _alt_label(table, alt),
        "role": label,
        "horizon": horizon(debrief.horizon),
        "mine": exposure(debrief.yours.variant.results.roles[role]).value,
        "theirs": exposure(alt.variant.results.roles[role]).value,
        "interval": change(delta.p_exposed, delta.ci95).interval,
    }
    if alt.yours:
        return _(
            "“{label}” every turn is what you did: exposure of the {role} within {horizon} {mine}."
        ).format(**values)
    if max(abs(delta.ci95[0]), abs(delta.ci95[1])) < 1e-9:
        text = _(
            "Had you chosen “{label}” every turn, exposure of the {role} within {horizon} would "
            "be the same in every run: {theirs}."
        ).format(**values)
    elif not delta.distinguishable and values["theirs"] == values["mine"]:
        text = _(
            "Had you chosen “{label}” every turn, exposure of the {role} within {horizon} would "
            "be about the same as yours, {mine} ({interval} points)."
        ).format(**values)
    elif not delta.distinguishable:
        text = _(
            "Had you chosen “{label}” every turn, exposure of the {role} within {horizon} would "
            "be {theirs} against your {mine}, a difference these runs cannot tell from chance "
            "({interval} points)."
        ).format(**values)
    elif theirs < mine:
        text = _(
            "Had you chosen “{label}” every turn, exposure of the {role} within {horizon} would "
            "drop from {mine} to {theirs} ({interval} points)."
        ).format(**values)
    else:
        text = _(
            "Had you chosen “{label}” every turn, exposure of the {role} within {horizon} would "
            "rise from {mine} to {theirs} ({interval} points)."
        ).format(**values)
    others = [r for r in table.scenario.population.roles if r != role and table.scenario.at_risk(r)]
    changes = []
    for other in others:
        d = alt.delta[other]
        if d.distinguishable:
            spec = table.scenario.population.roles[other]
            who = (_("the {role}") if spec.count == 1 else _("each {role}")).format(
                role=table.scenario.role_label(other)
            )
            changes.append(
                _("{role} {mine} → {theirs}").format(
                    role=who,
                    mine=exposure(debrief.yours.variant.results.roles[other]).value,
                    theirs=exposure(alt.variant.results.roles[other]).value,
                )
            )
    if changes:
        text += _(" Others: {changes}.").format(changes="; ".join(changes))
    return text


def _baseline_note(table: Tabletop, debrief: Debrief) -> str:
    """How the Debrief's figures relate to the one baseline `run`, `compare` and `report` show."""
    days = table.scenario.days
    if debrief.horizon < days:
        return _(
            "These figures cover the {played} days played, so they are not the figures for "
            "{horizon} that `exposure run` gives for the same seed."
        ).format(played=debrief.horizon, horizon=horizon(days))
    k = table.baseline_choice
    if k is None:
        return _(
            "Every option here changes the scenario, so none of them is the baseline that "
            "`exposure run` gives for the same seed."
        )
    alt = next(a for a in debrief.alternatives if a.label == table.options[k])
    label = option_label(table.scenario, k)
    shown = exposure(alt.variant.results.roles[debrief.role])
    return _(
        "“{label}” every turn is the scenario as written: {p} ({interval}) for the {role} is "
        "the figure `exposure run`, `compare` and `report` give with seed {seed} and {runs} runs."
    ).format(
        label=label,
        p=shown.value,
        interval=shown.interval,
        role=table.scenario.role_label(debrief.role),
        seed=table.seed,
        runs=debrief.runs,
    )


def stopped_line(played: int, turns: int, horizon: int) -> str:
    """The debrief of a game whose input ended early: which days it covers."""
    return _fill(
        _("The input ended after turn {n} of {total}; this debrief covers days 1 to {day}.").format(
            n=played, total=turns, day=horizon
        )
    )


def debrief_text(table: Tabletop, debrief: Debrief, facilitator: bool) -> str:
    """The Debrief: what exposed the persona or kept her safe, and her choices against others."""
    story = debrief.story
    persona = story.persona.name
    lines = ["", *_rule(_("Debrief"), "=")]
    if debrief.stopped:
        lines.append(stopped_line(debrief.played, len(table.turns), debrief.horizon))
        lines.append("")
    exposed = story.exposed is not None
    lines += _rule(
        _("What exposed {persona}").format(persona=persona)
        if exposed
        else _("What kept {persona} safe").format(persona=persona)
    )
    lines += [_fill(sentence) for sentence in why(story)]
    if not exposed:
        risky = [a for a in debrief.alternatives if a.fate is not None and not a.yours]
        if risky:
            lines.append(
                _fill(
                    _(
                        "In this same run, {persona} would have been exposed with: {options}."
                    ).format(
                        persona=persona,
                        options="; ".join(
                            _("“{label}” (day {day}, {cause})").format(
                                label=_alt_label(table, a),
                                day=a.fate[0],
                                cause=mechanism_label(table.scenario, a.fate[1]),
                            )
                            for a in risky
                            if a.fate is not None
                        ),
                    )
                )
            )
    lines.append("")
    lines += _rule(_("Your choices"))
    for result in table.results:
        lines.append(recap(table, result).rstrip("\n"))
    lines.append("")
    lines += _rule(_("The same run with one choice every turn"))
    lines.append(
        _fill(_("The same chances, day by day, as the run you played; only the choices differ."))
    )
    lines.append(
        _fill(
            _("Your choices: {fate}.").format(
                fate=_fate(table, debrief.yours.fate, debrief.horizon)
            ),
            "  ",
        )
    )
    for alt in sorted(debrief.alternatives, key=lambda a: (a.combined, a.schedule[0])):
        lines.append(
            _fill(f"“{_alt_label(table, alt)}”: {_fate(table, alt.fate, debrief.horizon)}.", "  ")
        )
    lines.append("")
    lines += _rule(_("Your choices against the alternatives"))
    role = debrief.role
    lines.append(
        _fill(
            _(
                "Over {runs} runs of the same town, each played with your choices and with each "
                "option every turn on the same random numbers, the {role} is exposed within "
                "{horizon} in {p} of runs with your choices."
            ).format(
                runs=debrief.runs,
                role=table.scenario.role_label(role),
                horizon=horizon(debrief.horizon),
                p=exposure(debrief.yours.variant.results.roles[role]).value,
            )
        )
    )
    warning = few_runs(debrief.runs)
    if warning is not None:
        lines.append(_fill(warning))
    lines += [_fill(_comparison(table, debrief, alt), "  ") for alt in debrief.alternatives]
    strongest = next((a for a in debrief.alternatives if a.combined), None)
    if strongest is not None:
        lines.append(
            _fill(
                _(
                    "“{label}” is the strongest combination these runs found: each habit that on "
                    "its own lowers exposure of the {role} against the scenario as written (a "
                    "paired interval below zero), played together; a habit that may not be "
                    "combined with a stronger one is left out."
                ).format(label=_alt_label(table, strongest), role=table.scenario.role_label(role))
            )
        )
    lines += ["", _fill(_baseline_note(table, debrief))]
    puzzles = _puzzles(table, debrief)
    if puzzles:
        lines += ["", *_rule(_("Why a protective habit may not protect"))]
        lines += [_fill(text, "  ") for text in puzzles]
    lines += ["", *_rule(_("How this run was chosen"))]
    lines.append(_fill(_selection_text(table, debrief)))
    if facilitator:
        lines.append("")
        lines.append(
            _fill(
                _(
                    "For the facilitator: intervals are 95% paired intervals over the runs; an "
                    "option whose interval spans zero may help or not in this town. Ask what each "
                    "option costs the {role}, and which of them the {role} could keep up."
                ).format(role=table.scenario.role_label(role))
            )
        )
    conditions = conditional_claims(table.scenario)
    if conditions:
        lines += ["", *_rule(depends_heading())]
        lines += [fill(f"{line}.", first="- ", rest="  ") for line in conditions]
    if table.scenario.limits:
        lines += ["", *_rule(leaves_out())]
        lines += [fill(limit.strip(), first="- ", rest="  ") for limit in table.scenario.limits]
    lines += ["", _fill(illustrative())]
    return "\n".join(lines) + "\n"


def parse_choice(text: str, count: int) -> Combo | None:
    """The options an answer names: one number, or several (`2 4`, `2,4`); None if not that."""
    parts = [part for part in re.split(r"[\s,;+]+", text.strip()) if part]
    if not parts or len(parts) > count:
        return None
    numbers = [ascii_number(part) for part in parts]
    if any(n is None or not 1 <= n <= count for n in numbers):
        return None
    return tuple(sorted({n - 1 for n in numbers if n is not None}))


def read_choice(
    ask: Callable[[str], str | None], tell: Callable[[str], None], table: Tabletop
) -> Combo | None:
    """The next choice from the input (menu indices played together), None at its end."""
    return read_answer(
        ask,
        tell,
        prompt(table),
        table.next_turn.number,
        table.options,
        table.excluded,
    )


def read_answer(
    ask: Callable[[str], str | None],
    tell: Callable[[str], None],
    question: str,
    turn: int,
    labels: list[str],
    excluded: Callable[[Combo], tuple[int, int] | None],
) -> Combo | None:
    """An answer from the input: menu indices played together, None at the input's end.

    Anything but numbers on the menu is asked again, and so is a combination `excluded` refuses;
    input that ends after such an answer is an error, since the player meant to choose
    something.
    """
    count = len(labels)
    bad: str | None = None
    while True:
        line = ask(question)
        if line is None:
            if bad is not None:
                raise UsageError(
                    f"turn {turn}: `{bad}` is not a choice from 1 to {count}, and the input ended"
                )
            return None
        text = line.strip()
        answer = parse_choice(text, count)
        bad = text[:40]
        if answer is None:
            tell(_("Please answer with a number from 1 to {n}.").format(n=count) + "\n")
            continue
        pair = excluded(answer)
        if pair is None:
            return answer
        tell(
            _("“{first}” and “{second}” cannot be combined; choose again.").format(
                first=labels[pair[0]], second=labels[pair[1]]
            )
            + "\n"
        )


def _selection_text(table: Tabletop, debrief: Debrief) -> str:
    """How the run played was chosen, and the chance, over many runs, that it is such a run."""
    sel = debrief.selection
    values: dict[str, object] = {
        "name": table.scenario.name,
        "seed": table.seed,
        "trace": sel.trace_seed,
        "runs": table.runs,
        "skipped": sel.attempt,
        "limit": percent(FIRST_TURN_LIMIT),
        "chance": span(sel.none_ends.ci95) if sel.none_ends is not None else "?",
        "most": percent(max((o.share for o in sel.first_turn), default=0.0)),
    }
    if sel.chosen and sel.attempt == 0:
        return _(
            "This run was chosen so that no first choice ended the game in the first turn; the "
            "seed's own run ({seed}) already was one. Over {runs} runs, the chance that no first "
            "choice ends the game in the first turn is {chance}; each first choice alone ends it "
            "there in at most {most} of runs."
        ).format(**values)
    if sel.chosen:
        return ngettext(
            "This run was chosen so that no first choice ended the game in the first turn: in "
            "the seed's own run one did, so this is the next run, the one `exposure trace {name} "
            "--seed {trace}` tells. Over {runs} runs, the chance that no first choice ends the "
            "game in the first turn is {chance}; each first choice alone ends it there in at "
            "most {most} of runs.",
            "This run was chosen so that no first choice ended the game in the first turn: in "
            "the {skipped} runs from seed {seed} on one did, so this is the run `exposure trace "
            "{name} --seed {trace}` tells. Over {runs} runs, the chance that no first choice ends "
            "the game in the first turn is {chance}; each first choice alone ends it there in at "
            "most {most} of runs.",
            sel.attempt,
        ).format(**values)
    if not sel.searched:
        return _(
            "This run is the seed's own ({seed}), as the saved exercise was first played; it was "
            "not chosen for its first turn."
        ).format(**values)
    if max((o.share for o in sel.first_turn), default=0.0) >= FIRST_TURN_LIMIT:
        worst = max(range(len(sel.first_turn)), key=lambda k: sel.first_turn[k].share)
        odds = sel.first_turn[worst]
        return _(
            "This run is the seed's own ({seed}), left to chance: with “{label}” as the first "
            "choice the game ends in the first turn in {p} of runs ({interval}), {limit} or more, "
            "so a run in which it does not would hide how risky the first turn is."
        ).format(
            **values,
            label=table.options[worst],
            p=figure(odds.share, odds.ci95).value,
            interval=figure(odds.share, odds.ci95).interval,
        )
    return _(
        "This run is the seed's own ({seed}), left to chance: none of the runs tried let every "
        "first choice through the first turn. Over {runs} runs, the chance of such a run is "
        "{chance}."
    ).format(**values)


def _puzzles(table: Tabletop, debrief: Debrief) -> list[str]:
    """Why a protective habit's exposure is higher, or not clearly lower, than carrying on."""
    base = debrief.baseline
    if base is None:
        return []
    s = table.scenario
    role = debrief.role
    out = []
    for alt in sorted(debrief.alternatives, key=lambda a: (a.combined, a.schedule[0])):
        if alt is base or not alt.against_baseline:
            continue
        d = alt.against_baseline[role]
        if d.distinguishable and d.p_exposed < 0:
            continue
        mine, theirs = base.variant.results.roles[role], alt.variant.results.roles[role]
        values: dict[str, object] = {
            "label": _alt_label(table, alt),
            "base": _alt_label(table, base),
            "role": s.role_label(role),
            "horizon": horizon(debrief.horizon),
            "before": exposure(mine).value,
            "after": exposure(theirs).value,
            "interval": change(d.p_exposed, d.ci95).interval,
        }
        if d.same_outcome:
            text = _(
                "“{label}” every turn leaves exposure of the {role} within {horizon} where "
                "“{base}” leaves it, {after}, in every run."
            ).format(**values)
        elif d.distinguishable:
            text = _(
                "“{label}” every turn raises exposure of the {role} within {horizon} from {before} "
                "with “{base}” to {after} ({interval} points)."
            ).format(**values)
        else:
            text = _(
                "“{label}” every turn does not clearly lower exposure of the {role} within "
                "{horizon}: {after} against {before} with “{base}” ({interval} points)."
            ).format(**values)
        reasons = _reasons(table, debrief, base, alt)
        if not reasons:
            reasons = [
                _(
                    "No cause of exposure moves by a point or more: in these runs the habit "
                    "barely touches what exposes the {role}."
                ).format(role=s.role_label(role))
            ]
        out.append(" ".join([text, *reasons]))
    return out


def _reasons(table: Tabletop, debrief: Debrief, base: Alternative, alt: Alternative) -> list[str]:
    """What the model records moving: causes, timing, and who else carries the risk."""
    s = table.scenario
    role = debrief.role
    mine, theirs = base.variant.results.roles[role], alt.variant.results.roles[role]
    by_cause = {
        m: (mine.p_exposed * mine.causes.get(m, 0.0), theirs.p_exposed * theirs.causes.get(m, 0.0))
        for m in s.mechanisms
    }
    # A cause's share moving by less than a point is noise at these run counts.
    moved = {m: b - a for m, (a, b) in by_cause.items() if abs(b - a) >= 0.01}
    reasons = []
    up = max(moved, key=lambda m: moved[m], default=None)
    down = min(moved, key=lambda m: moved[m], default=None)
    if up is not None and moved[up] > 0 and down is not None and moved[down] < 0:
        reasons.append(
            _(
                "It moves the risk rather than removing it: fewer are exposed through {down} "
                "({down_before} → {down_after}), more through {up} ({up_before} → {up_after})."
            ).format(
                down=mechanism_label(s, down),
                down_before=percent(by_cause[down][0]),
                down_after=percent(by_cause[down][1]),
                up=mechanism_label(s, up),
                up_before=percent(by_cause[up][0]),
                up_after=percent(by_cause[up][1]),
            )
        )
    elif up is not None and moved[up] > 0:
        reasons.append(
            _("More are exposed through {up} ({before} → {after}).").format(
                up=mechanism_label(s, up),
                before=percent(by_cause[up][0]),
                after=percent(by_cause[up][1]),
            )
        )
    elif down is not None and moved[down] < 0:
        reasons.append(
            _(
                "Fewer are exposed through {down} ({before} → {after}), too few for these runs "
                "to tell from chance."
            ).format(
                down=mechanism_label(s, down),
                before=percent(by_cause[down][0]),
                after=percent(by_cause[down][1]),
            )
        )
    d = alt.against_baseline[role]
    if (
        d.median_days_gained is not None
        and d.median_days_gained >= 7  # a week or more: less is noise at these run counts
        and mine.median_day is not None
        and theirs.median_day is not None
    ):
        reasons.append(
            _(
                "It shifts the risk to later: half of those exposed are exposed by day {after} "
                "instead of day {before}."
            ).format(after=theirs.median_day, before=mine.median_day)
        )
    for other in s.population.roles:
        if other == role or not s.at_risk(other):
            continue
        o = alt.against_baseline[other]
        if not o.distinguishable:
            continue
        spec = s.population.roles[other]
        who = (_("the {role}") if spec.count == 1 else _("each {role}")).format(
            role=s.role_label(other)
        )
        values = {
            "who": who,
            "before": exposure(base.variant.results.roles[other]).value,
            "after": exposure(alt.variant.results.roles[other]).value,
        }
        if o.p_exposed > 0:
            reasons.append(
                _("It shifts risk to someone else: {who} {before} → {after}.").format(**values)
            )
        else:
            reasons.append(
                _("It protects someone else: {who} {before} → {after}.").format(**values)
            )
    return reasons


def play(
    table: Tabletop,
    ask: Callable[[str], str | None],
    tell: Callable[[str], None],
    *,
    facilitator: bool,
    runs: int,
    after_turn: Callable[[], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
    workers: int = 1,
) -> Debrief | None:
    """Play the exercise to its end (or the end of the input), then show the Debrief."""
    tell(intro(table))
    if table.results:
        tell("\n" + _("Resumed after turn {n}.").format(n=len(table.results)) + "\n")
        for result in table.results:
            tell(recap(table, result))
    while not table.finished:
        tell(turn_header(table))
        choice = read_choice(ask, tell, table)
        if choice is None:
            break
        result = table.play(choice)
        tell(consequences(table, result, table.story(), facilitator))
        if after_turn is not None:
            after_turn()
    if not table.results:
        tell(
            "\n"
            + _("The input ended before the first turn was played; there is nothing to debrief.")
            + "\n"
        )
        return None
    debrief = table.debrief(runs, on_progress, workers)
    tell(debrief_text(table, debrief, facilitator))
    return debrief
