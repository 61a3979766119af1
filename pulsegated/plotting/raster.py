"""Raster plots of scheduled circuits: populations on the ordinate, phases and gating windows marked.

Works on recorded spikes (``{population: (steps, indices)}``) from any backend; nothing here runs a
simulation.
"""

from __future__ import annotations

import numpy as np

from pulsegated.plotting.style import legend_outside, panel_title, styled, subplots

#: Spike colour of each population role.
ROLE_COLORS = {"input": "C0", "hidden": "C2", "output": "C3", "target": "C1", "error": "C4",
               "memory": "C5", "derivative": "C8", "gate": "0.3"}
#: Shading of the gating windows and of highlighted (memory) bands.
WINDOW_COLOR = "0.6"
HIGHLIGHT_COLOR = "gold"


@styled
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
    title : str, optional
        A short panel title.

    Notes
    -----
    The abscissa is the simulation step, one tick per step labelled with its phase.  Each spike is
    drawn at the step in which it occurs; a ring gate ``ring[k]`` therefore appears in phase
    ``k - 1`` (it opens phase ``k``), and its band says so (:func:`band_label`).  Data lines carry
    their population as ``gid``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

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
        _, ax = subplots(figsize=(9, 0.3 * len(populations) + 2.0))
    n_bands = len(populations)
    # phase grid: thin lines between phases, thick ones between samples
    for t in range(t_lo, t_hi + 1):
        ph = (t - sch.t0) % sch.n_phases
        ax.axvline(t - 0.5, color="0.5" if ph == 0 else "0.88", lw=1.0 if ph == 0 else 0.5,
                   zorder=0)
    for k, pop in enumerate(populations):
        top = n_bands - k
        p = circuit.populations[pop]
        if p.role in highlight_roles:
            ax.axhspan(top - 1, top, color=HIGHLIGHT_COLOR, alpha=0.18, zorder=0, lw=0)
        if gating_windows:
            for t in range(t_lo, t_hi):
                if (t - sch.t0) % sch.n_phases in circuit.activity.get(pop, ()):
                    ax.add_patch(plt.Rectangle((t - 0.5, top - 1), 1, 1, color=WINDOW_COLOR,
                                               alpha=0.15, lw=0, zorder=0))
        steps, idx = spikes.get(pop, (np.zeros(0), np.zeros(0)))
        steps, idx = np.asarray(steps), np.asarray(idx)
        m = (steps >= t_lo) & (steps < t_hi)
        y = top - 1 + (idx[m] + 0.5) / p.size * 0.9 + 0.05
        size = markersize * (2 if p.size > 50 else 4)
        ax.plot(steps[m], y, "|" if p.size > 1 else "s", ms=size,
                color=ROLE_COLORS.get(p.role, "k"), mew=0.8, ls="none", gid=pop)
        ax.axhline(top - 1, color="0.75", lw=0.4)
    ax.set_yticks(np.arange(n_bands) + 0.5)
    ax.set_yticklabels([band_label(circuit, p) for p in reversed(populations)], fontsize=7)
    ax.set_ylim(0, n_bands)
    ax.set_ylabel("population (neurons)")
    # one x scale: a tick per step, labelled with its phase
    ax.set_xlim(t_lo - 0.5, t_hi - 0.5)
    ticks = np.arange(t_lo, t_hi)
    ax.set_xticks(ticks, [str(phase_of(sch, t)) for t in ticks], fontsize=7)
    which = f"sample {first}" if last == first + 1 else f"samples {first}-{last - 1}"
    ax.set_xlabel(f"phase of {which} (one phase per step, step = t0 + {sch.n_phases} n + phase; "
                  f"steps {t_lo}-{t_hi - 1})")
    handles = [Patch(color=WINDOW_COLOR, alpha=0.3, label="gating window (may fire)")]
    if any(circuit.populations[p].role in highlight_roles for p in populations):
        handles.append(Patch(color=HIGHLIGHT_COLOR, alpha=0.35,
                             label=f"{' / '.join(highlight_roles)} population"))
    roles = [r for r in ROLE_COLORS if any(circuit.populations[p].role == r for p in populations)]
    handles += [Line2D([], [], ls="none", marker="s" if r == "gate" else "|", ms=6, mew=1.5,
                       color=ROLE_COLORS[r], label=f"{r} spike") for r in roles]
    legend_outside(ax, "below", ncol=min(len(handles), 5), handles=handles)
    if title:
        panel_title(ax, title)
    return ax


def phase_of(schedule, step: int) -> int:
    """Phase in which ``step`` falls (``0 .. n_phases - 1``)."""
    return (int(step) - schedule.t0) % schedule.n_phases


def gate_phases(circuit) -> dict:
    """``{gate: (phase it fires in, phase it opens)}`` for the gates of the schedule's ring.

    ``ring[k]`` spikes one step before phase ``k`` (its gate input arrives at phase ``k``), i.e. in
    phase ``k - 1 mod n_phases``.
    """
    sch = circuit.schedule
    return {g: ((k - 1) % sch.n_phases, k) for k, g in enumerate(sch.ring or ())}


def band_label(circuit, pop: str) -> str:
    """Tick label of a population's band: name and size; for ring gates the phase they fire in
    and the phase they open."""
    gates = gate_phases(circuit)
    if pop in gates:
        fires, opens = gates[pop]
        return f"{pop} fires ph. {fires}, opens {opens}"
    return f"{pop} ({circuit.populations[pop].size})"


