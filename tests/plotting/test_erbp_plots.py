"""eRBP figures: one recorded sample of a small network (raster, I with the boxcar, U) and the
learning curves of history.json records."""

import json

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

brian2 = pytest.importorskip("brian2")

from pulsegated.erbp.diagnostics import RASTER_POPULATIONS, pick_neuron, record_sample  # noqa: E402
from pulsegated.erbp.network import ERBPNetwork  # noqa: E402
from pulsegated.erbp.params import ERBPParams  # noqa: E402
from pulsegated.erbp.weights import feedback_matrix, init_forward  # noqa: E402
from pulsegated.plotting import erbp as E  # noqa: E402
from pulsegated.plotting.style import legend_overlaps_data, unlabelled_axes  # noqa: E402

BOX = (-0.7, 0.9)


@pytest.fixture(scope="module")
def recorded():
    """A 30-8-3 network, one training sample recorded (1 ms steps, 100 ms samples)."""
    rng = np.random.default_rng(3)
    p = ERBPParams(dt=1e-3, sample_duration=0.1, learn_off=0.02, boxcar=BOX)
    W = init_forward([30, 8, 3], rng, 3.0)
    G = feedback_matrix(8, 3, rng)
    net = ERBPNetwork(W, G, p, codegen="numpy", chunk=2, seed=5, name="plot_erbp")
    n_objects = net.n_objects
    x = (rng.random(30) < 0.5).astype(float)
    w0 = net.weights()
    rec = record_sample(net, x, label=1, train=True, keep_weights=True)
    return net, rec, n_objects, w0


def test_record_sample_leaves_the_network_as_it_was(recorded):
    net, rec, n_objects, w0 = recorded
    assert net.n_objects == n_objects  # the monitors are gone again
    assert all(np.array_equal(a, b) for a, b in zip(net.weights(), w0))
    # the monitors saw what the network's own spike counters counted
    totals = rec.info["spike_totals"]
    assert {k: len(rec.spikes[k][0]) for k in RASTER_POPULATIONS} == totals
    assert rec.state["U"].shape == (8 + 3, net.params.steps_per_sample)
    assert rec.spikes["label"][0].size > 0 and set(rec.spikes["label"][1]) == {1}


def test_sample_raster_draws_every_recorded_spike(recorded, tmp_path):
    _, rec, _, _ = recorded
    ax = E.plot_sample_raster(rec)
    drawn = {ln.get_gid(): len(ln.get_xdata()) for ln in ax.lines if ln.get_gid()}
    assert drawn == {k: len(rec.spikes[k][0]) for k in RASTER_POPULATIONS}
    assert sum(drawn.values()) == rec.n_spikes() > 0
    lo, hi = ax.get_xlim()
    assert lo == 0 and hi == pytest.approx(100.0)  # ms
    assert all(0 <= t <= 100 for ln in ax.lines if ln.get_gid() for t in ln.get_xdata())
    assert unlabelled_axes(ax.figure) == []
    assert legend_overlaps_data(ax) == 0
    plt.close(ax.figure)


def test_dendrite_panel_boxcar_band_is_the_params_boxcar(recorded):
    net, rec, _, _ = recorded
    k = pick_neuron(rec)
    ax_I, ax_U = E.plot_dendrite(rec, k)
    band = [p for p in ax_I.patches if p.get_gid() == "boxcar"]
    assert len(band) == 1
    b = band[0]
    if hasattr(b, "get_height"):  # a Rectangle (matplotlib >= 3.9)
        y0, y1 = b.get_y(), b.get_y() + b.get_height()
    else:  # a Polygon in (axes x, data y)
        ys = np.asarray(b.get_xy())[:, 1]
        y0, y1 = ys.min(), ys.max()
    assert (y0, y1) == pytest.approx(net.params.box) and net.params.box == BOX
    assert "(V)" in ax_I.get_ylabel() and "(V)" in ax_U.get_ylabel()
    assert "(ms)" in ax_U.get_xlabel()
    plt.close(ax_I.figure)


