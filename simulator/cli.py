"""The command line: parse, call the core, render; exit codes. Nothing else lives here."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import stat
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from simulator import __version__
from simulator.budget import SLOW_SECONDS, check_variants, duration, limits, smaller_values
from simulator.clicktext import speak_through_click
from simulator.errors import ExitCode, ExposureError, SealError, UsageError, name_subjects
from simulator.files import remove_temporaries
from simulator.i18n import (
    ENGLISH,
    LANGUAGES,
    LanguageError,
    _,
    choose,
    environment_problem,
    in_language,
    speaking,
)
from simulator.interrupts import (
    ENDING_SIGNALS,
    end_promptly_on_signals,
    exit_code,
    signal_of,
    unwinding,
)
from simulator.report.output import (
    SEALED_SUFFIX,
    Output,
    check_new_file,
    sealed_name,
    write_result,
)
from simulator.scenario import (
    DEFAULT_SCENARIO,
    LoadedScenario,
    bundled_names,
    check_countermeasures,
    check_exercise,
    listing,
    load,
    unranged_estimates,
    untranslated_texts,
)
from simulator.seal import (
    MAGIC,
    Passphrase,
    is_sealed,
    is_short,
    open_file,
    seal_stream,
    unseal_stream,
)

if TYPE_CHECKING:  # the tabletop is imported by the command that plays it
    from simulator.teaching.exercise import Saved

# As many teams as a scenario's `exercise.teams` may list (simulator.scenario.model.MAX_TEAMS).
MAX_TEAMS = 6

speak_through_click()
# Every command imports what it uses when it runs: `exposure list` and `exposure show` start in a
# fraction of the time the whole program takes to import (numpy, the engine, rich's tables,
# Jinja2, cryptography). tests/test_startup.py holds them to it.

FORMATS = ("table", "json", "csv", "md")
STORY_FORMATS = ("text", "md", "json")

# The core says what a message is about in its own words (ExposureError.subject); here each
# subject is called by the flag that gives it, so the user reads the flag they typed.
FLAGS = {
    "role": "--role",
    "person": "--person",
    "countermeasure": "--countermeasure",
    "countermeasures": "--countermeasure",
    "day": "--day",
    "seed": "--seed",
    "origin": "--from",
    "vary": "--vary",
    "samples": "--samples",
    "max_size": "--max-size",
    "budget": "--budget",
    "force": "--force",
    "runs": "--runs",
    "days": "--days",
    "set": "--set",
    "people": "--people",
    "workers": "--workers",
    "max_memory": "--max-memory",
    "lang": "--lang",
    "max_time": "--max-time",
    "scheduler": "--scheduler",
    "batch_timeout": "--batch-timeout",
    "allow_network_plaintext": "--allow-network-plaintext",
    "uncertainty": "--uncertainty",
    "sets": "--sets",
    "seal": "--seal",
}


def _emit(text: str, target: Output | None, sealing: Passphrase | None = None) -> None:
    """Results go to stdout, or whole to a file (sealed with --seal), said in one line."""
    if target is None or target.to_stdout:
        click.echo(text, nl=False)
    else:
        click.echo(target.write(text, sealing).line(), err=True)


def _destination(output: str | None, seal: bool = False) -> Output | None:
    """Where a result goes (None: stdout), checked before any work under the output contract."""
    if seal and not output:
        raise UsageError(_("--seal: a sealed result is written to a file; add --output FILE"))
    if output is None:
        return None
    target = Output(sealed_name(output) if seal else output, force=_force(), sealed=seal)
    target.check()
    return target


_FORCE = "exposure.force"


def _keep_force(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_FORCE] = True


def _force() -> bool:
    """Whether this command was given --force."""
    return bool(click.get_current_context().meta.get(_FORCE))


_PASSPHRASE_FILE = "exposure.passphrase_file"
_PASSPHRASE = "exposure.passphrase"


# The parameter is part of Click's callback signature; this callback has no use for it.
def _keep_passphrase_file(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        # Checked now, even if no sealed file needs it: a FIFO given by mistake would block.
        with contextlib.suppress(OSError):
            if not stat.S_ISREG(os.stat(value).st_mode):
                raise click.BadParameter(
                    f"{value}: is not a regular file (a FIFO, device, socket or folder)"
                )
        ctx.meta[_PASSPHRASE_FILE] = value


# Not passed to the command function, so any command can take it without a new parameter.
passphrase_option = click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False),
    default=None,
    expose_value=False,
    callback=_keep_passphrase_file,
    help=(
        "Read the passphrase of sealed files from this file "
        "(else EXPOSURE_PASSPHRASE, else a prompt)."
    ),
)
seal_option = click.option(
    "--seal", is_flag=True, help="Seal the output file with a passphrase (see `exposure seal`)."
)
# Every command takes it, and none sees it: _run_guarded finds it among the arguments, so that it
# also covers a failure before the command starts.
traceback_option = click.option(
    "--traceback",
    is_flag=True,
    expose_value=False,
    help="Show the full traceback of an internal error.",
)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _prompt_passphrase(confirm: bool) -> str:
    try:
        text: str = click.prompt(
            _("Passphrase"),
            hide_input=True,
            err=True,
            confirmation_prompt=_("Repeat the passphrase") if confirm else False,
        )
    except UnicodeDecodeError:
        raise SealError(_("the passphrase typed is not UTF-8 text")) from None
    return text


def _passphrase() -> Passphrase:
    """This command's passphrase: --passphrase-file, EXPOSURE_PASSPHRASE, or asked on a terminal."""
    meta = click.get_current_context().meta
    if _PASSPHRASE not in meta:
        meta[_PASSPHRASE] = Passphrase(
            file=meta.get(_PASSPHRASE_FILE),
            prompt=_prompt_passphrase if _stdin_is_terminal() else None,
        )
    found: Passphrase = meta[_PASSPHRASE]
    return found


def _sealing_passphrase() -> Passphrase:
    """The passphrase to seal with, asked (twice) now rather than after the work is done."""
    passphrase = _passphrase()
    if is_short(passphrase.get(confirm=True)):
        click.echo(
            _(
                "warning: a short passphrase is easy to guess for whoever holds the sealed file; "
                "several random words are stronger"
            ),
            err=True,
        )
    return passphrase


def _sealing(seal: bool) -> Passphrase | None:
    """The passphrase for --seal, or None."""
    return _sealing_passphrase() if seal else None


# Numbers on the command line are short: a size or duration of 400 digits is a mistake, not a
# request to read (and float() would make it infinite).
_SIZE = r"\s*(\d{1,15}(?:\.\d{1,6})?)\s*([kmgt]?)(?:i?b)?\s*"
_DURATION = r"\s*(\d{1,15}(?:\.\d{1,6})?)\s*([smhd]?)\s*"
_MAX_SIZE = 1024**5
_MAX_DURATION = 100 * 365 * 86400.0


class _WholeNumber(click.IntRange):
    """A whole number in ASCII digits, within a range (int() would also read '٣' and '²')."""

    name = "integer"
    expected = "a whole number in digits 0-9"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not re.fullmatch(r"\s*[-+]?[0-9]{1,30}\s*", value):
            self.fail(f"expected {self.expected} (got {value[:40]!r})", param, ctx)
        return super().convert(value, param, ctx)