def volley_steps(steps, gap: int = 2) -> np.ndarray:
    """First step of every volley in a spike train: spikes separated by more than ``gap`` steps
    start a new volley."""
    steps = np.unique(np.asarray(steps, dtype=np.int64))
    if steps.size == 0:
        return steps
    return steps[np.concatenate([[True], np.diff(steps) > gap])]


@styled
def plot_time_raster(circuit, spikes: dict, steps=None, populations=None, ax=None,
                     highlight_roles=("memory",), highlight_color: str = "0.55",
                     marks=(), mark_label: str = "information propagated through the circuit",
                     notches: bool = True, max_neurons: int = 40, markersize: float = 1.5,
                     title: str | None = None):
    """Spike raster of any circuit against time: one band per population, gating windows notched.

    Parameters
    ----------
    circuit : Circuit
        Any circuit (its ``dt``, populations and roles are used; no schedule needed).
    spikes : dict
        ``{population: (steps, indices)}`` from any backend.
    steps : (int, int), optional
        Half-open range of steps shown (default: all recorded spikes).
    populations : list of str, optional
        Bands top to bottom (default: the recorded populations that are not gates, in the
        circuit's order).
    highlight_roles : tuple of str
        Bands of populations with these roles are shaded (``highlight_color``): the memory
        populations by default.
    marks : sequence of int
        Steps at which a red vertical line is drawn (e.g. every time information has propagated
        through the circuit).
    notches : bool
        Mark on the time axis every volley of a ``"gate"``-role population (the opening of a
        gating window).
    max_neurons : int
        At most this many neurons of a population are drawn (evenly chosen), to keep the bands
        readable; the band label gives the population's size.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt  # noqa: F401
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    dt_ms = float(circuit.dt / 1e-3) if circuit.dt is not None else 1.0
    pops = circuit.populations
    if populations is None:
        populations = [p for p in pops if pops[p].role != "gate" and p in spikes]
    unknown = [p for p in populations if p not in pops]
    if unknown:
        raise ValueError(f"unknown populations {unknown}")
    if steps is None:
        allsteps = [np.asarray(spikes[p][0]) for p in spikes if len(spikes[p][0])]
        steps = (0, int(max(s.max() for s in allsteps)) + 1) if allsteps else (0, 1)
    lo, hi = steps
    if hi <= lo:
        raise ValueError(f"empty step range {steps}")
    if ax is None:
        _, ax = subplots(figsize=(9, 0.16 * len(populations) + 2.2))
    n_bands = len(populations)
    for k, pop in enumerate(populations):
        top = n_bands - k
        p = pops[pop]
        if p.role in highlight_roles:
            ax.axhspan(top - 1, top, color=highlight_color, alpha=0.25, zorder=0, lw=0)
        st, idx = spikes.get(pop, (np.zeros(0), np.zeros(0)))
        st, idx = np.asarray(st), np.asarray(idx)
        shown = np.unique(np.linspace(0, p.size - 1, min(p.size, max_neurons)).astype(int))
        rank = np.full(p.size, -1)
        rank[shown] = np.arange(shown.size)
        m = (st >= lo) & (st < hi) & (rank[idx.astype(int)] >= 0) if idx.size else st > 0
        y = top - 1 + (rank[idx[m].astype(int)] + 0.5) / shown.size * 0.9 + 0.05
        ax.plot(st[m] * dt_ms, y, "|", ms=markersize * 2, mew=0.6,
                color=ROLE_COLORS.get(p.role, "k"), ls="none", gid=pop)
        ax.axhline(top - 1, color="0.8", lw=0.3)
    handles = []
    if notches:
        openings = sorted({int(v) for g, pop in pops.items() if pop.role == "gate" and g in spikes
                           for v in volley_steps(spikes[g][0]) if lo <= v < hi})
        if openings:
            ax.plot(np.array(openings) * dt_ms, np.full(len(openings), 0.0), marker=2, ms=7,
                    mew=1.2, color="k", ls="none", clip_on=False, zorder=5, gid="notches")
            handles.append(Line2D([], [], marker=2, ms=7, mew=1.2, color="k", ls="none",
                                  label="gating window opens"))
    for s in marks:
        if lo <= s < hi:
            ax.axvline(s * dt_ms, color="red", lw=0.9, zorder=4)
    if any(lo <= s < hi for s in marks):
        handles.append(Line2D([], [], color="red", lw=0.9, label=mark_label))
    ax.set_yticks(np.arange(n_bands) + 0.5)
    fs = 7 if n_bands <= 30 else 5.5
    ax.set_yticklabels([f"{p} ({pops[p].size})" for p in reversed(populations)], fontsize=fs)
    ax.set_ylim(0, n_bands)
    ax.set_xlim(lo * dt_ms, hi * dt_ms)
    ax.set_ylabel("population (neurons, up to %d shown)" % max_neurons)
    ax.set_xlabel("time (ms)")
    if any(pops[p].role in highlight_roles for p in populations):
        handles.append(Patch(color=highlight_color, alpha=0.4,
                             label=f"{' / '.join(highlight_roles)} population"))
    roles = [r for r in ROLE_COLORS if r != "gate" and any(pops[p].role == r
                                                           for p in populations)]
    handles += [Line2D([], [], ls="none", marker="|", ms=6, mew=1.5, color=ROLE_COLORS[r],
                       label=f"{r} spike") for r in roles]
    legend_outside(ax, "below", ncol=min(len(handles), 4), handles=handles)
    if title:
        panel_title(ax, title)
    return ax
