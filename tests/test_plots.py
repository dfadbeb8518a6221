"""Figures of a fit: written by ``run_fit`` and redrawn whole by ``gapbayes plot``.

One tiny synthetic fit (module-scoped, a few seconds of sampling) serves every test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from gapbayes.cli import main

PNGS = ("gap_by_access", "gap_by_category", "gap_vector", "lab_lags", "gap_forward_vs_backward",
        "benchmark_curves", "rank_plots", "ppc", "prior_predictive")
SVGS = ("gap_by_access", "gap_by_category", "gap_vector", "lab_lags")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def fit_folder(tmp_path_factory: pytest.TempPathFactory, small_fit: Path) -> Path:
    """A finished fit result folder (with its plots) from a small synthetic world (a copy)."""
    copy = tmp_path_factory.mktemp("results") / small_fit.name
    shutil.copytree(small_fit, copy)
    return copy


@pytest.fixture
def baseline_dir(tmp_path: Path, fit_folder: Path) -> Path:
    """A baseline folder with a few datapoints on the fit's benchmarks and dates."""
    bench = pd.read_csv(fit_folder / "inclusion.csv")
    ids = bench.loc[bench["included"], "benchmark_id"].tolist()
    n = 12
    points = pd.DataFrame({
        "benchmark_id": [ids[i % len(ids)] for i in range(n)],
        "access_type": ["private", "public"] * (n // 2),
        "threshold": np.linspace(0.2, 0.8, n),
        "closed_model": "m001",
        "closed_date": "2023-06-01",
        "open_model": "m002",
        "open_date": pd.date_range("2023-09-01", periods=n, freq="2MS").strftime("%Y-%m-%d"),
        "gap_months": np.linspace(-2.0, 14.0, n),
    })
    folder = tmp_path / "baseline"
    folder.mkdir()
    points.to_csv(folder / "datapoints.csv", index=False)
    return folder


def expected_files(folder: Path) -> list[Path]:
    """Every figure file a fit result should have."""
    return [folder / f"{n}.png" for n in PNGS] + [folder / f"{n}.svg" for n in SVGS]


def check_figures(folder: Path) -> None:
    """Every figure exists; PNGs decode, are large enough and not blank; SVGs are SVG."""
    for path in expected_files(folder):
        assert path.is_file(), f"missing {path.name}"
        assert path.stat().st_size > 10_000, f"{path.name} suspiciously small"
    for name in PNGS:
        path = folder / f"{name}.png"
        assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
        with Image.open(path) as img:
            img.load()
            width, height = img.size
            gray = np.asarray(img.convert("L"), dtype=float)
        assert width >= 800 and height >= 500, f"{path.name} is {width}x{height}"
        # Something was drawn: a real share of non-white pixels.
        assert (gray < 200).mean() > 0.01, f"{path.name} looks blank"
    for name in SVGS:
        text = (folder / f"{name}.svg").read_text()
        assert "<svg" in text and "</svg>" in text


def test_fit_writes_every_figure(fit_folder: Path) -> None:
    check_figures(fit_folder / "plots")
    extra = {p.name for p in (fit_folder / "plots").iterdir()} - {
        p.name for p in expected_files(fit_folder / "plots")}
    assert not extra, f"unexpected files in plots/: {sorted(extra)}"


def test_plot_command_rewrites_figures(fit_folder: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Default baseline location is absent here: the command must still draw everything.
    monkeypatch.setenv("GAPBAYES_RESULTS", str(tmp_path / "no-results"))
    shutil.rmtree(fit_folder / "plots")
    assert main(["plot", str(fit_folder)]) == 0
    check_figures(fit_folder / "plots")
    assert not list(fit_folder.glob(".gapbayes-tmp-*")), "staging folder left behind"


def test_plot_command_with_baseline_and_out(fit_folder: Path, baseline_dir: Path,
                                            tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "figs"
    stale = out / "stale.png"
    out.mkdir()
    stale.write_bytes(b"old")
    assert main(["plot", str(fit_folder), "--baseline", str(baseline_dir),
                 "--out", str(out)]) == 0
    check_figures(out)
    assert not stale.exists(), "the output folder is replaced whole"
    # --latest finds the same result; same result, same figures (deterministic output).
    monkeypatch.setenv("GAPBAYES_RESULTS", str(fit_folder.parent))
    again = tmp_path / "again"
    assert main(["plot", "--latest", "--baseline", str(baseline_dir),
                 "--out", str(again)]) == 0
    for path in expected_files(out):
        assert path.read_bytes() == (again / path.name).read_bytes(), f"{path.name} differs"


def test_plot_rejects_non_result_folder(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("not a result\n")
    assert main(["plot", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not a gapbayes result folder" in err
    assert str(tmp_path) in err
    assert not (tmp_path / "plots").exists()


def test_plot_rejects_missing_baseline(fit_folder: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.name for p in (fit_folder / "plots").iterdir())
    assert main(["plot", str(fit_folder), "--baseline", str(tmp_path)]) == 2
    assert "no datapoints.csv" in capsys.readouterr().err
    assert sorted(p.name for p in (fit_folder / "plots").iterdir()) == before
