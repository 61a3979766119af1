"""Figures of event-driven random backpropagation (eRBP): one sample's spikes, one neuron's
dendrite and its learning window, and learning curves.

Everything here draws recorded data: a :class:`~pulsegated.erbp.diagnostics.SampleRecord`
(:func:`pulsegated.erbp.diagnostics.record_sample`) and per-epoch training records
(``history.json`` of ``pulsegated erbp`` runs).  Nothing here runs a simulation; the figures of
the repository are written by :mod:`pulsegated.erbp.figures`.

States of the eRBP model are held in volt (the authors' dimensionless values, threshold 0.1, are
those numbers in volt), so the synaptic current ``I`` and the dendrite ``U`` are labelled in V.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pulsegated.plotting.style import (legend_outside, panel_title, save_figure, styled,
                                       subplots)

__all__ = ["POPULATION_COLORS", "PUBLISHED_ERROR", "plot_sample_raster", "plot_dendrite",
           "plot_sample", "save_sample_figure", "load_histories", "plot_learning_curves",
           "save_learning_curves", "split_by_network", "plot_learning_curves_by_network",
           "save_learning_curves_by_network"]

#: spike colour of each population of the eRBP network
POPULATION_COLORS = {"data": "C0", "label": "C1", "hidden": "C2", "prediction": "C3",
                     "error+": "C4", "error-": "C9"}
#: the published test error of 784-100-10 eRBP on MNIST (%), Neftci et al. 2017, Table 1
PUBLISHED_ERROR = 3.94
PUBLISHED_LABEL = "published eRBP 784-100-10: 3.94 % (Neftci et al. 2017)"
_LEARN_OFF_COLOR = "0.85"
_BOX_COLOR = "tab:orange"
_GATE_COLOR = "tab:green"
_TRUE_COLOR = "gold"


def _color(pop: str) -> str:
    return POPULATION_COLORS.get(pop, POPULATION_COLORS["hidden"] if pop.startswith("hidden")
                                 else "k")


@styled
def plot_sample_raster(rec, ax=None, populations=None, title: str | None = None,
                       legend: bool = True):
    """Spike raster of one sample: every population in its own band, time in ms.

    Bands are stacked bottom to top in the order of ``populations`` (input at the bottom, error
    neurons at the top), each of the same height whatever the population's size; the tick label
    of a band names the population and its size.  Within a band neuron ``i`` of ``n`` sits at
    height ``(i + 0.5) / n``.  The row of the sample's class is marked in the label, prediction
    and error bands, and the first ``learn_off`` ms (no learning) are shaded.

    Parameters
    ----------
    rec : SampleRecord
        What :func:`~pulsegated.erbp.diagnostics.record_sample` returned.
    ax : matplotlib.axes.Axes, optional
    populations : sequence of str, optional
        Bands, bottom to top (default: every recorded population, input first).
    title : str, optional
        A short panel title.
    legend : bool
        A legend (class row, learning off) outside the axes, to the right.

    Returns
    -------
    matplotlib.axes.Axes
        Each population's spikes are one line with ``gid`` = the population's name.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if populations is None:
        populations = list(rec.spikes)
    unknown = [p for p in populations if p not in rec.spikes]
    if unknown:
        raise ValueError(f"plot_sample_raster: no spikes recorded for {unknown}")
    if ax is None:
        _, ax = subplots(figsize=(8, 0.55 * len(populations) + 1.6))
    dur_ms = rec.duration * 1e3
    ax.axvspan(0, rec.learn_off * 1e3, color=_LEARN_OFF_COLOR, lw=0, zorder=0)
    height_pt = None
    for k, pop in enumerate(populations):
        n = rec.sizes[pop]
        t, i = rec.spikes[pop]
        y = k + (np.asarray(i) + 0.5) / n
        if height_pt is None:
            ax.figure.canvas.draw()  # sizes in points are final only after a draw
            bbox = ax.get_window_extent()
            height_pt = bbox.height * 72 / ax.figure.dpi / len(populations)
        row = height_pt / n
        ms = float(np.clip(0.8 * row, 1.5, 6.0))
        if rec.label is not None and n == len(rec.counts) and pop != "data":
            ax.axhspan(k + rec.label / n, k + (rec.label + 1) / n, color=_TRUE_COLOR, alpha=0.35,
                       lw=0, zorder=0)
        ax.plot(np.asarray(t) * 1e3, y, ls="none", marker="|", ms=ms, mew=0.6 if n > 50 else 1.0,
                color=_color(pop), gid=pop, rasterized=n > 50)
        if k:
            ax.axhline(k, color="0.6", lw=0.5)
    ax.set_yticks(np.arange(len(populations)) + 0.5)
    ax.set_yticklabels([f"{p}\n({rec.sizes[p]}: {_spikes(len(rec.spikes[p][0]))})"
                        for p in populations], fontsize=7)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(0, len(populations))
    ax.set_xlim(0, dur_ms)
    ax.set_xlabel("time from sample onset (ms)")
    ax.set_ylabel("population (neurons: spikes)")
    if legend:
        handles = [Patch(color=_LEARN_OFF_COLOR, label=f"learning off\n(first "
                                                       f"{rec.learn_off * 1e3:g} ms)")]
        if rec.label is not None:
            handles.append(Patch(color=_TRUE_COLOR, alpha=0.5,
                                 label=f"row of the true class ({rec.label})"))
        handles += [Line2D([], [], ls="none", marker="|", ms=7, mew=1.5, color=_color(p),
                           label=p) for p in populations]
        legend_outside(ax, "right", handles=handles)
    if title:
        panel_title(ax, title)
    return ax


