"""A learning rule written as Brian2 strings (EquationSynapse): pair-based STDP on the Brian2
backend against the rule written out by hand; the Loihi backend refuses it by name."""

import brian2 as b2
import numpy as np
import pytest

from pulsegated.backends.brian2 import Brian2Simulator
from pulsegated.backends.loihi import DiscretizeError, discretize
from pulsegated.circuit import (Circuit, CircuitError, EquationNeuron, EquationSynapse,
                                LoihiCompartment)

TAU = 10.0  # ms
A_PRE, A_POST = 0.01, -0.012
PRE_STEPS = (5, 30, 41)     # source steps: pre neurons spike 1 step later
POST_STEPS = (14, 37)       # source steps: post neuron spikes 1 step later
W0 = 0.2

STDP = EquationSynapse(
    model="dapre/dt = -apre / tau_stdp : 1 (event-driven)\n"
          "dapost/dt = -apost / tau_stdp : 1 (event-driven)",
    on_pre="apre += A_pre\nw = clip(w + apost, 0, 1)",
    on_post="apost += A_post\nw = clip(w + apre, 0, 1)",
    namespace={"tau_stdp": TAU * b2.ms, "A_pre": A_PRE, "A_post": A_POST})


def _circuit(rule=STDP):
    c = Circuit("stdp")
    # relays fire in the step after a source spike reaches v; x only sums the plastic input
    relay = EquationNeuron("v : 1\nx : 1", threshold="v > 0.5", reset="v = 0", input_var="v",
                           method="exact")
    c.add_population("pre", 1, relay)
    c.add_population("post", 1, relay)
    c.add_source("pre_in", 1, steps=PRE_STEPS)
    c.add_source("post_in", 1, steps=POST_STEPS)
    c.connect("pre_in", "pre", "one_to_one", 1.0)
    c.connect("post_in", "post", "one_to_one", 1.0)
    c.connect("pre", "post", "all_to_all", W0, plasticity=rule, target="x", name="stdp")
    return c


def _by_hand():
    """Every (pre, post) spike pair, all-to-all: post after pre adds A_pre * exp(-dt / tau),
    pre after post adds A_post * exp(-dt / tau); no clipping is reached."""
    pre = [s + 1 for s in PRE_STEPS]
    post = [s + 1 for s in POST_STEPS]
    dw = 0.0
    for tp in pre:
        for tq in post:
            if tq > tp:
                dw += A_PRE * np.exp(-(tq - tp) / TAU)
            elif tp > tq:
                dw += A_POST * np.exp(-(tp - tq) / TAU)
    return W0 + dw, pre, post


def test_stdp_written_as_strings_learns_as_the_rule_says():
    sim = Brian2Simulator(_circuit(), codegen="numpy", record_state={"post": "x"})
    sim.run_steps(50)
    expected, pre, post = _by_hand()
    assert list(sim.spikes("pre")[0]) == pre and list(sim.spikes("post")[0]) == post
    # three potentiating pairs (6 -> 15, 6 -> 38, 31 -> 38) and two depressing ones
    # (15 -> 31, 38 -> 42): the weight went both ways
    assert abs(expected - W0) > 1e-3
    np.testing.assert_allclose(sim.weights("stdp"), [[expected]], rtol=1e-12)
    # each pre spike is delivered after its own on_pre: x sums the weights it was carried with
    x = sim.state("post", "x")[:, 0]
    assert x[-1] == pytest.approx(sum(_weight_at(t) for t in pre), rel=1e-12)


def _weight_at(t_pre):
    """The weight after the on_pre of the pre spike at ``t_pre`` (pairs up to and at t_pre)."""
    pre = [s + 1 for s in PRE_STEPS if s + 1 <= t_pre]
    post = [s + 1 for s in POST_STEPS if s + 1 < t_pre]
    dw = sum(A_PRE * np.exp(-(tq - tp) / TAU) for tp in pre for tq in post if tq > tp)
    dw += sum(A_POST * np.exp(-(tp - tq) / TAU) for tp in pre for tq in post if tp > tq)
    return W0 + dw


def test_loihi_refuses_equation_synapses_by_name():
    c = Circuit("c")
    c.add_population("a", 2)
    c.add_population("b", 2, LoihiCompartment())
    c.connect("a", "b", "all_to_all", np.zeros((2, 2), int), name="stdp", plasticity=STDP)
    with pytest.raises(DiscretizeError, match=r"the loihi backend cannot run EquationSynapse "
                                              r"plasticity \(connection 'stdp'\); backends that "
                                              r"can: brian2"):
        discretize(c)


@pytest.mark.parametrize("kwargs,message", [
    (dict(on_pre=""), "needs on_pre or on_post statements"),
    (dict(on_pre=3), "on_pre must be a string"),
    (dict(on_pre="w += 1", namespace={"w": 1}), "w is the connection's weight"),
    (dict(on_pre="w += 1", namespace={"a b": 1}), "namespace must map variable names"),
])
def test_equation_synapse_fields_are_checked(kwargs, message):
    with pytest.raises(CircuitError, match=f"connection 'stdp' .*: .*{message}"):
        _circuit(EquationSynapse(**kwargs))
