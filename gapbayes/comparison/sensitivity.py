"""Prior sensitivity of the gap: how far do the bias-term priors move the headline number.

The gap at the last data month (backward-looking, overall/private/public) is refitted with

- the provider-degradation prior scale (``priors.provider_penalty.sigma``) and
- the self-report prior scale (``priors.self_report_offset.sigma``)

each varied over a grid, one at a time with everything else at the base spec's values, and with
each bias switch (``provider_degradation``, ``self_report``) turned off. Every variant is an
ordinary spec (:meth:`Spec.with_changes`) fitted with :func:`gapbayes.inference.fit.run_fit`, so
the fits are cached result folders like any other: re-running the study, or a finer grid that
shares points, refits only what is new.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gapbayes.comparison.compare_table import GAP_GROUPS as GROUPS
from gapbayes.comparison.compare_table import (
    INTERVALS,
    eti_cells,
    machine_format,
    markdown_table,
    text_table,
)
from gapbayes.errors import GapbayesError
from gapbayes.inference.fit import FitResult
from gapbayes.inference.results import fit_id, load_result, now_iso, versions
from gapbayes.model.spec import Spec

# Prior varied -> the switch that turns its term on (a prior of a switched-off term is unused).
PRIORS = {"provider_penalty": "provider_degradation", "self_report_offset": "self_report"}


@dataclass(frozen=True)
class Variant:
    """One row of the study: a spec derived from the base spec.

    Attributes
    ----------
    label
        What changed, for tables and figures.
    kind
        ``base`` (the base spec), ``prior`` (one prior scale changed) or ``switch_off``.
    parameter
        The prior or switch changed ("" for the base spec).
    value
        The prior scale (``prior`` rows), else None.
    spec
        The spec to fit.
    """

    label: str
    kind: str
    parameter: str
    value: float | None
    spec: Spec


def sensitivity_variants(spec: Spec, grid: Sequence[float]) -> tuple[list[Variant], list[str]]:
    """List the base spec, one spec per (prior, grid value) and one per switch turned off.

    Parameters
    ----------
    spec
        The base spec (its other priors and switches stay as they are).
    grid
        Prior scales (sigma of the half-normal provider penalty and of the normal self-report
        offset), each > 0.

    Returns
    -------
    variants, notes
        The variants in table order, and notes on rows that were skipped.
    """
    bad = [g for g in grid if not np.isfinite(g) or g <= 0]
    if not grid or bad:
        raise GapbayesError(f"the sensitivity grid needs prior scales > 0, got {list(grid)}")
    notes: list[str] = []
    out = [Variant(f"{spec.name} (base)", "base", "", None, spec)]
    for prior, switch in PRIORS.items():
        if not spec.switches[switch]:
            notes.append(f"'{switch}' is off in spec '{spec.name}': the {prior} prior is unused, "
                         "so its grid and switch-off rows are skipped")
            continue
        for value in dict.fromkeys(float(g) for g in grid):
            changed = spec.with_changes(priors={prior: {"sigma": value}})
            # A grid point equal to the base value is the base fit: keep its name, so the
            # cached folder is reused instead of refitting the same posterior under a new name.
            if changed.spec_id != spec.spec_id:
                changed = dataclasses.replace(changed, name=f"{spec.name}-{prior}-sigma{value:g}")
            else:
                changed = spec
            out.append(Variant(f"{prior} sigma {value:g}", "prior", prior, value, changed))
    if len(out) == 1:
        raise GapbayesError(f"spec '{spec.name}' has every bias term off: nothing to vary "
                            "(use a spec with provider_degradation or self_report on)")
    for switch in PRIORS.values():
        if spec.switches[switch]:
            off = dataclasses.replace(spec.with_changes(switches={switch: False}),
                                      name=f"{spec.name}-no-{switch}")
            out.append(Variant(f"{switch} off", "switch_off", switch, None, off))
    return out, notes


@dataclass
class SensitivityResult:
    """The study: one row per (variant, group).

    Attributes
    ----------
    table
        Columns: variant, kind, parameter, prior_sigma, base_sigma, group, date, median,
        eti50_lo, eti50_hi, eti90_lo, eti90_hi, shift (median minus the base spec's median),
        spec_id, fit, diagnostics_passed.
    spec
        The base spec's name and id.
    grid
        The prior scales.
    data
        Label and hash of the data.
    notes, warnings
        Lines to show the user.
    """

    table: pd.DataFrame
    spec: dict
    grid: list[float]
    data: dict
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def date(self) -> str:
        """Label of the last data month."""
        return str(self.table["date"].iloc[0])

    def wide(self) -> pd.DataFrame:
        """One row per variant, a 'median [90% ETI]' column and a shift column per group."""
        t = self.table
        t = t.assign(cell=eti_cells(t), shift_txt=t["shift"].map(lambda x: f"{x:+.1f}"))
        order = list(dict.fromkeys(t["variant"]))
        groups = [g for g in GROUPS if g in set(t["group"])]
        wide = t.pivot_table(index="variant", columns="group", values=["cell", "shift_txt"],
                             aggfunc="first").reindex(order)
        out = pd.DataFrame({"variant": order})
        for g in groups:
            out[g] = wide[("cell", g)].to_numpy()
            out[f"{g} shift"] = wide[("shift_txt", g)].to_numpy()
        return out

    def format(self, fmt: str = "text") -> str:
        """Render the study as ``text``, ``markdown``, ``csv`` or ``json``."""
        if fmt != "text" and fmt != "markdown":
            return machine_format(fmt, self.table, self.as_dict)
        month = self.date.removeprefix("last").strip(" ()")
        head = (f"Prior sensitivity of the gap at the last data month ({month}; "
                "backward-looking, months), spec "
                f"'{self.spec['name']}' ({self.spec['spec_id']}), data '{self.data['label']}' "
                f"{self.data['hash']}: median [90% ETI]; shift = change of the median from the "
                "base spec. Priors varied one at a time over "
                f"{', '.join(f'{g:g}' for g in self.grid)} (base: "
                + ", ".join(f"{p} {s:g}" for p, s in self.spec["base_sigma"].items()) + ").")
        if fmt == "markdown":
            out = [f"**{head}**", "", markdown_table(self.wide())]
        else:
            out = [head, "", text_table(self.wide())]
        out += [f"note: {n}" for n in self.notes] + [f"warning: {w}" for w in self.warnings]
        return "\n".join(out) + "\n"

    def as_dict(self) -> dict:
        """Plain data (the JSON output)."""
        return {"spec": self.spec, "grid": self.grid, "data": self.data, "date": self.date,
                "intervals": INTERVALS, "table": self.table.to_dict("records"),
                "notes": self.notes, "warnings": self.warnings}

    def figure(self, path: Path) -> Path:
        """``sensitivity.png``: gap with 90% ETI against prior scale, one line per group."""
        from matplotlib.figure import Figure

        from gapbayes.reporting.plots import GROUP_COLORS, GROUP_LABELS, save_figure

        t = self.table
        priors = [p for p in PRIORS if p in set(t["parameter"])]
        groups = [g for g in GROUPS if g in set(t["group"])]
        fig = Figure(figsize=(5.2 * len(priors), 4.2))
        axes = fig.subplots(1, len(priors), squeeze=False, sharey=True)[0]
        grid = np.array(sorted(self.grid))
        xs = np.r_[grid, [self.spec["base_sigma"][p] for p in priors]]
        span = np.log(xs.max() / xs.min()) if xs.max() > xs.min() else np.log(3.0)
        # the switched-off term sits left of every scale, on its own "off" tick
        x_off = xs.min() * np.exp(-0.35 * span - 0.4)
        base_rows = t[t["kind"] == "base"]
        for ax, prior in zip(axes, priors, strict=True):
            base = self.spec["base_sigma"][prior]
            # the base fit is the point of each line at the base value (it is that fit)
            rows = pd.concat([t[(t["parameter"] == prior) & (t["kind"] == "prior")],
                              base_rows.assign(prior_sigma=base)])
            rows = rows.drop_duplicates(["group", "prior_sigma"])
            off = t[(t["kind"] == "switch_off") & (t["parameter"] == PRIORS[prior])]
            for j, grp in enumerate(groups):
                color = GROUP_COLORS.get(grp, "#606060")
                # small multiplicative dodge so the three groups' intervals do not overlap
                dodge = np.exp((j - (len(groups) - 1) / 2) * 0.04 * max(span, 1.0))
                r = rows[rows["group"] == grp].sort_values("prior_sigma")
                x = r["prior_sigma"].to_numpy(float) * dodge
                ax.plot(x, r["median"], "-o", color=color, ms=4, label=GROUP_LABELS.get(grp, grp))
                ax.vlines(x, r["eti90_lo"], r["eti90_hi"], color=color, lw=1.2, alpha=0.8)
                o = off[off["group"] == grp]
                if len(o):
                    ax.vlines([x_off * dodge], o["eti90_lo"], o["eti90_hi"], color=color, lw=1.2,
                              linestyles="dotted")
                    ax.plot([x_off * dodge], o["median"], "X", color=color, ms=7)
            ax.axvline(base, color="#909090", ls="--", lw=0.8)
            ax.text(base, 1.0, " base", transform=ax.get_xaxis_transform(), fontsize=7,
                    va="top", color="#606060")
            ax.set_xscale("log")
            ticks = sorted({*grid, base})
            ax.set_xticks([x_off, *ticks], ["off", *[f"{g:g}" for g in ticks]])
            ax.minorticks_off()
            ax.set_xlabel(f"prior scale {prior}.sigma")
            ax.set_title(f"off: '{PRIORS[prior]}' switched off (X)", fontsize=8)
            ax.grid(alpha=0.3)
        month = self.date.removeprefix("last").strip(" ()")
        axes[0].set_ylabel(f"gap at {month} (months, backward-looking)")
        axes[0].legend(fontsize=8, frameon=False)
        fig.suptitle(f"Prior sensitivity of the gap at the last data month, spec "
                     f"'{self.spec['name']}' (dots: median, bars: 90% ETI)", fontsize=10)
        fig.tight_layout()
        return save_figure(fig, Path(path).with_suffix(""))[0]

    def write(self, folder: Path) -> list[Path]:
        """Write sensitivity.csv and sensitivity.png into ``folder``."""
        folder = Path(folder)
        self.table.to_csv(folder / "sensitivity.csv", index=False, float_format="%.6g")
        return [folder / "sensitivity.csv", self.figure(folder / "sensitivity.png")]


def _last_month_gaps(result: FitResult) -> pd.DataFrame:
    gaps = load_result(result.path).tables.get("gap_at_dates")
    if gaps is None:
        raise GapbayesError(f"{result.path}: no gap_at_dates.csv")
    last = gaps["date"].astype(str).str.startswith("last")
    return gaps[last & (gaps["direction"] == "backward") & gaps["group"].isin(GROUPS)]


def run_sensitivity(
    spec: Spec,
    grid: Sequence[float],
    fit: Callable[[Spec], FitResult],
) -> tuple[SensitivityResult, list[FitResult]]:
    """Fit every variant and tabulate the gap at the last data month.

    Parameters
    ----------
    spec
        The base spec.
    grid
        Prior scales for both priors.
    fit
        ``spec -> FitResult`` on the data of the study, e.g. :func:`run_fit` with the data
        and sampler settings bound; called once per distinct variant (cached fits are reused).

    Returns
    -------
    SensitivityResult, list of FitResult
        The study and the distinct fits it used.
    """
    variants, notes = sensitivity_variants(spec, grid)
    fits: dict[str, FitResult] = {}
    rows = []
    for v in variants:
        if v.spec.spec_id not in fits:
            fits[v.spec.spec_id] = fit(v.spec)
        res = fits[v.spec.spec_id]
        base_sigma = spec.prior(v.parameter)["sigma"] if v.kind == "prior" else np.nan
        for _, g in _last_month_gaps(res).iterrows():
            rows.append({
                "variant": v.label, "kind": v.kind, "parameter": v.parameter,
                "prior_sigma": v.value if v.value is not None else np.nan,
                "base_sigma": base_sigma, "group": g["group"], "date": g["date"],
                **{c: float(g[c]) for c in ("median", "eti50_lo", "eti50_hi", "eti90_lo",
                                            "eti90_hi")},
                "spec_id": v.spec.spec_id, "fit": res.path.name,
                "diagnostics_passed": bool(res.manifest["diagnostics"]["passed"]),
            })
    table = pd.DataFrame(rows)
    base = table[table["kind"] == "base"].set_index("group")["median"]
    table.insert(table.columns.get_loc("eti90_hi") + 1, "shift",
                 table["median"] - table["group"].map(base))
    warn = [f"fit {r.path.name}: sampler diagnostics failed; its row rests on an unreliable "
            "posterior" for r in fits.values() if not r.manifest["diagnostics"]["passed"]]
    first = next(iter(fits.values())).manifest
    result = SensitivityResult(
        table=table,
        spec={"name": spec.name, "spec_id": spec.spec_id,
              "base_sigma": {p: spec.prior(p)["sigma"] for p in PRIORS}},
        grid=[float(g) for g in grid],
        data={"label": first["data"]["label"], "hash": first["data"]["hash"],
              "subset": first.get("subset") or {}},
        notes=notes, warnings=warn,
    )
    return result, list(fits.values())


def study_id(result: SensitivityResult, fits: list[FitResult]) -> str:
    """Folder id: the base spec, the data, the grid and the fits (backend and settings)."""
    return fit_id({"spec_id": result.spec["spec_id"], "data": result.data["hash"],
                   "grid": result.grid, "fits": sorted(f.manifest["fit_id"] for f in fits)})


def sensitivity_manifest(result: SensitivityResult, fits: list[FitResult]) -> dict:
    """Return the manifest of a study folder: what was varied, which fits, versions."""
    return {
        "kind": "sensitivity",
        "created": now_iso(),
        "id": study_id(result, fits),
        "spec": result.spec,
        "grid": result.grid,
        "priors": PRIORS,
        "data": result.data,
        "fits": [{"name": f.manifest["name"], "spec": f.manifest["spec"]["name"],
                  "spec_id": f.manifest["spec_id"], "fit_id": f.manifest["fit_id"],
                  "diagnostics_passed": f.manifest["diagnostics"]["passed"]} for f in fits],
        "sampler": fits[0].manifest["sampler"] if fits else {},
        "backend": fits[0].manifest["backend"] if fits else "",
        "notes": result.notes,
        "warnings": result.warnings,
        "versions": versions(),
    }
