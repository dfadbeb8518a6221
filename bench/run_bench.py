"""Performance benchmark of the gapbayes samplers on the real data (``make bench``).

Runs the default fit (default spec, bundled Epoch data) with

(a) PyMC + nutpie (the default), (b) PyMC's own NUTS, (c) Stan through CmdStan (skipped
with a note when the Stan backend or CmdStan is missing),

calling each backend's ``sample()`` directly (no result-folder cache), and prints a markdown
table: wall time split into compile/setup, sampling and post-processing, gradient
evaluations, the smallest bulk ESS over the gap quantities, ESS per second, the largest
R-hat, divergences, and ratios relative to nutpie. Then a scaling study (nutpie only) on
random subsets of 25/50/100% of the models and of the benchmarks. The same markdown goes to
``--out`` (default ``bench/results.md``). ``bench/README.md`` explains how to read it.

This is a script, not a test: the full run takes 20+ minutes. ``--quick`` (2 chains x 200
draws after 200 tuning steps) with ``--max-models``/``--benchmarks`` checks that it works.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import xarray as xr

from gapbayes.atomic import write_text
from gapbayes.model.backends import SamplerSettings, get_backend
from gapbayes.model.derived import gap_quantities
from gapbayes.model.design import ModelData, build_model_data
from gapbayes.model.diagnostics import GAP_VARS, run_diagnostics
from gapbayes.model.fit import FitInput, restrict
from gapbayes.model.inputs import load_fit_input
from gapbayes.model.results import versions
from gapbayes.model.spec import Spec, load_spec

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = BENCH_DIR / "results.md"
FRACTIONS = (0.25, 0.5, 1.0)
QUICK = {"chains": 2, "draws": 200, "tune": 200}
# Per-draw count of leapfrog steps (= gradient evaluations) under the names the backends use.
STEP_STATS = ("n_steps", "n_leapfrog", "n_leapfrog__", "tree_size")


@dataclass
class Run:
    """Measurements of one sampler run (NaN where a number is not available)."""

    label: str
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


def log(message: str) -> None:
    """Progress on stderr, so stdout carries only the markdown."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def timed(owner: object, name: str, bucket: list[float]) -> Iterator[None]:
    """Time every call of ``owner.name`` into ``bucket`` while the block runs.

    The backends' ``sample()`` is one call that compiles, samples and post-processes; wrapping
    the pieces it calls by name splits its wall time without changing the backends.
    """
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            bucket.append(time.perf_counter() - start)

    setattr(owner, name, wrapper)
    try:
        yield
    finally:
        setattr(owner, name, original)


def gradient_evaluations(dt: xr.DataTree) -> float:
    """Sum of leapfrog steps over chains and draws (NaN when no backend stat is found)."""
    stats = dt["sample_stats"]
    for name in STEP_STATS:
        if name in stats:
            return float(np.asarray(stats[name].values, dtype=float).sum())
    return float("nan")


def measure(dt: xr.DataTree, data: ModelData, spec: Spec, backend_name: str,
            settings: SamplerSettings, run: Run) -> None:
    """Fill ESS, R-hat and divergences of ``run`` exactly as a fit's diagnostics do."""
    derived = gap_quantities(dt["posterior"].to_dataset(), data)
    dt["posterior"] = xr.DataTree(xr.merge([dt["posterior"].to_dataset(), derived]))
    free = get_backend(backend_name).free_parameters(data, spec)
    checks = {c.name: c for c in run_diagnostics(dt, free, settings.max_treedepth).checks}
    run.ess_bulk_min = checks["ess_bulk_min_gap"].value
    run.rhat_max = checks["rhat_max"].value
    run.divergences = checks["divergences"].value
    run.grad_evals = gradient_evaluations(dt)


def stan_available() -> str | None:
    """None when the Stan backend can run here, else the reason it cannot."""
    try:
        get_backend("stan")
    except Exception as exc:  # noqa: BLE001 - any import failure means "skip Stan"
        return f"Stan backend not importable ({type(exc).__name__}: {exc})"
    from gapbayes.stan_install import find_cmdstan

    if find_cmdstan() is None:
        return "CmdStan not installed (run `make cmdstan`)"
    return None


