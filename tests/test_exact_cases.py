"""The exact special cases of the model (DESIGN section 2), checked against their formulas.

Each test states its tolerance: at least 4.5 standard errors of the estimate for its sample
size, with fixed seeds so that it never flakes, and wide enough not to be tuned to one seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import FAST
from scipy import stats
from scipy.optimize import brentq

from simulator.activities import NEVER
from simulator.analysis.results import aggregate
from simulator.channels import timing_link_chance
from simulator.engine import Engine
from simulator.runner import simulate_runs
from simulator.scenario import load
from simulator.streams import Streams

SLACK = 4.5  # standard errors


def _curve(path, runs, seed=7, role="resident"):
    loaded = load(str(path))
    summaries = simulate_runs(loaded.scenario, runs, seed)
    results = aggregate(summaries, loaded.scenario)
    return results.roles[role], summaries, loaded.scenario


def _assert_curve(curve, formula, pairs, days):
    for t in days:
        p = formula(t)
        se = math.sqrt(max(p * (1 - p), 1e-4) / pairs)
        assert abs(curve[t] - p) <= SLACK * se, (
            f"day {t}: simulated {curve[t]:.4f}, formula {p:.4f}, se {se:.4f}"
        )


def _independent(scenario_file, activity, observers, adversary=None, people=20_000, days=60):
    return scenario_file(
        {
            "days": days,
            "population": {"units": people // 100, "households_per_unit": 100},
            "activities": {"act": activity},
            "observers": observers,
            **({"adversary": adversary} if adversary else {}),
        }
    )


def test_one_observer_matches_geometric_formula(scenario_file):
    a, n, r = 0.05, 0.4, 0.5
    path = _independent(
        scenario_file,
        {"who": "everyone", "per_day": a, "traces": ["behaviour"]},
        {"watcher": {"kind": "general", "notice": {"behaviour": n}, "reports": r}},
    )
    group, _, _ = _curve(path, runs=1)
    _assert_curve(group.curve, lambda t: 1 - (1 - a * n * r) ** t, group.people, [1, 5, 20, 60])


def test_per_week_rate_is_divided_by_seven(scenario_file):
    path = _independent(
        scenario_file,
        {"who": "everyone", "per_week": 0.7, "traces": ["behaviour"]},
        {"watcher": {"kind": "general", "notice": {"behaviour": 1.0}}},
    )
    group, _, _ = _curve(path, runs=1)
    _assert_curve(group.curve, lambda t: 1 - (1 - 0.1) ** t, group.people, [3, 10, 30])


def test_independent_observers_multiply_survival(scenario_file):
    """Two observers, each seeing its own activity's traces: 1 - prod_o (1 - q_o)^t."""
    path = scenario_file(
        {
            "days": 60,
            "population": {"units": 200, "households_per_unit": 100},
            "activities": {
                "gather": {"who": "everyone", "per_day": 0.1, "traces": ["behaviour"]},
                "visit": {"who": "everyone", "per_day": 0.2, "traces": ["presence"]},
            },
            "observers": {
                "first": {"kind": "general", "notice": {"behaviour": 0.3}, "reports": 0.5},
                "second": {"kind": "general", "notice": {"presence": 0.2}, "reports": 1.0},
            },
        }
    )
    group, _, _ = _curve(path, runs=1)
    q1, q2 = 0.1 * 0.3 * 0.5, 0.2 * 0.2 * 1.0
    _assert_curve(group.curve, lambda t: 1 - ((1 - q1) * (1 - q2)) ** t, group.people, [2, 10, 40])
    assert set(group.causes) == {"first", "second"}


def test_observers_of_one_event_notice_it_independently(scenario_file):
    """Two observers of the same occurrence: a day is safe unless someone reports it."""
    a = 0.1
    observers = {
        "first": {"kind": "general", "notice": {"behaviour": 0.3}, "reports": 0.5},
        "second": {"kind": "general", "notice": {"behaviour": 0.2}, "reports": 1.0},
    }
    path = _independent(
        scenario_file, {"who": "everyone", "per_day": a, "traces": ["behaviour"]}, observers
    )
    group, _, _ = _curve(path, runs=1)
    daily = a * (1 - (1 - 0.3 * 0.5) * (1 - 0.2))
    _assert_curve(group.curve, lambda t: 1 - (1 - daily) ** t, group.people, [2, 10, 40])
    # When both report on the same day, the first in file order is the cause.
    share_first = 0.15 / (1 - (1 - 0.15) * (1 - 0.2))
    assert abs(group.causes["first"] - share_first) < 0.03


