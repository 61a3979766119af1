"""Figures of the graded backprop circuit: weight convergence, loss, rasters, decision surface.

Nothing here runs a simulation: every function takes what a run returned
(:func:`~pulsegated.gradedbp.learn.learn_linear_map`) or recorded spikes.
"""

from __future__ import annotations

import numpy as np

from pulsegated.plotting.raster import plot_time_raster
from pulsegated.plotting.style import legend_outside, panel_title, save_figure, styled, subplots

__all__ = ["save_weight_convergence", "save_cycles_raster", "propagation_marks",
           "save_xor_surface"]


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


@styled
def save_xor_surface(surface: dict, task, path, runs: list | None = None,
                     title: str | None = None):
    """Decision surface of a learnt XOR circuit, and the learning of every seed.

    Parameters
    ----------
    surface : dict
        From :func:`~pulsegated.gradedbp.learn.xor_surface`.
    task : XORTask
    path : str or Path
    runs : list of dict, optional
        Results of :func:`~pulsegated.gradedbp.learn.learn_xor` for several seeds: a second
        panel shows each one's output error (running mean over 20 cycles) with the cycle from
        which all four patterns stayed solved.
    """
    ncols = 2 if runs else 1
    fig, axes = subplots(1, ncols, figsize=(6.2 * ncols, 5.0))
    ax = axes[0] if runs else axes
    x0, x1, o = surface["x0"], surface["x1"], surface["o"]
    im = ax.pcolormesh(x0, x1, o, shading="nearest", cmap="coolwarm",
                       vmin=min(0.0, o.min()), vmax=max(task.t_high + 0.1, o.max()))
    cb = fig.colorbar(im, ax=ax)
    cb.set_label("output o (fraction of g0)")
    ax.contour(x0, x1, o, levels=[task.midpoint], colors="k", linewidths=1.2)
    xs, ts = task.patterns()
    for (a, b, _), t, got in zip(xs, ts[:, 0], surface["patterns"]):
        high = t > task.midpoint
        ax.plot(a, b, "o" if high else "s", ms=11, mfc="white" if high else "k", mec="k")
        ax.annotate(f"t={t:.2f}\no={got:.2f}", (a, b), textcoords="offset points",
                    xytext=(8, 8 if b < 0.3 else -26), fontsize=8)
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], color="k", lw=1.2, label=f"midpoint o = {task.midpoint:.2f}"),
               Line2D([], [], ls="", marker="o", mfc="white", mec="k", ms=9,
                      label=f"pattern, target {task.t_high:.2f}"),
               Line2D([], [], ls="", marker="s", mfc="k", mec="k", ms=9,
                      label=f"pattern, target {task.t_low:.2f}")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2,
              fontsize=8, frameon=False)
    ax.set_xlabel("input x0 (fraction of g0)")
    ax.set_ylabel("input x1 (fraction of g0)")
    panel_title(ax, "decision surface (mean field, learnt weights)")
    if runs:
        ax2 = axes[1]
        for r in runs:
            loss = np.array([rec["loss"] for rec in r["records"]])
            w = min(20, len(loss))
            smooth = np.convolve(loss, np.ones(w) / w, mode="valid")
            line, = ax2.semilogy(np.arange(w, len(loss) + 1), smooth, lw=1,
                                 label=f"seed {r['seed']}" + ("" if r["solved_at"] else
                                                              " (not solved)"))
            if r["solved_at"]:
                ax2.axvline(r["solved_at"], color=line.get_color(), ls=":", lw=0.8)
        ax2.set_xlabel("learning cycle")
        ax2.set_ylabel("output error (t - o)^2 (g0^2, mean of 20 cycles)")
        panel_title(ax2, "every seed; dotted: all four patterns solved from here on")
        legend_outside(ax2, "right")
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)
