"""Monte Carlo runs in batches: seeding, parallel workers, memory limits and per-run summaries.

Run r always belongs to batch r // batch_size and batch b always draws from the stream
`streams.batch_seed(seed, b)`, so results are the same bytes whatever the number of workers.
"""

from __future__ import annotations

import functools
import json
import os
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from simulator.engine import NOT_EXPOSED, Engine, Outcome, Streams
from simulator.errors import ResourceError, UsageError
from simulator.population import Population, build
from simulator.scenario.model import Scenario, expected_people
from simulator.streams import batch_seed

# About this many people are simulated together in one batch of small runs.
BATCH_PEOPLE = 400000
MAX_BATCH_RUNS = 256
# Bytes per person and per link position that a batch holds at its peak (measured, with slack).
BYTES_PER_PERSON = 160
BYTES_PER_LINK = 48
# Person-days a second one worker simulates end to end. Measured on one core of the development
# machine, bundled scenarios at 3,000 to 200,000 people: 1.0e8 to 2.6e8. Half the slowest, so
# that an older laptop is not promised too much.
PEOPLE_DAYS_PER_S = 5e7
# A simulation estimated to take longer than this is refused unless --max-time allows it; one
# longer than SLOW_SECONDS gets a warning that says how to make it quicker.
MAX_SECONDS = 24 * 3600.0
SLOW_SECONDS = 600.0


@dataclass
class BatchSummary:
    """Per-run figures of one batch, small enough to send between processes."""

    first_run: int
    people: np.ndarray  # int64[runs, roles]
    exposures: np.ndarray  # int64[runs, roles, days + 1]: exposures per day
    causes: np.ndarray  # int64[roles, mechanisms]
    collateral: np.ndarray  # int64[runs]: people exposed through a cascade
    run_causes: np.ndarray  # int64[runs, roles, mechanisms]: exposures by cause, run by run


