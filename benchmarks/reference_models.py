"""Independent implementations of the reference cascade, for side-by-side timing.

The reference model (DESIGN section 6): N people linked at random with mean degree 8; every
unexposed person is noticed with daily probability 0.002; an exposed person's phone reveals each
contact with probability 0.3 and a revealed person is exposed the next day; 365 days. Its exposed
fraction approaches 0.9508 for large N.

    python3 benchmarks/reference_models.py mesa --people 10000 --seed 1
    python3 benchmarks/reference_models.py eon --people 10000 --seed 1
    python3 benchmarks/reference_models.py numpy --people 1000000 --seed 1
    python3 benchmarks/reference_models.py events --people 1000000 --seed 1

Each prints one JSON line: {"model", "people", "exposed_fraction", "people_days", "simulate_s"}.
Mesa and EoN come with the `bench` extra: python3 -m pip install '.[bench]'.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time

import numpy as np

P_NOTICE = 0.002
P_REVEAL = 0.3
DEGREE = 8
DAYS = 365


def random_pairs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """About n * DEGREE / 2 random links without self-links."""
    m = round(n * DEGREE / 2)
    a = rng.integers(0, n, m)
    b = rng.integers(0, n, m)
    keep = a != b
    return a[keep], b[keep]


def csr(n: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return indptr, dst[order]


def run_numpy(n: int, seed: int) -> float:
    """A plain vectorised day loop over every person, every day."""
    rng = np.random.default_rng(seed)
    indptr, indices = csr(n, *random_pairs(n, rng))
    exposed = np.zeros(n, dtype=bool)
    pending = np.zeros(n, dtype=bool)
    for _ in range(DAYS):
        new = (pending | (rng.random(n) < P_NOTICE)) & ~exposed
        exposed |= new
        people = np.flatnonzero(new)
        starts, stops = indptr[people], indptr[people + 1]
        degree = stops - starts
        edges = np.repeat(starts, degree) + (
            np.arange(degree.sum()) - np.repeat(np.cumsum(degree) - degree, degree)
        )
        revealed = indices[edges[rng.random(edges.size) < P_REVEAL]]
        pending = np.zeros(n, dtype=bool)
        pending[revealed] = True
    return float(exposed.mean())


def run_events(n: int, seed: int) -> float:
    """Event-driven: work in proportion to people, links and exposures, not people x days.

    A person left alone is first noticed on a geometric day (the first of the daily chances
    that comes up); each day visits only the people exposed that day, and draws the reveals of
    their links alone. Days on which nobody is exposed cost nothing but the loop's step.
    """
    rng = np.random.default_rng(seed)
    indptr, indices = csr(n, *random_pairs(n, rng))
    noticed = rng.geometric(P_NOTICE, n)
    order = np.argsort(noticed, kind="stable")
    first = np.searchsorted(noticed[order], np.arange(1, DAYS + 2))
    exposed = np.zeros(n, dtype=bool)
    revealed = np.empty(0, dtype=np.int64)
    for t in range(1, DAYS + 1):
        new = np.concatenate([order[first[t - 1] : first[t]], revealed])
        new = np.unique(new[~exposed[new]])
        exposed[new] = True
        starts = indptr[new]
        degree = indptr[new + 1] - starts
        edges = np.repeat(starts, degree) + (
            np.arange(degree.sum()) - np.repeat(np.cumsum(degree) - degree, degree)
        )
        revealed = indices[edges[rng.random(edges.size) < P_REVEAL]]
    return float(exposed.mean())


def run_mesa(n: int, seed: int) -> float:
    """One Mesa agent per person, stepping every day."""
    import mesa

    rng = np.random.default_rng(seed)
    a, b = random_pairs(n, rng)
    contacts: list[list[int]] = [[] for _ in range(n)]
    for x, y in zip(a.tolist(), b.tolist()):
        contacts[x].append(y)
        contacts[y].append(x)

    class Person(mesa.Agent):
        def __init__(self, model: mesa.Model, index: int):
            super().__init__(model)
            self.index = index
            self.exposed = False
            self.revealed = False
            self.exposed_today = False

        def step(self) -> None:
            self.exposed_today = False
            if self.exposed:
                return
            if self.revealed or self.model.random.random() < P_NOTICE:
                self.exposed = True
                self.exposed_today = True

        def seize(self) -> None:
            if self.exposed_today:
                for other in contacts[self.index]:
                    if self.model.random.random() < P_REVEAL:
                        self.model.people[other].next_revealed = True

    class Town(mesa.Model):
        def __init__(self) -> None:
            super().__init__(seed=seed)
            self.people = [Person(self, i) for i in range(n)]
            for person in self.people:
                person.next_revealed = False

        def step(self) -> None:
            for person in self.people:
                person.revealed, person.next_revealed = person.next_revealed, False
            self.agents.do("step")
            self.agents.do("seize")

    town = Town()
    for _ in range(DAYS):
        town.step()
    return sum(p.exposed for p in town.people) / n


def run_eon(n: int, seed: int) -> float:
    """EoN's event-driven (non-Markovian) SIR with the same per-link chance of passing it on.

    Seeds are everyone noticed at least once in the year (probability 1 - (1 - p)^365); each
    exposed person passes exposure to each contact within one day with probability 0.3. The
    final size is the reference model's.
    """
    import EoN
    import networkx as nx

    rng = np.random.default_rng(seed)
    a, b = random_pairs(n, rng)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(a.tolist(), b.tolist()))
    rho0 = 1 - (1 - P_NOTICE) ** DAYS
    seeds = np.flatnonzero(rng.random(n) < rho0).tolist()
    rate = -math.log(1 - P_REVEAL)
    random.seed(seed)
    _t, _s, i, r = EoN.fast_nonMarkov_SIR(
        graph,
        trans_time_fxn=lambda source, target, rate: random.expovariate(rate),
        trans_time_args=(rate,),
        rec_time_fxn=lambda node: 1.0,
        rec_time_args=(),
        initial_infecteds=seeds,
    )
    return float(r[-1] + i[-1]) / n


MODELS = {"numpy": run_numpy, "events": run_events, "mesa": run_mesa, "eon": run_eon}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    fraction = MODELS[args.model](args.people, args.seed)
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "model": args.model,
                "people": args.people,
                "exposed_fraction": round(fraction, 5),
                "people_days": args.people * DAYS,
                "simulate_s": round(elapsed, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
