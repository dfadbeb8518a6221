"""Measurements of one benchmark run and the markdown tables of ``make bench``.

Split from ``run_bench.py`` (which samples): this module only formats numbers it is given.
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SCALING_SPEC = "default"            # the subset helpers and the scaling study use this spec
# Sampler key (``--samplers``) -> row label.
SAMPLERS = {"nutpie": "PyMC + nutpie", "pymc": "PyMC NUTS", "stan": "Stan (CmdStan)"}
# Targets for the default spec (bench/README.md): sampling time of the nutpie fit, and Stan's
# ESS/s relative to nutpie's.
TARGET_SAMPLING_S = 60.0
TARGET_STAN_ESS_RATIO = 0.5


@dataclass
class Run:
    """Measurements of one sampler run (NaN where a number is not available)."""

    label: str
    spec: str = ""                       # spec name
    sampler: str = ""                    # key of SAMPLERS
    n_models: int = 0
    n_benchmarks: int = 0
    n_scores: int = 0
    compile_s: float = float("nan")      # model build + compilation + initialisation
    sampling_s: float = float("nan")     # tuning + draws, by the sampler's own clock
    post_s: float = float("nan")         # log-likelihood, predictive draws, conversion
    total_s: float = float("nan")
    grad_evals: float = float("nan")     # after tuning (tuning steps are not recorded)
    ess_bulk_min: float = float("nan")
    rhat_max: float = float("nan")
    divergences: float = float("nan")
    gap_vars: tuple[str, ...] = ()       # the gap quantities the ESS is taken over
    note: str = ""
    ok: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def ess_per_s(self) -> float:
        """Smallest gap ESS per second of sampling."""
        return self.ess_bulk_min / self.sampling_s if self.sampling_s > 0 else float("nan")

    @property
    def ess_per_total_s(self) -> float:
        """Smallest gap ESS per second of the whole call (compilation included)."""
        return self.ess_bulk_min / self.total_s if self.total_s > 0 else float("nan")

    @property
    def ess_per_kgrad(self) -> float:
        """Smallest gap ESS per 1000 gradient evaluations (machine-independent)."""
        return 1000 * self.ess_bulk_min / self.grad_evals if self.grad_evals > 0 else float(
            "nan")

    @property
    def ms_per_grad(self) -> float:
        """Milliseconds of sampling per gradient evaluation after tuning (rough: the sampling
        clock includes tuning, whose steps are not counted)."""
        return 1000 * self.sampling_s / self.grad_evals if self.grad_evals > 0 else float(
            "nan")


def fmt(x: float, digits: int = 1) -> str:
    """Number for a table cell; '-' when not available."""
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:,.{digits}f}"


def ratio(x: float, ref: float) -> str:
    """``x / ref`` as 'N.NNx'; '-' when either is missing."""
    if not (np.isfinite(x) and np.isfinite(ref)) or ref == 0:
        return "-"
    q = x / ref
    return f"{q:.2f}x" if q == 0 or abs(q) >= 0.1 else f"{q:.2g}x"  # 0.0083x, not 0.01x


def plain_table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table from a header and rows of cells."""
    head = "| " + " | ".join(header) + " |\n" + "|---" * len(header) + "|\n"
    return head + "\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n"


# Columns a failed run still shows.
LABEL_COLUMNS = ("spec", "sampler", "subset", "note")


def markdown_table(runs: list[Run], columns: list[tuple[str, Callable[[Run], str]]]) -> str:
    """One row per run; a failed run shows its label, dashes and its note."""
    rows = [[cell(r) if r.ok or name in LABEL_COLUMNS else "-" for name, cell in columns]
            for r in runs]
    return plain_table([name for name, _ in columns], rows)


# Every column a table may show: header -> cell of one run.
COLUMNS: dict[str, Callable[[Run], str]] = {
    "models": lambda r: str(r.n_models),
    "benchmarks": lambda r: str(r.n_benchmarks),
    "scores": lambda r: str(r.n_scores),
    "compile + setup (s)": lambda r: fmt(r.compile_s),
    "sampling (s)": lambda r: fmt(r.sampling_s),
    "post-processing (s)": lambda r: fmt(r.post_s),
    "total (s)": lambda r: fmt(r.total_s),
    "gradient evals": lambda r: fmt(r.grad_evals, 0),
    "min bulk ESS (gap)": lambda r: fmt(r.ess_bulk_min, 0),
    "ESS/s sampling": lambda r: fmt(r.ess_per_s, 2),
    "ESS/s total": lambda r: fmt(r.ess_per_total_s, 2),
    "ESS per 1k grads": lambda r: fmt(r.ess_per_kgrad, 2),
    "R-hat max": lambda r: fmt(r.rhat_max, 3),
    "divergences": lambda r: fmt(r.divergences, 0),
    "note": lambda r: r.note,
}


