"""Ctrl-C ends the process within a second, even while one long numpy call holds the main thread.

Python runs its SIGINT handler (KeyboardInterrupt) only between bytecodes, so a single sort of
millions of links can keep an interrupted command alive for seconds. The normal path stays the
graceful one: KeyboardInterrupt unwinds, worker processes are ended and the command exits with
130. This guard only adds a watchdog that learns of the signal at once (through the signal
module's wakeup file descriptor) and, if the process is still alive after a grace period, ends
any worker processes and exits with 130 itself. Results are only ever written whole at the end
(a temporary file, then a rename), so nothing partial is left either way.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_STOP = b"\x00"  # not a signal number: tells the watchdog the command has finished


@contextmanager
def exit_promptly_on_interrupt(
    grace_s: float, exit_code: int, message: str
) -> Iterator[threading.Event]:
    """Within this block, Ctrl-C ends the process after at most `grace_s` seconds.

    Set the event it yields once the graceful path has told the user, so that the message is
    not repeated if the process has to be ended anyway.
    """
    told = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield told
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    try:
        previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    except ValueError:  # not the main interpreter: leave signals alone
        os.close(read_fd)
        os.close(write_fd)
        yield told
        return
    finished = threading.Event()

    def watch() -> None:
        while True:
            try:
                data = os.read(read_fd, 64)
            except OSError:
                return
            if not data or _STOP in data:
                return
            if signal.SIGINT in data and not finished.wait(grace_s):
                _exit_now(exit_code, "" if told.is_set() else message)

    watchdog = threading.Thread(target=watch, name="interrupt-watchdog", daemon=True)
    watchdog.start()
    try:
        yield told
    finally:
        finished.set()
        signal.set_wakeup_fd(previous)
        os.write(write_fd, _STOP)
        watchdog.join(timeout=1.0)
        os.close(write_fd)
        os.close(read_fd)


def _exit_now(exit_code: int, message: str) -> None:
    """End this process's worker processes and the process itself, from the watchdog thread."""
    for child in multiprocessing.active_children():
        child.terminate()
    try:
        if message:
            os.write(2, f"\n{message}\n".encode())
    except OSError:
        pass
    os._exit(exit_code)
