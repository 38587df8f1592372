"""Monte Carlo runs in batches: seeding per batch, local processes, Dask and per-run summaries.

The runs are split into batches by `batches(runs, batch_size)` alone, as evenly as they can be,
and batch b always draws from the stream `streams.batch_seed(seed, b)`, so results are the same
bytes whatever the number of workers (and another number of runs is another split).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from simulator.engine import NOT_EXPOSED, Engine, Outcome
from simulator.errors import UsageError
from simulator.i18n import _
from simulator.interrupts import in_worker
from simulator.population import Population, build, with_channels
from simulator.scenario.model import Scenario, expected_people
from simulator.streams import Streams, batch_seed

# About this many people are simulated together in one batch of small runs.
BATCH_PEOPLE = 400000
MAX_BATCH_RUNS = 256
# A Dask scheduler that does not answer within this many seconds is reported, not waited for.
CONNECT_SECONDS = 10
# A batch the cluster has not returned within this many seconds is given up (--batch-timeout):
# a cluster without workers, or a scheduler that takes jobs and never answers, would otherwise
# be waited for forever.
BATCH_SECONDS = 600


@dataclass
class BatchSummary:
    """Per-run figures of one batch, small enough to send between processes."""

    first_run: int
    people: np.ndarray  # int64[runs, roles]
    exposures: np.ndarray  # int64[runs, roles, days + 1]: exposures per day
    causes: np.ndarray  # int64[roles, mechanisms]
    collateral: np.ndarray  # int64[runs]: people exposed through a cascade
    run_causes: np.ndarray  # int64[runs, roles, mechanisms]: exposures by cause, run by run

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Nearly every count of exposures per day is zero (a few dozen of 55,000 in 50 runs of a
        # year): sent whole, the robust check of the bundled scenarios moves over a gigabyte from
        # the workers, each copy paid in page faults at both ends. Sent as their non-zero
        # entries, the arrays come back equal, int64 and contiguous.
        arrays = (self.people, self.exposures, self.causes, self.collateral, self.run_causes)
        return (_unpacked, (self.first_run, *(_packed(a) for a in arrays)))


# An array is sent as its non-zero entries when fewer than this share of them are non-zero.
_SPARSE = 0.25


def _packed(array: np.ndarray) -> np.ndarray | tuple[tuple[int, ...], np.ndarray, np.ndarray]:
    """An array to send: as it is, or its shape and non-zero entries (flat index, value)."""
    where = np.flatnonzero(array)
    if where.size >= _SPARSE * array.size:
        return array
    return array.shape, where, array.ravel()[where]


def _unpacked(first_run: int, *packed: Any) -> BatchSummary:
    arrays = []
    for item in packed:
        if isinstance(item, np.ndarray):
            arrays.append(item)
            continue
        shape, where, values = item
        array = np.zeros(shape, dtype=np.int64)
        array.ravel()[where] = values
        arrays.append(array)
    return BatchSummary(first_run, *arrays)


def batch_size(scenario: Scenario) -> int:
    """Runs per batch: depends only on the scenario, never on the number of workers."""
    per_run = max(expected_people(scenario), 1.0)
    return int(max(1, min(MAX_BATCH_RUNS, BATCH_PEOPLE // per_run)))


def batches(runs: int, size: int) -> list[tuple[int, int]]:
    """(batch index, runs in it) for every batch: as few batches as hold `size` runs at most,
    as even as they can be (the first ones one run more where they cannot be quite even), so
    that the workers given them finish together. 200 runs of 133 at most are two batches of 100,
    not 133 and 67: on two cores, the whole waits for the longer batch."""
    count, each, more = _even(runs, size)
    return [(b, each + (b < more)) for b in range(count)]


def batch_start(index: int, runs: int, size: int) -> int:
    """The number, among all `runs`, of the first run of batch `index` of `batches(runs, size)`."""
    _count, each, more = _even(runs, size)
    return index * each + min(index, more)


def largest_batch(runs: int, size: int) -> int:
    """The runs of the largest batch of `batches(runs, size)` (at most `size`)."""
    _count, each, more = _even(runs, size)
    return each + (more > 0)


def _even(runs: int, size: int) -> tuple[int, int, int]:
    """How many batches `runs` need at `size` at most, the runs each holds, and how many hold
    one more."""
    count = -(-runs // size)
    each, more = divmod(runs, count) if count else (0, 0)
    return count, each, more


def summarise(outcome: Outcome, scenario: Scenario, first_run: int) -> BatchSummary:
    """Reduce one batch's outcome to per-run counts by role, day and cause."""
    pop = outcome.population
    roles = len(scenario.role_names)
    mechanisms = len(scenario.mechanisms)
    days = scenario.days
    runs = pop.replicas
    people = np.bincount(pop.replica * roles + pop.role, minlength=runs * roles).reshape(
        runs, roles
    )
    exposed = outcome.exposed_day != NOT_EXPOSED
    who = (pop.replica[exposed].astype(np.int64) * roles + pop.role[exposed]) * (days + 1)
    exposures = np.bincount(who + outcome.exposed_day[exposed], minlength=runs * roles * (days + 1))
    run_causes = np.bincount(
        (pop.replica[exposed].astype(np.int64) * roles + pop.role[exposed]) * mechanisms
        + outcome.cause[exposed],
        minlength=runs * roles * mechanisms,
    ).reshape(runs, roles, mechanisms)
    causes = run_causes.sum(axis=0)
    cascade = scenario.mechanisms.index("cascade")
    collateral = np.bincount(pop.replica[exposed & (outcome.cause == cascade)], minlength=runs)
    return BatchSummary(
        first_run=first_run,
        people=people.astype(np.int64),
        exposures=exposures.reshape(runs, roles, days + 1).astype(np.int64),
        causes=causes.astype(np.int64),
        collateral=collateral.astype(np.int64),
        run_causes=run_causes.astype(np.int64),
    )


