"""Join finished misspecified studies of different settings into one table and figure.

A misspecified study at the real fit's sampler takes 75 minutes per ten worlds of one
closed:open ratio, so the ratios are run in separate sessions. ``gapbayes study combine``
puts their per-world rows together and scores them as one study would have: the same table,
paired contrasts, per-date table and bias-vs-ratio figure, computed from the rows (not by
averaging the source tables, whose standard errors would not combine). Only studies that
differ in their ratios, host settings or number of worlds can be joined: every other setting
(world generator, sampler, dates, seed, code fingerprint, fitted specs) must be equal, and no
(ratio, host, world) may appear twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapbayes.errors import GapbayesError
from gapbayes.inference.results import file_sha256
from gapbayes.studies import common
from gapbayes.studies.misspecified import NAME
from gapbayes.studies.misspecified_report import (
    by_date_table,
    figure,
    markdown,
    paired_table,
    summary_table,
)

KIND = f"study:{NAME}"
#: Config keys that may differ between the studies joined: what the union is over (a joined
#: study can be joined again: its sources are then listed in place of its own id).
VARYING = ("ratios", "hosts", "worlds", "combined_from")
SETTING = ["ratio", "host", "rep"]


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise GapbayesError(f"{path}: no such file (is {folder} a study folder?)") from exc
    except json.JSONDecodeError as exc:
        raise GapbayesError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    if manifest.get("kind") != KIND:
        raise GapbayesError(f"{path}: key 'kind' is {manifest.get('kind')!r}; only "
                            f"'{KIND}' studies can be combined")
    return manifest


def _first_difference(a: Any, b: Any, where: str) -> tuple[str, Any, Any] | None:
    """Return the first key path (``config.settings.seed``) where ``a`` and ``b`` differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}.{key}", a.get(key, "(absent)"), b.get(key, "(absent)")
            found = _first_difference(a[key], b[key], f"{where}.{key}")
            if found:
                return found
        return None
    return None if a == b else (where, a, b)


def _shared_config(manifest: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in manifest["config"].items() if k not in VARYING}


def _read_rows(folder: Path, index: int, manifest: dict[str, Any]) -> pd.DataFrame:
    path = folder / "rows.csv"
    expected = manifest.get("checksums", {}).get("rows.csv")   # studies before 2026-12-08: none
    if expected is not None and path.exists() and file_sha256(path) != expected:
        raise GapbayesError(f"{path}: changed since the study wrote it (sha256 differs from "
                            f"{folder / 'manifest.json'})")
    try:
        rows = pd.read_csv(path)
    except FileNotFoundError as exc:
        raise GapbayesError(f"{path}: no such file (the study wrote no per-world rows)") from exc
    missing = [c for c in [*SETTING, "method", "group", "date", "error", "flagged", "covered"]
               if c not in rows]
    if missing:
        raise GapbayesError(f"{path}: column '{missing[0]}' missing")
    rows["host"] = rows["host"].astype(str)
    rows["flagged"] = rows["flagged"].astype(bool)
    rows["source"] = index
    return rows


def _read_worlds(folder: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(folder / "worlds.csv")
    except FileNotFoundError as exc:
        raise GapbayesError(f"{folder / 'worlds.csv'}: no such file") from exc


def _check_disjoint(rows: pd.DataFrame, folders: Sequence[Path]) -> None:
    owners = rows.drop_duplicates([*SETTING, "source"])
    twice = owners[owners.duplicated(SETTING, keep=False)]
    if len(twice):
        r = twice.iloc[0]
        same = twice[(twice[SETTING] == r[SETTING]).all(axis=1)]["source"]
        both = " and ".join(str(folders[i]) for i in sorted(same))
        raise GapbayesError(f"ratio {r['ratio']:g}, host {r['host']}, world {r['rep']} is in "
                            f"both {both}: the studies to combine must not share a world")


def combine_studies(folders: Sequence[Path], root: Path) -> Path:
    """Join the misspecified studies in ``folders`` and write ``root/misspecified-<id>/``.

    Parameters
    ----------
    folders
        Two or more finished study folders (each with ``manifest.json`` and ``rows.csv``).
    root
        Studies root; the joined study is written atomically under it.

    Returns
    -------
    Path
        The folder, with the files of a study run (``table.csv``, ``paired.csv``,
        ``by_date.csv``, ``worlds.csv``, ``rows.csv``, ``table.md``, ``bias_vs_ratio.png``)
        and a manifest naming the source studies.

    Raises
    ------
    GapbayesError
        Fewer than two folders, a folder that is not a misspecified study, studies whose
        settings differ beyond ratios, hosts and worlds (the first differing key is named),
        or a world present in two of them.
    """
    if len(folders) < 2:
        raise GapbayesError("FOLDER: give at least two study folders to combine")
    manifests = [_read_manifest(Path(f)) for f in folders]
    first = _shared_config(manifests[0])
    for folder, manifest in zip(folders[1:], manifests[1:], strict=True):
        found = _first_difference(first, _shared_config(manifest), "config")
        if found:
            key, a, b = found
            raise GapbayesError(
                f"{Path(folder) / 'manifest.json'}: key '{key}' is {b!r}, but {a!r} in "
                f"{folders[0]}: only studies that differ in ratios, hosts or worlds can be "
                "combined")
    rows = pd.concat([_read_rows(Path(f), i, m)
                      for i, (f, m) in enumerate(zip(folders, manifests, strict=True))],
                     ignore_index=True)
    _check_disjoint(rows, folders)
    worlds = pd.concat([_read_worlds(Path(f)) for f in folders], ignore_index=True)
    sources = [{"folder": str(f), "study_id": m["study_id"], "created": m.get("created"),
                "worlds_finished": m.get("worlds_finished")}
               for f, m in zip(folders, manifests, strict=True)]
    config = {**first,
              "ratios": sorted({float(r) for m in manifests for r in m["config"]["ratios"]}),
              "hosts": sorted({bool(h) for m in manifests for h in m["config"]["hosts"]}),
              "worlds": sorted({int(w) for m in manifests
                                for w in np.atleast_1d(m["config"]["worlds"])}),
              "combined_from": [sid for m in manifests
                                for sid in m["config"].get("combined_from", [m["study_id"]])]}
    sid = common.study_id(config)
    rows = rows.drop(columns="source")
    table, paired = summary_table(rows), paired_table(rows)
    manifest = common.base_manifest(KIND, sid, config)
    n_results = int(sum(m.get("worlds_finished") or 0 for m in manifests))
    manifest.update({k: manifests[0][k] for k in ("truth_definition", "baseline_interval",
                                                  "model_interval") if k in manifests[0]})
    manifest.update({"sources": sources, "worlds_finished": n_results,
                     "worlds_failed": [w for m in manifests for w in m.get("worlds_failed", [])]})
    return common.write_study_folder(
        root / f"{NAME}-{sid}",
        {"table": table, "by_date": by_date_table(rows), "paired": paired, "worlds": worlds,
         "rows": rows},
        manifest, figures=lambda tmp: figure(table, tmp / "bias_vs_ratio"),
        markdown=markdown(sid, table, paired, n_results))
