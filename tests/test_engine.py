"""The engine's records of one run agree with its outcome, and recording changes nothing."""

from __future__ import annotations

import numpy as np
from conftest import BASE, merge
from hypothesis import given
from hypothesis import strategies as st

from simulator.engine import NOT_EXPOSED, Engine, simulate
from simulator.scenario import load
from simulator.streams import Streams, trace_seed


def test_records_agree_with_the_outcome():
    scenario = load("overnight-guest").scenario
    plain = simulate(scenario, 3, 8)
    told = simulate(scenario, 3, 8, record=True)
    assert np.array_equal(plain.exposed_day, told.exposed_day) and np.array_equal(
        plain.cause, told.cause
    )
    records = told.records or []
    exposed = {(r.person, r.day, r.mechanism) for r in records if r.kind == "exposed"}
    expected = {
        (int(p), int(told.exposed_day[p]), scenario.mechanisms[told.cause[p]])
        for p in np.flatnonzero(told.exposed_day != NOT_EXPOSED)
    }
    assert exposed == expected and exposed
    # Every exposure's cause left a record of that mechanism on that day for that person.
    for person, day, cause in exposed:
        kinds = {"cascade": "cascade", "registration": "registration"}
        kind = kinds.get(cause, "report" if cause in scenario.observers else "find")
        assert any(
            r.kind == kind and r.person == person and r.day == day and r.mechanism == cause
            for r in records
        )
    # Nobody acts after being exposed.
    for r in records:
        if r.kind == "activity":
            day = told.exposed_day[r.person]
            assert day == NOT_EXPOSED or r.day <= day


def test_watchers_never_report_their_own_household(scenario_file):
    """Everyone is at home with a visible trace every day, and a leader and informants see and
    report all of it: by the end of day 1, everyone is exposed except the people who live with
    a watcher, and no watcher's housemate is ever exposed by a watcher."""
    doc = merge(
        BASE,
        {
            "days": 3,
            "population": {"units": 3, "households_per_unit": 6, "household_size": 3},
            "contacts": {"household": {}},
            "activities": {"home": {"who": "everyone", "per_day": 1, "traces": ["presence"]}},
            "observers": {
                "leader": {"kind": "leader", "notice": {"presence": 1.0}, "reports": 1.0},
                "informer": {
                    "kind": "informant",
                    "per_unit": 1,
                    "notice": {"presence": 1.0},
                    "reports": 1.0,
                },
            },
        },
    )
    scenario = load(str(scenario_file(doc))).scenario
    engine = Engine(scenario, 4, Streams(trace_seed(5)))
    outcome = engine.run()
    pop = engine.pop
    by_name = {o.name: o for o in engine.observers}
    leader, informer = by_name["leader"], by_name["informer"]
    assert leader.leaders is not None and informer.informant_links is not None
    watchers = np.concatenate([leader.leaders.ravel(), np.flatnonzero(informer.informant_links)])
    # Informants are linked only to their housemates here, so they watch nobody.
    assert not informer.informant_links.any()
    spared = np.isin(pop.household, pop.household[leader.leaders.ravel()])
    assert watchers.size and spared.any() and (~spared).any()
    assert np.all(outcome.exposed_day[~spared] == 1)
    assert np.all(outcome.exposed_day[spared] == NOT_EXPOSED)


def test_a_kept_conversation_names_each_other_contact_alike_never_its_partner():
    """Owner 0 is linked to 1 (twice), 2, 3 and 4; owner 5 only to 0. Equal shares of u pick each
    of the owner's distinct other contacts once; a person with no other contact names nobody."""
    from simulator.channels import third_parties

    # CSR of the links 0-1 (twice), 0-2, 0-3, 0-4, 0-5, seen from both ends.
    links = [(0, 1), (0, 1), (0, 2), (0, 3), (0, 4), (0, 5)]
    ends = sorted([*links, *((b, a) for a, b in links)])
    indices = np.array([b for _a, b in ends], dtype=np.int32)
    indptr = np.searchsorted([a for a, _b in ends], np.arange(7)).astype(np.int64)
    u = (np.arange(4) + 0.5) / 4
    # The conversation with 3: the other contacts are 1, 2, 4 and 5, each once.
    position = int(np.flatnonzero((np.array([a for a, _ in ends]) == 0) & (indices == 3))[0])
    named = third_parties(indptr, indices, np.full(4, position), np.zeros(4, np.int64), u)
    assert named.tolist() == [1, 2, 4, 5]
    # With 1 (two links): 2, 3, 4 and 5; 1 itself never.
    position = int(np.flatnonzero((np.array([a for a, _ in ends]) == 0) & (indices == 1))[0])
    named = third_parties(indptr, indices, np.full(4, position), np.zeros(4, np.int64), u)
    assert named.tolist() == [2, 3, 4, 5]
    # Person 5 knows only 0: her conversation with 0 names nobody.
    lonely = third_parties(indptr, indices, np.array([int(indptr[5])]), np.array([5]), u[:1])
    assert lonely.tolist() == [-1]


def test_a_day_revealed_in_parts_reveals_what_it_reveals_whole(monkeypatch):
    """A day that exposes many people is revealed a part at a time to keep its memory small:
    every number is drawn by person and link, so parts of three people must give the very same
    runs as the whole day at once, kept messages' names included (group-chat)."""
    import simulator.engine as engine_module
    from simulator.streams import batch_seed

    for name, runs in (("reference-cascade", 1), ("group-chat", 20)):
        scenario = load(name, people=3000 if name == "reference-cascade" else None).scenario
        whole = Engine(scenario, runs, Streams(batch_seed(4, 0)))
        whole.run()
        monkeypatch.setattr(engine_module, "REVEAL_PEOPLE", 3)
        parts = Engine(scenario, runs, Streams(batch_seed(4, 0)))
        parts.run()
        monkeypatch.undo()
        assert (whole.exposed_day != NOT_EXPOSED).sum() > 20
        assert np.array_equal(whole.exposed_day, parts.exposed_day)
        assert np.array_equal(whole.cause, parts.cause)
        assert np.array_equal(whole.suspicion, parts.suspicion)


