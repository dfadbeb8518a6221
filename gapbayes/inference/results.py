"""Result folders: ``results/<data>-<spec>-<id>/`` with posterior, tables, plots, manifest.

A folder is written whole under a temporary name and renamed into place, so a result either
exists completely or not at all. ``manifest.json`` records what made it (spec, data hash,
seed, sampler settings, versions), its diagnostics with a ``checks_made`` block, and the
sha256 of every other top-level file (``checksums``), verified whenever the folder is read
back: a truncated or altered posterior.nc is reported, never summarised or reused.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd
import xarray as xr

from gapbayes import __version__
from gapbayes.atomic import is_staging
from gapbayes.data.csvfile import neutralise_frame
from gapbayes.errors import GapbayesError

TABLES = ("gap_over_time", "gap_at_dates", "bias_terms", "threshold_gaps", "parameters",
          "inclusion", "benchmark_gaps", "gap_change", "prior_check",
          "ceiling_check", "prior_gap_over_time", "prior_predictive_scores", "country_gaps",
          "lab_lags", "frontier_holders", "country_lags", "lab_curves")
PACKAGES = ("pymc", "pytensor", "arviz", "arviz-base", "arviz-stats", "nutpie", "cmdstanpy",
            "numpy", "pandas", "xarray")


def versions() -> dict[str, str]:
    """Versions of Python, gapbayes and the numerical stack."""
    out = {"python": platform.python_version(), "gapbayes": __version__}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def backend_label(manifest: dict) -> str:
    """``pymc/nutpie``, ``pymc/pymc`` or ``stan``: the backend and, for PyMC, its NUTS."""
    backend = str(manifest.get("backend", "?"))
    nuts = manifest.get("sampler", {}).get("sampler")
    return f"{backend}/{nuts}" if nuts else backend


def code_fingerprint(package: Path | None = None, stan: Path | None = None) -> str:
    """First 12 hex digits of sha256 over the code that turns data into draws.

    The model (``gapbayes/model``), the inference code (``gapbayes/inference``) and the Stan
    programs. Part of a fit's cache key: a result made by other model or sampler code (an
    upgrade, a local edit) is refitted, not reused as if it were this code's.

    Parameters
    ----------
    package, stan
        The package folder and the Stan programs' folder (default: this installation's).
    """
    from gapbayes.paths import stan_dir

    package = package or Path(__file__).resolve().parents[1]
    stan = stan or stan_dir()
    files = sorted([*package.glob("model/*.py"), *package.glob("inference/*.py"),
                    *stan.glob("*.stan")], key=lambda f: (f.parent.name, f.name))
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.parent.name}/{f.name}\0".encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:12]


def fit_id(parts: dict) -> str:
    """First 8 hex digits of sha256 over everything that determines a fit."""
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:8]


def now_iso() -> str:
    """Return the current UTC time, ISO 8601."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_result_files(folder: Path, dt: xr.DataTree, tables: dict[str, pd.DataFrame]) -> None:
    """Write posterior.nc and the summary CSVs into (staged) ``folder``."""
    dt.to_netcdf(folder / "posterior.nc", engine="h5netcdf")
    for name, frame in tables.items():
        neutralise_frame(frame).to_csv(folder / f"{name}.csv", index=False,
                                       float_format="%.6g")


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every top-level file of ``folder`` but the manifest (plots/ may be redrawn)."""
    return {p.name: file_sha256(p) for p in sorted(folder.iterdir())
            if p.is_file() and p.name != "manifest.json"}


def write_manifest(folder: Path, manifest: dict) -> dict:
    """Write ``manifest.json`` with the checksums of the files already in ``folder``.

    Returns
    -------
    dict
        The manifest as written (with its ``checksums`` entry).
    """
    manifest = {**manifest, "checksums": checksums(folder)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return manifest


def verify_checksums(folder: Path, manifest: dict) -> None:
    """Check the files of a result folder against the manifest's ``checksums``.

    Manifests written before checksums existed have none; there is nothing to verify then.
    A reference copy (results/reference/) keeps only the small files and names the others in
    ``files_omitted``; those are not expected.

    Raises
    ------
    GapbayesError
        A listed file is missing or its bytes changed since the manifest was written.
    """
    omitted = set(manifest.get("files_omitted") or [])
    for name, expected in (manifest.get("checksums") or {}).items():
        if name in omitted:
            continue
        path = folder / name
        if not path.is_file():
            raise GapbayesError(f"{path}: missing from the result folder (listed in its "
                                "manifest); refit with 'gapbayes fit --force'")
        if file_sha256(path) != expected:
            raise GapbayesError(f"{path}: damaged (its sha256 differs from the manifest's: "
                                "truncated or changed after the fit); refit with "
                                "'gapbayes fit --force'")


@dataclass
class LoadedResult:
    """A result folder read back: manifest and tables (posterior loaded on demand)."""

    path: Path
    manifest: dict
    tables: dict[str, pd.DataFrame]

    def posterior(self) -> xr.DataTree:
        """Open posterior.nc; one clear error when it is missing or damaged."""
        path = self.path / "posterior.nc"
        try:
            return xr.open_datatree(path, engine="h5netcdf")
        except FileNotFoundError:
            raise GapbayesError(f"{path}: missing from the result folder") from None
        except (OSError, ValueError) as exc:
            reason = " ".join(str(exc).split())[:120]
            raise GapbayesError(f"{path}: damaged posterior, not readable as NetCDF ({reason}); "
                                "refit with 'gapbayes fit --force'") from None


def read_manifest(path: Path) -> dict:
    """Read a ``manifest.json``; one clear error when it is damaged.

    Raises
    ------
    GapbayesError
        Not UTF-8, not valid JSON or not a JSON object.
    """
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise GapbayesError(f"{path}: damaged manifest (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise GapbayesError(f"{path}: damaged manifest (not valid JSON: {exc.msg} at line "
                            f"{exc.lineno})") from None
    if not isinstance(manifest, dict):
        raise GapbayesError(f"{path}: damaged manifest (not a JSON object)")
    return manifest


def load_result(path: str | Path) -> LoadedResult:
    """Read a result folder after verifying its checksums; a clear error when it is not one.

    Raises
    ------
    GapbayesError
        No or a damaged manifest, or a file whose checksum differs (:func:`verify_checksums`).
    """
    path = Path(path)
    man = path / "manifest.json"
    if not man.is_file():
        raise GapbayesError(f"{path}: not a gapbayes result folder (no manifest.json)")
    manifest = read_manifest(man)
    verify_checksums(path, manifest)
    tables = {}
    for name in TABLES:
        f = path / f"{name}.csv"
        if f.is_file() and f.stat().st_size > 1:
            tables[name] = pd.read_csv(f)
    return LoadedResult(path, manifest, tables)


def latest_result(root: Path) -> Path:
    """Return the most recently created result folder under ``root``.

    Staging folders (``.gapbayes-tmp-*``, possibly left by a killed run) never count.
    """
    found = [p.parent for p in root.glob("*/manifest.json") if p.parent.name not in
             ("baseline", "sbc") and not is_staging(p.parent.name)]
    if not found:
        raise GapbayesError(f"no fit results under {root}: run 'gapbayes fit' first")
    return max(found, key=lambda p: str(read_manifest(p / "manifest.json").get("created", "")))