def run_pymc(data: ModelData, spec: Spec, settings: SamplerSettings, label: str) -> Run:
    """Sample with the PyMC backend (nutpie or PyMC's NUTS per ``settings.sampler``)."""
    import pymc as pm

    run = Run(label, len(data.model_ids), len(data.bench_ids), len(data.y))
    post: list[float] = []
    backend = get_backend("pymc")
    start = time.perf_counter()
    with (timed(pm, "compute_log_likelihood", post),
          timed(pm, "sample_posterior_predictive", post)):
        dt = backend.sample(data, spec, settings)
    run.total_s = time.perf_counter() - start
    run.post_s = sum(post)
    # Both PyMC's NUTS and its nutpie wrapper stamp the pure sampling time on the posterior.
    run.sampling_s = float(dt["posterior"].attrs.get("sampling_time", float("nan")))
    run.compile_s = run.total_s - run.sampling_s - run.post_s
    measure(dt, data, spec, "pymc", settings, run)
    return run


def run_stan(data: ModelData, spec: Spec, settings: SamplerSettings) -> Run:
    """Compile (timed on its own; cached builds take a fraction of a second) and sample."""
    import cmdstanpy

    from gapbayes.model import backend_stan

    run = Run("Stan (CmdStan)", len(data.model_ids), len(data.bench_ids), len(data.y))
    start = time.perf_counter()
    backend_stan.compile_model()
    compile_s = time.perf_counter() - start
    # A cached build loads in about a second; say which case this row measured.
    run.note = ("compiled program from the cache" if compile_s < 5
                else f"program built in this run ({compile_s:.0f} s)")
    sampling: list[float] = []
    post: list[float] = []
    backend = get_backend("stan")
    start = time.perf_counter()
    with (timed(cmdstanpy.CmdStanModel, "sample", sampling),
          timed(backend_stan, "to_datatree", post)):
        dt = backend.sample(data, spec, settings)
    call_s = time.perf_counter() - start
    run.sampling_s = sum(sampling)
    run.post_s = sum(post)
    # The second compile_model() inside sample() is a cache hit; it counts as setup.
    run.compile_s = compile_s + call_s - run.sampling_s - run.post_s
    run.total_s = compile_s + call_s
    measure(dt, data, spec, "stan", settings, run)
    return run


def guarded(label: str, fn: Callable[[], Run]) -> Run:
    """Run one measurement; a failure becomes a table row instead of ending the benchmark."""
    log(f"{label}: start")
    try:
        run = fn()
    except Exception as exc:  # noqa: BLE001 - report and go on with the other samplers
        traceback.print_exc(file=sys.stderr)
        return Run(label, ok=False, note=f"failed: {type(exc).__name__}: {exc}"[:200])
    log(f"{label}: {run.total_s:.0f} s, min bulk ESS {run.ess_bulk_min:.0f}")
    return run


# ---- subsets for the scaling study -----------------------------------------------------------


def model_subset(inp: FitInput, data: ModelData, fraction: float, seed: int) -> FitInput:
    """A random ``fraction`` of the full fit's models, on the full fit's benchmarks.

    Drawn from the models the full fit uses (not every scored model: older ones fall before
    the spec's start date), so 25% means a quarter of the fit's models. The inclusion rule
    still applies, so a benchmark with too few open or closed models left drops out.
    """
    keep = inp.scores["model_id"].isin(data.model_ids) & inp.scores["benchmark_id"].isin(
        data.bench_ids)
    base = FitInput(inp.models, inp.benchmarks, inp.scores[keep], inp.data_hash, inp.label)
    return restrict(base, None, max(2, round(fraction * len(data.model_ids))), seed)


def benchmark_subset(inp: FitInput, data: ModelData, fraction: float, seed: int) -> FitInput:
    """A random ``fraction`` of the full fit's benchmarks (fixed seed), all their models."""
    rng = np.random.default_rng(seed)
    n = max(1, round(fraction * len(data.bench_ids)))
    chosen = sorted(rng.choice(sorted(data.bench_ids), size=n, replace=False).tolist())
    return restrict(inp, chosen, None, seed)


