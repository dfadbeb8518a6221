"""The Stan backend: the family's program in models/ through CmdStan (cmdstanpy).

It returns the same DataTree as the PyMC backend. Each family's program is compiled once for
all its specs and cached under ``cache_dir()/stan/<hash>/``,
where the hash covers the Stan source and its ``#include`` files, the compiler options, the
CmdStan version and its ``make/local``: never file timestamps, which miss edited includes
and survive a changed toolchain. Conversion goes through ``arviz_base.from_cmdstanpy`` and then
renames to the PyMC backend's variable names and dimensions, so everything downstream
(derived quantities, diagnostics, result files) is shared.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xarray as xr

from gapbayes.errors import RunFailure
from gapbayes.inference.backend_base import PPC_DRAWS, Backend, SamplerSettings, drop_object_vars
from gapbayes.model.families import STAN_DIR, family
from gapbayes.model.links import with_single_link
from gapbayes.model.spec import Spec
from gapbayes.paths import cache_dir

if TYPE_CHECKING:
    import cmdstanpy

STAN_FILE = STAN_DIR / "frontier.stan"
# Options handed to stanc and to the C++ build; part of the cache key.
# --O1: struct-of-arrays autodiff for whole-vector code (about halves the gradient time here).
STANC_OPTIONS: dict[str, Any] = {"O1": True}
CPP_OPTIONS: dict[str, Any] = {}
# cmdstanpy's sample-statistic names after arviz's renaming -> the PyMC backend's names.
STAT_NAMES = {"tree_depth": "depth"}
_INCLUDE = re.compile(r'^\s*#include\s+[<"]?([^>"\s]+)[>"]?', re.MULTILINE)


class StanCompileError(RunFailure):
    """The Stan program does not compile (the message carries stanc's or the compiler's)."""


class StanSamplingError(RunFailure):
    """CmdStan failed while sampling (e.g. no chain could initialise)."""


def stan_sources(stan_file: Path = STAN_FILE) -> list[Path]:
    """Return the program and every file it ``#include``s, recursively."""
    seen: list[Path] = []
    todo = [stan_file]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        if not path.is_file():
            raise StanCompileError(f"{path}: included Stan file not found")
        seen.append(path)
        todo += [stan_file.parent / inc for inc in _INCLUDE.findall(path.read_text())]
    return seen


def _cmdstan_version(cmdstan: Path) -> str:
    """CMDSTAN_VERSION from CmdStan's makefile (the folder name can be anything)."""
    found = re.search(r"^CMDSTAN_VERSION\s*:?=\s*(\S+)", (cmdstan / "makefile").read_text(),
                      re.MULTILINE)
    return found.group(1) if found else cmdstan.name


def program_hash(cmdstan: Path, stan_file: Path = STAN_FILE) -> str:
    """First 16 hex digits of sha256 over the sources, the options and the toolchain."""
    h = hashlib.sha256()
    for path in stan_sources(stan_file):
        h.update(str(path.relative_to(stan_file.parent)).encode())
        h.update(path.read_bytes())
    local = cmdstan / "make" / "local"
    h.update(json.dumps({
        "stanc": STANC_OPTIONS, "cpp": CPP_OPTIONS, "cmdstan": _cmdstan_version(cmdstan),
        "make_local": local.read_text() if local.is_file() else "",
    }, sort_keys=True).encode())
    return h.hexdigest()[:16]


def _check_with_stanc(cmdstan: Path, stan_file: Path, shown: Path) -> None:
    """Run stanc alone first: its message is clearer than make's output around it.

    ``stan_file`` is the copy being compiled; errors name ``shown``, the user's file.
    """
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [str(cmdstan / "bin" / "stanc"), f"--include-paths={stan_file.parent}",
             str(stan_file), f"--o={Path(tmp) / 'model.hpp'}"],
            capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        message = (proc.stderr or proc.stdout).strip().replace(str(stan_file), str(shown))
        raise StanCompileError(f"{shown} does not compile; stanc says:\n{message}")


