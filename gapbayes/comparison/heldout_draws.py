"""Carry a training fit's draws over to the full design's model before scoring held-out rows.

A cross-validation refit is a model of the training rows only, and some of the default
family's parameters exist only where there are scores: a (base model, category) cell gets a
category deviation only when it is scored on two or more benchmarks of its category
(:func:`gapbayes.model.frontier_design.has_deviation`). The held-out models' cells therefore
have no deviation in the training fit, while the full design's model, which scores the
held-out rows, has one for each. Handing the training draws to the full model as they are
was a real bug (found 2026-12-07): ``pm.compute_log_likelihood`` calls the compiled function
with ``trust_input=True``, which skips the shape check, so the full model read its 247
deviations out of a 206-long array: entries of other cells and memory past the end, a
different answer on every call (one LOMO fold's held-out sigmoid scores: elpd 166, -21,446,
334 and 259 on four calls with the same draws; 355.7 every time once aligned), sometimes -inf.

Here every free variable of the full model is matched to the training draws by coordinate
label. A label the training fit lacks is drawn from the variable's prior: the deviations are
Normal(0, sd) (``category_dev``, with the draw's ``category_dev_sd``) or Normal(0, 1)
(``category_dev_z``) and depend on nothing else, so drawing them after the fit is the same
as sampling them in it. Any other disagreement stops the fold with the variable's name, never
a silent misreading.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from gapbayes.errors import RunFailure

#: Variables whose entries a training fit may lack, with the name of their prior's scale in
#: the posterior (None: scale 1). Both are Normal(0, scale) and enter nothing else's prior.
PRIOR_ONLY_ENTRIES: dict[str, str | None] = {"category_dev": "category_dev_sd",
                                             "category_dev_z": None}
SAMPLE_DIMS = ("chain", "draw")


def _labels(values: Any) -> list[str]:
    return [str(v) for v in np.asarray(values).tolist()]


def _expected(model: Any, name: str) -> tuple[tuple[str, ...], list[list[str]]]:
    """(dims, labels per dim) of ``name`` in ``model`` (no dims: a scalar or unlabelled)."""
    dims = tuple(model.named_vars_to_dims.get(name) or ())
    return dims, [_labels(model.coords[d]) for d in dims]


def align_draws(post: xr.Dataset, model: Any, key: str, seed: int) -> xr.Dataset:
    """Return the draws of every free variable of ``model``, in that model's coordinates.

    Parameters
    ----------
    post
        The training fit's posterior (chain, draw, ...).
    model
        The full design's PyMC model, whose likelihood scores the held-out rows.
    key
        The fold's name, for error messages.
    seed
        Seed of the prior draws of missing entries (the fold's result is reproducible).

    Returns
    -------
    xarray.Dataset
        The free variables only (what the likelihood reads), each on the model's labels.

    Raises
    ------
    RunFailure
        A variable is missing, or its entries differ from the model's in a way that is not a
        prior-only entry the training fit lacks.
    """
    rng = np.random.default_rng(seed)
    # a new Dataset: assigning into ``post`` would align a longer variable back to the
    # training fit's labels
    out: dict[str, xr.DataArray] = {}
    for rv in model.free_RVs:
        name = rv.name
        if name not in post:
            raise RunFailure(f"{key}: the training fit has no draws of '{name}', which the "
                             "full model needs to score the held-out rows")
        have = out[name] = post[name]
        dims, want = _expected(model, name)
        if not dims:
            continue
        if tuple(have.dims[len(SAMPLE_DIMS):]) != dims:
            raise RunFailure(f"{key}: the training fit's '{name}' has dims "
                             f"{have.dims[len(SAMPLE_DIMS):]}, the full model's {dims}")
        new_labels = {}
        for dim, labels in zip(dims, want, strict=True):
            got = _labels(have[dim].values) if dim in have.coords else []
            if got == labels:
                continue
            extra = sorted(set(got) - set(labels))
            missing = set(labels) - set(got)
            if extra or (missing and name not in PRIOR_ONLY_ENTRIES):
                raise RunFailure(f"{key}: the training fit's '{name}' has {len(got)} entries "
                                 f"along '{dim}' and the full model {len(labels)} "
                                 f"({len(missing)} missing, {len(extra)} unknown): its "
                                 "held-out entries cannot be drawn")
            new_labels[dim] = labels
        if not new_labels:
            continue
        moved = have.assign_coords({d: _labels(have[d].values) for d in new_labels})
        moved = moved.reindex(new_labels)
        scale_name = PRIOR_ONLY_ENTRIES.get(name)
        scale = post[scale_name] if scale_name else xr.DataArray(1.0)
        fill = xr.DataArray(rng.standard_normal(moved.shape), dims=moved.dims,
                            coords=moved.coords) * scale
        out[name] = moved.where(moved.notnull(), fill).transpose(*SAMPLE_DIMS, *dims)
    return xr.Dataset(out)
