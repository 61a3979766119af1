"""Figures of the SGSC chain and the nBP weight changes, drawn from synthetic results."""

import matplotlib
import numpy as np
import pytest
from brian2 import ms

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pulsegated.plotting.nbp import plot_weight_change, plot_weight_changes  # noqa: E402
from pulsegated.plotting.style import legend_overlaps_data, unlabelled_axes  # noqa: E402
from pulsegated.sgsc import figures as F  # noqa: E402
from pulsegated.sgsc.copy import copy_matrix  # noqa: E402


def _texts(fig):
    out = [t.get_text() for t in fig.texts]
    for leg in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        out += [t.get_text() for t in leg.get_texts()]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts] + [ax.get_title(), ax.get_title("left")]
    return out


def _robustness(seeds=(0, 1, 2)):
    res = {"seeds": list(seeds)}
    for key, values in (("jitter (ms) [even phases]", (0.0, 0.1, 0.5)),
                        ("neurons per population [even phases]", (100, 1000)),
                        ("neurons per population [random phases]", (100, 1000))):
        res[key] = [{"value": v, "mean": 0.02 + 0.1 * k, "sd": 0.01 * (k + 1),
                     "per_seed": [0.02 + 0.1 * k + 0.01 * s for s in seeds]}
                    for k, v in enumerate(values)]
    return res


def test_robustness_error_bars_are_the_seed_sd_and_the_5_percent_line_is_labelled():
    fig = F.plot_robustness(_robustness())
    ax_j = [ax for ax in fig.axes if ax.get_xlabel() == "jitter (ms)"][0]
    bars = ax_j.containers[0]
    seg = bars[2][0].get_segments()  # vertical error bars, one per point
    half = [(s[1][1] - s[0][1]) / 2 for s in seg]
    assert np.allclose(half, [1.0, 2.0, 3.0])  # 100 * sd, in % of g0
    assert "mean ± sd over 3 seeds" in fig.axes[0].get_ylabel()
    assert sum("5 % of g0" in t for t in _texts(fig)) == len(fig.axes)
    assert unlabelled_axes(fig) == []
    assert all(legend_overlaps_data(ax) == 0 for ax in fig.axes)
    plt.close(fig)


def test_copy_heatmaps_have_axes_labels_and_one_labelled_colorbar():
    K = np.random.default_rng(0).uniform(0.1, 1.0, (4, 3))
    res = copy_matrix(K, eta=0.3, cycles=6, rng=1)
    fig = F.plot_copy(res, K, 0.3, reference=res["errors"])
    colorbars = [ax for ax in fig.axes if hasattr(ax, "_colorbar")]
    assert len(colorbars) == 1 and "coupling" in colorbars[0].get_ylabel()
    assert "|L − K| / |K|" in fig.axes[0].get_ylabel()
    assert unlabelled_axes(fig) == []
    assert all(legend_overlaps_data(ax) == 0 for ax in fig.axes)
    plt.close(fig)


def test_transfer_spiking_markers_visible_and_stage_counts_grammatical():
    rng = np.random.default_rng(0)
    chains = {a: a + rng.normal(0, 0.003, 8) for a in np.linspace(0.1, 0.9, 5)}
    fig = F.plot_transfer_spiking(chains, stages=(1, 4, 7))
    texts = _texts(fig)
    assert not any("1 stages" in t for t in texts)
    assert any("1 stage " in t for t in texts)
    ax = fig.axes[0]
    spiking = [ln for ln in ax.lines if ln.get_label().startswith("spiking")]
    # coinciding points stay visible: distinct shapes, decreasing sizes, drawn above the lines
    assert len({ln.get_marker() for ln in spiking}) == 3
    sizes = [ln.get_markersize() for ln in spiking]
    assert sizes == sorted(sizes, reverse=True)
    assert all(ln.get_zorder() > 2 for ln in spiking)
    assert ax.get_legend() is None and legend_overlaps_data(fig.axes[1]) == 0
    assert unlabelled_axes(fig) == []
    plt.close(fig)


def test_chain_raster_says_black_and_draws_black():
    runs = {}
    for a in (0.2, 0.5):
        spikes = {}
        for j in range(3):
            spikes[f"stage{j}"] = (np.arange(20 + 50 * j, 60 + 50 * j, 4), np.arange(10))
            spikes[f"gate{j}"] = (np.full(10, 20 + 50 * j), np.arange(10))
        runs[a] = spikes
    fig = F.plot_chain_raster(runs, 0.1 * ms, 5 * ms, 3)
    texts = _texts(fig)
    assert not any("grey" in t for t in texts)
    assert any("gate" in t and "black" in t for t in texts)
    for ax in fig.axes:
        colors = {matplotlib.colors.to_rgb(ln.get_color()) for ln in ax.lines}
        assert (0.0, 0.0, 0.0) in colors
    assert unlabelled_axes(fig) == []
    plt.close(fig)


def test_meanfield_and_synfire_legends_hide_no_data():
    axes = F.plot_traces(n_stages=3)
    ax = F.plot_transfer_map()
    grid = {(a, s): {"counts": [a] * 10, "propagates": a > 40} for a in (35, 65) for s in (0, 1)}
    ax2 = F.plot_synfire_grid(grid)
    for fig in (axes[0].figure, ax.figure, ax2.figure):
        assert unlabelled_axes(fig) == []
        assert all(legend_overlaps_data(a) == 0 for a in fig.axes)
        plt.close(fig)


def test_weight_change_colorbar_units_and_centred_scale():
    dW = np.zeros((10, 30), dtype=int)
    dW[2, 5], dW[7, 1] = 4, -2
    ax, im, cb = plot_weight_change(dW, pre="hidden neuron", post="output neuron")
    assert cb is not None and cb.ax.get_ylabel() == "weight change ΔW (1/1024 of the firing threshold)"
    assert im.norm.vmin == -4 and im.norm.vmax == 4  # symmetric about no change
    assert ax.get_xlabel() == "hidden neuron (index)" and ax.get_ylabel() == "output neuron (index)"
    assert unlabelled_axes(ax.figure) == []
    plt.close(ax.figure)
    ax, im, cb = plot_weight_change(dW, rows=[2, 7], colorbar=False)
    assert cb is None and im.get_array().shape == (2, 30)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2", "7"]
    plt.close(ax.figure)
    with pytest.raises(ValueError):
        plot_weight_change(np.zeros(3))


def test_weight_changes_of_one_step():
    rng = np.random.default_rng(0)
    W1, W2 = rng.integers(-50, 50, (40, 20)), rng.integers(-50, 50, (10, 40))
    A1, A2 = W1.copy(), W2.copy()
    A1[[3, 9]] += 2
    A2[1, 4] -= 2
    fig = plot_weight_changes((W1, W2), (A1, A2))
    colorbars = [ax for ax in fig.axes if hasattr(ax, "_colorbar")]
    assert len(colorbars) == 1 and "1/1024 of the firing threshold" in colorbars[0].get_ylabel()
    assert "2 hidden neurons changed" in fig.axes[1].get_title("left")
    assert unlabelled_axes(fig) == []
    plt.close(fig)
