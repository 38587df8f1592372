"""Side-by-side performance of Exposure and independent implementations of the same model.

    python3 -m pip install '.[bench]'
    python3 benchmarks/run.py                 # everything (several minutes)
    python3 benchmarks/run.py --quick         # small sizes only
    python3 benchmarks/run.py --startup-only  # only how long the light commands take to start

Every figure is a whole process — start-up, population build and simulation — timed with its
wall clock and its peak resident memory (from the kernel's accounting of the finished child; of
the largest process where a command starts workers, not their sum);
Exposure's commands are measured --repeat times (default 3) and the median is reported.
The script checks that the implementations agree on the exposed fraction before comparing them.
Start-up rows are the median of --startup-repeat whole processes (default 5) after one unmeasured
run that warms the file cache, each beside its target. The targets table puts every other
target of the performance work beside what this machine measures now.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = 0.9508
DAYS = 365
# Whole-process start-up of the commands a trainer types first, and its target in seconds (None:
# measured for reference only).
# Bundled scenarios are kept parsed between commands (simulator/scenario/cache.py) in a folder of
# the benchmark's own; "nothing kept" measures the first command after an install.
# The third item says whether the command may use what earlier commands kept.
STARTUP: list[tuple[list[str], float | None, bool]] = [
    (["--version"], 0.2, True),
    (["list"], 0.2, True),
    (["show", "border-phone"], 0.2, True),
    (["show", "border-phone"], None, False),
    (["run", "border-phone", "--runs", "10"], None, True),
]
# The commands a trainer runs live, with their targets in seconds.
LIVE: list[tuple[list[str], float]] = [
    (["run", "border-phone"], 0.6),
    (["compare", "border-phone"], 1.5),
    (["report", "border-phone", "-o", "{tmp}/r.html", "--force"], 2.5),
]
# Checking every bundled scenario's learning objectives, and its target in seconds.
VALIDATE_TARGET = 6.0
# The cost of an extra run at 100,000 people: at most this many seconds, and at least this many
# times cheaper than Mesa's run of as many people.
EXTRA_RUN_TARGET = (0.045, 200.0)
# Reference-cascade at large sizes: (people, target seconds, target MiB).
LARGE_TARGETS = [(1_000_000, 1.2, 400.0), (10_000_000, 10.0, 3072.0)]


@dataclass
class Measure:
    """One whole-process measurement."""

    label: str
    people: int
    runs: int
    wall_s: float
    peak_mib: float
    fraction: float | None
    output: str

    @property
    def people_days_per_s(self) -> float:
        return self.people * self.runs * DAYS / self.wall_s


def measure(
    label: str,
    command: list[str],
    people: int,
    runs: int = 1,
    repeat: int = 1,
    env: dict[str, str] | None = None,
) -> Measure:
    """The median of `repeat` whole-process measurements (wall time; the largest peak)."""
    results = sorted(
        (_measure_once(label, command, people, runs, env) for _ in range(repeat)),
        key=lambda m: m.wall_s,
    )
    middle = results[len(results) // 2]
    middle.peak_mib = max(r.peak_mib for r in results)
    return middle


def _measure_once(
    label: str, command: list[str], people: int, runs: int = 1, env: dict[str, str] | None = None
) -> Measure:
    """Measure through a small wrapper process so that each peak is the command's own."""
    wrapper = [
        sys.executable,
        "-c",
        (
            "import json, resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "w = time.perf_counter() - t\n"
            "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "print(json.dumps({'rc': p.returncode, 'wall': w, 'peak_kib': peak, 'out': p.stdout, "
            "'err': p.stderr[-400:]}))\n"
        ),
        *command,
    ]
    done = subprocess.run(wrapper, capture_output=True, text=True, check=True, env=env)
    info = json.loads(done.stdout)
    if info["rc"] != 0:
        raise SystemExit(f"{label}: exit {info['rc']}: {info['err'].strip()}")
    return Measure(
        label,
        people,
        runs,
        info["wall"],
        info["peak_kib"] / 1024,
        _fraction(info["out"]),
        info["out"],
    )


def _fraction(out: str) -> float | None:
    try:
        doc = json.loads(out)
    except json.JSONDecodeError:
        return None
    if "everyone" in doc:
        return float(doc["everyone"]["p_exposed"])
    return doc.get("exposed_fraction")


def exposure(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulator", *args]


def reference(model: str, people: int) -> list[str]:
    return [sys.executable, str(HERE / "reference_models.py"), model, "--people", str(people)]


def startup_lines(repeat: int) -> list[str]:
    """The start-up table: each command's median whole-process wall time beside its target."""
    lines = ["| command | wall s | target s | peak MiB |", "|---|---:|---:|---:|"]
    for args, target, kept in STARTUP:
        label = " ".join(["exposure", *args])
        env = None if kept else {**os.environ, "EXPOSURE_CACHE": "off"}
        _measure_once(label, exposure(*args), 0, env=env)  # warms the file cache; not counted
        m = measure(label, exposure(*args), 0, repeat=repeat, env=env)
        mark = "" if target is None else f"{target:.1f}" + (" ✓" if m.wall_s <= target else " ✗")
        shown = f"`{label}`" + ("" if kept else ", nothing kept yet")
        lines.append(f"| {shown} | {m.wall_s:.2f} | {mark} | {m.peak_mib:.0f} |")
    return lines


def _met(value: float, target: float, at_least: bool = False) -> str:
    return "✓" if (value >= target if at_least else value <= target) else "✗"


def live_lines(repeat: int, tmp: Path) -> list[str]:
    """The commands run live in front of a room, and the objective checks, beside their targets."""
    lines = []
    for args, target in LIVE:
        args = [a.replace("{tmp}", str(tmp)) for a in args]
        label = " ".join(["exposure", *args]).replace(str(tmp) + "/", "")
        m = measure(label, exposure(*args), 0, repeat=repeat)
        lines.append(
            f"| `{label}` | {m.wall_s:.2f} s, {m.peak_mib:.0f} MiB | ≤ {target} s | "
            f"{_met(m.wall_s, target)} |"
        )
    files = sorted(str(f) for f in (HERE.parent / "scenarios").glob("*.yaml"))
    m = measure("validate", exposure("validate", "--check-objectives", *files), 0, repeat=repeat)
    lines.append(
        f"| `exposure validate --check-objectives scenarios/*.yaml` | {m.wall_s:.2f} s, "
        f"{m.peak_mib:.0f} MiB | ≤ {VALIDATE_TARGET} s | {_met(m.wall_s, VALIDATE_TARGET)} |"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="only the small sizes")
    parser.add_argument("--output", type=Path, help="also write the Markdown table to this file")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="measure each Exposure command this many times; report the median",
    )
    parser.add_argument(
        "--startup-repeat",
        type=int,
        default=5,
        help="measure each start-up row this many times; report the median",
    )
    parser.add_argument(
        "--startup-only", action="store_true", help="only the start-up rows (a few seconds)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="exposure-bench-cache-") as kept:
        os.environ["EXPOSURE_CACHE"] = kept
        _main(args)


def _main(args: argparse.Namespace) -> None:
    startup = startup_lines(args.startup_repeat)
    if args.startup_only:
        text = "\n".join(startup) + "\n"
        print(text)
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        return

    def cascade(n: int) -> Measure:
        command = ["run", "reference-cascade", "--people", str(n), "--runs", "1"]
        command += ["--format", "json"]
        return measure("exposure reference-cascade", exposure(*command), n, repeat=args.repeat)

    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    rows: list[Measure] = [cascade(n) for n in sizes]
    rows.append(measure("numpy day loop", reference("numpy", sizes[-1]), sizes[-1]))
    rows.append(measure("numpy event-driven", reference("events", sizes[-1]), sizes[-1]))
    # Exposure and the event-driven reference at the sizes with targets, side by side.
    large: list[tuple[Measure, Measure, float, float]] = []
    for n, seconds, mib in [] if args.quick else LARGE_TARGETS:
        if n not in sizes:
            rows.append(cascade(n))
            rows.append(measure("numpy event-driven", reference("events", n), n))
        ours = next(r for r in rows if r.label.startswith("exposure") and r.people == n)
        events = next(r for r in rows if r.label == "numpy event-driven" and r.people == n)
        large.append((ours, events, seconds, mib))
    rows.append(measure("EoN event-driven SIR", reference("eon", 10_000), 10_000))
    for n in [10_000] if args.quick else [10_000, 100_000]:
        rows.append(measure("Mesa, one agent per person", reference("mesa", n), n))

    # The cost of each extra run at 100,000 people: (3 runs - 1 run) / 2, build and simulation.
    one = next(r for r in rows if r.label.startswith("exposure") and r.people == 100_000)
    three = measure(
        "exposure reference-cascade x3",
        exposure(
            "run", "reference-cascade", "--people", "100000", "--runs", "3", "--format", "json"
        ),
        100_000,
        3,
        repeat=args.repeat,
    )
    extra_run = (three.wall_s - one.wall_s) / 2

    scenario_rows = []
    if not args.quick:
        scenario_rows.append(
            measure(
                "exposure run city --runs 1",
                exposure("run", "city", "--runs", "1", "--format", "json"),
                1_000_000,
            )
        )
    w1 = measure(
        "border-phone --runs 1000 --workers 1",
        exposure("run", "border-phone", "--runs", "1000", "--workers", "1", "--format", "json"),
        3000,
        1000,
        repeat=args.repeat,
    )
    w2 = measure(
        "border-phone --runs 1000 --workers 2",
        exposure("run", "border-phone", "--runs", "1000", "--workers", "2", "--format", "json"),
        3000,
        1000,
        repeat=args.repeat,
    )
    scenario_rows += [w1, w2]
    same = _strip_timing(w1.output) == _strip_timing(w2.output)

    lines = [
        "| implementation | people | wall s | peak MiB | people-days/s | exposed fraction |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in [*rows, three]:
        lines.append(
            f"| {r.label} | {r.people:,} | {r.wall_s:.2f} | {r.peak_mib:.0f} | "
            f"{r.people_days_per_s:.3g} | "
            f"{'' if r.fraction is None else f'{r.fraction:.4f}'} |"
        )
    lines += ["", *startup]
    with tempfile.TemporaryDirectory(prefix="exposure-bench-") as folder:
        scratch = Path(folder)
        live = live_lines(args.repeat, scratch)
    mesa_big = [r for r in rows if r.label.startswith("Mesa")][-1]
    mesa_per_100k = mesa_big.wall_s * 100_000 / mesa_big.people
    seconds, ratio = EXTRA_RUN_TARGET
    cheaper = mesa_per_100k / max(extra_run, 1e-9)
    lines += [
        "",
        "| target | now | target | met |",
        "|---|---|---|:-:|",
        *live,
        f"| extra run of reference-cascade at 100,000 people | {extra_run * 1000:.0f} ms "
        f"({cheaper:.0f}× cheaper than Mesa's) | ≤ {seconds * 1000:.0f} ms (≥ {ratio:.0f}×) | "
        f"{_met(extra_run, seconds)}{_met(cheaper, ratio, at_least=True)} |",
    ]
    for ours, events, target_s, target_mib in large:
        beside = f"; event-driven numpy {events.wall_s:.2f} s, {events.peak_mib:.0f} MiB"
        lines.append(
            f"| reference-cascade at {ours.people:,} people | {ours.wall_s:.2f} s, "
            f"{ours.peak_mib:.0f} MiB{beside} | ≤ {target_s} s, ≤ {target_mib:.0f} MiB | "
            f"{_met(ours.wall_s, target_s)}{_met(ours.peak_mib, target_mib)} |"
        )
    lines += ["", "| scenario command | wall s | peak MiB |", "|---|---:|---:|"]
    for r in scenario_rows:
        lines.append(f"| `{r.label}` | {r.wall_s:.2f} | {r.peak_mib:.0f} |")

    ours_same = next(
        r for r in rows if r.label.startswith("exposure") and r.people == mesa_big.people
    )
    top = next(r for r in rows if r.label.startswith("exposure") and r.people == sizes[-1])
    close = top.fraction is not None and abs(top.fraction - REFERENCE) <= 0.005
    lines += [
        "",
        f"- Exposure vs Mesa at {mesa_big.people:,} people, whole process: "
        f"{mesa_big.wall_s / ours_same.wall_s:.0f}x faster.",
        f"- Each extra run at 100,000 people costs {extra_run:.2f} s; Mesa's run at "
        f"{mesa_big.people:,} people costs "
        f"{mesa_big.wall_s * 100_000 / mesa_big.people:.1f} s per 100,000 people "
        f"({mesa_big.wall_s * 100_000 / mesa_big.people / max(extra_run, 1e-9):.0f}x).",
        f"- `--workers 2` vs `--workers 1` on border-phone x1000: {w1.wall_s / w2.wall_s:.2f}x "
        f"faster; identical JSON apart from timing: {same}.",
        f"- Exposed fraction at {top.people:,} people: {top.fraction:.4f} (formula {REFERENCE}; "
        f"{'within' if close else 'NOT within'} 0.005).",
    ]
    for r in rows:
        if r.fraction is not None and abs(r.fraction - REFERENCE) > (
            0.005 if r.people >= 1_000_000 else 0.02
        ):
            lines.append(f"- WARNING: {r.label} at {r.people:,} disagrees: {r.fraction:.4f}")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")


def _strip_timing(out: str) -> dict:
    doc = json.loads(out)
    doc.pop("timing", None)
    return doc


if __name__ == "__main__":
    main()
