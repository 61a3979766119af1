"""The pulse-gated Hebbian rule (GatedTraceHebbian) on the Brian2 backend, against a plainly
written computation of the same rule from the recorded spikes."""

import brian2 as b2
import numpy as np
import pytest

from pulsegated.backends.brian2 import Brian2Simulator
from pulsegated.circuit import Circuit, CircuitError, EquationNeuron, GatedTraceHebbian
from pulsegated.errors import UsageError

DT = 0.1  # ms
TAU = 2.0  # ms, post trace
ETA = 3e-5  # changes of a few hundredths: the upper bound 0.2 is hit once
PRE_STEPS = (5, 12, 30, 33, 41, 52, 61, 70, 84)
POST_STEPS = (3, 9, 11, 28, 31, 40, 58, 60, 66, 80)
GATES = {"gp": (25,), "gd": (55,)}  # potentiation window from step 25, depression from 55
WINDOW = 2.0  # ms = 20 steps


TEACH_STEPS = (4, 10, 29, 32, 50, 57, 59, 69)


def _circuit(w0, trace="neuron"):
    c = Circuit("hebb", dt=DT * b2.ms)
    # a neuron that fires in the step after its drive v reaches 1 (driven by a spike train);
    # x only counts what the plastic synapses deliver
    relay = EquationNeuron("v : 1\nx : 1", threshold="v > 0.5", reset="v = 0", input_var="v",
                           method="exact")
    c.add_population("pre", 2, relay)
    c.add_population("post", 3, relay)
    # pre neuron 0 and post neurons 0, 1 follow the trains; the others stay silent
    c.add_source("pre_in", 2, steps=tuple(s - 1 for s in PRE_STEPS), indices=(0,) * len(PRE_STEPS))
    c.add_source("post_in", 3, steps=tuple(s - 1 for s in POST_STEPS) * 2,
                 indices=(0,) * len(POST_STEPS) + (1,) * len(POST_STEPS))
    for g, steps in GATES.items():
        c.add_source(g, 1, steps=steps)
    c.connect("pre_in", "pre", "one_to_one", 1.0)
    c.connect("post_in", "post", "one_to_one", 1.0)
    # a teacher population of 4 neurons (neuron 0 follows its train) for trace=("teach",)
    c.add_population("teach", 4, relay)
    c.add_source("teach_in", 4, steps=tuple(s - 1 for s in TEACH_STEPS),
                 indices=(0,) * len(TEACH_STEPS))
    c.connect("teach_in", "teach", "one_to_one", 1.0)
    rule = GatedTraceHebbian(ETA, TAU * b2.ms, potentiate=("gp",), depress=("gd",),
                             window=WINDOW * b2.ms, wmin=0.0, wmax=0.2, trace=trace)
    c.connect("pre", "post", "all_to_all", w0, plasticity=rule, target="x")
    return c


@pytest.fixture(scope="module")
def run():
    w0 = np.full((2, 3), 0.1)
    sim = Brian2Simulator(_circuit(w0), codegen="numpy", record_state={"post": "x"})
    sim.run_steps(100)
    return sim, w0


def _trace(steps, t, scale=1.0):
    """Trace (Hz) at step t of spikes at ``steps`` strictly before t, each adding scale / tau."""
    return scale * sum(np.exp(-(t - tk) * DT / TAU) / (TAU * 1e-3) for tk in steps if tk < t)


def _replay(w0, gates=GATES, bounds=(0.0, 0.2), trace="neuron"):
    """The rule written out from the spike trains: a pre spike at step t inside a window opened
    at step g (g <= t <= g + window) changes w by sign * eta * (trace of the post spikes strictly
    before t).  Returns the final weights and the weight each pre spike was delivered with."""
    w, used = w0.copy(), []
    for t in PRE_STEPS:
        sign = 0
        for g, (s,) in gates.items():
            if s <= t <= s + round(WINDOW / DT):
                sign = 1 if g == "gp" else -1
        for j, post_steps in enumerate((POST_STEPS, POST_STEPS, ())):
            if trace == "neuron":      # the post neuron's own spikes
                a = _trace(post_steps, t)
            elif trace == "population":  # every spike of the 3 post neurons, / 3
                a = _trace(POST_STEPS, t, 2 / 3)
            else:                      # the teacher's spikes (one of its 4 neurons fires), / 4
                a = _trace(TEACH_STEPS, t, 1 / 4)
            w[0, j] = np.clip(w[0, j] + sign * ETA * a, *bounds)
        used.append(w[0, 0])
    return w, used


def test_spikes_follow_the_trains(run):
    sim, _ = run
    steps, idx = sim.spikes("pre")
    assert list(steps) == list(PRE_STEPS) and set(idx) == {0}
    steps, idx = sim.spikes("post")
    assert sorted(steps[idx == 0]) == list(POST_STEPS)


def test_weights_follow_the_rule(run):
    sim, w0 = run
    w = sim.weights("pre__post")
    expected, _ = _replay(w0)
    np.testing.assert_allclose(w, expected, rtol=1e-9, atol=1e-12)
    # silent pre neuron 1 and silent post neuron 2 keep their weights
    assert np.all(w[1] == w0[1]) and w[0, 2] == w0[0, 2]
    # both windows acted (up, then down), and the pre spikes outside them did not: with the
    # windows opened over the whole run the result would differ
    assert w[0, 0] != w0[0, 0]
    _, used = _replay(w0)
    assert max(used) == 0.2 and used[-1] < max(used)  # up to the bound, then down
    always_open, _ = _replay(w0, {"gp": (0,), "gd": (1000,)})
    assert not np.allclose(always_open, w)