def population_key(scenario: Scenario) -> str:
    """Everything the people and their links are built from: equal keys, equal towns.

    The links' channels are left out: they only label the links (`population.with_channels`),
    so variants that move a contact to another channel share one build.
    """
    return json.dumps(
        [
            scenario.population.model_dump(mode="json"),
            _unlabelled(scenario.contacts.model_dump(mode="json")),
            _unlabelled({k: g.model_dump(mode="json") for k, g in scenario.groups.items()}),
        ],
        sort_keys=True,
    )


def _unlabelled(rules: dict[str, Any]) -> dict[str, Any]:
    """Contact rules (or groups) as written, without their channels: every rule's fields, and
    each of a list's rules."""

    def bare(rule: Any) -> Any:
        if isinstance(rule, dict):
            return {k: v for k, v in rule.items() if k != "channel"}
        if isinstance(rule, list):
            return [bare(r) for r in rule]
        return rule

    return {name: bare(rule) for name, rule in rules.items()}


# Populations built lately in this process, newest last: the checks of learning objectives
# simulate the same town under many parameter sets, call after call, and a build can cost as much
# as the runs. A town is kept from the second time it is built (a command that builds each of its
# batches once, as `run` does, keeps none), and at most _BUILT_BYTES are kept in all, the arrays
# worked out from each town included, so the memory kept stays small beside a run's. One town may
# take up to half of that: the town of a batch of 200 runs of 2,000 people (60 to 95 MB, more
# once the engine has worked out its arrays) is the one most often simulated again.
_BUILT: dict[tuple[str, int, int, int], Population] = {}
_BUILT_BYTES = 256 * 2**20
_BUILT_ONE = _BUILT_BYTES // 2
_ASKED: set[tuple[str, int, int, int]] = set()  # every town built so far, by key
# A worker kept for a whole command (`kept_workers`) keeps a town from its first build: it is
# there to serve call after call on the same towns.
_KEEP_FIRST = False


def _nbytes(population: Population) -> int:
    derived = population.__dict__.get("_derived", {})
    return sum(
        v.nbytes
        for v in [*vars(population).values(), *derived.values()]
        if isinstance(v, np.ndarray)
    )


def _built(key: tuple[str, int, int, int]) -> Population | None:
    population = _BUILT.pop(key, None)
    if population is not None:
        _BUILT[key] = population  # now the newest
    return population


def _keep(key: tuple[str, int, int, int], population: Population) -> None:
    if key not in _ASKED and not _KEEP_FIRST:
        _ASKED.add(key)
        return
    if _nbytes(population) > _BUILT_ONE:
        return
    for value in vars(population).values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)  # shared by every engine that uses it: never changed
    _BUILT[key] = population
    _trim()


def _trim() -> None:
    """Forget the oldest towns kept until they fit in _BUILT_BYTES, and any town that alone
    takes more than _BUILT_ONE."""
    for key in [k for k, p in _BUILT.items() if _nbytes(p) > _BUILT_ONE]:
        del _BUILT[key]
    while sum(_nbytes(p) for p in _BUILT.values()) > _BUILT_BYTES:
        del _BUILT[next(iter(_BUILT))]


