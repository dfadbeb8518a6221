"""Performance benchmark of the gapbayes samplers on the real data (``make bench``).

Fits each spec of ``--specs`` (default: the new ``default`` spec, family "frontier", next to
the old model kept as ``timeshift-v1``) on the bundled Epoch data with

(a) PyMC + nutpie (the default), (b) PyMC's own NUTS, (c) Stan through CmdStan, the
family's own Stan program (skipped with a note when the Stan backend or CmdStan is missing),

calling each backend's ``sample()`` directly (no result-folder cache). Every spec is built and
summarised through its family (``gapbayes.model.families.family``): its design data, its PyMC
model or Stan program, its derived gap quantities. All specs are sampled with the same settings
(the default spec's ``[sampler]``: 4 chains x (1000 + 1000)), so their ESS compare directly.

It prints markdown tables: per (spec, sampler) the wall time split into compile/setup,
sampling and post-processing, gradient evaluations, the smallest bulk ESS over the gap
quantities, ESS per second, the largest R-hat, divergences and ratios relative to nutpie of the
same spec; then, per sampler, the ratios of the default spec to timeshift-v1 (each later spec of
``--specs``); with ``--scaling``, a scaling study (default spec, nutpie only) on random subsets
of 25/50/100% of the models and of the benchmarks. The same markdown goes to ``--out``
(default ``bench/results.md``). ``bench/README.md`` explains how to read it.

This is a script, not a test: the full run is meant to take about 45 minutes on 2 cores
(``--scaling`` adds 4 nutpie fits on subsets). ``--quick`` (2 chains x 200 draws after 200
tuning steps) with ``--max-models``/``--benchmarks`` checks that it works.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from bench_tables import (
    SAMPLERS,
    SCALING_SPEC,
    Run,
    machine_line,
    nutpie_of,
    sampler_table,
    scaling_table,
    spec_table,
    target_lines,
)

from gapbayes.atomic import write_text
from gapbayes.inference.backends import SamplerSettings, get_backend
from gapbayes.inference.diagnostics import GAP_VARS, run_diagnostics
from gapbayes.inference.fit import FitInput, restrict
from gapbayes.inference.inputs import load_fit_input
from gapbayes.inference.results import versions
from gapbayes.model.families import family
from gapbayes.model.spec import Spec, load_spec

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = BENCH_DIR / "results.md"
DEFAULT_SPECS = ("default", "timeshift-v1")
FRACTIONS = (0.25, 0.5, 1.0)
QUICK = {"chains": 2, "draws": 200, "tune": 200}
# Per-draw count of leapfrog steps (= gradient evaluations) under the names the backends use.
STEP_STATS = ("n_steps", "n_leapfrog", "n_leapfrog__", "tree_size")


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


def sizes(data: Any) -> tuple[int, int, int]:
    """Models, benchmarks and scores of a family's design data."""
    return len(data.model_ids), len(data.bench_ids), len(data.y)


def measure(dt: xr.DataTree, data: Any, spec: Spec, backend_name: str,
            settings: SamplerSettings, run: Run) -> None:
    """Fill ESS, R-hat and divergences of ``run`` exactly as a fit's diagnostics do.

    The family derives its gap quantities; the ESS is the smallest over those of
    ``GAP_VARS`` it produces (the diagnostics skip the others).
    """
    derived = family(spec).gap_quantities(dt["posterior"].to_dataset(), data)
    dt["posterior"] = xr.DataTree(xr.merge([dt["posterior"].to_dataset(), derived]))
    run.gap_vars = tuple(v for v in GAP_VARS if v in derived)
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
    from gapbayes.inference.stan_install import find_cmdstan

    if find_cmdstan() is None:
        return "CmdStan not installed (run `make cmdstan`)"
    return None


def new_run(data: Any, spec: Spec, sampler: str, label: str | None = None) -> Run:
    """An empty Run for ``sampler`` on ``data``."""
    return Run(label or SAMPLERS[sampler], spec.name, sampler, *sizes(data))


