import numpy as np
import pytest

from pulsegated.circuit.description import (Circuit, CircuitError, EquationNeuron,
                                            LoihiCompartment, SumOfProducts)


def small():
    c = Circuit("c")
    c.add_population("a", 3)
    c.add_population("b", 3)
    c.add_population("g", 1)
    c.add_source("s", 3, steps=(0,), indices=(1,))
    return c


def test_valid_circuit_and_queries():
    c = small()
    c.connect("a", "b", "one_to_one", 520, delay=2)
    c.connect("g", "b", "one_to_all", 8704)
    c.connect("a", "b", "all_to_all", np.full((3, 3), 2), name="plastic",
              plasticity=SumOfProducts.pulse_gated_hebbian(reward="s"))
    c.validate()
    assert c.n_neurons == 7
    assert c.n_synapses() == 3 + 3 + 9 and c.n_synapses(plastic=True) == 9
    m = c.weight_matrix("a__b")
    assert m[1, 1] == 520 and m[0, 1] == 0
    assert c.connections["a__b"].delay == 2
    assert SumOfProducts.pulse_gated_hebbian("s").coincidence_steps() == (2, -2)


@pytest.mark.parametrize("args,message", [
    (("zz", "b", "one_to_one", 1), "unknown presynaptic population or source 'zz'"),
    (("a", "zz", "one_to_one", 1), "unknown population 'zz'"),
    (("a", "s", "one_to_one", 1), "a source cannot be a target"),
    (("a", "b", "fan_out", 1), "pattern must be one of"),
    (("a", "b", "one_to_all", 1), "presynaptic size of 1"),
    (("a", "b", "all_to_all", np.ones((2, 3), int)), r"shape \(2, 3\) does not fit"),
    (("a", "b", "one_to_one", np.array([1.5, np.nan, 2.0])), "weights must be finite"),
    (("a", "b", "one_to_one", 3, 0, None, None, 1, None, None, 9),
     "weight_exp=9 is above the allowed maximum 7"),
    (("a", "b", "one_to_one", 2.5, 0, None, None, 1, None, None, -2),
     "with weight_exp the weights are the chip's mantissas: integers"),
    (("a", "b", "one_to_one", np.array([3, -4, 2]), 0, None, None, 1, None, None, -2),
     r"mixed weight mantissas must be even integers in \[-256, 254\]"),
    (("a", "b", "one_to_one", 256, 0, None, None, 1, None, None, -2),
     r"excitatory weight mantissas must be integers in \[0, 255\], got \[256, 256\]"),
])
def test_connection_errors_name_the_problem(args, message):
    c = small()
    with pytest.raises(CircuitError, match=message):
        c.connect(*args)


def test_delay_and_plastic_weight_ranges():
    c = small()
    with pytest.raises(CircuitError, match="delay=63 is above the allowed maximum 62"):
        c.connect("a", "b", "one_to_one", 1, delay=63)
    with pytest.raises(CircuitError, match="delay=-1 is below"):
        c.connect("a", "b", "one_to_one", 1, delay=-1)
    rule = SumOfProducts.pulse_gated_hebbian(reward="s")
    with pytest.raises(CircuitError, match=r"8-bit mixed range \[-256, 254\], got \[2, 300\]"):
        c.connect("a", "b", "all_to_all", np.array([[2, 300, 2]] * 3), plasticity=rule)
    with pytest.raises(CircuitError, match="even"):
        c.connect("a", "b", "all_to_all", np.full((3, 3), 3), plasticity=rule)
    with pytest.raises(CircuitError, match="reward 'nope' is not a source"):
        c.connect("a", "b", "all_to_all", np.full((3, 3), 2),
                  plasticity=SumOfProducts.pulse_gated_hebbian(reward="nope"))


def test_population_and_rule_errors():
    c = Circuit()
    with pytest.raises(CircuitError, match="size=0 is below"):
        c.add_population("p", 0)
    with pytest.raises(CircuitError, match="decay_u=5000 is above"):
        c.add_population("p", 1, LoihiCompartment(decay_u=5000))
    with pytest.raises(CircuitError, match="valid identifier"):
        c.add_population("d+", 1)
    c.add_population("p", 2)
    with pytest.raises(CircuitError, match="duplicate name 'p'"):
        c.add_source("p", 2, steps=(1,))
    with pytest.raises(CircuitError, match="unknown learning factor 'z9'"):
        SumOfProducts(terms=((1, ("x0", "z9")),)).validate("r")
    with pytest.raises(CircuitError, match="must carry x0 or y0"):
        SumOfProducts(terms=((1, ("r1",)),), reward="s").validate("r")
    with pytest.raises(CircuitError, match="equations must be a non-empty string"):
        c.add_population("q", 1, EquationNeuron(equations="", threshold="v > 1"))


def test_source_kinds_are_exclusive_and_need_a_schedule():
    c = small()
    c.add_source("bad", 2, steps=(1,), phases=(2,))
    with pytest.raises(CircuitError, match="exactly one of"):
        c.validate()
    c = small()
    c.add_source("d", 3, data_phase=0)
    with pytest.raises(CircuitError, match="need a Schedule"):
        c.validate()