class _Size(click.ParamType):
    """A memory size: 2G, 512M, 1.5GiB, or bytes."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        found = re.fullmatch(_SIZE, str(value), re.IGNORECASE | re.ASCII)
        if not found or float(found[1]) <= 0:
            self.fail(f"expected a size such as 2G or 512M (got {str(value)[:40]!r})", param, ctx)
        size = int(float(found[1]) * 1024 ** " KMGT".index(found[2].upper() or " "))
        if size > _MAX_SIZE:
            self.fail(f"at most {_MAX_SIZE // 1024**5} PiB (got {str(value)[:40]!r})", param, ctx)
        return size


_SECONDS_PER = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class _Duration(click.ParamType):
    """A duration: 90s, 30m, 12h, 2d, or seconds."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        found = re.fullmatch(_DURATION, str(value), re.IGNORECASE | re.ASCII)
        if not found or float(found[1]) <= 0:
            self.fail(
                f"expected a duration such as 30m, 12h or 2d (got {str(value)[:40]!r})", param, ctx
            )
        seconds = float(found[1]) * _SECONDS_PER[found[2].lower()]
        if seconds > _MAX_DURATION:
            self.fail(f"at most 100 years (got {str(value)[:40]!r})", param, ctx)
        return seconds


class _Address(click.ParamType):
    """A Dask scheduler's address: tcp://HOST:PORT or tls://HOST:PORT."""

    name = "address"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        found = re.fullmatch(
            r"(tcp|tls)://([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):(\d{1,5})", text
        )
        if not found or not 1 <= int(found[3]) <= 65535:
            self.fail(
                f"expected tcp://HOST:PORT or tls://HOST:PORT (got {text[:80]!r})", param, ctx
            )
        return text


_MAX_MEMORY = "exposure.max_memory"
_LANG_GIVEN = "exposure.lang"
_MAX_TIME = "exposure.max_time"
_BATCH_TIMEOUT = "exposure.batch_timeout"


def _keep_in_meta(key: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def keep(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value is not None:
            ctx.meta[key] = value

    return keep


def limit_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--max-memory and --max-time: the limits every simulation of the command is checked against.

    The command does not see them: _ExposureCommand holds them while it runs (budget.limits).
    """
    func = click.option(
        "--max-time",
        type=_Duration(),
        default=None,
        metavar="DURATION",
        expose_value=False,
        callback=_keep_in_meta(_MAX_TIME),
        help="Refuse work estimated to take longer (default 1h), e.g. 12h or 2d.",
    )(func)
    return click.option(
        "--max-memory",
        type=_Size(),
        default=None,
        metavar="SIZE",
        expose_value=False,
        callback=_keep_in_meta(_MAX_MEMORY),
        help="Refuse work estimated to need more memory (default: 80% of what is free), e.g. 2G.",
    )(func)


def _choose_language(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """--lang CODE: speak this language from now on."""
    if value is not None:
        ctx.meta[_LANG_GIVEN] = value
        try:
            choose(value)
        except LanguageError as exc:
            raise UsageError(str(exc), subject="lang") from None


def lang_option() -> click.Option:
    """--lang CODE, taken by the group and by every command alike."""
    return click.Option(
        ["--lang"],
        metavar="CODE",
        expose_value=False,
        is_eager=True,
        callback=_choose_language,
        help="Language of the output: "
        + ", ".join(f"{c} ({n})" for c, n in LANGUAGES.items())
        + ". Default: EXPOSURE_LANG, then the locale (LANGUAGE, LC_ALL, LANG), then English.",
    )


class _ExposureCommand(click.Command):
    """A command whose simulations are all checked against its --max-memory and --max-time, and
    that speaks the language --lang or the environment asks for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(lang_option())

    def invoke(self, ctx: click.Context) -> Any:
        problem = environment_problem()
        if problem is not None and ctx.meta.get(_LANG_GIVEN) is None:
            raise UsageError(problem)
        with limits(
            ctx.meta.get(_MAX_MEMORY), ctx.meta.get(_MAX_TIME), ctx.meta.get(_BATCH_TIMEOUT)
        ):
            try:
                return super().invoke(ctx)
            except BrokenPipeError:
                # Told apart from other failures before click, which ends such a command with
                # code 1 and no word.
                raise _ReaderGone() from None


class _ReaderGone(Exception):
    """The reader of standard output went away (`| head`)."""


def check_limits(scenario: Any, runs: int, workers: int) -> None:
    """Refuse work that would not fit in memory or time; warn when it will take long."""
    seconds = check_variants([scenario], runs, workers)
    if seconds > SLOW_SECONDS:
        click.echo(
            _("This may take about {time}; {flags} would be quicker.").format(
                time=duration(seconds),
                flags=name_subjects(
                    smaller_values(scenario, runs, seconds, SLOW_SECONDS / 10), FLAGS
                ),
            ),
            err=True,
        )


class _Progress:
    """A progress bar on stderr, shown only on a terminal and only after the first second."""

    def __init__(self, total: float, label: str):
        self.total = total
        self.label = label
        self.done = 0.0
        self.started = time.monotonic()
        self.bar: Any = None
        self.task: Any = None
        self.enabled = sys.stderr.isatty()

    def advance(self, amount: float) -> None:
        self.done += amount
        self.total = max(self.total, self.done)
        if not self.enabled:
            return
        if self.bar is None and time.monotonic() - self.started > 1.0:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=self.total)
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


# Each option is declared once below; where commands differ (a help text, a range, a required
# output), the difference is a parameter.
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def combine(*decorators: Decorator) -> Decorator:
    """Several options as one decorator, in the order --help lists them."""

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def seed_option(
    *, help: str = "Seed of every random stream.", default: int | None = 1
) -> Decorator:
    """--seed: the one number every random stream is drawn from."""
    return click.option(
        "--seed",
        type=_WholeNumber(0, 2**63 - 1),
        default=default,
        show_default=default is not None,
        help=help,
    )


def runs_option(
    *,
    help: str = "Number of simulated runs (default: the scenario's).",
    at_least: int = 1,
    at_most: int = 1_000_000,
    default: int | None = None,
) -> Decorator:
    """--runs: how many times to simulate."""
    return click.option(
        "--runs",
        type=_WholeNumber(at_least, at_most),
        default=default,
        show_default=default is not None,
        help=help,
    )


def days_option(*, help: str = "Days to simulate (default: the scenario's).") -> Decorator:
    """--days: the length of the simulated time."""
    return click.option("--days", type=_WholeNumber(1, 3650), default=None, help=help)


class _Workers(_WholeNumber):
    """A number of worker processes, or `auto`: one per core when the work is worth it."""

    name = "integer|auto"
    expected = "a whole number in digits 0-9, or auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.strip().lower() == "auto":
            from simulator.budget import AUTO

            return AUTO
        return super().convert(value, param, ctx)


def workers_option(
    *,
    help: str = "Parallel processes (auto: one per core when the work is large enough); "
    "results do not depend on it.",
) -> Decorator:
    """--workers: processes to share the runs between."""
    return click.option(
        "--workers", type=_Workers(1, 256), default="auto", show_default=True, help=help
    )


def people_option() -> Decorator:
    """--people: rescale the scenario's units."""
    return click.option(
        "--people",
        type=_WholeNumber(1, 10**12),
        default=None,
        help="Rescale the units to about this many people.",
    )


def set_option(
    *,
    help: str = "Override a scenario value, e.g. activities.call_abroad.minutes=2.",
) -> Decorator:
    """--set KEY=VALUE, repeatable: patches of the scenario, passed on as `overrides`."""
    return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=help)


def countermeasure_option(*, help: str = "Apply a countermeasure (repeatable).") -> Decorator:
    """--countermeasure NAME, repeatable, passed on as `countermeasures`."""
    return click.option(
        "--countermeasure", "countermeasures", multiple=True, metavar="NAME", help=help
    )