def run_variants_batch(
    scenarios: list[Scenario],
    seed: int,
    index: int,
    runs: int,
    first_run: int,
    on_day: Callable[[], None] | None = None,
) -> list[BatchSummary]:
    """Simulate one batch of every variant on common random numbers.

    Variants whose population is built from the same settings share one build (kept for later
    calls too from its second build, see `_keep`): the build draws from the same stream, so
    sharing it changes nothing but the time taken.
    """
    sequence = batch_seed(seed, index)
    here: dict[tuple[str, int, int, int], Population] = {}  # shared in this batch whatever its size
    out = []
    for scenario in scenarios:
        streams = Streams(sequence)
        key = (population_key(scenario), seed, index, runs)
        population = here.get(key) or _built(key)
        if population is None:
            population = build(scenario, runs, streams("population"))
            _keep(key, population)
        here[key] = population
        engine = Engine(scenario, runs, streams, population=with_channels(population, scenario))
        out.append(summarise(engine.run(on_day), scenario, first_run))
    _trim()  # the engines have worked out their arrays from the towns kept: count them too
    return out


def simulate_runs(
    scenario: Scenario,
    runs: int,
    seed: int,
    workers: int = 1,
    on_progress: Callable[[float], None] | None = None,
) -> list[BatchSummary]:
    """Simulate `runs` runs, in parallel if asked; the result does not depend on `workers`.

    `on_progress(runs)` is called as work completes, with the number of runs (possibly
    fractional) just finished.
    """
    return simulate_variants([scenario], runs, seed, workers, on_progress)[0]


def simulate_variants(
    scenarios: list[Scenario],
    runs: int,
    seed: int,
    workers: int = 1,
    on_progress: Callable[[float], None] | None = None,
    size: int | None = None,
    scheduler: str | None = None,
) -> list[list[BatchSummary]]:
    """Simulate several variants of a scenario on common random numbers, batch by batch.

    All variants use the first one's batch size (or `size`), so run r of every variant is drawn
    from the same streams: differences between variants are paired run by run. Returns, per
    variant, its batch summaries in run order; identical whatever `workers` is, and on a Dask
    cluster given by its `scheduler` address.

    When there are fewer batches than workers (many variants of a few runs, as parameter sets
    are), the variants are shared out too: each variant draws afresh from its batch's stream, so
    which worker simulates it changes nothing but the time taken. `workers` may be budget.AUTO
    (what `--workers auto` gives): as many as pay and fit (budget.auto_workers).
    """
    size = size or batch_size(scenarios[0])
    # Every simulation, whichever command asks for it, is refused before any work if it would not
    # fit the command's limits (imported here: the budget reads the runner's batch sizes).
    from simulator.budget import AUTO, auto_workers, check_variants

    check_variants(scenarios, runs, workers, size, remote=scheduler is not None)
    plan = batches(runs, size)
    if workers == AUTO:
        # On a cluster the workers are the cluster's; here, as many as pay and fit.
        workers = (
            1
            if scheduler is not None
            else auto_workers(scenarios, runs, len(plan) * len(scenarios), size)
        )
    keys = [population_key(s) for s in scenarios]
    groups = variant_groups(
        scenarios, _group_count(len(scenarios), len(plan), workers, scheduler), keys
    )
    job = _GroupedBatch(tuple(tuple(scenarios[i] for i in g) for g in groups), seed, size, runs)
    grouped_plan = [(b * len(groups) + g, count) for b, count in plan for g in range(len(groups))]
    if scheduler is None and workers > 1 and len(grouped_plan) > 1:
        # Each piece carries its own group alone, its towns and its estimated cost.
        pieces = _pieces(scenarios, keys, groups, plan, seed, size)
        done = _on_processes(workers, pieces, on_progress or (lambda _runs: None))
    else:
        done = run_planned(job, grouped_plan, workers, on_progress, scheduler)
    out: list[list[BatchSummary]] = [[] for _ in scenarios]
    for n, summaries in enumerate(done):
        for i, summary in zip(groups[n % len(groups)], summaries):
            out[i].append(summary)
    return out


