"""Figures of the graded backprop circuit: weight convergence, loss, rasters, decision surface.

Nothing here runs a simulation: every function takes what a run returned
(:func:`~pulsegated.gradedbp.learn.learn_linear_map`) or recorded spikes.
"""

from __future__ import annotations

import numpy as np

from pulsegated.plotting.raster import plot_time_raster
from pulsegated.plotting.style import legend_outside, panel_title, save_figure, styled, subplots

__all__ = ["save_weight_convergence", "save_cycles_raster", "propagation_marks"]


@styled
def save_weight_convergence(runs: dict, path, title: str | None = None):
    """Every weight against learning cycles, one line style per run, the targets dotted; below,
    the loss of each cycle (running mean over 10 cycles).

    Parameters
    ----------
    runs : dict
        ``{label: result of learn_linear_map}`` (e.g. ``{"spiking": ..., "mean field": ...}``).
    path : str or Path
    """
    styles = ["-", "--", "-.", ":"]
    fig, (ax, ax_loss) = subplots(2, 1, figsize=(7.5, 6.4), height_ratios=(2.2, 1))
    A = next(iter(runs.values()))["A"]
    n_out, n_in = A.shape
    colors = [f"C{i % 10}" for i in range(n_out * n_in)]
    for r, (label, res) in enumerate(runs.items()):
        H = res["W_history"]
        cycles = np.arange(len(H))
        for k in range(n_out):
            for j in range(n_in):
                ax.plot(cycles, H[:, k, j], styles[r % len(styles)], color=colors[k * n_in + j],
                        lw=1.1 if r == 0 else 1.4)
        loss = np.array([rec["loss"] for rec in res["records"]])
        w = min(10, len(loss))
        smooth = np.convolve(loss, np.ones(w) / w, mode="valid")
        ax_loss.semilogy(np.arange(w, len(loss) + 1), smooth, styles[r % len(styles)], color="k",
                         label=label)
    for k in range(n_out):
        for j in range(n_in):
            ax.axhline(A[k, j], color=colors[k * n_in + j], ls=":", lw=0.8)
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color=colors[k * n_in + j], label=f"W[{k},{j}] (target "
                      f"{A[k, j]:+.2f})") for k in range(n_out) for j in range(n_in)]
    handles += [Line2D([], [], color="0.3", ls=styles[r % len(styles)], label=label)
                for r, label in enumerate(runs)]
    handles.append(Line2D([], [], color="0.3", ls=":", lw=0.8, label="target value"))
    legend_outside(ax, "right", handles=handles)
    ax.set_xlabel("learning cycle")
    ax.set_ylabel("weight (coupling factor)")
    ax_loss.set_xlabel("learning cycle")
    ax_loss.set_ylabel("output error (t - o)^2\n(g0^2, mean of 10 cycles)")
    legend_outside(ax_loss, "right")
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def propagation_marks(circuit, first: int, last: int) -> list:
    """Steps at which a learning cycle's information has gone through the whole circuit: the end
    of its depression window, for cycles ``first .. last - 1``."""
    sch = circuit.schedule
    s = circuit.meta["steps_per_window"]
    w = circuit.meta["windows"]["depress"] + 1
    return [sch.step(i, w * s) for i in range(first, last)]


@styled
def save_cycles_raster(circuit, spikes: dict, first: int, last: int, path, populations=None,
                       highlight_roles=("memory",), title: str | None = None,
                       max_neurons: int = 40):
    """Raster of learning cycles ``first .. last - 1``: gating windows notched on the time axis,
    a red line every time a cycle has propagated through the circuit, memory bands shaded."""
    sch = circuit.schedule
    steps = (sch.step(first, 0), sch.step(last, 0))
    n = len(populations) if populations is not None else sum(
        1 for p in circuit.populations.values() if p.role != "gate")
    fig, ax = subplots(figsize=(9.5, 0.17 * n + 2.4))
    plot_time_raster(circuit, spikes, steps=steps, populations=populations, ax=ax,
                     highlight_roles=highlight_roles,
                     marks=propagation_marks(circuit, first, last), max_neurons=max_neurons)
    if title:
        panel_title(ax, title)
    return save_figure(fig, path)
