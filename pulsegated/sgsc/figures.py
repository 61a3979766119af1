"""Figures of the mean-field graded-transfer model, written by code (plotting only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pulsegated.sgsc.meanfield import ChainModel, s_exact

__all__ = ["plot_traces", "plot_transfer_map", "make_figures"]


def plot_traces(n_stages: int = 8, amplitude: float = 0.6, T: float = 1.0, axes=None):
    """Figure 1: currents I_j and rates m_j along the chain, gating windows shaded; inset-style
    second panel: S_exact against T/tau."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [3, 1]})
    model = ChainModel(n_stages, T=T)
    out = model.run(amplitude, t_end=(n_stages + 1) * T, samples_per_T=60)
    ax = axes[0]
    colors = plt.cm.viridis(np.linspace(0, 0.9, n_stages))
    for j in range(n_stages):
        ax.axvspan(j * T, (j + 1) * T, color=colors[j], alpha=0.08, lw=0)
        ax.plot(out["t"], out["I"][:, j], color=colors[j], lw=1, ls="--")
        ax.plot(out["t"], out["m"][:, j], color=colors[j], lw=2)
    ax.set_xlabel("t / tau")
    ax.set_ylabel("current I_j (dashed), rate m_j (solid) / g0")
    ax.set_title(f"{n_stages} stages at S_exact = {model.S:.3f}: amplitude {amplitude} copied")
    Ts = np.linspace(0.2, 3, 200)
    axes[1].plot(Ts, [s_exact(t) for t in Ts])
    axes[1].axhline(np.e, color="k", lw=0.6, ls=":")
    axes[1].set_xlabel("T / tau")
    axes[1].set_ylabel("S_exact")
    axes[1].set_title("exact-transfer coupling")
    return axes


def plot_transfer_map(stages=(1, 4, 8), factors=(0.95, 1.0, 1.05), ax=None):
    """Figure 2: amplitude after k stages against input amplitude, for S_exact and +-5 %."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.4))
    a = np.linspace(0, 0.95, 39)
    ax.plot([0, 1], [0, 1], color="k", lw=0.8, label="identity")
    n = max(stages) + 1
    for f, ls in zip(factors, (":", "-", "--")):
        amps = np.array([_graded(f * s_exact(1.0), x, n) for x in a])
        for k, c in zip(stages, ("C0", "C1", "C2")):
            ax.plot(a, amps[:, k], ls=ls, color=c,
                    label=f"{k} stage{'s' if k > 1 else ''}, S = {f:.2f} S_exact")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("input amplitude / g0")
    ax.set_ylabel("amplitude after k stages / g0")
    ax.legend(fontsize=7)
    ax.set_title("graded transfer (mean field)")
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
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    axes = plot_traces()
    axes[0].figure.tight_layout()
    paths.append(out / "sgsc_meanfield_traces.png")
    axes[0].figure.savefig(paths[-1], dpi=110)
    plt.close(axes[0].figure)
    ax = plot_transfer_map()
    ax.figure.tight_layout()
    paths.append(out / "sgsc_meanfield_transfer.png")
    ax.figure.savefig(paths[-1], dpi=110)
    plt.close(ax.figure)
    return paths


def plot_synfire_grid(grid: dict, ax=None):
    """The (a, sigma) plane of the synfire baseline: spikes reaching the last group."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
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
    ax.set_title("synfire chain (10 x 100): packet in group 10")
    ax.figure.colorbar(im, ax=ax, label="spikes in the packet at group 10")
    return ax
