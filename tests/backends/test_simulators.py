"""The same circuits run on every simulator backend (Loihi emulator, Brian2), through a fixture."""

import numpy as np
import pytest

from pulsegated.analysis.activity import activity_violations
from pulsegated.backends import simulator
from pulsegated.circuit import Circuit, LoihiCompartment
from pulsegated.nbp import rule
from pulsegated.nbp.network import PLASTIC, copies_consistent, training_circuit
from pulsegated.nbp.reference import train_epoch


@pytest.fixture(params=["loihi", "brian2"])
def make_sim(request):
    cls = simulator(request.param)
    options = {"codegen": "numpy"} if request.param == "brian2" else {}
    return lambda circuit, **kw: cls(circuit, **kw, **options)


def test_delays_and_fan_out(make_sim):
    """A spike at step t arrives at t + 1 + delay, through one-to-one and one-to-all synapses."""
    c = Circuit("delays")
    c.add_source("s", 2, steps=(0, 3), indices=(0, 1))
    c.add_population("a", 2)
    c.add_population("b", 2)
    c.add_population("fan", 3)
    c.connect("s", "a", "one_to_one", 2048)
    c.connect("a", "b", "one_to_one", 2048, delay=4)
    c.connect("s", "fan", "all_to_all", np.array([[2048, 0, 2048], [0, 2048, 0]]), delay=2)
    sim = make_sim(c)
    sim.run_steps(12)
    steps, idx = sim.spikes("a")
    assert list(zip(steps, idx)) == [(1, 0), (4, 1)]
    steps, idx = sim.spikes("b")
    assert list(zip(steps, idx)) == [(6, 0), (9, 1)]
    steps, idx = sim.spikes("fan")
    assert sorted(zip(steps, idx)) == [(3, 0), (3, 2), (6, 1)]


def test_clear_spikes_forgets_what_was_recorded(make_sim):
    """After clear_spikes, spikes() returns only what fired later, on the same step count (the
    Brian2 standalone device: tests/backends/brian2/test_isolation.py)."""
    c = Circuit("clear")
    c.add_source("s", 2, steps=(0, 1, 6, 7), indices=(0, 1, 0, 1))
    c.add_population("a", 2)
    c.add_population("b", 1)
    c.connect("s", "a", "one_to_one", 2048)
    c.connect("s", "b", "all_to_all", np.array([[2048], [0]]))
    sim = make_sim(c)
    sim.run_steps(5)
    assert len(sim.spikes("a")[0]) == 2 and len(sim.spikes("b")[0]) == 1
    sim.clear_spikes()
    assert len(sim.spikes("a")[0]) == 0 and len(sim.spikes("b")[0]) == 0
    sim.run_steps(5)
    steps, idx = sim.spikes("a")
    assert list(zip(steps.tolist(), idx.tolist())) == [(7, 0), (8, 1)]
    assert sim.spikes("b")[0].tolist() == [7]


