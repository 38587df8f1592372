"""Plain words for learners: labels, percentages, sentences. All text goes through `_`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.i18n import ENGLISH, _, language, numerals
from simulator.scenario.model import Scenario, plain_name

if TYPE_CHECKING:
    from simulator.analysis.results import GroupResult


def basis_word(basis: str) -> str:
    """How solid a source is, in the reader's language: reported, secondary, estimate."""
    return {"reported": _("reported"), "secondary": _("secondary"), "estimate": _("estimate")}.get(
        basis, basis
    )


def illustrative() -> str:
    """The line every learner-facing result carries (its JSON as `note`): what the figures are."""
    return _(
        "Illustrative figures from a model: its mechanisms are sourced, most of its rates are "
        "estimates; not a prediction for any person."
    )


# Below this many runs a share's 95% interval can be more than ±10 points wide (about
# 1.96 × √(p(1 − p) / runs), widest at one half): figures of the same habit from `compare`, the
# cards and the exercise then differ visibly from run count to run count and seed to seed.
FEW_RUNS = 100


def few_runs(runs: int) -> str | None:
    """A warning, where runs are few, that figures are rough and differ between commands."""
    if runs >= FEW_RUNS:
        return None
    wide = round(100 * 1.96 * math.sqrt(0.25 / max(runs, 1)))
    return _(
        "Only {runs} runs: a share near one half is known only to within about ±{wide} points "
        "(95%), so the same habit may show different figures in `compare`, the cards and the "
        "exercise, and they are rounded coarsely. Use --runs {enough} or more before reading "
        "figures aloud."
    ).format(runs=runs, wide=wide, enough=FEW_RUNS * 4)


def leaves_out() -> str:
    """The heading over a scenario's `limits`, wherever they are shown."""
    return _("What this model leaves out")


def percent(p: float) -> str:
    """A share with no interval of its own (a cause's part, a claim's bound): 0.623 -> '62%'."""
    if 0 < p < 0.005:
        return "<1%"
    if 0.995 < p < 1:
        return ">99%"
    return numerals(f"{p * 100:.0f}%")


# How finely a figure is printed follows the width of its 95% interval: (width at least, step).
# A 40-point interval supports tens, a 20-point one fives, a 2-point one whole points; below that,
# one decimal. Nothing finer: the interval is itself an estimate.
_STEPS = ((0.40, 0.10), (0.20, 0.05), (0.02, 0.01), (0.0, 0.001))
# Below half a percent, a share reads better as "1 in N" than as a percentage with decimals.
_ONE_IN_BELOW = 0.005
MINUS = "\u2212"


def rounding_step(lo: float, hi: float) -> float:
    """The step, as a share, that an interval from lo to hi supports: 0.1, 0.05, 0.01 or 0.001."""
    width = max(hi - lo, 0.0)
    return next(step for least, step in _STEPS if width >= least)


def _number(x: float, step: float) -> str:
    """A share in percent at a rounding step, without sign or percent sign: 0.62 -> '62'."""
    text = f"{abs(x) * 100:.1f}" if step < 0.01 else f"{abs(x) * 100:.0f}"
    return "0" if float(text) == 0 else text


def _signed(x: float, step: float) -> str:
    """A change in points at a rounding step, with a true minus: −13, +4, 0."""
    text = _number(x, step)
    if text == "0":
        return text
    return (MINUS if x < 0 else "+") + text


def _outward(lo: float, hi: float, step: float) -> tuple[float, float]:
    """An interval rounded outward to the step, so that the printed one contains the computed."""
    return (
        math.floor(lo / step + 1e-9) * step,
        math.ceil(hi / step - 1e-9) * step,
    )


def _round_number(x: float) -> int:
    """The largest of 1, 2, 5, 10, 20, 50, ... not above x (at least 1)."""
    if x < 1:
        return 1
    power = 10 ** math.floor(math.log10(x))
    return int(max(m * power for m in (1, 2, 5) if m * power <= x * (1 + 1e-12)))