def run_pymc(data: Any, spec: Spec, settings: SamplerSettings, label: str | None = None) -> Run:
    """Sample with the PyMC backend (nutpie or PyMC's NUTS per ``settings.sampler``)."""
    import pymc as pm

    run = new_run(data, spec, settings.sampler, label)
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


def run_stan(data: Any, spec: Spec, settings: SamplerSettings) -> Run:
    """Compile the family's program (timed on its own; cached builds take about a second) and
    sample."""
    import cmdstanpy

    from gapbayes.inference import backend_stan

    run = new_run(data, spec, "stan")
    stan_file = family(spec).stan().stan_file
    start = time.perf_counter()
    backend_stan.compile_model(stan_file)
    compile_s = time.perf_counter() - start
    # A cached build loads in about a second; say which case this row measured.
    run.note = (f"{stan_file.name}: " + ("compiled program from the cache" if compile_s < 5
                                         else f"built in this run ({compile_s:.0f} s)"))
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
    # The second compile_model() inside sample() is a cache hit; it counts as setup, as do
    # the start points (built from the family's PyMC model).
    run.compile_s = compile_s + call_s - run.sampling_s - run.post_s
    run.total_s = compile_s + call_s
    measure(dt, data, spec, "stan", settings, run)
    return run


def guarded(label: str, fn: Callable[[], Run], row: Run) -> Run:
    """Run one measurement; a failure becomes a table row (``row`` with a note) instead of
    ending the benchmark."""
    log(f"{label}: start")
    try:
        run = fn()
    except Exception as exc:  # noqa: BLE001 - report and go on with the other samplers
        traceback.print_exc(file=sys.stderr)
        return replace(row, ok=False, note=f"failed: {type(exc).__name__}: {exc}"[:200])
    log(f"{label}: {run.total_s:.0f} s (sampling {run.sampling_s:.0f} s), "
        f"min bulk ESS {run.ess_bulk_min:.0f}")
    return run


# ---- subsets for the scaling study (default spec) --------------------------------------------


def model_subset(inp: FitInput, data: Any, fraction: float, seed: int) -> FitInput:
    """A random ``fraction`` of the full fit's models, on the full fit's benchmarks.

    ``data`` is the default spec's design data. Drawn from the models the full fit uses (not
    every scored model: older ones fall before the spec's start date), so 25% means a quarter
    of the fit's models. The inclusion rule still applies, so a benchmark with too few open or
    closed models left drops out.
    """
    keep = inp.scores["model_id"].isin(data.model_ids) & inp.scores["benchmark_id"].isin(
        data.bench_ids)
    base = FitInput(inp.models, inp.benchmarks, inp.scores[keep], inp.data_hash, inp.label)
    return restrict(base, None, max(2, round(fraction * len(data.model_ids))), seed)


def benchmark_subset(inp: FitInput, data: Any, fraction: float, seed: int) -> FitInput:
    """A random ``fraction`` of the full fit's benchmarks (fixed seed), all their models."""
    rng = np.random.default_rng(seed)
    n = max(1, round(fraction * len(data.bench_ids)))
    chosen = sorted(rng.choice(sorted(data.bench_ids), size=n, replace=False).tolist())
    return restrict(inp, chosen, None, seed)


def scaling_study(inp: FitInput, data: Any, spec: Spec, settings: SamplerSettings,
                  full: Run | None, seed: int) -> list[Run]:
    """Nutpie on 25/50/100% of the models and of the benchmarks of the default spec's fit.

    The 100% rows reuse ``full`` (the nutpie run of the sampler table) when it succeeded.
    """
    nutpie = replace(settings, sampler="nutpie")
    runs: list[Run] = []
    for kind, subset in (("models", model_subset), ("benchmarks", benchmark_subset)):
        for frac in FRACTIONS:
            label = f"{frac:.0%} of {kind}"
            if frac == 1.0 and full is not None:
                # The full-size nutpie fit was just measured: reuse it, don't refit.
                runs.append(replace(full, label=f"{label} (the run above)"))
                continue
            sub = subset(inp, data, frac, seed)
            try:
                sub_data = family(spec).build_data(sub.models, sub.benchmarks, sub.scores, spec)
            except ValueError as exc:
                # Small (development) inputs can leave no benchmark passing the rule.
                log(f"scaling {label}: skipped ({exc})")
                runs.append(Run(label, spec.name, "nutpie", ok=False, note=f"skipped: {exc}"))
                continue
            runs.append(guarded(f"scaling {label}", lambda d=sub_data, lab=label: run_pymc(
                d, spec, nutpie, lab), Run(label, spec.name, "nutpie")))
    return runs


