"""Result folders carry sha256 checksums; a damaged file is reported, never used or reused.

One tiny synthetic fit (module-scoped) is made, then copies of it are damaged.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import SMALL_FIT_SETTINGS

from gapbayes.cli import main
from gapbayes.errors import GapbayesError
from gapbayes.inference import results
from gapbayes.inference.backends import SamplerSettings
from gapbayes.inference.fit import FitInput, run_fit
from gapbayes.model.spec import load_spec
from gapbayes.paths import stan_dir

SETTINGS = SamplerSettings(**SMALL_FIT_SETTINGS)      # the shared fit's: a refit reuses it


@pytest.fixture(scope="module")
def world(small_world) -> FitInput:
    return small_world


@pytest.fixture(scope="module")
def fit_root(tmp_path_factory: pytest.TempPathFactory, small_fit: Path) -> Path:
    """A results root holding a copy of the shared small fit."""
    root = tmp_path_factory.mktemp("results")
    shutil.copytree(small_fit, root / small_fit.name)
    return root


@pytest.fixture
def damaged(fit_root: Path, tmp_path: Path) -> Path:
    """A copy of the fit whose posterior.nc lost its second half."""
    (folder,) = [p for p in fit_root.iterdir() if p.is_dir()]
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    post = copy / "posterior.nc"
    post.write_bytes(post.read_bytes()[: post.stat().st_size // 2])
    return copy


def test_manifest_lists_a_checksum_of_every_result_file(fit_root: Path) -> None:
    (folder,) = [p for p in fit_root.iterdir() if p.is_dir()]
    manifest = json.loads((folder / "manifest.json").read_text())
    files = {p.name for p in folder.iterdir() if p.is_file() and p.name != "manifest.json"}
    assert {"posterior.nc", "design.npz", "gap_at_dates.csv"} <= files
    assert set(manifest["checksums"]) == files
    for name in files:
        assert manifest["checksums"][name] == results.file_sha256(folder / name)


@pytest.mark.parametrize("command", [["summary"], ["report", "--out", "page.html"], ["plot"]])
def test_truncated_posterior_is_one_line_and_exit_2(damaged: Path, command, monkeypatch,
                                                    capsys) -> None:
    monkeypatch.chdir(damaged.parent)
    before = sorted(p.name for p in damaged.rglob("*"))
    code = main([command[0], str(damaged), *command[1:]])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1
    assert "posterior.nc: damaged (its sha256 differs from the manifest's" in err
    assert sorted(p.name for p in damaged.rglob("*")) == before
    assert not (damaged.parent / "page.html").exists()


def test_damaged_cache_is_refitted_saying_so(world: FitInput, fit_root: Path,
                                             tmp_path: Path) -> None:
    (folder,) = [p for p in fit_root.iterdir() if p.is_dir()]
    root = tmp_path / "root"
    shutil.copytree(folder, root / folder.name)
    post = root / folder.name / "posterior.nc"
    post.write_bytes(b"\x00" * 1000)
    lines: list[str] = []
    result = run_fit(world, load_spec("default"), settings=SETTINGS, out_root=root,
                     log=lines.append)
    assert not result.reused
    assert any("not reusing the cached result" in line and "posterior.nc: damaged" in line
               for line in lines)
    results.load_result(result.path)          # the new folder verifies
    again = run_fit(world, load_spec("default"), settings=SETTINGS, out_root=root,
                    log=lines.append)
    assert again.reused


def test_missing_listed_file_is_named(damaged: Path) -> None:
    (damaged / "design.npz").unlink()
    with pytest.raises(GapbayesError, match=r"design\.npz: missing from the result folder"):
        results.load_result(damaged)


def test_reference_copy_skips_only_the_files_it_omits(tmp_path: Path) -> None:
    (tmp_path / "kept.csv").write_text("a,b\n1,2\n")
    manifest = {"checksums": {"kept.csv": results.file_sha256(tmp_path / "kept.csv"),
                              "posterior.nc": "0" * 64}}
    with pytest.raises(GapbayesError, match=r"posterior\.nc: missing from the result folder"):
        results.verify_checksums(tmp_path, manifest)
    results.verify_checksums(tmp_path, {**manifest, "files_omitted": ["posterior.nc"]})
    (tmp_path / "kept.csv").write_text("a,b\n1,3\n")
    with pytest.raises(GapbayesError, match=r"kept\.csv: damaged"):
        results.verify_checksums(tmp_path, {**manifest, "files_omitted": ["posterior.nc"]})


def test_the_cache_key_holds_the_model_and_sampler_code(small_fit: Path,
                                                        tmp_path: Path) -> None:
    # a fit made by other model or sampler code is refitted, not reused: the code's
    # fingerprint is part of the fit id and recorded in the manifest
    manifest = json.loads((small_fit / "manifest.json").read_text())
    assert manifest["code"] == results.code_fingerprint()
    package = Path(results.__file__).resolve().parents[1]
    copy = tmp_path / "gapbayes"
    for part in ("model", "inference"):
        shutil.copytree(package / part, copy / part)
    stan = tmp_path / "models"
    shutil.copytree(stan_dir(), stan)
    assert results.code_fingerprint(copy, stan) == results.code_fingerprint()
    (copy / "README.txt").write_text("not code")
    assert results.code_fingerprint(copy, stan) == results.code_fingerprint()
    program = stan / "frontier.stan"
    program.write_text(program.read_text() + "\n// edited\n")
    assert results.code_fingerprint(copy, stan) != results.code_fingerprint()
