"""``gapbayes report``: a self-contained one-page HTML report of a fit result.

One tiny synthetic fit (module-scoped) serves every test. The browser test renders the page
in headless Chromium (Debian's ``chromium`` package) and is skipped when it is not installed.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageStat
from test_country_recovery import plausible_world

from gapbayes.commands import report as report_cmd
from gapbayes.errors import GapbayesError
from gapbayes.inference.backends import SamplerSettings
from gapbayes.inference.fit import FitInput, run_fit
from gapbayes.model.frontier_design import build_frontier_data
from gapbayes.model.frontier_simulate import frontier_design, simulate_frontier_world
from gapbayes.model.spec import load_spec
from gapbayes.reporting.plots import fit_plotter
from gapbayes.reporting.report import ATTRIBUTION_URL, REPORT_FILE, png_size

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Distinctive numbers so the baseline columns can be found in the page.
BASELINE_GROUPS = {
    "all": {"n_datapoints": 17, "last": {"date": "2025-10-03", "gap": 13.37, "lo90": 11.11,
                                         "hi90": 15.55, "n_eff": 9.0},
            "near_2025_01_20": {"date": "2025-01-17", "gap": 3.21, "lo90": 2.22,
                                "hi90": 4.44, "n_eff": 9.0}},
    "private": {"n_datapoints": 8, "last": {"date": "2025-10-03", "gap": 17.71, "lo90": 16.61,
                                            "hi90": 18.81, "n_eff": 5.0},
                "near_2025_01_20": None},
    "public": {"n_datapoints": 9, "last": None, "near_2025_01_20": None},
}
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--hide-scrollbars")
# Test-only probe appended to a copy of the page (the report itself has no scripts): after
# the load event it lists every image's decoded size, which --dump-dom then shows.
PROBE = ('<script>window.addEventListener("load",function(){var o=[];'
         'document.querySelectorAll("img").forEach(function(i){'
         'o.push(i.naturalWidth+"x"+i.naturalHeight)});var p=document.createElement("pre");'
         'p.id="probe";p.textContent=o.join(" ");document.body.appendChild(p);});</script>')


def render(argv: list[str]) -> int:
    """Run ``gapbayes report`` through its own parser (independent of cli.COMMAND_MODULES)."""
    parser = argparse.ArgumentParser()
    report_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["report", *argv])
    return args.func(args)


def page_text(page: str) -> str:
    """Visible text of a page: tags dropped, entities decoded, whitespace collapsed."""
    text = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return re.sub(r"\s+", " ", text)


def headline_numbers(folder: Path) -> list[str]:
    """Phrases the headline must contain: median and 90% ETI per access group, last month."""
    gaps = pd.read_csv(folder / "gap_at_dates.csv")
    last = [d for d in gaps["date"].unique() if d.startswith("last")][0]
    sel = gaps[(gaps["date"] == last) & (gaps["direction"] == "backward")
               & gaps["group"].isin(["overall", "private", "public"])]
    assert len(sel) >= 2, "the design should have private and public benchmarks"
    return [f"{r.median:.1f} months (90% ETI {r.eti90_lo:.1f} to {r.eti90_hi:.1f})"
            for r in sel.itertuples()] + [last.removeprefix("last (").rstrip(")")]


def check_self_contained(page: str) -> None:
    """No scripts, style sheets, fonts or images from elsewhere; every image a decodable PNG."""
    assert "<script" not in page.lower()
    assert "<link" not in page.lower() and "@import" not in page and "url(" not in page
    assert "<iframe" not in page.lower() and "<object" not in page.lower()
    # Addresses a browser would follow or load: attributes only (escaped text is just text).
    refs = set(re.findall(r'(?:href|src|action|poster|srcset)\s*=\s*"([^"]*)"', page))
    assert {r for r in refs if not r.startswith(("data:image/png;base64,", "#"))} <= {
        ATTRIBUTION_URL}, refs
    # every in-page link (the navigation) lands on a section of the page
    anchors = {r[1:] for r in refs if r.startswith("#")}
    assert anchors and anchors <= set(re.findall(r'id="([^"]+)"', page)), anchors
    sources = re.findall(r'src="([^"]*)"', page)
    assert sources, "no figures embedded"
    for src in sources:
        assert src.startswith("data:image/png;base64,"), src[:60]
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data[:8] == PNG_SIGNATURE
        assert png_size(data)[0] > 500


@pytest.fixture(scope="module")
def fit_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished fit result folder (with plots) from a small synthetic world.

    Fitted with the spec ``by-country`` (the default model plus the country term), so that the
    page has every section, the country one included; the world's frontier is held plausible
    (a prior draw of it can put open models two years ahead and leave a group unidentified).
    """
    spec = load_spec("by-country")
    models, benchmarks, scores = frontier_design(n_models=40, n_benchmarks=5, seed=0)
    held = plausible_world(build_frontier_data(models, benchmarks, scores, spec))
    world = simulate_frontier_world(models, benchmarks, scores, spec, fixed=held, seed=1)
    inp = FitInput(world.models, world.benchmarks, world.scores, "synthetic-report", "synth")
    result = run_fit(
        inp, spec,
        settings=SamplerSettings(chains=2, draws=100, tune=100, progressbar=False),
        out_root=tmp_path_factory.mktemp("results"), plotter=fit_plotter(),
        log=lambda *_: None,
    )
    return result.path


