"""Helpers shared by the commands: the subcommand parser, and the flags of the fitting ones.

Every command adds its parser with :func:`add_subcommand`. The commands that fit specs
(``fit``, ``compare``, ``sensitivity``) take the same sampler, data-subset and output flags
and turn them into the same :func:`gapbayes.inference.fit.run_fit` call, so a spec fitted by
``gapbayes fit`` and by ``gapbayes compare`` with the same flags lands in the same cached
result folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gapbayes.commands.argtypes import (
    chain_count,
    extra_doublings,
    nonnegative_int,
    open_unit,
    positive_int,
)
from gapbayes.errors import GapbayesError
from gapbayes.paths import results_dir

if TYPE_CHECKING:
    from gapbayes.inference.backends import SamplerSettings
    from gapbayes.inference.fit import FitInput, FitResult
    from gapbayes.model.spec import Spec

FORMATS = ["text", "markdown", "csv", "json"]


def add_subcommand(sub: argparse._SubParsersAction, name: str, *, help: str, description: str,
                   func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """Add the parser of subcommand ``name`` that runs ``func``.

    Parameters
    ----------
    sub
        The subparsers of the parent command.
    name
        The subcommand's name on the command line.
    help
        One line for the parent's list of subcommands.
    description
        The paragraph at the top of the subcommand's ``--help``; it may be written as an
        indented triple-quoted block, its line breaks are folded into spaces.
    func
        ``func(args) -> exit code``, what the subcommand runs.

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser, for its arguments.
    """
    # argparse reflows the text anyway; folding it here keeps parser.description one paragraph
    p = sub.add_parser(name, help=help, description=" ".join(description.split()))
    p.set_defaults(func=func)
    return p


def add_command_group(sub: argparse._SubParsersAction, name: str, *, help: str,
                      description: str, dest: str, metavar: str) -> argparse._SubParsersAction:
    """Add a command made of actions (``gapbayes data build``...) and return its subparsers.

    Given no action, the command prints its own help (the actions it offers) and exits with
    code 2. ``help`` and ``description`` are as in :func:`add_subcommand`; ``dest`` and
    ``metavar`` name the chosen action in the namespace and in the usage line.
    """

    def show_actions(args: argparse.Namespace) -> int:
        p.print_help()
        return 2

    p = add_subcommand(sub, name, help=help, description=description, func=show_actions)
    return p.add_subparsers(dest=dest, metavar=metavar)


def add_fit_arguments(p: argparse.ArgumentParser) -> None:
    """Add the backend, sampler, data-subset and output flags of a fitting command.

    Parameters
    ----------
    p
        The subcommand's parser.
    """
    p.add_argument("--backend", choices=["pymc", "stan"], default="pymc",
                   help="pymc (default, works after pip install) or stan (needs CmdStan)")
    p.add_argument("--sampler", choices=["nutpie", "pymc"], default="nutpie",
                   help="NUTS implementation for the pymc backend (default: %(default)s)")
    p.add_argument("--adaptation", choices=["diag", "low_rank", "pilot"],
                   help="nutpie's mass-matrix adaptation (default: from the spec's [sampler])")
    spec_default = default_sampler()
    for flag, kind, what in (("chains", chain_count, "number of chains"),
                             ("draws", positive_int, "draws per chain after tuning"),
                             ("tune", nonnegative_int, "tuning steps per chain"),
                             ("target_accept", open_unit, "NUTS target acceptance in (0, 1)")):
        p.add_argument(f"--{flag.replace('_', '-')}", type=kind,
                       help=f"{what} (default: the spec's [sampler] {flag}; "
                            f"{spec_default.get(flag)} in the default spec)")
    p.add_argument("--extra-doublings", type=extra_doublings,
                   help="nutpie: trajectory doublings past the U-turn (default: the spec's "
                        f"[sampler] extra_doublings; {spec_default.get('extra_doublings', 0)} "
                        "in the default spec)")
    p.add_argument("--seed", type=nonnegative_int, default=0,
                   help="random seed (default: %(default)s)")
    p.add_argument("--cores", type=positive_int, default=2,
                   help="parallel chains (default: %(default)s)")
    p.add_argument("--data", type=Path, help="data folder holding tidy/ (default: bundled data)")
    p.add_argument("--benchmarks", help="comma-separated benchmark ids: fit only these "
                                        "(still subject to the spec's inclusion rule)")
    p.add_argument("--max-models", type=positive_int,
                   help="fit a random subset of this many models (quick runs)")
    p.add_argument("--out", type=Path, help="results root (default: results/)")
    p.add_argument("--force", action="store_true", help="refit even if a cached result exists")
    p.add_argument("--no-plots", action="store_true", help="skip the per-fit figures")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def default_sampler() -> dict[str, Any]:
    """Return the ``[sampler]`` section of the shipped default spec (for ``--help`` texts)."""
    from gapbayes.model.spec import load_spec

    return load_spec("default").sampler


def add_format_argument(p: argparse.ArgumentParser) -> None:
    """Add ``--format`` (text, markdown, csv, json) for the printed table."""
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="printed table format (default: %(default)s)")


def log_stderr(message: str) -> None:
    """Print progress on stderr, so stdout carries only the table (csv/json stay parseable)."""
    print(message, file=sys.stderr)


def publish(result: Any, manifest: dict, folder: Path, fmt: str) -> None:
    """Write ``result`` and its manifest into ``folder`` atomically, then print its table.

    Parameters
    ----------
    result
        An object with ``write(folder)`` and ``format(fmt)`` (a comparison or a study).
    manifest
        JSON-ready provenance, written as ``manifest.json``.
    folder
        The output folder (replaced whole, or left untouched when anything fails).
    fmt
        Printed format: text, markdown, csv or json.
    """
    from gapbayes.atomic import staged_dir, write_text

    with staged_dir(folder) as tmp:
        result.write(tmp)
        write_text(tmp / "manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")
    sys.stdout.write(result.format(fmt))
    log_stderr(f"written to {folder}")


def out_root(args: argparse.Namespace) -> Path:
    """Return the results root: ``--out`` or ``results/``."""
    return args.out or results_dir()


def sampler_settings(args: argparse.Namespace, spec: Spec) -> SamplerSettings:
    """Sampler settings from the flags, defaulting to the spec's ``[sampler]`` section."""
    from gapbayes.inference.backends import SamplerSettings

    cfg = spec.sampler

    def pick(flag: str, default: Any) -> Any:
        value = getattr(args, flag)
        return default if value is None else value   # 0 is a value, not "use the default"

    return SamplerSettings(
        chains=pick("chains", cfg["chains"]), draws=pick("draws", cfg["draws"]),
        tune=pick("tune", cfg["tune"]), seed=args.seed, cores=args.cores,
        target_accept=pick("target_accept", cfg["target_accept"]), sampler=args.sampler,
        adaptation=pick("adaptation", cfg.get("adaptation", "diag")),
        extra_doublings=pick("extra_doublings", cfg.get("extra_doublings", 0)),
        progressbar=not args.no_progress,
    )