# ---- markdown ----------------------------------------------------------------------------------


def fmt(x: float, digits: int = 1) -> str:
    """Number for a table cell; '-' when not available."""
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:,.{digits}f}"


def ratio(x: float, ref: float) -> str:
    """``x / ref`` as 'N.NNx'; '-' when either is missing."""
    if not (np.isfinite(x) and np.isfinite(ref)) or ref == 0:
        return "-"
    return f"{x / ref:.2f}x"


def markdown_table(runs: list[Run], columns: list[tuple[str, Callable[[Run], str]]]) -> str:
    """One row per run; a failed run shows its label, dashes and its note."""
    head = "| " + " | ".join(name for name, _ in columns) + " |\n" + "|---" * len(columns) + "|\n"
    rows = []
    for r in runs:
        cells = [cell(r) if r.ok or name in ("sampler", "subset", "note") else "-"
                 for name, cell in columns]
        rows.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(rows) + "\n"


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


def sampler_table(runs: list[Run]) -> str:
    """The comparison of samplers, ratios relative to the first (nutpie) row."""
    ref = runs[0]
    names = ["compile + setup (s)", "sampling (s)", "post-processing (s)", "total (s)",
             "gradient evals", "min bulk ESS (gap)", "ESS/s sampling", "ESS/s total",
             "ESS per 1k grads", "R-hat max", "divergences"]
    return markdown_table(runs, [
        ("sampler", lambda r: r.label), *[(n, COLUMNS[n]) for n in names],
        ("sampling time vs nutpie", lambda r: ratio(r.sampling_s, ref.sampling_s)),
        ("ESS/s vs nutpie", lambda r: ratio(r.ess_per_s, ref.ess_per_s)),
        ("note", COLUMNS["note"]),
    ])


def scaling_table(runs: list[Run]) -> str:
    """The scaling study: size, time and ESS/s per subset."""
    names = ["models", "benchmarks", "scores", "total (s)", "sampling (s)", "gradient evals",
             "min bulk ESS (gap)", "ESS/s sampling", "R-hat max", "divergences", "note"]
    return markdown_table(runs, [("subset", lambda r: r.label),
                                 *[(n, COLUMNS[n]) for n in names]])


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