@contextlib.contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (POSIX flock; none where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the rename below still keeps builds whole
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(cmdstan, stan_file: Path, key: str, folder: Path) -> None:
    """Build ``stan_file`` in a private folder, then rename it to ``folder``."""
    import cmdstanpy

    shutil.rmtree(folder, ignore_errors=True)  # a folder without its exe is debris
    sources = stan_sources(stan_file)
    # Build in a private folder, then rename: concurrent fits never see a half-built exe.
    tmp = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=folder.parent))
    try:
        for src in sources:
            dst = tmp / src.relative_to(stan_file.parent)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
        _check_with_stanc(cmdstan, tmp / stan_file.name, stan_file)
        try:
            cmdstanpy.CmdStanModel(
                stan_file=tmp / stan_file.name, stanc_options=dict(STANC_OPTIONS),
                cpp_options=dict(CPP_OPTIONS), force_compile=True)
        except (ValueError, RuntimeError) as exc:
            raise StanCompileError(f"{stan_file} failed to build:\n{exc}") from exc
        tmp.chmod(0o755)  # mkdtemp's private mode is not wanted for a cache entry
        try:
            tmp.rename(folder)
        except OSError:  # another process finished first: use its build
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def compile_model(stan_file: Path = STAN_FILE) -> cmdstanpy.CmdStanModel:
    """Return the compiled program, building it into the hash-named cache folder if needed.

    Raises
    ------
    StanCompileError
        With stanc's message (syntax or type errors) or the C++ compiler's output.
    """
    import cmdstanpy

    from gapbayes.inference.stan_install import ensure_cmdstan

    cmdstan = ensure_cmdstan()
    key = program_hash(cmdstan, stan_file)
    folder = cache_dir() / "stan" / key
    exe = folder / stan_file.stem
    if not exe.is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        # One build per program at a time: a second process (a parallel test worker, a fit
        # started beside another) waits for the first one's build instead of repeating its
        # C++ compilation (measured 2026-12-05 on one core: frontier.stan 462 s, timeshift_v1.stan
        # 112 s, a one-line program 12 s).
        with _build_lock(folder.parent / f"{key}.lock"):
            if not exe.is_file():
                _build(cmdstan, stan_file, key, folder)
    # An exe-only model: cmdstanpy then never compares timestamps or recompiles.
    return cmdstanpy.CmdStanModel(exe_file=exe)


@contextlib.contextmanager
def _quiet_cmdstanpy() -> Iterator[None]:
    """Silence cmdstanpy's INFO lines and its notes on rejected warm-up proposals.

    Early warm-up proposals that overflow (a NaN mean) are rejected by NUTS and are harmless;
    PyMC rejects them silently too. Divergences and the like are reported by gapbayes'
    diagnostics, and a failed run still raises with CmdStan's message.
    """
    from cmdstanpy.utils import get_logger

    # cmdstanpy configures its logger on first use: get it configured before changing it.
    logger = get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _squeeze_optional(post: xr.Dataset, optional: tuple[str, ...]) -> xr.Dataset:
    """Size-1 arrays of switched-on parameters -> scalars, like their PyMC twins."""
    for name in optional:
        if name in post:
            extra = [d for d in post[name].dims if d not in ("chain", "draw")]
            post[name] = post[name].isel({d: 0 for d in extra}, drop=True)
    return post


def _drop_unused_dims(ds: xr.Dataset) -> xr.Dataset:
    """Drop dimensions (and their coordinates) that no variable uses any more."""
    used = {d for v in ds.data_vars.values() for d in v.dims}
    return ds.drop_dims([d for d in ds.dims if d not in used])


