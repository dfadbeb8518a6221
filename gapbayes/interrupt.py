"""Ctrl-C stops any command within about two seconds, with exit code 130.

Python turns SIGINT into :class:`KeyboardInterrupt` only when the main thread next runs Python
code; a long C or Rust call (a compiler, a sampler that waits on its threads) can delay that
for minutes. :func:`install_watchdog` therefore also asks the interpreter to write each signal
number to a pipe (:func:`signal.set_wakeup_fd`, done by the C-level handler at once) that a
daemon thread reads: when the main thread has not ended the process ``grace`` seconds after
a SIGINT, the thread ends it with exit code 130. Nothing half-written is left either way:
results are staged and renamed into place (:mod:`gapbayes.atomic`), a forced exit waits for a
rename in progress, and a staging folder left behind is invisible and removed by the next run.
Once the normal path has printed its message, :func:`gapbayes.cli.main` ends the process with
:func:`os._exit`: the interpreter's own shutdown would release the cancelled sampler, whose
thread join holds the GIL and so also stalls the watchdog.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from gapbayes.errors import EXIT_INTERRUPTED

GRACE_SECONDS = 1.5
_installed = False


def _force_exit_after(grace: float) -> None:
    from gapbayes.atomic import SWAP_LOCK

    time.sleep(grace)
    with SWAP_LOCK:             # never between the two renames of a result swap
        try:
            sys.stderr.write("gapbayes: interrupted\n")
            sys.stderr.flush()
        finally:
            os._exit(EXIT_INTERRUPTED)


def _watch(read_fd: int, grace: float) -> None:
    while True:
        try:
            data = os.read(read_fd, 64)
        except OSError:
            return
        if not data:
            return
        if signal.SIGINT in data:
            _force_exit_after(grace)


def install_watchdog(grace: float = GRACE_SECONDS) -> bool:
    """Make SIGINT end the process within ``grace`` seconds even when Python code is not running.

    Call from the main thread of a command-line run (not in a library or a notebook: the
    process would exit). Calling it again does nothing.

    Parameters
    ----------
    grace
        Seconds the normal :class:`KeyboardInterrupt` path has to end the process.

    Returns
    -------
    bool
        Whether the watchdog is now installed (False outside the main thread).
    """
    global _installed
    if _installed:
        return True
    if threading.current_thread() is not threading.main_thread():
        return False
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(read_fd, grace), name="gapbayes-sigint",
                     daemon=True).start()
    _installed = True
    return True
