"""The population and contact network: structure, sizes, symmetry, determinism."""

from __future__ import annotations

import numpy as np

from simulator.population import FAMILY, RANDOM, TIE, build
from simulator.scenario import load
from simulator.scenario.model import rescaled_units


def _scenario(scenario_file, changes):
    return load(str(scenario_file(changes))).scenario


def test_units_households_and_roles(scenario_file):
    s = _scenario(
        scenario_file,
        {
            "population": {
                "units": 5,
                "households_per_unit": [20, 30],
                "household_size": [2, 5],
                "roles": {"trader": 3, "host": {"count": 2, "label": "host"}},
            }
        },
    )
    pop = build(s, 4, np.random.default_rng(1))
    assert pop.replicas == 4 and pop.units == 20
    per_unit_households = np.array(
        [np.unique(pop.household[pop.unit == u]).size for u in range(20)]
    )
    assert per_unit_households.min() >= 20 and per_unit_households.max() <= 30
    sizes = np.bincount(pop.household)
    assert sizes.min() >= 2 and sizes.max() <= 5
    for r in range(4):
        roles = pop.role[pop.replica == r]
        assert (roles == s.role_names.index("trader")).sum() == 3
        assert (roles == s.role_names.index("host")).sum() == 2
    # Units and replicas are contiguous blocks of people.
    assert (np.diff(pop.unit) >= 0).all() and (np.diff(pop.replica) >= 0).all()


def _edges(pop):
    src = pop.edge_source()
    return src, pop.indices


def test_network_is_symmetric_and_reverse_is_consistent(scenario_file):
    s = _scenario(
        scenario_file,
        {
            "population": {
                "units": 4,
                "households_per_unit": 10,
                "household_size": 3,
                "roles": {"hub": 1, "leaf": 5},
            },
            "channels": {"phone": {"kind": "plaintext"}},
            "contacts": {
                "household": {},
                "neighbours": {"mean_degree": 2},
                "across_units": {"mean_degree": 1},
                "random": {"mean_degree": 3, "channel": "phone"},
                "ties": [{"from": "hub", "to": "leaf", "channel": "phone"}],
            },
        },
    )
    pop = build(s, 3, np.random.default_rng(2))
    src, dst = _edges(pop)
    assert (src != dst).all(), "no self-links"
    assert (pop.replica[src] == pop.replica[dst]).all(), "replicas never share links"
    rev = pop.reverse
    assert (
        (src[rev] == dst).all()
        and (dst[rev] == src).all()
        and (rev[rev] == np.arange(rev.size)).all()
    )
    assert (pop.edge_channel[rev] == pop.edge_channel).all() and (
        pop.edge_kind[rev] == pop.edge_kind
    ).all()
    family = pop.edge_kind == FAMILY
    assert (pop.household[src[family]] == pop.household[dst[family]]).all()
    # Households of 3: every person has exactly 2 family links.
    assert (np.bincount(src[family], minlength=pop.size) == 2).all()
    ties = pop.edge_kind == TIE
    hub = s.role_names.index("hub")
    assert (ties & (pop.role[src] == hub)).sum() == 3 * 5, (
        "each replica's hub is tied to its 5 leaves"
    )


def test_random_graph_has_the_mean_degree(scenario_file):
    s = _scenario(
        scenario_file,
        {
            "population": {"units": 100, "households_per_unit": 100},
            "contacts": {"random": {"mean_degree": 8}},
        },
    )
    pop = build(s, 1, np.random.default_rng(3))
    degree = np.diff(pop.indptr)
    # 10,000 people: the mean of ~Poisson(8) degrees has sd ~0.03; allow 0.15.
    assert abs(degree.mean() - 8) < 0.15
    assert abs(degree.var() - 8) < 0.8
    assert (pop.edge_kind == RANDOM).all()


def test_same_seed_same_population(scenario_file):
    s = _scenario(
        scenario_file,
        {
            "population": {"units": 3, "households_per_unit": [5, 9], "household_size": [1, 4]},
            "contacts": {"household": {}, "random": {"mean_degree": 2}},
        },
    )
    a = build(s, 2, np.random.default_rng(9))
    b = build(s, 2, np.random.default_rng(9))
    for field in ("household", "unit", "role", "indptr", "indices", "edge_channel", "reverse"):
        assert np.array_equal(getattr(a, field), getattr(b, field))