@styled
def plot_dendrite(rec, neuron: int = 0, ax_I=None, ax_U=None, legend: bool = True):
    """One neuron over the sample: its synaptic current ``I`` with the boxcar, and its dendrite
    ``U``.

    ``I`` (upper axes) is drawn with the boxcar ``b_min < I < b_max`` as a shaded horizontal band:
    a presynaptic spike changes the weight only while ``I`` lies in it (and after ``learn_off``).
    The steps in which the rule is on are marked as a strip under the trace, the neuron's own
    spikes as ticks above it.  ``U`` (lower axes), the low-pass filtered error that reaches the
    dendrite, is what an open rule adds (times ``eta``) to every weight onto the neuron at a
    presynaptic spike.  Both are read before the spikes of each step are delivered (the values
    the rule reads) and drawn as steps.

    Parameters
    ----------
    rec : SampleRecord
    neuron : int
        Position in ``rec.neurons``.
    ax_I, ax_U : matplotlib.axes.Axes, optional
        Axes of ``I`` and of ``U`` (a new figure with both when omitted).
    legend : bool
        A legend outside ``ax_I``, to the right.

    Returns
    -------
    (Axes, Axes)
        ``ax_I`` and ``ax_U``; the boxcar band is the patch of ``ax_I`` with ``gid="boxcar"``.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if ax_I is None or ax_U is None:
        _, (ax_I, ax_U) = subplots(2, 1, figsize=(7, 4), sharex=True)
    pop, idx = rec.neurons[neuron]
    t = rec.t * 1e3
    I = rec.state["I"][neuron]
    U = rec.state["U"][neuron]
    lo, hi = rec.box
    dt_ms = rec.dt * 1e3
    te = np.append(t, t[-1] + dt_ms)  # step edges
    ax_I.axvspan(0, rec.learn_off * 1e3, color=_LEARN_OFF_COLOR, lw=0, zorder=0)
    ax_U.axvspan(0, rec.learn_off * 1e3, color=_LEARN_OFF_COLOR, lw=0, zorder=0)
    band = ax_I.axhspan(lo, hi, color=_BOX_COLOR, alpha=0.18, lw=0, zorder=0.5, gid="boxcar")
    for y in (lo, hi):
        ax_I.axhline(y, color=_BOX_COLOR, lw=0.7, ls="--", zorder=0.6)
    ax_I.stairs(I, te, color="k", lw=1.0, label="I", zorder=2)
    y_lo = min(float(I.min()), lo)
    y_hi = max(float(I.max()), hi)
    span = y_hi - y_lo
    on = rec.learning_on(neuron)
    strip = (y_lo - 0.16 * span, y_lo - 0.06 * span)
    for a, b in _runs(on):
        ax_I.add_patch(_rect(te[a], strip[0], te[b] - te[a], strip[1] - strip[0], _GATE_COLOR))
    st, si = rec.spikes[pop]
    own = np.asarray(st)[np.asarray(si) == idx] * 1e3
    y_spk = y_hi + 0.1 * span
    ax_I.plot(own, np.full(len(own), y_spk), ls="none", marker="|", ms=6, mew=1.0,
              color=_color(pop), gid="spikes")
    ax_I.set_ylim(strip[0] - 0.04 * span, y_spk + 0.08 * span)
    ax_I.set_ylabel("synaptic current I (V)")
    ax_U.axhline(0, color="0.6", lw=0.6)
    ax_U.stairs(U, te, color="tab:purple", lw=1.0, zorder=2)
    ax_U.set_ylabel("dendrite U (V)")
    ax_U.set_xlabel("time from sample onset (ms)")
    ax_U.set_xlim(0, rec.duration * 1e3)
    ax_I.set_xlim(0, rec.duration * 1e3)
    ax_I.tick_params(labelbottom=False)
    panel_title(ax_I, f"{pop} neuron {idx}: current I and the boxcar")
    panel_title(ax_U, f"{pop} neuron {idx}: dendrite U (error it receives)")
    if legend:
        handles = [Line2D([], [], color="k", lw=1.0, label="I (before delivery)"),
                   Patch(color=_BOX_COLOR, alpha=0.3,
                         label=f"boxcar {lo:g} V < I < {hi:g} V"),
                   Patch(color=_GATE_COLOR, label=f"rule on ({100 * on.mean():.0f} % of steps)"),
                   Line2D([], [], ls="none", marker="|", ms=7, mew=1.5, color=_color(pop),
                          label=f"spikes of the neuron ({len(own)})"),
                   Patch(color=_LEARN_OFF_COLOR, label="learning off")]
        legend_outside(ax_I, "right", handles=handles)
    return ax_I, ax_U


_MARKERS = ("o", "^", "D", "v")


def _spikes(n: int) -> str:
    return f"{n} spike" if n == 1 else f"{n} spikes"


def _runs(mask) -> list:
    """``(start, stop)`` of every run of True in ``mask``."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def _rect(x, y, w, h, color):
    from matplotlib.patches import Rectangle
    return Rectangle((x, y), w, h, color=color, lw=0, zorder=1)


