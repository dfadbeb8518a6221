"""``gapbayes summary --by lab``: each lab's lag behind the closed frontier, and who holds it.

A lab is a model family (``family`` in models.csv) with at least
:data:`~gapbayes.model.lab_lags.MIN_LAB_MODELS` base models in the fit; its lag at a date is
how many months before that date the closed frontier stood at the level of the lab's best base
model released so far (:mod:`gapbayes.model.lab_lags`). This view prints, at the named dates,
the lags of the ten labs with the most base models, from the result's ``lab_lags.csv``, and per
access group which labs hold the group's frontier, from ``frontier_holders.csv``. The machine
formats (csv, json) carry every lab and every holder with a non-zero probability.
"""

from __future__ import annotations

import json
import sys

import pandas as pd

from gapbayes.commands.summary_by import write_rows
from gapbayes.errors import GapbayesError
from gapbayes.inference.fit_tables import frontier_holders_at_dates, lab_lags_at_dates
from gapbayes.model.lab_lags import MIN_LAB_MODELS
from gapbayes.reporting.report_lab import MIN_HOLDER_PROBABILITY, holder_lines

INTERVAL = "posterior median [50% and 90% equal-tailed intervals (ETI)]"
LAG = ("months since the closed frontier stood at the level of the lab's best base model "
       "released so far; negative: that model sits above the closed frontier")
CURVE_LAG = ("months since the closed frontier stood at the level of the lab's typical model "
             "(its group frontier minus the lab's mean shortfall, a smooth curve: spec switch "
             "lab_curves)")
HOLDERS = ("share of posterior draws in which the lab's base model is the best of its access "
           "group so far; 'other': the organisations outside the listed labs")
#: labs in the text and markdown tables (the machine formats have them all)
TEXT_LABS = 10
CSV_COLUMNS = ["kind", "lab", "closed_models", "open_models", "access", "date", "median",
               "eti50_lo", "eti50_hi", "eti90_lo", "eti90_hi", "probability"]


def lab_tables(loaded) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the lab lags and frontier holders of a loaded result at its named dates.

    Parameters
    ----------
    loaded
        A loaded result (``tables``, ``manifest`` and ``path``).

    Returns
    -------
    tuple of pandas.DataFrame
        Lags lab by lab, most base models first (:func:`lab_lags_at_dates`), and every holder
        with a non-zero probability (empty when the result has no ``frontier_holders.csv``).

    Raises
    ------
    GapbayesError
        When the result has no lab lags.
    """
    labs = loaded.tables.get("lab_lags")
    if labs is None or labs.empty:
        raise GapbayesError(
            f"{loaded.path}: no lab lags in this result (written before gapbayes had them, by "
            "the timeshift-v1 model, which has no base-model abilities, or no lab has "
            f"{MIN_LAB_MODELS} or more base models in the fit)")
    at_dates = loaded.tables.get("gap_at_dates")
    holders = loaded.tables.get("frontier_holders")
    if holders is None or holders.empty:
        holders = pd.DataFrame(columns=["access", "date", "holder", "probability"])
    return lab_lags_at_dates(labs, at_dates), frontier_holders_at_dates(holders, at_dates)


def _cell(r: pd.Series) -> str:
    return (f"{r['median']:5.1f} [{r['eti50_lo']:5.1f}, {r['eti50_hi']:5.1f}]"
            f" [{r['eti90_lo']:5.1f}, {r['eti90_hi']:5.1f}]")


def lab_curve_rows(loaded) -> pd.DataFrame:
    """Lags of the labs' typical-model curves at the named dates (empty without the term)."""
    curves = loaded.tables.get("lab_curves")
    if curves is None or curves.empty:
        return pd.DataFrame(columns=["lab", "closed_models", "open_models", "date", "median"])
    return lab_lags_at_dates(curves, loaded.tables.get("gap_at_dates"))


def _machine_rows(lags: pd.DataFrame, holders: pd.DataFrame,
                  curves: pd.DataFrame) -> pd.DataFrame:
    """Lags, holders and curve lags in one long table (``kind`` says which)."""
    both = pd.concat([lags.assign(kind="lag"),
                      holders.rename(columns={"holder": "lab"}).assign(kind="frontier_holder"),
                      curves.assign(kind="curve_lag")],
                     ignore_index=True).reindex(columns=CSV_COLUMNS)
    return both.astype({"closed_models": "Int64", "open_models": "Int64"})


