"""Plain words for learners: labels, percentages, sentences. All text goes through `_`."""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulator.analysis.results import GroupResult
from simulator.i18n import _
from simulator.scenario.model import Scenario, plain_name


def illustrative() -> str:
    """The line every learner-facing result carries (its JSON as `note`): what the figures are."""
    return _(
        "Illustrative figures from a model: its mechanisms are sourced, most of its rates are "
        "estimates; not a prediction for any person."
    )


def leaves_out() -> str:
    """The heading over a scenario's `limits`, wherever they are shown."""
    return _("What this model leaves out")


def percent(p: float) -> str:
    """A share with no interval of its own (a cause's part, a claim's bound): 0.623 -> '62%'."""
    if 0 < p < 0.005:
        return "<1%"
    if 0.995 < p < 1:
        return ">99%"
    return f"{p * 100:.0f}%"


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
            return Figure("0%", "0–0%", "percent")
        text = _("fewer than 1 in {n}").format(n=f"{n:,}")
        return Figure(text, _("0 to 1 in {n}").format(n=f"{n:,}"), "below")
    if p > 0 and hi < _ONE_IN_BELOW and lo > 0:
        about = _("about 1 in {n}").format(n=f"{_two_figures(1.0 / p, up=False):,}")
        span = _("1 in {rare} to 1 in {common}").format(
            rare=f"{_two_figures(1.0 / lo, up=True):,}",
            common=f"{_two_figures(1.0 / hi, up=False):,}",
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
    return Figure(text, f"{_number(low, step)}–{_number(high, step)}%", "percent")


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
    return Figure(text, _("{lo} to {hi}").format(lo=low, hi=high), "points")


def change_ends(ci: tuple[float, float]) -> tuple[str, str]:
    """A change's interval as two ends in points, rounded outward by its width: ('−19', '−8')."""
    lo, hi = ci
    step = rounding_step(lo, hi)
    low, high = _outward(lo, hi, step)
    return _signed(max(low, -1.0), step), _signed(min(high, 1.0), step)


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
    return f"{text}%"


def horizon(days: int) -> str:
    """'a year' for 365 days, otherwise 'N days'."""
    if days == 365:
        return _("a year")
    if days % 30 == 0 and days <= 360:
        return _("{n} months").format(n=days // 30) if days > 30 else _("a month")
    return _("{n} days").format(n=days)


def mechanism_label(scenario: Scenario, mechanism: str) -> str:
    """How a cause of exposure is named to learners."""
    if mechanism == "cascade":
        if any(ch.reveal.interrogation > 0 for ch in scenario.channels.values()):
            return _("a seized phone, log or interrogation")
        return _("a seized phone or log")
    if mechanism == "registration":
        return _("registration records")
    if mechanism in scenario.observers:
        return scenario.observer_label(mechanism)
    if mechanism in scenario.checks:
        return scenario.check_label(mechanism)
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
        text += _(", most often through {cause} ({share})").format(
            cause=mechanism_label(scenario, cause), share=percent(share)
        )
    return text + "."