# ---- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chains", type=int, help="chains (default: the spec's, 4; --quick: 2)")
    p.add_argument("--draws", type=int, help="draws per chain (spec: 1000; --quick: 200)")
    p.add_argument("--tune", type=int, help="tuning steps per chain (spec: 1000; --quick: 200)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 2 chains x 200 draws after 200 tuning steps")
    p.add_argument("--seed", type=int, default=0, help="sampler and subset seed (default 0)")
    p.add_argument("--cores", type=int, default=2, help="parallel chains (default 2)")
    p.add_argument("--samplers", default="nutpie,pymc,stan",
                   help="comma-separated subset of nutpie,pymc,stan (default: all three)")
    p.add_argument("--no-scaling", action="store_true", help="skip the scaling study")
    p.add_argument("--max-models", type=int,
                   help="fit a random subset of this many models (development runs)")
    p.add_argument("--benchmarks", help="comma-separated benchmark ids (development runs)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help="markdown file to write (default: bench/results.md)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the markdown and write it to ``--out``."""
    args = parse_args(argv)
    samplers = [s.strip() for s in args.samplers.split(",") if s.strip()]
    unknown = sorted(set(samplers) - {"nutpie", "pymc", "stan"})
    if unknown or not samplers:
        raise SystemExit(f"run_bench.py: unknown sampler(s) {unknown}: use nutpie,pymc,stan")
    spec = load_spec("default")
    cfg = {**spec.sampler, **(QUICK if args.quick else {})}
    settings = SamplerSettings(
        chains=args.chains or cfg["chains"], draws=args.draws or cfg["draws"],
        tune=args.tune or cfg["tune"], seed=args.seed, cores=args.cores,
        target_accept=cfg["target_accept"], progressbar=False)
    inp = load_fit_input()
    benchmarks = args.benchmarks.split(",") if args.benchmarks else None
    if benchmarks or args.max_models:
        inp = restrict(inp, benchmarks, args.max_models, args.seed)
    data = build_model_data(inp.models, inp.benchmarks, inp.scores, spec)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine_before = machine_line()
    log(f"data {inp.label} {inp.data_hash}: {len(data.model_ids)} models, "
        f"{len(data.bench_ids)} benchmarks, {len(data.y)} scores; {settings.chains} chains x "
        f"({settings.tune} + {settings.draws})")

    runs: list[Run] = []
    if "nutpie" in samplers:
        runs.append(guarded("PyMC + nutpie", lambda: run_pymc(
            data, spec, replace(settings, sampler="nutpie"), "PyMC + nutpie")))
    if "pymc" in samplers:
        runs.append(guarded("PyMC NUTS", lambda: run_pymc(
            data, spec, replace(settings, sampler="pymc"), "PyMC NUTS")))
    if "stan" in samplers:
        reason = stan_available()
        if reason is None:
            runs.append(guarded("Stan (CmdStan)", lambda: run_stan(data, spec, settings)))
        else:
            log(f"Stan skipped: {reason}")
            runs.append(Run("Stan (CmdStan)", ok=False, note=f"skipped: {reason}"))

    scaling: list[Run] = []
    if not args.no_scaling:
        nutpie = replace(settings, sampler="nutpie")
        full = next((r for r in runs if r.label == "PyMC + nutpie" and r.ok), None)
        for kind, subset in (("models", model_subset), ("benchmarks", benchmark_subset)):
            for frac in FRACTIONS:
                label = f"{frac:.0%} of {kind}"
                if frac == 1.0 and full is not None:
                    # The full-size nutpie fit was just measured: reuse it, don't refit.
                    scaling.append(replace(full, label=f"{label} (the run above)"))
                    continue
                sub = subset(inp, data, frac, args.seed)
                try:
                    sub_data = build_model_data(sub.models, sub.benchmarks, sub.scores, spec)
                except ValueError as exc:
                    # Small (development) inputs can leave no benchmark passing the rule.
                    log(f"{label}: skipped ({exc})")
                    scaling.append(Run(label, ok=False, note=f"skipped: {exc}"))
                    continue
                scaling.append(guarded(label, lambda d=sub_data, lab=label: run_pymc(
                    d, spec, nutpie, lab)))

    lines = [
        "# gapbayes sampler benchmark",
        "",
        f"- started {started}; gapbayes {versions()['gapbayes']}, pymc {versions()['pymc']}, "
        f"nutpie {versions()['nutpie']}, cmdstanpy {versions()['cmdstanpy']}",
        f"- data {inp.label} {inp.data_hash}, spec default ({spec.spec_id}): "
        f"{len(data.model_ids)} models, {len(data.bench_ids)} benchmarks, {len(data.y)} scores"
        + (f" (subset: max_models={args.max_models}, benchmarks={args.benchmarks})"
           if benchmarks or args.max_models else ""),
        f"- {settings.chains} chains x ({settings.tune} tuning + {settings.draws} draws), "
        f"target_accept {settings.target_accept}, {settings.cores} parallel chains, seed "
        f"{settings.seed}" + (" (--quick)" if args.quick else ""),
        f"- machine at start: {machine_before}",
        f"- machine at end: {machine_line()}",
        f"- ESS: smallest bulk ESS over {', '.join(GAP_VARS)}; gradient evaluations: leapfrog "
        "steps after tuning; ratios relative to PyMC + nutpie (see bench/README.md)",
        "",
        "## Samplers",
        "",
        sampler_table(runs) if runs else "(no sampler run)\n",
    ]
    if scaling:
        lines += ["## Scaling (nutpie)", "", scaling_table(scaling)]
    text = "\n".join(lines)
    print(text)
    write_text(args.out, text)
    log(f"wrote {args.out}")
    return 0 if all(r.ok or r.note.startswith("skipped") for r in runs + scaling) else 1


if __name__ == "__main__":
    raise SystemExit(main())
