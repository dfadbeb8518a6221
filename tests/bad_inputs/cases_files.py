"""Files and folders that cannot be used: links that loop, unreadable files, folders where a
file belongs, an unusable ``--out``, damaged result folders, unknown names."""

from __future__ import annotations

import shutil
from pathlib import Path

from harness import ROOT, Case

from gapbayes.inference.results import write_manifest

BUNDLED = ROOT / "data"


def tidy_copy(ws: Path) -> Path:
    """A copy of the bundled tidy tables under ``ws/d/tidy``; returns ``ws/d``."""
    shutil.copytree(BUNDLED / "tidy", ws / "d" / "tidy")
    return ws / "d"


def validate_broken(kind: str, table: str, damage, message: str,
                    unprivileged: bool = False) -> Case:
    """``gapbayes data validate`` on a copy of the tidy tables with ``table`` damaged."""
    def prepare(ws: Path) -> list[str]:
        data = tidy_copy(ws)
        damage(data / "tidy" / table)
        return ["data", "validate", "--data", str(data)]

    return Case(kind, prepare, message, unprivileged)


def spec_file(kind: str, make, message: str, unprivileged: bool = False) -> Case:
    """``gapbayes fit --spec ws/<name>`` where ``make(ws)`` makes the spec path."""
    def prepare(ws: Path) -> list[str]:
        return ["fit", "--spec", str(make(ws)), "--out", str(ws / "results")]

    return Case(kind, prepare, message, unprivileged)


def fit_out(kind: str, make, message: str, extra: tuple[str, ...] = ()) -> Case:
    """``gapbayes fit --out <make(ws)>`` on the bundled data."""
    def prepare(ws: Path) -> list[str]:
        return ["fit", "--out", str(make(ws)), "--data", str(BUNDLED), *extra]

    return Case(kind, prepare, message)


def result_folder(kind: str, command: list[str], manifest: str | None, message: str) -> Case:
    """``gapbayes <command> ws/res`` with ``manifest`` as res/manifest.json (None: absent)."""
    def prepare(ws: Path) -> list[str]:
        (ws / "res").mkdir()
        if manifest is not None:
            (ws / "res" / "manifest.json").write_text(manifest, encoding="utf-8")
        return [*command, str(ws / "res")]

    return Case(kind, prepare, message)


def damaged_result(kind: str, command: list[str], damage, message: str) -> Case:
    """``gapbayes <command> ws/res`` on a result folder damaged after its manifest was written."""
    def prepare(ws: Path) -> list[str]:
        res = ws / "res"
        res.mkdir()
        (res / "posterior.nc").write_bytes(bytes(range(256)) * 64)
        (res / "design.npz").write_bytes(b"PK" + bytes(100))
        (res / "gap_at_dates.csv").write_text("group,date,median\noverall,2025-01-01,5.0\n")
        write_manifest(res, {"kind": "fit", "created": "2026-01-01T00:00:00Z"})
        damage(res)
        return [*command, str(res)]

    return Case(kind, prepare, message)


def _truncate(res: Path) -> None:
    post = res / "posterior.nc"
    post.write_bytes(post.read_bytes()[:1000])


def _scramble(res: Path) -> None:
    (res / "posterior.nc").write_bytes(bytes(reversed(range(256))) * 64)


def _loop(path: Path) -> Path:
    if path.exists():
        path.unlink()
    path.symlink_to(path.name)          # a link to itself
    return path


def _folder(path: Path) -> Path:
    if path.exists():
        path.unlink()
    path.mkdir()
    return path


def _unreadable(path: Path) -> Path:
    path.touch()
    path.chmod(0)
    return path


def _latin1(path: Path) -> Path:
    path.write_bytes(b'name = "caf\xe9"\n')
    return path


def _header_only(path: Path) -> None:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(header + "\n", encoding="utf-8")


def _afile(ws: Path) -> Path:
    (ws / "afile").write_text("not a folder\n")
    return ws / "afile"


