"""Figures of the synfire-gated synfire chain, written by code (plotting only).

The mean-field figures (:func:`plot_traces`, :func:`plot_transfer_map`) evaluate the closed-form
mean-field model; every other function draws results it is given (spiking runs, sweeps, copy
histories).  All of them use the package style (:mod:`pulsegated.plotting.style`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pulsegated.plotting.style import (labelled_colorbar, legend_outside, panel_title,
                                       reference_line, save_figure, styled, subplots)
from pulsegated.sgsc.meanfield import ChainModel, s_exact

__all__ = ["plot_traces", "plot_transfer_map", "make_figures", "plot_synfire_grid",
           "add_spiking_points", "plot_transfer_spiking", "plot_chain_raster", "plot_robustness",
           "plot_copy", "GATE_COLOR", "GRADED_COLOR"]

#: Colour of gate-chain spikes in the rasters (black) and of the graded chain.
GATE_COLOR = "k"
GRADED_COLOR = "C0"

_STAGE_COLORS = ("C0", "C1", "C2")


def _stages_label(k: int) -> str:
    return f"{k} stage" + ("" if k == 1 else "s")


@styled
def plot_traces(n_stages: int = 8, amplitude: float = 0.6, T: float = 1.0, axes=None):
    """Figure 1: currents I_j and rates m_j along the chain, windows shaded; S_exact against T/tau.

    Returns
    -------
    numpy.ndarray of Axes
        The traces panel and the coupling panel.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.lines import Line2D

    if axes is None:
        _, axes = subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [3, 1]})
    model = ChainModel(n_stages, T=T)
    out = model.run(amplitude, t_end=(n_stages + 1) * T, samples_per_T=60)
    ax = axes[0]
    colors = plt.cm.viridis(np.linspace(0, 0.9, n_stages))
    for j in range(n_stages):
        ax.axvspan(j * T, (j + 1) * T, color=colors[j], alpha=0.08, lw=0)
        ax.plot(out["t"], out["I"][:, j], color=colors[j], lw=1, ls="--")
        ax.plot(out["t"], out["m"][:, j], color=colors[j], lw=2)
    ax.set_xlabel("time t / tau")
    ax.set_ylabel("current I_j, rate m_j (/ g0)")
    panel_title(ax, f"{n_stages} stages at S = S_exact = {model.S:.3f}: amplitude {amplitude} "
                    f"g0 copied; stage j gated in [j T, (j+1) T)")
    legend_outside(ax, "below", ncol=2,
                   handles=[Line2D([], [], color="0.3", ls="--", lw=1),
                            Line2D([], [], color="0.3", lw=2)],
                   labels=["synaptic current I_j", "firing rate m_j"])
    cmap = ListedColormap(colors)
    norm = BoundaryNorm(np.arange(n_stages + 1) - 0.5, n_stages)
    cb = labelled_colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax, "stage j", pad=0.01)
    cb.set_ticks(range(n_stages))
    Ts = np.linspace(0.2, 3, 200)
    axes[1].plot(Ts, [s_exact(t) for t in Ts])
    reference_line(axes[1], np.e, "minimum e at T = tau", side="right")
    axes[1].set_xlabel("window duration T / tau")
    axes[1].set_ylabel("exact-transfer coupling S_exact")
    return axes