@styled
def plot_sample(rec, neuron: int | None = None, title: str | None = None):
    """The sample figure: the raster of every population above ``I`` and ``U`` of one neuron.

    Parameters
    ----------
    rec : SampleRecord
    neuron : int, optional
        Position in ``rec.neurons`` of the neuron of the lower panels (default:
        :func:`~pulsegated.erbp.diagnostics.pick_neuron`, the hidden neuron with the most error
        while its rule is on).
    title : str, optional
        The figure's title (``suptitle``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if neuron is None:
        from pulsegated.erbp.diagnostics import pick_neuron
        pops = [p for p, _ in rec.neurons]
        neuron = pick_neuron(rec, "hidden" if "hidden" in pops else pops[0])
    fig, axes = subplots(3, 1, figsize=(9, 8.2), sharex=True,
                         gridspec_kw={"height_ratios": [2.6, 1.0, 0.8]})
    which = "training" if rec.train else "test"
    label = "" if rec.label is None else f", class {rec.label}"
    pred = int(np.argmax(rec.counts)) if rec.counts.max() > 0 else None
    plot_sample_raster(rec, ax=axes[0],
                       title=f"one {which} sample{label}: prediction spikes per class "
                             f"{rec.counts.tolist()} (readout: {pred})")
    axes[0].tick_params(labelbottom=False)
    axes[0].set_xlabel("")
    plot_dendrite(rec, neuron, axes[1], axes[2])
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def save_sample_figure(rec, path, neuron: int | None = None, title: str | None = None) -> Path:
    """Write :func:`plot_sample` of ``rec`` to ``path`` (atomically); return ``path``."""
    return save_figure(plot_sample(rec, neuron, title), path)


# ----------------------------------------------------------------------------- learning curves
def load_histories(root="results", pattern: str = "erbp_*/history.json") -> dict:
    """Per-epoch records of every run folder under ``root`` matching ``pattern``.

    Returns
    -------
    dict of str -> list of dict
        ``{run folder name: records}``, sorted by name; folders whose file cannot be read or holds
        no record are left out.
    """
    runs = {}
    for path in sorted(Path(root).glob(pattern)):
        try:
            recs = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(recs, list) and recs and all("test_error" in r for r in recs):
            runs[path.parent.name] = recs
    return runs


@styled
def plot_learning_curves(runs: dict, ax=None, reference: float | None = PUBLISHED_ERROR,
                         reference_label: str = PUBLISHED_LABEL, train: bool = True,
                         title: str | None = None, numpy_rows: dict | None = None):
    """Test error (%) per epoch of every run, the online training error dashed.

    Parameters
    ----------
    runs : dict of str -> list of dict
        ``{name: records}`` with keys ``epoch``, ``test_error`` (fraction) and, for the training
        curve, ``train_error_online`` (:func:`load_histories`).  The name labels the run.
    ax : matplotlib.axes.Axes, optional
    reference : float or None
        A published test error (%) drawn as a dashed line (default 3.94 %, 784-100-10 eRBP on
        MNIST, Neftci et al. 2017).
    reference_label : str
    train : bool
        Also draw the online training error (read while the samples are learned; optimistic).
    title : str, optional
    numpy_rows : dict, optional
        ``{label: (epochs, test errors in %)}``: rate-based reference curves (e.g. the numpy
        random BP and BP of the same network), drawn grey over the runs' epochs.

    Returns
    -------
    matplotlib.axes.Axes
        The test curve of run ``name`` is the line with ``gid=name``.
    """
    from matplotlib.lines import Line2D

    if ax is None:
        _, ax = subplots(figsize=(7, 4.4))
    top, last = 0.0, 1
    handles = []
    for k, (name, recs) in enumerate(runs.items()):
        color, marker = f"C{k % 10}", _MARKERS[(k // 10) % len(_MARKERS)]  # never two alike
        ep = np.array([r["epoch"] for r in recs])
        te = 100 * np.array([r["test_error"] for r in recs])
        n_test = recs[-1].get("test_samples")
        extra = f" ({n_test} test images)" if n_test else ""
        (ln,) = ax.plot(ep, te, "-", marker=marker, color=color, ms=5, gid=name,
                        label=name + extra)
        handles.append(ln)
        top = max(top, te.max())
        if train and all("train_error_online" in r for r in recs):
            tr = 100 * np.array([r["train_error_online"] for r in recs])
            ax.plot(ep, tr, "--s", color=color, ms=4, mfc="white", gid=name + " (train)")
            top = max(top, tr.max())
        last = max(last, int(ep.max()))
    for j, (label, (ep, err)) in enumerate((numpy_rows or {}).items()):
        ep, err = np.asarray(ep), np.asarray(err, dtype=float)
        keep = ep <= max(last, 1)
        (ln,) = ax.plot(ep[keep], err[keep], [":", "-."][j % 2], color="0.45", lw=1.4,
                        gid=label, label=label)
        handles.append(ln)
        top = max(top, float(err[keep].max()) if keep.any() else 0.0)
    if reference is not None:
        ax.axhline(reference, color="k", ls="--", lw=1.0, gid="reference")
        handles.append(Line2D([], [], color="k", ls="--", lw=1.0, label=reference_label))
        top = max(top, reference)
    if train and runs:
        handles += [Line2D([], [], color="0.3", ls="-", marker="o", ms=5, label="test error"),
                    Line2D([], [], color="0.3", ls="--", marker="s", ms=4, mfc="white",
                           label="online training error")]
    if not runs:
        ax.text(0.5, 0.5, "no training records found", transform=ax.transAxes, ha="center",
                va="center", color="0.4")
    ax.set_xlim(0.5, last + 0.5)
    ax.set_xticks(np.arange(1, last + 1))
    ax.set_ylim(0, 1.12 * max(top, 1.0))
    per = {r[0]["samples"] // max(int(r[0]["epoch"]), 1) for r in runs.values()
           if "samples" in r[0]}
    ax.set_xlabel(f"epoch ({next(iter(per)):,} training samples each)".replace(",", " ")
                  if len(per) == 1 else "epoch")
    ax.set_ylabel("error (%)")
    ax.grid(True, axis="y")
    legend_outside(ax, "below", handles=handles, ncol=2 if len(handles) > 8 else 1)
    if title:
        panel_title(ax, title)
    return ax


def split_by_network(runs: dict) -> dict:
    """``{network: {name: records}}`` of :func:`load_histories`' runs, networks by size."""
    groups = {}
    for name, recs in runs.items():
        groups.setdefault(str(recs[0].get("network", "?")), {})[name] = recs
    return dict(sorted(groups.items(), key=lambda kv: (len(kv[0]), kv[0])))