def nutpie_of(runs: list[Run], spec: str) -> Run | None:
    """The successful nutpie run of ``spec``, if any."""
    return next((r for r in runs if r.spec == spec and r.sampler == "nutpie" and r.ok), None)


def sampler_table(runs: list[Run]) -> str:
    """Every (spec, sampler) run; ratios relative to nutpie of the same spec."""
    nan = float("nan")

    def vs_nutpie(r: Run, value: Callable[[Run], float]) -> str:
        ref = nutpie_of(runs, r.spec)
        return ratio(value(r), value(ref)) if ref is not None else ratio(nan, nan)

    names = ["compile + setup (s)", "sampling (s)", "post-processing (s)", "total (s)",
             "gradient evals", "min bulk ESS (gap)", "ESS/s sampling", "ESS/s total",
             "ESS per 1k grads", "R-hat max", "divergences"]
    return markdown_table(runs, [
        ("spec", lambda r: r.spec), ("sampler", lambda r: r.label),
        *[(n, COLUMNS[n]) for n in names],
        ("sampling time vs nutpie", lambda r: vs_nutpie(r, lambda x: x.sampling_s)),
        ("ESS/s vs nutpie", lambda r: vs_nutpie(r, lambda x: x.ess_per_s)),
        ("note", COLUMNS["note"]),
    ])


# Quantities compared between specs: header -> value of one run.
SPEC_RATIOS: dict[str, Callable[[Run], float]] = {
    "compile + setup": lambda r: r.compile_s,
    "sampling time": lambda r: r.sampling_s,
    "gradient evals": lambda r: r.grad_evals,
    "time per gradient": lambda r: r.ms_per_grad,
    "min bulk ESS (gap)": lambda r: r.ess_bulk_min,
    "ESS/s sampling": lambda r: r.ess_per_s,
    "ESS per 1k grads": lambda r: r.ess_per_kgrad,
}


def spec_table(runs: list[Run], specs: list[str]) -> str:
    """Per sampler: each of the first spec's numbers divided by each later spec's."""
    rows = []
    new = specs[0]
    for sampler, label in SAMPLERS.items():
        a = next((r for r in runs if r.spec == new and r.sampler == sampler), None)
        for old in specs[1:]:
            b = next((r for r in runs if r.spec == old and r.sampler == sampler), None)
            if a is None or b is None:
                continue
            if not (a.ok and b.ok):
                rows.append([label, f"{new} / {old}", *["-"] * len(SPEC_RATIOS),
                             "a run failed or was skipped"])
                continue
            rows.append([label, f"{new} / {old}",
                         *[ratio(value(a), value(b)) for value in SPEC_RATIOS.values()], ""])
    if not rows:
        return "(no sampler ran for two specs)\n"
    return plain_table(["sampler", "ratio", *SPEC_RATIOS, "note"], rows)


def scaling_table(runs: list[Run]) -> str:
    """The scaling study: size, time and ESS/s per subset."""
    names = ["models", "benchmarks", "scores", "total (s)", "sampling (s)", "gradient evals",
             "min bulk ESS (gap)", "ESS/s sampling", "R-hat max", "divergences", "note"]
    return markdown_table(runs, [("subset", lambda r: r.label),
                                 *[(n, COLUMNS[n]) for n in names]])


def target_lines(runs: list[Run], partial: bool) -> list[str]:
    """The default spec's targets (bench/README.md): met, missed or not measured.

    ``partial``: a --quick or subset run, whose verdicts say nothing about the targets.
    """
    if partial:
        note = " (--quick/subset run: not a verdict)"
        return [line + note for line in target_lines(runs, partial=False)]
    nutpie = nutpie_of(runs, SCALING_SPEC)
    stan = next((r for r in runs if r.spec == SCALING_SPEC and r.sampler == "stan" and r.ok),
                None)
    if nutpie is None:
        return [f"- targets: not measured (no successful nutpie run of spec {SCALING_SPEC})"]
    met = "met" if nutpie.sampling_s <= TARGET_SAMPLING_S else "MISSED"
    lines = [f"- target: {SCALING_SPEC} with nutpie samples in <= {TARGET_SAMPLING_S:.0f} s: "
             f"{nutpie.sampling_s:.1f} s, {met}"]
    if stan is None:
        lines.append(f"- target: Stan within 2x of nutpie's ESS/s on {SCALING_SPEC}: "
                     "not measured")
    else:
        rel = stan.ess_per_s / nutpie.ess_per_s if nutpie.ess_per_s > 0 else float("nan")
        met = "met" if rel >= TARGET_STAN_ESS_RATIO else "MISSED"
        lines.append(f"- target: Stan within 2x of nutpie's ESS/s on {SCALING_SPEC} "
                     f"(ESS/s vs nutpie >= {TARGET_STAN_ESS_RATIO:.2f}x): {fmt(rel, 2)}x, {met}")
    return lines


def machine_line() -> str:
    """CPU, cores and load: timings on a shared machine are only comparable with these."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{cpu}, {os.cpu_count()} cores, load average {load}"