def _shown(lags: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Keep the ``TEXT_LABS`` labs with most base models; return them and a line saying so."""
    labs = list(dict.fromkeys(lags["lab"]))
    if len(labs) <= TEXT_LABS:
        return lags, (f"Labs with {MIN_LAB_MODELS} or more base models in the fit, most "
                      "base models first.")
    return lags[lags["lab"].isin(labs[:TEXT_LABS])], (
        f"The {TEXT_LABS} labs with the most base models in the fit (of {len(labs)}), most "
        "first; --format csv lists them all.")


def print_lab(loaded, fmt: str = "text", out=None) -> None:
    """Print each lab's lag behind the closed frontier and the frontier holders.

    Parameters
    ----------
    loaded
        A loaded result with ``lab_lags`` (and ``frontier_holders``) tables.
    fmt
        ``text``, ``markdown``, ``csv`` (lags and holders in one long table, column ``kind``)
        or ``json`` (lags as ``rows``, holders as ``frontier_holders``).
    out
        Where to write (default standard output).
    """
    out = out or sys.stdout
    lags, holders = lab_tables(loaded)
    curves = lab_curve_rows(loaded)
    header = {"result": loaded.manifest.get("name"), "by": "lab", "intervals": INTERVAL,
              "lag": LAG, "frontier_holders": json.loads(holders.to_json(orient="records"))}
    if not curves.empty:
        header |= {"curve_lag": CURVE_LAG,
                   "curve_lags": json.loads(curves.to_json(orient="records"))}
    if write_rows(lags if fmt == "json" else _machine_rows(lags, holders, curves), fmt,
                  header, out):
        return
    lags, which = _shown(lags)
    lines = holder_lines(holders)
    if fmt == "markdown":
        out.write(f"Lab lag behind the closed frontier, in months: {INTERVAL}; lag: {LAG}. "
                  f"{which}\n\n| lab | closed models | open models | date | lag |\n"
                  "|---|---|---|---|---|\n")
        for _, r in lags.iterrows():
            out.write(f"| {r['lab']} | {r['closed_models']} | {r['open_models']} | "
                      f"{r['date']} | {_cell(r)} |\n")
        if lines:
            out.write(f"\nWhich lab holds the frontier ({HOLDERS}; shares of "
                      f"{MIN_HOLDER_PROBABILITY} or more):\n\n| access | date | holders |\n"
                      "|---|---|---|\n")
            out.writelines(f"| {a} | {d} | {text} |\n" for a, d, text in lines)
        if not curves.empty:
            out.write(f"\nLab curve lag, in months: {INTERVAL}; curve lag: {CURVE_LAG}.\n\n"
                      "| lab | closed models | open models | date | lag |\n|---|---|---|---|---|\n")
            for _, r in _shown(curves)[0].iterrows():
                out.write(f"| {r['lab']} | {r['closed_models']} | {r['open_models']} | "
                          f"{r['date']} | {_cell(r)} |\n")
        return
    width = max(18, *(len(str(lab)) for lab in lags["lab"]))
    out.write(f"Lab lag behind the closed frontier, in months: {INTERVAL}.\n"
              f"Lag: {LAG}.\n{which}\n\n")
    out.write(f"{'lab':{width}s} {'closed':>6s} {'open':>5s}  {'date':16s} lag\n")
    for _, r in lags.iterrows():
        out.write(f"{str(r['lab']):{width}s} {int(r['closed_models']):6d} "
                  f"{int(r['open_models']):5d}  {str(r['date']):16s} {_cell(r)}\n")
    if lines:
        out.write(f"\nWhich lab holds the frontier ({HOLDERS}; shares of "
                  f"{MIN_HOLDER_PROBABILITY} or more):\n")
        out.writelines(f"{a:7s} {d:16s} {text}\n" for a, d, text in lines)
    if not curves.empty:
        curves, _ = _shown(curves)
        out.write(f"\nLab curve lag, in months: {INTERVAL}.\nCurve lag: {CURVE_LAG}.\n\n")
        out.write(f"{'lab':{width}s} {'closed':>6s} {'open':>5s}  {'date':16s} lag\n")
        for _, r in curves.iterrows():
            out.write(f"{str(r['lab']):{width}s} {int(r['closed_models']):6d} "
                      f"{int(r['open_models']):5d}  {str(r['date']):16s} {_cell(r)}\n")