def _two_figures(x: float, up: bool) -> int:
    """x to two significant figures, rounded up or down."""
    if x < 10:
        return max(1, math.ceil(x) if up else math.floor(x))
    power = 10 ** (math.floor(math.log10(x)) - 1)
    return int((math.ceil(x / power) if up else math.floor(x / power)) * power)


@dataclass(frozen=True)
class Figure:
    """A share or change and its 95% interval, worded at the precision the interval supports.

    kind is "percent" (value '62%', interval '55–69%'), "one_in" (value 'about 1 in 1,300',
    interval '1 in 1,900 to 1 in 900') or "below" (value 'fewer than 1 in 10,000', interval
    '0 to 1 in 10,000': the value already states the interval's bound).
    """

    value: str
    interval: str
    kind: str


def figure(p: float, ci: tuple[float, float]) -> Figure:
    """A share exposed with its interval: rounded by the interval's width, tiny shares as 1 in N."""
    lo, hi = ci
    if p <= 0 and hi < 0.5:
        n = _round_number(1.0 / hi) if hi > 0 else 0
        if hi <= 0:
            return Figure(numerals("0%"), numerals("0–0%"), "percent")
        many = numerals(f"{n:,}")
        text = _("fewer than 1 in {n}").format(n=many)
        return Figure(text, _("0 to 1 in {n}").format(n=many), "below")
    if p > 0 and hi < _ONE_IN_BELOW and lo > 0:
        about = _("about 1 in {n}").format(n=numerals(f"{_two_figures(1.0 / p, up=False):,}"))
        span = _("1 in {rare} to 1 in {common}").format(
            rare=numerals(f"{_two_figures(1.0 / lo, up=True):,}"),
            common=numerals(f"{_two_figures(1.0 / hi, up=False):,}"),
        )
        return Figure(about, span, "one_in")
    step = rounding_step(lo, hi)
    low, high = _outward(lo, hi, step)
    low, high = max(low, 0.0), min(high, 1.0)
    value = round(p / step) * step
    if value <= 0 < p:
        text = "<" + _number(step, step) + "%"
    elif value >= 1 > p:
        text = ">" + _number(1.0 - step, step) + "%"
    else:
        text = _number(value, step) + "%"
    interval = f"{_number(low, step)}–{_number(high, step)}%"
    return Figure(numerals(text), numerals(interval), "percent")


def span(ci: tuple[float, float]) -> str:
    """An interval of shares with no estimate of its own, worded as `figure` words intervals."""
    lo, hi = ci
    # `figure` picks its wording by the estimate too: give it one that leaves the choice to the
    # interval (0 only where the whole interval is below half a percent and reaches 0).
    p = 0.0 if lo <= 0 and hi < _ONE_IN_BELOW else (lo + hi) / 2
    return figure(p, ci).interval


def exposure(g: GroupResult) -> Figure:
    """A role's (or everyone's) share exposed, worded by `figure`."""
    return figure(g.p_exposed, g.ci95)


def change(d: float, ci: tuple[float, float]) -> Figure:
    """A difference of shares in points with its interval, no finer than the interval supports.

    value '−13', interval '−19 to −8'; a change that would round to a whole ±100 without being one
    reads '>+90' or '<−90'.
    """
    lo, hi = ci
    step = rounding_step(lo, hi)
    value = round(d / step) * step
    if value >= 1 > d:
        text = ">" + _signed(1.0 - step, step)
    elif value <= -1 < d:
        text = "<" + _signed(step - 1.0, step)
    else:
        text = _signed(value, step)
    low, high = change_ends(ci)
    return Figure(numerals(text), _("{lo} to {hi}").format(lo=low, hi=high), "points")


def pts(value: str) -> str:
    """A change in points with its unit, singular for one: '−1 pt', '+12 pts'."""
    return (_("{d} pt") if value.lstrip("+−-") == "1" else _("{d} pts")).format(d=value)


