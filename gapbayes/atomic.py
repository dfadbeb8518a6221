"""Atomic writes: results appear whole or not at all.

Everything is first written under a temporary sibling and renamed into place,
so an interrupted run never leaves a half-written file or folder behind.

Staging names carry the writer's process id (``.gapbayes-tmp-<pid>-<random>``). A process
killed while staging (SIGKILL, power loss) leaves its staging folder behind; readers never take
it for a result (:func:`is_staging`), and the next :func:`staged_dir` in the same folder
removes it once no live process owns it (:func:`remove_orphans`). The final rename is done
under an exclusive lock on the parent folder, so two processes writing the same result
folder at once each replace it whole.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from gapbayes.errors import GapbayesError, os_reason

STAGING_PREFIX = ".gapbayes-tmp-"
_OWNED = re.compile(r"\.gapbayes-(?:tmp|old)-(\d+)-")
_STARTED = time.time()
# Held during the two renames that swap a result in: a forced exit on Ctrl-C waits for it.
SWAP_LOCK = threading.Lock()


def _staging_prefix() -> str:
    return f"{STAGING_PREFIX}{os.getpid()}-"


def is_staging(name: str) -> bool:
    """Tell whether a file or folder name is a gapbayes staging or replaced-result name.

    Examples
    --------
    >>> is_staging(".gapbayes-tmp-4242-k2j3h"), is_staging("epoch-default-881070be")
    (True, False)
    """
    return name.startswith(".gapbayes-") or ".gapbayes-old" in name


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:     # someone else's live process
        return True
    return True


def remove_orphans(folder: str | Path) -> list[Path]:
    """Remove the staging leftovers in ``folder`` that no live process owns.

    A name with a process id is an orphan when that process is gone; a name without one
    (written by an older gapbayes) when it is older than this process.

    Returns
    -------
    list of Path
        What was removed.
    """
    removed = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in Path(folder).iterdir():
            if not is_staging(entry.name):
                continue
            owner = _OWNED.match(entry.name)
            if owner is not None:
                if int(owner.group(1)) == os.getpid() or _alive(int(owner.group(1))):
                    continue
            elif not entry.name.startswith(STAGING_PREFIX) or \
                    entry.lstat().st_mtime >= _STARTED:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
            removed.append(entry)
    return removed


def _umask_mode(mode: int) -> int:
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_staging_prefix(), dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # mkstemp creates 0600 files; give the result the usual umask-based permissions
        os.chmod(tmp, _umask_mode(0o666))
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

    On an exception (Ctrl-C included) the temporary directory is removed and ``final`` is
    left exactly as it was. Orphans of killed processes in the same parent are removed first
    (:func:`remove_orphans`). The folder gets the usual umask-based mode (not mkdtemp's 0700).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(final.parent)
    tmp = Path(tempfile.mkdtemp(prefix=_staging_prefix(), dir=final.parent))
    try:
        tmp.chmod(_umask_mode(0o777))
        yield tmp
        _swap_in(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp: Path, final: Path) -> None:
    """Replace ``final`` by ``tmp`` under an exclusive lock on their parent folder."""
    old = final.with_name(f".gapbayes-old-{os.getpid()}-{final.name}")
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with SWAP_LOCK:
            if final.exists():
                os.replace(final, old)
            try:
                os.replace(tmp, final)
            except BaseException:
                if old.exists() and not final.exists():
                    os.replace(old, final)      # put the previous result back
                raise
    finally:
        os.close(fd)            # closing releases the lock
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
