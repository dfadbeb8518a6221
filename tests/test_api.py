"""The Python API without sampling: cheap import, the CLI's checks and messages, result reading.

The examples that fit are in tests/test_api_doctest.py; these tests use the committed
reference result (results/reference/epoch-default: tables and manifest, no posterior).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gapbayes as gb
from gapbayes import paths
from gapbayes.api.args import parse, to_argv
from gapbayes.cli import main
from gapbayes.errors import GapbayesError

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "results" / "reference" / "epoch-default"


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True, cwd=ROOT).stdout.strip()


def test_import_gapbayes_loads_no_numerical_library() -> None:
    loaded = _python("import sys, gapbayes; gapbayes.fit; gapbayes.Fit; "
                     "print(sorted(m for m in ('numpy', 'pandas', 'xarray', 'pymc', "
                     "'pytensor', 'matplotlib', 'arviz') if m in sys.modules))")
    assert loaded == "[]"


@pytest.mark.parametrize("first", ["import gapbayes.sbc.runner", "import gapbayes"])
def test_gb_sbc_is_callable_whatever_was_imported_first(first: str) -> None:
    out = _python(f"{first}\nimport gapbayes as gb, gapbayes.sbc.report as r\n"
                  "print(callable(gb.sbc), gb.sbc.report is r, gb.sbc.runner.__name__)")
    assert out == "True True gapbayes.sbc.runner"


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'fitt'"):
        gb.fitt  # noqa: B018
    assert {"fit", "load", "latest", "compare", "sbc", "Fit"} <= set(dir(gb))


def test_to_argv_keeps_values_that_look_like_flags() -> None:
    argv = to_argv({"spec": "-odd.toml", "no_plots": True, "force": False}, ["-x"])
    assert argv == ["--spec=-odd.toml", "--no-plots", "--", "-x"]
    assert parse("fit", {"spec": "-odd.toml"}).spec == "-odd.toml"


@pytest.mark.parametrize("call, cli", [
    (lambda: gb.fit(draws=0), ["fit", "--draws", "0"]),
    (lambda: gb.fit(target_accept=1.5), ["fit", "--target-accept", "1.5"]),
    (lambda: gb.fit(max_models=-3), ["fit", "--max-models", "-3"]),
    (lambda: gb.fit(backend="jags"), ["fit", "--backend", "jags"]),
    (lambda: gb.fit(spec="nosuch"), ["fit", "--spec", "nosuch"]),
    (lambda: gb.compare("default", "nosuch", draws=0), ["compare", "default", "nosuch",
                                                         "--draws", "0"]),
    (lambda: gb.sbc(backend="mock", eval_rate=1.5), ["sbc", "--backend", "mock",
                                                     "--eval-rate", "1.5"]),
])
def test_bad_settings_raise_the_clis_one_line_message(call, cli, capsys, tmp_path,
                                                      monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GapbayesError) as exc:
        call()
    message = str(exc.value)
    assert "\n" not in message
    assert _cli_exit_code(cli) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "results").exists()        # refused before anything was written


def _cli_exit_code(argv: list[str]) -> int:
    """Exit code of ``gapbayes ARGV``: the parser exits, later errors are returned."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


def test_an_unwritable_out_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(GapbayesError, match=r"^--out .*file"):
        gb.fit(out=blocker / "results", max_models=10)


def test_load_reads_a_reference_result_without_its_posterior() -> None:
    fit = gb.load(REFERENCE)
    manifest = json.loads((REFERENCE / "manifest.json").read_text())
    assert fit.spec_name == "default" and fit.passed == manifest["diagnostics"]["passed"]
    assert repr(fit).startswith("<gapbayes.Fit epoch-default: spec default, ")
    checks = fit.diagnostics()
    assert checks["name"].tolist() == [c["name"] for c in manifest["diagnostics"]["checks"]]
    access = fit.summary(by="access")
    assert access["group"].unique().tolist() == ["overall", "private", "public"]
    assert set(fit.summary()["group"]) > set(access["group"])
    assert (access["eti90_lo"] <= access["eti50_lo"]).all()
    assert (access["eti50_hi"] <= access["eti90_hi"]).all()
    assert {"benchmark", "identified"} <= set(fit.summary(by="benchmark").columns)
    assert fit.text().startswith(f"gapbayes result {manifest['name']}: spec default")
    assert fit.bias_terms()["term"].tolist()
    labs = fit.summary(by="lab")
    n = labs.drop_duplicates("lab").eval("closed_models + open_models").tolist()
    assert n == sorted(n, reverse=True) and len(n) >= 10          # most base models first
    assert (labs["eti90_lo"] <= labs["median"]).all() and (labs["median"] <= labs["eti90_hi"]).all()
    holders = fit.frontier_holders()
    sums = holders.groupby(["access", "date"])["probability"].sum()
    assert set(holders["access"]) == {"closed", "open"} and np.allclose(sums, 1.0)
    # the ceiling check: one row per sigmoid benchmark, the manifest's quantiles its rounding
    ceilings = fit.table("ceiling_check")
    quantiles = manifest["ceiling_check"]["quantiles"]
    assert ceilings["benchmark"].tolist() == list(quantiles)
    assert np.allclose(ceilings["prior_quantile"], list(quantiles.values()), atol=5e-5)
    assert manifest["ceiling_check"]["all_inside"] == bool(ceilings["inside_1_99"].all())
    # the posterior was left out of the reference copy: one clear line, no traceback
    with pytest.raises(GapbayesError, match=r"posterior\.nc: missing from the result folder"):
        fit.plot_gap()


