"""Memory and time budgets: what a simulation will need, estimated before it starts.

A simulation that would not fit in memory or in the time allowed is refused before it allocates
anything, with smaller values that would fit. Every simulation of variants (the baseline and
countermeasures of `compare`, the points of `sweep`, the parameter sets of `--uncertainty` and
`--robust`, the alternatives of a debrief) is checked as a whole, population building included,
under the limits the command was given (`limits`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.errors import ResourceError
from simulator.i18n import _

# The runner (numpy) and the models (pydantic) are imported by the estimates that use them: a
# command that simulates nothing (`list`) still runs under `limits`.
if TYPE_CHECKING:
    from simulator.scenario.model import Scenario

# Bytes per person and per link position that a batch holds at its peak (measured, with slack).
BYTES_PER_PERSON = 160
BYTES_PER_LINK = 48
# Person-days a second one worker simulates end to end. Measured on one core of the development
# machine, bundled scenarios at 3,000 to 200,000 people: 1.0e8 to 2.6e8. Half the slowest, so
# that an older laptop is not promised too much.
PEOPLE_DAYS_PER_S = 5e7
# A simulation estimated to take longer than this is refused unless --max-time allows it (an
# hour: on a trainer's laptop, longer work is a mistake more often than a plan); one longer than
# SLOW_SECONDS gets a warning that says how to make it quicker.
MAX_SECONDS = 3600.0
SLOW_SECONDS = 600.0
# People a second one worker builds populations and contact networks for. Measured on one core
# of the development machine, bundled scenarios at 200,000 to 1,000,000 people: 6e5 to 2.4e6.
# A third of the slowest.
BUILD_PEOPLE_PER_S = 2e5
# `--workers auto` (the default): one worker process per usable core, but only for work worth
# starting them for. A worker costs its start (a fork, 0.03-0.06 s) and a second one halves the
# rest at best; measured on a 2-core machine, border-phone's 200 runs (2.2e8 person-days,
# 0.4 s in one process) gain 0.18 s from a second worker. Below this many person-days (about
# 0.1 s of simulation at the measured speed) one process is quicker.
AUTO = 0  # what `--workers auto` stands for until the runner decides
WORTH_PEOPLE_DAYS = 5e7
# Where workers are started afresh rather than forked (macOS and Windows by default), each one
# imports Exposure again (0.3-0.5 s): auto waits for work of a few seconds.
WORTH_PEOPLE_DAYS_SPAWNED = 1e9
MAX_AUTO_WORKERS = 8  # past this, a trainer's machine has other work to do
# What each worker process holds besides its batches (the interpreter, numpy, the models),
# measured at about 70 MiB resident on the development machine; rounded up.
WORKER_BYTES = 100 * 1024**2


@dataclass(frozen=True)
class Limits:
    """The memory (bytes) and time (seconds) a command allows; None: the defaults."""

    memory: int | None = None
    seconds: float | None = None
    # How long a Dask cluster may take to return one batch (--batch-timeout).
    batch_seconds: float | None = None


# The limits of the command being run: set once by the command line, read by every check.
_LIMITS: ContextVar[Limits | None] = ContextVar("exposure_limits", default=None)


@contextmanager
def limits(
    memory: int | None, seconds: float | None, batch_seconds: float | None = None
) -> Iterator[None]:
    """Within this block, every simulation is checked against these limits."""
    token = _LIMITS.set(Limits(memory, seconds, batch_seconds))
    try:
        yield
    finally:
        _LIMITS.reset(token)


def current_limits() -> Limits:
    """The limits simulations are checked against now."""
    return _LIMITS.get() or Limits()


def estimate_bytes(
    scenario: Scenario, runs: int, workers: int, size: int | None = None
) -> tuple[int, int]:
    """Peak memory of the live batches and of the per-run summaries, estimated before allocating."""
    from simulator.runner import batch_size, largest_batch
    from simulator.scenario.model import expected_people

    size = size or batch_size(scenario)
    per_run = expected_people(scenario)
    degree = _expected_degree(scenario, per_run)
    live = min(max(workers, 1), -(-runs // size))
    # The largest batch: the runs are split evenly, so it may hold fewer than `size`.
    largest = largest_batch(runs, size) if runs > 0 else size
    people = largest * per_run
    batch = people * (BYTES_PER_PERSON + 8 * len(scenario.states) + degree * BYTES_PER_LINK)
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
    """Memory this machine can give us now (MemAvailable), or its physical size; within a
    container's limit (cgroup v2 `memory.max`), no more than that limit leaves."""
    machine = _machine_bytes()
    limit, used = _cgroup_value("memory.max"), _cgroup_value("memory.current")
    if limit is not None and used is not None and limit != "max":
        with suppress(ValueError):
            return max(0, min(machine, int(limit) - int(used)))
    return machine