def format_option(choices: Sequence[str], *, help: str = "Format of the result.") -> Decorator:
    """--format, passed on as `fmt`; the first choice is the default."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help=help,
    )


def output_option(
    *,
    help: str = "Write the result to this file instead of stdout.",
    required: bool = False,
) -> Decorator:
    """--output/-o FILE: where the result goes."""
    path = click.Path(dir_okay=False, allow_dash=True)
    if required:
        # No default here: Click takes even a default of None as given, and would not ask for it.
        return click.option("--output", "-o", type=path, required=True, help=help)
    return click.option("--output", "-o", type=path, default=None, help=help)


def force_option(
    *, help: str = "Replace the output file if it exists (a sealed one only by a sealed one)."
) -> Decorator:
    """--force: replace a file that exists; read by `_force`, so no command takes a parameter."""
    return click.option(
        "--force", is_flag=True, expose_value=False, callback=_keep_force, help=help
    )


def _keep_wide(_ctx: click.Context, _param: click.Parameter, wide: bool) -> None:
    from simulator.report.grid import NARROW, WIDE, set_table_width

    set_table_width(WIDE if wide else NARROW)


wide_option = click.option(
    "--wide",
    is_flag=True,
    expose_value=False,
    callback=_keep_wide,
    help="Lay tables out for 120 columns instead of 80.",
)


def role_option(*, help: str) -> Decorator:
    """--role: whose exposure a result is about."""
    return click.option("--role", default=None, help=help)


def person_option(*, help: str, metavar: str) -> Decorator:
    """--person: one person, named by role."""
    return click.option("--person", default=None, metavar=metavar, help=help)


# The scenario and its simulation, as run, compare, sweep and report take them.
_simulation_options = combine(
    runs_option(), days_option(), seed_option(), workers_option(), people_option(), set_option()
)
_common_run_options = combine(
    _simulation_options,
    countermeasure_option(),
    format_option(FORMATS),
    output_option(help="Write the result to this file (- for stdout) instead of stdout."),
    force_option(),
    wide_option,
    traceback_option,
    passphrase_option,
)


def prepare(
    spec: str,
    overrides: Sequence[str],
    countermeasures: Sequence[str],
    days: int | None,
    people: int | None,
) -> LoadedScenario:
    """Load a scenario (sealed or not) with its patches and the --days and --people adjustments."""
    return load(
        spec,
        overrides=list(overrides),
        countermeasures=list(countermeasures),
        days=days,
        people=people,
        passphrase=_passphrase(),
    )


class _ExposureGroup(click.Group):
    """A click group whose every failure is one line and a named exit code, under CliRunner too."""

    command_class = _ExposureCommand

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **_click: Any
    ) -> Any:
        # Click's own settings (standalone_mode and the rest) are taken and left unused: every
        # failure is handled by _run_guarded, whoever calls.
        argv = list(sys.argv[1:] if args is None else args)
        sys.exit(_run_guarded(self, argv, prog_name or "exposure"))


@click.group(
    cls=_ExposureGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="exposure")
@click.option(
    "--lang",
    metavar="CODE",
    expose_value=False,
    is_eager=True,
    callback=_choose_language,
    help="Language of the output, for every command (see any command's --help).",
)
def cli() -> None:
    """Exposure: simulate how people get exposed under surveillance,
    and which habits protect them."""


@cli.command("list")
@traceback_option
def list_cmd() -> None:
    """List the bundled scenarios; those marked * have a tabletop exercise."""
    playable = False
    for name in bundled_names():
        data, has_exercise = listing(name)
        base = str(data.get("language") or ENGLISH)
        title = in_language(data.get("title", ""), base)
        place = in_language(data.get("place") or "", base)
        mark = "*" if has_exercise else " "
        playable |= mark == "*"
        click.echo(f"{name:<22}{mark} {title}" + (f" ({place})" if place else ""))
    if playable:
        click.echo(_("* has a tabletop exercise: exposure exercise NAME"))


@cli.command()
@click.argument("scenario", default=DEFAULT_SCENARIO)
@countermeasure_option()
@set_option()
@passphrase_option
@click.option(
    "--technical",
    is_flag=True,
    help="Also give what a scenario's author needs: internal names, formulas, weights and "
    "parameters by their keys.",
)
@wide_option
@traceback_option
def show(
    scenario: str, countermeasures: tuple[str, ...], overrides: tuple[str, ...], technical: bool
) -> None:
    """Describe a scenario in plain words."""
    from simulator.report.describe import describe
    from simulator.report.grid import wrapped
    from simulator.report.words import variant_words

    loaded = load(
        scenario,
        overrides=list(overrides),
        countermeasures=list(countermeasures),
        passphrase=_passphrase(),
    )
    text = describe(loaded.scenario, loaded.ranges, technical)
    what = variant_words(
        loaded.scenario, loaded.patches.countermeasures, list(loaded.patches.overrides)
    )
    if what:  # say so before any figure: every one of them includes the change
        head, rule, rest = text.split("\n", 2)
        note = _("Shown {what}: every figure below includes this change.").format(what=what)
        text = f"{head}\n{rule}\n\n{note}\n{rest}"
    click.echo("\n".join(wrapped(text.splitlines())) + "\n", nl=False)


def scheduler_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--scheduler ADDRESS, --batch-timeout and --allow-network-plaintext: run the batches on a
    Dask cluster."""
    func = click.option(
        "--batch-timeout",
        type=_Duration(),
        default=None,
        metavar="DURATION",
        expose_value=False,
        callback=_keep_in_meta(_BATCH_TIMEOUT),
        help="With --scheduler: give up on a batch the cluster has not returned by then "
        "(default 10m).",
    )(func)
    func = click.option(
        "--allow-network-plaintext",
        is_flag=True,
        help="Let --scheduler send a sealed scenario's text, in clear, to the cluster.",
    )(func)
    return click.option(
        "--scheduler",
        type=_Address(),
        default=None,
        metavar="ADDRESS",
        help=(
            "Run on a Dask cluster, tcp://HOST:PORT or tls://HOST:PORT "
            "(extra exposure-sim[cluster])."
        ),
    )(func)


def _refuse_plaintext(
    spec: str, loaded: LoadedScenario, scheduler: str | None, allow: bool
) -> None:
    """A sealed scenario goes to a Dask cluster only if the user accepts that it goes in clear."""
    if scheduler is not None and loaded.sealed and not allow:
        raise UsageError(
            _("{spec}: is sealed, and a Dask cluster receives the scenario's text in clear").format(
                spec=spec
            ),
            subject="scheduler",
            advice=_("; run without {scheduler}, or accept this with {allow_network_plaintext}"),
        )


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--check-objectives",
    is_flag=True,
    help="Also simulate each scenario and check the claims of its learning objectives.",
)
@click.option(
    "--robust",
    is_flag=True,
    help="Check the claims across the sourced ranges too: holds, holds only when, or not.",
)
@click.option(
    "--sets",
    type=_WholeNumber(1, 1000),
    default=None,
    metavar="N",
    help="Latin hypercube parameter sets per claim for --robust (default 16).",
)
@runs_option(help="Runs for the claims (default: the scenario's).")
@seed_option(help="Seed for the claims.")
@workers_option(
    help="Parallel processes for the claims (auto: one per core when the work is large enough)."
)
@scheduler_options
@passphrase_option
@wide_option
@traceback_option
@limit_options
def validate(
    files: tuple[str, ...],
    check_objectives: bool,
    robust: bool,
    sets: int | None,
    runs: int | None,
    seed: int,
    workers: int,
    scheduler: str | None,
    allow_network_plaintext: bool,
) -> None:
    """Check scenario files, reporting every problem at once
    (and, if asked, their objectives' claims)."""
    if sets is not None and not robust:
        raise UsageError(_("--sets only applies with --robust"))
    if scheduler is not None and not robust:
        raise UsageError(_("--scheduler only applies with --robust"))
    check_objectives = check_objectives or robust

    def problems_of(spec: str) -> list[str]:
        try:
            loaded = load(spec, passphrase=_passphrase())
            found = list(
                dict.fromkeys(
                    str(p) for p in [*check_countermeasures(loaded), *check_exercise(loaded)]
                )
            )
            for key, source in unranged_estimates(loaded):
                click.echo(
                    _(
                        "warning: {file}: {key} is an estimate without a range (source {source})"
                    ).format(file=spec, key=key, source=source),
                    err=True,
                )
            for problem in untranslated_texts(loaded):
                click.echo(_("warning: {problem}").format(problem=problem), err=True)
            _note_several_keys(loaded, spec)
            if not found and not check_objectives:
                # Checking the objectives refuses such a countermeasure, at the same line.
                _warn_over_budget(loaded, spec, runs, workers)
            if not found and robust:
                _refuse_plaintext(spec, loaded, scheduler, allow_network_plaintext)
                found = _check_robust(loaded, spec, runs, sets, seed, workers, scheduler)
            elif not found and check_objectives:
                found = _check_objectives(loaded, spec, runs, seed, workers)
        except ExposureError as exc:
            found = exc.lines(FLAGS)
        return found

    problems: list[str] = []
    # Every file's claims are simulated on the same worker processes (see kept_workers).
    keep: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if check_objectives and workers != 1:
        from simulator.runner import kept_workers

        keep = kept_workers()
    with keep:
        for spec in files:
            found = problems_of(spec)
            if found:
                problems.extend(found)
            elif not check_objectives:
                click.echo(_("{file}: ok").format(file=spec))
    if problems:
        raise _Reported(problems)


