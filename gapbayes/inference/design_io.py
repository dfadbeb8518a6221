"""Save and load a fit's design (the arrays the model saw) as ``design.npz``.

Arrays are stored as arrays and everything else as JSON, with the dataclass's name, so a
result folder can be re-read by reports, plots and comparisons of any model family.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gapbayes.atomic import write_bytes
from gapbayes.errors import GapbayesError


def _classes() -> dict[str, type]:
    from gapbayes.model.design import ModelData
    from gapbayes.model.frontier_design import FrontierData

    return {"ModelData": ModelData, "FrontierData": FrontierData}


def save_design(data: Any, path: str | Path) -> None:
    """Write a design dataclass to ``path`` (.npz), atomically."""
    arrays, meta = {}, {}
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        if isinstance(value, np.ndarray):
            arrays[f.name] = value
        elif isinstance(value, pd.DataFrame):
            meta[f.name] = value.to_json(orient="split")
        elif isinstance(value, pd.Timestamp):
            meta[f.name] = value.isoformat()
        elif isinstance(value, tuple):
            meta[f.name] = list(value)
        else:
            meta[f.name] = value
    meta["__class__"] = type(data).__name__
    arrays["__meta__"] = np.array(json.dumps(meta, default=float))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    write_bytes(path, buf.getvalue())


def load_design(path: str | Path) -> Any:
    """Read a file written by :func:`save_design` (or by gapbayes 0.1's ``save_model_data``).

    Raises
    ------
    GapbayesError
        The file is missing or damaged (not an ``.npz`` written by :func:`save_design`).
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k != "__meta__"}
            meta = json.loads(str(z["__meta__"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise GapbayesError(f"{path}: damaged or missing design file "
                            f"({type(exc).__name__}: {' '.join(str(exc).split())[:80]})") from None
    cls = _classes()[meta.pop("__class__", "ModelData")]
    names = {f.name: f for f in dataclasses.fields(cls)}
    meta["origin"] = pd.Timestamp(meta["origin"])
    meta["inclusion"] = pd.read_json(io.StringIO(meta["inclusion"]), orient="split")
    for key, value in list(meta.items()):
        if key in names and "tuple" in str(names[key].type) and isinstance(value, list):
            meta[key] = tuple(value)
    return cls(**arrays, **meta)
