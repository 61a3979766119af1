"""Raster plots of scheduled circuits: populations on the ordinate, phases and gating windows marked.

Works on recorded spikes (``{population: (steps, indices)}``) from any backend; nothing here runs a
simulation.
"""

from __future__ import annotations

import numpy as np

ROLE_COLORS = {"input": "C0", "hidden": "C2", "output": "C3", "target": "C1", "error": "C4",
               "memory": "C5", "derivative": "C8", "gate": "0.3"}


def plot_raster(circuit, spikes: dict, ax=None, samples=None, populations=None,
                highlight_roles=("memory",), gating_windows: bool = True, markersize: float = 1.5,
                title: str | None = None):
    """Spike raster of a scheduled circuit, one band per population.

    Parameters
    ----------
    circuit : Circuit
        The circuit (schedule, populations, roles and activity table are used).
    spikes : dict
        ``{population: (steps, indices)}``.
    samples : (int, int), optional
        Half-open range of samples to show (default: the first one).
    populations : list of str, optional
        Populations to show, top to bottom (default: the circuit's order, gates last).
    highlight_roles : tuple of str
        Populations with these roles get a shaded band (the memory populations by default).
    gating_windows : bool
        Shade, in each band, the phases in which the population is allowed to fire.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    sch = circuit.schedule
    if sch is None:
        raise ValueError("plot_raster needs a scheduled circuit")
    first, last = samples if samples is not None else (0, 1)
    if last <= first:
        raise ValueError(f"empty sample range {samples}")
    t_lo, t_hi = sch.step(first, 0), sch.step(last, 0)
    if populations is None:
        populations = [p for p in circuit.populations if circuit.populations[p].role != "gate"]
        populations += [p for p in circuit.populations if circuit.populations[p].role == "gate"]
    unknown = [p for p in populations if p not in circuit.populations]
    if unknown:
        raise ValueError(f"unknown populations {unknown}")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.32 * len(populations) + 1.5))
    n_bands = len(populations)
    # phase grid
    for t in range(t_lo, t_hi + 1):
        ph = (t - sch.t0) % sch.n_phases
        ax.axvline(t - 0.5, color="0.5" if ph == 0 else "0.88", lw=1.0 if ph == 0 else 0.5,
                   zorder=0)
    for k, pop in enumerate(populations):
        top = n_bands - k
        p = circuit.populations[pop]
        if p.role in highlight_roles:
            ax.axhspan(top - 1, top, color="gold", alpha=0.18, zorder=0, lw=0)
        if gating_windows:
            for t in range(t_lo, t_hi):
                if (t - sch.t0) % sch.n_phases in circuit.activity.get(pop, ()):
                    ax.add_patch(plt.Rectangle((t - 0.5, top - 1), 1, 1, color="0.6", alpha=0.15,
                                               lw=0, zorder=0))
        steps, idx = spikes.get(pop, (np.zeros(0), np.zeros(0)))
        steps, idx = np.asarray(steps), np.asarray(idx)
        m = (steps >= t_lo) & (steps < t_hi)
        y = top - 1 + (idx[m] + 0.5) / p.size * 0.9 + 0.05
        size = markersize * (2 if p.size > 50 else 4)
        ax.plot(steps[m], y, "|" if p.size > 1 else "s", ms=size,
                color=ROLE_COLORS.get(p.role, "k"), mew=0.8, ls="none")
        ax.axhline(top - 1, color="0.75", lw=0.4)
    ax.set_yticks(np.arange(n_bands) + 0.5)
    ax.set_yticklabels([f"{p} ({circuit.populations[p].size})" for p in reversed(populations)],
                       fontsize=7)
    ax.set_ylim(0, n_bands)
    ax.set_xlim(t_lo - 0.5, t_hi - 0.5)
    ax.set_xlabel("step (one phase per step)")
    sec = ax.secondary_xaxis("top")
    ticks = np.arange(t_lo, t_hi)
    sec.set_xticks(ticks)
    sec.set_xticklabels([str((t - sch.t0) % sch.n_phases) for t in ticks], fontsize=7)
    sec.set_xlabel("phase", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10, pad=22)
    return ax