def test_rescaling_units():
    s = load("reference-cascade").scenario
    assert rescaled_units(s, 1_000_000) == 10_000
    assert rescaled_units(s, 10) == 1


def test_a_town_differing_only_in_channels_is_one_build_relabelled():
    """Variants that move contacts to other channels share one build (runner, exercise, teams):
    the shared town relabelled must equal the town each would build itself, array for array,
    and variants that move people or links must not share it."""
    from simulator.population import with_channels
    from simulator.runner import population_key
    from simulator.scenario import variant

    loaded = load("tehran-protest")
    moved = variant(loaded, countermeasures=["messenger_not_calls"]).scenario
    base = loaded.scenario
    assert population_key(moved) == population_key(base)
    assert moved.contacts.ties[0].channel != base.contacts.ties[0].channel
    town = build(base, 3, np.random.default_rng(7))
    own = build(moved, 3, np.random.default_rng(7))
    relabelled = with_channels(town, moved)
    assert not np.array_equal(own.edge_channel, town.edge_channel)
    for name, value in vars(own).items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(getattr(relabelled, name), value), name
    assert with_channels(town, base) is town
    assert relabelled.edge_source() is town.edge_source()  # worked-out arrays are shared
    bigger = variant(loaded, parameters={"population.units": 3}).scenario
    assert population_key(bigger) != population_key(base)


def test_activity_plans_worked_out_once_per_town_fit_each_variant():
    """An activity's partner links are worked out once per town and kept with it, named by what
    they depend on (the channels the variant gives each contact rule among them): engines of
    channel-only variants on one shared town, in either order, must run exactly as on towns of
    their own, each with the links of its own labels (grid-checkpoint's friends written to on
    the listed apps: none once those apps are removed)."""
    from simulator.engine import Engine
    from simulator.population import with_channels
    from simulator.scenario import variant
    from simulator.streams import Streams, batch_seed

    loaded = load("grid-checkpoint")
    base = loaded.scenario
    moved = variant(loaded, countermeasures=["remove_apps"]).scenario
    writes = list(base.activities).index("write_friend")
    apart = {}
    for s in (base, moved):
        apart[id(s)] = engine = Engine(s, 20, Streams(batch_seed(2, 0)))
        engine.run()
    links = [apart[id(s)].activities[writes].partner_edges.size for s in (base, moved)]
    assert links[0] > links[1]
    for order in ((base, moved), (moved, base)):
        town = build(base, 20, Streams(batch_seed(2, 0))("population"))
        for s in order:
            mine = Engine(s, 20, Streams(batch_seed(2, 0)), population=with_channels(town, s))
            own = apart[id(s)]
            assert np.array_equal(
                mine.activities[writes].partner_edges, own.activities[writes].partner_edges
            )
            mine.run()
            assert np.array_equal(mine.exposed_day, own.exposed_day)
            assert np.array_equal(mine.suspicion, own.suspicion)


def test_a_random_town_is_the_town_it_always_was():
    """The random town is built in 32-bit positions, a million link ends at a time, with its
    self-links dropped in place: pinned to the bytes of the plain 64-bit build it replaced."""
    import hashlib

    digest = hashlib.sha256()
    for name, people, replicas in (("reference-cascade", 3000, 3), ("city", 2000, 2)):
        pop = build(load(name, people=people).scenario, replicas, np.random.default_rng(11))
        for a in (pop.indptr, pop.indices, pop.reverse, pop.edge_channel, pop.edge_kind):
            digest.update(np.ascontiguousarray(a).astype(np.int64).tobytes())
    assert digest.hexdigest() == "d4f3f8183187c089ee466b7ba8cd7b73934d49f7f93a7a015cd5982b13239f4f"


