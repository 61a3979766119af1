"""Figures of sweep results: a metric over two swept parameters as a heatmap."""

from __future__ import annotations

import numpy as np

from pulsegated.plotting.style import labelled_colorbar, panel_title, styled, subplots

__all__ = ["plot_heatmap"]


@styled
def plot_heatmap(df, x: str, y: str, metric: str, xlabel: str, ylabel: str, label: str,
                 scale: float = 1.0, title: str | None = None, annotate: bool = True,
                 cmap: str = "viridis", ax=None):
    """Mean of ``metric`` over the seeds (and any other column) for each ``(x, y)`` cell.

    Parameters
    ----------
    df : pandas.DataFrame
        Sweep results (:func:`~pulsegated.explore.driver.sweep`); failed points are left out.
    x, y : str
        The two swept parameters (columns) on the horizontal and vertical axes.
    metric : str
        The metric column drawn as colour.
    xlabel, ylabel : str
        Axis labels with units, e.g. ``"onset jitter, sd (ms)"``.
    label : str
        Colorbar label with unit, e.g. ``"mean |amplitude error| (% of g0)"``.
    scale : float
        Multiplies the metric (e.g. 100 for percent).
    title : str, optional
    annotate : bool
        Write each cell's value into it.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ok = df[df["error"].isna()] if "error" in df.columns else df
    table = ok.groupby([y, x])[metric].mean().unstack(x) * scale
    if ax is None:
        _, ax = subplots(figsize=(6.4, 4.6))
    values = table.to_numpy(dtype=float)
    im = ax.imshow(values, origin="lower", aspect="auto", cmap=cmap)
    ax.set_xticks(range(len(table.columns)), [f"{v:g}" for v in table.columns])
    ax.set_yticks(range(len(table.index)), [f"{v:g}" for v in table.index])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        panel_title(ax, title)
    if annotate:
        finite = values[np.isfinite(values)]
        mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=8,
                        color="w" if v < mid else "k")
    labelled_colorbar(im, ax, label)
    return ax
