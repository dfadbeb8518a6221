"""Atomic writes: results appear whole or not at all.

Everything is first written under a temporary sibling and renamed into place,
so an interrupted run never leaves a half-written file or folder behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gapbayes.errors import GapbayesError, os_reason


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".gapbayes-tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp creates 0600 files; give the result the usual umask-based permissions
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def check_writable_folder(folder: str | Path, what: str) -> None:
    """Refuse, without writing anything, a folder that cannot be created or written into.

    Parameters
    ----------
    folder
        The output folder (it need not exist yet).
    what
        How the error names it (``--out results``).

    Raises
    ------
    GapbayesError
        ``folder`` or its nearest existing parent is a file, or is not writable (tested by
        making and removing an empty temporary folder in it).
    """
    folder = Path(folder)
    probe = folder
    while not probe.exists() and not probe.is_symlink() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        where = "is" if probe == folder else f"cannot be created: {probe} is"
        raise GapbayesError(f"{what}: {where} not a folder")
    try:   # a real write test: permissions, read-only mounts and /proc all answer it
        os.rmdir(tempfile.mkdtemp(prefix=".gapbayes-tmp-probe-", dir=probe))
    except OSError as exc:
        raise GapbayesError(f"{what}: cannot write into {probe} ({os_reason(exc)})") from None


@contextlib.contextmanager
def staged_dir(final: str | Path) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``final`` when the block succeeds.

    On an exception the temporary directory is removed and ``final`` is left
    exactly as it was.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".gapbayes-tmp-", dir=final.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if final.exists():
        old = final.with_name(final.name + ".gapbayes-old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_files(paths: list[Path]) -> Iterator[list[Path]]:
    """Yield temporary paths for ``paths``; rename them all into place on success.

    Used when several files in one folder must change together (the tidy
    tables): nothing is replaced unless every file was written.
    """
    tmps = []
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmps.append(p.with_name(f".gapbayes-tmp-{p.name}"))
    try:
        yield tmps
    except BaseException:
        for t in tmps:
            with contextlib.suppress(FileNotFoundError):
                t.unlink()
        raise
    for t, p in zip(tmps, paths, strict=True):
        os.replace(t, p)
