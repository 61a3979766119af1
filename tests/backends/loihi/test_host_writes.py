"""What the host writes into a running chip: bias registers and rewritable weights."""

import numpy as np
import pytest

from pulsegated.backends import Simulator
from pulsegated.circuit import Circuit, CircuitError, LoihiCompartment
from pulsegated.errors import UsageError


def circuit(sign_mode="inhibitory"):
    c = Circuit(name="host_writes")
    c.add_population("a", 3, LoihiCompartment(threshold=100, bias=0, decay_u=4096, decay_v=4096))
    c.add_population("b", 2, LoihiCompartment(threshold=100, bias=0, decay_u=4096,
                                              decay_v=4096))
    c.connect("a", "b", "all_to_all", np.zeros((3, 2), dtype=np.int64), weight_exp=0,
              sign_mode=sign_mode, name="ab")
    return c.validate()


def test_set_bias_switches_a_population_on_and_off():
    """v = u + bias every step (memoryless here): bias 150 > threshold 100 fires every step,
    bias 50 never; per-neuron values reach their own neurons."""
    sim = Simulator(circuit(), backend="loihi")
    sim.set_bias("a", 150)
    sim.run_steps(5)
    steps, idx = sim.spikes("a")
    assert len(steps) == 15 and sorted(set(steps.tolist())) == [0, 1, 2, 3, 4]
    sim.clear_spikes()
    sim.set_bias("a", [50, 150, 50])
    sim.run_steps(4)
    steps, idx = sim.spikes("a")
    assert set(idx.tolist()) == {1} and len(steps) == 4


def test_set_bias_refuses_what_the_registers_cannot_hold():
    sim = Simulator(circuit(), backend="loihi")
    with pytest.raises(UsageError, match="unknown population"):
        sim.set_bias("zz", 0)
    with pytest.raises(UsageError, match="one value or 3 values"):
        sim.set_bias("a", [1, 2])
    with pytest.raises(UsageError, match="multiples of 1/64"):
        sim.set_bias("a", 0.001)
    with pytest.raises(UsageError, match="13-bit"):
        sim.set_bias("a", 8193)      # beyond 4095 << 7 raw
    sim.set_bias("a", -8192)         # -4096 << 7 raw: the most negative
    assert sim.t == 0


def test_sign_mode_keeps_room_for_weights_written_later():
    """All-zero mantissas would be excitatory; sign_mode="inhibitory" lets the host write
    negative weights later, and they are delivered."""
    sim = Simulator(circuit("inhibitory"), backend="loihi")
    W = np.array([[-5, 0], [0, -7], [0, 0]])
    sim.set_weights("ab", W)
    assert np.array_equal(sim.weights("ab"), W)
    with pytest.raises(UsageError, match="cannot be held"):
        sim.set_weights("ab", -W)
    plain = Simulator(circuit(None), backend="loihi")
    with pytest.raises(UsageError, match="cannot be held"):
        plain.set_weights("ab", W)


def test_sign_mode_is_checked():
    c = Circuit(name="bad")
    c.add_population("a", 1)
    with pytest.raises(CircuitError, match="sign_mode must be one of"):
        c.connect("a", "a", "all_to_all", 0, weight_exp=0, sign_mode="both")
    with pytest.raises(CircuitError, match="weight_exp set"):
        c.connect("a", "a", "all_to_all", 0, sign_mode="mixed")
    with pytest.raises(CircuitError, match="must be"):
        c.connect("a", "a", "all_to_all", np.array([[3]]), weight_exp=0, sign_mode="inhibitory")
