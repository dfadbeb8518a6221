"""Tail check: calibration where the data point to extreme values.

SBC's rank uniformity is an average over the whole prior; a miscalibration confined to the
tail (e.g. large late gaps under-estimated) can hide in it. Selecting simulations by their
*truth* would not do as a check, because even an exact posterior shrinks toward the prior and
under-covers truths from the prior's tail. Selecting them by a function of the *data* keeps
calibration exact: given the data, an exact posterior is the conditional law of the truth, so
within any data-defined subset the truths' PIT values are still uniform and central intervals
still cover at their nominal rate. Here the subset is the simulations whose posterior mean of
a quantity is in the top (or bottom) ``share`` of all simulations: where the fit says the
value is extreme. Coverage of the central ``level`` interval is tested against ``level``
(exact binomial test, Bonferroni over the quantities and both tails).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TAIL_SHARE = 0.1
TAIL_LEVEL = 0.9


def tail_check(table: pd.DataFrame, quantities: list[str], share: float = TAIL_SHARE,
               level: float = TAIL_LEVEL, alpha: float = 0.05) -> pd.DataFrame:
    """Coverage of central intervals among simulations the fit puts in a tail.

    Parameters
    ----------
    table
        Rows of :func:`gapbayes.sbc.report.ranks_table` (the simulations to use), with
        ``pit:<q>`` and ``mean:<q>`` columns.
    quantities
        Quantities to check (those with both columns are checked).
    share
        Size of each tail, as a share of the simulations.
    level
        Probability of the central interval whose coverage is tested.
    alpha
        Family-wise level (Bonferroni over quantities x 2 tails).

    Returns
    -------
    pandas.DataFrame
        ``quantity``, ``tail`` (``high``/``low``), ``n``, ``coverage``, ``expected``,
        ``p_value`` (two-sided exact binomial), ``mean_pit`` and ``passed``.
    """
    from scipy.stats import binomtest

    checked = [q for q in quantities if f"pit:{q}" in table and f"mean:{q}" in table]
    k = max(1, 2 * len(checked))
    lo, hi = (1 - level) / 2, (1 + level) / 2
    rows = []
    for q in checked:
        sub = table[[f"pit:{q}", f"mean:{q}"]].dropna()
        n_tail = int(np.floor(share * len(sub)))
        if n_tail < 5:
            continue
        order = sub[f"mean:{q}"].rank(method="first").to_numpy()
        for tail, mask in (("high", order > len(sub) - n_tail), ("low", order <= n_tail)):
            pit = sub.loc[mask, f"pit:{q}"].to_numpy(float)
            inside = int(((pit >= lo) & (pit <= hi)).sum())
            p = float(binomtest(inside, len(pit), level).pvalue)
            rows.append({"quantity": q, "tail": tail, "n": len(pit),
                         "coverage": inside / len(pit), "expected": level, "p_value": p,
                         "mean_pit": float(pit.mean()), "passed": p >= alpha / k})
    return pd.DataFrame(rows, columns=["quantity", "tail", "n", "coverage", "expected",
                                       "p_value", "mean_pit", "passed"])


def tail_markdown(tails: pd.DataFrame, share: float = TAIL_SHARE,
                  level: float = TAIL_LEVEL) -> list[str]:
    """Markdown lines of the tail check (empty when nothing was checked)."""
    if not len(tails):
        return []
    bad = tails.loc[~tails["passed"], ["quantity", "tail"]]
    verdict = "every tail covers at its nominal rate" if bad.empty else "FAILS on " + ", ".join(
        f"{q} ({t})" for q, t in bad.itertuples(index=False))
    lines = ["", f"## Tail check (not part of the verdict): {verdict}", "",
             f"Simulations whose posterior mean is in the top / bottom {share:.0%}; coverage "
             f"of the central {level:.0%} interval (exact under calibration, since the "
             "selection depends on the data only); exact binomial test, Bonferroni.", "",
             "| quantity | tail | n | coverage | p-value | mean PIT |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.quantity} | {r.tail} | {r.n} | {r.coverage:.2f} | {r.p_value:.3g} | "
              f"{r.mean_pit:.3f} |" for r in tails.itertuples(index=False)]
    return lines