def test_a_town_is_the_town_it_always_was(scenario_file):
    """Families, neighbours, acquaintances, ties, chats and a random graph, in replicas that are
    built in several blocks and in one replica of over 2**15 people: pinned to the bytes of the
    build that sorted every link end of the batch at once."""
    import hashlib

    town = {
        "population": {
            "households_per_unit": [20, 30],
            "household_size": [1, 5],
            "roles": {"hub": 1, "leaf": 6, "member": 9},
        },
        "channels": {"phone": {"kind": "plaintext"}},
        "contacts": {
            "household": {},
            "neighbours": {"mean_degree": 3},
            "across_units": {"mean_degree": 2},
            "random": {"mean_degree": 2, "channel": "phone"},
            "ties": [
                {"from": "hub", "to": "leaf", "channel": "phone"},
                {"from": "leaf", "to": "leaf", "channel": "phone", "each": 2},
            ],
        },
        "groups": {
            "cells": {"channel": "phone", "admins": ["hub"], "members": ["member"], "cell_size": 4},
            "circle": {"channel": "phone", "admins": ["hub"], "members": ["leaf"]},
        },
    }
    digest = hashlib.sha256()
    for units, replicas in ((20, 7), (600, 1)):
        town["population"]["units"] = units
        pop = build(_scenario(scenario_file, town), replicas, np.random.default_rng(5))
        for name, value in sorted(vars(pop).items()):
            if isinstance(value, np.ndarray):
                digest.update(name.encode() + value.dtype.str.encode())
                digest.update(np.ascontiguousarray(value).tobytes())
    assert digest.hexdigest() == "6dae8de75ba15740703ac6f17cc4e846ce92f8a1bd42e13179dd30a989da651a"


def test_closing_up_few_or_many_dropped_link_ends_gives_the_same_positions(monkeypatch):
    """Positions after dropped link ends move down by the number dropped before them, whether
    worked out one dropped end at a time (few) or from a table of new places (many)."""
    from simulator import population

    rng = np.random.default_rng(5)
    size = 200_003  # more than one slice of either way
    for count in (1, 7, population.FEW_DROPPED, population.FEW_DROPPED + 1, 300):
        dropped = np.sort(rng.choice(size, count, replace=False))
        keep = np.ones(size, dtype=bool)
        keep[dropped] = False
        mate = rng.permutation(size).astype(np.int32)
        expected = mate - np.searchsorted(dropped, mate)  # kept ends only, below
        for few in (0, 10**6):  # every way forced: the table, then one pass per dropped end
            monkeypatch.setattr(population, "FEW_DROPPED", few)
            got = mate.copy()
            population._close_up(got, keep, dropped)
            assert got.dtype == np.int32
            kept = keep[mate]
            assert np.array_equal(got[kept], expected[kept])


def test_a_random_town_in_64_bit_positions_is_the_town_in_32_bit_ones(monkeypatch):
    """Towns of over 2**31 link ends number them in 64 bits: the same draws give the same
    network, including replicas of one person, an odd stub count and no links at all."""
    from types import SimpleNamespace

    from simulator import population

    for mean_degree in (0.0, 0.3, 8.0):
        mixing = SimpleNamespace(mean_degree=mean_degree)
        for starts in ([0, 1], [0, 5, 5, 12], [0, 3000, 6001]):
            replica_start = np.array(starts)
            narrow = population._random_links(replica_start, mixing, 1, np.random.default_rng(4))
            with monkeypatch.context() as patch:
                patch.setattr(population, "position_type", lambda ends: np.int64)
                wide = population._random_links(replica_start, mixing, 1, np.random.default_rng(4))
            assert narrow[4].dtype == np.int32 and wide[4].dtype == np.int64
            for a, b in zip(narrow, wide):
                assert np.array_equal(a, b) and a.flags.c_contiguous and b.flags.c_contiguous
            indices, reverse = narrow[1], narrow[4]
            assert indices.dtype == np.int32
            assert np.array_equal(reverse[reverse], np.arange(reverse.size))
            owner = np.repeat(np.arange(starts[-1]), np.diff(narrow[0]))
            assert np.array_equal(indices[reverse], owner)  # a link's far end is its mate's owner
            assert not (indices == owner).any()  # no self-links


def test_row_positions_list_each_persons_links_in_the_order_asked():
    """Sorted people or not, repeated or absent, rows empty or long: each row's positions in
    order, row after row, with each row's length."""
    from simulator.population import row_positions

    rng = np.random.default_rng(1)
    for i in range(500):
        n = int(rng.integers(1, 120))
        degree = rng.poisson(float(rng.choice([0.2, 3.0, 8.0])), n)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(degree, out=indptr[1:])
        if i % 2:
            people = np.sort(rng.choice(n, int(rng.integers(0, n + 1)), replace=False))
        else:
            people = rng.integers(0, n, int(rng.integers(0, 40)))
        positions, lengths = row_positions(indptr, people)
        rows = [np.arange(indptr[p], indptr[p + 1]) for p in people]
        assert np.array_equal(positions, np.concatenate([np.zeros(0, np.int64), *rows]))
        assert np.array_equal(lengths, degree[people])
