"""What the HTML report looks like: labels, figure list, CSS and formatting helpers.

Every piece of text that comes from a file goes through :func:`esc` (``html.escape``); the
sections (:mod:`gapbayes.reporting.report_sections`) build on these helpers.
"""

from __future__ import annotations

import html
import struct
from dataclasses import dataclass

import pandas as pd

ATTRIBUTION_URL = "https://epoch.ai/benchmarks"
ATTRIBUTION = ("Benchmark data: Epoch AI, 'AI Benchmarking Hub'. Published online at epoch.ai. "
               "Licensed under Creative Commons Attribution 4.0 (CC-BY 4.0).")
ACCESS_GROUPS = {"private": "private benchmarks", "public": "public benchmarks",
                 "overall": "all benchmarks"}
# The baseline names its all-benchmarks curve "all"; the model calls that group "overall".
BASELINE_GROUPS = {"overall": "all", "private": "private", "public": "public"}
GROUP_TITLES = {"overall": "All benchmarks", "private": "Private benchmarks",
                "public": "Public benchmarks"}
BIAS_LABELS = {
    "public_offset": "Public-benchmark offset (negative: public benchmarks understate the gap)",
    "provider_penalty": "Provider degradation (third-party hosts)",
    "self_report_offset": "Self-report inflation",
    "contamination": "Contamination of public benchmarks (open models, a year or more after a "
                     "benchmark's release; positive: public benchmarks understate the gap)",
    "china_offset": "Chinese open models' extra gap",
}
CHECK_LABELS = {
    "rhat_max": "largest R-hat (every parameter and gap quantity)",
    "ess_bulk_min_gap": "smallest bulk ESS of the gap quantities",
    "ess_tail_min_gap": "smallest tail ESS of the gap quantities",
    "divergences": "divergent transitions",
    "bfmi_min": "smallest BFMI (energy) of any chain",
    "treedepth_saturation": "share of trajectories cut off at the maximum tree depth",
    "step_size_ratio_min": "smallest chain step size / median step size",
}


@dataclass(frozen=True)
class FigureSpec:
    """A figure of the report: file stem under ``plots/``, title and caption."""

    stem: str
    title: str
    caption: str


FIG_ACCESS = FigureSpec(
    "gap_by_access", "Gap over time by access type",
    "Backward-looking gap (months since the closed frontier stood at the open frontier's "
    "level) per release month: posterior median with 50% and 90% equal-tailed intervals. "
    "Markers, when shown, are the threshold-crossing baseline's datapoints.")
FIG_DIRECTION = FigureSpec(
    "gap_forward_vs_backward", "Backward- vs forward-looking gap",
    "Forward-looking: months until open models reach the closed frontier's current level.")
FIG_CATEGORY = FigureSpec(
    "gap_by_category", "Gap by benchmark category",
    "Backward-looking gap per category (purple: equal weight over the category's benchmarks "
    "identified that month; grey: months with none) against all benchmarks (dotted), with "
    "the 90% interval of a new benchmark of the category (orange, dashed).")
FIG_VECTOR = FigureSpec(
    "gap_vector", "The gap as a vector",
    "Backward-looking gap of each category and benchmark at the last month: median with 50% "
    "and 90% equal-tailed intervals. A category's gap is the equal-weight mean over its "
    "benchmarks identified that month; hollow markers are benchmarks that no longer "
    "discriminate (saturated or at the floor), orange rows a new benchmark of the category.")
FIG_LAB = FigureSpec(
    "lab_lags", "Lab lags over time",
    "Each lab's lag behind the closed frontier (months since the closed frontier stood at the "
    "level of the lab's best base model released so far): posterior median with its 50% "
    "equal-tailed interval, from the lab's first base model on; below the dashed zero line "
    "the lab's best model sits above the closed frontier.")
FIG_LAB_CURVES = FigureSpec(
    "lab_curves", "Lab curves over time",
    "Lag of each lab's typical model behind the closed frontier (months since the closed "
    "frontier stood at the lab's group frontier minus its mean shortfall; spec switch "
    "lab_curves): posterior median with its 50% equal-tailed interval.")