def _group_count(variants: int, planned: int, workers: int, scheduler: str | None) -> int:
    """How many groups to share the variants among: enough to keep every worker busy."""
    if workers <= 1 and scheduler is None:
        return 1
    wanted = -(-2 * max(workers, 2) // planned)  # about two pieces of work per worker
    return max(1, min(variants, wanted))


def variant_groups(
    scenarios: list[Scenario], count: int, keys: list[str] | None = None
) -> list[list[int]]:
    """Variant indices in `count` groups of similar size, those with one population together.

    `keys`, if given, are the variants' population keys (`population_key`), worked out already.
    """
    alike: dict[str, list[int]] = {}
    for i, scenario in enumerate(scenarios):
        alike.setdefault(keys[i] if keys is not None else population_key(scenario), []).append(i)
    order = [i for members in alike.values() for i in members]
    count = max(1, min(count, len(order)))
    step = len(order) / count
    return [order[round(g * step) : round((g + 1) * step)] for g in range(count)]


def _pieces(
    scenarios: list[Scenario],
    keys: list[str],
    groups: list[list[int]],
    plan: list[tuple[int, int]],
    seed: int,
    size: int,
) -> list[_Piece]:
    """Every batch of every group, in that order, as a job of its own for a local worker."""
    from simulator.budget import BUILD_PEOPLE_PER_S, PEOPLE_DAYS_PER_S

    total = sum(count for _b, count in plan)
    out = []
    for b, count in plan:
        for members in groups:
            towns = {(keys[i], seed, b, count): expected_people(scenarios[i]) for i in members}
            days = sum(expected_people(scenarios[i]) * scenarios[i].days for i in members)
            cost = count * (days / PEOPLE_DAYS_PER_S + sum(towns.values()) / BUILD_PEOPLE_PER_S)
            job = _GroupedBatch((tuple(scenarios[i] for i in members),), seed, size, total)
            out.append(_Piece(job, b, count, frozenset(towns), cost))
    return out


@dataclass(frozen=True)
class _GroupedBatch:
    """One batch of one group of variants: picklable, so that workers can run it."""

    groups: tuple[tuple[Scenario, ...], ...]
    seed: int
    size: int
    runs: int  # in all the batches, which number the runs of each

    def __call__(
        self, index: int, runs: int, report: Callable[[float], None] | None = None
    ) -> list[BatchSummary]:
        batch, group = divmod(index, len(self.groups))
        scenarios = list(self.groups[group])
        # Per day of each variant: runs x variants in all.
        on_day = functools.partial(report, runs / scenarios[0].days) if report is not None else None
        first = batch_start(batch, self.runs, self.size)
        return run_variants_batch(scenarios, self.seed, batch, runs, first, on_day=on_day)


class BatchJob(Protocol):
    """Simulates one batch of runs of every variant: picklable, so that workers can run it.

    It seeds the batch from its index alone, so that a batch is the same wherever it runs.
    """

    def __call__(
        self, index: int, runs: int, report: Callable[[float], None] | None = None
    ) -> list[BatchSummary]:
        """Summaries of the batch, one per variant; `report(runs)` as runs finish, if given."""
        ...


def run_batches(
    job: BatchJob,
    variants: int,
    runs: int,
    size: int,
    workers: int = 1,
    on_progress: Callable[[float], None] | None = None,
    scheduler: str | None = None,
) -> list[list[BatchSummary]]:
    """Run a job on every batch of `batches(runs, size)`: here, on worker processes or on a Dask
    cluster.

    Returns, per variant, its batch summaries in run order, the same whatever `workers` is.
    `on_progress(runs)` is called as work completes, with the number of runs (of any variant,
    possibly fractional) just finished.
    """
    done = run_planned(job, batches(runs, size), workers, on_progress, scheduler)
    return [[batch[v] for batch in done] for v in range(variants)]


def run_planned(
    job: BatchJob,
    plan: list[tuple[int, int]],
    workers: int = 1,
    on_progress: Callable[[float], None] | None = None,
    scheduler: str | None = None,
) -> list[list[BatchSummary]]:
    """Run a job on every (index, runs) of a plan, in the plan's order, wherever asked
    (`workers` is a number here: budget.AUTO, which callers resolve first, runs in one process)."""
    report = on_progress or (lambda _runs: None)
    if scheduler is not None:
        return _on_dask(scheduler, job, plan, report)
    if workers <= 1 or len(plan) <= 1:
        return [job(index, count, report) for index, count in plan]
    return _on_processes(workers, [_Piece(job, index, count) for index, count in plan], report)


# A town by what it is built from (see run_variants_batch): population_key, seed, batch, runs.
TownKey = tuple[str, int, int, int]


@dataclass(frozen=True)
class _Piece:
    """One job on one batch, with what decides which worker runs it, and when."""

    job: BatchJob
    index: int
    runs: int
    towns: frozenset[TownKey] = frozenset()  # what it builds, unless its worker has kept them
    cost: float = 0.0  # estimated seconds: the longest pieces start first


def _on_processes(
    workers: int, pieces: list[_Piece], report: Callable[[float], None]
) -> list[list[BatchSummary]]:
    """Pieces on local worker processes, each handed out as a worker becomes free; returned in
    their order. On Ctrl-C or any failure the workers end at once.

    A free worker takes the longest piece among those whose towns it has kept, else among those
    whose towns no other worker has (they would be built twice), else the longest: the stage's
    last pieces are then short ones, and a town is seldom built by both workers.
    """
    crew = _crew(workers, len(pieces))
    done: list[list[BatchSummary]] = [[] for _ in pieces]
    pending = sorted(range(len(pieces)), key=lambda i: -pieces[i].cost)
    running: dict[Future[tuple[list[BatchSummary], list[TownKey]]], tuple[int, int]] = {}

    def start(w: int) -> None:
        others = set().union(*(h for v, h in enumerate(crew.held) if v != w))
        i = min(
            pending,
            key=lambda i: (not pieces[i].towns & crew.held[w], bool(pieces[i].towns & others)),
        )
        pending.remove(i)
        crew.held[w] |= pieces[i].towns  # being built there: the others leave them to it
        piece = pieces[i]
        running[crew.pools[w].submit(_run_piece, piece.job, piece.index, piece.runs)] = (w, i)

    try:
        # A kept crew may have more workers than this call uses (`--workers auto` asks for as
        # many as pay and fit, call by call): the first `workers` of them take the pieces.
        for w in range(min(workers, len(crew.pools), len(pieces))):
            start(w)
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                w, i = running.pop(future)
                done[i], kept = future.result()
                crew.held[w] = set(kept)
                report(sum(summary.people.shape[0] for summary in done[i]))
                if pending:
                    start(w)
    except BaseException:
        if crew is _Kept.crew:
            _Kept.crew = None
        crew.end()
        raise
    if crew is not _Kept.crew:
        crew.close()
    return done


def _run_piece(job: BatchJob, index: int, runs: int) -> tuple[list[BatchSummary], list[TownKey]]:
    """In a worker: one piece of work, and the towns the worker keeps after it."""
    return job(index, runs), list(_BUILT)


class _Crew:
    """Worker processes, each on its own executor, so that a piece can go to a chosen one."""

    def __init__(self, workers: int, kept: bool):
        # Workers leave signals to this process, which ends them itself, and die with it.
        self.pools = [
            ProcessPoolExecutor(max_workers=1, initializer=_in_worker, initargs=(os.getpid(), kept))
            for _ in range(workers)
        ]
        self.held: list[set[TownKey]] = [set() for _ in self.pools]  # the towns each one keeps

    def close(self) -> None:
        """End the workers once their work is done (at once: between calls they have none)."""
        for pool in self.pools:
            pool.shutdown()

    def end(self) -> None:
        """Cancel the pieces not started and end the workers, without waiting for running ones."""
        _end_workers(*self.pools)


class _Kept:
    """The workers a command keeps for all its simulations (see `kept_workers`)."""

    depth = 0  # how many `kept_workers` blocks are open
    crew: _Crew | None = None


@contextlib.contextmanager
def kept_workers() -> Iterator[None]:
    """Within this block, every simulation on local processes uses the same worker processes.

    A command that simulates many times, as the robust check of objectives does (a few dozen
    calls per scenario), would otherwise start new workers for each call: each start forks this
    process again, and the new workers have none of the towns the last ones kept (`_BUILT`).
    The workers start with the first call that needs them and end with the block: at once, as
    on any failure, if the block ends by an exception or a signal.
    """
    _Kept.depth += 1
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        _Kept.depth -= 1
        crew = _Kept.crew
        if crew is not None and (failed or not _Kept.depth):
            _Kept.crew = None
            if failed:
                crew.end()
            else:
                crew.close()


def _crew(workers: int, pieces: int) -> _Crew:
    """Workers for one call's pieces: the kept ones within `kept_workers`, else new ones."""
    if not _Kept.depth:
        return _Crew(min(workers, pieces), kept=False)
    if _Kept.crew is not None and len(_Kept.crew.pools) < workers:
        _Kept.crew.close()
        _Kept.crew = None
    if _Kept.crew is None:
        # As many as asked, not as this call's pieces: later calls may have more.
        _Kept.crew = _Crew(workers, kept=True)
    return _Kept.crew


def _in_worker(parent: int, kept: bool) -> None:
    """A worker's start: signals left to `parent`; a kept worker keeps towns at once."""
    global _KEEP_FIRST
    in_worker(parent)
    _KEEP_FIRST = kept


def _end_workers(*pools: ProcessPoolExecutor) -> None:
    """Cancel the batches not started and end the workers, without waiting for running batches."""
    # Shutting down waits for running batches to finish, which can take minutes; there is no
    # public way to end the workers before Python 3.14, hence the private process table.
    processes = [p for pool in pools for p in (getattr(pool, "_processes", None) or {}).values()]
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=1.0)


