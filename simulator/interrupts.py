"""Signals: Ctrl-C, SIGTERM and SIGHUP end a command within a second, leaving nothing behind.

One policy for the three signals that end a command (a person's Ctrl-C, a supervisor's or a
closing laptop's SIGTERM, a closed terminal's SIGHUP). The normal path is the graceful one: the
signal unwinds the command like Ctrl-C (a `Signalled` exception), worker processes are ended,
temporary files are removed, and the process exits with 128 + the signal's number (130, 143,
129). Python runs signal handlers only between bytecodes, so one long numpy call or decryption
can hold the main thread for seconds: a watchdog thread learns of the signal at once (through
the signal module's wakeup file descriptor) and, if the process is still alive after a grace
period, removes the temporary files itself, ends the workers and exits with the same code.

Only the first signal unwinds; later ones leave the unwinding alone (the watchdog still bounds
it), so that cleaning up is never interrupted into a traceback. Once the command has finished,
a signal ends the process at once with its code and says nothing: the result is complete.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import FrameType

from simulator.files import remove_temporaries

# SIGHUP does not exist on Windows.
ENDING_SIGNALS = tuple(
    s
    for s in (signal.SIGINT, getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
    if s is not None
)
_STOP = b"\x00"  # not a signal number: tells the watchdog the command has finished


class Signalled(KeyboardInterrupt):
    """A signal that ends the command: it unwinds like Ctrl-C and exits with 128 + its number."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


# The signal whose unwinding is under way in this process, once one has been raised.
_UNWINDING: list[int] = []


def unwinding() -> int | None:
    """The signal being unwound, if any: an error raised now is its consequence, not a fault.

    A signal that lands while a compiled module is being imported surfaces as that import's
    ImportError ("initialization failed"), with nothing in the error to say so.
    """
    return _UNWINDING[-1] if _UNWINDING else None


def signal_of(exc: BaseException | None) -> int:
    """The signal that caused an exception (directly or as its cause), SIGINT if none says."""
    while exc is not None:
        if isinstance(exc, Signalled):
            return exc.signum
        exc = exc.__cause__ or exc.__context__
    return int(signal.SIGINT)


def exit_code(signum: int) -> int:
    """The exit code of a process ended by a signal, as shells report it: 128 + its number."""
    return 128 + int(signum)


@contextmanager
def end_promptly_on_signals(grace_s: float, messages: dict[int, str]) -> Iterator[threading.Event]:
    """Within this block, SIGINT, SIGTERM and SIGHUP end the process after at most `grace_s`.

    `messages` holds the line to print for each signal. Set the event it yields once the
    graceful path has told the user, so that the message is not repeated if the process has to
    be ended anyway. After the block, a signal ends the process at once, silently.
    """
    told = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield told
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    try:
        previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    except ValueError:  # not the main interpreter: leave signals alone
        os.close(read_fd)
        os.close(write_fd)
        yield told
        return
    finished = threading.Event()
    raised = threading.Event()

    def unwind(signum: int, _frame: FrameType | None) -> None:
        if raised.is_set():
            return  # already unwinding: the watchdog bounds how long that takes
        raised.set()
        _UNWINDING.append(signum)
        raise Signalled(signum)

    for s in ENDING_SIGNALS:
        signal.signal(s, unwind)
    ending = {int(s) for s in ENDING_SIGNALS}
    previous_hook = sys.unraisablehook

    def lost(unraisable: sys.UnraisableHookArgs) -> None:
        """A signal whose handler ran inside a callback that cannot raise (a weak reference's
        or a finaliser's, as an import's locks have) is not printed as an ignored exception's
        traceback: the watchdog, which saw it too, ends the command within the grace period
        (or the command finishes first, its result whole)."""
        if not isinstance(unraisable.exc_value, Signalled):
            previous_hook(unraisable)

    sys.unraisablehook = lost

    def watch() -> None:
        while True:
            try:
                data = os.read(read_fd, 64)
            except OSError:
                return
            if not data or _STOP in data:
                return
            signum = next((b for b in data if b in ending), None)
            if signum is not None and not finished.wait(grace_s):
                _exit_now(exit_code(signum), "" if told.is_set() else messages.get(signum, ""))

    watchdog = threading.Thread(target=watch, name="signal-watchdog", daemon=True)
    watchdog.start()
    try:
        yield told
    finally:
        # From here on a signal must not raise: it would print a traceback over a finished
        # command. It ends the process at once instead.
        for s in ENDING_SIGNALS:
            signal.signal(s, _end_silently)
        sys.unraisablehook = previous_hook
        finished.set()
        signal.set_wakeup_fd(previous_fd)
        os.write(write_fd, _STOP)
        watchdog.join(timeout=1.0)
        os.close(write_fd)
        os.close(read_fd)


def _end_silently(signum: int, _frame: FrameType | None) -> None:
    """After the command: flush what it printed and end with the signal's code."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError, RuntimeError):
            stream.flush()
    remove_temporaries()
    os._exit(exit_code(signum))


def _exit_now(code: int, message: str) -> None:
    """From the watchdog thread: remove temporary files, end the workers, then the process."""
    remove_temporaries()
    # Workers exist only if multiprocessing was imported (a command that simulates nothing never
    # imports it); importing it here, from a signal's thread, would only cost time.
    process = sys.modules.get("multiprocessing.process")
    for child in process.active_children() if process is not None else ():
        child.terminate()
    try:
        if message:
            os.write(2, f"\n{message}\n".encode())
    except OSError:
        pass
    os._exit(code)


def in_worker(parent: int) -> None:
    """In a worker process: leave signals to the parent, and die with it.

    The parent ends its workers itself on a signal. Should the parent die without doing so
    (SIGKILL, a crash), the kernel ends the worker too (Linux), or a watcher thread notices
    within half a second that the parent is gone (elsewhere).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for s in ENDING_SIGNALS:
        if s != signal.SIGINT:
            signal.signal(s, signal.SIG_DFL)
    with suppress(ValueError):  # a forked worker inherits the parent's wakeup fd: not its own
        signal.set_wakeup_fd(-1)
    if not _die_with_parent_linux():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before we asked to follow it
        os._exit(exit_code(signal.SIGTERM))


def _die_with_parent_linux() -> bool:
    """Ask Linux to send SIGKILL to this process when its parent dies; False if not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        return int(libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """End this worker once its parent is gone (it is then adopted by another process)."""
    while os.getppid() == parent:
        threading.Event().wait(0.5)
    os._exit(exit_code(signal.SIGTERM))
