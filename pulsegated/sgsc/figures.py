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


def add_spiking_points(ax, chains: dict, stages=(1, 4, 7)):
    """Overlay spiking-chain amplitudes ``{input: amplitudes per stage}`` on a transfer map."""
    inputs = np.array(sorted(chains))
    for k, c in zip(stages, ("C0", "C1", "C2")):
        ax.plot(inputs, [chains[a][k] for a in inputs], "o", color=c, ms=5, mfc="none",
                label=f"spiking, {k} stages")
    ax.legend(fontsize=6, ncol=2)
    ax.set_title("graded transfer: mean field (lines), spiking chain (circles)")
    return ax


def plot_chain_raster(runs: dict, dt: float, T: float, n_stages: int):
    """Figure 3: gating chain above graded chain, one panel per input amplitude.

    ``runs`` maps an amplitude to the recorded spikes ``{population: (steps, indices)}``.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4.6), sharey=True,
                             squeeze=False)
    for ax, (a, spikes) in zip(axes[0], runs.items()):
        band = 0
        for kind, color in (("stage", "C0"), ("gate", "0.3")):
            for j in range(n_stages):
                steps, idx = spikes[f"{kind}{j}"]
                size = max(int(idx.max()) + 1, 1) if len(idx) else 1
                y = band + idx / size * 0.9
                ax.plot(np.asarray(steps) * dt, y, "|", color=color, ms=2, mew=0.6)
                band += 1
            band += 0.5
        for j in range(n_stages):
            ax.axvspan((2 + j * T / dt) * dt, (2 + (j + 1) * T / dt) * dt, color="C1" if j % 2
                       else "C2", alpha=0.06, lw=0)
        ax.set_title(f"input amplitude {a:.2f} g0")
        ax.set_xlabel("time (ms)")
    ticks = [j + 0.45 for j in range(n_stages)] + [n_stages + 0.5 + j + 0.45 for j in range(n_stages)]
    labels = [f"graded {j}" for j in range(n_stages)] + [f"gate {j}" for j in range(n_stages)]
    axes[0][0].set_yticks(ticks, labels, fontsize=7)
    fig.suptitle("synfire-gated synfire chain: gate volleys (grey) open windows of the graded chain")
    return fig


def plot_robustness(results: dict):
    """Figure 4: mean absolute amplitude error (8 stages) against each perturbation."""
    import matplotlib.pyplot as plt

    names = sorted({k.split(" [")[0] for k in results})
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.6), sharey=True,
                             squeeze=False)
    for ax, name in zip(axes[0], names):
        for key, rows in results.items():
            if key.split(" [")[0] != name:
                continue
            v = [r[0] for r in rows]
            e = [100 * r[1] for r in rows]
            ax.plot(v, e, "o-", label=key.split("[")[1].rstrip("]"))
        ax.axhline(5, color="k", ls=":", lw=0.8)
        ax.set_xlabel(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("mean |amplitude error| over 8 stages (% of g0)")
    fig.suptitle("robustness of graded transfer (after calibration)")
    return fig


def plot_copy(result: dict, K, eta: float, label: str = "mean field", reference=None):
    """Figure 5: copy error against cycles (with the geometric law), K and L before/after.

    ``result`` is a :func:`~pulsegated.sgsc.copy.copy_matrix` or
    :func:`~pulsegated.sgsc.copy.run_copy` result; ``reference`` optionally the errors of another
    run (e.g. the mean field from the same start) drawn for comparison.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), gridspec_kw={"width_ratios": [2, 1, 1, 1]})
    e = np.asarray(result["errors"])
    c = np.arange(len(e))
    axes[0].semilogy(c, e, "o-", label=f"|L - K| / |K| ({label})")
    axes[0].semilogy(c, e[0] * (1 - eta) ** c, "k:", label=f"(1 - eta)^cycles, eta = {eta}")
    fit = e[: max(3, int(np.argmax(e < 0.05)) + 1)]
    rate = float(np.exp(np.polyfit(np.arange(len(fit)), np.log(fit), 1)[0]))
    axes[0].semilogy(c, e[0] * rate ** c, color="C0", lw=0.8, alpha=0.6,
                     label=f"fitted decay {rate:.2f} per cycle")
    if reference is not None:
        axes[0].semilogy(np.arange(len(reference)), reference, "s--", ms=3, color="C2",
                         label="mean field, same start")
    axes[0].axhline(0.05, color="C3", lw=0.8, ls="--", label="5 %")
    axes[0].set_xlabel("cycles over the columns")
    axes[0].xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    axes[0].legend(fontsize=7)
    axes[0].set_title("synaptic copy: geometric decay")
    vmax = float(np.max(K))
    for ax, M, title in zip(axes[1:], (K, result["L_history"][0], result["L"]),
                            ("K (circuit A)", "L before", f"L after {len(e) - 1} cycles")):
        ax.imshow(M, vmin=0, vmax=vmax, cmap="viridis")
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
        if M.size <= 36:  # small matrices: the values themselves
            for (i, j), v in np.ndenumerate(M):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                        color="w" if v < 0.6 * vmax else "k")
    return fig
