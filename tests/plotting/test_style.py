import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pulsegated.plotting.style import (labelled_colorbar, legend_outside,  # noqa: E402
                                       legend_overlaps_data, reference_line, save_figure,
                                       subplots, unlabelled_axes)


def test_save_figure_writes_atomically_and_closes(tmp_path):
    fig, ax = subplots()
    ax.plot([0, 1], [0, 1])
    path = save_figure(fig, tmp_path / "sub" / "a.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig.number)
    assert [p.name for p in path.parent.iterdir()] == ["a.png"]  # no temporary left behind


def test_save_figure_leaves_the_old_file_on_error(tmp_path):
    path = tmp_path / "a.png"
    path.write_bytes(b"old")
    fig, ax = subplots()
    ax.plot([0, 1], [0, 1])
    with pytest.raises(ValueError):
        save_figure(fig, tmp_path / "a.nosuchformat")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_colorbar_needs_and_gets_a_label():
    fig, ax = subplots()
    im = ax.imshow(np.eye(3))
    with pytest.raises(ValueError, match="label"):
        labelled_colorbar(im, ax, "")
    cb = labelled_colorbar(im, ax, "rate (Hz)")
    assert cb.ax.get_ylabel() == "rate (Hz)"
    ax.set_xlabel("x (ms)")
    ax.set_ylabel("y (ms)")
    assert unlabelled_axes(fig) == []
    plt.close(fig)


def test_unlabelled_axes_finds_missing_labels():
    fig, (a, b) = subplots(1, 2)
    a.plot([0, 1], [0, 1])
    a.set_xlabel("t (ms)")
    b.imshow(np.eye(2))
    b.set_xlabel("i")
    b.set_ylabel("j")
    fig.colorbar(b.images[0], ax=b)
    missing = unlabelled_axes(fig)
    assert any("no y label" in m for m in missing)
    assert any("colorbar without label" in m for m in missing)
    plt.close(fig)


def test_legend_overlap_is_detected_and_outside_legends_hide_nothing():
    fig, ax = subplots(figsize=(4, 3))
    x = np.linspace(0, 1, 200)
    ax.plot(x, np.full_like(x, 0.95), label="high")
    ax.plot(x, x, label="rising")
    ax.legend(loc="upper left")
    assert legend_overlaps_data(ax) > 0  # the positive control: an inside legend on the data
    legend_outside(ax, "right")
    assert legend_overlaps_data(ax) == 0
    legend_outside(ax, "below")
    assert legend_overlaps_data(ax) == 0
    plt.close(fig)


def test_reference_line_is_labelled_at_the_line():
    fig, ax = subplots()
    ax.plot([0, 1], [0, 10])
    line = reference_line(ax, 5, "5 % of g0")
    assert line.get_label() == "5 % of g0"
    assert line.get_ydata()[0] == 5
    assert [t.get_text() for t in ax.texts] == ["5 % of g0"]
    plt.close(fig)
