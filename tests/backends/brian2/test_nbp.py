import brian2 as b2
import numpy as np
import pytest

from pulsegated.backends.brian2 import Brian2Simulator
from pulsegated.nbp.spiking import Brian2Backend
from pulsegated.circuit import Circuit, EquationNeuron, GatedTraceHebbian
from pulsegated.errors import UsageError
from pulsegated.nbp import rule
from pulsegated.nbp.network import copies_consistent
from pulsegated.nbp.reference import train_epoch


@pytest.fixture(scope="module")
def trained():
    """Reduced network 40-30-10, 240 samples on the runtime device (numpy code generation)."""
    rng = np.random.default_rng(2)
    W1, W2 = rule.init_weights(40, 30, 10, rng)
    W1, W2 = np.clip(W1 * 2, -240, 240), np.clip(W2 * 2, -240, 240)
    X = (rng.random((240, 40)) < 0.35).astype(np.uint8)
    y = rng.integers(0, 10, 240)
    b = Brian2Backend(W1, W2, codegen="numpy", chunk=100, record=["x", "h1", "o"])
    b.train(X, y)
    R1, R2 = W1.copy(), W2.copy()
    train_epoch(R1, R2, X, y)
    return b, (W1, W2), (R1, R2), X


def test_weights_bit_identical_to_reference(trained):
    b, (W1, W2), (R1, R2), _ = trained
    assert (R1 != W1).sum() > 200 and (R2 != W2).sum() > 20
    got1, got2 = b.weights()
    np.testing.assert_array_equal(got1, R1)
    np.testing.assert_array_equal(got2, R2)
    assert all(copies_consistent(b.plastic_weights()).values())


def test_inference_network_matches_forward_pass(trained):
    b, _, (R1, R2), X = trained
    inf = b.infer(X[:120], chunk=50)
    f = rule.forward(R1, R2, X[:120])
    np.testing.assert_array_equal(inf.spikes, f["o"])
    np.testing.assert_array_equal(inf.potential, f["z2"])


def test_inference_simulator_is_built_once_and_follows_the_weights():
    """Evaluations between training chunks reuse one inference simulator, with the new weights."""
    rng = np.random.default_rng(5)
    W1, W2 = rule.init_weights(30, 20, 10, rng)
    W1, W2 = np.clip(W1 * 2, -240, 240), np.clip(W2 * 2, -240, 240)
    X = (rng.random((120, 30)) < 0.35).astype(np.uint8)
    y = rng.integers(0, 10, 120)
    b = Brian2Backend(W1, W2, codegen="numpy", chunk=60)
    R1, R2 = W1.copy(), W2.copy()
    first = b.infer(X[:40], chunk=40)
    sim = b._inference[1]
    f = rule.forward(R1, R2, X[:40])
    np.testing.assert_array_equal(first.potential, f["z2"])
    b.train(X[:60], y[:60])
    train_epoch(R1, R2, X[:60], y[:60])
    assert (R1 != W1).sum() > 20
    second = b.infer(X[:40], chunk=40)
    assert b._inference[1] is sim
    f = rule.forward(R1, R2, X[:40])
    np.testing.assert_array_equal(second.spikes, f["o"])
    np.testing.assert_array_equal(second.potential, f["z2"])
    b.close()


def test_recorded_spikes_follow_the_phases(trained):
    b, *_ = trained
    steps, idx = b.spikes("x")
    assert set(((steps - 2) % 12).tolist()) == {1, 7, 11}
    steps, _ = b.spikes("o")
    assert set(((steps - 2) % 12).tolist()) <= {3, 5, 9}


def test_bad_input():
    W1, W2 = rule.init_weights(8, 6, 3, 0)
    with pytest.raises(UsageError, match="unknown device 'gpu'"):
        Brian2Backend(W1, W2, device="gpu")
    with pytest.raises(UsageError, match="unknown option"):
        Brian2Backend(W1, W2, speed="max")
    b = Brian2Backend(W1, W2, codegen="numpy", chunk=4)
    with pytest.raises(UsageError, match=r"shape \(n_samples, 8\)"):
        b.train(np.zeros((2, 9), np.uint8), np.zeros(2, int))
    with pytest.raises(UsageError, match="binary"):
        b.train(np.full((2, 8), 2), np.zeros(2, int))
    with pytest.raises(UsageError, match=r"labels must lie in \[0, 3\)"):
        b.train(np.zeros((2, 8), np.uint8), np.array([0, 5]))


