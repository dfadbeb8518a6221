"""Collect every problem of one input file and report them together in one line.

A metadata file with five missing columns should need one run to fix, not five: the loaders
add each problem here and raise once at the end. One problem keeps the usual
``file:row: column 'col': message`` form; several become
``file: N problems: line 3, column 'chance': ...; line 4, column 'scale_max': ...``, the
first :data:`SHOWN` of them by line, then ``and M more`` (a line of 60 problems is not read).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gapbayes.errors import InputError

#: Problems spelled out in the message; the rest are counted.
SHOWN = 10


@dataclass
class Problems:
    """The problems found so far in the file ``label``."""

    label: str
    items: list[tuple[int | None, str | None, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, message: str, row: int | None = None, column: str | None = None) -> None:
        """Record one problem at ``row`` (1-based line, None: whole file) and ``column``."""
        self.items.append((row, column, message))

    def add_error(self, exc: InputError) -> None:
        """Record the problem an :class:`InputError` describes."""
        self.add(exc.message, exc.row, exc.column)

    def raise_all(self) -> None:
        """Raise one :class:`InputError` listing every problem, in line order; none: return."""
        if not self.items:
            return
        if len(self.items) == 1:
            row, column, message = self.items[0]
            raise InputError(self.label, message, row=row, column=column)
        ordered = sorted(self.items, key=lambda p: (p[0] or 0,))
        parts = []
        for row, column, message in ordered:
            where = [f"line {row}"] if row is not None else []
            where += [f"column '{column}'"] if column is not None else []
            parts.append(f"{', '.join(where)}: {message}" if where else message)
        more = len(parts) - SHOWN
        text = "; ".join(parts[:SHOWN]) + (f"; and {more} more" if more > 0 else "")
        raise InputError(self.label, f"{len(ordered)} problems: " + text)