def loihi_compartments(n_steps, source_steps, weights, m: LoihiCompartment):
    """u, v (raw chip units) and spikes of compartments fed by one source, written out from the
    dynamics documented in :class:`LoihiCompartment`, in plain Python integers."""
    def decay(x, d):
        return (abs(x) * (4096 - d) // 4096) * (1 if x >= 0 else -1)
    n = len(weights)
    vlim = 2 ** 23 - 1
    u, v, hold = [0] * n, [0] * n, [0] * n
    U, V, S = np.zeros((n_steps, n), np.int64), np.zeros((n_steps, n), np.int64), []
    for t in range(n_steps):
        arriving = sum(1 for s in source_steps if s + 1 == t)
        for i in range(n):
            u[i] = decay(u[i], m.decay_u) + arriving * weights[i] * 64
            v[i] = min(vlim, max(-vlim, decay(v[i], m.decay_v) + u[i] + m.bias * 64))
            if hold[i]:
                v[i], hold[i] = 0, hold[i] - 1
            elif v[i] > m.threshold * 64:
                S.append((t, i))
                v[i], hold[i] = 0, m.refractory - 1
        U[t], V[t] = u, v
    return U, V, S


def test_leaky_compartments_and_refractoriness(make_sim):
    """Decays, bias and refractory delay follow the documented compartment dynamics exactly."""
    model = LoihiCompartment(threshold=1000, bias=-20, decay_u=700, decay_v=300, refractory=4)
    c = Circuit("leaky")
    source_steps = tuple(range(0, 40, 3))
    c.add_source("s", 1, steps=source_steps)
    c.add_population("p", 3, model)
    weights = [400, 256, 600]
    c.connect("s", "p", "all_to_all", np.array([weights]))
    sim = make_sim(c, record_state={"p": ["u", "v"]})
    sim.run_steps(45)
    U, V, S = loihi_compartments(45, source_steps, weights, model)
    steps, idx = sim.spikes("p")
    assert len(S) > 5 and {i for _, i in S} == {0, 1, 2}
    assert sorted(zip(steps.tolist(), idx.tolist())) == S
    np.testing.assert_array_equal(sim.state("p", "u"), U)
    np.testing.assert_array_equal(sim.state("p", "v"), V)


def test_set_weights_changes_what_a_spike_delivers(make_sim):
    """weights() reads, set_weights() replaces between runs, and state() shows the effect."""
    c = Circuit("set")
    c.add_source("s", 2, steps=(0, 1, 5, 6), indices=(0, 1, 0, 1))
    c.add_population("p", 3, LoihiCompartment(threshold=100_000))
    c.connect("s", "p", "all_to_all", np.array([[4, -6, 8], [0, 10, -2]]), name="w")
    sim = make_sim(c, record_state={"p": ["u"]})
    np.testing.assert_array_equal(sim.weights("w"), [[4, -6, 8], [0, 10, -2]])
    sim.run_steps(4)
    sim.set_weights("w", np.array([[-20, 2, 6], [12, 0, 14]]))
    np.testing.assert_array_equal(sim.weights("w"), [[-20, 2, 6], [12, 0, 14]])
    sim.run_steps(4)
    u = sim.state("p", "u") // 64
    assert u.shape == (8, 3) and sim.t == 8
    np.testing.assert_array_equal(u[[1, 2, 6, 7]], [[4, -6, 8], [0, 10, -2],
                                                    [-20, 2, 6], [12, 0, 14]])


def test_simulator_facade_and_reading_errors():
    from pulsegated.backends import Simulator
    from pulsegated.errors import UsageError
    c = Circuit("one")
    c.add_source("s", 1, steps=(0,))
    c.add_population("p", 1, LoihiCompartment())
    c.connect("s", "p", "one_to_one", 2048)
    with pytest.raises(UsageError, match=r"unknown backend 'nest' for Simulator; choose one of: "
                                         r"loihi, brian2"):
        Simulator(c, backend="nest")
    with Simulator(c, backend="loihi", record_state={"p": "v"}) as sim:
        sim.run_steps(2)
        assert sim.spikes("p")[0].tolist() == [1]
        with pytest.raises(UsageError, match=r"'u' of 'p' was not recorded"):
            sim.state("p", "u")
    with pytest.raises(UsageError, match=r"records u and v of 'p', not 'w'"):
        Simulator(c, backend="loihi", record_state={"p": ["w"]})


def test_nbp_circuit_trains_like_the_reference(make_sim):
    rng = np.random.default_rng(11)
    W1, W2 = rule.init_weights(30, 20, 5, rng)
    W1, W2 = np.clip(W1 * 2, -240, 240), np.clip(W2 * 2, -240, 240)
    X = (rng.random((50, 30)) < 0.4).astype(np.uint8)
    y = rng.integers(0, 5, 50)
    c = training_circuit(W1, W2)
    sim = make_sim(c)
    sim.run_samples({"pixels": X[:20], "targets": np.eye(5, dtype=np.uint8)[y[:20]]})
    sim.run_samples({"pixels": X[20:], "targets": np.eye(5, dtype=np.uint8)[y[20:]]})
    R1, R2 = W1.copy(), W2.copy()
    train_epoch(R1, R2, X, y)
    assert (R1 != W1).sum() > 50
    # below W2 = -256 the negated copy can mirror W2 exactly (see test_negated_copy_saturation)
    assert R2.min() > -256
    np.testing.assert_array_equal(sim.weights("W1").T, R1)
    np.testing.assert_array_equal(sim.weights("W2").T, R2)
    assert all(copies_consistent({k: sim.weights(k) for k in PLASTIC}).values())
    assert activity_violations(c, {p: sim.spikes(p) for p in c.populations}) == []


def test_negated_copy_saturation(make_sim):
    """The 8-bit mixed range is [-256, 254]: where W2 reaches -256, its negated copy stops at 254.

    Every other copy stays exact; the negated copy differs only at weights that have reached -256,
    which is why identity with the reference arithmetic is guaranteed only until then.
    """
    rng = np.random.default_rng(11)
    W1, W2 = rule.init_weights(30, 20, 5, rng)
    W1, W2 = np.clip(W1 * 3, -240, 240), np.clip(W2 * 3, -240, 240)
    X = (rng.random((50, 30)) < 0.4).astype(np.uint8)
    y = rng.integers(0, 5, 50)
    sim = make_sim(training_circuit(W1, W2))
    sim.run_samples({"pixels": X, "targets": np.eye(5, dtype=np.uint8)[y]})
    R1, R2 = W1.copy(), W2.copy()
    reached = np.zeros(W2.shape, bool)
    for x, t in zip(X, np.eye(5, dtype=np.uint8)[y]):
        rule.train_sample(R1, R2, x, t)
        reached |= R2 == -256
    w = {k: sim.weights(k) for k in PLASTIC}
    ok = copies_consistent(w)
    assert [k for k, v in ok.items() if not v] == ["W2T_minus"]
    mismatch = w["W2T_minus"] != -w["W2"].T
    assert mismatch.any() and reached[mismatch].all()


def test_sample_data_is_checked_before_running(make_sim):
    from pulsegated.errors import UsageError
    W1, W2 = rule.init_weights(6, 4, 3, 0)
    sim = make_sim(training_circuit(W1, W2))
    with pytest.raises(UsageError, match=r"missing \['targets'\]"):
        sim.run_samples({"pixels": np.zeros((2, 6), np.uint8)})
    with pytest.raises(UsageError, match=r"'pixels' must have shape \(n_samples, 6\)"):
        sim.run_samples({"pixels": np.zeros((2, 5)), "targets": np.zeros((2, 3))})
    with pytest.raises(UsageError, match="'targets' must be 0/1"):
        sim.run_samples({"pixels": np.zeros((2, 6)), "targets": np.full((2, 3), 2)})
    assert sim.t == 0


@pytest.mark.parametrize("bad,message", [
    (np.full((2, 3), 0.5), r"'targets' must be 0/1 .*; found 0.5"),
    (np.full((2, 3), np.nan), r"'targets' must be 0/1 .*; found nan"),
    (np.full((2, 3), "1"), r"'targets' must be a numeric array of 0/1 .*got dtype <U1"),
    (np.full((2, 3), None), r"'targets' must be a numeric array of 0/1 .*got dtype object"),
])
def test_sample_data_must_be_exactly_binary(make_sim, bad, message):
    from pulsegated.errors import UsageError
    W1, W2 = rule.init_weights(6, 4, 3, 0)
    sim = make_sim(training_circuit(W1, W2))
    before = sim.weights("W2").copy()
    with pytest.raises(UsageError, match=message):
        sim.run_samples({"pixels": np.ones((2, 6), np.uint8), "targets": bad})
    assert sim.t == 0
    np.testing.assert_array_equal(sim.weights("W2"), before)
    # floats that are exactly 0/1 and booleans are spikes
    sim.run_samples({"pixels": np.ones((2, 6)), "targets": np.eye(3, dtype=bool)[[0, 1]]})
    assert sim.t > 0
