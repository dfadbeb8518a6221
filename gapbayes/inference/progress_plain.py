"""Sampling progress as plain lines, for logs that are not a terminal.

PyMC's progress table redraws itself in place; written to a file or a CI log it comes out as
one frame cut at the log's width. When standard error is not a terminal, a fit prints a short
line at every tenth of the draws instead: share done, draws, divergences, step sizes, elapsed.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, TextIO

STEPS = 10


class PlainProgress:
    """``progress_callback`` target for nutpie that prints a line per tenth of the work.

    Parameters
    ----------
    chains, draws, tune
        The run's size (draws and tuning steps per chain).
    out
        Where to print (standard error by default).
    label
        Put before "sampling" (e.g. ``"pilot: "`` for the pilot run of ``adaptation = "pilot"``).
    """

    def __init__(self, chains: int, draws: int, tune: int, out: TextIO | None = None,
                 label: str = "") -> None:
        self.label = label
        self.total = chains * (draws + tune)
        self.out = out or sys.stderr
        self.next_step = 1
        self.began = time.perf_counter()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        return None

    def update(self, chain_progresses: list[Any]) -> None:
        """Print a line when the finished draws pass the next tenth of the total."""
        done = sum(cp.finished_draws for cp in chain_progresses)
        if self.total <= 0 or done * STEPS < self.next_step * self.total:
            return
        while self.next_step <= STEPS and done * STEPS >= self.next_step * self.total:
            self.next_step += 1
        divergences = sum(len(cp.divergent_draws) for cp in chain_progresses)
        steps = [cp.step_size for cp in chain_progresses if cp.started]
        sizes = f"{min(steps):.3g}-{max(steps):.3g}" if steps else "-"
        self.out.write(f"{self.label}sampling: {100 * done // self.total:3d}% "
                       f"({done:,} of {self.total:,} draws incl. tuning), "
                       f"divergences {divergences}, step sizes {sizes}, "
                       f"{time.perf_counter() - self.began:.0f} s\n")
        self.out.flush()
