"""Warnings about a fitted table's design that are known to make the frontier model sample badly.

They do not stop a fit (the diagnostics judge the result); they say before sampling what is
likely to go wrong and what to change in the table, with the measurement behind the advice.
"""

from __future__ import annotations

import numpy as np

from gapbayes.model.frontier_design import FrontierData


def lone_categories(data: FrontierData) -> list[str]:
    """Return the categories with exactly one fitted benchmark, in category order."""
    counts = np.bincount(data.bench_category, minlength=len(data.category_names))
    return [name for name, n in zip(data.category_names, counts, strict=True) if n == 1]


def design_notes(data: FrontierData) -> list[str]:
    """Return one line per known problem of the design (none: an empty list).

    Categories with one benchmark: a model's category deviation there is its residual on
    that benchmark, which trades with the benchmark's noise sd. Measured on an imported
    table of five benchmarks (three categories of one benchmark, one of two; default spec,
    seed 0): 248 divergent draws, BFMI 0.09, R-hat 1.08; the same table with two categories
    of two benchmarks and one of one: 33 divergences, R-hat 1.03 (docs/model.md, "Categories
    with one benchmark"). The bundled data (2 of 8 categories with one benchmark) does not
    show it, so the note appears when more than half of the fitted categories have one and
    deviations are on (switch ``category_deviations`` "all" or "identified": the same table
    drew 44 divergences with "identified", 13-15 with ``"none"``, seeds 0 and 1).
    """
    notes = []
    lone = lone_categories(data)
    fitted = len(np.unique(data.bench_category))
    if data.deviations != "none" and fitted > 1 and 2 * len(lone) > fitted:
        notes.append(
            f"{len(lone)} of {fitted} categories have one benchmark each ({', '.join(lone)}): "
            "such tables sample badly with category deviations on (docs/model.md, "
            "'Categories with one benchmark'); put related "
            "benchmarks in a shared category in the metadata, or fit a spec with "
            "[switches] category_deviations = \"none\"")
    return notes
