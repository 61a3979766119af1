"""Populations of one model share a Brian2 group and connections of one synapse model share a
``Synapses`` object; each population and connection still behaves as if built alone."""

import numpy as np
import pytest
import brian2 as b2
from brian2 import Hz, mV, ms

from pulsegated.backends.brian2 import Brian2Simulator
from pulsegated.circuit import Circuit, EquationNeuron
from pulsegated.errors import UsageError

#: a leaky integrator driven by a constant current; fires when v crosses 1
LEAKY = "dv/dt = (drive - v) / tau : 1"


def leaky(tau, drive=1.5):
    return EquationNeuron(LEAKY, threshold="v > 1", reset="v = 0", method="exact",
                          namespace={"tau": tau, "drive": drive}, input_var="v")


def first_spike_step(tau, drive, dt):
    """Analytic: v(t) = drive (1 - exp(-t / tau)) crosses 1 at t* = tau ln(drive / (drive - 1));
    the threshold is checked at the end of each step, so the spike is at ceil(t* / dt) - 1."""
    t_star = float(tau / ms) * np.log(drive / (drive - 1))
    return int(np.ceil(t_star / float(dt / ms) - 1e-9)) - 1


def test_populations_differing_in_numbers_share_a_group_and_keep_their_own_values():
    c = Circuit("leaky", dt=0.1 * ms)
    taus = {"a": 5 * ms, "b": 10 * ms, "c": 20 * ms}
    for name, tau in taus.items():
        c.add_population(name, 3, leaky(tau))
    sim = Brian2Simulator(c, codegen="numpy")
    assert len(sim.b2c.merged_groups) == 1  # one NeuronGroup, tau a per-neuron constant
    sim.run_steps(400)
    for name, tau in taus.items():
        steps, idx = sim.spikes(name)
        first = [steps[idx == k].min() for k in range(3)]
        assert first == [first_spike_step(tau, 1.5, 0.1 * ms)] * 3, name


def test_a_model_with_a_shared_variable_is_not_merged():
    model = EquationNeuron("dv/dt = -v / (10 * ms) : 1\nlevel : 1 (shared)",
                           threshold="v > level", reset="v = 0", method="exact",
                           initial={"level": 0.5}, input_var="v")
    c = Circuit("shared")
    c.add_population("a", 2, model)
    c.add_population("b", 2, model)
    sim = Brian2Simulator(c, codegen="numpy")
    assert len(sim.b2c.merged_groups) == 2
    sim.set_state("a", "level", 0.25)
    assert float(sim.b2c.groups["b"].level[:]) == 0.5


def _relay_circuit():
    relay = EquationNeuron("v : 1", threshold="v > 0.5", reset="v = 0", input_var="v",
                           method="exact")
    c = Circuit("relay")
    c.add_population("p", 2, relay)
    c.add_population("q", 2, relay)
    c.add_population("r", 2, relay)
    c.add_source("s", 2, steps=(2, 2), indices=(0, 1))
    c.connect("s", "p", "one_to_one", 1.0, name="s_p")
    c.connect("p", "q", "all_to_all", np.array([[1.0, 0.0], [0.0, 0.25]]), delay=1, name="p_q")
    c.connect("p", "r", "one_to_one", 1.0, delay=1, name="p_r")
    return c


def test_connections_share_synapses_but_weights_and_delays_stay_their_own():
    sim = Brian2Simulator(_relay_circuit(), codegen="numpy")
    views = sim.b2c.synapses
    assert views["p_q"].synapses is views["p_r"].synapses  # one Synapses object
    np.testing.assert_array_equal(sim.weights("p_q"), [[1.0, 0.0], [0.0, 0.25]])
    sim.set_weights("p_r", np.diag([0.0, 2.0]))
    np.testing.assert_array_equal(sim.weights("p_q"), [[1.0, 0.0], [0.0, 0.25]])
    sim.run_steps(10)
    # s at 2 -> p at 3 -> (delay 1) q, r at 5; q1 gets 0.25 only, r0 gets 0
    assert sorted(zip(*sim.spikes("q"))) == [(5, 0)]
    assert sorted(zip(*sim.spikes("r"))) == [(5, 1)]
    with pytest.raises(UsageError, match="variable_delays=True"):
        sim.set_delay("p_q", 3)


def test_variable_delays_let_one_connection_change_its_delay():
    sim = Brian2Simulator(_relay_circuit(), codegen="numpy", variable_delays=True)
    sim.set_delay("p_q", 3)
    sim.run_steps(12)
    assert sorted(zip(*sim.spikes("q"))) == [(7, 0)]
    assert sorted(zip(*sim.spikes("r"))) == [(5, 0), (5, 1)]


def test_spike_trains_share_a_generator_and_can_be_replaced():
    c = _relay_circuit()
    c.add_source("u", 2, steps=(4,), indices=(1,))
    c.connect("u", "r", "one_to_one", 1.0, name="u_r")
    sim = Brian2Simulator(c, codegen="numpy")
    assert sim.b2c.groups["s"] is sim.b2c.groups["u"]  # one SpikeGeneratorGroup
    sim.set_spike_train("s", [1], [6])
    sim.run_steps(12)
    assert sorted(zip(*sim.spikes("p"))) == [(7, 1)]
    assert sorted(zip(*sim.spikes("r"))) == [(5, 1), (9, 1)]
    with pytest.raises(UsageError, match="'p' is not a spike-train source"):
        sim.set_spike_train("p", [0], [1])


def test_states_of_populations_sharing_a_group_are_recorded_apart():
    c = Circuit("leaky2", dt=0.1 * ms)
    c.add_population("a", 2, leaky(5 * ms))
    c.add_population("b", 3, leaky(10 * ms, drive=0.5))
    sim = Brian2Simulator(c, codegen="numpy", record_state={"b": "v", "a": "v"})
    sim.run_steps(50)
    t = (np.arange(50) + 1) * 0.1
    vb = sim.state("b", "v")
    assert vb.shape == (50, 3)
    np.testing.assert_allclose(vb[:, 0], 0.5 * (1 - np.exp(-t / 10)), rtol=1e-9)
    va = sim.state("a", "v")
    assert va.shape == (50, 2)
    np.testing.assert_allclose(va[:20, 1], 1.5 * (1 - np.exp(-t[:20] / 5)), rtol=1e-9)