@styled
def plot_learning_curves_by_network(runs: dict, published: dict | None = None,
                                    numpy_rows: dict | None = None, train: bool = True,
                                    title: str | None = None):
    """:func:`plot_learning_curves` with one panel per network, one above the other.

    Parameters
    ----------
    runs : dict of str -> list of dict
        As for :func:`plot_learning_curves`; each record names its ``network``.
    published : dict, optional
        ``{network: published eRBP test error (%)}``, drawn as each panel's dashed line.
    numpy_rows : dict, optional
        ``{network: {label: (epochs, errors %)}}``, each panel's reference curves.
    train : bool
    title : str, optional
        Prefix of the panels' titles (``"<title>: <network>"``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    groups = split_by_network(runs) or {"784-100-10": {}}
    fig, axes = subplots(len(groups), 1, squeeze=False,
                         figsize=(8.5, sum(4.6 + 0.2 * len(g) for g in groups.values())))
    for ax, (net, group) in zip(axes[:, 0], groups.items()):
        ref = (published or {}).get(net)
        plot_learning_curves(group, ax=ax, reference=ref, train=train,
                             reference_label=f"published eRBP {net}: {ref:g} % "
                                             f"(Neftci et al. 2017)" if ref is not None else "",
                             title=f"{title}: {net}" if title else net,
                             numpy_rows=(numpy_rows or {}).get(net))
    return fig


def save_learning_curves(runs: dict, path, title: str | None = None, **kwargs) -> Path:
    """Write :func:`plot_learning_curves` of ``runs`` to ``path``; return ``path``."""
    ax = plot_learning_curves(runs, title=title, **kwargs)
    return save_figure(ax.figure, path)


def save_learning_curves_by_network(runs: dict, path, **kwargs) -> Path:
    """Write :func:`plot_learning_curves_by_network` of ``runs`` to ``path``; return ``path``."""
    return save_figure(plot_learning_curves_by_network(runs, **kwargs), path)