def batch_size(scenario: Scenario) -> int:
    """Runs per batch: depends only on the scenario, never on the number of workers."""
    per_run = max(expected_people(scenario), 1.0)
    return int(max(1, min(MAX_BATCH_RUNS, BATCH_PEOPLE // per_run)))


def batches(runs: int, size: int) -> list[tuple[int, int]]:
    """(batch index, runs in it) for every batch."""
    return [(b, min(size, runs - b * size)) for b in range((runs + size - 1) // size)]


def estimate_bytes(scenario: Scenario, runs: int, workers: int) -> tuple[int, int]:
    """Peak memory of the live batches and of the per-run summaries, estimated before allocating."""
    size = batch_size(scenario)
    per_run = expected_people(scenario)
    degree = _expected_degree(scenario, per_run)
    live = min(max(workers, 1), -(-runs // size))
    batch = size * per_run * (BYTES_PER_PERSON + 8 * len(scenario.states) + degree * BYTES_PER_LINK)
    summaries = runs * (len(scenario.role_names) * (scenario.days + 2) + 1) * 8 * 2
    return int(live * batch), int(summaries)


def _expected_degree(scenario: Scenario, per_run: float) -> float:
    c = scenario.contacts
    pop = scenario.population
    degree = 0.0
    if c.household is not None:
        degree += sum(pop.household_size) / 2.0 - 1.0
    for mix in (c.neighbours, c.across_units, c.random):
        if mix is not None:
            degree += mix.mean_degree
    for tie in c.ties:
        counts = {name: spec.count for name, spec in pop.roles.items()}
        senders = counts.get(tie.from_, per_run)
        receivers = counts.get(tie.to, per_run)
        degree += 2.0 * senders * min(tie.each or receivers, receivers) / max(per_run, 1.0)
    for group in scenario.groups.values():
        size = sum(pop.roles[r].count for r in (*group.members, *group.admins) if r in pop.roles)
        degree += size * (size - 1) / max(per_run, 1.0)
    return degree


def available_bytes() -> int:
    """Memory this machine can give us now (MemAvailable), or its physical size."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


def check_memory(scenario: Scenario, runs: int, workers: int, limit: int | None = None) -> None:
    """Refuse, before allocating, a simulation that would not fit in memory."""
    batch, summaries = estimate_bytes(scenario, runs, workers)
    have = limit if limit is not None else int(available_bytes() * 0.8)
    if batch + summaries <= have:
        return
    per_run = expected_people(scenario)
    advice = []
    if workers > 1 and batch > have / 2:
        advice.append("--workers 1")
    one_batch = batch / max(1, min(workers, -(-runs // batch_size(scenario))))
    if one_batch > have / 2:
        fit = int(per_run * (have / 2) / one_batch)
        advice.append(f"--people {max(fit // 1000 * 1000, 100)}")
    if summaries > have / 2:
        advice.append(f"--runs {max(1, int(runs * (have / 2) / summaries))}")
    hint = f"; try {' or '.join(advice)}" if advice else ""
    where = (
        f"the limit (--max-memory) is {_gib(have)}"
        if limit is not None
        else f"{_gib(have)} is available"
    )
    raise ResourceError(
        f"this needs about {_gib(batch + summaries)} of memory but {where}"
        f" ({per_run:,.0f} people x {runs:,} runs){hint}"
    )


def estimate_seconds(scenario: Scenario, runs: int, workers: int) -> float:
    """Rough time a simulation takes, from its person-days and a conservative throughput."""
    parallel = max(1, min(workers, os.cpu_count() or 1, len(batches(runs, batch_size(scenario)))))
    return expected_people(scenario) * scenario.days * runs / (PEOPLE_DAYS_PER_S * parallel)


def smaller_values(scenario: Scenario, runs: int, seconds: float, target: float) -> str:
    """Flags that would bring an estimated `seconds` down to about `target`: fewer runs or people."""
    share = target / seconds
    advice = []
    if int(runs * share) >= 2:
        advice.append(f"--runs {int(runs * share):,}".replace(",", ""))
    people = expected_people(scenario) * share
    if people >= 100:
        advice.append(
            f"--people {int(people // 100 * 100 if people < 10_000 else people // 1000 * 1000)}"
        )
    days = int(scenario.days * share)
    if not advice and days >= 1:
        advice.append(f"--days {days}")
    return " or ".join(advice) or "a much smaller scenario"


def check_time(scenario: Scenario, runs: int, workers: int, limit: float | None = None) -> float:
    """Refuse, before starting, a simulation estimated to take longer than `limit` seconds.

    The limit is a day unless given; returns the estimate, for a warning when it is long.
    """
    seconds = estimate_seconds(scenario, runs, workers)
    allowed = MAX_SECONDS if limit is None else limit
    if seconds <= allowed:
        return seconds
    raise ResourceError(
        f"this would take about {duration(seconds)} ({expected_people(scenario):,.0f} people x "
        f"{scenario.days:,} days x {runs:,} runs), more than the limit of {duration(allowed)}; try "
        f"{smaller_values(scenario, runs, seconds, min(allowed, SLOW_SECONDS))}, or allow it with --max-time"
    )


def duration(seconds: float) -> str:
    """A rough duration in the largest fitting unit: 40 seconds, 25 minutes, 3.5 hours, 12 days."""
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            value = seconds / size
            return f"{value:,.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    return f"{max(seconds, 1):.0f} seconds"


def _gib(n: float) -> str:
    return f"{n / 1024**3:.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:.0f} MiB"


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


def _population_key(scenario: Scenario) -> str:
    """Everything the population and network are built from: equal keys, equal populations."""
    return json.dumps(
        [
            scenario.population.model_dump(mode="json"),
            scenario.contacts.model_dump(mode="json"),
            list(scenario.channels),
            {k: g.model_dump(mode="json") for k, g in scenario.groups.items()},
        ],
        sort_keys=True,
    )


def run_variants_batch(
    scenarios: list[Scenario],
    seed: int,
    index: int,
    runs: int,
    size: int,
    on_day: Callable[[], None] | None = None,
) -> list[BatchSummary]:
    """Simulate one batch of every variant on common random numbers.

    Variants whose population is built from the same settings share one build: the build draws
    from the same stream, so sharing it changes nothing but the time taken.
    """
    sequence = batch_seed(seed, index)
    built: dict[str, Population] = {}
    out = []
    for scenario in scenarios:
        key = _population_key(scenario)
        streams = Streams(sequence)
        if key not in built:
            built[key] = build(scenario, runs, streams("population"))
        engine = Engine(scenario, runs, streams, population=built[key])
        out.append(summarise(engine.run(on_day), scenario, index * size))
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
    """
    size = size or batch_size(scenarios[0])
    plan = batches(runs, size)
    report = on_progress or (lambda _runs: None)
    done: list[list[BatchSummary]] = []
    if scheduler is not None:
        done = _on_dask(scheduler, scenarios, seed, plan, size, report)
    elif workers <= 1 or len(plan) <= 1:
        for index, count in plan:
            step = count / scenarios[0].days  # per day of each variant: count x variants in all
            done.append(
                run_variants_batch(
                    scenarios, seed, index, count, size, on_day=functools.partial(report, step)
                )
            )
    else:
        done = _on_processes(min(workers, len(plan)), scenarios, seed, plan, size, report)
    return [[batch[v] for batch in done] for v in range(len(scenarios))]


def _ignore_interrupts() -> None:
    """In a worker: leave Ctrl-C to the parent, which ends the workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _on_processes(
    workers: int,
    scenarios: list[Scenario],
    seed: int,
    plan: list[tuple[int, int]],
    size: int,
    report: Callable[[float], None],
) -> list[list[BatchSummary]]:
    """Batches on local worker processes; on Ctrl-C or any failure the workers end at once."""
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts)
    done: list[list[BatchSummary]] = []
    try:
        futures = [
            pool.submit(run_variants_batch, scenarios, seed, index, count, size)
            for index, count in plan
        ]
        for future in futures:
            done.append(future.result())
            report(done[-1][0].people.shape[0] * len(scenarios))
    except BaseException:
        _end_workers(pool)
        raise
    pool.shutdown()
    return done


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel the batches not started and end the workers, without waiting for running batches."""
    # Shutting down waits for running batches to finish, which can take minutes; there is no
    # public way to end the workers before Python 3.14, hence the private process table.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=1.0)


def _on_dask(
    address: str,
    scenarios: list[Scenario],
    seed: int,
    plan: list[tuple[int, int]],
    size: int,
    report: Callable[[float], None],
) -> list[list[BatchSummary]]:
    """Run the batches on a Dask distributed cluster (the `cluster` extra)."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "--scheduler needs Dask: python3 -m pip install 'exposure-sim[cluster]'"
        ) from None
    try:
        client = Client(address, timeout=10, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--scheduler {address}: cannot connect ({exc})") from None
    try:
        futures = [
            client.submit(run_variants_batch, scenarios, seed, index, count, size, pure=False)
            for index, count in plan
        ]
        done = []
        for future in futures:
            done.append(future.result())
            report(done[-1][0].people.shape[0] * len(scenarios))
        return done
    finally:
        client.close()