def to_datatree(
    fit: cmdstanpy.CmdStanMCMC, data: Any, spec: Spec, ppc_draws: int = PPC_DRAWS
) -> xr.DataTree:
    """Convert a CmdStan fit into the PyMC backend's DataTree layout.

    Parameters
    ----------
    fit
        Draws of the family's Stan program.
    data, spec
        What was fitted (for the coordinates and the switched-off parameters).
    ppc_draws
        Posterior predictive draws to keep (thinned as the PyMC backend thins them).

    Returns
    -------
    xarray.DataTree
        Groups ``posterior``, ``sample_stats``, ``log_likelihood``, ``posterior_predictive``
        and ``observed_data`` with the PyMC variable names and dimensions.
    """
    from arviz_base import from_cmdstanpy

    side = family(spec).stan()
    observed = side.observed_data(data, spec)
    ll = {k: v for k, v in side.log_likelihood.items() if k in observed}
    pp = {k: v for k, v in side.posterior_predictive.items() if k in observed}
    dims = side.dims(data, spec)
    dims.update({stan: dims[obs] for obs, stan in pp.items()})
    drop = set(side.log_likelihood.values()) | set(side.posterior_predictive.values())
    stan_vars = set(fit.stan_variables())
    keep_pp = [v for v in pp.values() if v in stan_vars]
    dt = from_cmdstanpy(
        posterior=fit, posterior_predictive=keep_pp or None,
        log_likelihood={k: v for k, v in ll.items() if v in stan_vars},
        observed_data=observed, coords=side.coords(data, spec), dims=dims, index_origin=0,
    )
    post = dt["posterior"].to_dataset()
    post = _squeeze_optional(post.drop_vars([v for v in post.data_vars if v in drop]),
                             side.optional_scalars)
    # Size-0 variables of switched-off parts have no place in the PyMC layout.
    post = post.drop_vars([v for v, x in post.data_vars.items() if x.size == 0])
    dt["posterior"] = xr.DataTree(_drop_unused_dims(with_single_link(post)))
    stats = dt["sample_stats"].to_dataset().rename(
        {k: v for k, v in STAT_NAMES.items() if k in dt["sample_stats"]})
    dt["sample_stats"] = xr.DataTree(stats)
    if keep_pp:
        ppd = dt["posterior_predictive"].to_dataset()
        ppd = ppd.rename({stan: obs for obs, stan in pp.items() if stan in ppd})
        n_chain, n_draw = ppd.sizes["chain"], ppd.sizes["draw"]
        ppd = ppd.thin({"draw": max(1, n_draw * n_chain // ppc_draws)})
        dt["posterior_predictive"] = xr.DataTree(ppd)
    return drop_object_vars(dt)


def start_points(data: Any, spec: Spec, chains: int, seed: int) -> list[dict[str, Any]]:
    """One starting point per chain, made the way the PyMC backend starts its chains.

    The frontier family: data-driven abilities and difficulties with jitter
    (:mod:`gapbayes.model.frontier_init`). Other families: the PyMC model's initial point (each
    prior's support point) with U(-1, 1) jitter on the unconstrained scale. CmdStan's own
    default, U(-2, 2) around 0 on the unconstrained scale, puts positive hyperparameters such as
    a random-walk scale at up to e^2 = 7.4; on the full data one chain of four started like that
    spent over 20 minutes in warm-up while the others took 5.
    """
    import pymc as pm

    from gapbayes.model.frontier_init import chain_seeds

    fam = family(spec)
    model = fam.build_pymc(data, spec)
    seeds = chain_seeds(seed, chains)
    if fam.start_point_fn is not None:
        start = fam.start_point_fn(model, data, transformed=False)
    else:
        start = pm.initial_point.make_initial_point_fn(
            model=model, jitter_rvs=set(model.free_RVs), return_transformed=False)
    stan_point = fam.stan().stan_point
    return [stan_point(start(s)) for s in seeds]


class StanBackend(Backend):
    """The family's Stan program sampled by CmdStan's NUTS through cmdstanpy."""

    name = "stan"

    def free_parameters(self, data: Any, spec: Spec) -> list[str]:
        """Names of the Stan parameters (the PyMC model's free RV names)."""
        return family(spec).stan().parameter_names(data, spec)

    def sample(self, data: Any, spec: Spec, settings: SamplerSettings) -> xr.DataTree:
        """Compile (cached), sample with CmdStan and convert to the shared DataTree layout."""
        side = family(spec).stan()
        model = compile_model(side.stan_file)
        sdata = side.stan_data(data, spec)
        with tempfile.TemporaryDirectory(prefix="gapbayes-stan-") as out, _quiet_cmdstanpy():
            try:
                fit = model.sample(
                    data=sdata, chains=settings.chains,
                    inits=start_points(data, spec, settings.chains, settings.seed),
                    parallel_chains=max(1, min(settings.cores, settings.chains)),
                    iter_warmup=settings.tune, iter_sampling=settings.draws,
                    seed=settings.seed, adapt_delta=settings.target_accept,
                    max_treedepth=settings.max_treedepth, show_progress=settings.progressbar,
                    output_dir=out,
                )
            except RuntimeError as exc:
                raise StanSamplingError(f"CmdStan sampling failed: {exc}") from exc
            # Converting reads every draw into memory before the CSV folder goes away.
            return to_datatree(fit, data, spec)


def one_point_fit(
    model: cmdstanpy.CmdStanModel, sdata: dict[str, Any], point: dict[str, Any], out_dir: str
) -> cmdstanpy.CmdStanMCMC:
    """Make a one-draw "fit" at ``point`` (constrained values) with every generated quantity.

    Runs the fixed-parameter sampler started at ``point`` for one iteration at full
    precision, so the transformed parameters and generated quantities (pointwise
    log-likelihood included) are evaluated exactly there.
    """
    return model.sample(
        data=sdata, inits=point, chains=1, iter_warmup=0, iter_sampling=1,
        fixed_param=True, adapt_engaged=False, sig_figs=18, seed=1, show_progress=False,
        output_dir=out_dir)
