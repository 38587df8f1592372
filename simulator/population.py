"""People as numpy arrays, grouped in households and units, linked by a CSR contact network.

A *batch* stacks several independent replicas of the scenario's town into one population, so
that many small runs are simulated by the same vectorised operations. Replicas never share
households, units or links.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from simulator.scenario.model import Contacts, Group, Mixing, Scenario

# Kinds of link, for stories and reports.
LINK_KINDS = ("family", "neighbour", "acquaintance", "random", "tie", "group")
FAMILY, NEIGHBOUR, ACQUAINTANCE, RANDOM, TIE, GROUP = range(len(LINK_KINDS))
NO_CHANNEL = -1
NO_GROUP = -1


@dataclass
class Population:
    """One batch of replicas: people, households, units, roles and their links."""

    replicas: int
    replica: np.ndarray  # int32[n]: which replica (run within the batch) a person belongs to
    unit: np.ndarray  # int32[n]: unit index, global across the batch
    household: np.ndarray  # int32[n]: household index, global across the batch
    role: np.ndarray  # int8[n]: index into Scenario.role_names
    replica_start: np.ndarray  # int64[replicas + 1]: people of replica r are [start[r], start[r+1])
    unit_start: np.ndarray  # int64[units + 1]
    household_start: np.ndarray  # int64[households + 1]
    indptr: np.ndarray  # int64[n + 1]: CSR row pointers of the contact network
    indices: np.ndarray  # int32[E]: the other end of each link
    edge_channel: np.ndarray  # int8[E]: channel index or NO_CHANNEL
    edge_kind: np.ndarray  # int8[E]: index into LINK_KINDS
    reverse: np.ndarray  # int32[E] (int64 past 2**31 ends): the same link seen from its other end
    edge_group: (
        np.ndarray
    )  # int16[E]: index into Scenario.groups for links of a group chat, else NO_GROUP
    # int16[E]: the contact rule that made each link (see `link_rules`); its channel is the rule's.
    edge_rule: np.ndarray
    rule_channel: np.ndarray  # int8[rules]: the channel of each rule, as edge_channel has it

    @property
    def size(self) -> int:
        """People in the batch."""
        return int(self.replica.size)

    @property
    def units(self) -> int:
        """Units in the batch."""
        return int(self.unit_start.size - 1)

    def derived(self, key: Hashable, make: Callable[[], np.ndarray]) -> np.ndarray:
        """An array worked out from this population (and what `key` names), made once.

        Engines of several variants share one population (see runner.run_variants_batch) and
        would otherwise work out the same arrays again for each; the array is read-only, so no
        engine can change what another uses. Variants whose towns differ only in the channels of
        their links share these arrays too (`with_channels`): none may depend on the channels
        unless its key names them (`rule_channel`).
        """
        memo: dict[Hashable, np.ndarray] = self.__dict__.setdefault("_derived", {})
        value = memo.get(key)
        if value is None:
            value = memo[key] = make()
            value.setflags(write=False)
        return value

    def edge_source(self) -> np.ndarray:
        """The person each link position belongs to (int32[E], read-only)."""
        return self.derived(
            "edge_source",
            lambda: np.repeat(np.arange(self.size, dtype=np.int32), np.diff(self.indptr)),
        )

    def edge_role(self) -> np.ndarray:
        """The role of the person at the other end of each link position (read-only)."""
        return self.derived("edge_role", lambda: self.role[self.indices])


def row_positions(indptr: np.ndarray, people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The link positions of `people`'s rows of a CSR network, row after row, and each row's
    length (so that `np.repeat(people, lengths)` names the owner of each position)."""
    start = indptr[people].astype(np.int64)
    degree = indptr[people + 1].astype(np.int64) - start
    # A row's k-th position is its start plus k: the rows' starts less where each row begins
    # in the list, repeated along the row, plus the position in the list.
    positions = np.repeat(start - (np.cumsum(degree) - degree), degree)
    positions += np.arange(positions.size)
    return positions, degree