def test_bias_bound_is_refused():
    """Inputs whose summed weight exceeds the gate's bias cancellation would fire out of phase."""
    W1 = np.full((4, 100), 200, dtype=np.int64)
    W2 = np.zeros((2, 4), dtype=np.int64)
    b = Brian2Backend(W1, W2, codegen="numpy", chunk=4)
    with pytest.raises(UsageError, match=r"hidden \(W1 x\) input reaches 20000 > 17344"):
        b.train(np.ones((1, 100), np.uint8), np.array([0]))


def test_equation_neurons_receive_weights_in_their_units():
    import brian2 as b2
    c = Circuit("lif", dt=0.1 * b2.ms)
    c.add_source("s", 1, steps=(10,))
    lif = EquationNeuron(equations="dv/dt = -v / tau : volt", threshold="v > 5*mV",
                         reset="v = 0*mV", input_var="v", namespace={"tau": 10 * b2.ms})
    c.add_population("n", 2, lif)
    c.connect("s", "n", "all_to_all", np.array([[6e-3, 4e-3]]))
    sim = Brian2Simulator(c, codegen="numpy")
    sim.run_steps(30)
    steps, idx = sim.spikes("n")
    assert list(zip(steps, idx)) == [(11, 0)]


def test_rate_hebbian_needs_equation_neurons():
    c = Circuit("r")
    c.add_population("a", 2)
    c.add_population("b", 2)
    c.add_source("g", 1, steps=(3,))
    c.connect("a", "b", "all_to_all", np.zeros((2, 2), int),
              plasticity=GatedTraceHebbian(1.0, 1 * b2.ms, potentiate=("g",), window=1 * b2.ms))
    with pytest.raises(UsageError, match="needs an equation-neuron postsynaptic population"):
        Brian2Simulator(c, codegen="numpy")


@pytest.mark.long
@pytest.mark.standalone
def test_standalone_full_size_10000_mnist_samples(data_dir, tmp_path):
    from pulsegated.data import load_preprocessed
    X, y = load_preprocessed("mnist", "train", data_dir=data_dir)
    order = np.random.default_rng(7).permutation(len(X))[:10000]
    W1, W2 = rule.init_weights(400, 400, 10, 7)
    b = Brian2Backend(W1, W2, device="cpp_standalone", chunk=2000, directory=str(tmp_path))
    b.train(X[order], y[order])
    R1, R2 = W1.copy(), W2.copy()
    train_epoch(R1, R2, X[order], y[order])
    np.testing.assert_array_equal(b.weights()[0], R1)
    np.testing.assert_array_equal(b.weights()[1], R2)
    assert all(copies_consistent(b.plastic_weights()).values())


def test_saturated_run_resumes_bit_identical_and_matches_loihi():
    """Brian2 keeps the chip's saturated negated copy and resumes from the full plastic state."""
    from pulsegated.nbp.spiking import LoihiBackend
    rng = np.random.default_rng(11)
    W1, W2 = rule.init_weights(30, 20, 5, rng)
    W1, W2 = np.clip(W1 * 3, -240, 240), np.clip(W2 * 3, -240, 240)
    W2 = np.where(rng.random(W2.shape) < 0.3, -256, W2)
    X = (rng.random((8, 30)) < 0.4).astype(np.uint8)
    y = rng.integers(0, 5, 8)
    loihi = LoihiBackend(W1, W2)
    loihi.train(X, y)
    first = Brian2Backend(W1, W2, codegen="numpy", chunk=4)
    first.train(X[:4], y[:4])
    state = first.plastic_state()
    assert (state["W2T_minus"] != -state["W2"].T).any()
    resumed = Brian2Backend.restore(*first.weights(), state, codegen="numpy", chunk=4)
    resumed.train(X[4:], y[4:])
    for name, w in loihi.plastic_state().items():
        np.testing.assert_array_equal(resumed.plastic_state()[name], w, err_msg=name)