@styled
def plot_transfer_map(stages=(1, 4, 8), factors=(0.95, 1.0, 1.05), ax=None):
    """Figure 2: amplitude after k stages against input amplitude, for S_exact and +-5 %.

    Colours are the number of stages, line styles the coupling; the legend sits outside the axes.
    """
    from matplotlib.lines import Line2D

    if ax is None:
        _, ax = subplots(figsize=(6.6, 4.4))
    a = np.linspace(0, 0.95, 39)
    ax.plot([0, 1], [0, 1], color="k", lw=0.8)
    n = max(stages) + 1
    styles = (":", "-", "--")
    for f, ls in zip(factors, styles):
        amps = np.array([_graded(f * s_exact(1.0), x, n) for x in a])
        for k, c in zip(stages, _STAGE_COLORS):
            ax.plot(a, amps[:, k], ls=ls, color=c, lw=1.3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("input amplitude (/ g0)")
    ax.set_ylabel("amplitude after k stages (/ g0)")
    handles = [Line2D([], [], color="k", lw=0.8)]
    labels = ["identity"]
    handles += [Line2D([], [], color=c, lw=2) for c in _STAGE_COLORS[:len(stages)]]
    labels += [f"mean field, {_stages_label(k)}" for k in stages]
    handles += [Line2D([], [], color="0.3", ls=ls) for ls in styles[:len(factors)]]
    labels += [f"S = {f:.2f} S_exact" for f in factors]
    legend_outside(ax, "right", handles=handles, labels=labels)
    return ax


def _graded(S, x, n):
    """Amplitudes of an n-stage chain; NaN from the first stage that leaves the graded range.

    Runs the model with the threshold out of reach, so that the values up to the point where a
    current reaches g0 are the model's own."""
    amps = ChainModel(n, S=S, g0=1e9).run(x)["amplitudes"]
    beyond = np.cumsum(amps >= 1.0) > 0
    return np.where(beyond, np.nan, amps)


def make_figures(out_dir="figures") -> list:
    """Write the mean-field figures; return their paths."""
    import matplotlib
    matplotlib.use("Agg")

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    axes = plot_traces()
    paths = [save_figure(axes[0].figure, out / "sgsc_meanfield_traces.png")]
    ax = plot_transfer_map()
    paths.append(save_figure(ax.figure, out / "sgsc_meanfield_transfer.png"))
    return paths


@styled
def plot_synfire_grid(grid: dict, ax=None):
    """The (a, sigma) plane of the synfire baseline: spikes reaching the last group."""
    from matplotlib.lines import Line2D

    if ax is None:
        _, ax = subplots(figsize=(5.4, 4.4))
    sizes = sorted({a for a, _ in grid})
    sigmas = sorted({s for _, s in grid})
    img = np.array([[grid[(a, s)]["counts"][-1] for a in sizes] for s in sigmas])
    im = ax.imshow(img, origin="lower", aspect="auto", cmap="magma", vmin=0)
    ax.set_xticks(range(len(sizes)), [str(a) for a in sizes])
    ax.set_yticks(range(len(sigmas)), [f"{s:g}" for s in sigmas])
    for i, s in enumerate(sigmas):
        for j, a in enumerate(sizes):
            ok = grid[(a, s)]["propagates"]
            ax.text(j, i, "✓" if ok else "×", ha="center", va="center",
                    color="k" if ok else "w", fontsize=11)
    ax.set_xlabel("input packet size a (spikes)")
    ax.set_ylabel("input jitter sigma (ms)")
    panel_title(ax, "synfire chain, 10 groups of 100 neurons")
    labelled_colorbar(im, ax, "spikes in the packet at group 10")
    legend_outside(ax, "below", ncol=2,
                   handles=[Line2D([], [], ls="none", marker="$✓$", color="k", ms=8),
                            Line2D([], [], ls="none", marker="$×$", color="k", ms=8)],
                   labels=["packet reaches group 10", "packet dies out"])
    return ax


@styled
def add_spiking_points(ax, chains: dict, stages=(1, 4, 7)):
    """Overlay spiking-chain amplitudes ``{input: amplitudes per stage}`` on a transfer map.

    Each number of stages has its own marker shape and size (large open circle, medium square,
    small filled triangle), so that points that coincide stay visible.
    """
    inputs = np.array(sorted(chains))
    for k, c, (m, ms, fill) in zip(stages, _STAGE_COLORS, _SPIKING_MARKERS):
        ax.plot(inputs, [chains[a][k] for a in inputs], ls="none", marker=m, color=c, ms=ms,
                mfc=c if fill else "none", mew=1.1, zorder=5, label=f"spiking, {_stages_label(k)}")
    legend = ax.get_legend()
    if legend is not None:  # a transfer map's legend: add the spiking markers to it
        handles = list(legend.legend_handles) + ax.get_lines()[-len(stages):]
        labels = [t.get_text() for t in legend.get_texts()]
        labels += [f"spiking, {_stages_label(k)}" for k in stages]
        legend_outside(ax, "right", handles=handles, labels=labels)
    return ax


_SPIKING_MARKERS = (("o", 9, False), ("s", 6, False), ("^", 4, True))


@styled
def plot_transfer_spiking(chains: dict, stages=(1, 4, 7), factors=(0.95, 1.0, 1.05)):
    """Figure 2 with the spiking chain: transfer map with spiking points, and their errors.

    Parameters
    ----------
    chains : dict
        ``{input amplitude: amplitudes per stage}`` of the spiking chain (fractions of g0).
    stages : tuple of int
        Stages shown (mean field lines and spiking points).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.lines import Line2D

    fig, (ax, ax_err) = subplots(1, 2, figsize=(10.5, 4.4), gridspec_kw={"width_ratios": [1, 1]})
    plot_transfer_map(stages=stages, factors=factors, ax=ax)
    ax.get_legend().remove()
    add_spiking_points(ax, chains, stages)
    panel_title(ax, "mean field (lines) and spiking chain (markers)")
    inputs = np.array(sorted(chains))
    for k, c, (m, ms, fill) in zip(stages, _STAGE_COLORS, _SPIKING_MARKERS):
        err = [100 * (chains[a][k] - a) for a in inputs]
        ax_err.plot(inputs, err, ls="-", lw=0.8, marker=m, color=c, ms=ms,
                    mfc=c if fill else "none", mew=1.1)
    ax_err.axhline(0, color="k", lw=0.8)
    ax_err.set_xlim(0, 1)
    ax_err.set_xlabel("input amplitude (/ g0)")
    ax_err.set_ylabel("spiking amplitude after k stages − input (% of g0)")
    panel_title(ax_err, "spiking chain: deviation from exact transfer")
    handles = [Line2D([], [], color="k", lw=0.8)]
    labels = ["identity (exact transfer)"]
    handles += [Line2D([], [], color="0.3", ls=ls) for ls in (":", "-", "--")[:len(factors)]]
    labels += [f"mean field, S = {f:.2f} S_exact" for f in factors]
    handles += [Line2D([], [], ls="none", marker=m, color=c, ms=ms, mfc=c if fill else "none")
                for c, (m, ms, fill) in zip(_STAGE_COLORS, _SPIKING_MARKERS)]
    labels += [f"{_stages_label(k)} (colour), spiking (marker)" for k in stages]
    legend_outside(ax_err, "right", handles=handles, labels=labels)
    return fig


@styled
def plot_chain_raster(runs: dict, dt, T, n_stages: int):
    """Figure 3: gating chain above graded chain, one panel per input amplitude.

    ``dt`` and ``T`` are Brian2 times (the chain's step and window, e.g. ``p.dt`` and ``p.T`` of
    a :class:`~pulsegated.sgsc.graded.GradedChainParams`); the time axis is drawn in ms.

    Gate volleys are drawn in black (:data:`GATE_COLOR`), graded populations in blue; the
    gating window of each stage is shaded (alternating shades).

    ``runs`` maps an amplitude to the recorded spikes ``{population: (steps, indices)}``.
    """
    from brian2 import ms
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from pulsegated.sgsc._units import check_quantity

    check_quantity(dt, "time", "dt", positive=True)
    check_quantity(T, "time", "T", positive=True)
    dt, T = float(dt / ms), float(T / ms)  # the axis unit
    fig, axes = subplots(1, len(runs), figsize=(4.2 * len(runs), 4.9), sharey=True,
                         squeeze=False)
    for ax, (a, spikes) in zip(axes[0], runs.items()):
        band = 0
        for kind, color in (("stage", GRADED_COLOR), ("gate", GATE_COLOR)):
            for j in range(n_stages):
                steps, idx = spikes[f"{kind}{j}"]
                size = max(int(idx.max()) + 1, 1) if len(idx) else 1
                y = band + idx / size * 0.9
                ax.plot(np.asarray(steps) * dt, y, "|", color=color, ms=2, mew=0.6)
                band += 1
            band += 0.5
        for j in range(n_stages):
            ax.axvspan((2 + j * T / dt) * dt, (2 + (j + 1) * T / dt) * dt,
                       color="C1" if j % 2 else "C2", alpha=0.08, lw=0)
        panel_title(ax, f"input amplitude {a:.2f} g0")
        ax.set_xlabel("time (ms)")
    ticks = [j + 0.45 for j in range(n_stages)] + [n_stages + 0.5 + j + 0.45
                                                   for j in range(n_stages)]
    labels = [f"graded {j}" for j in range(n_stages)] + [f"gate {j}" for j in range(n_stages)]
    axes[0][0].set_yticks(ticks, labels, fontsize=7)
    axes[0][0].set_ylabel("population (neurons in each band)")
    fig.legend(handles=[Line2D([], [], ls="none", marker="|", color=GATE_COLOR, ms=8),
                        Line2D([], [], ls="none", marker="|", color=GRADED_COLOR, ms=8),
                        Patch(color="C2", alpha=0.2), Patch(color="C1", alpha=0.2)],
               labels=["gate-chain spike (black)", "graded-chain spike (blue)",
                       "gating window of stage j (even j)", "gating window of stage j (odd j)"],
               loc="outside lower center", ncol=4)
    return fig


@styled
def plot_robustness(results: dict):
    """Figure 4: mean absolute amplitude error (8 stages) against each perturbation.

    Parameters
    ----------
    results : dict
        ``{"<perturbation> [<phases> phases]": [{"value", "mean", "sd", "per_seed"}, ...], ...,
        "seeds": [...]}`` as written to ``results/sgsc_robustness.json``; the older form
        ``[(value, error), ...]`` (one seed) is accepted too.

    Returns
    -------
    matplotlib.figure.Figure
        Error bars are mean +- sd over the seeds; the 5 % line is labelled.
    """
    keys = [k for k in results if k.endswith(" phases]")]
    names = sorted({k.split(" [")[0] for k in keys})
    n_seeds = len(results.get("seeds", [0]))
    fig, axes = subplots(1, len(names), figsize=(4.0 * len(names), 3.9), sharey=True,
                         squeeze=False)
    colors = {"even": "C0", "random": "C1"}
    for ax, name in zip(axes[0], names):
        for key in keys:
            if key.split(" [")[0] != name:
                continue
            phases = key.split("[")[1].split()[0]
            rows = [r if isinstance(r, dict) else {"value": r[0], "mean": r[1], "sd": 0.0}
                    for r in results[key]]
            v = np.array([r["value"] for r in rows], float)
            m = 100 * np.array([r["mean"] for r in rows])
            sd = 100 * np.array([r["sd"] for r in rows])
            ax.errorbar(v, m, yerr=sd, fmt="o-", color=colors.get(phases), capsize=3, ms=4,
                        label=f"{phases} initial phases")
            for r in rows:
                if "per_seed" in r:
                    ax.plot([r["value"]] * len(r["per_seed"]), 100 * np.array(r["per_seed"]),
                            ".", color=colors.get(phases), alpha=0.35, ms=3)
        reference_line(ax, 5, "5 % of g0", side="right")
        ax.set_xlabel(name)
        ax.grid(alpha=0.3)
    top = max(max(np.max(line.get_ydata()) for line in ax.lines if len(line.get_ydata()))
              for ax in axes[0])
    top = max(top, max(float(np.max(c[0].get_ydata() + 0)) for ax in axes[0]
                       for c in ax.containers))
    for ax in axes[0]:
        ax.relim()
        ax.autoscale_view()
    axes[0][0].set_ylim(0, max(axes[0][0].get_ylim()[1], 1.05 * top, 6.0))
    statistic = (f"mean ± sd over {n_seeds} seeds (dots: single seeds)" if n_seeds > 1
                 else "one seed")
    axes[0][0].set_ylabel(f"mean |amplitude error|, 8 stages (% of g0)\n{statistic}")
    handles, labels = [], []
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels and not lab.startswith("5 %"):
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels))
    return fig


@styled
def plot_copy(result: dict, K, eta: float, label: str = "mean field", reference=None):
    """Figure 5: copy error against cycles (with the geometric law), K and L before/after.

    ``result`` is a :func:`~pulsegated.sgsc.copy.copy_matrix` or
    :func:`~pulsegated.sgsc.copy.run_copy` result; ``reference`` optionally the errors of another
    run (e.g. the mean field from the same start) drawn for comparison.  The three matrices share
    one colour scale, shown by a labelled colorbar; rows are postsynaptic units, columns
    presynaptic units.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, axes = subplots(1, 4, figsize=(15, 4.3), gridspec_kw={"width_ratios": [2.2, 1, 1, 1]})
    e = np.asarray(result["errors"])
    c = np.arange(len(e))
    ax = axes[0]
    ax.semilogy(c, e, "o-", label=f"|L − K| / |K| ({label})")
    ax.semilogy(c, e[0] * (1 - eta) ** c, "k:", label=f"(1 − eta)^cycles, eta = {eta}")
    fit = e[: max(3, int(np.argmax(e < 0.05)) + 1)]
    rate = float(np.exp(np.polyfit(np.arange(len(fit)), np.log(fit), 1)[0]))
    ax.semilogy(c, e[0] * rate ** c, color="C0", lw=0.8, alpha=0.6,
                label=f"fitted decay {rate:.2f} per cycle")
    if reference is not None:
        ax.semilogy(np.arange(len(reference)), reference, "s--", ms=3, color="C2",
                    label="mean field, same start")
    reference_line(ax, 0.05, "5 %", color="C3", ls="--", side="right")
    ax.set_xlabel("cycles over the columns")
    ax.set_ylabel("relative copy error |L − K| / |K|")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    handles, labels = ax.get_legend_handles_labels()
    keep = [i for i, lab in enumerate(labels) if lab != "5 %"]
    legend_outside(ax, "below", ncol=2, handles=[handles[i] for i in keep],
                   labels=[labels[i] for i in keep])
    panel_title(ax, "synaptic copy: geometric decay of the error")
    vmax = float(np.max(K))
    M_all = (np.asarray(K), np.asarray(result["L_history"][0]), np.asarray(result["L"]))
    titles = ("K (circuit A)", "L before (circuit B)", f"L after {len(e) - 1} cycles")
    im = None
    for ax, M, title in zip(axes[1:], M_all, titles):
        im = ax.imshow(M, vmin=0, vmax=vmax, cmap="viridis")
        panel_title(ax, title)
        ax.set_xticks(range(M.shape[1]))
        ax.set_yticks(range(M.shape[0]))
        ax.set_xlabel("presynaptic unit j")
        ax.set_ylabel("postsynaptic unit i")
        if M.size <= 36:  # small matrices: the values themselves
            for (i, j), v in np.ndenumerate(M):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                        color="w" if v < 0.6 * vmax else "k")
    labelled_colorbar(im, list(axes[1:]), "coupling K_ij, L_ij (output / input amplitude)",
                      shrink=0.85)
    return fig
