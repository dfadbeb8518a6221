"""The built wheel works outside the repository: bundled data, Stan programs, ``gapbayes fit``.

The wheel is built from a copy of the checkout (an in-tree build would leave ``build/`` and
``*.egg-info`` in the repository) and installed into a fresh venv. The machine may be offline,
so the venv gets no dependencies of its own: after gapbayes is installed, a ``.pth`` file
appends the site-packages of the interpreter running the tests (pymc, nutpie, ...). The
``.pth`` is written only after ``pip install``, so pip never sees the test interpreter's own
(editable) gapbayes and never tries to replace it; a ``.pth`` line only adds a path, so that
folder's editable-install hook is not run and ``import gapbayes`` finds the wheel's copy.

The fit in an empty folder is short (2 chains x (100 + 100)): the wheel, not the fit, is tested.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from gapbayes import paths

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".git", ".venv*", "results", "build", "dist", "*.egg-info",
                              "__pycache__", ".pytest_cache", ".ruff_cache", "bench", "tests")
TIDY = ("models.csv", "benchmarks.csv", "scores.csv")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a copy of the checkout, offline, with the installed setuptools."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "--quiet", "-w", str(work / "dist"), str(src)],
                   check=True, capture_output=True, text=True)
    (found,) = (work / "dist").glob("gapbayes-*.whl")
    return found


def test_wheel_carries_the_bundled_data_and_the_stan_programs(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    bundle = "gapbayes/_bundled/"
    for rel in (*(f"data/tidy/{t}" for t in TIDY), "data/benchmarks.toml",
                "data/model_rules.toml", "data/label_errors.toml",
                "data/raw/accessibility-overrides.csv"):
        assert bundle + rel in names, rel
    # every raw file of the dump (data build reads them all) and its CC-BY 4.0 attribution
    for path in (ROOT / "data" / "raw").rglob("*"):
        if path.is_file():
            assert bundle + path.relative_to(ROOT).as_posix() in names, path
    attribution = [n for n in names if n.startswith(bundle + "data/raw/epoch-benchmark-hub-")
                   and n.endswith("/README.md")]
    assert len(attribution) == 1
    text = zipfile.ZipFile(wheel).read(attribution[0]).decode()
    assert "creativecommons.org/licenses/by/4.0" in text
    for stan in (ROOT / "models").glob("*.stan"):
        assert f"{bundle}models/{stan.name}" in names
    assert "gapbayes/specs/default.toml" in names
    # nothing from a local run or a test sneaks in
    assert not [n for n in names if "__pycache__" in n or ".gapbayes-tmp-" in n]
    assert not [n for n in names if n.startswith(("results/", "tests/", "data/"))]


def _fresh_venv(where: Path, wheel: Path) -> Path:
    """A venv with only the wheel installed, then the test interpreter's packages appended."""
    venv.EnvBuilder(with_pip=False).create(where)
    python = where / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--no-deps", "--no-index", "--quiet", str(wheel)],
                   check=True, capture_output=True, text=True)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; "
                                "print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "_gapbayes_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return where / "bin"


def _clean_env() -> dict[str, str]:
    """The environment without anything that points gapbayes back at the checkout."""
    drop = {"PYTHONPATH", "GAPBAYES_DATA", "GAPBAYES_RESULTS", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_installed_wheel_fits_in_an_empty_folder(wheel: Path, tmp_path: Path) -> None:
    from gapbayes.inference.inputs import load_fit_input

    bin_dir = _fresh_venv(tmp_path / "venv", wheel)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = _clean_env()
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import gapbayes, gapbayes.paths as p; "
         "print(gapbayes.__file__); print(p.data_dir()); print(p.stan_dir())"],
        cwd=empty, env=env, check=True, capture_output=True, text=True).stdout.split("\n")
    site = tmp_path / "venv"
    assert Path(where[0]).is_relative_to(site)          # the wheel's copy, not the checkout
    assert Path(where[1]) == Path(where[0]).parent / "_bundled" / "data"
    assert (Path(where[2]) / "frontier.stan").is_file()

    # short chains: this checks that the installed package fits, not the fit's quality
    proc = subprocess.run([str(bin_dir / "gapbayes"), "fit", "--max-models", "60", "--chains",
                           "2", "--draws", "100", "--tune", "100", "--no-progress"],
                          cwd=empty, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (manifest_path,) = (empty / "results").glob("epoch-default-*/manifest.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["kind"] == "fit"
    assert manifest["data"]["label"] == "epoch"
    assert manifest["subset"] == {"max_models": 60}
    # the wheel's tidy tables are the checkout's, byte for byte (same data hash)
    assert manifest["data"]["hash"] == load_fit_input(paths.bundled_data_dir()).data_hash
    assert (manifest_path.parent / "posterior.nc").stat().st_size > 0
    assert "diagnostics:" in proc.stdout
    # nothing written next to the installed package
    assert not list((Path(where[0]).parent).glob("**/results"))
    # the Python API of the installed package reads the same result back
    api = subprocess.run(
        [str(bin_dir / "python"), "-c", "import gapbayes as gb; fit = gb.latest(); "
         "print(fit.manifest['fit_id'], fit.summary(by='access')['group'].nunique())"],
        cwd=empty, env=env, check=True, capture_output=True, text=True).stdout.split()
    assert api == [manifest["fit_id"], "3"]
