"""Find or install CmdStan for the Stan backend (``python -m gapbayes.inference.stan_install``).

Order: ``$CMDSTAN`` when it points to a built install; else a built install under
``cache_dir()/cmdstan/cmdstan-*``; else the offline bundle
``<project root>/../shared/cmdstan/cmdstan-offline.tar.gz`` through its own installer (no
network; about 2.5-5 minutes on 2 cores); else ``cmdstanpy.install_cmdstan`` (needs GitHub).
The command prints the install's path on stdout, progress on stderr, and exits 1 with one
line saying what to do when every way fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from gapbayes.errors import RunFailure
from gapbayes.paths import PROJECT_ROOT, cache_dir

BUNDLE = PROJECT_ROOT.parent / "shared" / "cmdstan" / "cmdstan-offline.tar.gz"
INSTALLER = BUNDLE.parent / "install-cmdstan-offline.sh"


class CmdStanNotFound(RunFailure):
    """No CmdStan install could be found or made."""


def _log(message: str) -> None:
    print(f"gapbayes: {message}", file=sys.stderr, flush=True)


def is_built(path: Path) -> bool:
    """Tell whether ``path`` is a CmdStan folder whose ``make build`` finished.

    ``bin/stansummary`` is the last tool ``make build`` writes, so a folder that was only
    unpacked (or whose build failed) does not count.
    """
    return (path / "makefile").is_file() and all(
        (path / "bin" / tool).is_file() for tool in ("stanc", "stansummary"))


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", path.name)) or (0,)


def find_cmdstan() -> Path | None:
    """Return a built CmdStan (``$CMDSTAN``, then the cache), or None; never installs."""
    env = os.environ.get("CMDSTAN")
    if env and is_built(Path(env)):
        return Path(env).resolve()
    root = cache_dir() / "cmdstan"
    found = sorted((p for p in root.glob("cmdstan-*") if is_built(p)), key=_version_key)
    return found[-1].resolve() if found else None


def _install_from_bundle(dest: Path) -> Path:
    """Run the offline bundle's installer into ``dest``; return the install path."""
    dest.mkdir(parents=True, exist_ok=True)
    _log(f"installing CmdStan from {BUNDLE} into {dest} (no network; builds for about "
         "2.5-5 minutes on 2 cores)")
    env = {**os.environ, "SKIP_SMOKE_TEST": "1"}
    # The installer streams its progress on stderr (inherited); stdout is the path only.
    proc = subprocess.run(["bash", str(INSTALLER), str(BUNDLE), str(dest)], env=env,
                          stdout=subprocess.PIPE, text=True, check=False)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines or not is_built(Path(lines[-1])):
        raise CmdStanNotFound(
            f"the offline CmdStan installer failed (exit {proc.returncode}); see its messages "
            f"above; a half-built folder under {dest} must be removed before retrying")
    return Path(lines[-1]).resolve()


def _install_with_cmdstanpy(dest: Path) -> Path:
    """Use cmdstanpy's downloader (needs access to GitHub)."""
    import cmdstanpy

    dest.mkdir(parents=True, exist_ok=True)
    _log(f"downloading and building CmdStan with cmdstanpy into {dest}")
    if not cmdstanpy.install_cmdstan(dir=str(dest), progress=True):
        raise CmdStanNotFound(f"no CmdStan: not in $CMDSTAN or {dest}, no offline bundle at "
                              f"{BUNDLE}, and cmdstanpy could not download it (no access to "
                              "GitHub?); set $CMDSTAN to a built CmdStan")
    found = find_cmdstan()
    if found is None:
        raise CmdStanNotFound(f"cmdstanpy reported success but no built CmdStan is in {dest}")
    return found


def install_cmdstan() -> Path:
    """Return a built CmdStan, installing one if needed (see the module docstring).

    Raises
    ------
    CmdStanNotFound
        When no install exists and neither the offline bundle nor cmdstanpy can make one.
    """
    found = find_cmdstan()
    if found is not None:
        return found
    env = os.environ.get("CMDSTAN")
    if env:
        _log(f"$CMDSTAN={env} is not a built CmdStan install; looking elsewhere")
    dest = cache_dir() / "cmdstan"
    if BUNDLE.is_file() and INSTALLER.is_file():
        return _install_from_bundle(dest)
    try:
        return _install_with_cmdstanpy(dest)
    except CmdStanNotFound:
        raise
    except Exception as exc:  # cmdstanpy raises assorted errors when offline
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CmdStanNotFound(f"no CmdStan: not in $CMDSTAN or {dest}, no offline bundle at "
                              f"{BUNDLE}, and cmdstanpy failed: {first}") from exc


def ensure_cmdstan() -> Path:
    """Find or install CmdStan and point cmdstanpy at it; return its path."""
    import cmdstanpy

    path = install_cmdstan()
    cmdstanpy.set_cmdstan_path(str(path))
    return path


def main() -> int:
    """Entry point of ``python -m gapbayes.inference.stan_install``: print the CmdStan path."""
    try:
        path = install_cmdstan()
    except CmdStanNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
