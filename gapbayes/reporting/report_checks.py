"""The diagnostics and provenance sections of the HTML fit report.

Every check of the fit's manifest with its value, rule and verdict (a failed R-hat check
says where), and the provenance list (spec, data hash, backend, settings, versions,
attribution). :mod:`gapbayes.reporting.report` places them after the gap sections of
:mod:`gapbayes.reporting.report_sections`.
"""

from __future__ import annotations

import json

from gapbayes import __version__
from gapbayes.inference.results import backend_label
from gapbayes.reporting.report_sections import diagnostics_verdict, figure_html
from gapbayes.reporting.report_style import (
    ATTRIBUTION,
    ATTRIBUTION_URL,
    CHECK_LABELS,
    FIG_PPC,
    FIG_RANK,
    esc,
)


def _rule(check: dict) -> str:
    """Return the pass rule of a check, e.g. '≤ 1.01' (directions as ``Diagnostics.line``)."""
    threshold = check.get("threshold")
    if not isinstance(threshold, int | float):
        return "?"
    name = str(check.get("name", ""))
    upper = any(k in name for k in ("rhat", "diverg", "depth"))
    return f"{'≤' if upper else '≥'} {threshold:g}"


def _check_value(check: dict) -> str:
    value = check.get("value")
    if isinstance(value, int | float):
        if check.get("name") == "divergences":
            return f"{int(value)}"
        return f"{value:.4g}"
    return str(value)


def _check_label(check: dict) -> str:
    """Return what the check measures; a failed R-hat check adds where (its ``detail``)."""
    label = CHECK_LABELS.get(str(check.get("name")), check.get("detail", ""))
    if not check.get("passed") and check.get("name") == "rhat_max" and check.get("detail"):
        label = f"{label} {check['detail']}"
    return label


def section_diagnostics(manifest: dict, figures: dict[str, bytes]) -> str:
    """Diagnostics: PASS/FAIL per check with its value and rule."""
    checks = manifest.get("diagnostics", {}).get("checks", [])
    passed, banner = diagnostics_verdict(manifest)
    rows = "".join(
        f'<tr class="{"pass" if c.get("passed") else "fail"}">'
        f"<td><code>{esc(c.get('name', '?'))}</code></td>"
        f"<td>{esc(_check_label(c))}</td>"
        f'<td class="num">{esc(_check_value(c))}</td><td class="num">{esc(_rule(c))}</td>'
        f'<td><span class="verdict">{"PASS" if c.get("passed") else "FAIL"}</span></td></tr>'
        for c in checks)
    return f"""
<section id="diagnostics">
<h2>Diagnostics</h2>
<p class="banner {'pass' if passed else 'fail'}">{esc(banner)}</p>
<table>
<tr><th>check</th><th>what</th><th>value</th><th>rule</th><th>verdict</th></tr>
{rows}
</table>
<details><summary>Rank plots and posterior predictive check</summary>
{figure_html(figures, FIG_RANK)}
{figure_html(figures, FIG_PPC)}
</details>
</section>"""


def _dl(items: list[tuple[str, object]]) -> str:
    return "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)


def section_provenance(manifest: dict, figures_note: str) -> str:
    """Provenance: spec, data hash, backend, settings, versions, attribution."""
    spec = manifest.get("spec", {})
    data = manifest.get("data", {})
    sampler = manifest.get("sampler", {})
    versions = manifest.get("versions", {})
    subset = manifest.get("subset") or {}
    items: list[tuple[str, object]] = [
        ("result", manifest.get("name", "?")),
        ("created", manifest.get("created", "?")),
        ("spec", f"{spec.get('name', '?')} (id {manifest.get('spec_id', '?')})"),
        ("spec description", spec.get("description", "")),
        ("data", f"{data.get('label', '?')}, hash {data.get('hash', '?')}"),
        ("data size", f"{data.get('n_models', '?')} models, {data.get('n_benchmarks', '?')} "
                      f"benchmarks, {data.get('n_scores', '?')} scores, months "
                      f"{data.get('first_month', '?')} to {data.get('last_month', '?')}"),
        ("benchmarks", ", ".join(map(str, data.get("benchmarks", [])))),
        ("subset", json.dumps(subset, sort_keys=True) if subset else "none (all data)"),
        ("backend", backend_label(manifest)),
        ("sampler settings", ", ".join(f"{k} {v}" for k, v in sampler.items())),
        ("wall time", f"{manifest.get('wall_time_seconds', '?')} s (compilation and sampling)"),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
        ("figures", figures_note),
        ("report", f"written by gapbayes {__version__}"),
    ]
    if data.get("label") == "epoch":
        attribution = (f'<p class="note">{esc(ATTRIBUTION)} Retrieved from '
                       f'<a href="{esc(ATTRIBUTION_URL)}">{esc(ATTRIBUTION_URL)}</a>.</p>')
    else:
        attribution = ""
    return f"""
<section id="provenance">
<h2>Provenance</h2>
<dl class="prov">{_dl(items)}</dl>
{attribution}
</section>"""