def _machine_bytes() -> int:
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


def estimate_variants(
    scenarios: Sequence[Scenario], runs: int, workers: int, size: int | None = None
) -> tuple[int, int, float]:
    """Peak memory of the live batches and of the summaries, and seconds, for variants together.

    As the runner simulates them: in batches of the first variant's size (or `size`), each batch
    building one population for each different population and holding them all.
    """
    from simulator.runner import batch_size, batches, population_key
    from simulator.scenario.model import expected_people

    size = size or batch_size(scenarios[0])
    held: dict[str, int] = {}
    summaries = 0
    person_days = built = 0.0
    for scenario in scenarios:
        batch, summary = estimate_bytes(scenario, runs, workers, size)
        key = population_key(scenario)
        if key not in held:
            built += expected_people(scenario) * runs
        held[key] = max(held.get(key, 0), batch)
        summaries += summary
        person_days += expected_people(scenario) * scenario.days * runs
    cores = usable_cores()
    asked = min(cores, MAX_AUTO_WORKERS) if workers == AUTO else workers
    parallel = max(1, min(asked, cores, len(batches(runs, size))))
    seconds = (person_days / PEOPLE_DAYS_PER_S + built / BUILD_PEOPLE_PER_S) / parallel
    return sum(held.values()), summaries, seconds


def usable_cores() -> int:
    """The cores this process may run on: its affinity where the system tells it, and no more
    than a container's CPU quota (cgroup v2 `cpu.max`) allows."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = _cgroup_value("cpu.max")
    if quota is not None:
        parts = quota.split()
        if len(parts) == 2 and parts[0] != "max":
            with suppress(ValueError):
                cores = min(cores, int(-(-int(parts[0]) // max(int(parts[1]), 1))))
    return max(1, cores)


def _cgroup_value(name: str) -> str | None:
    """A file of this process's cgroup (v2), stripped, or None where there is none."""
    try:
        with open("/proc/self/cgroup", encoding="ascii") as handle:
            path = next((line[3:].strip() for line in handle if line.startswith("0::")), None)
        if path is None:
            return None
        with open(f"/sys/fs/cgroup{path}/{name}", encoding="ascii") as handle:
            return handle.read().strip()
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def auto_workers(scenarios: Sequence[Scenario], runs: int, pieces: int, size: int) -> int:
    """How many worker processes `--workers auto` uses for these variants: one per usable core
    and piece of work, for work worth it (WORTH_PEOPLE_DAYS), and only as many as fit in memory
    (so that auto never refuses what one process would do)."""
    import multiprocessing

    from simulator.scenario.model import expected_people

    work = sum(expected_people(s) * max(s.days, 1) * runs for s in scenarios)
    workers = min(usable_cores(), pieces, MAX_AUTO_WORKERS)
    forked = multiprocessing.get_start_method() == "fork"
    if workers < 2 or work < (WORTH_PEOPLE_DAYS if forked else WORTH_PEOPLE_DAYS_SPAWNED):
        return 1
    allowed = current_limits().memory
    have = allowed if allowed is not None else int(available_bytes() * 0.8)
    while workers > 1:
        batch, summaries, _seconds = estimate_variants(scenarios, runs, workers, size)
        if batch + summaries + workers * WORKER_BYTES <= have:
            break
        workers -= 1
    return workers


def check_variants(
    scenarios: Sequence[Scenario],
    runs: int,
    workers: int,
    size: int | None = None,
    remote: bool = False,
) -> float:
    """Refuse, before any work, variants that together exceed the command's limits.

    `remote` batches run on a cluster: only their summaries come back to this machine. Returns
    the estimated seconds, for a warning when they are many.
    """
    allowed = current_limits()
    batch, summaries, seconds = estimate_variants(scenarios, runs, workers, size)
    if remote:
        batch = 0
    _check_bytes(scenarios, runs, workers, batch, summaries, allowed.memory, size)
    _check_seconds(scenarios, runs, seconds, allowed.seconds)
    return seconds


