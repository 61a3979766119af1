"""Behaviours of the Mihalas--Niebur neuron, each checked on its spike train; the gallery figure."""

import matplotlib
import numpy as np
import pytest
from brian2 import Hz, mV, ms, second, volt

matplotlib.use("Agg")

from pulsegated.circuit import Circuit, CircuitError  # noqa: E402
from pulsegated.nsat import (BEHAVIOURS, add_current_input, behaviour_circuit,  # noqa: E402
                             behaviour_parameters, input_current, mihalas_niebur, run_behaviour)
from pulsegated.plotting.nsat import GALLERY, save_behaviour_gallery  # noqa: E402

ONSET = 20.0  # ms, the default onset of every behaviour's input


@pytest.fixture(scope="module")
def runs():
    """Every behaviour at its default duration and dt = 0.1 ms (one Brian2 run each)."""
    return {name: run_behaviour(name) for name in BEHAVIOURS}


def _spikes_ms(run):
    return np.asarray(run.spike_times / ms)


def _isi_ms(run):
    return np.asarray(run.isi / ms)


def test_every_behaviour_is_silent_before_the_onset(runs):
    for name, run in runs.items():
        assert np.all(_spikes_ms(run) >= ONSET), name


def test_tonic_spiking_is_regular(runs):
    """At least 6 spikes in 180 ms of input, ISI coefficient of variation below 0.1."""
    isi = _isi_ms(runs["tonic_spiking"])
    assert len(isi) >= 5
    assert isi.std() / isi.mean() < 0.1


def test_phasic_spiking_fires_at_onset_only(runs):
    """One or two spikes within 50 ms of the onset, none in the remaining 230 ms of input."""
    s = _spikes_ms(runs["phasic_spiking"])
    assert 1 <= len(s) <= 2
    assert np.all(s < ONSET + 50)


def test_phasic_spiking_stays_silent_for_a_second():
    s = _spikes_ms(run_behaviour("phasic_spiking", duration=1000 * ms))
    assert 1 <= len(s) <= 2 and np.all(s < ONSET + 50)


def test_tonic_bursting_has_bimodal_intervals_and_repeated_bursts(runs):
    """Every ISI is either intra-burst (< 10 ms) or inter-burst (> 50 ms), nothing in between;
    at least three bursts of at least three spikes each."""
    isi = _isi_ms(runs["tonic_bursting"])
    short, long_ = isi < 10, isi > 50
    assert np.all(short | long_)
    assert long_.sum() >= 2  # >= 3 bursts
    bursts = np.split(_spikes_ms(runs["tonic_bursting"]), np.flatnonzero(long_) + 1)
    assert len(bursts) >= 3 and all(len(b) >= 3 for b in bursts)
    assert isi[long_].min() > 5 * isi[short].max()


def test_phasic_bursting_is_one_burst_at_onset(runs):
    """One burst (>= 3 spikes, every ISI < 10 ms) starting within 50 ms of the onset, then
    silence for the rest of the 280 ms of input."""
    s = _spikes_ms(runs["phasic_bursting"])
    assert len(s) >= 3
    assert np.all(np.diff(s) < 10)
    assert s[0] < ONSET + 50 and s[-1] < ONSET + 100


def test_spike_frequency_adaptation_lengthens_the_intervals(runs):
    """ISIs increase monotonically; the last is more than 1.5 times the first."""
    isi = _isi_ms(runs["spike_frequency_adaptation"])
    assert len(isi) >= 10
    assert np.all(np.diff(isi) > 0)
    assert isi[-1] > 1.5 * isi[0]


def test_class_1_excitability_starts_slow_and_speeds_up_with_the_current(runs):
    """Ramp: no spike before the current reaches the rheobase G/C (theta_inf - E_L) = 1 V/s;
    then the rate rises continuously from a low value (first ISI > 3x the last, ISIs
    decreasing)."""
    run = runs["class_1_excitability"]
    s, isi = _spikes_ms(run), _isi_ms(run)
    I = np.asarray(run.I_e)
    t_rheo = np.asarray(run.t / ms)[np.argmax(I >= 1.0)]
    assert s[0] > t_rheo
    assert len(isi) >= 10
    assert np.all(np.diff(isi) < 0)
    assert isi[0] > 3 * isi[-1] and 1000 / isi[0] < 40  # first rate below 40 Hz