@pytest.mark.parametrize("method, kwargs, match", [
    ("summary", {"by": "model"}, r"by='model': must be one of None, 'access'"),
    ("plot_gap", {"by": "benchmark"}, r"by='benchmark': must be one of 'access'"),
    ("gap_over_time", {"direction": "sideways"}, r"direction='sideways'"),
    ("table", {"name": "nosuch"}, r"no table 'nosuch' \(this result has: benchmark_gaps, "),
    ("text", {"fmt": "html"}, r"fmt='html'"),
])
def test_bad_method_arguments_are_one_line(method: str, kwargs: dict, match: str) -> None:
    with pytest.raises(GapbayesError, match=match):
        getattr(gb.load(REFERENCE), method)(**kwargs)


def test_country_and_lab_views_of_the_by_country_reference() -> None:
    fit = gb.load(ROOT / "results" / "reference" / "epoch-by-country")
    country = fit.summary(by="country")
    # both measures: the best models so far (every fit) and the country term's frontier gaps
    assert set(country["measure"]) == {"best model so far", "frontier (country term)"}
    for _, rows in country.groupby("measure"):
        assert set(rows["country"]) == {"chinese open", "other open",
                                        "chinese minus other open"}
    assert not fit.summary(by="lab").empty
    # the version-1 model has no base-model abilities: one line saying why, as the CLI prints it
    v1 = gb.load(ROOT / "results" / "reference" / "epoch-timeshift-v1")
    with pytest.raises(GapbayesError, match=r"epoch-timeshift-v1: no lab lags in this result"):
        v1.summary(by="lab")


def test_load_refuses_what_is_not_a_fit(tmp_path: Path) -> None:
    with pytest.raises(GapbayesError, match="not a fit result"):
        gb.load(ROOT / "results" / "reference" / "heldout")
    with pytest.raises(GapbayesError, match="not a gapbayes result folder"):
        gb.load(tmp_path)
    with pytest.raises(GapbayesError, match=f"no fit results under {tmp_path}"):
        gb.latest(tmp_path)


def test_latest_picks_the_newest_fit_under_a_root(tmp_path: Path) -> None:
    old = tmp_path / "epoch-default-old"
    new = tmp_path / "epoch-default-new"
    for folder, created in ((old, "2026-01-01T00:00:00Z"), (new, "2026-02-01T00:00:00Z")):
        shutil.copytree(REFERENCE, folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        (folder / "manifest.json").write_text(json.dumps({**manifest, "created": created}))
    assert gb.latest(tmp_path).path == new


def test_bundled_folders_come_from_the_package_outside_a_checkout(tmp_path, monkeypatch):
    assert paths.in_checkout() and paths.bundled_data_dir() == ROOT / "data"
    assert paths.stan_dir() == ROOT / "models"
    monkeypatch.setattr(paths, "PROJECT_ROOT", tmp_path)     # as in site-packages
    assert not paths.in_checkout()
    package = Path(gb.__file__).parent
    assert paths.bundled_data_dir() == package / "_bundled" / "data"
    assert paths.stan_dir() == package / "_bundled" / "models"
    monkeypatch.setenv("GAPBAYES_DATA", str(tmp_path / "mine"))
    assert paths.data_dir() == tmp_path / "mine"
    assert paths.bundled_data_dir() == package / "_bundled" / "data"
