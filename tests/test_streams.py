"""The seed's uses and the purposes of streams: each what it always was, and no two alike."""

from __future__ import annotations

import itertools
import string
import zlib

import numpy as np
import pytest

from simulator import streams
from simulator.engine import simulate
from simulator.messaging.simulation import message_channels, simulate_messaging
from simulator.scenario import bundled_names, load
from simulator.scenario.model import Scenario
from simulator.streams import PURPOSES, SEED_USES, SeedUse, Streams, purpose_key

SEEDS = [0, 1, 7, 2**32 + 5, 2**63 - 1]


@pytest.mark.parametrize("seed", SEEDS)
def test_each_use_makes_the_seed_sequence_it_always_made(seed):
    # The constructions each call site made before they came here, written out literally.
    made = {
        "trace": (streams.trace_seed(seed), np.random.SeedSequence(seed)),
        "exercise": (streams.exercise_seed(seed), np.random.SeedSequence(seed)),
        "messaging": (streams.messaging_seed(seed), np.random.SeedSequence(seed)),
        "batch 0": (streams.batch_seed(seed, 0), np.random.SeedSequence(seed, spawn_key=(0,))),
        "batch 9": (streams.batch_seed(seed, 9), np.random.SeedSequence(seed, spawn_key=(9,))),
        "sobol": (streams.sobol_seed(seed), np.random.SeedSequence(seed, spawn_key=(0x50B0,))),
    }
    for use, (new, old) in made.items():
        assert new.entropy == old.entropy, use
        assert new.spawn_key == old.spawn_key, use
        assert np.array_equal(new.generate_state(4), old.generate_state(4)), use


def test_the_picture_tries_the_runs_trace_tells_one_seed_after_another():
    assert [streams.picture_run(7, k) for k in range(3)] == [7, 8, 9]
    assert streams.picture_run(2**63 - 1, 1) == 0


def test_every_seed_function_is_registered_once():
    makers = [m for use in SEED_USES for m in use.makers]
    assert len(makers) == len(set(makers))
    defined = {name for name in dir(streams) if name.endswith("_seed")}
    assert set(makers) == defined
    assert len({use.name for use in SEED_USES}) == len(SEED_USES)


def test_a_purpose_key_is_its_crc32():
    assert purpose_key("activity:call_abroad") == zlib.crc32(b"activity:call_abroad")


def purposes(scenario: Scenario) -> set[str]:
    """Every registered purpose, spelled out with one scenario's names."""
    names = {
        "activity": list(scenario.activities),
        "observer": list(scenario.observers),
        "check": list(scenario.checks),
        "state": [str(i) for i in range(len(scenario.states))],
    }
    out = set()
    for pattern in PURPOSES:
        fields = [f for _, f, _, _ in string.Formatter().parse(pattern) if f]
        for values in itertools.product(*(names[f] for f in fields)):
            out.add(pattern.format(**dict(zip(fields, values, strict=True))))
    return out


BUNDLED = {name: load(name).scenario for name in bundled_names()}


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_no_two_purposes_of_a_bundled_scenario_share_a_key(name):
    by_key: dict[int, list[str]] = {}
    for purpose in sorted(purposes(BUNDLED[name])):
        by_key.setdefault(purpose_key(purpose), []).append(purpose)
    assert [p for p in by_key.values() if len(p) > 1] == []


Slot = range | frozenset[int]


def _keys(use: SeedUse, purpose_keys: frozenset[int]) -> tuple[Slot, ...]:
    """The spawn keys a use can hand to a generator, slot by slot."""
    slots: list[Slot] = [
        range(part, part + 1) if isinstance(part, int) else part for part in use.spawn_key
    ]
    if use.by_purpose:
        slots.append(purpose_keys)
    return tuple(slots)


def _meet(a: Slot, b: Slot) -> bool:
    if isinstance(a, range) and isinstance(b, range):
        return max(a.start, b.start) < min(a.stop, b.stop)
    if isinstance(a, range):
        a, b = b, a
    return any(x in b for x in a)


def test_no_two_uses_of_the_seed_can_draw_the_same_numbers():
    every = frozenset(purpose_key(p) for s in BUNDLED.values() for p in purposes(s))
    for a, b in itertools.combinations(SEED_USES, 2):
        ka, kb = _keys(a, every), _keys(b, every)
        same = len(ka) == len(kb) and all(_meet(x, y) for x, y in zip(ka, kb, strict=True))
        assert not same, f"{a.name} and {b.name} can share a spawn key"


def test_the_collision_check_sees_a_collision():
    every = frozenset({streams.SOBOL_KEY})
    run, sobol = (next(u for u in SEED_USES if u.name == n) for n in ("run", "sobol"))
    assert all(_meet(x, y) for x, y in zip(_keys(run, every), _keys(sobol, every), strict=True))
    assert not _meet(range(0, 5), range(5, 9)) and _meet(range(0, 6), frozenset({5}))


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_the_simulator_asks_only_for_registered_purposes(name, monkeypatch):
    asked: set[str] = set()
    key, call = Streams.key, Streams.__call__

    def counted_key(self: Streams, purpose: str) -> int:
        asked.add(purpose)
        return key(self, purpose)

    def counted_call(self: Streams, purpose: str) -> np.random.Generator:
        asked.add(purpose)
        return call(self, purpose)

    monkeypatch.setattr(Streams, "key", counted_key)
    monkeypatch.setattr(Streams, "__call__", counted_call)
    scenario = load(name, people=3000 if name == "city" else None, days=60).scenario
    simulate(scenario, 2, 3, record=True)
    if message_channels(scenario):
        simulate_messaging(scenario, 3, days=10)
    # An activity done every day (or never) needs no draw: the first one done by chance is asked.
    drawn = next(n for n, a in scenario.activities.items() if 0.0 < a.daily < 1.0)
    assert {"population", "activity:" + drawn} <= asked
    assert asked <= purposes(scenario), sorted(asked - purposes(scenario))


