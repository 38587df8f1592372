"""Learning objectives' claims in plain words, and the figures that show whether they hold."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.i18n import _, ngettext
from simulator.report.words import change, figure, horizon, mechanism_label, percent
from simulator.scenario.model import (
    AnyClaim,
    CauseClaim,
    ComparisonClaim,
    Condition,
    EffectClaim,
    Objective,
    Scenario,
)

if TYPE_CHECKING:  # the figures come from the analysis; the claims' words need none of it
    from simulator.analysis.objectives import Finding, ObjectiveCheck
    from simulator.analysis.robust import RobustCheck, RobustFinding


def _countermeasure(s: Scenario, name: str) -> str:
    return f"“{s.countermeasure_label(name)}”"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def claim_words(s: Scenario, claim: AnyClaim) -> str:
    """A claim as a sentence a trainer can read aloud (no final full stop), with its conditions."""
    text = _claim_itself(s, claim)
    if claim.when:
        return _("{claim}, if {conditions}").format(
            claim=text, conditions=_(" and ").join(condition_words(c) for c in claim.when)
        )
    return text


def condition_words(condition: Condition) -> str:
    """A stated condition: in the claim's own words where the file gives them."""
    if condition.says:
        return condition.says
    if condition.above is not None:
        return _("{param} is above {value}").format(
            param=condition.param, value=f"{condition.above:g}"
        )
    return _("{param} is below {value}").format(
        param=condition.param, value=f"{float(condition.below or 0.0):g}"
    )


def _claim_itself(s: Scenario, claim: AnyClaim) -> str:
    if isinstance(claim, ComparisonClaim):
        return _("{cm} protects the {role} more than {other}").format(
            cm=_countermeasure(s, claim.countermeasure),
            role=s.role_label(claim.protects),
            other=_countermeasure(s, claim.more_than),
        )
    if isinstance(claim, EffectClaim):
        values = {
            "cm": _countermeasure(s, claim.countermeasure),
            "role": s.role_label(claim.role),
            "d": f"{claim.by_at_least * 100:g}",
        }
        if claim.lowers is not None:
            text = (
                _("{cm} lowers the exposure of the {role}")
                if not claim.by_at_least
                else _("{cm} lowers the exposure of the {role} by at least {d} points")
            )
        else:
            text = (
                _("{cm} raises the exposure of the {role}")
                if not claim.by_at_least
                else _("{cm} raises the exposure of the {role} by at least {d} points")
            )
        return text.format(**values)
    if isinstance(claim, CauseClaim):
        return _capital(
            _("{cause} is the most common cause of exposure for the {role}").format(
                cause=mechanism_label(s, claim.cause), role=s.role_label(claim.most_common_for)
            )
        )
    values = {"role": s.role_label(claim.role), "horizon": horizon(claim.exposed_within or s.days)}
    if claim.above is not None:
        text = _("The {role} is exposed within {horizon} in more than {p} of cases").format(
            p=percent(claim.above), **values
        )
    else:
        text = _("The {role} is exposed within {horizon} in fewer than {p} of cases").format(
            p=percent(claim.below or 0.0), **values
        )
    if claim.with_:
        names = ", ".join(_countermeasure(s, n) for n in claim.with_)
        text = _("{claim}, with {countermeasures}").format(claim=text, countermeasures=names)
    return text


def depends_heading() -> str:
    """The heading over the claims that hold only under stated conditions, wherever shown."""
    return _("What these lessons depend on")


def conditional_claims(s: Scenario) -> list[str]:
    """Every claim that holds only under stated conditions, with them, in words."""
    return [
        _capital(claim_words(s, claim))
        for objective in s.learning_objectives
        if not isinstance(objective, str)
        for claim in objective.claims
        if claim.when
    ]


def objective_claims(s: Scenario, objective: str | Objective) -> list[str]:
    """The claims of one learning objective in words (none for plain text)."""
    if isinstance(objective, str):
        return []
    return [claim_words(s, claim) for claim in objective.claims]


def figures(s: Scenario, finding: Finding) -> str:
    """The figures that decide a claim."""
    claim = finding.claim
    difference = change(finding.value, finding.ci95)
    if isinstance(claim, (EffectClaim, ComparisonClaim)):
        template = (
            _("{base} without it, {var} with it: {delta} points (95% interval {interval})")
            if isinstance(claim, EffectClaim)
            else _("{var} with it, {base} with the other: {delta} points (95% interval {interval})")
        )
        return template.format(
            base=percent(finding.baseline or 0.0),
            var=percent(finding.variant or 0.0),
            delta=difference.value,
            interval=difference.interval,
        )
    if isinstance(claim, CauseClaim):
        if not finding.exposures:
            return _("the {role} was never exposed in these runs").format(
                role=s.role_label(claim.most_common_for)
            )
        if finding.runner_up is None:
            return _("{share} of the exposures").format(share=percent(finding.share or 0.0))
        return _(
            "{share} of the exposures, next {other} {other_share}: a lead of {lead} points (95% "
            "interval {interval})"
        ).format(
            share=percent(finding.share or 0.0),
            other=mechanism_label(s, finding.runner_up),
            other_share=percent(finding.runner_up_share or 0.0),
            lead=difference.value,
            interval=difference.interval,
        )
    shown = figure(finding.value, finding.ci95)
    if shown.kind == "below":
        return shown.value
    return _("{p} (95% interval {interval})").format(p=shown.value, interval=shown.interval)


