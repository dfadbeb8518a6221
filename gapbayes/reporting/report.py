"""One-page, self-contained HTML report of a fit result (``gapbayes report``).

The page opens without Python or a network: figures are embedded as base64 PNG, the CSS is
inline, there are no scripts and no external fonts or style sheets. The only external address
is the data attribution link (Epoch AI's Benchmarking Hub, required by its CC-BY licence),
and only when the fit used the bundled Epoch data.

Sections: headline (gap by access type at the last data month in words), gap over time, gap
by category, by country and lab lags (when the result has them), the threshold-crossing
baseline next to the model, bias terms, per-benchmark curves, diagnostics (PASS/FAIL per check)
and provenance. Every piece of text that comes from
a file is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from gapbayes import __version__
from gapbayes.errors import GapbayesError
from gapbayes.inference.results import LoadedResult, backend_label
from gapbayes.reporting.report_checks import section_diagnostics, section_provenance
from gapbayes.reporting.report_country import ANCHOR, section_country
from gapbayes.reporting.report_lab import ANCHOR as LAB_ANCHOR
from gapbayes.reporting.report_lab import section_lab
from gapbayes.reporting.report_sections import (
    section_baseline,
    section_bias,
    section_category,
    section_curves,
    section_headline,
    section_over_time,
)
from gapbayes.reporting.report_style import (  # noqa: F401  (ATTRIBUTION_URL, png_size: public)
    ATTRIBUTION_URL,
    CSS,
    FIG_ACCESS,
    FIGURES,
    esc,
    png_size,
)

BASELINE_SUMMARY = "summary.json"
REPORT_FILE = "report.html"


# ---- inputs --------------------------------------------------------------------------------


def load_baseline_summary(folder: Path) -> dict | None:
    """Read the baseline's ``summary.json`` from ``folder``; None when there is none.

    Raises
    ------
    GapbayesError
        When the file exists but is not a baseline summary (so a broken file is not
        silently reported as missing).
    """
    path = Path(folder) / BASELINE_SUMMARY
    if not path.is_file():
        return None
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GapbayesError(f"{path}: not readable as JSON ({exc})") from exc
    if not isinstance(summary, dict) or not isinstance(summary.get("groups"), dict):
        raise GapbayesError(f"{path}: not a baseline summary (no 'groups')")
    return summary


def collect_figures(
    loaded: LoadedResult,
    baseline_points: pd.DataFrame | None = None,
    replot: bool = False,
) -> tuple[dict[str, bytes], str]:
    """Return the PNG bytes of the report's figures and a note saying where they came from.

    The result's ``plots/`` folder is used when it holds the main figure (fast, and the same
    pictures as the folder); otherwise, or with ``replot``, the figures are redrawn from
    ``posterior.nc`` and ``design.npz`` into a temporary folder, so nothing in the result
    folder changes.

    Parameters
    ----------
    loaded
        The result folder.
    baseline_points
        Baseline datapoints overlaid on the gap figures when they are redrawn.
    replot
        Redraw even when ``plots/`` exists.

    Returns
    -------
    dict, str
        ``{stem: png bytes}`` for the figures found, and a one-line note.
    """
    plots = loaded.path / "plots"
    if not replot and (plots / f"{FIG_ACCESS.stem}.png").is_file():
        found = {f.stem: (plots / f"{f.stem}.png").read_bytes() for f in FIGURES
                 if (plots / f"{f.stem}.png").is_file()}
        return found, f"Figures from {plots.name}/ of the result folder."
    missing = [n for n in ("posterior.nc", "design.npz") if not (loaded.path / n).is_file()]
    if missing:
        return {}, (f"No figures: the result has no plots/ and no {' or '.join(missing)} to "
                    "draw them from.")
    from gapbayes.inference.design_io import load_design
    from gapbayes.reporting.plots import write_fit_plots

    try:
        data = load_design(loaded.path / "design.npz")
        dt = loaded.posterior()
    except (TypeError, KeyError, ValueError, OSError) as exc:
        # A folder written by an older gapbayes (different design.npz fields): the numbers
        # in the tables are still worth a report, so say why the figures are missing.
        return {}, (f"No figures: the result's posterior.nc/design.npz could not be read by "
                    f"this gapbayes version ({type(exc).__name__}: {exc}).")
    try:
        with tempfile.TemporaryDirectory(prefix="gapbayes-report-") as tmp:
            written = write_fit_plots(Path(tmp), dt, data, loaded.tables, baseline_points)
            found = {p.stem: p.read_bytes() for p in written if p.suffix == ".png"}
    finally:
        dt.close()
    return found, "Figures redrawn from posterior.nc for this report."


# ---- page ----------------------------------------------------------------------------------


def render_report(
    loaded: LoadedResult,
    figures: dict[str, bytes],
    baseline: dict | None = None,
    baseline_note: str = "",
    figures_note: str = "",
) -> str:
    """Return the report page as one HTML string.

    Parameters
    ----------
    loaded
        The result folder (manifest and tables).
    figures
        ``{stem: PNG bytes}`` (see :func:`collect_figures`); missing figures get a note.
    baseline
        The baseline's ``summary.json`` content, or None.
    baseline_note
        Where the baseline came from, or why there is none.
    figures_note
        Where the figures came from (shown under provenance).

    Raises
    ------
    GapbayesError
        When the result has no ``gap_at_dates`` table.
    """
    man = loaded.manifest
    gaps = loaded.tables.get("gap_at_dates")
    if gaps is None or gaps.empty:
        raise GapbayesError(f"{loaded.path}: no gap_at_dates.csv; not a finished fit result")
    spec = man.get("spec", {})
    data = man.get("data", {})
    title = "How far open-weight models trail the closed frontier"
    sub = (f"gapbayes result {man.get('name', loaded.path.name)}: spec "
           f"{spec.get('name', '?')}, data {data.get('label', '?')} "
           f"({data.get('n_models', '?')} models, {data.get('n_benchmarks', '?')} benchmarks), "
           f"backend {backend_label(man)}, "
           f"created {man.get('created', '?')}")
    nav = "".join(f'<a href="#{a}">{esc(t)}</a>' for a, t in (
        ("over-time", "Gap over time"), ("category", "By category"),
        ("gap-vector", "Gap vector"),
        *([ANCHOR] if {"country_gaps", "country_lags"} & set(loaded.tables) else []),
        *([LAB_ANCHOR] if "lab_lags" in loaded.tables else []),
        ("baseline", "Baseline vs Bayesian"), ("bias", "Bias terms"),
        ("benchmarks", "Benchmarks"), ("diagnostics", "Diagnostics"),
        ("provenance", "Provenance")))
    body = "".join((
        section_headline(gaps, man),
        section_over_time(figures),
        section_category(gaps, figures),
        section_country(loaded.tables.get("country_gaps"), loaded.tables.get("gap_at_dates"),
                        loaded.tables.get("country_lags")),
        section_lab(loaded.tables.get("lab_lags"), loaded.tables.get("frontier_holders"),
                    loaded.tables.get("gap_at_dates"), figures, loaded.tables.get("lab_curves")),
        section_baseline(gaps, baseline, baseline_note),
        section_bias(loaded.tables.get("bias_terms")),
        section_curves(figures),
        section_diagnostics(man, figures),
        section_provenance(man, figures_note),
    ))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}: {esc(man.get('name', ''))}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<h1>{esc(title)}</h1>
<p class="sub">{esc(sub)}</p>
<nav>{nav}</nav>
{body}
<footer>Every interval is an equal-tailed interval (ETI) of the posterior unless marked as the
baseline's bootstrap interval. Generated by gapbayes {esc(__version__)}.</footer>
</main>
</body>
</html>
"""


