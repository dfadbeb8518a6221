"""The result of a fit, for notebooks: tables as DataFrames, the posterior, figures.

One class per kind of result, in the style of CmdStanPy's ``CmdStanMCMC``: a :class:`Fit`
wraps a result folder (``results/<data>-<spec>-<id>/``) that ``gapbayes fit`` or
:func:`gapbayes.fit` wrote, and reads its parts on demand. Everything the CLI's ``summary``
and ``plot`` show comes from the same functions here, so the numbers agree.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gapbayes.errors import GapbayesError

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr
    from matplotlib.figure import Figure

    from gapbayes.inference.results import LoadedResult

GAP_FIGURES = ("access", "category", "direction")
SUMMARY_VIEWS = (None, "access", "category", "benchmark", "country", "lab")


def folder_repr(kind: str, path: Path, details: str, passed: bool) -> str:
    """Return ``<gapbayes.<kind> <folder name>: <details> PASS>`` (or FAIL): a result's repr."""
    return f"<gapbayes.{kind} {path.name}: {details} {'PASS' if passed else 'FAIL'}>"


class Fit:
    """A fit result folder: manifest, summary tables, posterior and figures.

    Made by :func:`gapbayes.fit`, :func:`gapbayes.load` or :func:`gapbayes.latest`; the
    folder's checksums were verified when it was read.

    Attributes
    ----------
    path : Path
        The result folder.
    manifest : dict
        ``manifest.json``: spec, data, sampler settings, diagnostics, versions.

    Examples
    --------
    >>> import gapbayes as gb
    >>> fit = gb.fit(max_models=60, chains=2, draws=200, tune=200, progress=False)
    >>> fit.spec_name, fit.manifest["sampler"]["draws"]
    ('default', 200)
    >>> fit.path.parent.name
    'results'
    """

    def __init__(self, loaded: LoadedResult) -> None:
        if loaded.manifest.get("kind", "fit") != "fit":
            raise GapbayesError(f"{loaded.path}: not a fit result "
                                f"(kind '{loaded.manifest['kind']}')")
        self._loaded = loaded
        self.path: Path = loaded.path
        self.manifest: dict[str, Any] = loaded.manifest
        self._posterior: xr.DataTree | None = None

    def __repr__(self) -> str:
        n_models = self.manifest["data"]["n_models"]
        return folder_repr("Fit", self.path, f"spec {self.spec_name}, {n_models} models, "
                           "diagnostics", self.passed)

    @property
    def spec_name(self) -> str:
        """Name of the fitted specification (``default``, ``published``...)."""
        return str(self.manifest["spec"]["name"])

    @property
    def passed(self) -> bool:
        """Whether every convergence diagnostic passed (R-hat, ESS, divergences...)."""
        return bool(self.manifest["diagnostics"]["passed"])

    def diagnostics(self) -> pd.DataFrame:
        """Return the convergence checks, one row each.

        Returns
        -------
        pandas.DataFrame
            Columns ``name``, ``value``, ``threshold``, ``passed``, ``detail``.

        Examples
        --------
        >>> import gapbayes as gb
        >>> fit = gb.fit(max_models=60, chains=2, draws=200, tune=200, progress=False)
        >>> checks = fit.diagnostics()
        >>> checks["name"].tolist()[:4]
        ['rhat_max', 'ess_bulk_min_gap', 'ess_tail_min_gap', 'divergences']
        >>> bool(checks["passed"].all()) == fit.passed
        True
        """
        import pandas as pd

        return pd.DataFrame(self.manifest["diagnostics"]["checks"])

    def summary(self, by: str | None = None) -> pd.DataFrame:
        """Return the gap in months at the named dates, as ``gapbayes summary`` prints it.

        Parameters
        ----------
        by
            None (access groups, then categories), ``"access"`` (overall, private,
            public), ``"category"``, ``"benchmark"`` (one row per benchmark, date and
            direction, with the saturated benchmarks marked ``identified = False``),
            ``"country"`` (Chinese vs other open models; spec ``by-country``) or ``"lab"``
            (each lab's lag behind the closed frontier, most base models first; which lab
            holds each group's frontier is :meth:`frontier_holders`).

        Returns
        -------
        pandas.DataFrame
            One row per group (or benchmark), date and direction (``backward``: months
            since the closed frontier stood at the open frontier's level; ``forward``:
            months until the open frontier reaches today's closed one): the posterior
            median and the 50% and 90% equal-tailed intervals.

        Examples
        --------
        >>> import gapbayes as gb
        >>> fit = gb.fit(max_models=60, chains=2, draws=200, tune=200, progress=False)
        >>> table = fit.summary(by="access")
        >>> table.columns.tolist()[:8]
        ['group', 'date', 'direction', 'median', 'eti50_lo', 'eti50_hi', 'eti90_lo', 'eti90_hi']
        >>> table["group"].unique().tolist()
        ['overall', 'private', 'public']
        >>> bool((table["eti90_lo"] <= table["median"]).all())
        True
        """
        from gapbayes.commands.summary import gap_table
        from gapbayes.commands.summary_by import select_groups

        if by not in SUMMARY_VIEWS:
            raise GapbayesError(f"by={by!r}: must be one of "
                                + ", ".join(repr(v) for v in SUMMARY_VIEWS))
        if by == "benchmark":
            return self.table("benchmark_gaps")
        if by == "country":
            from gapbayes.commands.summary_country import country_rows

            return country_rows(self._loaded)
        if by == "lab":
            from gapbayes.commands.summary_lab import lab_tables

            return lab_tables(self._loaded)[0]
        return select_groups(gap_table(self._loaded), by).reset_index(drop=True)

    def frontier_holders(self) -> pd.DataFrame:
        """Return which lab holds each access group's frontier at the named dates.

        Returns
        -------
        pandas.DataFrame
            Columns ``access``, ``date``, ``holder`` (a lab; ``other``: organisations outside
            the listed labs) and ``probability`` (share of posterior draws in which the
            holder's base model is the group's best so far), most probable first.

        Examples
        --------
        >>> import gapbayes as gb
        >>> fit = gb.fit(max_models=60, chains=2, draws=200, tune=200, progress=False)
        >>> holders = fit.frontier_holders()
        >>> sorted(holders["access"].unique())
        ['closed', 'open']
        >>> bool(holders.groupby(["access", "date"])["probability"].sum().round(6).eq(1).all())
        True
        """
        from gapbayes.commands.summary_lab import lab_tables

        return lab_tables(self._loaded)[1]

    def bias_terms(self) -> pd.DataFrame:
        """Return the bias terms in months (public offset, provider penalty...) with intervals."""
        return self.table("bias_terms")

    def gap_over_time(self, direction: str = "backward") -> pd.DataFrame:
        """Return the gap per group and month (median, 50%/90% ETI) with a ``date`` column.

        Parameters
        ----------
        direction
            ``"backward"`` or ``"forward"``.

        Examples
        --------
        >>> import gapbayes as gb
        >>> fit = gb.fit(max_models=60, chains=2, draws=200, tune=200, progress=False)
        >>> gaps = fit.gap_over_time()
        >>> gaps[gaps["group"] == "overall"]["date"].is_monotonic_increasing
        True
        """
        from gapbayes.reporting.plots import gap_intervals

        if direction not in ("backward", "forward"):
            raise GapbayesError(f"direction={direction!r}: must be 'backward' or 'forward'")
        if "gap_over_time" in self._loaded.tables:
            return gap_intervals(None, self._loaded.tables, direction)
        return gap_intervals(self.posterior(), self._loaded.tables, direction)

    def table(self, name: str) -> pd.DataFrame:
        """Return one of the result's CSV tables (``parameters``, ``inclusion``...) by name."""
        tables = self._loaded.tables
        if name not in tables:
            raise GapbayesError(f"{self.path}: no table '{name}' (this result has: "
                                f"{', '.join(sorted(tables)) or 'none'})")
        return tables[name].copy()

    def posterior(self) -> xr.DataTree:
        """Return the posterior (``posterior.nc``) as an ArviZ-style xarray DataTree.

        Groups ``posterior`` (with the derived ``gap_backward``/``gap_forward``),
        ``sample_stats``, ``log_likelihood``... as ``arviz`` and ``arviz_stats`` expect.
        Opened on first use and kept open; :meth:`close` releases the file.

        Examples
        --------
        >>> import gapbayes as gb
        >>> fit = gb.fit(max_models=60, chains=2, draws=200, tune=200, progress=False)
        >>> post = fit.posterior()["posterior"]
        >>> post.sizes["draw"], "gap_backward" in post
        (200, True)
        >>> fit.close()
        """
        if self._posterior is None:
            self._posterior = self._loaded.posterior()
        return self._posterior

    def close(self) -> None:
        """Close ``posterior.nc`` if :meth:`posterior` opened it."""
        if self._posterior is not None:
            self._posterior.close()
            self._posterior = None

    def text(self, fmt: str = "text") -> str:
        """Return the summary exactly as ``gapbayes summary`` prints it.

        Parameters
        ----------
        fmt
            ``"text"``, ``"markdown"``, ``"csv"`` or ``"json"``.
        """
        from gapbayes.commands.summary import print_summary

        if fmt not in ("text", "markdown", "csv", "json"):
            raise GapbayesError(f"fmt={fmt!r}: must be 'text', 'markdown', 'csv' or 'json'")
        out = io.StringIO()
        print_summary(self._loaded, fmt, out=out)
        return out.getvalue()

    def plot_gap(self, by: str = "access", baseline: str | Path | None = None) -> Figure:
        """Draw the backward gap over time; return the matplotlib figure (not shown or saved).

        Parameters
        ----------
        by
            ``"access"`` (overall, private and public benchmarks), ``"category"`` (one panel
            per benchmark category) or ``"direction"`` (backward vs forward gap).
        baseline
            A ``gapbayes baseline`` result folder whose threshold crossings are overlaid
            (default: none).

        Examples
        --------
        >>> import gapbayes as gb
        >>> fit = gb.fit(max_models=60, chains=2, draws=200, tune=200, progress=False)
        >>> fig = fit.plot_gap()
        >>> fig.axes[0].get_ylabel()
        'Gap (months)'
        """
        from gapbayes.reporting import plots

        if by not in GAP_FIGURES:
            raise GapbayesError(f"by={by!r}: must be one of "
                                + ", ".join(repr(v) for v in GAP_FIGURES))
        points = None
        if baseline is not None:
            try:
                points = plots.load_baseline_points(baseline)
            except ValueError as exc:
                raise GapbayesError(str(exc)) from exc
            if points is None:
                raise GapbayesError(f"{baseline}: no {plots.BASELINE_FILE} (run "
                                    "'gapbayes baseline' first)")
        back = self.gap_over_time("backward")
        if by == "access":
            return plots.gap_by_access_figure(back, points)
        if by == "direction":
            return plots.gap_direction_figure(back, self.gap_over_time("forward"))
        from gapbayes.inference.design_io import load_design

        fig = plots.gap_by_category_figure(back, load_design(self.path / "design.npz"), points)
        if fig is None:
            raise GapbayesError(f"{self.path}: the fit has no benchmark categories")
        return fig
