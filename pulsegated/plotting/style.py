"""The package's figure style: one place for fonts, layout, saving, colorbars and legends.

Every figure written by the package or its scripts starts here::

    from pulsegated.plotting.style import subplots, save_figure, labelled_colorbar, legend_outside

    fig, ax = subplots(figsize=(5, 4))
    im = ax.imshow(M)
    labelled_colorbar(im, ax, "weight change (integer units)")
    ax.set_xlabel("presynaptic neuron")
    ax.set_ylabel("postsynaptic neuron")
    save_figure(fig, "figures/example.png")

Conventions: every axis has a label with its unit (or ``/ g0``, ``(%)``, ``(integer units)`` for
dimensionless quantities); every colour scale has a labelled colorbar; legends sit outside the
data (:func:`legend_outside`) or in a corner that hides nothing (checked by
:func:`legend_overlaps_data`); there is no title drawn on an axes frame: panel titles are short
and set with :func:`panel_title`, a figure's statement goes in the caption (README) or in
``fig.suptitle``.  Layout is matplotlib's constrained layout, which keeps titles, colorbars and
outside legends clear of each other.

Nothing here runs a simulation.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np

from pulsegated.atomic import atomic_open

__all__ = ["STYLE", "DPI", "figure_style", "styled", "subplots", "save_figure", "labelled_colorbar",
           "legend_outside", "panel_title", "reference_line", "unlabelled_axes",
           "legend_overlaps_data", "data_extents"]

#: Resolution of written PNGs (dots per inch).
DPI = 120

#: rcParams of the package's figures.
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "figure.constrained_layout.use": True,
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.titlepad": 8,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.alpha": 0.3,
    "lines.linewidth": 1.4,
    "lines.markersize": 4,
    "image.cmap": "viridis",
}


@contextmanager
def figure_style(**overrides):
    """Context in which figures are created and drawn with the package style.

    Parameters
    ----------
    **overrides
        rcParams replacing entries of :data:`STYLE` (dots in names as underscores are not
        translated: pass a dict via ``**{"font.size": 10}``).
    """
    import matplotlib

    with matplotlib.rc_context({**STYLE, **overrides}):
        yield


def styled(func):
    """Decorator: run a plotting function inside :func:`figure_style`.

    Text, lines and legends take their defaults from rcParams when they are created, so every
    function that draws (not only the one that makes the figure) runs in the style.
    """
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with figure_style():
            return func(*args, **kwargs)

    return wrapper


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """``matplotlib.pyplot.subplots`` with the package style and constrained layout.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : matplotlib.axes.Axes or numpy.ndarray of Axes
    """
    import matplotlib.pyplot as plt

    with figure_style():
        kwargs.setdefault("layout", "constrained")
        return plt.subplots(nrows, ncols, **kwargs)


def save_figure(fig, path, dpi: int | None = None) -> Path:
    """Write ``fig`` to ``path`` atomically (never a half-written file) and close it.

    The format follows the suffix of ``path`` (``.png``, ``.pdf``, ``.svg``); the parent folder is
    created.  Figures without a layout engine get ``tight_layout`` first.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or os.PathLike
    dpi : int, optional
        Default :data:`DPI`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    try:
        with figure_style():
            if fig.get_layout_engine() is None:
                fig.tight_layout()
            with atomic_open(path) as f:
                fig.savefig(f, format=fmt, dpi=dpi or DPI)
    finally:
        plt.close(fig)
    return path


@styled
def labelled_colorbar(mappable, ax, label: str, **kwargs):
    """A colorbar for ``mappable`` next to ``ax`` (or a list of axes), with a label.

    Parameters
    ----------
    mappable : matplotlib.cm.ScalarMappable
        What ``imshow``, ``pcolormesh`` or ``scatter`` returned.
    ax : Axes or list of Axes
        Room for the colorbar is taken from these axes.
    label : str
        The quantity and its unit, e.g. ``"weight change (integer units)"``.
    **kwargs
        Passed to ``Figure.colorbar`` (``shrink``, ``location``, ...).

    Returns
    -------
    matplotlib.colorbar.Colorbar
    """
    if not label:
        raise ValueError("a colorbar needs a label (quantity and unit)")
    axes = ax if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
    fig = np.ravel(axes)[0].figure
    cb = fig.colorbar(mappable, ax=ax, **kwargs)
    cb.set_label(label)
    return cb