def write_report(
    result: Path,
    out: Path | None = None,
    baseline_dir: Path | None = None,
    require_baseline: bool = False,
    replot: bool = False,
    log: Callable[[str], None] = print,
) -> Path:
    """Render the report of ``result`` and write it atomically.

    Parameters
    ----------
    result
        A fit result folder.
    out
        Output file (default ``result/report.html``).
    baseline_dir
        Baseline result folder (``summary.json``, ``datapoints.csv``); None: no baseline.
    require_baseline
        Raise when ``baseline_dir`` has no summary (it was named explicitly).
    replot
        Redraw the figures even when ``result/plots`` exists.
    log
        Where notes go (no figures, no baseline): the page says so too, but a page without
        figures should not pass unnoticed on the command line.

    Returns
    -------
    Path
        The file written.
    """
    from gapbayes.atomic import write_text
    from gapbayes.inference.results import load_result
    from gapbayes.reporting.plots import load_baseline_points

    loaded = load_result(result)
    if loaded.manifest.get("kind", "fit") != "fit":
        raise GapbayesError(f"{result}: not a fit result (kind '{loaded.manifest['kind']}')")
    baseline, points = None, None
    if baseline_dir is None:
        note = "No baseline folder given."
    else:
        baseline = load_baseline_summary(baseline_dir)
        if baseline is None:
            if require_baseline:
                raise GapbayesError(f"{baseline_dir}: no {BASELINE_SUMMARY} (run 'gapbayes "
                                    "baseline' first or leave out --baseline)")
            note = (f"No baseline summary at {Path(baseline_dir) / BASELINE_SUMMARY}: run "
                    "'gapbayes baseline' to add the comparison.")
        else:
            note = f"Baseline from {Path(baseline_dir) / BASELINE_SUMMARY}."
        try:
            points = load_baseline_points(baseline_dir)
        except ValueError:
            points = None  # the overlay is optional; the table above already uses the summary
    figures, fig_note = collect_figures(loaded, points, replot)
    if not figures:
        log(f"note: {fig_note}")
    if baseline is None and baseline_dir is not None:
        log(f"note: {note}")
    page = render_report(loaded, figures, baseline, note, fig_note)
    out = Path(out) if out is not None else loaded.path / REPORT_FILE
    write_text(out, page)
    return out
