"""Plain words for learners: labels, percentages, sentences. All text goes through `_`."""

from __future__ import annotations

from simulator.analysis.results import GroupResult
from simulator.i18n import _
from simulator.scenario.model import Scenario, plain_name


def illustrative() -> str:
    """The line every learner-facing result carries (its JSON as `note`): what the figures are."""
    return _(
        "Illustrative figures from a model with sourced assumptions, not a prediction for any "
        "person."
    )


def leaves_out() -> str:
    """The heading over a scenario's `limits`, wherever they are shown."""
    return _("What this model leaves out")


def percent(p: float) -> str:
    """0.623 -> '62%'; tiny non-zero values stay visible."""
    if 0 < p < 0.005:
        return "<1%"
    if 0.995 < p < 1:
        return ">99%"
    return f"{p * 100:.0f}%"


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
    lo, hi = result.ci95
    spec = scenario.population.roles.get(role)
    single = spec is not None and spec.count == 1
    values = {
        "role": label,
        "horizon": horizon(scenario.days),
        "p": percent(result.p_exposed),
        "lo": percent(lo).rstrip("%"),
        "hi": percent(hi),
    }
    if single:
        text = _("The {role} is exposed within {horizon} in {p} of runs ({lo}–{hi})").format(
            **values
        )
    else:
        text = _("Each {role} is exposed within {horizon} in {p} of cases ({lo}–{hi})").format(
            **values
        )
    if result.causes:
        cause, share = next(iter(result.causes.items()))
        text += _(", most often through {cause} ({share})").format(
            cause=mechanism_label(scenario, cause), share=percent(share)
        )
    return text + "."