@pytest.mark.parametrize("trace", ["population", ("teach",)])
def test_population_and_teacher_traces_follow_the_rule(trace):
    """With a population trace every post neuron, silent ones included, pairs with the summed
    spikes of the population over its size; with a teacher, with the teacher's."""
    w0 = np.full((2, 3), 0.1)
    sim = Brian2Simulator(_circuit(w0, trace), codegen="numpy")
    sim.run_steps(100)
    w = sim.weights("pre__post")
    expected, _ = _replay(w0, trace=trace)
    np.testing.assert_allclose(w, expected, rtol=1e-9, atol=1e-12)
    assert np.allclose(w[0], w[0, 0])  # one change for all post neurons
    assert not np.allclose(expected, _replay(w0)[0])  # differs from the neuron's own trace
    assert np.all(w[1] == w0[1])


def test_bad_traces_are_refused():
    with pytest.raises(CircuitError, match="trace source 'nope'"):
        _circuit(np.full((2, 3), 0.1), ("nope",))
    with pytest.raises(CircuitError, match="trace must be"):
        _circuit(np.full((2, 3), 0.1), "teacher")


def test_delivery_uses_the_updated_weight(run):
    sim, w0 = run
    x = sim.state("post", "x")[:, 0]
    _, used = _replay(w0)
    assert x[-1] == pytest.approx(sum(used), rel=1e-9)


@pytest.mark.parametrize("kwargs, message", [
    (dict(eta=0.0), "eta must be a positive number"),
    (dict(tau=2.0), "tau must be a positive time"),
    (dict(window=None), "window must be a positive time"),
    (dict(potentiate=("gp",), depress=("gp",)), "both potentiation and depression"),
    (dict(potentiate=(), depress=()), "needs at least one learning gate"),
    (dict(potentiate=("nope",)), "learning gate 'nope' is not a source or population"),
    (dict(potentiate="gp"), "must be a tuple of gate names"),
    (dict(wmin=1.0, wmax=0.0), "wmin must be below wmax"),
])
def test_bad_rules_are_refused(kwargs, message):
    c = Circuit("bad", dt=DT * b2.ms)
    relay = EquationNeuron("v : 1", threshold="v > 0.5", reset="v = 0", input_var="v")
    c.add_population("a", 2, relay)
    c.add_population("b", 2, relay)
    c.add_source("gp", 1, steps=(3,))
    args = dict(eta=0.1, tau=1 * b2.ms, potentiate=("gp",), window=1 * b2.ms)
    args.update(kwargs)
    with pytest.raises(CircuitError, match=message):
        c.connect("a", "b", "all_to_all", 0.1, plasticity=GatedTraceHebbian(**args))


def test_rules_onto_one_population_must_agree():
    c = Circuit("two", dt=DT * b2.ms)
    relay = EquationNeuron("v : 1", threshold="v > 0.5", reset="v = 0", input_var="v")
    for p in ("a", "b", "post"):
        c.add_population(p, 2, relay)
    c.add_source("gp", 1, steps=(3,))
    for pre, tau in (("a", 1), ("b", 2)):
        c.connect(pre, "post", "all_to_all", 0.1,
                  plasticity=GatedTraceHebbian(0.1, tau * b2.ms, potentiate=("gp",),
                                               window=1 * b2.ms))
    with pytest.raises(UsageError, match="must share tau, window, trace and gates"):
        Brian2Simulator(c, codegen="numpy")


def test_epoch_applies_accumulated_changes_at_its_boundaries():
    """With an epoch of 50 steps, the changes of the pre spikes before step 50 are applied at step
    50 and the later ones are still pending at step 100; every spike is delivered with the weight
    of its epoch."""
    w0 = np.full((2, 3), 0.1)
    c = _circuit(w0)
    conn = c.connections["pre__post"]
    rule = GatedTraceHebbian(ETA, TAU * b2.ms, potentiate=("gp",), depress=("gd",),
                             window=WINDOW * b2.ms, epoch=50 * DT * b2.ms)
    c.connections["pre__post"] = type(conn)(**{**conn.__dict__, "plasticity": rule})
    sim = Brian2Simulator(c, codegen="numpy", record_state={"post": "x"})
    sim.run_steps(100)
    free = (-np.inf, np.inf)  # unbounded: the sum of the changes does not depend on their order
    w_all, _ = _replay(w0, bounds=free)
    early = {g: s for g, s in GATES.items() if s[0] < 50}
    w_early, _ = _replay(w0, {**{g: (10_000,) for g in GATES}, **early}, bounds=free)
    np.testing.assert_allclose(sim.weights("pre__post"), w_early, rtol=1e-9)
    assert not np.allclose(w_early, w_all)
    x = sim.state("post", "x")[:, 0]
    expected = sum(w0[0, 0] if t < 50 else w_early[0, 0] for t in PRE_STEPS)
    assert x[-1] == pytest.approx(expected, rel=1e-9)