def change_ends(ci: tuple[float, float]) -> tuple[str, str]:
    """A change's interval as two ends in points, rounded outward by its width: ('−19', '−8')."""
    lo, hi = ci
    step = rounding_step(lo, hi)
    low, high = _outward(lo, hi, step)
    # An interval that excludes no change is never printed as reaching 0: the end that rounds
    # onto 0 is given as finely as it takes to stay on its side (−8 to −0.3, not −8 to 0).
    low_step = high_step = step
    for finer in (s for _w, s in _STEPS if s < step):
        if lo > 0 >= low:
            low_step, low = finer, math.floor(lo / finer + 1e-9) * finer
        if hi < 0 <= high:
            high_step, high = finer, math.ceil(hi / finer - 1e-9) * finer
    return (
        numerals(_signed(max(low, -1.0), low_step)),
        numerals(_signed(min(high, 1.0), high_step)),
    )


def spread_values(
    interval: tuple[float, float], parameter_share: float, sets: int
) -> dict[str, str | int]:
    """The figures of a change's spread over the sourced ranges, for the sentences that tell it:
    its ends in points, how many sets, and the shares of the spread from the ranges and chance."""
    lo, hi = change_ends(interval)
    return {
        "lo": lo,
        "hi": hi,
        "sets": sets,
        "share": percent(parameter_share),
        "chance": percent(1.0 - parameter_share),
    }


def no_change(day: int | None = None) -> str:
    """A change where no run changed, said plainly rather than as '0 (0 to 0)'.

    With a day, only the outcome by that day is the same (the runs may differ in when).
    """
    if day is None:
        return _("no change in any run")
    return _("no change by day {day} in any run").format(day=day)


def share(p: float) -> str:
    """A scenario's probability as written: 0.005 -> '0.5%', 0.35 -> '35%'."""
    text = f"{p * 100:.3g}"
    return numerals(f"{text}%")


