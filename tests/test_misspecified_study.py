"""The misspecified study (independent worlds): its machinery, files, resume and one real fit.

CI size only: no study conclusion is asserted here (bias and coverage need >= 30 worlds per
setting; the real run's numbers are in docs/studies.md).
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import xarray as xr

from gapbayes.inference.backends import SamplerSettings
from gapbayes.studies.misspecified import MisspecifiedStudy, run_misspecified
from gapbayes.studies.misspecified_report import PAIRED_COLUMNS, TABLE_COLUMNS
from gapbayes.worlds import WorldConfig

CALLS = {"n": 0}
SMALL = WorldConfig(n_models=80, n_benchmarks=6)


def fake_fit(data, spec, settings):
    """Stand-in for NUTS: linear frontiers with the open one ~6 months behind, no sampling."""
    CALLS["n"] += 1
    S = 60
    lag = np.random.default_rng(settings.seed).normal(0.5, 0.05, (1, S, 1))   # years
    grid = data.grid_time[None, None, :]
    frontier = np.stack([np.broadcast_to(1.5 * grid, (1, S, len(data.grid_time))),
                         1.5 * (grid - lag)], axis=2)
    post = xr.Dataset({"frontier": (("chain", "draw", "access", "grid"), frontier),
                       "open_shift": (("chain", "draw", "benchmark"),
                                      np.zeros((1, S, len(data.bench_ids))))},
                      coords={"chain": [0], "draw": np.arange(S)})
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((1, S), bool))})
    return xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})


def test_study_files_columns_pairing_and_resume(tmp_path):
    study = MisspecifiedStudy(ratios=(1.0, 3.0), hosts=(False, True), worlds=2, world=SMALL,
                              fit_fn=fake_fit, n_bootstrap=50, selection=True)
    CALLS["n"] = 0
    folder = run_misspecified(study, tmp_path, log=lambda s: None)
    # 2 ratios x 2 worlds: two fits with hosts off (with selection), three with hosts on
    assert CALLS["n"] == 2 * 2 * (2 + 3)
    table = pd.read_csv(folder / "table.csv")
    assert list(table.columns) == TABLE_COLUMNS
    methods = table.groupby("host")["method"].unique()
    assert sorted(methods["off"]) == ["baseline", "model", "model (selection)"]
    assert sorted(methods["on"]) == ["baseline", "model", "model (no host term)",
                                     "model (selection)"]
    assert set(table["group"]) == {"overall", "private"}
    assert table["coverage90"].dropna().between(0, 1).all()
    model = table[table["method"] == "model"]
    # dates past a world's last open release are left out, never extrapolated
    assert (model["n_worlds"] == 2).all()
    assert (model["n_estimates"] + model["n_flagged"]).between(2, 8).all()
    rows = pd.read_csv(folder / "rows.csv")
    fake = rows[rows["method"] == "model"].dropna(subset=["estimate"])
    assert np.allclose(fake["estimate"], 6.0, atol=0.6)   # the fake posterior's ~6 months
    # estimates the fit flags (over 10% of draws read before the first closed release) are
    # counted, not scored: the fake gap of 6 months reads 2022-07 at 2023-01-01, before the
    # closed data of some worlds
    assert fake["before_data_share"].between(0, 1).all()
    flagged = fake[fake["before_data_share"] > 0.1]
    assert 0 < len(flagged) < len(fake)
    scored = table[table["method"] == "model"].set_index(["ratio", "host", "group"])
    counts = fake.groupby(["ratio", "host", "group"]).agg(
        n=("estimate", "size"), flagged=("before_data_share", lambda x: int((x > 0.1).sum())))
    assert (scored["n_flagged"] == counts["flagged"]).all()
    assert (scored["n_estimates"] + scored["n_flagged"] == counts["n"]).all()
    # the truth is the world's, identical for every method of a setting and group
    assert rows.groupby(["ratio", "host", "rep", "group", "date"])["truth"].nunique().max() == 1
    paired = pd.read_csv(folder / "paired.csv")
    assert list(paired.columns) == PAIRED_COLUMNS
    # host term: 2 ratios x 2 groups (host on); selection term: 2 ratios x 2 hosts x 2 groups
    assert paired["contrast"].value_counts().to_dict() == {"selection term": 8, "host term": 4}
    assert (paired["n_worlds"] == 2).all()
    # the paired difference is the difference of the two biases (same worlds and dates)
    assert np.allclose(paired["diff_mean"], paired["bias_with"] - paired["bias_without"])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["worlds_finished"] == 8 and manifest["worlds_failed"] == []
    assert {"table.csv", "paired.csv", "by_date.csv", "table.md",
            "bias_vs_ratio.png"} <= set(manifest["files"])
    text = (folder / "table.md").read_text()
    assert "## Host degradation on" in text and "## Model with minus without the selection" \
        in text
    # a re-run finds every world on disk and fits nothing
    run_misspecified(study, tmp_path, log=lambda s: None)
    assert CALLS["n"] == 20


def test_a_change_of_the_model_code_refits_instead_of_reusing(tmp_path, monkeypatch):
    from gapbayes.studies import misspecified

    study = MisspecifiedStudy(ratios=(1.0,), hosts=(False,), worlds=1, world=SMALL,
                              fit_fn=fake_fit, n_bootstrap=20)
    CALLS["n"] = 0
    run_misspecified(study, tmp_path, log=lambda s: None)
    run_misspecified(study, tmp_path, log=lambda s: None)
    assert CALLS["n"] == 1                     # same code: the stored world is reused
    monkeypatch.setattr(misspecified, "code_fingerprint", lambda: "edited-model")
    run_misspecified(study, tmp_path, log=lambda s: None)
    assert CALLS["n"] == 2


def test_one_real_world_with_tiny_sampler_settings(tmp_path):
    """One world, the default model sampled by nutpie (1 chain, 100 + 100): finite numbers."""
    study = MisspecifiedStudy(
        ratios=(3.0,), hosts=(False,), worlds=1, world=replace(SMALL, n_models=70),
        settings=SamplerSettings(chains=1, draws=100, tune=100, cores=1, progressbar=False),
        n_bootstrap=50)
    folder = run_misspecified(study, tmp_path, log=lambda s: None)
    table = pd.read_csv(folder / "table.csv").set_index(["method", "group"])
    model = table.loc[("model", "overall")]
    assert model["n_estimates"] + model["n_flagged"] == 4 and np.isfinite(model["bias"])
    assert model["fit_seconds"] > 0 and np.isfinite(model["width90"])
    assert np.isfinite(table.loc[("baseline", "overall"), "bias"])