@pytest.fixture(scope="module")
def baseline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A baseline folder with a summary.json of known numbers."""
    folder = tmp_path_factory.mktemp("baseline")
    summary = {"method": "threshold crossing", "parameters": {"sigma_days": 60.0},
               "groups": BASELINE_GROUPS}
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


@pytest.fixture(scope="module")
def report_page(fit_folder: Path, baseline_dir: Path) -> str:
    """The report written to its default place, RESULT/report.html."""
    assert render([str(fit_folder), "--baseline", str(baseline_dir)]) == 0
    return (fit_folder / REPORT_FILE).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_page(fit_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Report of a copy without plots/ (figures redrawn) whose manifest holds markup."""
    copy = tmp_path_factory.mktemp("copy") / fit_folder.name
    shutil.copytree(fit_folder, copy, ignore=shutil.ignore_patterns("plots", REPORT_FILE))
    man = json.loads((copy / "manifest.json").read_text())
    man["spec"]["name"] = "<script>alert(1)</script>"
    man["spec"]["description"] = 'a & b <img src="http://evil.example/x.png">'
    man["data"]["label"] = "epoch"  # the bundled data: the attribution link must appear
    (copy / "manifest.json").write_text(json.dumps(man))
    out = copy.parent / "elsewhere" / "page.html"
    with pytest.MonkeyPatch.context() as mp:
        # No baseline anywhere: a developer's results/baseline must not leak into the test.
        mp.setenv("GAPBAYES_RESULTS", str(copy.parent / "results"))
        assert render([str(copy), "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8"), copy


def test_headline_numbers_in_page(fit_folder: Path, report_page: str) -> None:
    text = page_text(report_page)
    headline = re.search(r'<p class="headline" id="headline-text">(.*?)</p>', report_page, re.S)
    assert headline, "no headline paragraph"
    head = page_text(headline.group(1))
    assert head.startswith("Open-weight models trail the closed frontier by")
    for phrase in headline_numbers(fit_folder):
        assert phrase in head, f"headline lacks {phrase!r}: {head}"
    for section in ("Gap over time", "Gap by benchmark category", "The gap as a vector",
                    "Lab lags", "Baseline vs Bayesian",
                    "Bias terms", "Per-benchmark curves", "Diagnostics", "Provenance"):
        assert section in text


def test_page_is_self_contained(report_page: str) -> None:
    check_self_contained(report_page)
    # Synthetic data: no attribution, hence no web address anywhere, not even as text.
    assert re.search(r"https?://", report_page) is None
    assert len(re.findall(r'<img ', report_page)) == 8          # lab_lags is the 8th


def test_baseline_side_by_side(report_page: str) -> None:
    text = page_text(report_page)
    assert "13.4 [11.1 to 15.6]" in text and "at 2025-10-03" in text
    assert "17.7 [16.6 to 18.8]" in text
    assert "3.2 [2.2 to 4.4]" in text


def test_bias_terms_and_diagnostics(fit_folder: Path, report_page: str) -> None:
    text = page_text(report_page)
    for row in pd.read_csv(fit_folder / "bias_terms.csv").itertuples():
        assert row.term in text
        if getattr(row, "status", "estimated") == "estimated":
            assert f"{row.eti90_lo:.1f} to {row.eti90_hi:.1f}" in text
        else:                        # a term without support shows why, not a number
            assert f"{row.status}" in text and f"{int(row.n_scores)} score" in text
    man = json.loads((fit_folder / "manifest.json").read_text())
    for check in man["diagnostics"]["checks"]:
        verdict = "pass" if check["passed"] else "fail"
        assert re.search(rf'<tr class="{verdict}"><td><code>{check["name"]}</code>',
                         report_page), check["name"]
    banner = "PASS" if man["diagnostics"]["passed"] else "FAIL"
    assert f'<p class="banner {banner.lower()}">{banner}' in report_page
    # the verdict leads the page: it comes before the headline's numbers
    verdict = report_page.index(f'<p class="banner {banner.lower()}" id="verdict">')
    assert verdict < report_page.index('id="headline-text"')
    failed = [c["name"] for c in man["diagnostics"]["checks"] if not c["passed"]]
    for name in failed:
        assert name in report_page[verdict:report_page.index('id="headline-text"')]
    for fact in (man["spec_id"], man["data"]["hash"], man["created"], man["backend"],
                 f"draws {man['sampler']['draws']}", f"pymc {man['versions']['pymc']}"):
        assert fact in text


def test_markup_from_files_is_escaped(hostile_page: tuple[str, Path]) -> None:
    page, _ = hostile_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &amp; b &lt;img" in page
    check_self_contained(page)  # no script and no evil.example address got through
    assert 'src="http' not in page
    assert f'<a href="{ATTRIBUTION_URL}">' in page
    # The one web address besides the (escaped, inert) hostile text is the attribution.
    urls = set(re.findall(r"https?://[^\s\"'<>&]+", page))
    assert urls == {ATTRIBUTION_URL, "http://evil.example/x.png"}


def test_figures_redrawn_without_plots_folder(hostile_page: tuple[str, Path]) -> None:
    page, copy = hostile_page
    assert "Figures redrawn from posterior.nc" in page
    assert len(re.findall(r'<img ', page)) == 8
    assert 'id="fig-lab_lags"' in page                   # redrawn from the posterior too
    assert not (copy / "plots").exists(), "the result folder must not change"
    assert not (copy / REPORT_FILE).exists(), "--out writes elsewhere"


def test_baseline_missing(fit_folder: Path, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPBAYES_RESULTS", str(tmp_path / "results"))
    with pytest.raises(GapbayesError, match="no summary.json"):
        render([str(fit_folder), "--baseline", str(tmp_path), "--out", str(tmp_path / "r.html")])
    assert not (tmp_path / "r.html").exists()
    out = tmp_path / "r.html"
    assert render([str(fit_folder), "--out", str(out)]) == 0  # default: skipped with a note
    assert "run 'gapbayes baseline'" in page_text(out.read_text())


def test_not_a_result(tmp_path: Path) -> None:
    with pytest.raises(GapbayesError, match="not a gapbayes result folder"):
        render([str(tmp_path)])


def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run(
        [shutil.which("chromium"), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, timeout=180, check=True)


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="headless Chromium not installed (Debian: apt-get install -y "
                           "chromium)")
def test_renders_in_headless_chromium(fit_folder: Path, report_page: str,
                                      tmp_path: Path) -> None:
    # The DOM after the load event: the headline is there and every image decoded at its size.
    probed = tmp_path / "probed.html"
    probed.write_text(report_page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = _chromium(["--dump-dom", probed.as_uri()], tmp_path).stdout.decode()
    text = page_text(dom)
    for phrase in headline_numbers(fit_folder):
        assert phrase in text
    # the gap-vector section: its table (identified counts, new-benchmark interval) and figure
    assert '<section id="gap-vector">' in dom and 'id="fig-gap_vector"' in dom
    assert "The gap as a vector" in text and "identified benchmarks" in text
    assert re.search(r"\d+ of \d+", text.split("The gap as a vector", 1)[1])
    assert 'id="fig-gap_by_category"' in dom
    # the country section: each open subgroup and their difference at the named dates
    assert '<section id="country">' in dom and 'href="#country"' in dom
    country = text.split("By country", 1)[1]
    assert "chinese open" in country and "chinese minus other open" in country
    # the lab section: its table, the frontier holders and the figure
    assert '<section id="labs">' in dom and 'href="#labs"' in dom
    assert 'id="fig-lab_lags"' in dom and "which lab holds the frontier" in text
    sizes = re.search(r'<pre id="probe">(.*?)</pre>', dom)
    assert sizes, "the load event never fired"
    expected = [f"{w}x{h}" for w, h in (
        png_size(base64.b64decode(src.split(",", 1)[1]))
        for src in re.findall(r'src="([^"]*)"', report_page))]
    assert sizes.group(1).split() == expected

    # The page itself (no probe), as a picture of its top (headline and first figure); the
    # same page with the image data removed shows how much of that the figures paint.
    shot, blank = tmp_path / "report.png", tmp_path / "no-images.png"
    stripped = tmp_path / "no-images.html"
    stripped.write_text(re.sub(r'src="data:[^"]*"', 'src=""', report_page), encoding="utf-8")
    for page, png in (((fit_folder / REPORT_FILE), shot), (stripped, blank)):
        _chromium(["--window-size=1200,1600", f"--screenshot={png}", page.as_uri()], tmp_path)
    assert shot.stat().st_size > 50_000
    with Image.open(shot) as img, Image.open(blank) as ref:
        assert img.size == ref.size == (1200, 1600)
        assert ImageStat.Stat(img.convert("L")).stddev[0] > 20, "blank screenshot"
        changed = np.any(np.asarray(img.convert("RGB")) != np.asarray(ref.convert("RGB")),
                         axis=-1).mean()
    assert changed > 0.15, f"figures cover only {changed:.0%} of the first screen"


def test_stan_result_summary_and_report(fit_folder: Path, tmp_path: Path) -> None:
    """A Stan result's manifest has no PyMC ``sampler`` entry: both outputs name the backend."""
    import io

    from gapbayes.commands.summary import print_summary
    from gapbayes.inference.results import load_result

    copy = tmp_path / fit_folder.name
    shutil.copytree(fit_folder, copy, ignore=shutil.ignore_patterns(REPORT_FILE))
    man = json.loads((copy / "manifest.json").read_text())
    man["backend"] = "stan"
    del man["sampler"]["sampler"]
    (copy / "manifest.json").write_text(json.dumps(man))
    out = io.StringIO()
    print_summary(load_result(copy), "text", out)
    assert ", backend stan, 2 chains x 100 draws, seed 0\n" in out.getvalue()
    # the plain summary carries the lab block after the country block
    text = out.getvalue()
    assert text.index("Chinese vs other open models behind the closed frontier") < text.index(
        "Lab lag behind the closed frontier, in months") < text.index("Which lab holds")
    assert render([str(copy), "--out", str(tmp_path / "page.html")]) == 0
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert "backend stan," in page and "/?" not in page


def test_lab_section_from_the_fit(fit_folder: Path, report_page: str) -> None:
    """Every lab of lab_lags.csv at the named dates, its median in the table; the figure."""
    labs = pd.read_csv(fit_folder / "lab_lags.csv")
    named = set(pd.read_csv(fit_folder / "gap_at_dates.csv")["date"])
    assert 'href="#labs"' in report_page and '<section id="labs">' in report_page
    section = report_page[report_page.index('<section id="labs">'):]
    section = section[:section.index("</section>")]
    rows = labs[labs["date"].isin(named)]
    assert len(rows) and set(labs["lab"]) == set(rows["lab"])
    for r in rows.itertuples():
        row = section[section.index(f"<tr><td>{html.escape(r.lab)}</td>"):]
        assert f"<strong>{r.median:.1f}</strong>" in row[:row.index("</tr>")], r.lab
    holders = pd.read_csv(fit_folder / "frontier_holders.csv")
    top = holders[holders["date"].isin(named)].iloc[0]
    assert f"{top.holder} {top.probability:.2f}" in html.unescape(section)
    assert 'id="fig-lab_lags"' in section and "data:image/png;base64," in section
    assert "running best" in section


def test_country_section_only_with_country_gaps() -> None:
    from gapbayes.reporting.report_country import section_country

    assert section_country(None, None) == ""
    assert section_country(pd.DataFrame(), None) == ""


def test_failed_rhat_row_says_where() -> None:
    from gapbayes.reporting.report_checks import section_diagnostics

    where = "(2 of 90 values over 1.01; largest: difficulty[arc_agi] 1.031)"
    checks = [{"name": "rhat_max", "value": 1.031, "threshold": 1.01, "passed": False,
               "detail": where},
              {"name": "divergences", "value": 0, "threshold": 0, "passed": True, "detail": ""}]
    page = section_diagnostics({"diagnostics": {"passed": False, "checks": checks}}, {})
    row = page[page.index("<code>rhat_max</code>"):]
    assert html.escape(where) in row[:row.index("</tr>")]
    checks[0].update(passed=True, value=1.004)
    page = section_diagnostics({"diagnostics": {"passed": True, "checks": checks}}, {})
    assert "values over" not in page