FIG_CURVES = FigureSpec(
    "benchmark_curves", "Per-benchmark curves",
    "Latent closed and open frontiers on each benchmark's score scale, over the observed "
    "scores.")
FIG_RANK = FigureSpec(
    "rank_plots", "Rank plots",
    "Rank-ECDF differences per chain: chains that mix stay inside the band.")
FIG_PPC = FigureSpec(
    "ppc", "Posterior predictive check",
    "Observed vs predicted score distributions and the coverage of central predictive "
    "intervals.")
FIGURES = (FIG_ACCESS, FIG_DIRECTION, FIG_CATEGORY, FIG_VECTOR, FIG_LAB, FIG_LAB_CURVES,
           FIG_CURVES, FIG_RANK,
           FIG_PPC)

CSS = """
:root { --ink:#1d1d1f; --muted:#5f6368; --line:#d9dce1; --pass:#1a7f37; --pass-bg:#e6f4ea;
        --fail:#b3261e; --fail-bg:#fce8e6; --accent:#2166ac; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
       Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 34px 0 10px; padding-bottom: 4px;
     border-bottom: 2px solid var(--line); }
.sub { color: var(--muted); margin: 0 0 16px; font-size: 0.92em; }
nav { font-size: 0.88em; margin: 0 0 18px; color: var(--muted); }
nav a { color: var(--accent); text-decoration: none; margin-right: 12px; }
.headline { font-size: 1.28em; line-height: 1.4; background: #f3f6fa;
            border-left: 5px solid var(--accent); padding: 14px 18px; margin: 0 0 6px; }
.headline strong { color: #0b3d75; }
.note { color: var(--muted); font-size: 0.9em; margin: 6px 0; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 0.92em; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left;
         vertical-align: top; }
th { background: #f6f7f9; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 12px 0 18px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.88em; margin-top: 4px; }
.verdict { font-weight: 700; padding: 2px 8px; border-radius: 4px; }
tr.pass .verdict, .banner.pass { color: var(--pass); background: var(--pass-bg); }
tr.fail .verdict, .banner.fail { color: var(--fail); background: var(--fail-bg); }
tr.fail td { background: #fff7f6; }
.banner { display: inline-block; font-weight: 700; padding: 6px 12px; border-radius: 4px;
          margin: 4px 0 8px; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); }
dl.prov { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px;
          font-size: 0.92em; }
dl.prov dt { color: var(--muted); }
dl.prov dd { margin: 0; word-break: break-word; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
       font-size: 0.92em; }
footer { margin-top: 36px; color: var(--muted); font-size: 0.85em; }
@media print { main { max-width: none; padding: 0; } figure, table { break-inside: avoid; } }
"""


# ---- formatting helpers --------------------------------------------------------------------


def esc(value: object) -> str:
    """Escape any value for HTML text or a double-quoted attribute."""
    return html.escape(str(value), quote=True)


def num(x: object, digits: int = 1) -> str:
    """Format a number with ``digits`` decimals; 'n/a' for missing values."""
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"
    if value != value:  # NaN
        return "n/a"
    return f"{value:.{digits}f}"


def interval(row: pd.Series | dict, level: int = 90) -> str:
    """Format the ``eti<level>`` columns of a table row as ``'a to b'``."""
    return f"{num(row[f'eti{level}_lo'])} to {num(row[f'eti{level}_hi'])}"


def month_of(date_label: str) -> str:
    """``'last (2026-04)'`` -> ``'2026-04'``; other labels unchanged."""
    if date_label.startswith("last (") and date_label.endswith(")"):
        return date_label[len("last ("):-1]
    return date_label


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk (None when ``data`` is not a PNG)."""
    if data[:8] != PNG_SIGNATURE or len(data) < 24:
        return None
    return struct.unpack(">II", data[16:24])


# ---- sections ------------------------------------------------------------------------------