def _stochastic_round(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """Round each value up with probability equal to its fractional part (unbiased)."""
    base = np.floor(x)
    return (base + (rng.random(x.shape) < (x - base))).astype(np.int64)


def build(scenario: Scenario, replicas: int, rng: np.random.Generator) -> Population:
    """Build `replicas` independent copies of the scenario's population and network."""
    pop = scenario.population
    n_units = pop.units * replicas
    hh_lo, hh_hi = pop.households_per_unit
    sz_lo, sz_hi = pop.household_size
    households_per_unit = rng.integers(hh_lo, hh_hi + 1, size=n_units)
    n_households = int(households_per_unit.sum())
    household_size = rng.integers(sz_lo, sz_hi + 1, size=n_households)
    unit_of_household = np.repeat(np.arange(n_units, dtype=np.int32), households_per_unit)
    household = np.repeat(np.arange(n_households, dtype=np.int32), household_size)
    unit = unit_of_household[household]
    replica = (unit // pop.units).astype(np.int32)
    n = int(household.size)

    household_start = np.zeros(n_households + 1, dtype=np.int64)
    np.cumsum(household_size, out=household_start[1:])
    people_per_unit = np.bincount(unit, minlength=n_units)
    unit_start = np.zeros(n_units + 1, dtype=np.int64)
    np.cumsum(people_per_unit, out=unit_start[1:])
    replica_start = unit_start[:: pop.units].copy()

    role = _assign_roles(scenario, replica_start, n, rng)

    builder = _Links()
    contacts = scenario.contacts
    rules = _RuleNumbers(contacts)
    if contacts.household is not None:
        a, b = _household_pairs(household_start, household_size)
        builder.add(a, b, rules.household, FAMILY)
    if contacts.neighbours is not None:
        a, b = _pairs_within(unit_start, contacts.neighbours, rng)
        builder.add(a, b, rules.neighbours, NEIGHBOUR)
    if contacts.across_units is not None:
        a, b = _pairs_within(replica_start, contacts.across_units, rng)
        # Redraw the far end of links that stayed inside one unit (a few times), drop the rest
        # (self-links among them). Only a redrawn link can be inside its unit again.
        same = np.flatnonzero(unit[a] == unit[b])
        for _ in range(8):
            if same.size == 0:
                break
            r = replica[a[same]]
            size = replica_start[r + 1] - replica_start[r]
            b[same] = replica_start[r] + (rng.random(same.size) * size).astype(np.int64)
            same = same[unit[a[same]] == unit[b[same]]]
        if same.size:
            a, b = np.delete(a, same), np.delete(b, same)
        builder.add(a, b, rules.across_units, ACQUAINTANCE)
    extra: list[_Part] = []
    if contacts.random is not None:
        extra.append(_random_links(replica_start, contacts.random, rules.random, rng))
    roles = scenario.role_names
    for t, tie in enumerate(contacts.ties):
        a, b = _tie_pairs(
            role, replica_start, roles.index(tie.from_), roles.index(tie.to), tie.each, rng
        )
        builder.add(a, b, rules.tie + t, TIE)
    for g, group in enumerate(scenario.groups.values()):
        a, b = _group_pairs(role, replica_start, roles, group, rng)
        builder.add(a, b, rules.group + g, GROUP, group=g)
    indptr, indices, edge_rule, edge_kind, reverse, edge_group = _merge(
        n, [builder.csr(n, replica_start), *extra]
    )
    rule_channel = rule_channels(scenario)
    return Population(
        replicas=replicas,
        replica=replica,
        unit=unit.astype(np.int32),
        household=household,
        role=role,
        replica_start=replica_start,
        unit_start=unit_start,
        household_start=household_start,
        indptr=indptr,
        indices=indices,
        edge_channel=rule_channel[edge_rule],
        edge_kind=edge_kind,
        reverse=reverse,
        edge_group=edge_group,
        edge_rule=edge_rule,
        rule_channel=rule_channel,
    )


class _RuleNumbers:
    """The number of each contact rule in `link_rules`' order: household, neighbours, across
    units, random, then each tie and each group."""

    household, neighbours, across_units, random, tie = range(5)

    def __init__(self, contacts: Contacts):
        self.group = self.tie + len(contacts.ties)


def link_rules(scenario: Scenario) -> list[str | None]:
    """The channel (a name, or None) of every rule that makes links, numbered as `edge_rule` is.

    A link's channel is a label: which people are linked never depends on it, so towns that
    differ only in channels are one town with its links relabelled (`with_channels`).
    """
    contacts = scenario.contacts
    mixing = [contacts.household, contacts.neighbours, contacts.across_units, contacts.random]
    return [
        *(m.channel if m is not None else None for m in mixing),
        *(tie.channel for tie in contacts.ties),
        *(group.channel for group in scenario.groups.values()),
    ]


def rule_channels(scenario: Scenario) -> np.ndarray:
    """The channel index of every rule that makes links (int8, NO_CHANNEL for none)."""
    channels = list(scenario.channels)
    return np.array(
        [channels.index(c) if c is not None else NO_CHANNEL for c in link_rules(scenario)],
        dtype=np.int8,
    )


def with_channels(pop: Population, scenario: Scenario) -> Population:
    """The town with its links on the channels the scenario gives them (itself if they match).

    The copy shares everything else, the arrays worked out from the town included.
    """
    table = rule_channels(scenario)
    if np.array_equal(table, pop.rule_channel):
        return pop
    relabelled = dataclasses.replace(pop, edge_channel=table[pop.edge_rule], rule_channel=table)
    relabelled.edge_channel.setflags(write=False)
    relabelled.__dict__["_derived"] = pop.__dict__.setdefault("_derived", {})
    return relabelled


def _assign_roles(
    scenario: Scenario, replica_start: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Place each role's count on distinct random people of each replica; the rest are residents."""
    names = scenario.role_names
    role = np.full(n, names.index("resident"), dtype=np.int8)
    counts = [
        (i, spec.count) for i, spec in enumerate(scenario.population.roles.values()) if spec.count
    ]
    wanted = sum(c for _, c in counts)
    if not wanted:
        return role
    labels = np.concatenate([np.full(c, i, dtype=np.int8) for i, c in counts])
    for r in range(replica_start.size - 1):
        start, stop = int(replica_start[r]), int(replica_start[r + 1])
        chosen = rng.choice(stop - start, size=wanted, replace=False) + start
        role[chosen] = labels
    return role


def _household_pairs(
    household_start: np.ndarray, household_size: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of people sharing a household, household by household (so replica by replica).

    A household's pairs come as np.triu_indices lists them for its size: one table holds the
    list of every size there is, and each pair is looked up by its place in that table.
    """
    sizes = household_size.astype(np.int32)
    pairs = sizes * (sizes - 1) // 2
    total = int(pairs.sum())
    if not total:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    # The table is no longer than the pairs: each size in it has a household of its own.
    index = position_type(total)
    present = np.flatnonzero(np.bincount(sizes) * (np.arange(int(sizes.max()) + 1) > 1))
    lists = [np.triu_indices(int(size), 1) for size in present]
    table_i = np.concatenate([i for i, _ in lists]).astype(np.int32)
    table_j = np.concatenate([j for _, j in lists]).astype(np.int32)
    lengths = np.array([i.size for i, _ in lists], dtype=index)
    list_start = np.zeros(int(sizes.max()) + 1, dtype=index)
    list_start[present] = np.cumsum(lengths) - lengths
    # Each pair's place in the table: its size's list, then its rank within its household.
    place = np.repeat(list_start[sizes] - (np.cumsum(pairs, dtype=index) - pairs), pairs)
    place += np.arange(total, dtype=index)
    first = np.repeat(household_start[:-1].astype(np.int32), pairs)
    a = table_i[place]
    a += first
    b = table_j[place]
    b += first
    return a, b


def _pairs_within(
    group_start: np.ndarray, mixing: Mixing, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random links inside each group (unit or replica) giving the mean degree; no self-links."""
    sizes = np.diff(group_start)
    links = _stochastic_round(rng, sizes * mixing.mean_degree / 2.0)
    links[sizes < 2] = 0
    total = int(links.sum())
    # People are numbered in 32 bits; a group's size as a float is what multiplies a draw.
    start = np.repeat(group_start[:-1].astype(np.int32), links)
    size = np.repeat(sizes.astype(np.float64), links)
    a = _below(rng.random(total), size, start)
    b = _below(rng.random(total), size, start)
    # Redraw self-links once, then drop the few that remain.
    same = np.flatnonzero(a == b)
    b[same] = _below(rng.random(same.size), size[same], start[same])
    keep = a != b
    return a[keep], b[keep]


def _below(draws: np.ndarray, size: np.ndarray, start: np.ndarray) -> np.ndarray:
    """start + floor(draw * size) for uniform draws in [0, 1), in 32 bits; `draws` is reused."""
    draws *= size
    out = draws.astype(np.int32)
    out += start
    return out


def _tie_pairs(
    role: np.ndarray,
    replica_start: np.ndarray,
    src_role: int,
    dst_role: int,
    each: int | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Links from every person of one role to `each` (or all) people of another, per replica."""
    all_sources = np.flatnonzero(role == src_role)
    all_targets = np.flatnonzero(role == dst_role)
    source_start = np.searchsorted(all_sources, replica_start)
    target_start = np.searchsorted(all_targets, replica_start)
    out_a, out_b = [], []
    for r in range(replica_start.size - 1):
        sources = all_sources[source_start[r] : source_start[r + 1]]
        targets = all_targets[target_start[r] : target_start[r + 1]]
        if not sources.size or not targets.size:
            continue
        if each is None:
            a = np.repeat(sources, targets.size)
            b = np.tile(targets, sources.size)
        else:
            k = min(each, targets.size)
            picks = np.argsort(rng.random((sources.size, targets.size)), axis=1)[:, :k]
            a = np.repeat(sources, k)
            b = targets[picks].ravel()
        keep = a != b
        out_a.append(a[keep])
        out_b.append(b[keep])
    if not out_a:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out_a), np.concatenate(out_b)


def _group_pairs(
    role: np.ndarray,
    replica_start: np.ndarray,
    roles: list[str],
    group: Group,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of people who share a chat of the group, once per pair, per replica.

    Without `cell_size` the group is one chat. With it, the members are shuffled and split into
    chats of at most `cell_size` members each, and the admins join every chat.
    """
    admins_all = _people_of(role, [roles.index(r) for r in group.admins], len(roles))
    members_all = _people_of(role, [roles.index(r) for r in group.members], len(roles))
    admin_start = np.searchsorted(admins_all, replica_start)
    member_start = np.searchsorted(members_all, replica_start)
    # Nobody is both admin and member (one role each, no role both): a single chat's pairs, as
    # np.triu_indices lists them, are then sorted and distinct already.
    distinct = not set(group.admins) & set(group.members)
    triu: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    out_a, out_b = [], []
    for r in range(replica_start.size - 1):
        stop = int(replica_start[r + 1])
        admins = admins_all[admin_start[r] : admin_start[r + 1]]
        members = members_all[member_start[r] : member_start[r + 1]]
        if group.cell_size is None or members.size <= group.cell_size:
            cells = [members]
        else:
            members = members[rng.permutation(members.size)]
            cells = np.array_split(members, -(-members.size // group.cell_size))
        chats = []
        for cell in cells:
            chat = np.sort(np.concatenate([admins, cell]))
            if chat.size not in triu:
                triu[chat.size] = np.triu_indices(chat.size, 1)
            i, j = triu[chat.size]
            chats.append((chat[i], chat[j]))
        if distinct and len(chats) == 1:
            out_a.append(chats[0][0])
            out_b.append(chats[0][1])
            continue
        # Admins share every chat: keep one link per pair.
        pairs = np.unique(np.concatenate([a * stop + b for a, b in chats]))
        out_a.append(pairs // stop)
        out_b.append(pairs % stop)
    if not out_a:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out_a), np.concatenate(out_b)


def _people_of(role: np.ndarray, wanted: list[int], roles: int) -> np.ndarray:
    """The people (in order) whose role is among `wanted`."""
    table = np.zeros(roles, dtype=bool)
    table[wanted] = True
    return np.flatnonzero(table[role])


class _Links:
    """Collects undirected links, each rule's replica by replica, and turns them into CSR."""

    def __init__(self) -> None:
        # Per rule: its links' first and second ends, then its rule, kind and group numbers.
        self.parts: list[tuple[np.ndarray, np.ndarray, int, int, int]] = []

    def add(
        self, a: np.ndarray, b: np.ndarray, rule: int, kind: int, group: int = NO_GROUP
    ) -> None:
        """Links from `a` to `b`; their replicas must not decrease along the list."""
        self.parts.append(
            (a.astype(np.int32, copy=False), b.astype(np.int32, copy=False), rule, kind, group)
        )

    def csr(self, n: int, replica_start: np.ndarray) -> _Part:
        """The collected links as CSR: each person's links as first ends in the order they were
        added, then as second ends in that order.

        Links never leave their replica, so the network is built a few replicas at a time: a
        block's arrays stay in the processor's cache, and its link ends, numbered in 16 bits,
        are put in that order by one radix sort.
        """
        parts = self.parts
        # Where each replica's links start in each rule's list (a binary search needs only that
        # the replicas along a list do not decrease, not that the list is sorted).
        bounds = [np.searchsorted(a, replica_start.astype(np.int32)) for a, *_ in parts]
        links = sum((np.diff(b) for b in bounds), np.zeros(replica_start.size - 1, np.int64))
        end_start = np.zeros(links.size + 1, dtype=np.int64)
        np.cumsum(2 * links, out=end_start[1:])
        total = int(end_start[-1])
        indices = np.empty(total, dtype=np.int32)
        rule = np.empty(total, dtype=np.int16)
        kind = np.empty(total, dtype=np.int8)
        group = np.empty(total, dtype=np.int16)
        reverse = np.empty(total, dtype=position_type(total))
        counts = np.zeros(n, dtype=np.int64)
        part_rule = np.array([p[2] for p in parts], dtype=np.int16)
        part_kind = np.array([p[3] for p in parts], dtype=np.int8)
        part_group = np.array([p[4] for p in parts], dtype=np.int16)
        for r0, r1 in _blocks(replica_start, end_start):
            e0, e1 = int(end_start[r0]), int(end_start[r1])
            if e0 == e1:
                continue
            p0, p1 = int(replica_start[r0]), int(replica_start[r1])
            # The block's link ends, each link's two side by side (so a link end's twin is the
            # one at its position xor 1), rule after rule.
            ends = np.empty(e1 - e0, dtype=np.int32)
            sizes = []
            at = 0
            for (a, b, *_), bound in zip(parts, bounds):
                lo, hi = int(bound[r0]), int(bound[r1])
                ends[at : at + 2 * (hi - lo) : 2] = a[lo:hi]
                ends[at + 1 : at + 2 * (hi - lo) : 2] = b[lo:hi]
                sizes.append(2 * (hi - lo))
                at += 2 * (hi - lo)
            # Sorted by person, first ends before second ends, each stably.
            local = np.subtract(ends, p0, dtype=position_type(2 * (p1 - p0)))
            counts[p0:p1] = np.bincount(local, minlength=p1 - p0)
            local <<= 1
            local[1::2] |= 1
            order = order_by(local, 2 * (p1 - p0))
            twin = order ^ 1
            # Gathers into slices: mode="clip" spares numpy a buffered copy (indices are valid).
            np.take(ends, twin, out=indices[e0:e1], mode="clip")
            np.take(np.repeat(part_rule, sizes), order, out=rule[e0:e1], mode="clip")
            np.take(np.repeat(part_kind, sizes), order, out=kind[e0:e1], mode="clip")
            np.take(np.repeat(part_group, sizes), order, out=group[e0:e1], mode="clip")
            position = np.empty(e1 - e0, dtype=reverse.dtype)
            position[order] = np.arange(e0, e1, dtype=reverse.dtype)
            np.take(position, twin, out=reverse[e0:e1], mode="clip")
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return indptr, indices, rule, kind, reverse, group


# Link ends built at a time: a block's sort, scatters and gathers stay in a core's cache.
_BLOCK_ENDS = 1 << 16


def _blocks(replica_start: np.ndarray, end_start: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive runs of replicas, [r0, r1), of at most _BLOCK_ENDS link ends and 2**15 people
    each (a bigger replica is a block of its own): the people's link ends, numbered twice
    over (first and second ends), fit in 16 bits."""
    replicas = replica_start.size - 1
    blocks = []
    r0 = 0
    while r0 < replicas:
        by_ends = np.searchsorted(end_start, end_start[r0] + _BLOCK_ENDS, side="right") - 1
        by_people = np.searchsorted(replica_start, replica_start[r0] + (1 << 15), side="right") - 1
        r1 = max(r0 + 1, min(int(by_ends), int(by_people)))
        blocks.append((r0, r1))
        r0 = r1
    return blocks


def position_type(ends: int) -> type[np.signedinteger]:
    """The integer type of link positions in a network of `ends` link ends: 32 bits while they
    fit (over 200 million people at eight links each), which halves the network's memory."""
    return np.int32 if ends < 2**31 else np.int64


def order_by(keys: np.ndarray, n: int) -> np.ndarray:
    """A stable order of `keys` (values below n) in linear time: radix passes on 16-bit digits.

    numpy sorts 16-bit integers with a radix sort, so one pass (n <= 65536) or two passes
    (least significant digit first) replace an O(E log E) comparison sort.
    """
    if n <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    low = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    high = np.argsort((keys[low] >> 16).astype(np.uint16), kind="stable")
    return low[high]


# A CSR network part: (indptr, indices, rule, kind, reverse, group), one entry per link end.
_Part = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _random_links(
    replica_start: np.ndarray, mixing: Mixing, rule: int, rng: np.random.Generator
) -> _Part:
    """A random graph of the given mean degree in each replica, built straight into CSR form.

    Every person gets a Poisson number of link ends ("stubs"), listed person by person, and a
    random permutation pairs the stubs of each replica: the network comes out grouped by person
    with no sorting, in time linear in its size. Self-links are dropped; the degree distribution
    is Poisson, as for an Erdős–Rényi graph.
    """
    n = int(replica_start[-1])
    degree = rng.poisson(mixing.mean_degree, n).astype(np.int64)
    # Each replica needs an even number of stubs: give one more to a random person where odd.
    sizes = np.diff(replica_start)
    for r in np.flatnonzero(sizes > 0):
        start, stop = int(replica_start[r]), int(replica_start[r + 1])
        if int(degree[start:stop].sum()) % 2:
            degree[start + int(rng.integers(stop - start))] += 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    # Stub positions fit in 32 bits up to 2**31 link ends (a town of over 200 million people at
    # mean degree 8); narrower arrays halve the memory of every pass below.
    index = position_type(int(indptr[-1]))
    owner = np.repeat(np.arange(n, dtype=np.int32), degree)
    # Each link end as one item: its position, then its owner. Shuffling the items shuffles
    # both, so a link end's mate comes with the mate's owner and nobody is looked up afterwards
    # (a lookup of a random place in a large town misses the processor's caches). Items of
    # eight bytes (32-bit positions) are also what numpy's shuffle moves fastest: at 80 million
    # link ends, 3.4 s against 4.8 s for 4-byte items.
    ends = np.empty((owner.size, 2), dtype=index)
    for part in _slices(owner.size):  # no whole-town temporary: fresh memory is slow to touch
        ends[part, 0] = np.arange(part.start, part.stop, dtype=index)
    ends[:, 1] = owner
    item = ends.view(np.dtype((np.void, ends.strides[0]))).reshape(owner.size)
    stub_start = indptr[replica_start]
    for k in range(sizes.size):
        # rng.permutation(k) shuffles np.arange(k): the same draws shuffle each replica's items
        # into the same order (each replica's link ends stay within it).
        rng.shuffle(item[int(stub_start[k]) : int(stub_start[k + 1])])
    # Pairs of items next to each other: every replica has an even number of link ends, so
    # pairs never straddle two. Each link end gets its mate's item, a slice at a time (an index
    # array is widened to 64 bits for a scatter, and slices keep those copies small).
    linked = np.empty_like(item)
    for part in _slices(item.size // 2):
        lo, hi = 2 * part.start, 2 * part.stop
        linked[ends[lo:hi:2, 0]] = item[lo + 1 : hi : 2]
        linked[ends[lo + 1 : hi : 2, 0]] = item[lo:hi:2]
    del ends, item
    mated = linked.view(index).reshape(owner.size, 2)
    mate, indices = mated[:, 0], mated[:, 1]
    # Self-links are few (about half the mean degree in each replica): drop them where they
    # are, and shift the positions after each (see `_close_up`).
    keep = indices != owner
    del owner
    dropped = np.flatnonzero(~keep)
    if dropped.size:
        # In place, and before the copies that drop stubs, so no more memory is held at once
        # than those copies need.
        _close_up(mate, keep, dropped)
        indices = indices[keep]
        mate = mate[keep]
        lost = np.bincount(np.searchsorted(indptr, dropped, side="right") - 1, minlength=n)
        indptr[1:] -= np.cumsum(lost)
    del keep
    # Copies where nothing was dropped: positions and owners are no longer side by side.
    indices = np.ascontiguousarray(indices, dtype=np.int32)
    reverse = np.ascontiguousarray(mate)
    del linked, mated
    size = indices.size
    return (
        indptr,
        indices,
        np.full(size, rule, np.int16),
        np.full(size, RANDOM, np.int8),
        reverse,
        np.full(size, NO_GROUP, np.int16),
    )


# Up to this many dropped link ends, positions are closed up by one pass per dropped end rather
# than looked up in a table of new positions (see `_close_up`).
FEW_DROPPED = 16


def _close_up(mate: np.ndarray, keep: np.ndarray, dropped: np.ndarray) -> None:
    """Renumber the positions in `mate` (of kept link ends) as if the `dropped` ends were gone.

    A kept position moves down by the number of dropped ones before it. With few dropped (a
    large replica has about as many as its mean degree), one comparison per dropped end and
    position, a cache-sized slice at a time, is several times quicker than reading each
    position's new place from a table: `mate` points all over the network, so every read of
    such a table at ten million people misses the processor's caches.
    """
    if dropped.size <= FEW_DROPPED:
        marks = dropped.astype(mate.dtype)
        for part in _slices(mate.size, 1 << 16):
            old = mate[part]
            new = old.copy()
            for mark in marks:
                new -= old > mark
            mate[part] = new
        return
    moved = keep.astype(mate.dtype)
    np.cumsum(moved, out=moved)
    moved -= 1
    for part in _slices(mate.size):
        mate[part] = moved[mate[part]]


def _slices(size: int, step: int = 1 << 20) -> list[slice]:
    """Consecutive slices of at most `step` items covering `size` items."""
    return [slice(start, min(start + step, size)) for start in range(0, size, step)]


def _merge(n: int, parts: list[_Part]) -> _Part:
    """Join CSR parts person by person, in linear time: each person's links, part after part."""
    parts = [part for part in parts if part[1].size] or parts[:1]
    if len(parts) == 1:
        return parts[0]
    degrees = [np.diff(part[0]) for part in parts]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.sum(degrees, axis=0), out=indptr[1:])
    total = int(indptr[-1])
    indices = np.empty(total, dtype=np.int32)
    rule = np.empty(total, dtype=np.int16)
    kind = np.empty(total, dtype=np.int8)
    reverse = np.empty(total, dtype=position_type(total))
    group = np.empty(total, dtype=np.int16)
    before = np.zeros(n, dtype=np.int64)  # link ends of earlier parts, per person
    for (p_indptr, p_indices, p_rule, p_kind, p_reverse, p_group), degree in zip(parts, degrees):
        owner = np.repeat(np.arange(n, dtype=np.int64), degree)
        position = indptr[owner] + before[owner] + (np.arange(owner.size) - p_indptr[owner])
        indices[position] = p_indices
        rule[position] = p_rule
        kind[position] = p_kind
        reverse[position] = position[p_reverse]
        group[position] = p_group
        before += degree
    return indptr, indices, rule, kind, reverse, group
