"""The repository cites only documents it holds: every ``methods.md`` citation resolves."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METHODS = ROOT / "docs" / "methods.md"
CITATION = re.compile(r"methods\.md,?\s+(?:s\.\s?|section\s+)(\d+)")


def _tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    return [ROOT / f for f in out if f.endswith((".py", ".md", ".toml", ".stan", "Makefile"))
            and not f.startswith("data/raw/")]


def test_methods_document_is_in_the_repository() -> None:
    text = METHODS.read_text(encoding="utf-8")
    assert text.startswith("# Methods background for gapbayes")
    assert "Ihle" in text and "## 4. Gap definitions" in text


def test_every_cited_methods_section_exists() -> None:
    sections = set(re.findall(r"^## (\d+)\. ", METHODS.read_text(encoding="utf-8"), re.M))
    cited: dict[str, list[str]] = {}
    for path in _tracked_text_files():
        if path.is_file():
            for number in CITATION.findall(path.read_text(encoding="utf-8", errors="replace")):
                cited.setdefault(number, []).append(path.name)
    assert cited, "expected the baseline modules to cite docs/methods.md"
    missing = {n: files for n, files in cited.items() if n not in sections}
    assert not missing


def test_no_document_is_cited_from_outside_the_repository() -> None:
    outside = "../" + "shared/docs"   # split so this file does not match itself
    offenders = [p.relative_to(ROOT).as_posix() for p in _tracked_text_files()
                 if p.is_file() and outside in p.read_text(encoding="utf-8", errors="replace")]
    assert offenders == []