def test_the_loop_s_shortcuts_draw_the_numbers_of_the_plain_loop(monkeypatch):
    """Numbers drawn for blocks of days, occurrences and watchers' decisions drawn ahead, a few
    ids mixed in Python, decay of the suspects alone: each is a shortcut, and runs without it (one
    day a block, every occurrence drawn on its day, every id mixed by numpy, everyone decayed every
    day) must be the very same runs, and one run's story the very same records: leaders and
    informants with several watchers a home (border-phone, block-committee), partners exposed
    before the day they were to be called (informant-state), bribes offered and asked for
    (guest-list, overnight-guest) and a campaign that changes them part-way (pandemic-controls),
    off-channel meetings (border-phone), an operator under sealed sender (group-chat)."""
    import simulator.engine as engine_module
    import simulator.streams as streams_module
    from simulator.streams import batch_seed

    def runs(scenario, plain: bool, count: int = 40, record: bool = False):
        with monkeypatch.context() as m:
            if plain:
                m.setattr(engine_module, "DAY_BLOCK_DRAWS", 1)
                m.setattr(streams_module, "SMALL_MIX", -1)
            engine = Engine(scenario, count, Streams(batch_seed(1, 0)), record=record)
            engine.track_suspects = not plain
            engine.run()
        return engine

    names = ("border-phone", "block-committee", "group-chat", "guest-list", "overnight-guest")
    for name in (*names, "informant-state", "pandemic-controls"):
        scenario = load(name).scenario
        fast, plain = runs(scenario, False), runs(scenario, True)
        assert (fast.exposed_day != NOT_EXPOSED).sum() > 10
        assert fast.blocks and not plain.blocks  # occurrences drawn ahead, or each day
        if scenario.adversary.decay is not None:  # group-chat's suspicion does not fade
            assert fast.suspects.size and not plain.suspects.size
        assert np.array_equal(fast.exposed_day, plain.exposed_day)
        assert np.array_equal(fast.cause, plain.cause)
        assert np.array_equal(fast.suspicion, plain.suspicion)
        told, plainly = runs(scenario, False, 2, True), runs(scenario, True, 2, True)
        assert told.recorder.records and told.recorder.records == plainly.recorder.records


def test_links_to_people_already_exposed_are_skipped_without_changing_anything(monkeypatch):
    """A seized phone's links to people exposed already name nobody new: skipping them (as every
    run that records no story does) leaves who is exposed, when and why exactly as it was."""
    scenario = load("reference-cascade").scenario
    scenario = scenario.model_copy(update={"days": 120})

    def outcome() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        engine = Engine(scenario, 2, Streams(trace_seed(5)))
        o = engine.run()
        return o.exposed_day, o.cause, engine.suspicion

    skipped = outcome()
    every = Engine.link_reveals
    looked_at = []

    def all_links(self, people, t, unlocked, only_free=False):
        looked_at.append(only_free)
        return every(self, people, t, unlocked, False)

    monkeypatch.setattr(Engine, "link_reveals", all_links)
    full = outcome()
    assert any(looked_at), "the run never skipped a link"
    assert (skipped[0] > 0).sum() > 1000  # a cascade, not a handful
    for a, b in zip(skipped, full):
        assert np.array_equal(a, b)


@given(st.integers(1, 5000), st.integers(1, 300))
def test_batches_are_as_even_as_they_can_be_and_number_every_run_once(runs, size):
    from simulator.runner import batch_start, batches

    plan = batches(runs, size)
    counts = [n for _b, n in plan]
    assert [b for b, _n in plan] == list(range(len(plan)))
    assert sum(counts) == runs and max(counts) <= size
    assert len(plan) == -(-runs // size)  # no more batches than `size` needs
    assert max(counts) - min(counts) <= 1 and counts == sorted(counts, reverse=True)
    starts = [batch_start(b, runs, size) for b, _n in plan]
    assert starts == [sum(counts[:b]) for b in range(len(plan))]


def test_two_hundred_runs_of_border_phone_are_two_batches_of_a_hundred():
    """On two cores the whole waits for the longer batch: 100 and 100, not 133 and 67."""
    from simulator.runner import batch_size, batches

    scenario = load("border-phone").scenario
    assert batches(200, batch_size(scenario)) == [(0, 100), (1, 100)]


def test_uneven_batches_number_their_runs_and_give_the_same_runs_on_any_workers(monkeypatch):
    """7 runs at 3 a batch are batches of 3, 2 and 2, their runs numbered from 0, 3 and 5,
    whether one process simulates them or two."""
    from simulator import runner

    monkeypatch.setattr(runner, "MAX_BATCH_RUNS", 3)
    scenario = load("overnight-guest").scenario.model_copy(update={"days": 60})
    one = runner.simulate_runs(scenario, 7, seed=4, workers=1)
    two = runner.simulate_runs(scenario, 7, seed=4, workers=2)
    assert [s.first_run for s in one] == [s.first_run for s in two] == [0, 3, 5]
    assert [s.people.shape[0] for s in one] == [3, 2, 2]
    for a, b in zip(one, two):
        assert np.array_equal(a.exposures, b.exposures) and np.array_equal(a.causes, b.causes)