def test_bribe_turns_r_into_r_times_one_minus_b(scenario_file):
    a, n, r, b = 0.1, 0.5, 0.8, 0.75
    path = _independent(
        scenario_file,
        {"who": "everyone", "per_day": a, "traces": ["presence"], "offers_bribe": True},
        {
            "leader_like": {
                "kind": "general",
                "notice": {"presence": n},
                "reports": r,
                "bribe": {"price": 50, "accepts": b},
            }
        },
    )
    group, _, _ = _curve(path, runs=1)
    _assert_curve(
        group.curve, lambda t: 1 - (1 - a * n * r * (1 - b)) ** t, group.people, [5, 20, 60]
    )


def _one_report_on_day_one(
    scenario_file, observer, days, extra=None, campaigns=None, offers_bribe=False
):
    """Everyone does `act` (a behaviour trace) every day; the observer sees it on day 1 only."""
    act = {"who": "everyone", "per_day": 1.0, "traces": ["behaviour"], "offers_bribe": offers_bribe}
    return scenario_file(
        {
            "days": days,
            "population": {"units": 200, "households_per_unit": 100},
            "activities": {"act": act, **(extra or {}).get("activities", {})},
            "observers": {"watcher": {"kind": "general", "notice": {"behaviour": 1.0}, **observer}},
            "campaigns": {
                "only_day_one": {"start": 2, "end": days, "multiply": {"watcher": 0}},
                **(campaigns or {}),
            },
            **{k: v for k, v in (extra or {}).items() if k != "activities"},
        }
    )


def test_a_refused_offer_is_a_second_report(scenario_file):
    """Offered, a bribe is taken with a x m (m: a campaign's factor), else reported with r_o.

    A report weighs 0.6 and the threshold is 1: only a report with its offer (1.2) exposes, so
    P(exposed on day 1) = (1 - a m) r_o, and nobody is exposed later.
    """
    a, m, r_o = 0.6, 0.5, 0.4
    path = _one_report_on_day_one(
        scenario_file,
        {"weight": 0.6, "bribe": {"price": 50, "accepts": a, "reports_offer": r_o}},
        days=5,
        offers_bribe=True,
        campaigns={"crackdown": {"start": 1, "end": 1, "bribes": {"watcher": m}}},
    )
    group, _, _ = _curve(path, runs=1)
    p = (1 - a * m) * r_o
    _assert_curve(group.curve, lambda t: p, group.people, [1, 5])


def test_a_held_report_is_passed_on_with_a_daily_chance(scenario_file):
    """Held with chance e x m, a report is passed on each later day with chance rho.

    P(exposed by day t) = (1 - e m) + e m (1 - (1 - rho)^(t - 1)) for one report on day 1 that
    alone exposes.
    """
    e, m, rho = 0.8, 0.75, 0.1
    path = _one_report_on_day_one(
        scenario_file,
        {"bribe": {"price": 50, "accepts": 0.9, "extorts": e, "passes_on": rho}},
        days=30,
        campaigns={"slack": {"start": 1, "end": 1, "bribes": {"watcher": m}}},
    )
    group, _, _ = _curve(path, runs=1)
    held = e * m
    _assert_curve(
        group.curve,
        lambda t: (1 - held) + held * (1 - (1 - rho) ** (t - 1)),
        group.people,
        [1, 2, 5, 10, 30],
    )
    assert abs(group.causes["watcher"] - 1.0) < 1e-12


