"""Figures of the nBP circuit: the learning-cycle raster, accuracy curves, weight changes.

Only drawing: the callers run the circuit or the trainer and pass what they recorded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pulsegated.plotting.curves import plot_accuracy_curves
from pulsegated.plotting.raster import plot_raster
from pulsegated.plotting.style import (labelled_colorbar, panel_title, save_figure, styled,
                                       subplots)

__all__ = ["save_learning_cycle", "save_accuracy_curve", "plot_weight_change",
           "plot_weight_changes", "WEIGHT_UNIT"]

#: Unit of the nBP weights: integers in 1/1024 of the firing threshold (learning keeps them even
#: and in the chip's mixed 8-bit range [-256, 254]).
WEIGHT_UNIT = "1/1024 of the firing threshold"


@styled
def save_learning_cycle(circuit, spikes: dict, sample: int, path, title: str | None = None) -> Path:
    """Write the raster of one learning cycle (one sample, all 12 phases) of the training circuit.

    Parameters
    ----------
    circuit : Circuit
        The scheduled training circuit (``net.circuit`` of a backend).
    spikes : dict
        ``{population: (steps, indices)}`` recorded from it.
    sample : int
        Which sample to show.
    path : str or os.PathLike
        Output file (written atomically).
    title : str, optional
        Panel title (default names the sample).

    Returns
    -------
    pathlib.Path
    """
    ax = plot_raster(circuit, spikes, samples=(sample, sample + 1),
                     title=title or f"one learning cycle of the {circuit.schedule.n_phases}-phase "
                                    f"circuit, sample {sample}")
    return save_figure(ax.figure, path)


@styled
def save_accuracy_curve(history: list, path, title: str | None = None, references=()) -> Path:
    """Write the accuracy curves of one training run.

    Parameters
    ----------
    history : list of dict
        Evaluation records of :class:`pulsegated.training.trainer.Trainer`.
    path : str or os.PathLike
        Output file (written atomically).
    title : str, optional
        Panel title.
    references : sequence of pulsegated.plotting.curves.Reference
        Accuracies from elsewhere drawn for comparison (none by default: the built-in subset has
        no published figure).

    Returns
    -------
    pathlib.Path
    """
    fig, ax = subplots(figsize=(6.4, 4.6))
    plot_accuracy_curves(history, ax=ax, title=title, references=references)
    return save_figure(fig, path)


@styled
def plot_weight_change(dW, ax=None, rows=None, pre: str = "presynaptic neuron",
                       post: str = "postsynaptic neuron", title: str | None = None,
                       vmax: float | None = None, colorbar: bool = True, unit: str = WEIGHT_UNIT):
    """Heat map of a weight change ``dW`` (rows: postsynaptic, columns: presynaptic neurons).

    A diverging colour scale centred on zero (red potentiation, blue depression) with a labelled
    colorbar.

    Parameters
    ----------
    dW : (n_post, n_pre) array
        E.g. ``after2 - before2`` (W2 is output x hidden, W1 hidden x input).
    ax : Axes, optional
    rows : sequence of int, optional
        Show only these rows (e.g. the neurons whose weights changed); the ordinate then counts
        the shown rows and the tick labels give their indices.
    pre, post : str
        Axis labels: what the columns and the rows are.
    title : str, optional
        Short panel title.
    vmax : float, optional
        Half-range of the colour scale (default: the largest absolute change, at least 1).
    colorbar : bool
        Add the labelled colorbar (pass False when several panels share one; use
        :func:`pulsegated.plotting.style.labelled_colorbar` on the returned image).
    unit : str
        Unit of the weights, used in the colorbar label.

    Returns
    -------
    ax : matplotlib.axes.Axes
    image : matplotlib.image.AxesImage
    colorbar : matplotlib.colorbar.Colorbar or None
    """
    dW = np.asarray(dW)
    if dW.ndim != 2:
        raise ValueError(f"dW must be a matrix, got shape {dW.shape}")
    shown = dW if rows is None else dW[np.asarray(rows, dtype=int)]
    if ax is None:
        _, ax = subplots(figsize=(6, 3.2))
    if vmax is None:
        vmax = max(float(np.max(np.abs(shown))) if shown.size else 0.0, 1.0)
    im = ax.imshow(shown, aspect="auto", cmap="RdBu_r", vmin=-vmax, vmax=vmax,
                   interpolation="nearest")
    ax.set_xlabel(f"{pre} (index)")
    if rows is None:
        ax.set_ylabel(f"{post} (index)")
    else:
        rows = np.asarray(rows, dtype=int)
        ax.set_ylabel(f"{post} (index; {len(rows)} shown)")
        if len(rows) <= 20:
            ax.set_yticks(range(len(rows)), [str(r) for r in rows], fontsize=7)
        else:
            ticks = np.linspace(0, len(rows) - 1, 6).astype(int)
            ax.set_yticks(ticks, [str(rows[t]) for t in ticks])
    if title:
        panel_title(ax, title)
    cb = labelled_colorbar(im, ax, f"weight change ΔW ({unit})") if colorbar else None
    return ax, im, cb


@styled
def plot_weight_changes(before: tuple, after: tuple, max_rows: int = 40, vmax: float | None = None):
    """ΔW2 (output x hidden) and ΔW1 (changed hidden neurons x input) of one learning step.

    Parameters
    ----------
    before, after : (W1, W2)
        Weights before and after (``net.weights()``).
    max_rows : int
        At most this many changed hidden neurons are shown in the ΔW1 panel.
    vmax : float, optional
        Half-range of the shared colour scale (default: the largest absolute change).

    Returns
    -------
    matplotlib.figure.Figure
    """
    (b1, b2), (a1, a2) = before, after
    d1 = np.asarray(a1, dtype=np.int64) - np.asarray(b1, dtype=np.int64)
    d2 = np.asarray(a2, dtype=np.int64) - np.asarray(b2, dtype=np.int64)
    changed = np.flatnonzero((d1 != 0).any(axis=1))
    if vmax is None:
        vmax = max(float(np.abs(d1).max(initial=0)), float(np.abs(d2).max(initial=0)), 1.0)
    fig, axes = subplots(1, 2, figsize=(11, 3.4))
    _, im, _ = plot_weight_change(d2, axes[0], pre="hidden neuron", post="output neuron",
                                  title="ΔW2 (output × hidden)", vmax=vmax, colorbar=False)
    rows = changed[:max_rows] if len(changed) else None
    plot_weight_change(d1, axes[1], rows=rows, pre="input pixel",
                       post="hidden neuron",
                       title=f"ΔW1: {len(changed)} hidden neurons changed"
                             + (f", first {max_rows} shown" if len(changed) > max_rows else ""),
                       vmax=vmax, colorbar=False)
    labelled_colorbar(im, list(axes), f"weight change ΔW ({WEIGHT_UNIT})")
    return fig