def test_sample_figure_is_a_png(recorded, tmp_path):
    _, rec, _, _ = recorded
    fig = E.plot_sample(rec, title="small")
    assert unlabelled_axes(fig) == []
    path = E.save_sample_figure(rec, tmp_path / "sample.png", title="small")
    assert path.stat().st_size > 10000 and path.read_bytes()[:4] == b"\x89PNG"
    plt.close("all")


def _history(errors, train):
    return [{"epoch": k + 1, "samples": 50000 * (k + 1), "test_error": e,
             "train_error_online": t, "test_samples": 10000, "network": "784-100-10",
             "dataset": "mnist", "dt_ms": 1.0} for k, (e, t) in enumerate(zip(errors, train))]


def test_learning_curves_from_history_files(tmp_path):
    for name, errs in (("erbp_a", [0.2, 0.1]), ("erbp_b", [0.15, 0.12, 0.09])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "history.json").write_text(json.dumps(_history(errs, errs)))
    (tmp_path / "erbp_broken").mkdir()
    (tmp_path / "erbp_broken" / "history.json").write_text("{not json")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "history.json").write_text(json.dumps(_history([0.5], [0.5])))
    runs = E.load_histories(tmp_path)
    assert list(runs) == ["erbp_a", "erbp_b"]
    ax = E.plot_learning_curves(runs)
    test_b = next(ln for ln in ax.lines if ln.get_gid() == "erbp_b")
    assert np.allclose(test_b.get_ydata(), [15.0, 12.0, 9.0])  # percent
    ref = next(ln for ln in ax.lines if ln.get_gid() == "reference")
    assert ref.get_ydata()[0] == E.PUBLISHED_ERROR == 3.94 and ref.get_linestyle() == "--"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("erbp_a") for t in texts) and any("3.94 %" in t for t in texts)
    assert ax.get_ylabel() == "error (%)" and ax.get_xlabel().startswith("epoch")
    assert unlabelled_axes(ax.figure) == [] and legend_overlaps_data(ax) == 0
    plt.close(ax.figure)
    path = E.save_learning_curves(runs, tmp_path / "curves.png")
    assert path.stat().st_size > 5000 and path.read_bytes()[:4] == b"\x89PNG"


def test_learning_curves_without_records_still_draw_the_reference(tmp_path):
    path = E.save_learning_curves({}, tmp_path / "empty.png")
    assert path.stat().st_size > 1000


def test_learning_curves_by_network_one_panel_each_and_no_two_runs_alike():
    """Runs are split by network, each panel with its own published line; twelve runs of one
    network still get twelve different (colour, marker) pairs."""
    runs = {f"erbp_{k:02d}": _history([0.1 + 0.01 * k, 0.05], [0.02, 0.01]) for k in range(12)}
    big = _history([0.08, 0.04], [0.02, 0.01])
    for r in big:
        r["network"] = "784-200-10"
    runs["erbp_big"] = big
    assert list(E.split_by_network(runs)) == ["784-100-10", "784-200-10"]
    fig = E.plot_learning_curves_by_network(
        runs, published={"784-100-10": 3.94, "784-200-10": 3.53},
        numpy_rows={"784-200-10": {"numpy BP": ([1, 2], [5.0, 3.0])}})
    top, bottom = fig.axes
    styles = {(ln.get_color(), ln.get_marker()) for ln in top.lines if ln.get_gid() in runs}
    assert len(styles) == 12
    ref = [ln.get_ydata()[0] for ax in (top, bottom) for ln in ax.lines
           if ln.get_gid() == "reference"]
    assert ref == [3.94, 3.53]
    assert {ln.get_gid() for ln in bottom.lines} >= {"erbp_big", "numpy BP"}
    assert "erbp_big" not in {ln.get_gid() for ln in top.lines}
    assert unlabelled_axes(fig) == []
    assert legend_overlaps_data(top) == 0 and legend_overlaps_data(bottom) == 0
    plt.close(fig)
