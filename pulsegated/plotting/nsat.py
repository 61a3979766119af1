"""The Mihalas--Niebur behaviour gallery: potential, threshold, spikes and input current.

:func:`plot_behaviour` and :func:`plot_behaviour_gallery` only draw recorded
:class:`~pulsegated.nsat.behaviours.BehaviourRun` objects; :func:`save_behaviour_gallery` runs the
behaviours it is not given (Brian2 backend, numpy code generation) and writes the figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pulsegated.plotting.style import panel_title, save_figure, styled, subplots

__all__ = ["plot_behaviour", "plot_behaviour_gallery", "save_behaviour_gallery", "GALLERY"]

#: Behaviours of the gallery, in panel order (keys of :data:`pulsegated.nsat.BEHAVIOURS`).
GALLERY = ("tonic_spiking", "phasic_spiking", "tonic_bursting", "phasic_bursting",
           "spike_frequency_adaptation", "class_1_excitability")

_V_COLOR, _THETA_COLOR, _SPIKE_COLOR, _I_COLOR = "black", "tab:red", "tab:blue", "0.35"


@styled
def plot_behaviour(run, ax_v, ax_i, title: str | None = None):
    """Draw one behaviour: ``V`` and ``Theta`` with the spikes marked above them on ``ax_v``, the
    input current on ``ax_i`` (time in ms on both).

    Parameters
    ----------
    run : BehaviourRun
        What :func:`~pulsegated.nsat.behaviours.run_behaviour` returned.
    ax_v, ax_i : matplotlib.axes.Axes
        Axes of the potentials and of the current (share x).
    title : str, optional
        Panel title (default: the behaviour's title).

    Returns
    -------
    list of matplotlib.artist.Artist
        The potential, threshold and spike artists (for a legend).
    """
    from pulsegated.nsat.behaviours import BEHAVIOURS

    t = np.asarray(run.t) * 1e3
    V = np.asarray(run.V) * 1e3
    theta = np.asarray(run.theta) * 1e3
    spikes = np.asarray(run.spike_times) * 1e3
    (lv,) = ax_v.plot(t, V, color=_V_COLOR, lw=1.0, label="potential V")
    (lt,) = ax_v.plot(t, theta, color=_THETA_COLOR, lw=1.2, ls="--", label="threshold Θ")
    top = max(V.max(), theta.max())
    bottom = min(V.min(), theta.min())
    span = max(top - bottom, 1.0)
    y_spike = top + 0.12 * span
    (ls,) = ax_v.plot(spikes, np.full(len(spikes), y_spike), ls="none", marker="|",
                      markersize=7, markeredgewidth=1.2, color=_SPIKE_COLOR, label="spike")
    ax_v.set_ylim(bottom - 0.05 * span, top + 0.22 * span)
    ax_v.set_ylabel("potential (mV)")
    ax_v.tick_params(labelbottom=False)
    panel_title(ax_v, title or BEHAVIOURS[run.name].title)
    ax_i.plot(t, np.asarray(run.I_e), color=_I_COLOR, lw=1.2)
    i_max = max(float(np.max(np.asarray(run.I_e))), 0.1)
    ax_i.set_ylim(min(float(np.min(np.asarray(run.I_e))), 0.0) - 0.15 * i_max, 1.25 * i_max)
    ax_i.set_ylabel("$I_e/C$\n(V/s)")
    ax_i.set_xlabel("time (ms)")
    step = t[1] - t[0] if len(t) > 1 else 0.0
    ax_i.set_xlim(t[0], t[-1] + step)
    return [lv, lt, ls]


@styled
def plot_behaviour_gallery(runs: dict, names=GALLERY):
    """The gallery figure: one panel per behaviour, two a row, and one legend above them.

    Each panel shows the membrane potential V and the threshold Θ (mV) against time (ms), the
    spikes as ticks above them, and under them the input current I_e / C (V/s).

    Parameters
    ----------
    runs : dict
        ``{name: BehaviourRun}`` holding every name of ``names``.
    names : sequence of str
        Behaviours to draw, in panel order.

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = list(names)
    if not names:
        raise ValueError("plot_behaviour_gallery: no behaviours to draw")
    missing = [n for n in names if n not in runs]
    if missing:
        raise ValueError(f"plot_behaviour_gallery: no run of {', '.join(missing)}")
    ncols = 2 if len(names) > 1 else 1
    nrows = -(-len(names) // ncols)
    fig, axes = subplots(2 * nrows, ncols, figsize=(7.6, 2.55 * nrows + 0.5),
                         gridspec_kw={"height_ratios": [3, 1] * nrows}, squeeze=False)
    handles = None
    for k, name in enumerate(names):
        r, c = divmod(k, ncols)
        ax_v, ax_i = axes[2 * r, c], axes[2 * r + 1, c]
        ax_i.sharex(ax_v)
        handles = plot_behaviour(runs[name], ax_v, ax_i)
    for k in range(len(names), nrows * ncols):  # an odd count leaves one cell empty
        r, c = divmod(k, ncols)
        axes[2 * r, c].set_visible(False)
        axes[2 * r + 1, c].set_visible(False)
    fig.legend(handles=handles, loc="outside upper center", ncol=3)
    return fig


def save_behaviour_gallery(path, names=GALLERY, runs: dict | None = None, dt=None,
                           codegen: str = "numpy") -> Path:
    """Write the gallery of the Mihalas--Niebur behaviours (:func:`plot_behaviour_gallery`).

    Parameters
    ----------
    path : str or os.PathLike
        Output file (written atomically; the format follows the suffix).
    names : sequence of str
        Behaviours to draw (keys of :data:`pulsegated.nsat.BEHAVIOURS`), two panels a row.
    runs : dict, optional
        ``{name: BehaviourRun}`` already recorded; the others are run now with
        :func:`~pulsegated.nsat.behaviours.run_behaviour` at their default durations.
    dt : Quantity, optional
        Step of the runs made here (default 0.1 ms).
    codegen : {"numpy", "cython"}
        Code generation of the runs made here.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    from pulsegated.nsat.behaviours import run_behaviour

    names = list(names)
    runs = dict(runs or {})
    for name in names:
        if name not in runs:
            kwargs = {} if dt is None else {"dt": dt}
            runs[name] = run_behaviour(name, codegen=codegen, **kwargs)
    return save_figure(plot_behaviour_gallery(runs, names), path)


def main(argv=None) -> int:
    """``python -m pulsegated.plotting.nsat PATH``: run every behaviour and write the gallery."""
    import argparse

    ap = argparse.ArgumentParser(description="Write the gallery of the Mihalas-Niebur "
                                             "behaviours.")
    ap.add_argument("path", nargs="?", default="figures/nsat_behaviours.png")
    args = ap.parse_args(argv)
    Path(args.path).parent.mkdir(parents=True, exist_ok=True)
    print(save_behaviour_gallery(args.path))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