def horizon(days: int) -> str:
    """A span of days in its largest natural unit: 'a year', '2 years', '3 months', '2 weeks'."""
    if days % 365 == 0:
        return _("a year") if days == 365 else _("{n} years").format(n=days // 365)
    if days % 30 == 0 and days <= 360:
        return _("{n} months").format(n=days // 30) if days > 30 else _("a month")
    if days % 7 == 0 and days <= 56:
        return _("{n} weeks").format(n=days // 7) if days > 7 else _("a week")
    if days == 1:
        return _("a day")
    return _("{n} days").format(n=days)


def with_article(label: str, article: str) -> str:
    """A label as a noun phrase, with the article given unless it starts with one already.

    English only: the languages Exposure speaks besides have no articles.
    """
    if language() != ENGLISH:
        return label
    first = label.split(" ", 1)[0].lower()
    return label if first in ("the", "a", "an") else f"{article} {label}"


def observer_phrase(s: Scenario, name: str) -> str:
    """An observer as a noun phrase: "the inminban leader", "the radio direction-finding team"."""
    return with_article(s.observer_label(name), "the")


def check_phrase(s: Scenario, name: str) -> str:
    """A check as a noun phrase: "a Group 109 home search"."""
    label = s.check_label(name)
    article = "an" if label[:1].lower() in "aeiou" else "a"
    return with_article(label, article)


def mechanism_label(scenario: Scenario, mechanism: str) -> str:
    """How a cause of exposure is named to learners, as a noun phrase that fits any sentence."""
    if mechanism == "cascade":
        if any(ch.reveal.interrogation > 0 for ch in scenario.channels.values()):
            return _("a seized phone, log or interrogation")
        return _("a seized phone or log")
    if mechanism == "registration":
        return _("registration records")
    if mechanism in scenario.observers:
        return observer_phrase(scenario, mechanism)
    if mechanism in scenario.checks:
        return check_phrase(scenario, mechanism)
    return plain_name(mechanism)


def role_sentence(scenario: Scenario, role: str, result: GroupResult) -> str:
    """One plain sentence about a role at risk."""
    label = scenario.role_label(role)
    spec = scenario.population.roles.get(role)
    single = spec is not None and spec.count == 1
    f = figure(result.p_exposed, result.ci95)
    if f.kind == "below":
        when = (_("{p} runs") if single else _("{p} cases")).format(p=f.value)
    elif f.kind == "one_in":
        when = (_("{p} runs ({interval})") if single else _("{p} cases ({interval})")).format(
            p=f.value, interval=f.interval
        )
    else:
        when = (_("{p} of runs ({interval})") if single else _("{p} of cases ({interval})")).format(
            p=f.value, interval=f.interval
        )
    values = {"role": label, "horizon": horizon(scenario.days), "when": when}
    if single:
        text = _("The {role} is exposed within {horizon} in {when}").format(**values)
    else:
        text = _("Each {role} is exposed within {horizon} in {when}").format(**values)
    if result.causes:
        cause, share = next(iter(result.causes.items()))
        text += _(", most often through {cause} ({share} of exposures)").format(
            cause=mechanism_label(scenario, cause), share=percent(share)
        )
    return text + "."


# The scenario sections whose entries are named things, and how each is called.
_NAMED_SECTIONS = {
    "activities": "activity_label",
    "observers": "observer_label",
    "checks": "check_label",
    "channels": "channel_label",
    "states": "state_label",
    "campaigns": "campaign_label",
    "groups": "group_label",
    "countermeasures": "countermeasure_label",
}


def _value_words(value: object) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def N_(message: str) -> str:
    """Marks a message for the catalogue; `_` translates it where it is used."""
    return message


# What a key is, in words, by its parts after the named thing it belongs to (or after its section).
# Keys with a name inside them (tips.CHECK.chance, finds.STATE) are worded in `_key_phrase`.
_KEY_PHRASES = {
    "per_day": N_("chance on any day"),
    "per_week": N_("times per week"),
    "per_month": N_("times per month"),
    "minutes": N_("minutes"),
    "nights": N_("nights per stay"),
    "count": N_("how many"),
    "each": N_("how many each"),
    "per_unit": N_("how many in each unit"),
    "density": N_("share of residents who inform"),
    "reports": N_("chance of reporting what it notices"),
    "fix_minutes": N_("time scale of a radio fix, in minutes"),
    "coverage": N_("share within its reach"),
    "concealment": N_("how well it is hidden"),
    "timing_link": N_("chance that timing links a hidden sender"),
    "reveal.device": N_("chance that a seized phone gives a contact away"),
    "reveal.metadata": N_("chance that the operator's records give a contact away"),
    "reveal.interrogation": N_("chance that a person in custody names a contact"),
    "content.names": N_("chance that a kept message names someone"),
    "names.chance": N_("chance that a call names someone"),
    "off_channel.share": N_("share that happens face to face instead"),
    "overhears.voice": N_("chance that a call it listens to gives the caller's voice away"),
    "overhears.names": N_("chance that a name heard on a call is traced"),
    "bribe.accepts": N_("chance of taking a bribe"),
    "bribe.extorts": N_("chance of demanding money instead of reporting"),
    "bribe.passes_on": N_("daily chance of passing a held report on"),
    "bribe.price": N_("price of the bribe"),
    "bribe.demand": N_("money demanded"),
    "bribe.reports_offer": N_("share of refused bribes reported"),
    "standing.share": N_("share of households missing their stamps"),
    "standing.attention": N_("attention to households missing their stamps"),
    "adversary.decay.half_life": N_("days for suspicion to halve"),
    "adversary.unlock": N_("chance that a seized phone is unlocked"),
    "adversary.weights.reports": N_("suspicion per report"),
    "adversary.weights.finds": N_("suspicion per find in a check"),
    "adversary.weights.registration": N_("suspicion per registration record"),
    "adversary.weights.cascade": N_("suspicion per contact given away"),
    "adversary.weights.content": N_("suspicion per kept message naming a person"),
    "adversary.investigate_at": N_("suspicion that starts an investigation"),
    "contacts.across_units.mean_degree": N_("links per person to other units"),
    "contacts.random.mean_degree": N_("random links per person"),
    "contacts.neighbours.mean_degree": N_("links per person among neighbours"),
    "population.units": N_("number of units"),
    "bribe.currency": N_("currency of the bribe"),
    "start": N_("first day"),
    "end": N_("last day"),
    "state": N_("what it leaves for a check to find"),
    "operator_logs": N_("whether the operator logs it"),
    "radio": N_("whether it gives off a radio signal"),
    "registers": N_("whether it is registered"),
    "switched_on": N_("the phone it leaves switched on"),
    "population.households_per_unit": N_("households per unit"),
    "population.unit_label": N_("what a unit is called"),
    # Whole parts, as a source backs them.
    "notice": N_("what it notices"),
    "reveal": N_("what gives contacts away"),
    "multiply": N_("multipliers"),
    "bribes": N_("readiness to take money"),
    "tips": N_("searches its reports send"),
    "finds": N_("what it finds"),
    "overhears": N_("what a call it listens to gives away"),
    "bribe": N_("bribes"),
    "content": N_("what kept messages say"),
    "names": N_("names spoken on a call"),
    "off_channel": N_("what happens face to face instead"),
    "standing": N_("stamps"),
    "adversary": N_("how the adversary decides"),
    "adversary.weights": N_("suspicion per event"),
    "adversary.decay": N_("how suspicion fades"),
    "population": N_("the town's people"),
    "contacts": N_("who knows whom"),
    "activities": N_("what people do"),
    "observers": N_("who watches"),
    "checks": N_("checks"),
    "channels": N_("ways of communicating"),
    "states": N_("what a check can find"),
    "campaigns": N_("crackdowns"),
    "groups": N_("group chats"),
    "countermeasures": N_("habits that help"),
}
# What an observer notices, by trace kind.
_NOTICED = {
    "presence": N_("chance of noticing a presence"),
    "travel": N_("chance of noticing travel"),
    "behaviour": N_("chance of noticing behaviour"),
    "radio": N_("chance of noticing a call's radio signal"),
    "metadata": N_("chance of noticing it in the operator's records"),
    "idle": N_("chance of noticing a switched-on phone's signal"),
}


def _any_label(scenario: Scenario, name: str) -> str:
    """The label of whatever a name inside a key refers to: an observer, a check, a state."""
    for section in ("observers", "checks", "states", "channels", "activities"):
        if name in getattr(scenario, section):
            return str(getattr(scenario, _NAMED_SECTIONS[section])(name))
    return plain_name(name)


def _key_phrase(scenario: Scenario, section: str, rest: list[str]) -> str:
    """The words for the parts of a key after its named thing (the whole key where the section
    has no named things: `adversary.unlock`)."""
    joined = ".".join(rest)
    if joined == "weight" and section == "checks":
        return _("suspicion one find adds")
    if joined == "weight":
        return _("suspicion one report adds")
    if joined in _KEY_PHRASES:
        return _(_KEY_PHRASES[joined])
    if len(rest) == 2 and rest[0] == "notice" and rest[1] in _NOTICED:
        return _(_NOTICED[rest[1]])
    if len(rest) == 2 and rest[0] == "finds":
        return _("chance of finding “{state}”").format(state=_any_label(scenario, rest[1]))
    if len(rest) == 3 and rest[0] == "tips" and rest[2] in ("chance", "within"):
        check = _any_label(scenario, rest[1])
        if rest[2] == "chance":
            return _("chance that a report sends “{check}”").format(check=check)
        return _("days within which “{check}” comes").format(check=check)
    return " ".join(plain_name(p) for p in rest)


def parameter_words(scenario: Scenario, key: str) -> str:
    """A parameter by what it is, not its dotted key.

    `activities.call_abroad.minutes` -> '“calls a journalist abroad…”: minutes'.
    """
    parts = [str(p) for p in key.split(".")]
    thing: str | None = None
    rest = parts
    if parts[0] in _NAMED_SECTIONS and len(parts) >= 2:
        label = getattr(scenario, _NAMED_SECTIONS[parts[0]])(parts[1])
        thing, rest = label, parts[2:]
    elif parts[:2] == ["population", "roles"] and len(parts) >= 3:
        thing, rest = scenario.role_label(parts[2]), parts[3:]
    elif parts[:2] == ["contacts", "ties"] and len(parts) >= 3 and parts[2].isdigit():
        index = int(parts[2])
        ties = scenario.contacts.ties
        if index < len(ties):
            tie = ties[index]
            thing = _("the links from {a} to {b}").format(
                a=scenario.role_label(tie.from_), b=scenario.role_label(tie.to)
            )
            rest = parts[3:]
    if parts[0] == "campaigns" and len(rest) == 2 and rest[0] == "multiply":
        named = _any_label(scenario, rest[1])
        return _("multiplier for {target} in “{campaign}”").format(target=named, campaign=thing)
    if parts[0] == "campaigns" and len(rest) == 2 and rest[0] == "bribes":
        return _("how readily {observer} takes money in “{campaign}”").format(
            observer=_any_label(scenario, rest[1]), campaign=thing
        )
    what = _key_phrase(scenario, parts[0], rest)
    if thing is None:
        return what
    if not what:
        return f"“{thing}”"
    return _("“{thing}”: {what}").format(what=what, thing=thing)


def setting_words(scenario: Scenario, key: str, value: object) -> str:
    """A --set override in words, without its dotted key.

    `activities.call_abroad.minutes=2` -> '“calls a journalist abroad…”: minutes set to 2'.
    """
    rest = [str(p) for p in key.split(".")]
    value_text = _value_words(value)
    if rest[-1] == "channel" and isinstance(value, str) and value in scenario.channels:
        value_text = scenario.channel_label(value)
    elif rest[-1] in ("who", "with", "to", "from") and isinstance(value, str):
        value_text = scenario.role_label(value)
    return _("{param} set to {value}").format(
        param=parameter_words(scenario, key), value=value_text
    )


def variant_words(
    scenario: Scenario, countermeasures: tuple[str, ...] | list[str], overrides: list[Any]
) -> str:
    """What was changed from the scenario file, in words: '' when nothing was.

    'with “Short calls” and “calls a journalist abroad…”: minutes set to 2'.
    """
    pieces = [f"“{scenario.countermeasure_label(name)}”" for name in countermeasures]
    pieces += [setting_words(scenario, o.key, o.value) for o in overrides]
    if not pieces:
        return ""
    if len(pieces) == 1:
        return _("with {one}").format(one=pieces[0])
    return _("with {some} and {last}").format(some=", ".join(pieces[:-1]), last=pieces[-1])


def titled(loaded: Any) -> str:
    """A scenario's title, followed by what was changed from its file, if anything.

    `loaded` is a LoadedScenario: "The phone by the border, with “Short calls”".
    """
    s = loaded.scenario
    what = variant_words(s, loaded.patches.countermeasures, list(loaded.patches.overrides))
    return f"{s.title}, {what}" if what else s.title


def person_phrase(name: str) -> str:
    """A person's name as a noun phrase: 'organiser' -> 'the organiser'; 'member 5' stays."""
    return name if name[-1:].isdigit() else with_article(name, "the")


def possessive(name: str, thing: str) -> str:
    """Whose thing: "the organiser's phone"; "the phone of the host (the trader's cousin)"."""
    owner = person_phrase(name)
    if owner.endswith(")") or owner.endswith("'s"):
        return _("the {thing} of {owner}").format(thing=thing, owner=owner)
    return _("{owner}'s {thing}").format(owner=owner, thing=thing)
