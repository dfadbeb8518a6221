"""``gapbayes baseline`` writes its result folder whole, or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_baseline_crossings import BENCHMARKS, MODELS, SCORES

import gapbayes.baseline.figure as figure_module
from gapbayes.cli import main


def _complete(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Add the columns the data layer's schema has beyond data-format.md (blank/false)."""
    try:
        from gapbayes.data.schema import SPECS
    except ImportError:  # data layer not installed: the contract columns are enough
        return df
    spec = SPECS[name]
    for col, kind in spec.columns.items():
        if col not in df.columns:
            df[col] = "false" if kind == "bool" else ""
    return df.loc[:, list(spec.columns)].sort_values(list(spec.key), kind="stable")


def write_tidy(root: Path) -> Path:
    """Write the synthetic table of test_baseline_crossings as tidy CSVs (data-format.md)."""
    tidy = root / "tidy"
    tidy.mkdir(parents=True)
    models = pd.DataFrame(
        [
            {
                "model_id": m,
                "base_model": m,
                "display_name": m,
                "organization": "Org",
                "country": "China" if chinese else "United States of America",
                "chinese": "true" if chinese else "false",
                "release_date": date,
                "release_date_source": "index" if date else "",
                "access": access,
                "access_source": "index" if access != "unknown" else "missing",
                "family": "Org",
                "family_source": "organization",
            }
            for m, (date, access, chinese) in sorted(MODELS.items())
        ]
    )
    scale_max = {"proportion": 1.0, "minutes": 1e6}
    bench = pd.DataFrame(
        [
            {
                "benchmark_id": r.benchmark_id,
                "name": r.name,
                "file": f"{r.benchmark_id}.csv",
                "score_column": "score",
                "stderr_column": "",
                "scale": r.scale,
                "scale_min": 0.0,
                "scale_max": scale_max[r.scale],
                "transform": "log" if r.scale == "minutes" else "identity",
                "link": "linear" if r.scale == "minutes" else "sigmoid",
                "chance": 0.0,
                "n_items": "",
                "access_type": r.access_type,
                "category": "reasoning",
                "provenance": "independent",
                "third_party_hosts": "no",
                "published": "true" if r.published else "false",
            }
            for r in BENCHMARKS.itertuples()
        ]
    )
    scores = pd.DataFrame(
        [
            {
                "benchmark_id": b,
                "model_id": m,
                "score": s,
                "stderr": "",
                "setting": f"run{i:02d}",
                "source": "Epoch AI",
                "self_reported": "false",
                "third_party_host": "false",
                "raw_row": i + 2,
            }
            for i, (b, m, s) in enumerate(SCORES)
        ]
    )
    for name, df in (("models", models), ("benchmarks", bench), ("scores", scores)):
        df = _complete(name, df)
        df.to_csv(tidy / f"{name}.csv", index=False, lineterminator="\n")
    return root


def leftovers(parent: Path) -> list[Path]:
    return [
        p for p in parent.iterdir() if p.name.startswith(".gapbayes-") or "gapbayes-old" in p.name
    ]


def test_cli_writes_outputs(tmp_path, capsys):
    data = write_tidy(tmp_path / "data")
    out = tmp_path / "results" / "baseline"
    code = main(["baseline", "--data", str(data), "--out", str(out), "--bootstrap", "200"])
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {"datapoints.csv", "curves.csv", "summary.json", "gap.png", "gap.svg"} <= names
    dp = pd.read_csv(out / "datapoints.csv")
    assert len(dp) == 12
    assert dp["open_date"].str.match(r"^\d{4}-\d{2}-\d{2}$").all()
    curves = pd.read_csv(out / "curves.csv")
    assert list(curves.columns) == ["group", "date", "gap", "lo90", "hi90", "n_eff"]
    assert set(curves["group"]) == {"all", "private", "public"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_datapoints"] == 12
    assert summary["parameters"]["n_bootstrap"] == 200
    assert summary["data_hash"]
    printed = capsys.readouterr().out
    assert "datapoints: all 12, private 8, public 4" in printed
    assert leftovers(out.parent) == []
    # --no-figure, and a rerun replaces the folder whole
    assert (
        main(
            ["baseline", "--data", str(data), "--out", str(out), "--bootstrap", "0", "--no-figure"]
        )
        == 0
    )
    assert not (out / "gap.png").exists()
    assert leftovers(out.parent) == []


def test_cli_error_while_writing_leaves_previous_results(tmp_path, monkeypatch):
    data = write_tidy(tmp_path / "data")
    out = tmp_path / "results" / "baseline"
    out.mkdir(parents=True)
    (out / "old.txt").write_text("previous run")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while drawing")

    monkeypatch.setattr(figure_module, "save_figure", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        main(["baseline", "--data", str(data), "--out", str(out), "--bootstrap", "50"])
    assert [p.name for p in out.iterdir()] == ["old.txt"]
    assert leftovers(out.parent) == []


def test_cli_bad_input_exit_2_and_nothing_written(tmp_path, capsys):
    data = write_tidy(tmp_path / "data")
    scores = pd.read_csv(data / "tidy" / "scores.csv", dtype=str, keep_default_na=False)
    scores.loc[3, "score"] = "abc"
    scores.to_csv(data / "tidy" / "scores.csv", index=False, lineterminator="\n")
    out = tmp_path / "results" / "baseline"
    code = main(["baseline", "--data", str(data), "--out", str(out), "--bootstrap", "10"])
    assert code == 2
    assert "score" in capsys.readouterr().err
    assert not out.exists()
    assert not (tmp_path / "results").exists() or leftovers(tmp_path / "results") == []


def test_cli_missing_tables_exit_2(tmp_path):
    out = tmp_path / "out"
    assert main(["baseline", "--data", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert not out.exists()


def test_imported_table_without_published_flags_uses_every_benchmark(tmp_path, capsys):
    # an imported table flags no benchmark published: the method runs on all of them, and
    # says so, instead of finding nothing to estimate
    data = write_tidy(tmp_path / "data")
    bench_csv = data / "tidy" / "benchmarks.csv"
    bench = pd.read_csv(bench_csv, keep_default_na=False, dtype=str)
    bench.assign(published="false").to_csv(bench_csv, index=False, lineterminator="\n")
    out = tmp_path / "results" / "baseline"
    assert main(["baseline", "--data", str(data), "--out", str(out), "--bootstrap", "0",
                 "--no-figure"]) == 0
    printed = capsys.readouterr().out
    assert "no benchmark of" in printed and "runs on all 4 of them" in printed
    # not_published's two scores cross no accepted threshold together: the same 12 datapoints
    assert len(pd.read_csv(out / "datapoints.csv")) == 12