# ---- markdown ----------------------------------------------------------------------------------


# ---- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--specs", nargs="+", default=list(DEFAULT_SPECS), metavar="SPEC",
                   help="specs to fit, by shipped name or .toml path, space- or "
                        "comma-separated; ratios between specs divide the first by each "
                        "later one (default: default timeshift-v1)")
    p.add_argument("--chains", type=int,
                   help="chains (default: the default spec's, 4; --quick: 2)")
    p.add_argument("--draws", type=int, help="draws per chain (default spec: 1000; --quick: 200)")
    p.add_argument("--tune", type=int,
                   help="tuning steps per chain (default spec: 1000; --quick: 200)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 2 chains x 200 draws after 200 tuning steps")
    p.add_argument("--seed", type=int, default=0, help="sampler and subset seed (default 0)")
    p.add_argument("--cores", type=int, default=2, help="parallel chains (default 2)")
    p.add_argument("--samplers", default="nutpie,pymc,stan",
                   help="comma-separated subset of nutpie,pymc,stan (default: all three)")
    scaling = p.add_mutually_exclusive_group()
    scaling.add_argument("--scaling", action="store_true",
                         help="also run the scaling study (default spec, nutpie, 4 extra fits)")
    scaling.add_argument("--no-scaling", action="store_false", dest="scaling",
                         help=argparse.SUPPRESS)  # the old opt-out, now the default
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
    unknown = sorted(set(samplers) - set(SAMPLERS))
    if unknown or not samplers:
        raise SystemExit(f"run_bench.py: unknown sampler(s) {unknown}: use nutpie,pymc,stan")
    samplers = [s for s in SAMPLERS if s in samplers]          # table order
    names = list(dict.fromkeys(s.strip() for arg in args.specs for s in arg.split(",")
                               if s.strip()))
    if not names:
        raise SystemExit("run_bench.py: --specs needs at least one spec")
    specs = [load_spec(name) for name in names]
    # One set of sampler settings for every spec (the default spec's), so ESS compare directly.
    cfg = {**load_spec("default").sampler, **(QUICK if args.quick else {})}
    settings = SamplerSettings(
        chains=args.chains or cfg["chains"], draws=args.draws or cfg["draws"],
        tune=args.tune or cfg["tune"], seed=args.seed, cores=args.cores,
        target_accept=cfg["target_accept"], adaptation=cfg.get("adaptation", "diag"),
        extra_doublings=cfg.get("extra_doublings", 0), progressbar=False)
    inp = load_fit_input()
    benchmarks = args.benchmarks.split(",") if args.benchmarks else None
    if benchmarks or args.max_models:
        inp = restrict(inp, benchmarks, args.max_models, args.seed)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine_before = machine_line()
    reason = stan_available() if "stan" in samplers else None
    if reason is not None:
        log(f"Stan skipped: {reason}")

    runs: list[Run] = []
    data_of: dict[str, Any] = {}
    spec_lines: list[str] = []
    for spec in specs:
        fam = family(spec)
        try:
            data = fam.build_data(inp.models, inp.benchmarks, inp.scores, spec)
        except ValueError as exc:
            log(f"{spec.name}: no data ({exc})")
            spec_lines.append(f"- spec {spec.name} ({spec.spec_id}, family {fam.name}): "
                              f"no data: {exc}")
            runs += [Run(SAMPLERS[s], spec.name, s, ok=False, note=f"failed: {exc}"[:200])
                     for s in samplers]
            continue
        data_of[spec.name] = data
        m, b, n = sizes(data)
        spec_lines.append(f"- spec {spec.name} ({spec.spec_id}, family {fam.name}): {m} models, "
                          f"{b} benchmarks, {n} scores")
        log(f"{spec.name} (family {fam.name}): {m} models, {b} benchmarks, {n} scores; "
            f"{settings.chains} chains x ({settings.tune} + {settings.draws})")
        for sampler in samplers:
            label = f"{spec.name}: {SAMPLERS[sampler]}"
            if sampler == "stan":
                if reason is None:
                    runs.append(guarded(label, lambda d=data, s=spec: run_stan(d, s, settings),
                                        Run(SAMPLERS[sampler], spec.name, sampler)))
                else:
                    runs.append(Run(SAMPLERS[sampler], spec.name, sampler, ok=False,
                                    note=f"skipped: {reason}"))
            else:
                runs.append(guarded(
                    label, lambda d=data, s=spec, k=sampler: run_pymc(
                        d, s, replace(settings, sampler=k)),
                    Run(SAMPLERS[sampler], spec.name, sampler)))

    scaling: list[Run] = []
    if args.scaling:
        spec = next((s for s in specs if s.name == SCALING_SPEC), None) or load_spec(SCALING_SPEC)
        data = data_of.get(spec.name)
        if data is None:
            data = family(spec).build_data(inp.models, inp.benchmarks, inp.scores, spec)
        scaling = scaling_study(inp, data, spec, settings, nutpie_of(runs, spec.name), args.seed)

    gap_vars = {r.spec: r.gap_vars for r in runs if r.ok and r.gap_vars}
    ess_line = "; ".join(f"{s}: {', '.join(v)}" for s, v in gap_vars.items()) or "-"
    v = versions()
    lines = [
        "# gapbayes sampler benchmark",
        "",
        f"- started {started}; gapbayes {v['gapbayes']}, pymc {v['pymc']}, "
        f"nutpie {v['nutpie']}, cmdstanpy {v['cmdstanpy']}",
        f"- data {inp.label} {inp.data_hash}"
        + (f" (subset: max_models={args.max_models}, benchmarks={args.benchmarks})"
           if benchmarks or args.max_models else ""),
        *spec_lines,
        f"- every spec: {settings.chains} chains x ({settings.tune} tuning + {settings.draws} "
        f"draws), target_accept {settings.target_accept}, {settings.cores} parallel chains, "
        f"seed {settings.seed}" + (" (--quick)" if args.quick else "")
        + f"; nutpie only: adaptation {settings.adaptation}, extra_doublings "
          f"{settings.extra_doublings}",
        f"- machine at start: {machine_before}",
        f"- machine at end: {machine_line()}",
        f"- ESS: smallest bulk ESS over the gap quantities ({ess_line}); gradient evaluations: "
        "leapfrog steps after tuning; ratios relative to PyMC + nutpie of the same spec "
        "(see bench/README.md)",
        *target_lines(runs, args.quick or bool(benchmarks or args.max_models)),
        "",
        "## Samplers",
        "",
        sampler_table(runs) if runs else "(no sampler run)\n",
    ]
    spec_names = [s.name for s in specs]
    if len(spec_names) > 1:
        lines += [f"## {spec_names[0]} relative to {', '.join(spec_names[1:])} (same sampler)",
                  "", spec_table(runs, spec_names)]
    if scaling:
        lines += [f"## Scaling ({SCALING_SPEC} spec, nutpie)", "", scaling_table(scaling)]
    text = "\n".join(lines)
    print(text)
    write_text(args.out, text)
    log(f"wrote {args.out}")
    return 0 if all(r.ok or r.note.startswith("skipped") for r in runs + scaling) else 1


if __name__ == "__main__":
    raise SystemExit(main())