def _on_dask(
    address: str, job: BatchJob, plan: list[tuple[int, int]], report: Callable[[float], None]
) -> list[list[BatchSummary]]:
    """Run the batches on a Dask distributed cluster (the `cluster` extra)."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "", advice=_("{scheduler} needs Dask: python3 -m pip install 'exposure-sim[cluster]'")
        ) from None
    from simulator.budget import current_limits, duration

    client = _connect(Client, address)
    wait = current_limits().batch_seconds or BATCH_SECONDS
    try:
        futures = [client.submit(job, index, count, pure=False) for index, count in plan]
        done = []
        for future in futures:
            try:
                done.append(future.result(timeout=wait))
            except TimeoutError:
                raise UsageError(
                    _(
                        "the cluster returned no batch within {time}: it may have no workers, "
                        "or be too busy"
                    ).format(time=duration(wait)),
                    subject="scheduler",
                    given=address,
                    advice=_("; allow longer with {batch_timeout}, or run without {scheduler}"),
                ) from None
            except (OSError, asyncio.CancelledError) as exc:
                raise UsageError(
                    _("lost the cluster ({first_line})").format(first_line=_first_line(exc)),
                    subject="scheduler",
                    given=address,
                ) from None
            report(sum(summary.people.shape[0] for summary in done[-1]))
        return done
    finally:
        _close(client)


def _close(client: Any) -> None:
    """Close a client within a bounded time, quietly: the command's outcome is already known."""
    closer = threading.Thread(target=_quiet_close, args=(client,), name="dask-close", daemon=True)
    closer.start()
    closer.join(CONNECT_SECONDS)


