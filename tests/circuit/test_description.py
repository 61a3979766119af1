import numpy as np
import pytest

from pulsegated.circuit import (Circuit, CircuitError, EquationNeuron,
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
    c.connect("a", "b", "one_to_one", 1, delay=63, name="long")  # no chip limit here
    assert c.connections["long"].delay == 63
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
    with pytest.raises(CircuitError, match="terms use r0/r1 but no reward source is named"):
        SumOfProducts(terms=((1, ("x0", "r1")),)).validate("r")
    with pytest.raises(CircuitError, match="factors of a term are a tuple of factor names"):
        SumOfProducts(terms=((1, "x0y0"),)).validate("r")
    with pytest.raises(CircuitError, match="t_epoch=0 is below the allowed minimum 1"):
        SumOfProducts(terms=((1, ("x0",)),), t_epoch=0).validate("r")
    with pytest.raises(CircuitError, match="equations must be a non-empty string"):
        c.add_population("q", 1, EquationNeuron(equations="", threshold="v > 1"))


def test_source_kinds_are_exclusive_and_need_a_schedule():
    c = small()
    with pytest.raises(CircuitError, match="source 'bad': give exactly one of"):
        c.add_source("bad", 2, steps=(1,), phases=(2,))
    with pytest.raises(CircuitError, match="source 'bad': give exactly one of"):
        c.add_source("bad", 2)
    with pytest.raises(CircuitError, match="indices belong to a spike train"):
        c.add_source("bad", 2, phases=(1,), indices=(0,))
    assert "bad" not in c.sources
    c = small()
    c.add_source("d", 3, data_phase=0)
    with pytest.raises(CircuitError, match="need a Schedule"):
        c.validate()


def equation_circuit():
    c = Circuit("eq")
    c.add_population("e", 2, EquationNeuron(equations="dv/dt = -v / (10*ms) : 1",
                                            threshold="v > 1"))
    c.add_source("s", 2, steps=(0,))
    return c


@pytest.mark.parametrize("weight", [np.nan, np.inf, np.array([[0.5, -np.inf], [1.0, 2.0]])])
def test_non_finite_weights_onto_equation_neurons_are_refused(weight):
    c = equation_circuit()
    with pytest.raises(CircuitError, match=r"connection 's__e' \(s -> e\): weights must be "
                                           r"finite, got 1 NaN or infinite value"):
        c.connect("s", "e", "all_to_all", weight)
    # also when the weights come in later
    c.connect("s", "e", "all_to_all", np.ones((2, 2)), name="ok")
    with pytest.raises(CircuitError, match="connection 'ok'.*must be finite"):
        c.replace_weights({"ok": np.full((2, 2), np.nan)})


def test_weight_exp_is_for_loihi_targets_only():
    c = equation_circuit()
    with pytest.raises(CircuitError, match="weight_exp applies to LoihiCompartment targets only"):
        c.connect("s", "e", "one_to_one", 2, weight_exp=0)


@pytest.mark.parametrize("kwargs,message", [
    (dict(bias=1 / 128), r"bias=0.0078125 is not a multiple of 1/64 threshold unit"),
    (dict(bias=float("nan")), r"bias=nan is not a multiple of 1/64"),
    (dict(bias=True), "bias must be a number, got True"),
    (dict(v_min=1), r"v_min=1 is outside the allowed range \[-inf, 0.0\]"),
    (dict(v_max=-1 / 64), r"v_max=-0.015625 is outside the allowed range \[0.0, inf\]"),
    (dict(refractory=0), "refractory=0 is below the allowed minimum 1"),
    (dict(v_max=1.001), r"v_max=1.001 is not a multiple of 1/64"),
    (dict(v_min="0"), "v_min must be a number"),
])
def test_compartment_fields_in_sixty_fourths(kwargs, message):
    with pytest.raises(CircuitError, match=message):
        Circuit().add_population("p", 1, LoihiCompartment(**kwargs))


def test_raw_values_of_compartment_fields():
    m = LoihiCompartment(bias=-3.015625, v_min=-(2 ** 12 - 1) / 64, v_max=7)
    assert (m.raw("bias"), m.raw("v_min"), m.raw("v_max")) == (-193, -4095, 448)
    d = LoihiCompartment(bias=-8192)
    # unset bounds are no bounds in the model (the Loihi backend programs the chip's default)
    assert (d.raw("bias"), d.raw("v_min"), d.raw("v_max")) == (-8192 * 64, -np.inf, np.inf)
    # what only the chip limits is accepted by the description
    wide = LoihiCompartment(threshold=1 << 17, bias=9000, refractory=64, v_max=131072)
    Circuit().add_population("p", 1, wide)


def test_effective_weights_of_explicit_mantissas_and_plastic_floats():
    c = small()
    mant = np.array([[6, -2, 254], [-256, 0, 100], [2, -6, 30]])
    c.connect("a", "b", "all_to_all", mant, weight_exp=-2, name="m")
    # the chip's rule written out: floor(M / 4), negative mantissas rounded away from zero
    np.testing.assert_array_equal(c.effective_weight_matrix("m"),
                                  [[1, -1, 63], [-64, 0, 25], [0, -2, 7]])
    np.testing.assert_array_equal(c.weight_matrix("m"), mant)
    c.connect("g", "b", "one_to_all", 5, weight_exp=3, name="up")
    np.testing.assert_array_equal(c.effective_weight_matrix("up"), [[40, 40, 40]])
    with pytest.raises(CircuitError, match="plastic weights are mantissas: integers"):
        c.connect("a", "b", "all_to_all", np.full((3, 3), 2.0),
                  plasticity=SumOfProducts.pulse_gated_hebbian(reward="s"))
