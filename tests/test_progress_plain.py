"""Plain progress lines for non-terminal logs: one per tenth of the draws, never a redraw."""

from __future__ import annotations

import io
from types import SimpleNamespace

from gapbayes.inference.progress_plain import PlainProgress


def _chain(done: int, divergent: int = 0, step: float = 0.02) -> SimpleNamespace:
    return SimpleNamespace(finished_draws=done, divergent_draws=[0] * divergent,
                           step_size=step, started=True)


def test_one_line_per_tenth_with_draws_divergences_and_step_sizes():
    out = io.StringIO()
    bar = PlainProgress(chains=2, draws=50, tune=50, out=out)   # 200 draws in all
    for done in range(0, 101, 5):
        bar.update([_chain(done, divergent=done // 60), _chain(done, step=0.03)])
    lines = out.getvalue().splitlines()
    assert len(lines) == 10 and "\r" not in out.getvalue()
    assert lines[0].startswith("sampling:  10% (20 of 200 draws incl. tuning), divergences 0")
    assert lines[-1].startswith("sampling: 100% (200 of 200 draws incl. tuning), divergences 1")
    assert "step sizes 0.02-0.03" in lines[-1]


def test_a_jump_past_several_tenths_prints_one_line():
    out = io.StringIO()
    bar = PlainProgress(chains=1, draws=100, tune=0, out=out)
    bar.update([_chain(55)])
    bar.update([_chain(56)])
    assert out.getvalue().count("\n") == 1 and "55%" in out.getvalue()
