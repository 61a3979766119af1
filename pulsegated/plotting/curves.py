"""Training curves: test and train accuracy of the readouts against epochs (the ramp readout's
only where the records have it).

Reference values are drawn with the wording of the README: for MNIST the published Loihi figure
(Renner et al., Nat. Commun. 2024), for Fashion-MNIST the authors' reference code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pulsegated.plotting.style import panel_title, styled, subplots

__all__ = ["Reference", "REFERENCES", "READOUTS", "plot_accuracy_curves", "plot_accuracy_runs",
           "accuracy_legend_handles"]

#: Readouts of a history record: key -> (legend label, line style).
READOUTS = {"acc_potential": ("potential argmax", "-"), "acc_spikes": ("spike argmax", "--"),
            "exact": ("exact one-hot", ":"),
            "acc_first_spike": ("first spike (ramp readout)", "-.")}
#: Colours of the test and train curves.
SPLIT_COLORS = {"test": "C0", "train": "C1"}


@dataclass(frozen=True)
class Reference:
    """An accuracy reported elsewhere, drawn for comparison.

    Parameters
    ----------
    label : str
        What it is and where it comes from.
    low, high : float
        Accuracy range (fractions); ``high = low`` for a single value.
    readout : str
        Readout key it refers to (its line style is used).
    epoch : int, optional
        The epoch it was reached after: drawn as a marker there; otherwise a horizontal band
        across the plot.
    """

    label: str
    low: float
    high: float
    readout: str = "acc_spikes"
    epoch: int | None = None


#: Reference accuracies per dataset, worded as in the README.
REFERENCES = {
    "mnist": (Reference("published Loihi figure, spike argmax, 96.2–96.3 %\n"
                        "(Renner et al., Nat. Commun. 2024)", 0.962, 0.963, "acc_spikes"),),
    "fashion-mnist": (
        Reference("authors' reference code, potential argmax,\n≈ 80 % after 15 epochs", 0.80,
                  0.80, "acc_potential", epoch=15),
        Reference("authors' reference code, spike argmax,\n≈ 77 % after 15 epochs", 0.77, 0.77,
                  "acc_spikes", epoch=15)),
}

_REFERENCE_COLOR = "k"
_REFERENCE_MARKERS = {"acc_potential": "*", "acc_spikes": "P", "exact": "X"}


@styled
def plot_accuracy_curves(history: list, ax=None, title: str | None = None, references=(),
                         legend: bool = True):
    """Test (and train) accuracy of the three readouts against epochs.

    Colour is the data split (test blue, train orange), line style the readout.

    Parameters
    ----------
    history : list of dict
        Evaluation records as produced by :class:`pulsegated.training.trainer.Trainer`.
    ax : Axes, optional
    title : str, optional
        A short panel title.
    references : sequence of Reference
        Accuracies from elsewhere (see :data:`REFERENCES`).
    legend : bool
        Draw the legend below the axes (set False when a figure carries one legend for all
        panels, see :func:`plot_accuracy_runs`).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = subplots(figsize=(6.4, 4.4))
    epochs = [r["epoch"] for r in history]
    has_train = bool(history) and "train" in history[0]
    for key, (_, ls) in READOUTS.items():
        if not history or key not in history[0]["test"]:
            continue
        ax.plot(epochs, [100 * r["test"][key] for r in history], ls, color=SPLIT_COLORS["test"],
                marker="o" if len(epochs) < 30 else None, ms=3)
        if has_train:
            ax.plot(epochs, [100 * r["train"][key] for r in history], ls,
                    color=SPLIT_COLORS["train"], alpha=0.8)
    for ref in references:
        _draw_reference(ax, ref, epochs)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    ax.grid(alpha=0.3)
    if title:
        panel_title(ax, title)
    if legend:
        from pulsegated.plotting.style import legend_outside
        handles, labels = accuracy_legend_handles(has_train, references,
                                                  _readouts_of(history))
        legend_outside(ax, "below", ncol=3, handles=handles, labels=labels)
    return ax


def _draw_reference(ax, ref: Reference, epochs) -> None:
    if ref.epoch is not None:
        ax.plot([ref.epoch], [100 * ref.low], ls="none", marker=_REFERENCE_MARKERS[ref.readout],
                color=_REFERENCE_COLOR, ms=7, mfc="none", mew=1.2, zorder=6, gid="reference")
    else:
        lo, hi = 100 * ref.low, 100 * ref.high
        ax.axhspan(lo, hi if hi > lo else lo + 0.02, color=_REFERENCE_COLOR, alpha=0.35, lw=0,
                   zorder=1)
        ax.axhline((lo + hi) / 2, color=_REFERENCE_COLOR, lw=0.8,
                   ls=READOUTS[ref.readout][1], alpha=0.8, zorder=1, gid="reference")


def _readouts_of(*histories) -> tuple:
    """The readout keys the records of every history hold."""
    return tuple(k for k in READOUTS
                 if all(k in h[0]["test"] for h in histories if h))


def accuracy_legend_handles(has_train: bool = True, references=(), readouts=None) -> tuple:
    """Legend entries of the accuracy figures: splits (colour), readouts (style; ``readouts``:
    the keys drawn, default all but the ramp readout's), references."""
    from matplotlib.lines import Line2D

    if readouts is None:
        readouts = tuple(k for k in READOUTS if k != "acc_first_spike")
    handles = [Line2D([], [], color=SPLIT_COLORS["test"], lw=2)]
    labels = ["test set"]
    if has_train:
        handles.append(Line2D([], [], color=SPLIT_COLORS["train"], lw=2))
        labels.append("training set")
    for key in readouts:
        label, ls = READOUTS[key]
        handles.append(Line2D([], [], color="0.3", ls=ls))
        labels.append(label)
    for ref in references:
        if ref.epoch is not None:
            handles.append(Line2D([], [], ls="none", marker=_REFERENCE_MARKERS[ref.readout],
                                  color=_REFERENCE_COLOR, ms=8, mfc="w", mew=1.2))
        else:
            handles.append(Line2D([], [], color=_REFERENCE_COLOR, ls=READOUTS[ref.readout][1],
                                  lw=0.8))
        labels.append(ref.label)
    return handles, labels


@styled
def plot_accuracy_runs(runs: dict, dataset: str, references=None):
    """One panel per seed, a shared ordinate and one legend for the figure.

    Parameters
    ----------
    runs : dict
        ``{seed: history}``.
    dataset : str
        Used in the panel titles and to look up :data:`REFERENCES` when ``references`` is None.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if references is None:
        references = REFERENCES.get(dataset, ())
    fig, axes = subplots(1, len(runs), figsize=(4.4 * len(runs), 4.6), sharey=True,
                         squeeze=False)
    lowest = 100.0
    for ax, (seed, hist) in zip(axes[0], runs.items()):
        plot_accuracy_curves(hist, ax=ax, title=f"{dataset}, seed {seed}", references=references,
                             legend=False)
        lowest = min(lowest, 100 * min(r["test"]["exact"] for r in hist))
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    axes[0][0].set_ylim(max(0.0, np.floor(lowest) - 5), 100)
    has_train = any("train" in h[0] for h in runs.values() if h)
    handles, labels = accuracy_legend_handles(has_train, references,
                                              _readouts_of(*runs.values()))
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 5))
    return fig
