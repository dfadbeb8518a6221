"""SBC report: ranks table, uniformity tests, ECDF-difference plots and a pass/fail verdict.

Tests use the randomised PIT values (rank + U) / (L + 1) stored with each simulation; they
are exactly uniform under calibration, so continuous-uniform tests apply without a
discreteness correction.

- ``pot_c`` p-value (arviz-stats ``uniformity_test``: pointwise order-statistic tests
  combined by the Cauchy method, powerful against local departures); a quantity fails when
  p < alpha / K (Bonferroni over the K monitored quantities, so a calibrated model passes
  with probability about 1 - alpha overall).
- Saeilynoja et al. (2022) simultaneous 95% band for the ECDF (arviz-stats ``ecdf_pit``):
  whether the ECDF leaves it is reported beside the p-value and drawn in ``ecdf.png``.

Only converged simulations enter the tests (unless ``include_not_converged``); failed and
non-converged ones are counted, listed with their reasons, and fail the run when they exceed
``max_bad_share``: SBC that conditions on convergence can hide exactly the part of the prior
the sampler cannot handle. The tests are also run on the other selection (every finished fit,
or converged fits only) and shown beside the verdict, so both readings are on the page.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapbayes.atomic import write_text
from gapbayes.sbc.ranks import LOGLIK
from gapbayes.sbc.runner import STATUS_NOT_CONVERGED, STATUS_OK, STATUS_SKIPPED, load_records
from gapbayes.sbc.tails import tail_check, tail_markdown

ALPHA = 0.05
BAND_PROB = 0.95
MAX_BAD_SHARE = 0.05
BAND_SIMULATIONS = 2000


def ranks_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per simulation: status, reason, L, rank and PIT of every quantity."""
    rows = []
    for r in records:
        row = {"sim": r["index"], "status": r["status"], "reason": r.get("reason", ""),
               "seconds": r.get("seconds"), "L": r.get("L"),
               "divergences": r.get("divergences")}
        row.update({f"rank:{k}": v for k, v in r.get("ranks", {}).items()})
        row.update({f"pit:{k}": v for k, v in r.get("pit", {}).items()})
        row.update({f"rhat:{k}": v for k, v in r.get("rhat", {}).items()})
        row.update({f"ess:{k}": v for k, v in r.get("ess_bulk", {}).items()})
        row.update({f"mean:{k}": v for k, v in r.get("posterior_mean", {}).items()})
        rows.append(row)
    return pd.DataFrame(rows)


@functools.lru_cache(maxsize=64)
def ecdf_band(n: int, prob: float = BAND_PROB, seed: int = 214) -> tuple[np.ndarray, ...]:
    """Simultaneous ``prob`` band for the ECDF of ``n`` uniform values (Saeilynoja 2022).

    Returns (eval points, lower, upper) at the points 0, 1/n, ..., 1.
    """
    from arviz_stats.ecdf_utils import ecdf_pit

    rng = np.random.default_rng(seed)
    x, _, lo, hi = ecdf_pit(np.linspace(0, 1, n), prob, BAND_SIMULATIONS, rng=rng)
    return x, lo, hi