def _note_several_keys(loaded: LoadedScenario, spec: str) -> None:
    """Note each countermeasure that changes several keys without saying why they are one change.

    A second key is often a side effect assumed inside the countermeasure (twice the visits), or a
    second habit; either way its effect is credited to the countermeasure. The file stays valid.
    """
    for name, cm in loaded.scenario.countermeasures.items():
        keys = cm.changed_keys
        if len(keys) > 1 and cm.one_change is None:
            click.echo(
                _(
                    "note: {file}: countermeasure {name} changes {n} keys ({keys}); a "
                    "countermeasure is one change of habit: give a side effect or a second habit "
                    "its own parameter or countermeasure, or say in `one_change` why they are one"
                ).format(file=spec, name=name, n=len(keys), keys=", ".join(keys)),
                err=True,
            )


def _warn_over_budget(loaded: LoadedScenario, spec: str, runs: int | None, workers: int) -> None:
    """Warn of a countermeasure whose comparison with the baseline would be refused here, at the
    line that defines it: the file is valid, but compare, report and the rest would refuse it."""
    from simulator.analysis.compare import check_countermeasures_fit
    from simulator.scenario import variant

    n_runs = runs if runs is not None else loaded.scenario.runs
    for name in loaded.scenario.countermeasures:
        changed = variant(loaded, countermeasures=[name])
        try:
            check_countermeasures_fit(loaded, [([name], changed)], n_runs, workers)
        except ExposureError as exc:
            click.echo(_("warning: {problem}").format(problem=exc.lines(FLAGS)[0]), err=True)


def _check_objectives(
    loaded: LoadedScenario, spec: str, runs: int | None, seed: int, workers: int
) -> list[str]:
    """Simulate a scenario's claims and print them; returns a problem line if any does not hold."""
    from simulator.analysis.objectives import ObjectiveChecker, has_claims
    from simulator.report.objectives import render_check

    progress = _Progress(1, _("Checking objectives"))
    checker = ObjectiveChecker(
        loaded, runs=runs, seed=seed, workers=workers, on_progress=progress.advance
    )
    if not has_claims(checker.loaded.scenario):
        click.echo(
            _("{file}: ok; no learning objective has an `expect` clause to check").format(file=spec)
        )
        return []
    progress.total = checker.runs * checker.variant_count()
    check_limits(checker.loaded.scenario, checker.runs * checker.variant_count(), workers)
    try:
        result = checker.check()
    finally:
        progress.close()
    return _claims_told(
        spec,
        len(result.findings) - result.holding,
        len(result.findings),
        render_check(result),
        _("{file}: {n} of {total} claims do not hold"),
    )


def _claims_told(spec: str, failing: int, total: int, rendered: str, problem: str) -> list[str]:
    """Print a scenario's checked claims; the problem line (`problem`, filled in) if any fails."""
    from simulator.report.grid import wrapped

    status = _("ok") if not failing else _("claims checked")
    click.echo(f"{spec}: {status}")
    click.echo("".join(line + "\n" for line in wrapped(rendered.splitlines())), nl=False)
    return [problem.format(file=spec, n=failing, total=total)] if failing else []


def _check_robust(
    loaded: LoadedScenario,
    spec: str,
    runs: int | None,
    sets: int | None,
    seed: int,
    workers: int,
    scheduler: str | None = None,
) -> list[str]:
    """Check a scenario's claims across its sourced ranges; a problem line if any fails."""
    from simulator.analysis.objectives import has_claims
    from simulator.analysis.robust import DEFAULT_SETS, RobustChecker
    from simulator.report.objectives import render_robust

    if not has_claims(loaded.scenario):
        click.echo(
            _("{file}: ok; no learning objective has an `expect` clause to check").format(file=spec)
        )
        return []
    progress = _Progress(1, _("Checking objectives across the ranges"))
    checker = RobustChecker(
        loaded,
        runs=runs,
        sets=sets or DEFAULT_SETS,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        on_progress=progress.advance,
    )
    estimate = checker.variant_estimate()
    progress.total = estimate
    # Every parameter set's summaries are held at once: count their runs, not the scenario's.
    check_limits(loaded.scenario, estimate, workers)
    try:
        result = checker.check()
    finally:
        progress.close()
    return _claims_told(
        spec,
        len(result.findings) - result.passing,
        len(result.findings),
        render_robust(result),
        _("{file}: {n} of {total} claims do not hold across the sourced ranges"),
    )