def _metadata_folder(command: list[str]):
    def prepare(ws: Path) -> list[str]:
        (ws / "meta").mkdir()
        return [*command, "--metadata", str(ws / "meta")]
    return prepare


CASES = [
    validate_broken("tidy table is a link loop", "models.csv", _loop,
                    r"d/tidy/models\.csv: symbolic link loop"),
    validate_broken("tidy table is a folder", "scores.csv", _folder,
                    r"d/tidy/scores\.csv: is a folder, expected a CSV file"),
    validate_broken("tidy table unreadable", "models.csv", _unreadable,
                    r"d/tidy/models\.csv: permission denied", unprivileged=True),
    validate_broken("header-only scores.csv", "scores.csv", _header_only,
                    r"d/tidy/scores\.csv: no scores: the table has no rows below its header"),
    Case("no tidy tables", lambda ws: ["data", "validate", "--data", str(_folder(ws / "e"))],
         r"e/tidy/models\.csv: tidy table not found"),
    Case("validate metadata is a folder",
         _metadata_folder(["data", "validate", "--data", str(BUNDLED)]),
         r"ws/meta: is a folder, expected a file"),
    Case("build metadata is a folder",
         lambda ws: _metadata_folder(["data", "build", "--out", str(ws / "out")])(ws),
         r"ws/meta: is a folder, expected a file"),
    spec_file("spec is a link loop", lambda ws: _loop(ws / "loop.toml"),
              r"loop\.toml: cannot read the spec file: symbolic link loop"),
    spec_file("spec unreadable", lambda ws: _unreadable(ws / "secret.toml"),
              r"secret\.toml: cannot read the spec file: permission denied", unprivileged=True),
    spec_file("spec file missing", lambda ws: ws / "nosuch.toml",
              r"nosuch\.toml: no such spec file"),
    spec_file("spec is a folder", lambda ws: _folder(ws / "dir.toml"),
              r"dir\.toml: cannot read the spec file: is a folder, expected a file"),
    spec_file("spec not UTF-8",
              lambda ws: _latin1(ws / "latin.toml"),
              r"latin\.toml: not a UTF-8 text file"),
    spec_file("unknown spec name", lambda ws: "nope",
              r"unknown spec 'nope': expected one of by-country, default, "),
    fit_out("out is a file", _afile, r"--out .*afile: is not a folder"),
    fit_out("out below a file", lambda ws: _afile(ws) / "sub",
            r"--out .*afile/sub: cannot be created: .*afile is not a folder"),
    fit_out("out not writable", lambda ws: Path("/proc/gapbayes-out"),
            r"--out /proc/gapbayes-out: cannot write into /proc"),
    fit_out("benchmarks unknown", lambda ws: ws / "results",
            r"gapbayes: error: unknown benchmark\(s\) in --benchmarks: nosuch$",
            ("--benchmarks", "nosuch")),
    fit_out("benchmarks empty list", lambda ws: ws / "results",
            r"--benchmarks: no benchmark id in ','", ("--benchmarks", ",")),
    result_folder("manifest not JSON", ["summary"], "{bad",
                  r"res/manifest\.json: damaged manifest \(not valid JSON: .* at line 1\)"),
    result_folder("manifest not an object", ["report"], "[1, 2]",
                  r"res/manifest\.json: damaged manifest \(not a JSON object\)"),
    result_folder("not a result folder", ["plot"], None,
                  r"res: not a gapbayes result folder \(no manifest\.json\)"),
    damaged_result("truncated posterior.nc", ["summary"], _truncate,
                   r"res/posterior\.nc: damaged \(its sha256 differs from the manifest's"),
    damaged_result("random-byte posterior.nc", ["report"], _scramble,
                   r"res/posterior\.nc: damaged \(its sha256 differs"),
    damaged_result("result file missing", ["plot"], lambda res: (res / "design.npz").unlink(),
                   r"res/design\.npz: missing from the result folder \(listed in its manifest\)"),
    Case("latest without results", lambda ws: ["summary", "--latest"],
         r"no fit results under .*default-results: run 'gapbayes fit' first"),
]
