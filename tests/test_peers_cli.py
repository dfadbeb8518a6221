"""``gapbayes baseline --method eci|censored`` and ``gapbayes peers`` on the hand-checked table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_baseline_cli import _complete, leftovers
from test_peers_eci import BENCHMARKS, MODELS, SCORE_OF_RANK, days

from gapbayes.cli import main

REFERENCE_FIT = Path(__file__).resolve().parent.parent / "results" / "reference" / "epoch-default"


def write_tidy(root: Path) -> Path:
    """Write the table of test_peers_eci as tidy CSVs (docs/data-format.md)."""
    tidy = root / "tidy"
    tidy.mkdir(parents=True)
    models = pd.DataFrame([
        {"model_id": m, "base_model": m, "display_name": m, "organization": "Org",
         "country": "China" if chinese else "United States of America",
         "chinese": str(chinese).lower(), "release_date": date, "release_date_source": "index",
         "access": access, "access_source": "index", "family": "Org",
         "family_source": "organization"}
        for m, (date, access, chinese, _) in sorted(MODELS.items())
    ])
    bench = BENCHMARKS.assign(file=BENCHMARKS["benchmark_id"] + ".csv", score_column="score",
                              scale_min=0.0, scale_max=1.0, category="reasoning",
                              provenance="independent", third_party_hosts="no",
                              published="true")
    scores = pd.DataFrame([
        {"benchmark_id": b, "model_id": m, "score": round(f(rank), 4), "setting": "run",
         "source": "Epoch AI", "self_reported": "false", "third_party_host": "false",
         "raw_row": i + 2}
        for i, (b, (m, (_, _, _, rank)), f) in enumerate(
            (b, item, f) for b, f in SCORE_OF_RANK.items() for item in MODELS.items())
    ])
    for name, df in (("models", models), ("benchmarks", bench), ("scores", scores)):
        _complete(name, df).to_csv(tidy / f"{name}.csv", index=False, lineterminator="\n")
    return root


@pytest.fixture
def data(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("GAPBAYES_RESULTS", str(tmp_path / "results"))
    return write_tidy(tmp_path / "data")


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.strip()


def test_unknown_method_is_one_line_exit_2(data, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["baseline", "--method", "ecl", "--data", str(data)])
    assert exc.value.code == 2
    assert "argument --method: invalid choice: 'ecl'" in one_error_line(capsys)


@pytest.mark.parametrize(("method", "flag", "value"), [
    ("eci", "--sigma-days", "30"), ("censored", "--no-figure", None),
    ("threshold", "--min-benchmarks", "2"),
])
def test_a_flag_of_another_method_is_refused(data, tmp_path, capsys, method, flag, value):
    out = tmp_path / "out"
    args = ["baseline", "--method", method, "--data", str(data), "--out", str(out), flag]
    assert main(args + ([value] if value else [])) == 2
    assert one_error_line(capsys) == f"gapbayes: error: {flag}: does not apply to --method {method}"
    assert not out.exists()


def test_eci_writes_its_folder(data, tmp_path, capsys):
    out = tmp_path / "results" / "baseline-eci"
    assert main(["baseline", "--method", "eci", "--data", str(data), "--bootstrap", "20"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "abilities.csv", "benchmarks.csv", "curve.csv", "summary.json"]
    s = json.loads((out / "summary.json").read_text())
    assert s["method"].startswith("ECI-style") and s["rules"] and s["deviations"]
    assert s["last"]["gap"] == pytest.approx(days("2025-03-01", "2024-09-01"))
    assert s["parameters"]["n_bootstrap"] == 20 and s["data_hash"]
    curve = pd.read_csv(out / "curve.csv")
    assert list(curve.columns) == ["date", "gap", "median", "lo90", "hi90", "open_ahead_share",
                                   "open_model", "closed_model"]
    printed = capsys.readouterr().out
    assert "last month : 5.9 [5.9, 5.9] at 2025-03-01 (open o4, closed c5)" in printed
    assert leftovers(out.parent) == []


def test_censored_writes_its_folder(data, tmp_path, capsys):
    out = tmp_path / "cens"
    args = ["baseline", "--method", "censored", "--data", str(data), "--out", str(out),
            "--bootstrap", "20"]
    assert main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == ["km.csv", "levels.csv", "summary.json"]
    levels = pd.read_csv(out / "levels.csv")
    assert levels["matched"].tolist() == [True, True, True, True, False]
    printed = capsys.readouterr().out
    assert "5 closed frontier levels, 1 unmatched (censored) at 2025-03-01" in printed
    assert f"all levels:{' ' * 23}{days('2024-10-01', '2024-05-01'):.1f} [" in printed


def test_peers_missing_result_folder_is_one_line_exit_2(data, tmp_path, capsys):
    missing = tmp_path / "no-such-fit"
    assert main(["peers", str(missing), "--data", str(data)]) == 2
    assert one_error_line(capsys) == f"gapbayes: error: {missing}: no such result folder"
    assert main(["peers", str(data), "--latest"]) == 2
    assert one_error_line(capsys) == (
        "gapbayes: error: give either a result folder or --latest, not both")
    assert main(["peers", str(data / "tidy"), "--data", str(data)]) == 2
    assert "not a gapbayes result folder (no manifest.json)" in one_error_line(capsys)


def test_peers_computes_missing_folders_then_reuses_them(data, tmp_path, capsys):
    assert main(["peers", "--data", str(data), "--bootstrap", "20", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["method"] for r in rows] == ["threshold", "eci", "censored"]
    assert all(r["source"].startswith("computed now") for r in rows)
    assert rows[1]["last"]["value"] == pytest.approx(days("2025-03-01", "2024-09-01"))
    assert rows[1]["near_2025_01_20"]["value"] == pytest.approx(days("2025-01-20", "2024-07-01"))
    # Three levels in the year to 2025-03-01: too few for a median, said, not hidden.
    assert rows[2]["last"]["value"] is None
    assert rows[2]["last"]["note"] == "too few levels: 3"
    assert main(["baseline", "--method", "eci", "--data", str(data), "--bootstrap", "20"]) == 0
    capsys.readouterr()
    assert main(["peers", "--data", str(data), "--bootstrap", "20", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[1]["source"] == str(tmp_path / "results" / "baseline-eci")
    assert rows[0]["source"].startswith("computed now")


def test_peers_next_to_a_fit(data, capsys):
    assert main(["peers", str(REFERENCE_FIT), "--data", str(data), "--bootstrap", "10"]) == 0
    out = capsys.readouterr().out
    # overall rows of results/reference/epoch-default/gap_at_dates.csv, as printed
    gaps = pd.read_csv(REFERENCE_FIT / "gap_at_dates.csv").query("group == 'overall'")

    def cell(date: str, direction: str) -> str:
        r = gaps[(gaps["date"] == date) & (gaps["direction"] == direction)].iloc[0]
        return f"{r['median']:.1f} [{r['eti90_lo']:.1f}, {r['eti90_hi']:.1f}] at {date}"

    last = next(d for d in gaps["date"] if d.startswith("last"))
    assert f"posterior backward  {cell(last, 'backward')}" in out
    assert cell("2025-01-20", "backward") in out
    assert f"{cell(last, 'forward')} (forecast)" in out
    fit_data = json.loads((REFERENCE_FIT / "manifest.json").read_text())["data"]["hash"]
    assert f"note: the fit used data {fit_data}, the peers data" in out
    assert main(["peers", str(REFERENCE_FIT), "--data", str(data), "--bootstrap", "10",
                 "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "| method | last month of the data | near 2025-01-20 |" in md
    assert f"| posterior forward | {cell(last, 'forward')} (forecast) |" in md


def test_peers_figure(data, tmp_path, capsys):
    png, svg = tmp_path / "fig" / "peers.png", tmp_path / "peers.svg"
    assert main(["peers", "--data", str(data), "--bootstrap", "10", "--figure", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["peers", str(REFERENCE_FIT), "--data", str(data), "--bootstrap", "10",
                 "--figure", str(svg)]) == 0
    assert svg.read_text().lstrip().startswith("<?xml")
    capsys.readouterr()
    bad = tmp_path / "peers.pdf"
    assert main(["peers", "--data", str(data), "--figure", str(bad)]) == 2
    assert one_error_line(capsys) == (
        f"gapbayes: error: --figure {bad}: the file name must end in .png or .svg")
    assert not bad.exists()


def test_no_open_model_is_one_line_exit_2(data, tmp_path, capsys):
    models = pd.read_csv(data / "tidy" / "models.csv", dtype=str, keep_default_na=False)
    models["access"] = "closed"
    models.to_csv(data / "tidy" / "models.csv", index=False, lineterminator="\n")
    out = tmp_path / "out"
    assert main(["baseline", "--method", "censored", "--data", str(data), "--out", str(out),
                 "--bootstrap", "5"]) == 2
    assert one_error_line(capsys) == (
        f"gapbayes: error: {data}: the ability fit has no open or no closed model: "
        "no gap to measure; nothing to estimate")
    assert not out.exists()