@cli.command("new")
@click.argument("name")
@click.option(
    "--from",
    "origin",
    default=None,
    metavar="SCENARIO",
    help="Start from this bundled scenario (default: a small template).",
)
@force_option(help="Overwrite NAME.yaml if it exists.")
@traceback_option
def new_cmd(name: str, origin: str | None) -> None:
    """Write NAME.yaml, a new scenario with every key explained, ready to edit."""
    from simulator.scenario.template import new_scenario

    path = Path(name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    text = new_scenario(path.name.rsplit(".", 1)[0], origin)
    target = Output(str(path), force=_force())
    target.check()
    target.write(text)
    click.echo(_("Wrote {file}; check it with `exposure validate {file}`.").format(file=path))


@cli.command("gallery")
@output_option(
    help="Write the page to this file (docs/scenarios.md in the repository) instead of stdout."
)
@force_option()
@traceback_option
def gallery_cmd(output: str | None) -> None:
    """Describe every bundled scenario on one Markdown page: story, roles, objectives, sources."""
    from simulator.report.gallery import render_gallery

    target = _destination(output)
    _emit(render_gallery(), target)


def uncertainty_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--uncertainty N: also simulate N parameter sets drawn over the sourced ranges."""
    return click.option(
        "--uncertainty",
        type=_WholeNumber(2, 1000),
        default=None,
        metavar="N",
        help="Also draw N parameter sets over the sourced ranges (Latin hypercube) and show "
        "each role's spread over them and chance.",
    )(func)


@cli.command()
@click.argument("scenario", default=DEFAULT_SCENARIO)
@_common_run_options
@uncertainty_option
@seal_option
@limit_options
def run(
    scenario: str,
    runs: int | None,
    days: int | None,
    seed: int,
    workers: int,
    people: int | None,
    overrides: tuple[str, ...],
    countermeasures: tuple[str, ...],
    fmt: str,
    output: str | None,
    uncertainty: int | None,
    seal: bool,
) -> None:
    """Simulate a scenario many times and show who is exposed, when and why."""
    from simulator import runner
    from simulator.analysis.results import aggregate
    from simulator.report.run import RENDERERS, RunInfo

    target = _destination(output, seal)
    sealing = _sealing(seal)
    loaded = prepare(scenario, overrides, countermeasures, days, people)
    s = loaded.scenario
    n_runs = runs if runs is not None else s.runs
    if uncertainty is not None:
        _run_uncertain(loaded, n_runs, seed, workers, uncertainty, fmt, target, sealing)
        return
    check_limits(s, n_runs, workers)
    started = time.perf_counter()
    progress = _Progress(n_runs, _("Simulating"))
    try:
        summaries = runner.simulate_runs(s, n_runs, seed, workers, on_progress=progress.advance)
    finally:
        progress.close()
    elapsed = time.perf_counter() - started
    results = aggregate(summaries, s)
    info = RunInfo(loaded=loaded, runs=n_runs, days=s.days, seed=seed, elapsed_s=elapsed)
    _emit(RENDERERS[fmt](results, info), target, sealing)


def _run_uncertain(
    loaded: LoadedScenario,
    n_runs: int,
    seed: int,
    workers: int,
    sets: int,
    fmt: str,
    target: Output | None,
    sealing: Passphrase | None,
) -> None:
    """`run --uncertainty N`: the file's values and N drawn parameter sets, in one simulation."""
    from simulator.analysis.uncertainty import no_ranges, run_uncertainty
    from simulator.report.run import RENDERERS, RunInfo

    if not loaded.ranges:
        raise no_ranges(loaded)
    # The file's values and every set are simulated together: budget for all of their runs.
    check_limits(loaded.scenario, n_runs * (sets + 1), workers)
    started = time.perf_counter()
    progress = _Progress(n_runs * (sets + 1), _("Simulating"))
    try:
        point, u = run_uncertainty(
            loaded, sets, runs=n_runs, seed=seed, workers=workers, on_progress=progress.advance
        )
    finally:
        progress.close()
    elapsed = time.perf_counter() - started
    info = RunInfo(
        loaded=loaded,
        runs=n_runs,
        days=loaded.scenario.days,
        seed=seed,
        elapsed_s=elapsed,
        uncertainty=u,
    )
    _emit(RENDERERS[fmt](point.results, info), target, sealing)


def _compared_over_ranges(
    comparer: Any,
    names: list[str],
    role: str,
    uncertainty: int | None,
    seed: int,
    workers: int,
    progress: _Progress,
    needs_names: bool = False,
) -> tuple[Any, Any]:
    """The paired comparison, and with --uncertainty N the same over N parameter sets drawn from
    the sourced ranges (budgeted before any work; `needs_names`: none without a countermeasure)."""
    from simulator.analysis.compare import compare as run_compare

    ranged = None
    if uncertainty is not None:
        from simulator.analysis.uncertainty import no_ranges, ranged_comparison

        if not comparer.base.ranges:
            raise no_ranges(comparer.base)
        # Every drawn set runs the baseline and each countermeasure: budget for all of them.
        drawn = comparer.runs * uncertainty * (1 + len(names))
        check_limits(comparer.base.scenario, drawn, workers)
        progress.total += drawn
    try:
        result = run_compare(comparer, names, role)
        if uncertainty is not None and (names or not needs_names):
            ranged = ranged_comparison(
                result, uncertainty, seed=seed, workers=workers, on_progress=progress.advance
            )
    finally:
        progress.close()
    return result, ranged


def _comparison(
    scenario: str,
    overrides: Sequence[str],
    countermeasures: Sequence[str],
    days: int | None,
    people: int | None,
    runs: int | None,
    seed: int,
    workers: int,
    role: str | None,
    progress: _Progress,
) -> tuple[Any, str, list[str]]:
    """The comparer of `compare` and `report`, the role to rank by, and what to compare."""
    from simulator.analysis.compare import Comparer
    from simulator.personas import role_named

    base = prepare(scenario, overrides, (), days, people)  # --countermeasure names what to compare
    comparer = Comparer(base, runs=runs, seed=seed, workers=workers, on_progress=progress.advance)
    chosen_role = role_named(comparer.base.scenario, role)
    names = list(countermeasures) or list(comparer.base.scenario.countermeasures)
    progress.total = comparer.runs * (1 + len(names))
    check_limits(comparer.base.scenario, comparer.runs, workers)
    return comparer, chosen_role, names


@cli.command()
@click.argument("scenario", default=DEFAULT_SCENARIO)
@_common_run_options
@role_option(help="Rank by this role's exposure (default: the first role at risk).")
@click.option("--combinations", is_flag=True, help="Also compare pairs of countermeasures.")
@uncertainty_option
@click.option(
    "--max-size",
    type=_WholeNumber(1, 10),
    default=None,
    help="Compare bundles of up to this many countermeasures.",
)
@click.option(
    "--budget",
    type=click.FloatRange(0, None),
    default=None,
    help="Find the bundle within this total effort that protects the role most.",
)
@seal_option
@limit_options
def compare(
    scenario: str,
    runs: int | None,
    days: int | None,
    seed: int,
    workers: int,
    people: int | None,
    overrides: tuple[str, ...],
    countermeasures: tuple[str, ...],
    fmt: str,
    output: str | None,
    role: str | None,
    combinations: bool,
    max_size: int | None,
    budget: float | None,
    uncertainty: int | None,
    seal: bool,
) -> None:
    """Compare countermeasures with the baseline on common random numbers, ranked by benefit."""
    from simulator.analysis.compare import compare as run_compare
    from simulator.report.compare import RENDERERS as COMPARE_RENDERERS

    target = _destination(output, seal)
    sealing = _sealing(seal)
    progress = _Progress(1, _("Comparing"))
    comparer, chosen_role, names = _comparison(
        scenario, overrides, countermeasures, days, people, runs, seed, workers, role, progress
    )
    if not names:
        raise UsageError(
            _("{scenario}: the scenario defines no countermeasures to compare").format(
                scenario=scenario
            )
        )
    size = max_size if max_size is not None else (2 if combinations else 1)
    if uncertainty is not None:
        from simulator.analysis.uncertainty import no_ranges

        if not comparer.base.ranges:
            raise no_ranges(comparer.base)
        # Every drawn set runs the baseline and each countermeasure: budget for all of them.
        check_limits(
            comparer.base.scenario, comparer.runs * uncertainty * (1 + len(names)), workers
        )
        progress.total += comparer.runs * uncertainty * (1 + len(names))
    started = time.perf_counter()
    try:
        result = run_compare(comparer, names, chosen_role, max_size=size, budget=budget)
        if uncertainty is not None:
            from simulator.analysis.uncertainty import compare_uncertainty

            result.uncertainty = compare_uncertainty(
                result, uncertainty, seed=seed, workers=workers, on_progress=progress.advance
            )
    finally:
        progress.close()
    _emit(COMPARE_RENDERERS[fmt](result, seed, time.perf_counter() - started), target, sealing)


@cli.command()
@click.argument("scenario", default=DEFAULT_SCENARIO)
@output_option(
    help="The report: FILE.html, or FILE.md with its charts beside it as FILE-*.svg.",
    required=True,
)
@force_option()
@_simulation_options
@countermeasure_option(help="Compare only this countermeasure (repeatable; default: all).")
@role_option(help="Whose protection to rank habits by (default: the first role at risk).")
@uncertainty_option
@traceback_option
@passphrase_option
@seal_option
@limit_options
def report(
    scenario: str,
    output: str,
    runs: int | None,
    days: int | None,
    seed: int,
    workers: int,
    people: int | None,
    overrides: tuple[str, ...],
    countermeasures: tuple[str, ...],
    role: str | None,
    uncertainty: int | None,
    seal: bool,
) -> None:
    """Write a workshop report (HTML or Markdown) by the five questions of threat modelling."""
    from simulator.analysis.neighbourhood import record_neighbourhood
    from simulator.personas import default_role, tabletop_role
    from simulator.report import handout

    if seal and output.endswith(SEALED_SUFFIX):
        output = output[: -len(SEALED_SUFFIX)]  # the report's own name says html or md
    handout.check_writable(output, _force(), sealed=seal)
    sealing = _sealing(seal)
    progress = _Progress(1, _("Simulating"))
    comparer, chosen_role, names = _comparison(
        scenario, overrides, countermeasures, days, people, runs, seed, workers, role, progress
    )
    result, ranged = _compared_over_ranges(
        comparer, names, chosen_role, uncertainty, seed, workers, progress
    )
    base = comparer.base.scenario
    persona = tabletop_role(base, chosen_role)
    picture = record_neighbourhood(base, persona, seed)
    command = handout.command_line(
        scenario,
        output,
        comparer.runs,
        seed,
        days,
        people,
        overrides,
        countermeasures,
        role,
        uncertainty,
    )
    trace_command = handout.trace_command_line(
        scenario,
        picture.seed,
        days,
        people,
        overrides,
        None if persona == default_role(base) else persona,
    )
    written = handout.write_files(
        handout.render(
            handout.ReportInput(result, picture, seed, command, trace_command, ranged),
            scenario,
            output,
        ),
        sealing,
    )
    click.echo(written.line(), err=True)


@cli.command()
@click.argument("scenario", default=DEFAULT_SCENARIO)
@output_option(help="The cards: one FILE.html to print (A4 or Letter).", required=True)
@force_option()
@_simulation_options
@role_option(help="Whose protection to rank habits by (default: the first role at risk).")
@uncertainty_option
@traceback_option
@passphrase_option
@limit_options
def cards(
    scenario: str,
    output: str,
    runs: int | None,
    days: int | None,
    seed: int,
    workers: int,
    people: int | None,
    overrides: tuple[str, ...],
    role: str | None,
    uncertainty: int | None,
) -> None:
    """Write printable cards for a tabletop without laptops: personas, habits with their cost and
    effect, the observers and checks, and a facilitator sheet."""
    from simulator.report import cards as deck
    from simulator.report import handout

    target = deck.check_writable(output, _force())
    progress = _Progress(1, _("Simulating"))
    comparer, chosen_role, names = _comparison(
        scenario, overrides, (), days, people, runs, seed, workers, role, progress
    )
    result, ranged = _compared_over_ranges(
        comparer, names, chosen_role, uncertainty, seed, workers, progress, needs_names=True
    )
    command = handout.command_line(
        scenario,
        output,
        comparer.runs,
        seed,
        days,
        people,
        overrides,
        (),
        role,
        uncertainty,
        command="cards",
    )
    html = deck.render_html(deck.CardsInput(result, seed, command, ranged))
    _emit(html, target)


@cli.command()
@click.argument("scenario", default=DEFAULT_SCENARIO)
@_common_run_options
@click.option(
    "--vary",
    "varies",
    multiple=True,
    required=True,
    metavar="KEY=LOW:HIGH[:STEPS]",
    help="A parameter and its range, e.g. activities.call_abroad.minutes=1:8:8 (repeatable).",
)
@click.option(
    "--method",
    type=click.Choice(["oat", "sobol"]),
    default="oat",
    show_default=True,
    help="One at a time, or Sobol indices of all parameters together.",
)
@click.option(
    "--samples",
    type=_WholeNumber(4, 4096),
    default=32,
    show_default=True,
    help="Base samples N for Sobol, a power of two; N x (parameters + 2) points are simulated.",
)
@role_option(help="Whose exposure to follow (default: the first role at risk).")
@click.option(
    "--plot", type=click.Path(dir_okay=False), default=None, help="Write an SVG chart to this file."
)
@scheduler_options
@limit_options
def sweep(
    scenario: str,
    runs: int | None,
    days: int | None,
    seed: int,
    workers: int,
    people: int | None,
    overrides: tuple[str, ...],
    countermeasures: tuple[str, ...],
    fmt: str,
    output: str | None,
    varies: tuple[str, ...],
    method: str,
    samples: int,
    role: str | None,
    plot: str | None,
    scheduler: str | None,
    allow_network_plaintext: bool,
) -> None:
    """Vary parameters and rank them by their effect on a role's exposure."""
    target = _destination(output)
    chart = _destination(plot)
    from simulator.analysis.sweep import Sweeper, one_at_a_time, parse_vary, sobol
    from simulator.personas import role_named
    from simulator.report.sweep import RENDERERS as SWEEP_RENDERERS
    from simulator.report.sweep import render_svg

    base = load(
        scenario,
        overrides=list(overrides),
        countermeasures=list(countermeasures),
        days=days,
        people=people,
        passphrase=_passphrase(),
    )
    _refuse_plaintext(scenario, base, scheduler, allow_network_plaintext)
    chosen_role = role_named(base.scenario, role)
    n_runs = runs if runs is not None else base.scenario.runs
    progress = _Progress(1, _("Sweeping"))
    sweeper = Sweeper(
        base,
        runs=n_runs,
        seed=seed,
        workers=workers,
        on_progress=progress.advance,
        scheduler=scheduler,
    )
    parsed = [parse_vary(text, sweeper) for text in varies]
    keys = [v.key for v in parsed]
    if len(set(keys)) != len(keys):
        raise UsageError(_("--vary: each key may be varied only once"))
    points = (
        samples * (len(parsed) + 2) if method == "sobol" else sum(len(v.values()) for v in parsed)
    )
    check_limits(base.scenario, n_runs * (1 + points), workers)
    started = time.perf_counter()
    try:
        result = (
            sobol(sweeper, parsed, chosen_role, samples)
            if method == "sobol"
            else one_at_a_time(sweeper, parsed, chosen_role)
        )
    finally:
        progress.close()
    elapsed = time.perf_counter() - started
    if chart is not None:
        _emit(render_svg(result), chart)
    _emit(SWEEP_RENDERERS[fmt](result, seed, elapsed), target)


@cli.command()
@click.argument("scenario", default=DEFAULT_SCENARIO)
@seed_option(help="Seed of the run; the same seed tells the same story.")
@person_option(
    help="Follow the first person of this role (default: the first role at risk).", metavar="ROLE"
)
@days_option()
@people_option()
@set_option(help="Override a scenario value.")
@countermeasure_option()
@format_option(STORY_FORMATS, help="Format of the story.")
@output_option(help="Write the story to this file instead of stdout.")
@force_option()
@wide_option
@traceback_option
@passphrase_option
def trace(
    scenario: str,
    seed: int,
    person: str | None,
    days: int | None,
    people: int | None,
    overrides: tuple[str, ...],
    countermeasures: tuple[str, ...],
    fmt: str,
    output: str | None,
) -> None:
    """Tell one run as a story: what a person did, who noticed, how suspicion rose,
    why she was exposed."""
    from simulator.report.story import render
    from simulator.report.words import variant_words
    from simulator.teaching.story import trace as trace_run

    target = _destination(output)
    loaded = prepare(scenario, overrides, countermeasures, days, people)
    story = trace_run(loaded.scenario, seed, person)
    story.variant = variant_words(
        loaded.scenario, loaded.patches.countermeasures, list(loaded.patches.overrides)
    )
    _emit(render(story, fmt, {"path": loaded.display_path, "sha256": loaded.sha256}), target)


def _ask_line(prompt: str) -> str | None:
    """Ask on stdout, read one line of stdin; None at its end. Piped answers are echoed."""
    click.echo(prompt, nl=False)
    line = (
        sys.stdin.readline()
    )  # the same stream every turn, so piped answers are not lost in a buffer
    if not line:
        click.echo("")
        return None
    if not sys.stdin.isatty():
        click.echo(line.rstrip("\r\n"))
    return line


@cli.command()
@click.argument("scenario", required=False)
@seed_option(help="Seed of the run (default 1, or the saved one).", default=None)
@click.option(
    "--facilitator",
    is_flag=True,
    help="Also show what the player cannot see: reports, bribes, suspicion.",
)
@click.option(
    "--save",
    type=click.Path(dir_okay=False),
    default=None,
    help="Save the exercise to this file after every turn.",
)
@click.option(
    "--resume",
    type=click.Path(dir_okay=False),
    default=None,
    help="Resume a saved exercise (and keep saving to it).",
)
@force_option(help="Overwrite the --save file if it exists.")
@click.option(
    "--teams",
    type=click.IntRange(2, MAX_TEAMS),
    default=None,
    help=f"Play as 2 to {MAX_TEAMS} teams, each a person of the same town (answers in turn).",
)
@click.option(
    "--room",
    is_flag=True,
    help="Projector view: short lines for a large font, nothing hidden shown.",
)
@runs_option(
    help="Runs of each alternative in the debrief (default: the scenario's, at least 2).",
    at_least=2,
    at_most=100_000,
)
@workers_option()
@wide_option
@traceback_option
@passphrase_option
@limit_options
def exercise(
    scenario: str | None,
    seed: int | None,
    facilitator: bool,
    save: str | None,
    resume: str | None,
    teams: int | None,
    room: bool,
    runs: int | None,
    workers: int,
) -> None:
    """Play a tabletop exercise: a choice each turn, its consequences, then a debrief
    (answers on stdin)."""
    from simulator.report.exercise import play
    from simulator.teaching.exercise import Tabletop, read_saved
    from simulator.teaching.exercise import resume as resume_saved

    if room and facilitator:
        raise UsageError(
            _("--room and --facilitator: the projector view shows nothing hidden; use one")
        )
    if room:
        from simulator.report.grid import ROOM, set_table_width

        set_table_width(ROOM)

    if save and resume:
        raise UsageError(
            _(
                "--save and --resume: use one; a resumed exercise keeps saving to the file it "
                "came from"
            )
        )
    saved = read_saved(resume) if resume else None
    spec = scenario or (saved.spec if saved is not None else DEFAULT_SCENARIO)
    if save:
        check_new_file(save, _force())
    if saved is not None and saved.teams:
        if teams is not None and teams != len(saved.teams):
            raise UsageError(
                _("{path} was played by {n} teams; leave --teams out to resume it").format(
                    path=saved.path, n=len(saved.teams)
                )
            )
        teams = len(saved.teams)
    elif saved is not None and teams is not None:
        raise UsageError(
            _("{path} was played by one player; leave --teams out to resume it").format(
                path=saved.path
            )
        )
    loaded = load(spec, passphrase=_passphrase())
    if teams is not None:
        _exercise_room(loaded, spec, seed, saved, teams, facilitator, save or resume, runs)
        return
    # The scenario's runs, as every other command, so that "carry on" every turn is the baseline;
    # the odds shown each turn and the choice of the run played are taken over as many.
    n_runs = runs if runs is not None else max(2, loaded.scenario.runs)
    if loaded.scenario.exercise is not None:
        # The debrief simulates the player's choices and each option alone over as many runs
        # (and each turn's odds take as many): refused now, not after the last turn.
        options = len(loaded.scenario.exercise.choices)
        check_variants([loaded.scenario] * (1 + options), n_runs, workers)
    table = (
        resume_saved(saved, loaded, seed, n_runs)
        if saved is not None
        else Tabletop(loaded, 1 if seed is None else seed, runs=n_runs)
    )
    target = save or resume

    def keep() -> None:
        if target:
            write_result(target, json.dumps(table.saved(spec), indent=2) + "\n")

    progress = _Progress(n_runs * (1 + len(table.options)), _("Comparing"))
    try:
        play(
            table,
            _ask_line,
            lambda text: click.echo(text, nl=False),
            facilitator=facilitator,
            runs=n_runs,
            after_turn=keep,
            on_progress=progress.advance,
            workers=workers,
        )
    finally:
        progress.close()


def _exercise_room(
    loaded: LoadedScenario,
    spec: str,
    seed: int | None,
    saved: Saved | None,
    teams: int,
    facilitator: bool,
    target: str | None,
    runs: int | None,
) -> None:
    """`exercise --teams N`: the game of a room, each team a person of one town."""
    from simulator.report.room import play_room
    from simulator.teaching.teams import Room, resume_room

    n_runs = runs if runs is not None else max(2, loaded.scenario.runs)
    room = (
        resume_room(saved, loaded, seed, teams, n_runs)
        if saved is not None
        else Room(loaded, 1 if seed is None else seed, teams, runs=n_runs)
    )

    def keep() -> None:
        if target:
            write_result(target, json.dumps(room.saved(spec), indent=2) + "\n")

    play_room(
        room,
        _ask_line,
        lambda text: click.echo(text, nl=False),
        facilitator=facilitator,
        runs=n_runs,
        after_turn=keep,
    )


MESSAGING_FORMATS = ("table", "json")


_messaging_options = combine(
    person_option(help="A person by role: the first of the role, or the N-th.", metavar="ROLE[:N]"),
    seed_option(),
    countermeasure_option(),
    format_option(MESSAGING_FORMATS),
    output_option(help="Write the result to this file (- for stdout) instead of stdout."),
    force_option(),
    wide_option,
    traceback_option,
    passphrase_option,
)


@cli.command()
@click.argument("scenario", default=DEFAULT_SCENARIO)
@days_option(help="Days of messaging (default: the scenario's).")
@_messaging_options
def tap(
    scenario: str,
    days: int | None,
    person: str | None,
    seed: int,
    countermeasures: tuple[str, ...],
    fmt: str,
    output: str | None,
) -> None:
    """Simulate the scenario's messages with real encryption
    and show what the network operator holds."""
    from simulator.messaging import tap_scenario
    from simulator.report.messaging import render_tap

    target = _destination(output)
    loaded = load(
        scenario, countermeasures=list(countermeasures), days=days, passphrase=_passphrase()
    )
    report = tap_scenario(loaded.scenario, seed, person)
    _emit(render_tap(report, loaded, seed, fmt), target)


@cli.command()
@click.argument("scenario", default=DEFAULT_SCENARIO)
@click.option(
    "--day",
    type=_WholeNumber(),
    default=None,
    help="Seize the phone at the end of this day (default: the last).",
)
@click.option(
    "--locked", is_flag=True, help="The phone stays locked: its storage cannot be opened."
)
@_messaging_options
def seize(
    scenario: str,
    day: int | None,
    locked: bool,
    person: str | None,
    seed: int,
    countermeasures: tuple[str, ...],
    fmt: str,
    output: str | None,
) -> None:
    """Seize one person's phone and show what it and the operator's log give up,
    by real decryption."""
    from simulator.messaging import seize_scenario
    from simulator.report.messaging import render_seize

    if person is None:
        raise UsageError(_("seize: say whose phone with --person ROLE (or ROLE:N)"))
    target = _destination(output)
    loaded = load(scenario, countermeasures=list(countermeasures), passphrase=_passphrase())
    report = seize_scenario(loaded.scenario, seed, person, day, locked)
    _emit(render_seize(report, loaded, seed, fmt), target)


@cli.command("seal")
@click.argument("file", type=click.Path(dir_okay=False))
@output_option(help="The sealed file (default: FILE.sealed; .sealed is added when missing).")
@force_option(help="Replace the sealed file if it exists.")
@passphrase_option
@traceback_option
def seal_cmd(file: str, output: str | None) -> None:
    """Encrypt a scenario or result file with a passphrase (scrypt and ChaCha20-Poly1305)."""
    target = _destination(output or file + SEALED_SUFFIX, seal=True)
    assert target is not None  # a name is always given
    with open_file(file) as source:
        if is_sealed(source.read(len(MAGIC))):
            raise UsageError(_("{file}: is already sealed").format(file=file))
        source.seek(0)
        passphrase = _sealing_passphrase()
        written = target.write_stream(
            lambda sink: seal_stream(source, sink, passphrase), sealed=True
        )
    click.echo(written.line(), err=True)


@cli.command("unseal")
@click.argument("file", type=click.Path(dir_okay=False))
@output_option(help="Where to write the plain file (default: FILE without .sealed; - for stdout).")
@force_option(help="Replace the plain file if it exists (never a sealed one).")
@passphrase_option
@traceback_option
def unseal_cmd(file: str, output: str | None) -> None:
    """Decrypt a sealed file; a wrong passphrase or a changed file writes nothing."""
    if output is None and not file.endswith(SEALED_SUFFIX):
        raise UsageError(
            _("{file}: name the plain file with -o (or -o - for stdout)").format(file=file)
        )
    target = _destination(output or file[: -len(SEALED_SUFFIX)])
    assert target is not None  # a name is always given
    passphrase = _passphrase()
    with open_file(file) as source:
        try:
            if target.to_stdout or target.is_stream():
                # What is written through cannot be taken back: the whole file is checked first.
                unseal_stream(source, None, passphrase)
                source.seek(0)
            if target.to_stdout:
                stdout = click.get_binary_stream("stdout")
                try:
                    unseal_stream(source, stdout, passphrase)
                    stdout.flush()
                except BrokenPipeError:
                    raise  # the reader went away: no error (see _ReaderGone)
                except OSError as exc:
                    raise UsageError(
                        _("standard output: cannot write ({strerror})").format(
                            strerror=exc.strerror
                        )
                    ) from None
                return
            written = target.write_stream(lambda sink: unseal_stream(source, sink, passphrase))
        except SealError as exc:
            raise SealError(_("{path}: {exc}").format(path=file, exc=exc)) from None
    click.echo(written.line(), err=True)


class _Reported(ExposureError):
    """Problems already formatted as lines."""

    def __init__(self, lines: list[str]):
        self._lines = lines
        super().__init__("\n".join(lines))

    def lines(self, names: Mapping[str, str] | None = None) -> list[str]:
        return self._lines


def _run_guarded(
    group: click.Group,
    args: list[str],
    prog_name: str,
    on_interrupt: Callable[[], None] | None = None,
) -> int:
    """Run a command, turning every failure into one line on stderr and a named exit code.

    The command's language (--lang) holds until its last line, errors included, and no longer.
    """
    with speaking():
        return _run_in_language(group, args, prog_name, on_interrupt)


def _run_in_language(
    group: click.Group,
    args: list[str],
    prog_name: str,
    on_interrupt: Callable[[], None] | None = None,
) -> int:
    show_traceback = "--traceback" in args
    try:
        click.Group.main(group, args=args, prog_name=prog_name, standalone_mode=False)
    except ExposureError as exc:
        for line in exc.lines(FLAGS):
            click.echo(_shortened(line), err=True)
        return int(exc.exit_code)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except (click.Abort, KeyboardInterrupt) as exc:
        # Click turns a signal's KeyboardInterrupt into Abort; the signal is its cause.
        return _interrupted(signal_of(exc), on_interrupt)
    except click.ClickException as exc:
        command = " ".join([prog_name, *(a for a in args[:1] if not a.startswith("-"))])
        message = " ".join(exc.format_message().split())
        click.echo(_shortened(f"{command}: {message}"), err=True)
        return int(ExitCode.BAD_INPUT)
    except (BrokenPipeError, _ReaderGone):
        _reader_gone()
        return int(ExitCode.OK)
    except Exception as exc:
        signum = unwinding()
        if signum is not None:  # the error is the signal's doing, not a fault to report
            return _interrupted(signum, on_interrupt)
        if show_traceback:
            traceback.print_exc()
        else:
            first = str(exc).splitlines()[0] if str(exc) else ""
            click.echo(
                _(
                    "internal error: {kind}: {msg} — please report this with the command you ran "
                    "(add --traceback for details)"
                ).format(kind=type(exc).__name__, msg=first),
                err=True,
            )
        return int(ExitCode.INTERNAL)
    return int(ExitCode.OK)


def _reader_gone() -> None:
    """The reader of standard output went away (`| head`): it took what it wanted, and that is
    no error. What is still buffered for it goes nowhere, so that flushing it at exit cannot
    fail the command after all."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _interrupted(signum: int, on_interrupt: Callable[[], None] | None) -> int:
    """A command ended by a signal: one line saying so, and the signal's exit code."""
    click.echo(_signal_message(signum), err=True)
    if on_interrupt is not None:
        on_interrupt()
    return exit_code(signum)


# A line quoting a value of thousands of characters is shortened in its middle: the start says
# where, the end says what is wrong.
MAX_LINE = 1000


def _shortened(line: str) -> str:
    if len(line) <= MAX_LINE:
        return line
    half = MAX_LINE // 2
    return f"{line[:half]}…{line[-half:]}"


# The one line each command has in `exposure --help`: whole phrases that fit an 80-column
# terminal, instead of first sentences cut off mid-word.
SUMMARIES = {
    "list": "List the bundled scenarios (* with an exercise).",
    "show": "Describe a scenario in plain words.",
    "run": "Who is exposed, when and why, over many runs.",
    "compare": "Rank countermeasures by what they save.",
    "sweep": "Vary parameters and see what moves exposure.",
    "trace": "Tell one run as a story.",
    "seize": "What one person's seized phone gives up.",
    "tap": "Real encrypted messages, as the operator sees them.",
    "exercise": "Play the scenario as a tabletop, turn by turn.",
    "report": "Write a workshop report (HTML or Markdown).",
    "cards": "Write printable cards and a facilitator sheet.",
    "validate": "Check scenario files and their claims.",
    "new": "Write a new scenario with every key explained.",
    "gallery": "Describe every bundled scenario on one page.",
    "seal": "Encrypt a file with a passphrase.",
    "unseal": "Decrypt a sealed file.",
}
for _name, _summary in SUMMARIES.items():
    cli.commands[_name].short_help = _summary


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `exposure` command; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Ctrl-C, SIGTERM and SIGHUP unwind gracefully; should one long numpy call hold them up, the
    # process still ends within a second (DESIGN section 7, docs/security.md).
    messages = {int(s): _signal_message(s) for s in ENDING_SIGNALS}
    with end_promptly_on_signals(0.3, messages) as told:
        try:
            code = _run_guarded(cli, args, "exposure", on_interrupt=told.set)
        finally:
            remove_temporaries()
    if code > 128:
        # Ended by a signal: everything is cleaned up, and tearing down the interpreter (freeing
        # every array, closing every module) is not worth a late exit.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    return code


def _signal_message(signum: int) -> str:
    """The one line that says a signal ended the command."""
    if signum == signal.SIGTERM:
        return _("terminated")
    if signum == getattr(signal, "SIGHUP", None):
        return _("hung up: the terminal was closed")
    return _("interrupted")


__all__ = ["UsageError", "cli", "main"]
