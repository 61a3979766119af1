import matplotlib
import numpy as np
import pytest

from pulsegated.backends.loihi import LoihiSimulator
from pulsegated.nbp import rule
from pulsegated.nbp.network import training_circuit
from pulsegated.plotting.raster import plot_raster

matplotlib.use("Agg")


def test_raster_bands_phases_and_highlights():
    W1, W2 = rule.init_weights(20, 10, 4, 0)
    c = training_circuit(np.clip(W1 * 3, -240, 240), np.clip(W2 * 3, -240, 240))
    sim = LoihiSimulator(c)
    rng = np.random.default_rng(0)
    sim.run_samples({"pixels": (rng.random((3, 20)) < 0.5).astype(np.uint8),
                     "targets": np.eye(4, dtype=np.uint8)[[0, 1, 2]]})
    spikes = {p: sim.spikes(p) for p in c.populations}
    ax = plot_raster(c, spikes, samples=(1, 2))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "x (20)" and labels[0] == "g11 (1)"
    assert ax.get_xlim() == (c.schedule.step(1, 0) - 0.5, c.schedule.step(2, 0) - 0.5)
    # x spikes appear in phases 1, 7, 11 of the shown sample
    xs = ax.lines[-0]  # first data line is the band of x (after the grid lines)
    plotted = [line for line in ax.lines if len(line.get_xdata()) and line.get_linestyle() == "None"]
    x_steps = set(np.asarray(plotted[0].get_xdata()).astype(int).tolist())
    assert {(s - 2) % 12 for s in x_steps} == {1, 7, 11}
    highlighted = [p for p in ax.patches if p.get_facecolor()[:3] == matplotlib.colors.to_rgb("gold")]
    assert len(highlighted) == 2  # m_x6 and m_h1
    with pytest.raises(ValueError, match="unknown populations"):
        plot_raster(c, spikes, populations=["nope"])
