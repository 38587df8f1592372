"""The `exposure` command's entry point: signals are handled before anything heavy is imported.

Importing the command line takes a few hundredths of a second (click, the YAML reader), and each
command then imports what it uses: up to half a second more for a simulation (numpy, pydantic, the
engine). A signal that lands in that time would otherwise surface as a KeyboardInterrupt traceback,
or kill the process with no word; nothing has started yet, so it ends the process at once with the
signal's exit code.
`simulator.cli.main` installs the full policy (clean-up, workers, one line) once it runs.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from types import FrameType


def _end_before_start(signum: int, _frame: FrameType | None) -> None:
    os._exit(128 + signum)


def run() -> None:
    """Run the `exposure` command and exit with its code."""
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _end_before_start)
    if sys.argv[1:] == ["--version"]:
        # Asked for nothing else: answer without loading the command line at all.
        from simulator import __version__

        sys.stdout.write(f"exposure, version {__version__}\n")
        sys.exit(0)
    from simulator.cli import main

    code = main()
    # At exit the interpreter's cycle collector would walk every object still alive (the models,
    # numpy, the engine's towns: a tenth of a second after a run) only to free memory the process
    # is about to give back. Frozen objects are not walked. Exit handlers (atexit, and
    # weakref.finalize) run as before, and so does __del__ of what reference counting frees; the
    # __del__ of objects held only in reference cycles does not run (no result depends on one:
    # every file is written and closed within its command).
    gc.freeze()
    sys.exit(code)