def check_memory(scenario: Scenario, runs: int, workers: int, limit: int | None = None) -> None:
    """Refuse, before allocating, a simulation that would not fit in memory."""
    batch, summaries = estimate_bytes(scenario, runs, workers)
    _check_bytes([scenario], runs, workers, batch, summaries, limit)


def _check_bytes(
    scenarios: Sequence[Scenario],
    runs: int,
    workers: int,
    batch: int,
    summaries: int,
    limit: int | None,
    size: int | None = None,
) -> None:
    from simulator.runner import batch_size
    from simulator.scenario.model import expected_people

    scenario = max(scenarios, key=expected_people)
    have = limit if limit is not None else int(available_bytes() * 0.8)
    if batch + summaries <= have:
        return
    per_run = expected_people(scenario)
    advice = []
    if workers > 1 and batch > have / 2:
        advice.append("{workers} 1")
    one_batch = batch / max(1, min(workers, -(-runs // (size or batch_size(scenarios[0])))))
    if one_batch > have / 2:
        fit = int(per_run * (have / 2) / one_batch)
        advice.append(f"{{people}} {max(fit // 1000 * 1000, 100)}")
    if summaries > have / 2:
        advice.append(f"{{runs}} {max(1, int(runs * (have / 2) / summaries))}")
    hint = f"; try {' or '.join(advice)}" if advice else ""
    where = (
        f"the limit ({{max_memory}}) is {_gib(have)}"
        if limit is not None
        else f"{_gib(have)} is available"
    )
    what = f"{per_run:,.0f} people x {runs:,} runs"
    if len(scenarios) > 1:
        what = f"{len(scenarios)} variants, the largest of {what}"
    raise ResourceError(
        _("this needs about {gib} of memory").format(gib=_gib(batch + summaries)),
        advice=f" but {where} ({what}){hint}",
    )


def estimate_seconds(scenario: Scenario, runs: int, workers: int) -> float:
    """Rough time a simulation takes, from its people to build and person-days to simulate."""
    return estimate_variants([scenario], runs, workers)[2]


def smaller_values(scenario: Scenario, runs: int, seconds: float, target: float) -> str:
    """Settings that would bring an estimated `seconds` to about `target`: fewer runs or people.

    The settings are named in braces ("{runs} 200 or {people} 1000"): the caller names them.
    """
    from simulator.scenario.model import expected_people

    share = target / seconds
    advice = []
    if int(runs * share) >= 2:
        advice.append(f"{{runs}} {int(runs * share)}")
    people = expected_people(scenario) * share
    if people >= 100:
        advice.append(
            f"{{people}} {int(people // 100 * 100 if people < 10_000 else people // 1000 * 1000)}"
        )
    days = int(scenario.days * share)
    if not advice and days >= 1:
        advice.append(f"{{days}} {days}")
    return " or ".join(advice) or "a much smaller scenario"


def check_time(scenario: Scenario, runs: int, workers: int, limit: float | None = None) -> float:
    """Refuse, before starting, a simulation estimated to take longer than `limit` seconds.

    The limit is an hour unless given; returns the estimate, for a warning when it is long.
    """
    seconds = estimate_seconds(scenario, runs, workers)
    _check_seconds([scenario], runs, seconds, limit)
    return seconds


def _check_seconds(
    scenarios: Sequence[Scenario], runs: int, seconds: float, limit: float | None
) -> None:
    from simulator.scenario.model import expected_people

    allowed = MAX_SECONDS if limit is None else limit
    if seconds <= allowed:
        return
    scenario = max(scenarios, key=expected_people)
    what = f"{expected_people(scenario):,.0f} people x {scenario.days:,} days x {runs:,} runs"
    if len(scenarios) > 1:
        what = f"{len(scenarios)} variants, the largest of {what}"
    raise ResourceError(
        _("this would take about {duration} ({what}), more than the limit of {duration2}").format(
            duration=duration(seconds), what=what, duration2=duration(allowed)
        ),
        advice=f"; try {smaller_values(scenario, runs, seconds, min(allowed, SLOW_SECONDS))}, "
        "or allow it with {max_time}",
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