def test_run_returns_quantities_and_the_input_it_used(runs):
    run = runs["tonic_spiking"]
    n = len(run.t)
    assert n == 2000 and run.V.dim == volt.dim and run.theta.dim == volt.dim
    assert run.t.dim == second.dim and run.spike_times.dim == second.dim
    assert run.I_e.dim == (volt / second).dim
    np.testing.assert_allclose(np.asarray(run.I_e),
                               np.asarray(input_current("step", 1.5 * volt / second, 20 * ms,
                                                        200 * ms)))
    # V is reset to V_r at every spike; the threshold stays at theta_inf (a = 0)
    steps = np.rint(np.asarray(run.spike_times) / 1e-4).astype(int)
    np.testing.assert_allclose(np.asarray(run.V)[steps], -70e-3)
    np.testing.assert_allclose(np.asarray(run.theta), -50e-3)
    assert run.params["a"] == 0 * Hz and run.params["k1"] == 200 * Hz


def test_options_replace_the_behaviours_values():
    strong = run_behaviour("tonic_spiking", duration=100 * ms, amplitude=3 * volt / second,
                           onset=0 * ms)
    assert strong.n_spikes > 5 and _spikes_ms(strong)[0] < 20
    assert run_behaviour("tonic_spiking", duration=100 * ms, E_L=-80 * mV).n_spikes == 0


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(name="bursting"), ValueError, "unknown behaviour 'bursting'"),
    (dict(name="tonic_spiking", tau=5 * ms), TypeError, "unknown option"),
    (dict(name="tonic_spiking", I_e=1 * volt / second), TypeError, "amplitude and onset"),
    (dict(name="tonic_spiking", dt=0.1), TypeError, "dt must be a single time"),
    (dict(name="tonic_spiking", amplitude=2 * mV), TypeError, "amplitude must be a single "
                                                              "voltage per time"),
    (dict(name="tonic_spiking", onset=300 * ms), ValueError, "onset 300. ms is not before"),
    (dict(name="tonic_spiking", k2=-1 * Hz), ValueError, "k2 must not be negative"),
])
def test_bad_runs_are_refused_before_building(kwargs, error, message):
    with pytest.raises(error, match=message):
        behaviour_circuit(**kwargs)


def test_parameter_table_and_circuit():
    p = behaviour_parameters("tonic_bursting")
    assert p["A1"] == 10 * volt / second and p["A2"] == -0.6 * volt / second
    assert p["a"] == 5 * Hz and p["b"] == 10 * Hz and p["R2"] == 1.0
    c, current = behaviour_circuit("class_1_excitability")
    assert list(c.populations) == ["neuron"] and c.sources["current"].size == 1  # a ramp
    assert c.connections["current__neuron"].target == "I_e"
    assert len(current) == 5000 and float(current[-1]) == pytest.approx(3.0)


def test_current_input_must_start_at_the_models_value():
    c = Circuit("x", dt=0.1 * ms)
    c.add_population("n", 2, mihalas_niebur(I_e=1 * volt / second))
    values = np.array([0.0, 1.0, 1.0]) * volt / second
    with pytest.raises(CircuitError, match=r"values\[0\]"):
        add_current_input(c, "n", values)
    assert add_current_input(c, "n", np.ones(4) * volt / second) is None
    name = add_current_input(c, "n", np.array([1.0, 2.0, 2.0, 1.0, 2.0]) * volt / second)
    src = c.sources[name]
    assert src.size == 2 and src.steps == (0, 2, 3)  # +1 twice (one neuron), -1 once
    assert c.connections[f"{name}__n"].weight.shape == (2, 2)


def test_gallery_is_written(runs, tmp_path):
    from PIL import Image

    path = save_behaviour_gallery(tmp_path / "gallery.png", runs=runs)
    assert path.is_file() and path.stat().st_size > 20_000
    with Image.open(path) as im:
        w, h = im.size
        px = np.asarray(im.convert("L"))
    assert w > 600 and h > 600
    assert (px < 128).mean() > 0.01  # something is drawn


def test_gallery_panels_are_labelled_and_the_legend_hides_nothing(runs):
    import matplotlib.pyplot as plt

    from pulsegated.plotting.nsat import plot_behaviour_gallery
    from pulsegated.plotting.style import unlabelled_axes

    fig = plot_behaviour_gallery(runs)
    assert len(fig.axes) == 2 * len(GALLERY)
    assert unlabelled_axes(fig) == []
    panels = [ax for ax in fig.axes if ax.get_title("left")]
    assert [ax.get_title("left") for ax in panels] == [BEHAVIOURS[n].title for n in GALLERY]
    for name, ax in zip(GALLERY, panels):
        spikes = [ln for ln in ax.lines if ln.get_label() == "spike"][0]
        assert len(spikes.get_xdata()) == runs[name].n_spikes  # every spike marked
        assert ax.get_ylabel() == "potential (mV)"
    assert sum("V/s" in ax.get_ylabel() for ax in fig.axes) == len(GALLERY)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["potential V", "threshold Θ", "spike"]
    fig.canvas.draw()
    box = legend.get_window_extent()
    assert not any(box.overlaps(ax.get_window_extent()) for ax in fig.axes)  # above the panels
    plt.close(fig)