def uniformity(pit: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Per-quantity uniformity tests of PIT columns (one column per quantity).

    Returns
    -------
    pandas.DataFrame
        ``quantity``, ``n``, ``p_value`` (pot_c), ``alpha_adjusted``, ``outside_band``
        (ECDF leaves the simultaneous 95% band), ``max_ecdf_diff``, ``mean_pit`` and
        ``passed``.
    """
    from arviz_stats.base import array_stats

    k = max(1, pit.shape[1])
    rows = []
    for name in pit.columns:
        u = pit[name].dropna().to_numpy(float)
        n = len(u)
        if n < 2:
            rows.append({"quantity": name, "n": n, "p_value": np.nan, "passed": False})
            continue
        p, _, _ = array_stats.uniformity_test(u, method="pot_c")
        x, lo, hi = ecdf_band(n)
        ecdf = np.searchsorted(np.sort(u), x, side="right") / n
        outside = bool(np.any((ecdf < lo - 1e-12) | (ecdf > hi + 1e-12)))
        rows.append({
            "quantity": name, "n": n, "p_value": float(p), "alpha_adjusted": alpha / k,
            "outside_band": outside, "max_ecdf_diff": float(np.max(np.abs(ecdf - x))),
            "mean_pit": float(u.mean()), "passed": bool(p >= alpha / k),
        })
    return pd.DataFrame(rows)


def plot_ecdf(pit: pd.DataFrame, path: Path, tests: pd.DataFrame | None = None,
              title: str = "") -> Path:
    """ECDF-difference plots (ECDF - uniform CDF) with simultaneous 95% bands.

    Drawn here rather than with arviz-plots ``plot_ecdf_pit(method="envelope")``, which
    fails in arviz-plots 1.3.2 (it passes a DataArray to ``np.linspace``); the band is
    arviz-stats' ``ecdf_pit`` all the same (Saeilynoja et al. 2022, simulation method).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(pit.columns)
    ncol = min(4, len(names))
    nrow = -(-len(names) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.6 * nrow), squeeze=False,
                             sharex=True)
    p_values = {} if tests is None or not len(tests) else dict(
        zip(tests["quantity"], tests["p_value"], strict=True))
    for ax, name in zip(axes.flat, names, strict=False):
        u = np.sort(pit[name].dropna().to_numpy(float))
        x, lo, hi = ecdf_band(len(u))
        ecdf = np.searchsorted(u, x, side="right") / len(u)
        ax.fill_between(x, lo - x, hi - x, step="post", color="0.85", lw=0,
                        label=f"{BAND_PROB:.0%} simultaneous band")
        ax.step(x, ecdf - x, where="post", color="C0" if np.all(
            (ecdf >= lo) & (ecdf <= hi)) else "C3", lw=1.2)
        ax.axhline(0, color="0.4", lw=0.6, ls="--")
        p = p_values.get(name)
        ax.set_title(name + ("" if p is None else f"  (p = {p:.2g})"), fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("fractional rank (PIT)", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("ECDF - uniform", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def summarise(out: Path, alpha: float = ALPHA, max_bad_share: float = MAX_BAD_SHARE,
              requested: int | None = None, plot: bool = True,
              include_not_converged: bool = False) -> dict[str, Any]:
    """Write ranks.csv, tests.csv, ecdf.png, summary.json and summary.md into ``out``.

    Parameters
    ----------
    out
        Run folder.
    alpha
        Family-wise level of the uniformity tests.
    max_bad_share
        Largest share of unusable simulations (failed, or not converged unless they are
        included) for the run to pass.
    requested
        Number of simulations asked for (for the report).
    plot
        Draw ecdf.png.
    include_not_converged
        Rank every finished fit, converged or not: this tests the whole procedure at the
        given (e.g. short smoke-test) chain length instead of conditioning on convergence.

    Returns
    -------
    dict
        The summary (also in summary.json): counts, per-quantity tests and ``passed``.
    """
    out = Path(out)
    records = load_records(out)
    manifest = json.loads((out / "sbc.json").read_text()) if (out / "sbc.json").exists() else {}
    cfg = manifest.get("config", {})
    table = ranks_table(records)
    table.to_csv(out / "ranks.csv", index=False, float_format="%.6g")
    used = (STATUS_OK, STATUS_NOT_CONVERGED) if include_not_converged else (STATUS_OK,)
    rows = table[table["status"].isin(used)] if len(table) else table
    pit = _pit_columns(rows)
    tests = uniformity(pit, alpha) if len(pit) else pd.DataFrame()
    if len(tests):
        tests.to_csv(out / "tests.csv", index=False, float_format="%.6g")
    tails = tail_check(rows, [c.removeprefix("pit:") for c in pit.columns
                              if c != LOGLIK], alpha=alpha) if len(pit) else pd.DataFrame()
    if len(tails):
        tails.to_csv(out / "tails.csv", index=False, float_format="%.6g")
    other = _other_selection(table, alpha, include_not_converged)
    bad = [{"sim": int(r["index"]), "status": r["status"], "reason": r.get("reason", "")}
           for r in records if r["status"] != STATUS_OK]
    n_done = len(records)
    # rejected on their data alone (the selection SBC's inclusion rule): the ranks of the
    # others stay uniform, so they count neither as used nor as unusable
    skipped = sum(r["status"] == STATUS_SKIPPED for r in records)
    unusable = sum(b["status"] not in (*used, STATUS_SKIPPED) for b in bad)
    bad_share = unusable / (n_done - skipped) if n_done > skipped else 0.0
    quantities_ok = bool(len(tests)) and bool(tests["passed"].all())
    summary: dict[str, Any] = {
        "problem_id": manifest.get("problem_id"),
        "spec": (cfg.get("spec") or {}).get("name", "conjugate-normal (mock)"),
        "simulate_spec": (cfg.get("simulate_spec") or {}).get("name",
                                                               "conjugate-normal (mock)"),
        "backend": cfg.get("backend"),
        "requested": requested, "done": n_done, "used": int(len(rows)),
        "ok": sum(r["status"] == STATUS_OK for r in records),
        "failed": sum(b["status"] == "failed" for b in bad),
        "not_converged": sum(b["status"] == "not_converged" for b in bad),
        "skipped": skipped,
        "bad_share": bad_share, "max_bad_share": max_bad_share,
        "include_not_converged": include_not_converged,
        "L": int(rows["L"].iloc[0]) if len(rows) else None,
        "alpha": alpha,
        "median_seconds_per_fit": float(table["seconds"].median()) if len(table) else None,
        "quantities": [{**q, "description": manifest.get("quantities", {}).get(q["quantity"],
                                                                             "")}
                       for q in tests.replace({np.nan: None}).to_dict(orient="records")],
        "failed_quantities": tests.loc[~tests["passed"], "quantity"].tolist() if len(tests)
        else [],
        "bad_simulations": bad,
        "refitted": _refits(records),
        "first_attempt": _first_attempts(records),
        "tail_check": tails.to_dict(orient="records") if len(tails) else [],
        "passed": quantities_ok and bad_share <= max_bad_share,
        "other_selection": other,
    }
    if plot and len(pit) >= 2:
        title = f"SBC {summary['spec']} ({summary['used']} simulations, L = {summary['L']})"
        if summary["simulate_spec"] and summary["simulate_spec"] != summary["spec"]:
            title += f", data from {summary['simulate_spec']}"
        summary["figure"] = str(plot_ecdf(pit, out / "ecdf.png", tests, title))
    write_text(out / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    write_text(out / "summary.md", summary_markdown(summary))
    return summary


def _pit_columns(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the ``pit:<quantity>`` columns of ranks-table rows, named by quantity."""
    return rows[[c for c in rows.columns if c.startswith("pit:")]].rename(
        columns=lambda c: c.removeprefix("pit:"))


def _refits(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Count the refits of :mod:`gapbayes.sbc.extend` and how they ended."""
    refits = [r for r in records if r.get("attempt", 0) > 0]
    # ``earlier`` is latest first: its last entry is the first attempt
    factors = sorted({r["settings"]["draws"] // r["earlier"][-1]["settings"]["draws"]
                      for r in refits if r.get("earlier") and "settings" in r})
    second = [r for r in refits if r["attempt"] > 1]
    return {"n": len(refits), "factors": factors,
            "converged": sum(r["status"] == STATUS_OK for r in refits),
            "second_refits": len(second),
            "second_converged": sum(r["status"] == STATUS_OK for r in second),
            "second_target_accept": sorted({r["settings"]["target_accept"] for r in second
                                            if "settings" in r})}


def _first_attempts(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Convergence of the first attempts (before any refit) and of the final records."""
    records = [r for r in records if r["status"] != STATUS_SKIPPED]
    first = [(r.get("earlier") or [r])[-1] for r in records]
    n = len(records)
    ok_first = sum(f["status"] == STATUS_OK for f in first)
    ok_final = sum(r["status"] == STATUS_OK for r in records)
    return {"n": n, "converged": ok_first, "rate": ok_first / n if n else None,
            "converged_after_refits": ok_final,
            "rate_after_refits": ok_final / n if n else None}


def _other_selection(table: pd.DataFrame, alpha: float,
                     include_not_converged: bool) -> dict[str, Any] | None:
    """Run the uniformity tests on the selection the verdict does not use.

    The verdict tests either converged fits only or every finished fit; the other set is
    tested too and reported beside it (not part of the verdict), so a reader sees both
    whether conditioning on convergence changes the ranks and whether the unselected
    procedure is calibrated.
    """
    if not len(table):
        return None
    used = (STATUS_OK,) if include_not_converged else (STATUS_OK, STATUS_NOT_CONVERGED)
    pit = _pit_columns(table[table["status"].isin(used)])
    if len(pit) < 2:
        return None
    tests = uniformity(pit, alpha)
    return {
        "selection": "converged fits only" if include_not_converged
        else "every finished fit, converged or not",
        "n": int(len(pit)),
        "all_passed": bool(tests["passed"].all()),
        "quantities": tests.replace({np.nan: None}).to_dict(orient="records"),
    }


def _convergence_line(first: dict[str, Any]) -> str:
    """Return the summary's line on how many first attempts (and refits) converged."""
    return (f"- convergence (R-hat <= 1.01 on every monitored quantity and posterior variable, "
            f"no divergence): first attempts {first['converged']} of {first['n']} "
            f"({first['rate']:.0%}); after refits {first['converged_after_refits']} of "
            f"{first['n']} ({first['rate_after_refits']:.0%})")


def _refit_line(refits: dict[str, Any]) -> str:
    """Return the summary's line on the simulations refitted with longer chains."""
    second = (f", {refits['second_converged']} of them at a second refit, the "
              f"{refits['second_refits']} second refits with target_accept "
              f"{' / '.join(map(str, refits['second_target_accept']))}"
              if refits.get("second_refits") else "")
    return (f"- {refits['n']} simulations did not converge at first and were refitted with "
            f"{' / '.join(f'{f}x' for f in refits['factors'])} longer chains (same L, fresh "
            f"seeds); {refits['converged']} of them converged{second}. Earlier attempts' "
            "diagnostics are kept in sims/<i>.json (`earlier`).")


def summary_markdown(s: dict[str, Any]) -> str:
    """Render the summary as a short Markdown page."""
    verdict = "PASS" if s["passed"] else "FAIL"
    lines = [
        f"# SBC: {verdict}",
        "",
        f"- spec `{s['spec']}`, data simulated from `{s['simulate_spec']}`, "
        f"backend `{s['backend']}`, run `{s['problem_id']}`",
        f"- simulations: {s['done']} done"
        + (f" of {s['requested']} requested" if s.get("requested") else "")
        + f"; {s['used']} used; {s['ok']} converged, {s['not_converged']} not converged"
        + (" (used too)" if s.get("include_not_converged") else "")
        + f", {s['failed']} failed"
        + (f", {s['skipped']} skipped (rejected on their data)" if s.get("skipped") else "")
        + f" ({s['bad_share']:.1%} unusable; at most {s['max_bad_share']:.0%} allowed)",
    ]
    # sections a summary has only once fits finished (first_attempt) or were refitted
    for key, line in (("first_attempt", _convergence_line), ("refitted", _refit_line)):
        part = s.get(key) or {}
        if part.get("n"):
            lines.append(line(part))
    lines += [
        f"- ranks among L = {s['L']} thinned posterior draws; test: arviz-stats pot_c, "
        f"Bonferroni alpha {s['alpha']} over the quantities; band: simultaneous 95% "
        "(Saeilynoja et al. 2022)",
        "",
        "| quantity | what | n | p-value | ECDF outside 95% band | mean PIT | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for q in s["quantities"]:
        p = q.get("p_value")
        lines.append(
            f"| {q['quantity']} | {q.get('description', '')} | {q['n']} | "
            f"{'-' if p is None else f'{p:.3g}'} | "
            f"{'yes' if q.get('outside_band') else 'no'} | "
            f"{q.get('mean_pit', float('nan')):.3f} | {'pass' if q['passed'] else 'FAIL'} |")
    other = s.get("other_selection")
    if other:
        verdicts = "every quantity passes" if other["all_passed"] else "FAILS on " + ", ".join(
            q["quantity"] for q in other["quantities"] if not q["passed"])
        lines += ["", f"## Same tests on {other['selection']} (not part of the verdict)", "",
                  f"{other['n']} simulations: {verdicts}.", "",
                  "| quantity | p-value | ECDF outside 95% band | mean PIT |", "|---|---|---|---|"]
        lines += [f"| {q['quantity']} | {q['p_value']:.3g} | "
                  f"{'yes' if q.get('outside_band') else 'no'} | {q['mean_pit']:.3f} |"
                  for q in other["quantities"]]
    if s.get("tail_check"):
        lines += tail_markdown(pd.DataFrame(s["tail_check"]))
    if s["bad_simulations"]:
        lines += ["", "## Simulations that failed or did not converge", ""]
        lines += [f"- {b['sim']}: {b['status']}: {b['reason']}" for b in s["bad_simulations"]]
    if s.get("figure"):
        lines += ["", f"![ECDF differences]({Path(s['figure']).name})"]
    return "\n".join(lines) + "\n"
