"""Gather the three peer estimators on one data set: from their result folders or computed now.

A folder (``results/baseline``, ``results/baseline-eci``, ``results/baseline-censored``) is
used only when its summary.json was written from the same tidy tables (same data hash) for all
open models (not ``--chinese-only``); otherwise the estimate is computed on the fly from the
data, with the methods' default settings, and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gapbayes.baseline.abilities import DEFAULT_BOOTSTRAP, sample_abilities
from gapbayes.baseline.censored import run_censored
from gapbayes.baseline.eci import run_eci
from gapbayes.baseline.peer_rows import (
    PeerRow,
    censored_lines,
    censored_row,
    eci_mean_line,
    eci_row,
    threshold_row,
)
from gapbayes.baseline.run import run_baseline

#: Default result folder of each method under the results root.
FOLDERS = {"threshold": "baseline", "eci": "baseline-eci", "censored": "baseline-censored"}
#: The table of each method drawn in the peers figure: file in its folder, date columns.
CURVE_FILES = {"threshold": ("curves.csv", ["date"]), "eci": ("curve.csv", ["date"]),
               "censored": ("levels.csv", ["set_date", "match_date"])}


@dataclass
class Peers:
    """The peer estimates of one data set.

    Attributes
    ----------
    rows
        Threshold, ECI-style and censored rows, in that order.
    notes
        Extra printed lines: the Epoch-window mean, the censored medians by era.
    summaries
        method -> its summary dict.
    curves
        method -> its drawn table: the threshold's pooled curve (``date, gap, lo90, hi90``),
        the ECI-style curve, the censored levels.
    computed
        Methods computed on the fly (no usable folder).
    """

    rows: list[PeerRow]
    notes: list[str]
    summaries: dict[str, dict[str, Any]]
    curves: dict[str, pd.DataFrame]
    computed: list[str] = field(default_factory=list)


def saved_result(folder: Path, method: str, data_hash: str) -> tuple[dict, pd.DataFrame] | None:
    """Return ``folder``'s summary and drawn table if made from data ``data_hash``.

    None when either file is missing or unreadable, or the folder is from other data or
    Chinese-only: the estimate is then computed again.
    """
    name, dates = CURVE_FILES[method]
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        table = pd.read_csv(folder / name, parse_dates=dates)
    except (OSError, ValueError):
        return None
    if summary.get("data_hash") != data_hash:
        return None
    if summary.get("parameters", {}).get("chinese_only"):
        return None
    return summary, table


def collect_peers(
    scores: pd.DataFrame,
    benchmarks: pd.DataFrame,
    data_hash: str,
    results_root: Path,
    n_bootstrap: int | None = None,
    seed: int = 0,
    log: Callable[[str], None] = lambda _: None,
) -> Peers:
    """Return the three peer estimates, read from ``results_root`` or computed from the data.

    Parameters
    ----------
    scores, benchmarks, data_hash
        The tidy data (:func:`gapbayes.baseline.inputs.load_inputs`).
    results_root
        Folder holding the methods' default result folders (:data:`FOLDERS`).
    n_bootstrap
        Bootstrap size for estimates computed now (default: each method's, 5000 for the
        threshold method and 1000 refits for the ability-based ones).
    seed
        Bootstrap seed for estimates computed now.
    log
        Progress messages (e.g. to stderr).

    Returns
    -------
    Peers

    Raises
    ------
    ValueError
        When the data has no model the ability fit can use, or no open or no closed one.
    """
    summaries: dict[str, dict] = {}
    curves: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    for method, name in FOLDERS.items():
        saved = saved_result(results_root / name, method, data_hash)
        if saved is not None:
            summaries[method], curves[method] = saved
            sources[method] = str(results_root / name)
    computed = [m for m in FOLDERS if m not in summaries]
    here = f"computed now (data {data_hash})"
    if "threshold" in computed:
        log("peers: computing the threshold method")
        kw = {} if n_bootstrap is None else {"n_bootstrap": n_bootstrap}
        result = run_baseline(scores, benchmarks, seed=seed, **kw)
        summaries["threshold"], curves["threshold"] = result.summary, result.curves
        sources["threshold"] = here
    if "eci" in computed or "censored" in computed:
        n = DEFAULT_BOOTSTRAP if n_bootstrap is None else n_bootstrap
        log(f"peers: fitting abilities and {n} benchmark-bootstrap refits")
        sample = sample_abilities(scores, benchmarks, n, seed)
        if "eci" in computed:
            eci = run_eci(sample)
            summaries["eci"], curves["eci"], sources["eci"] = eci.summary, eci.curve, here
        if "censored" in computed:
            cens = run_censored(sample)
            summaries["censored"], curves["censored"] = cens.summary, cens.levels
            sources["censored"] = here
    th = curves["threshold"]
    curves["threshold"] = th[th["group"] == "all"].reset_index(drop=True)
    rows = [threshold_row(summaries["threshold"], sources["threshold"]),
            eci_row(summaries["eci"], sources["eci"]),
            censored_row(summaries["censored"], sources["censored"])]
    notes = [eci_mean_line(summaries["eci"]), *censored_lines(summaries["censored"])]
    if computed:
        notes.append("computed now (not saved): " + ", ".join(computed) + "; "
                     "'gapbayes baseline --method METHOD' writes a folder that is then reused")
    return Peers(rows, notes, summaries, curves, computed)
