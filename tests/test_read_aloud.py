"""Phrases a trainer reads aloud say what the model does: rates per person, reports that fade."""

from __future__ import annotations

from conftest import invoke

from simulator.report.describe import adversary_lines, check_lines, observer_lines
from simulator.scenario import load


def said(text: str) -> str:
    return " ".join(text.split())


# ----------------------------------------------------------------------------- a check's rate


def test_a_checks_rate_is_said_per_person_not_for_anyone():
    s = load("border-phone").scenario
    line = check_lines(s)[0]
    assert line.startswith("Group 109 home search: about 0.4 times a year per person;")
    assert "anyone" not in " ".join(check_lines(s))
    shown = said(invoke("show", "border-phone").stdout)
    assert "about 0.4 times a year per person;" in shown
    assert "anyone" not in shown.split("Checks")[1].split("The adversary")[0]


def test_a_scheduled_check_inspects_a_share_of_people():
    s = load("guest-list").scenario
    assert any("every day, 0.5% of people;" in line for line in check_lines(s))


# ----------------------------------------------------------------------------- decay


def _after(days: int, weight: float, half_life: float) -> float:
    """Two pieces `days` apart, as the engine adds them: the first fades once a day."""
    return weight * (0.5 ** (1.0 / half_life)) ** days + weight


def test_two_reports_of_half_the_threshold_start_nothing_unless_on_the_same_day():
    s = load("border-phone").scenario
    w, t = s.adversary.weights.reports, s.adversary.threshold
    assert w == t / 2 and s.adversary.decay is not None
    assert _after(1, w, s.adversary.decay.half_life) < t
    leader = observer_lines(s)[0]
    assert "it takes 2 reports to start an investigation" not in leader
    assert (
        "it takes 2 reports on the same day to start an investigation, or more if they are "
        "days apart (each counts half after 3 months)" in leader
    )
    assert "2 reports from observers on the same day" in adversary_lines(s)[0]


def test_the_window_said_is_the_one_the_threshold_allows():
    s = load("guest-list", overrides=["adversary.weights.reports=0.6"]).scenario
    w, t = s.adversary.weights.reports, s.adversary.threshold
    assert s.adversary.decay is not None
    half = s.adversary.decay.half_life
    line = said(" ".join(observer_lines(s)))
    assert "it takes 2 reports within 35 days to start an investigation" in line
    assert _after(35, w, half) >= t - 1e-9 > _after(36, w, half)


def test_without_decay_the_count_stands_alone():
    s = load("protest-phone-check").scenario
    assert s.adversary.decay is None
    assert "it takes 2 reports to start an investigation" in said(" ".join(observer_lines(s)))
    assert "same day" not in said(" ".join(adversary_lines(s)))


# ----------------------------------------------------------------------------- rounded parts


def _exposed_sentence(text: str, who: str) -> str:
    flat = said(text)
    start = flat.index(f"{who} was exposed on day")
    return flat[start : flat.index("reached the threshold", start)]


def test_a_total_whose_rounded_parts_do_not_add_up_says_about():
    sentence = _exposed_sentence(
        invoke("trace", "border-phone", "--seed", "2").stdout, "The reporting partner"
    )
    # The parts as shown: +1.00, 0.18 left of a report, a report of 0.50: 1.68, not 1.67.
    assert "(+1.00)" in sentence and "0.18 left" in sentence and "phone, 0.50)" in sentence
    assert "suspicion 1.67" not in sentence
    assert sentence.endswith("suspicion of about 1.67 (the parts are rounded) ")


def test_a_total_that_adds_up_is_said_plainly():
    text = said(invoke("trace", "border-phone", "--seed", "1").stdout)
    assert "suspicion 1.00 reached the threshold" in text
    assert "(the parts are rounded)" not in text


# ----------------------------------------------------------------------------- the run played


def test_the_exercise_intro_names_the_run_played_and_how_to_trace_it():
    from simulator.report.exercise import intro
    from simulator.teaching.exercise import Tabletop

    table = Tabletop(load("border-phone"), 1, runs=20)
    assert table.selection.trace_seed == 2  # seed 1's own run ends the game in turn one
    text = said(intro(table))
    assert "(seed 1)" not in text
    assert "in the run of seed 2, not of the seed 1 asked for" in text
    assert "`exposure trace border-phone --seed 2`" in text
    own = Tabletop(load("border-phone"), 2, runs=20)
    assert own.selection.trace_seed == 2
    assert "in the seed's own run (seed 2)" in said(intro(own))


# ----------------------------------------------------------------------------- the same habit


def test_an_option_that_applies_a_countermeasure_is_named_with_it():
    from simulator.report.describe import option_label

    s = load("border-phone").scenario
    assert s.exercise is not None
    labels = [option_label(s, k) for k in range(len(s.exercise.choices))]
    assert "Keep calls short (Short calls)" in labels
    assert "Call less often (Fewer calls)" in labels
    # An option whose label is its countermeasure's, or that applies none, keeps its label.
    assert "Keep the phone out of the house" in labels
    assert "Carry on as before" in labels
    shown = said(invoke("show", "border-phone").stdout)
    assert "Keep calls short (Short calls);" in shown


def test_the_debrief_names_an_option_every_turn_with_its_countermeasure():
    from simulator.report.exercise import debrief_text
    from simulator.teaching.exercise import Tabletop

    table = Tabletop(load("border-phone", days=60), 1, runs=4)
    while not table.finished:
        table.play(1)
    text = said(debrief_text(table, table.debrief(4), facilitator=False))
    assert "“Keep calls short (Short calls)” every turn is what you did" in text
    assert "Had you chosen “Call less often (Fewer calls)” every turn" in text


# ----------------------------------------------------------------------------- few runs


def test_few_runs_are_warned_of_with_the_width_of_their_intervals():
    from simulator.report.words import FEW_RUNS, few_runs

    warning = few_runs(20)
    assert warning is not None
    # 1.96 × √(0.25 / 20) = 0.219: ±22 points around one half.
    assert "Only 20 runs" in warning and "±22 points" in warning
    assert few_runs(FEW_RUNS) is None and few_runs(FEW_RUNS - 1) is not None


def test_compare_and_the_cards_warn_when_runs_are_few(tmp_path):
    table = said(invoke("compare", "border-phone", "--runs", "20").stdout)
    assert "Only 20 runs: a share near one half is known only to within about ±22 points" in table
    out = tmp_path / "c.html"
    assert invoke("cards", "border-phone", "--runs", "20", "-o", str(out)).exit_code == 0
    assert "Only 20 runs" in out.read_text(encoding="utf-8")


def test_the_cards_questions_give_the_interval_of_the_figure_they_quote(tmp_path):
    out = tmp_path / "c.html"
    assert invoke("cards", "border-phone", "--runs", "100", "-o", str(out)).exit_code == 0
    text = said(out.read_text(encoding="utf-8"))
    assert "Only 100 runs" not in text
    assert (
        "protects the reporting partner most (75% → 61% within a year; −14 pts, 95% interval "
        "−21 to −7 points)" in text
    )


def test_the_debrief_warns_of_few_runs_and_gives_the_baseline_as_compare_does():
    from simulator.report.exercise import debrief_text
    from simulator.teaching.exercise import Tabletop

    table = Tabletop(load("border-phone", days=60), 1, runs=4)
    while not table.finished:
        table.play(0)
    text = said(debrief_text(table, table.debrief(4), facilitator=False))
    assert "Only 4 runs" in text