def fit_input(args: argparse.Namespace) -> tuple[FitInput, dict]:
    """Load the tidy data of ``--data`` restricted by ``--benchmarks``/``--max-models``.

    Returns
    -------
    inp, subset
        The data and the subset description recorded in the fits' manifests.

    Raises
    ------
    GapbayesError
        An unknown benchmark in ``--benchmarks``.
    """
    from gapbayes.atomic import check_writable_folder
    from gapbayes.inference.fit import restrict
    from gapbayes.inference.inputs import load_fit_input

    # an unusable --out must fail now, not when the result is written after the sampling
    check_writable_folder(out_root(args), f"--out {out_root(args)}")
    inp = load_fit_input(args.data)
    benchmarks = None
    if args.benchmarks is not None:
        benchmarks = [b.strip() for b in args.benchmarks.split(",") if b.strip()]
        if not benchmarks:
            raise GapbayesError(f"--benchmarks: no benchmark id in '{args.benchmarks}'")
    subset = {k: v for k, v in {"benchmarks": benchmarks, "max_models": args.max_models}.items()
              if v is not None}
    try:
        inp = restrict(inp, benchmarks, args.max_models, args.seed)
    except ValueError as exc:
        raise GapbayesError(str(exc)) from exc
    return inp, subset


def spec_fitter(args: argparse.Namespace, inp: FitInput, subset: dict,
                log: Callable[[str], None] = print) -> Callable[[Spec], FitResult]:
    """Return ``spec -> FitResult``: :func:`run_fit` (cached) with the command's flags."""
    from gapbayes.inference.fit import run_fit
    from gapbayes.reporting.plots import fit_plotter

    root = out_root(args)

    def fit(spec: Spec) -> FitResult:
        return run_fit(inp, spec, backend=args.backend, settings=sampler_settings(args, spec),
                       out_root=root, force=args.force, subset=subset,
                       plotter=None if args.no_plots else fit_plotter(root / "baseline", log),
                       log=log)

    return fit