@styled
def legend_outside(ax, where: str = "right", ncol: int = 1, offset: float = 34.0, **kwargs):
    """A legend outside the axes, where it cannot hide data.

    Parameters
    ----------
    ax : Axes
    where : {"right", "below", "above"}
        ``"below"`` puts it under the x tick labels and the x label, ``"above"`` over the axes
        (and under a panel title only if there is none).
    ncol : int
        Columns of the legend.
    offset : float
        Distance (points) from the axes edge for ``"below"`` (room for tick labels and the axis
        label) and ``"right"``.
    **kwargs
        Passed to ``Axes.legend`` (``handles``, ``labels``, ``title``, ...).

    Returns
    -------
    matplotlib.legend.Legend
    """
    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure
    if where == "right":
        shift = ScaledTranslation(6 / 72, 0, fig.dpi_scale_trans)
        place = dict(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    elif where == "below":
        shift = ScaledTranslation(0, -offset / 72, fig.dpi_scale_trans)
        place = dict(loc="upper center", bbox_to_anchor=(0.5, 0.0))
    elif where == "above":
        shift = ScaledTranslation(0, 4 / 72, fig.dpi_scale_trans)
        place = dict(loc="lower center", bbox_to_anchor=(0.5, 1.0))
    else:
        raise ValueError(f"where must be 'right', 'below' or 'above', got {where!r}")
    return ax.legend(ncol=ncol, borderaxespad=0.0, bbox_transform=ax.transAxes + shift,
                     **{**place, **kwargs})


@styled
def panel_title(ax, text: str):
    """A short panel title above the axes, clear of the frame and the tick labels."""
    return ax.set_title(text, loc="left", pad=8)


@styled
def reference_line(ax, y: float, label: str, color: str = "0.3", ls: str = ":", lw: float = 0.9,
                   side: str = "right", **kwargs):
    """A horizontal reference line with its label written at the line, inside the axes.

    Parameters
    ----------
    y : float
        Height in data coordinates.
    label : str
        Written just above the line at the ``side`` end (and given to the legend machinery).
    side : {"right", "left"}

    Returns
    -------
    matplotlib.lines.Line2D
    """
    line = ax.axhline(y, color=color, ls=ls, lw=lw, label=label, **kwargs)
    x = 0.99 if side == "right" else 0.01
    ax.annotate(label, xy=(x, y), xycoords=("axes fraction", "data"), xytext=(0, 2),
                textcoords="offset points", ha=side, va="bottom", fontsize=7, color=color)
    return line


# ------------------------------------------------------------------------- checks (for tests)
def unlabelled_axes(fig) -> list:
    """Axes of ``fig`` that show ticks but lack an x or y label (colorbars: their label).

    Returns
    -------
    list of str
        One description per missing label (empty if every axis is labelled).
    """
    missing = []
    colorbar_axes = {id(a) for a in fig.axes if hasattr(a, "_colorbar")}
    for k, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison:
            continue
        if id(ax) in colorbar_axes:
            cb = ax._colorbar
            if not (cb.ax.get_ylabel() or cb.ax.get_xlabel()):
                missing.append(f"axes {k}: colorbar without label")
            continue
        for name, axis, label in (("x", ax.xaxis, ax.get_xlabel()),
                                  ("y", ax.yaxis, ax.get_ylabel())):
            has_ticks = any(t.get_text() for t in axis.get_ticklabels()) or len(axis.get_ticklocs())
            shared_label = _shared_label(ax, name)
            if has_ticks and axis.get_visible() and not (label or shared_label):
                title = ax.get_title() or ax.get_title("left")
                missing.append(f"axes {k} ({title!r}): no {name} label")
    return missing


def _shared_label(ax, name: str) -> bool:
    """Whether an axis sharing ``name`` with ``ax`` carries the label (shared axes label once)."""
    group = ax.get_shared_x_axes() if name == "x" else ax.get_shared_y_axes()
    for other in group.get_siblings(ax):
        if other is not ax and (other.get_xlabel() if name == "x" else other.get_ylabel()):
            return True
    return False


def data_extents(ax) -> list:
    """Display-space bounding boxes of the data drawn in ``ax`` (line points, images, patches).

    Lines are represented by their points (a box per point of a few pixels), so that a legend
    sitting in an empty corner between lines is not counted as hiding them.
    """
    from matplotlib.collections import Collection
    from matplotlib.image import AxesImage
    from matplotlib.transforms import Bbox

    boxes = []
    for line in ax.get_lines():
        if _is_axis_spanning(line):
            continue
        xy = np.column_stack([np.asarray(line.get_xdata(), float),
                              np.asarray(line.get_ydata(), float)])
        if not len(xy):
            continue
        xy = line.get_transform().transform(xy)
        for x, y in xy[np.all(np.isfinite(xy), axis=1)]:
            boxes.append(Bbox.from_extents(x - 2, y - 2, x + 2, y + 2))
    for coll in ax.collections:
        if isinstance(coll, Collection):
            offs = coll.get_offsets()
            if len(offs):
                xy = coll.get_offset_transform().transform(offs)
                for x, y in xy:
                    boxes.append(Bbox.from_extents(x - 2, y - 2, x + 2, y + 2))
    for im in ax.images:
        if isinstance(im, AxesImage):
            boxes.append(im.get_window_extent())
    return boxes


def legend_overlaps_data(ax) -> int:
    """Number of data points of ``ax`` that its legend covers (0: the legend hides nothing).

    Draws the figure first so that positions are final.
    """
    leg = ax.get_legend()
    if leg is None:
        return 0
    fig = ax.figure
    fig.canvas.draw()
    box = leg.get_window_extent()
    count = 0
    for b in data_extents(ax):
        if b.overlaps(box):
            count += 1
    # axhline / axvline span the axes: count them only if the legend crosses them
    for ln in ax.get_lines():
        if _is_axis_spanning(ln):
            xy = ln.get_transform().transform(np.column_stack([ln.get_xdata(), ln.get_ydata()]))
            (x0, y0), (x1, y1) = xy[0], xy[-1]
            if y0 == y1 and box.y0 < y0 < box.y1 and min(x0, x1) < box.x1 and max(x0, x1) > box.x0:
                count += 1
            elif (x0 == x1 and box.x0 < x0 < box.x1 and min(y0, y1) < box.y1
                  and max(y0, y1) > box.y0):
                count += 1
    return count


def _is_axis_spanning(line) -> bool:
    """Lines made by ``axhline``/``axvline`` (their transform mixes axes and data coordinates)."""
    from matplotlib.transforms import BlendedGenericTransform

    tr = line.get_transform()
    return any(isinstance(t, BlendedGenericTransform) for t in _transform_parts(tr))


def _transform_parts(tr):
    yield tr
    for name in ("_a", "_b", "_child"):
        sub = getattr(tr, name, None)
        if sub is not None:
            yield from _transform_parts(sub)
