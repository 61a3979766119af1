import numpy as np
import pytest

from pulsegated.backends.loihi import DiscretizeError, LoihiSimulator, discretize
from pulsegated.backends.loihi.discretize import bias_registers, weight_registers
from pulsegated.circuit import (Circuit, EquationNeuron, GatedTraceHebbian, LoihiCompartment,
                                SumOfProducts)
from pulsegated.nbp import kinds
from pulsegated.nbp import rule
from pulsegated.nbp.network import training_circuit


def test_nbp_constants_map_to_registers():
    W1, W2 = rule.init_weights(4, 3, 2, 0)
    prog = discretize(training_circuit(W1, W2))
    regs = prog.conn_registers
    assert regs["g01__x_gate"] == {"weightExp": 6, "signMode": "excitatory", "numWeightBits": 8,
                                   "delay": 0}
    assert regs["g00__o_inhibit"]["signMode"] == "inhibitory"
    assert regs["W1"]["signMode"] == "mixed" and regs["W1"]["weightExp"] == 0
    a, b = prog.pop_slices["x"]
    assert (prog.biasMant[a:b] == -4096).all() and (prog.biasExp[a:b] == 7).all()
    assert (prog.vthMant[a:b] == 1024).all() and (prog.decayU[a:b] == 4095).all()
    assert bias_registers(-8192 << 6, "x") == (-4096, 7)
    assert weight_registers(np.array([kinds.GATE]), False, "g")["weightMant"][0] == 136
    assert weight_registers(np.array([kinds.RELAY]), False, "r")["weightMant"][0] == 130
    assert weight_registers(np.array([kinds.RING]), False, "r")["weightMant"][0] == 145


def _circuit(model=None, weight=520, delay=0):
    c = Circuit("c")
    c.add_population("a", 2, model or LoihiCompartment())
    c.add_population("b", 2)
    c.connect("a", "b", "one_to_one", weight, delay=delay)
    return c


@pytest.mark.parametrize("kwargs,message", [
    (dict(model=LoihiCompartment(bias=4097 * 3)), "cannot be held exactly as a 13-bit mantissa"),
    (dict(model=LoihiCompartment(decay_u=0)), "decay_u=0 cannot be programmed"),
    (dict(model=LoihiCompartment(threshold=0)), "needs a vthMant in 1..131071"),
    (dict(weight=257 * 128 + 1), "cannot be held exactly as 8-bit excitatory mantissas"),
    (dict(weight=255 * 256), "cannot be held exactly"),
    (dict(weight=np.array([129, -3])), r"mixed mantissas \(-256..254, even\) times "
                                        r"2\*\*weightExp with weightExp in -1..7"),
    (dict(model=LoihiCompartment(bias=4095 * 2 + 1 / 64)), r"bias 8190.02 cannot be held"),
    (dict(model=LoihiCompartment(v_max=1000)), r"v_max=1000 \(raw 64000\) cannot be "
                                               r"programmed: the chip's vMax is 2\*\*\(9 \+ 2b\)"),
    (dict(model=LoihiCompartment(v_min=-1)), r"v_min=-1 \(raw -64\) cannot be programmed"),
])
def test_discretize_refuses_what_the_chip_cannot_hold(kwargs, message):
    with pytest.raises(DiscretizeError, match=message):
        discretize(_circuit(**kwargs))


def test_discretize_refuses_continuous_models():
    m = EquationNeuron(equations="dv/dt = -v/(10*ms) : volt", threshold="v > 1*mV")
    with pytest.raises(DiscretizeError, match=r"^the loihi backend cannot run EquationNeuron "
                                              r"neurons \(population 'a'\); backends that can: "
                                              r"brian2$"):
        discretize(_circuit(model=m))


@pytest.mark.parametrize("kwargs,message", [
    (dict(delay=63), r"connection 'a__b' \(a -> b\): delay=63 is above the allowed maximum 62 "
                     r"\(the chip's longest synaptic delay\)"),
    (dict(model=LoihiCompartment(refractory=64)), r"population 'a': refractory=64 is above the "
                                                  r"allowed maximum 63"),
    (dict(model=LoihiCompartment(threshold=1 << 17)), "needs a vthMant in 1..131071"),
    (dict(model=LoihiCompartment(bias=9000)), r"bias 9000 cannot be held exactly"),
    (dict(model=LoihiCompartment(v_max=131072)), r"v_max=131072 \(raw 8388608\) cannot be "
                                                 r"programmed"),
])
def test_chip_limits_are_checked_when_discretizing(kwargs, message):
    c = _circuit(**kwargs)
    c.validate()  # the description itself is valid: these are limits of the chip only
    with pytest.raises(DiscretizeError, match=message):
        discretize(c)


def _plastic(**rule):
    c = Circuit("c")
    c.add_population("a", 2)
    c.add_population("b", 2)
    c.add_source("r", 1, steps=(0,))
    c.connect("a", "b", "all_to_all", np.zeros((2, 2), int), name="p",
              plasticity=SumOfProducts(**{"terms": ((2, ("x0", "y0")),), "reward": "r", **rule}))
    return c