@pytest.mark.parametrize("chance,find,within", [(0.3, 0.5, 4), (0.8, 0.9, 1)])
def test_a_tip_sends_a_search_within_days(scenario_file, chance, find, within):
    """One report (weight 0) with tip chance p, a state found with chance f, delay D:

    P(exposed) = p f, on a day drawn evenly from 2 to 1 + D, so P(exposed by day 1 + d) =
    p f d / D; the check's own rate is 0, so nothing else ever finds the state.
    """
    path = _one_report_on_day_one(
        scenario_file,
        {"weight": 0, "tips": {"search": {"chance": chance, "within": within}}},
        days=within + 3,
        extra={
            "states": {"phone": {}},
            "activities": {"own": {"who": "everyone", "per_day": 1.0, "state": "phone"}},
            "checks": {"search": {"per_day": 0, "finds": {"phone": find}}},
        },
    )
    group, _, _ = _curve(path, runs=1)
    assert group.curve[1] == 0.0, "a search comes at the earliest the day after the report"
    _assert_curve(
        group.curve,
        lambda t: chance * find * min(max(t - 1, 0), within) / within,
        group.people,
        range(1, within + 4),
    )
    assert set(group.causes) == {"search"}


def test_unit_weights_and_threshold_k_follow_binomial_tail(scenario_file):
    a, n, r, k = 0.2, 0.5, 0.6, 3
    q = a * n * r
    path = _independent(
        scenario_file,
        {"who": "everyone", "per_day": a, "traces": ["behaviour"]},
        {"watcher": {"kind": "general", "notice": {"behaviour": n}, "reports": r}},
        adversary={"threshold": k},
    )
    group, _, _ = _curve(path, runs=1)
    _assert_curve(
        group.curve, lambda t: float(stats.binom.sf(k - 1, t, q)), group.people, [5, 15, 30, 60]
    )