@pytest.mark.parametrize("seed", SEEDS)
def test_uniform_numbers_are_splitmix64_of_the_counter_as_written(seed):
    """Streams.uniform works in place for speed; its numbers stay SplitMix64's, written out."""
    mask = (1 << 64) - 1

    def mix(z: int) -> int:
        z = (z + 0x9E3779B97F4A7C15) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    s = Streams(streams.batch_seed(seed, 3))
    ids = np.concatenate(
        [np.arange(50), np.random.default_rng(seed % 2**32).integers(-(2**40), 2**62, 200)]
    )
    for purpose, day in [("activity:call", 1), ("reveal", 365), ("unlock", 0)]:
        salt = mix((s.key(purpose) + day * 0x9E3779B97F4A7C15) & mask)
        want = [(mix((int(i) * 0xD1B54A32D192ED03 + salt) & mask) >> 11) / 2**53 for i in ids]
        got = s.uniform(purpose, day, ids)
        assert got.dtype == np.float64 and got.tolist() == want
        assert s.uniform(purpose, day, ids.astype(np.int32)[:50]).tolist() == want[:50]
        # A few ids are mixed in Python's integers: as many as SMALL_MIX and one either side,
        # negative and 32-bit ids among them.
        for few in (
            np.array([-1, -(2**40), 7, 2**62 + 3, 0, -5, 2**31, -(2**31), 42, 1, 2, 3, 4, 5]),
            np.array([-1, 7, 0, -5, -(2**31), 2**31 - 1, 42, 1, 2, 3, 4, 5, 6, 9], np.int32),
        ):
            assert few.size > streams.SMALL_MIX
            wanted = [(mix((int(i) * 0xD1B54A32D192ED03 + salt) & mask) >> 11) / 2**53 for i in few]
            for k in range(1, streams.SMALL_MIX + 2):
                assert s.uniform(purpose, day, few[:k]).tolist() == wanted[:k]
    assert s.uniform("reveal", 3, ids[:0]).shape == (0,)


def test_below_is_uniform_below_the_chance_at_every_edge():
    """Streams.below compares integers instead of making floats: it must agree exactly, also at
    chances that are exactly a possible uniform and one step either side of one."""
    s = Streams(streams.batch_seed(11, 0))
    ids = np.arange(200_000, dtype=np.int64)
    u = s.uniform("activity:x", 4, ids)
    exact = [float(v) for v in u[:50]]  # chances equal to drawn numbers
    nudged = [float(np.nextafter(v, side)) for v in exact[:20] for side in (0.0, 1.0)]
    chances = [0.0, -0.5, 1.0, 1.5, float("nan"), 2**-53, 1 - 2**-53, 0.001, 0.3, 0.5, 0.999]
    for p in chances + exact + nudged + [np.float64(0.25)]:
        assert np.array_equal(s.below("activity:x", 4, ids, p), u < p), p
    assert s.below("activity:x", 4, ids[:0], 0.5).shape == (0,)


def test_numbers_drawn_for_many_days_at_once_are_each_days_own():
    """The engine draws an activity's numbers for a block of days in one pass (Streams.days):
    every row must be exactly the day's uniform and below, for any positions and chance."""
    s = Streams(streams.batch_seed(5, 2))
    ids = np.array([0, 3, 17, 4096 * 7 + 2, 2**40 + 1, 99_999], dtype=np.int64)
    block = s.days("partner:x", 30, 9, ids)
    assert not block.covers(29) and block.covers(30) and block.covers(38) and not block.covers(39)
    at = np.array([5, 0, 3])
    for day in range(30, 39):
        u = s.uniform("partner:x", day, ids)
        assert np.array_equal(block.uniform_pairs(np.full(at.size, day - 30), at), u[at])
        for p in (0.0, -1.0, 2**-53, 0.3, float(u[2]), 1 - 2**-53, 1.0):
            assert np.array_equal(block.below(day, p), u < p), (day, p)
            assert np.array_equal(block.below(day, p, at), u[at] < p), (day, p)
            assert np.array_equal(block.below_all(p)[day - 30], u < p), (day, p)


def test_numbers_drawn_for_pairs_of_days_and_ids_are_each_days_own():
    """Occurrences drawn ahead take one number per (day, id) pair in one pass
    (Streams.uniform_paired, below_paired): each must be exactly the one its day draws for its id,
    however many ids (a few are mixed in Python on their day) and whatever the chance."""
    s = Streams(streams.batch_seed(8, 1))
    rng = np.random.default_rng(3)
    for size in (0, 1, streams.SMALL_MIX + 1, 500):
        days = np.sort(rng.integers(1, 60, size))
        ids = rng.integers(0, 2**41, size)
        u = s.uniform_paired("observer:x:y", days, ids)
        each = [s.uniform("observer:x:y", int(d), np.array([i]))[0] for d, i in zip(days, ids)]
        assert np.array_equal(u, np.array(each, dtype=np.float64))
        for p in (0.0, -1.0, 2**-53, 0.3, 1 - 2**-53, 1.0, float("nan")):
            below = s.below_paired("observer:x:y", days, ids, p)
            assert np.array_equal(below, u < p), (size, p)