@pytest.mark.parametrize("rule,message", [
    (dict(terms=((1, ("x0", "z9")),)), "connection 'p' .*: unknown learning factor 'z9'; known: "
                                       "x0, y0, r0, r1, x1, x2, y1, y2, y3"),
    (dict(terms=((1, ("r1",)),)), r"must carry x0 or y0 \(the chip has no other trigger\)"),
    (dict(terms=((1 << 15, ("x0",)),)), "term scale=32768 is above the allowed maximum 32767"),
    (dict(t_epoch=64), "t_epoch=64 is above the allowed maximum 63"),
    (dict(traces=(("x1", 128, 0),)), "x1 impulse=128 is above the allowed maximum 127"),
    (dict(traces=(("q1", 1, 0),)), "traces are .* with name in x1, x2, y1, y2, y3, r1; got 'q1'"),
    (dict(wmin=-512), r"clip range \[-512, 254\] exceeds the mixed 8-bit range"),
])
def test_learning_engine_limits_are_checked_when_discretizing(rule, message):
    c = _plastic(**rule)
    c.validate()
    with pytest.raises(DiscretizeError, match=message):
        discretize(c)


def test_discretize_refuses_unregistered_sources_and_rules_by_name():
    import brian2 as b2
    c = _circuit()
    c.add_source("noise", 2, rate=10 * b2.Hz)
    with pytest.raises(DiscretizeError, match=r"the loihi backend cannot run PoissonSource "
                                              r"sources \(source 'noise'\); backends that can: "
                                              r"brian2"):
        discretize(c)
    c = _circuit()
    c.add_population("g", 1)
    c.connect("a", "b", "all_to_all", np.zeros((2, 2), int), name="hebb",
              plasticity=GatedTraceHebbian(0.1, 5 * b2.ms, potentiate=("g",), window=2 * b2.ms))
    with pytest.raises(DiscretizeError, match=r"cannot run GatedTraceHebbian plasticity "
                                              r"\(connection 'hebb'\); backends that can: brian2"):
        discretize(c)


def test_overflow_report_counts_wraps_and_saturation():
    c = Circuit("overflow")
    # u integrates without decay (decay_u = 1) a large input every step: it wraps at 2**23
    c.add_population("integrator", 1, LoihiCompartment(threshold=(1 << 17) - 1, decay_u=1,
                                                       decay_v=4096))
    # v integrates a large bias without decay and saturates
    c.add_population("saturating", 1, LoihiCompartment(threshold=(1 << 17) - 1, decay_v=1,
                                                       bias=8190))  # raw 4095 << 7
    c.add_population("quiet", 1, LoihiCompartment())
    c.add_source("drive", 1, steps=tuple(range(200)))
    c.connect("drive", "integrator", "one_to_one", 255 << 7)
    sim = LoihiSimulator(c, probe_uv={"integrator": [0], "saturating": [0]})
    sim.run_steps(200)
    rep = sim.overflow_report()
    assert rep["integrator"]["u_wraps"] > 0
    assert rep["saturating"]["v_saturations"] > 0
    assert rep["quiet"] == {"q_wraps": 0, "u_wraps": 0, "v_saturations": 0}
    u, v = sim.uv()
    assert u[:, 0].min() < 0 < u[:, 0].max()  # wrapped from +2**23 to negative
    # clamped at 2**23 - 1, which is above the largest threshold (2**17 - 1) << 6: it fires
    assert v[:, 1].max() > 8_300_000 and len(sim.spikes("saturating")[0]) > 0


def test_fractional_bias_voltage_bounds_and_exponents_reach_the_registers():
    m = LoihiCompartment(bias=-3.015625, v_min=-(2 ** 20 - 1) / 64, v_max=(2 ** 17 - 1) / 64)
    c = _circuit(model=m, weight=np.array([3, -5]))
    c.connect("a", "b", "one_to_one", np.array([6, -2]), weight_exp=-2, name="m")
    prog = discretize(c)
    a, _ = prog.pop_slices["a"]
    assert (prog.biasMant[a], prog.biasExp[a]) == (-193, 0)
    assert (prog.vMin[a], prog.vMax[a]) == (-(2 ** 20 - 1), 2 ** 17 - 1)
    b, _ = prog.pop_slices["b"]
    assert (prog.vMin[b], prog.vMax[b]) == (-(2 ** 23 - 1), 2 ** 23 - 1)
    assert prog.conn_registers["a__b"]["weightExp"] == -1       # odd mixed integers: 2w, exact
    assert prog.conn_registers["m"] == {"weightExp": -2, "signMode": "mixed", "numWeightBits": 8,
                                        "delay": 0}
    # one spike of each a neuron: b's u is floor(M / 4) * 64 plus the exact 3 and -5
    c.add_source("kick", 2, steps=(0, 0), indices=(0, 1))
    c.connect("kick", "a", "one_to_one", 4096)
    sim = LoihiSimulator(c, probe_uv={"b": [0, 1]})
    sim.run_steps(3)
    assert sim.spikes("a")[0].tolist() == [1, 1]
    np.testing.assert_array_equal(sim.uv()[0][2], [(3 + 6 // 4) * 64, (-5 + -2 // 4) * 64])
