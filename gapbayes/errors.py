"""Error types that the CLI turns into one clear line and a fixed exit code.

Exit codes: 2 for anything the user can fix (a bad flag, file, spec or result folder: the
default of :class:`GapbayesError`), 1 for a run that failed although its input was valid
(:class:`RunFailure`), 3 for ``--strict`` runs whose diagnostics failed, 130 for Ctrl-C.
"""

from __future__ import annotations

import errno
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_DIAGNOSTICS_FAILED = 3
EXIT_RUN_FAILED = 1
EXIT_INTERRUPTED = 130


class GapbayesError(Exception):
    """Base class for errors reported to the user without a traceback (bad input: exit 2)."""

    exit_code = EXIT_BAD_INPUT


class RunFailure(GapbayesError):
    """A computation failed on valid input (a sampler, compiler or refit failure): exit 1."""

    exit_code = EXIT_RUN_FAILED


class InputError(GapbayesError):
    """Bad input data: names the file, the row and the column.

    Parameters
    ----------
    file
        Path of the offending file (as given by the user).
    message
        What is wrong and, where possible, how to fix it.
    row
        1-based line number in the file (header is line 1), or None when the
        problem concerns the whole file.
    column
        Column name, or None when the problem concerns a whole row or file.
    """

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self, file: str, message: str, row: int | None = None, column: str | None = None
    ) -> None:
        self.file = str(file)
        self.row = row
        self.column = column
        self.message = message
        super().__init__(self.line())

    def line(self) -> str:
        """Return the one-line report: ``file:row: column 'col': message``."""
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        col = "" if self.column is None else f" column '{self.column}':"
        return f"{where}:{col} {self.message}"


_REASONS = {
    errno.ENOENT: "no such file or folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EISDIR: "is a folder, expected a file",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ELOOP: "symbolic link loop",
    errno.EEXIST: "already exists",
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "read-only file system",
    errno.ENAMETOOLONG: "file name too long",
}


def os_reason(exc: OSError) -> str:
    """Say in a few words why an operating-system call failed (``symbolic link loop``...).

    Examples
    --------
    >>> os_reason(IsADirectoryError(21, "Is a directory", "data"))
    'is a folder, expected a file'
    """
    return _REASONS.get(exc.errno, (exc.strerror or str(exc)).lower())


def os_error_line(exc: OSError) -> str:
    """Return ``path: reason`` for an OSError (both paths when it names two).

    Examples
    --------
    >>> os_error_line(PermissionError(13, "Permission denied", "out/results"))
    'out/results: permission denied'
    """
    where = exc.filename if exc.filename is not None else "(no file)"
    reason = os_reason(exc)
    if exc.errno == errno.EEXIST and exc.filename is not None and Path(exc.filename).is_file():
        reason = "is a file, expected a folder"
    if exc.filename2 is not None:
        where = f"{where} -> {exc.filename2}"
    return f"{where}: {reason}"


class SpecError(GapbayesError):
    """An invalid model specification (unknown key, bad prior, ...)."""

    exit_code = EXIT_BAD_INPUT