def finding_line(s: Scenario, finding: Finding) -> str:
    """One checked claim: whether it holds, the claim, and its figures."""
    status = _("holds") if finding.holds else _("DOES NOT HOLD")
    return f"{status}: {claim_words(s, finding.claim)}: {figures(s, finding)}."


def render_check(check: ObjectiveCheck) -> str:
    """Every claim of a scenario, one line each, then a tally."""
    s = check.loaded.scenario
    lines = [f"  {finding_line(s, f)}" for f in check.findings]
    lines.append(
        "  "
        + _("{holding} of {total} claims hold ({runs} runs, seed {seed}).").format(
            holding=check.holding, total=len(check.findings), runs=check.runs, seed=check.seed
        )
    )
    return "\n".join(lines) + "\n"


def robust_status(s: Scenario, finding: RobustFinding) -> str:
    """Whether a claim holds across the sourced ranges, in words."""
    if finding.verdict == "not_at_file":
        return _("DOES NOT HOLD at the file's values")
    return _robust_verdict(s, finding)


def _robust_verdict(s: Scenario, finding: RobustFinding) -> str:
    from simulator.analysis.robust import by_width

    sets = ngettext("{n} parameter set", "{n} parameter sets", finding.sets).format(n=finding.sets)
    apart = _no_room(s, finding)
    if finding.verdict in ("holds", "holds_when"):
        shown = _("{sets}; {apart}").format(sets=sets, apart=apart) if apart else sets
        if finding.verdict == "holds":
            return _("holds across the sourced ranges ({sets})").format(sets=shown)
        return _("holds where it says it does ({sets})").format(sets=shown)
    threshold = finding.threshold
    if finding.verdict == "holds_only_when" and threshold is not None:
        lo, hi = threshold.bracket
        width = hi - lo
        text = _("holds only when {param} is {side} {value} ({lo}–{hi})").format(
            param=threshold.param,
            side=_("above") if threshold.side == "above" else _("below"),
            value=by_width(threshold.value, width),
            lo=by_width(lo, width),
            hi=by_width(hi, width),
        )
        if finding.also:
            text += _("; {params} also flip it").format(params=", ".join(finding.also))
    else:
        text = _("DOES NOT HOLD across the sourced ranges: fails at {n} of {sets}").format(
            n=finding.failing, sets=sets
        )
        if finding.where:
            shown_sets = [
                ", ".join(
                    (
                        _("{param} {value} (low)") if side == "low" else _("{param} {value} (high)")
                    ).format(param=key, value=f"{value:.3g}")
                    for key, value, side in where
                )
                for where in finding.where
            ]
            text += _(", among them where {sets}").format(sets=_("; where ").join(shown_sets))
    return _("{verdict}; {apart}").format(verdict=text, apart=apart) if apart else text


def _no_room(s: Scenario, finding: RobustFinding) -> str:
    """The sets left out of the verdict because the runs left no room for the claim."""
    if not finding.degenerate:
        return ""
    claim = finding.at_file.claim
    role = s.role_label(claim.most_common_for if isinstance(claim, CauseClaim) else claim.role)
    if isinstance(claim, CauseClaim):
        return ngettext(
            "at {n} set the {role} was never exposed",
            "at {n} sets the {role} was never exposed",
            finding.degenerate,
        ).format(n=finding.degenerate, role=role)
    return ngettext(
        "at {n} set the {role} was exposed in every run or in none, whatever was done: "
        "no room for an effect",
        "at {n} sets the {role} was exposed in every run or in none, whatever was done: "
        "no room for an effect",
        finding.degenerate,
    ).format(n=finding.degenerate, role=role)


def robust_line(s: Scenario, finding: RobustFinding) -> str:
    """One claim checked across the ranges: its status, the claim, and its figures at the file."""
    return (
        f"{robust_status(s, finding)}: {claim_words(s, finding.at_file.claim)}: "
        f"{figures(s, finding.at_file)}."
    )


def render_robust(check: RobustCheck) -> str:
    """Every claim of a scenario checked across its sourced ranges, one line each, then a tally."""
    s = check.loaded.scenario
    lines = [f"  {robust_line(s, f)}" for f in check.findings]
    lines.append(
        "  "
        + _(
            "{passing} of {total} claims hold wherever they say they do ({runs} runs at the "
            "file's values, {set_runs} at each other parameter set, seed {seed})."
        ).format(
            passing=check.passing,
            total=len(check.findings),
            runs=check.runs,
            set_runs=check.set_runs,
            seed=check.seed,
        )
    )
    return "\n".join(lines) + "\n"
