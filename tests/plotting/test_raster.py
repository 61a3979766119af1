import re

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from pulsegated.backends.loihi import LoihiSimulator  # noqa: E402
from pulsegated.nbp import rule  # noqa: E402
from pulsegated.nbp.network import training_circuit  # noqa: E402
from pulsegated.plotting.raster import band_label, gate_phases, phase_of, plot_raster  # noqa: E402
from pulsegated.plotting.style import legend_overlaps_data, unlabelled_axes  # noqa: E402


@pytest.fixture(scope="module")
def recorded():
    W1, W2 = rule.init_weights(20, 10, 4, 0)
    c = training_circuit(np.clip(W1 * 3, -240, 240), np.clip(W2 * 3, -240, 240))
    sim = LoihiSimulator(c)
    rng = np.random.default_rng(0)
    sim.run_samples({"pixels": (rng.random((3, 20)) < 0.5).astype(np.uint8),
                     "targets": np.eye(4, dtype=np.uint8)[[0, 1, 2]]})
    return c, {p: sim.spikes(p) for p in c.populations}


def _band_lines(ax):
    return {line.get_gid(): line for line in ax.lines if line.get_gid()}


def test_raster_bands_phases_and_highlights(recorded):
    c, spikes = recorded
    ax = plot_raster(c, spikes, samples=(1, 2))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "x (20)" and labels[0] == "g11 fires ph. 10, opens 11"
    assert ax.get_xlim() == (c.schedule.step(1, 0) - 0.5, c.schedule.step(2, 0) - 0.5)
    # x spikes appear in phases 1, 7, 11 of the shown sample
    x_steps = _band_lines(ax)["x"].get_xdata().astype(int)
    assert {phase_of(c.schedule, s) for s in x_steps} == {1, 7, 11}
    highlighted = [p for p in ax.patches
                   if p.get_facecolor()[:3] == matplotlib.colors.to_rgb("gold")]
    assert len(highlighted) == 2  # m_x6 and m_h1
    with pytest.raises(ValueError, match="unknown populations"):
        plot_raster(c, spikes, populations=["nope"])
    matplotlib.pyplot.close(ax.figure)


def test_gate_labels_name_the_phase_each_gate_fires_in(recorded):
    c, spikes = recorded
    ax = plot_raster(c, spikes, samples=(0, 2))
    lines = _band_lines(ax)
    n_bands = len(ax.get_yticks())
    for tick, label in zip(ax.get_yticks(), ax.get_yticklabels()):
        m = re.fullmatch(r"(g\d\d) fires ph\. (\d+), opens (\d+)", label.get_text())
        if not m:
            continue
        gate, fires, opens = m.group(1), int(m.group(2)), int(m.group(3))
        assert (opens - 1) % c.schedule.n_phases == fires
        assert c.schedule.ring[opens] == gate
        line = lines[gate]
        steps = line.get_xdata().astype(int)
        assert len(steps) == 2  # once per shown sample
        # the spikes are drawn in this band and in the phase the label states
        assert np.all((line.get_ydata() > tick - 0.5) & (line.get_ydata() < tick + 0.5))
        assert {phase_of(c.schedule, s) for s in steps} == {fires}
        # and that is what the circuit recorded
        rec = np.asarray(spikes[gate][0])
        assert {phase_of(c.schedule, s) for s in rec[rec >= c.schedule.t0]} == {fires}
    assert sum(lab.get_text().startswith("g") for lab in ax.get_yticklabels()) == 12 < n_bands
    matplotlib.pyplot.close(ax.figure)


def test_one_x_scale_whose_tick_labels_are_the_phases(recorded):
    c, spikes = recorded
    ax = plot_raster(c, spikes, samples=(1, 2))
    fig = ax.figure
    assert len(fig.axes) == 1  # no second (top) x axis that could drift from the first
    ticks = ax.get_xticks()
    assert np.array_equal(ticks, np.arange(c.schedule.step(1, 0), c.schedule.step(2, 0)))
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(k) for k in range(12)]
    assert "phase" in ax.get_xlabel() and "sample 1" in ax.get_xlabel()
    assert unlabelled_axes(fig) == []
    assert legend_overlaps_data(ax) == 0
    matplotlib.pyplot.close(fig)


def test_gate_phases_follow_the_schedule(recorded):
    c, _ = recorded
    phases = gate_phases(c)
    assert phases["g00"] == (11, 0) and phases["g01"] == (0, 1) and phases["g11"] == (10, 11)
    assert band_label(c, "o") == "o (4)"


def test_save_learning_cycle_writes_the_sample_it_is_given(recorded, tmp_path):
    from pulsegated.plotting import nbp

    c, spikes = recorded
    shown = {}
    original = nbp.plot_raster

    def spy(circuit, spk, **kw):
        ax = original(circuit, spk, **kw)
        shown.update(xlim=ax.get_xlim(), missing=unlabelled_axes(ax.figure),
                     overlap=legend_overlaps_data(ax))
        return ax

    nbp.plot_raster = spy
    try:
        path = nbp.save_learning_cycle(c, spikes, 2, tmp_path / "cycle.png")
    finally:
        nbp.plot_raster = original
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert shown == {"xlim": (c.schedule.step(2, 0) - 0.5, c.schedule.step(3, 0) - 0.5),
                     "missing": [], "overlap": 0}


def test_time_raster_takes_any_circuit():
    """A spiking graded chain (no nBP schedule): one band per non-gate population, one notch per
    gate volley, red marks where asked, every axis labelled, the legend over no spike."""
    from pulsegated.backends import Simulator
    from pulsegated.plotting.raster import plot_time_raster, volley_steps
    from pulsegated.sgsc.graded import GradedChainParams, graded_chain_circuit

    p = GradedChainParams(n=30, n_stages=3)
    c = graded_chain_circuit(0.5, p, rng=0)
    sim = Simulator(c, backend="brian2", record=list(c.populations), codegen="numpy")
    s = c.meta["steps_per_window"]
    sim.run_steps(2 + 4 * s)
    spikes = {pop: sim.spikes(pop) for pop in c.populations}
    sim.close()
    ax = plot_time_raster(c, spikes, marks=[2 + 3 * s], title="graded chain")
    graded = [u for u in c.populations if c.populations[u].role != "gate"]
    bands = {line.get_gid() for line in ax.lines if line.get_gid() in graded}
    assert bands == {u for u in graded if len(spikes[u][0])}
    notch = next(line for line in ax.lines if line.get_gid() == "notches")
    volleys = sorted(int(v) for g in c.populations if c.populations[g].role == "gate"
                     for v in volley_steps(spikes[g][0]))
    assert len(notch.get_xdata()) == len(volleys) >= 3
    dt_ms = float(c.dt / 1e-3)
    np.testing.assert_allclose(sorted(notch.get_xdata()), np.array(volleys) * dt_ms)
    assert unlabelled_axes(ax.figure) == []
    assert legend_overlaps_data(ax) == 0
    matplotlib.pyplot.close(ax.figure)