def test_scheduled_check_on_a_permanent_state(scenario_file):
    c, f = 7, 0.3
    path = scenario_file(
        {
            "days": 60,
            "population": {"units": 200, "households_per_unit": 100},
            "states": {"phone": {}},
            "activities": {"own": {"who": "everyone", "per_day": 1.0, "state": "phone"}},
            "checks": {"inspection": {"every": c, "finds": {"phone": f}}},
        }
    )
    group, _, _ = _curve(path, runs=1)
    _assert_curve(
        group.curve, lambda t: 1 - (1 - f) ** (t // c), group.people, [6, 7, 13, 14, 30, 60]
    )
    assert group.curve[c - 1] == 0.0, "a check every c days must not fire before day c"


def test_concealment_lowers_the_find(scenario_file):
    c, f, hide = 5, 0.4, 0.5
    path = scenario_file(
        {
            "days": 40,
            "population": {"units": 200, "households_per_unit": 100},
            "states": {"phone": {"concealment": hide}},
            "activities": {"own": {"who": "everyone", "per_day": 1.0, "state": "phone"}},
            "checks": {"inspection": {"every": c, "finds": {"phone": f}}},
        }
    )
    group, _, _ = _curve(path, runs=1)
    _assert_curve(
        group.curve, lambda t: 1 - (1 - f * (1 - hide)) ** (t // c), group.people, [10, 40]
    )


@pytest.mark.parametrize("unlock,reveal,leaves", [(0.6, 0.3, 8), (1.0, 0.5, 5)])
def test_hub_cascade_is_a_mixture_of_zero_and_binomial(scenario_file, unlock, reveal, leaves):
    runs = 1500 if FAST else 4000
    path = scenario_file(
        {
            "days": 5,
            "population": {"households_per_unit": leaves + 1, "roles": {"hub": 1, "leaf": leaves}},
            "contacts": {"ties": [{"from": "hub", "to": "leaf", "channel": "phone"}]},
            "channels": {"phone": {"kind": "plaintext", "reveal": {"device": reveal}}},
            "activities": {"stand_out": {"who": "hub", "per_day": 1.0, "traces": ["behaviour"]}},
            "observers": {"watcher": {"kind": "general", "notice": {"behaviour": 1.0}}},
            "adversary": {"unlock": unlock},
        }
    )
    loaded = load(str(path))
    summaries = simulate_runs(loaded.scenario, runs, seed=11)
    leaf = loaded.scenario.role_names.index("leaf")
    hub = loaded.scenario.role_names.index("hub")
    exposures = np.concatenate([s.exposures for s in summaries])
    assert (exposures[:, hub, 1] == 1).all(), "the hub is exposed on day 1 in every run"
    per_run = exposures[:, leaf, :]
    assert per_run.sum() == per_run[:, 2].sum(), "leaves are exposed on day 2 only"
    counts = np.bincount(per_run[:, 2], minlength=leaves + 1)
    pmf = unlock * stats.binom.pmf(np.arange(leaves + 1), leaves, reveal)
    pmf[0] += 1 - unlock
    for k in range(leaves + 1):
        se = math.sqrt(max(pmf[k] * (1 - pmf[k]), 1e-4) / runs)
        assert abs(counts[k] / runs - pmf[k]) <= SLACK * se, (
            f"P({k} leaves): {counts[k] / runs:.4f} vs {pmf[k]:.4f}"
        )


def _sealed_posts(scenario_file, q, per_day, notice, threshold, days):
    """One admin per run posting to a group over a sealed-sender channel an operator logs."""
    return scenario_file(
        {
            "days": days,
            "population": {"households_per_unit": 3, "roles": {"admin": 1, "member": 2}},
            "channels": {"chat": {"kind": "end_to_end_sealed", "timing_link": q}},
            "groups": {"circle": {"channel": "chat", "admins": ["admin"], "members": ["member"]}},
            "activities": {"post": {"who": "admin", "with": "circle", "per_day": per_day}},
            "observers": {
                "operator": {
                    "kind": "operator",
                    "channels": ["chat"],
                    "notice": {"metadata": notice},
                }
            },
            "adversary": {"threshold": threshold},
        }
    )


def test_a_timing_link_after_k_messages_has_the_closed_form(scenario_file):
    """Every observed sealed message links its sender with chance q: after k, 1 − (1 − q)^k."""
    q, days = 0.15, 12
    runs = 8000 if FAST else 20_000
    path = _sealed_posts(scenario_file, q, 1.0, 1.0, threshold=1e6, days=days)
    scenario = load(str(path)).scenario
    engine = Engine(scenario, runs, Streams(np.random.SeedSequence(3)))
    admin = np.flatnonzero(engine.pop.role == scenario.role_names.index("admin"))
    assert admin.size == runs
    for k in range(1, days + 1):
        engine.step(k)
        state = engine.timing["chat"]
        assert (state.seen[admin] == k).all(), "one observed post a day"
        linked = float(np.mean(state.day[admin] != NEVER))
        p = float(timing_link_chance(q, k))
        se = math.sqrt(p * (1 - p) / runs)
        assert abs(linked - p) <= SLACK * se, f"after {k}: {linked:.4f} vs {p:.4f}"
    # Nobody is linked before her first message, and the link day is geometric.
    day = state.day[admin]
    assert ((day == NEVER) | ((day >= 1) & (day <= days))).all()
    assert timing_link_chance(q, 0) == 0.0 and timing_link_chance(0.0, 50) == 0.0


def test_exposure_by_timing_follows_the_link_chance(scenario_file):
    """A sealed post implicates nobody until the operator links its sender; from that post on,
    each observed post adds the weight. With threshold 2 and weight 1, she is exposed by day t
    when M(t) ≥ 2 observed posts and the link came within the first M − 1 of them:
    P = E[1 − (1 − q)^(M − 1); M ≥ 1], M ~ Binomial(t, a × n)."""
    a, n, q = 0.5, 0.4, 0.3
    runs = 8000 if FAST else 20_000
    path = _sealed_posts(scenario_file, q, a, n, threshold=2, days=40)
    group, _, _ = _curve(path, runs=runs, role="admin")

    def formula(t: int) -> float:
        m = np.arange(1, t + 1)
        return float(np.sum(stats.binom.pmf(m, t, a * n) * timing_link_chance(q, m - 1)))

    _assert_curve(group.curve, formula, group.people, [2, 5, 10, 20, 40])
    assert set(group.causes) == {"operator"}


def test_without_a_timing_link_sealed_posts_expose_nobody(scenario_file):
    path = _sealed_posts(scenario_file, 0.0, 1.0, 1.0, threshold=1, days=20)
    group, _, _ = _curve(path, runs=200, role="admin")
    assert group.curve[20] == 0.0


def _sealed_seizure(scenario_file, leaves, period, q, notice, reply, metadata):
    """A hub writes one sealed message a day to one of her leaves, chosen alike; each leaf replies
    with daily chance `reply`; an operator observes each message with chance `notice` (weighing
    nothing) and links its sender by timing with chance q. A search finds the hub on day `period`;
    her phone stays locked, so a leaf is named the next day only by the log (reveal `metadata`)."""
    path = scenario_file(
        {
            "days": period + 1,
            "population": {"households_per_unit": leaves + 1, "roles": {"hub": 1, "leaf": leaves}},
            "contacts": {"ties": [{"from": "hub", "to": "leaf", "channel": "chat"}]},
            "channels": {
                "chat": {
                    "kind": "end_to_end_sealed",
                    "timing_link": q,
                    "reveal": {"device": 0.0, "metadata": metadata},
                }
            },
            "states": {"marked": {}},
            "activities": {
                "write": {"who": "hub", "with": "leaf", "channel": "chat", "per_day": 1.0},
                "reply": {"who": "leaf", "with": "hub", "channel": "chat", "per_day": reply},
                "mark": {"who": "hub", "per_day": 1.0, "state": "marked"},
            },
            "observers": {
                "operator": {
                    "kind": "operator",
                    "channels": ["chat"],
                    "notice": {"metadata": notice},
                    "weight": 1e-9,
                }
            },
            "checks": {"search": {"every": period, "finds": {"marked": 1.0}}},
            "adversary": {"unlock": 0.0},
        }
    )
    return load(str(path)).scenario


def _sealed_seizure_chance(leaves, period, q, notice, reply):
    """The chance the log shows a leaf's link when the hub is seized at the end of day T.

    The hub is linked on day D with chance p(1 − p)^(D − 1), p = n·q (one observed message a day);
    from that message on, the link to a leaf is shown once she writes to it: on day D with chance
    1/L, and again each later day, so H = Σ_D p(1 − p)^(D − 1)·(1 − (1 − 1/L)^(T − D + 1)). A leaf
    shows it herself once she is linked, by a reply to the hub: J = 1 − (1 − r·n·q)^T. Who sent
    counts, not who was linked: the two sides are independent, so P = 1 − (1 − H)(1 − J).
    """
    p = notice * q
    hub = sum(
        p * (1 - p) ** (d - 1) * (1 - (1 - 1 / leaves) ** (period - d + 1))
        for d in range(1, period + 1)
    )
    leaf = 1 - (1 - reply * notice * q) ** period
    return 1 - (1 - hub) * (1 - leaf)


def test_a_seized_sealed_log_gives_up_links_from_the_timing_link_on(scenario_file):
    """A leaf is named by the log with chance reveal.metadata × P (see `_sealed_seizure_chance`).

    Counting every message of a sender linked by the seizure, hers before the link too, would give
    0.65 here instead of 0.57 (16 standard errors away); counting a message once either end of its
    link is linked, about 0.62 as simulated (9 away).
    """
    leaves, period, q, notice, reply, metadata = 4, 10, 0.3, 0.5, 0.15, 0.8
    runs = 4000 if FAST else 12_000
    scenario = _sealed_seizure(scenario_file, leaves, period, q, notice, reply, metadata)
    summaries = simulate_runs(scenario, runs, seed=29)
    roles = scenario.role_names
    exposures = np.concatenate([s.exposures for s in summaries])
    assert (exposures[:, roles.index("hub"), period] == 1).all(), "the search finds the hub"
    named = exposures[:, roles.index("leaf"), :]
    assert named.sum() == named[:, period + 1].sum(), "a leaf is named the day after the seizure"
    share = named[:, period + 1].mean() / leaves
    p = metadata * _sealed_seizure_chance(leaves, period, q, notice, reply)
    # Leaves of one run share the hub's link: their mean varies at most as one leaf does.
    se = math.sqrt(p * (1 - p) / runs)
    assert abs(share - p) <= SLACK * se, f"{share:.4f} vs {p:.4f} (se {se:.4f})"
    # Without a timing link sealed sender hides every link from the log.
    hidden = _sealed_seizure(scenario_file, leaves, period, 0.0, notice, reply, metadata)
    none = np.concatenate([s.exposures for s in simulate_runs(hidden, 300, seed=29)])
    assert none[:, roles.index("leaf"), :].sum() == 0


def _star_counts(scenario_file, leaves, channels, ties, seed, runs, adversary=None):
    """How many leaves each run exposes on day 2, after the hub is exposed on day 1."""
    path = scenario_file(
        {
            "days": 3,
            "population": {"households_per_unit": leaves + 1, "roles": {"hub": 1, "leaf": leaves}},
            "contacts": {"ties": ties},
            "channels": channels,
            "activities": {"stand_out": {"who": "hub", "per_day": 1.0, "traces": ["behaviour"]}},
            "observers": {"watcher": {"kind": "general", "notice": {"behaviour": 1.0}}},
            "adversary": adversary or {"unlock": 0.6},
        }
    )
    loaded = load(str(path))
    summaries = simulate_runs(loaded.scenario, runs, seed=seed)
    leaf = loaded.scenario.role_names.index("leaf")
    exposures = np.concatenate([s.exposures for s in summaries])
    per_run = exposures[:, leaf, :]
    assert per_run.sum() == per_run[:, 2].sum(), "leaves are exposed on day 2 only"
    return np.bincount(per_run[:, 2], minlength=leaves + 1)


def _assert_pmf(counts, pmf, runs):
    for k in range(pmf.size):
        se = math.sqrt(max(pmf[k] * (1 - pmf[k]), 1e-4) / runs)
        assert abs(counts[k] / runs - pmf[k]) <= SLACK * se, (
            f"P({k} leaves): {counts[k] / runs:.4f} vs {pmf[k]:.4f}"
        )


def test_interrogation_alone_names_each_face_to_face_leaf_whatever_the_phone(scenario_file):
    """Only in-person links and a locked or open phone: the leaves are Binomial(n, i)."""
    runs, leaves, asked = (1500 if FAST else 4000), 6, 0.35
    counts = _star_counts(
        scenario_file,
        leaves,
        {"talk": {"kind": "in_person", "reveal": {"interrogation": asked}}},
        [{"from": "hub", "to": "leaf", "channel": "talk"}],
        seed=13,
        runs=runs,
    )
    _assert_pmf(counts, stats.binom.pmf(np.arange(leaves + 1), leaves, asked), runs)


def test_interrogation_and_phone_combine_as_independent_ways(scenario_file):
    """Phone reveal d when unlocked (u), interrogation i always: u·Bin(n, 1−(1−d)(1−i)) +
    (1−u)·Bin(n, i)."""
    runs, leaves, unlock, device, asked = (1500 if FAST else 4000), 6, 0.6, 0.5, 0.3
    counts = _star_counts(
        scenario_file,
        leaves,
        {"phone": {"kind": "plaintext", "reveal": {"device": device, "interrogation": asked}}},
        [{"from": "hub", "to": "leaf", "channel": "phone"}],
        seed=17,
        runs=runs,
    )
    k = np.arange(leaves + 1)
    both = 1 - (1 - device) * (1 - asked)
    pmf = unlock * stats.binom.pmf(k, leaves, both) + (1 - unlock) * stats.binom.pmf(
        k, leaves, asked
    )
    _assert_pmf(counts, pmf, runs)


def test_a_leaf_named_twice_by_one_arrest_counts_once(scenario_file):
    """Named by the phone and under interrogation, over two links: one cascade weight, not two."""
    counts = _star_counts(
        scenario_file,
        4,
        {
            "phone": {"kind": "plaintext", "reveal": {"device": 1.0}},
            "talk": {"kind": "in_person", "reveal": {"interrogation": 1.0}},
        },
        [
            {"from": "hub", "to": "leaf", "channel": "phone"},
            {"from": "hub", "to": "leaf", "channel": "talk"},
        ],
        seed=19,
        runs=50,
        adversary={"unlock": 1.0, "weights": {"cascade": 0.6}},
    )
    assert counts[0] == 50, "a leaf named twice by the same arrest must not be counted twice"


@pytest.mark.parametrize("retention", [3, None])
def test_a_kept_conversation_names_one_of_the_other_contacts(scenario_file, retention):
    """The hub is taken on day T; she writes to the leaf with daily chance a, her messages kept R
    days (or for good: R = T). Each kept message names someone with chance q, so the conversation
    names someone once the phone opens (u) with chance u·E[1 − (1 − q)^c], c ~ Binomial(R, a):
    u·(1 − (1 − a·q)^R); that someone is one of her k other contacts, each alike."""
    runs, period, a, q, unlock, friends = (3000 if FAST else 8000), 10, 0.3, 0.6, 0.8, 3
    chat: dict = {"kind": "end_to_end", "reveal": {"device": 0.0}, "content": {"names": q}}
    if retention is not None:
        chat["retention_days"] = retention
    path = scenario_file(
        {
            "days": period + 2,
            "population": {
                "households_per_unit": 10,
                "roles": {"hub": 1, "leaf": 1, **{f"friend{i}": 1 for i in range(friends)}},
            },
            "contacts": {
                "ties": [
                    {"from": "hub", "to": "leaf", "channel": "chat"},
                    *(
                        {"from": "hub", "to": f"friend{i}", "channel": "talk"}
                        for i in range(friends)
                    ),
                ]
            },
            "channels": {"chat": chat, "talk": {"kind": "in_person"}},
            "states": {"marked": {}},
            "activities": {
                "write": {"who": "hub", "with": "leaf", "channel": "chat", "per_day": a},
                "mark": {"who": "hub", "per_day": 1.0, "state": "marked"},
            },
            "checks": {"search": {"every": period, "finds": {"marked": 1.0}}},
            "adversary": {"unlock": unlock},
        }
    )
    loaded = load(str(path))
    summaries = simulate_runs(loaded.scenario, runs, seed=23)
    exposures = np.concatenate([s.exposures for s in summaries])
    roles = loaded.scenario.role_names
    assert (exposures[:, roles.index("hub"), period] == 1).all()
    assert exposures[:, roles.index("leaf"), :].sum() == 0, "the leaf's own link is never revealed"
    named = exposures[:, [roles.index(f"friend{i}") for i in range(friends)], :]
    assert named.sum() == named[:, :, period + 1].sum(), "a named friend is exposed the next day"
    assert named.sum(axis=1).max() <= 1, "one conversation names one person"
    p = unlock * (1 - (1 - a * q) ** (retention if retention is not None else period))
    share = named[:, :, period + 1].sum(axis=1).mean()
    assert abs(share - p) <= SLACK * math.sqrt(p * (1 - p) / runs), f"{share:.4f} vs {p:.4f}"
    for i in range(friends):  # whom: each of her other contacts alike
        one = named[:, i, period + 1].mean()
        assert abs(one - p / friends) <= SLACK * math.sqrt(
            p / friends * (1 - p / friends) / runs
        ), f"friend {i}: {one:.4f} vs {p / friends:.4f}"


def reference_final_size(
    p: float = 0.002, transmit: float = 0.3, degree: float = 8, days: int = 365
) -> float:
    """Edge-based final size (Miller 2011) with a random initial fraction rho0."""
    rho0 = 1 - (1 - p) ** days
    theta = brentq(
        lambda th: 1 - transmit + transmit * (1 - rho0) * math.exp(degree * (th - 1)) - th,
        0.0,
        1.0 - 1e-12,
    )
    return 1 - (1 - rho0) * math.exp(degree * (theta - 1))


def test_reference_formula_value():
    assert abs(reference_final_size() - 0.9508) < 5e-5


def test_reference_cascade_final_size():
    """The bundled reference at 100,000 people: within 0.005 of the final-size formula.

    The finite-population fluctuation of the final size is of order 1/sqrt(N) ~ 0.003 per run;
    two runs are averaged, and 0.005 is the tolerance the design states.
    """
    loaded = load("reference-cascade")
    scenario = loaded.scenario.model_copy(
        update={"population": loaded.scenario.population.model_copy(update={"units": 1000})}
    )
    results = aggregate(simulate_runs(scenario, 2, seed=3), scenario)
    assert results.people == 100_000
    assert abs(results.everyone.p_exposed - reference_final_size()) <= 0.005