def _quiet_close(client: Any) -> None:
    with contextlib.suppress(Exception):
        client.close(timeout=CONNECT_SECONDS)


def _connect(client_type: Any, address: str) -> Any:
    """A Dask client connected within CONNECT_SECONDS, or one line saying why not.

    Whatever fails while connecting (a refused or silent port, a peer that speaks something
    else) is the address's fault, not ours. A client that failed to start complains from its
    finaliser; that complaint is not the user's business and is kept off the terminal.
    """
    import dask

    quiet = sys.unraisablehook
    sys.unraisablehook = lambda _unraisable: None
    failure = ""
    try:
        with dask.config.set(
            {
                "distributed.comm.timeouts.connect": f"{CONNECT_SECONDS}s",
                "distributed.comm.retry.count": 0,
            }
        ):
            return _within(CONNECT_SECONDS + 2, client_type, address, CONNECT_SECONDS)
    except Exception as exc:
        failure = _first_line(exc)
    finally:
        if failure:
            # The failed client is freed here, with the exception that held it, and quietly.
            gc.collect()
        sys.unraisablehook = quiet
    raise UsageError(
        _("cannot connect ({failure})").format(failure=failure), subject="scheduler", given=address
    )


def _within(seconds: float, client_type: Any, address: str, timeout: float) -> Any:
    """A client made in a helper thread, given up after `seconds`.

    A peer that accepts the connection and then says nothing keeps Dask's own handshake waiting
    past its connection timeout; the thread bounds the wait.
    """
    made: list[Any] = []
    failed: list[BaseException] = []

    def connect() -> None:
        try:
            made.append(client_type(address, timeout=timeout, set_as_default=False))
        except BaseException as exc:  # handed to the caller's thread
            failed.append(exc)

    helper = threading.Thread(target=connect, name="dask-connect", daemon=True)
    helper.start()
    helper.join(seconds)
    if failed:
        raise failed[0]
    if not made:
        raise TimeoutError(f"no answer within {seconds:.0f} s")
    return made[0]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
