import numpy as np
import pytest

from pulsegated.analysis.activity import activity_violations, format_activity
from pulsegated.backends.loihi import LoihiSimulator
from pulsegated.nbp.spiking import LoihiBackend
from pulsegated.nbp import rule
from pulsegated.nbp.network import PLASTIC, copies_consistent, training_circuit
from pulsegated.nbp.reference import train_epoch


@pytest.fixture(scope="module")
def mnist(data_dir):
    from pulsegated.data import load_preprocessed
    X, y = load_preprocessed("mnist", "train", data_dir=data_dir)
    Xt, yt = load_preprocessed("mnist", "test", data_dir=data_dir)
    return X, y, Xt, yt


def random_problem(seed, n_in=30, n_hidden=20, n_out=5, n=60):
    rng = np.random.default_rng(seed)
    W1, W2 = rule.init_weights(n_in, n_hidden, n_out, rng)
    W1, W2 = np.clip(W1 * 3, -240, 240), np.clip(W2 * 3, -240, 240)
    X = (rng.random((n, n_in)) < 0.4).astype(np.uint8)
    return W1, W2, X, rng.integers(0, n_out, n)


def run_per_sample(W1, W2, X, y, n_out):
    """Train sample by sample; check the copies and the activity after every sample."""
    c = training_circuit(W1, W2)
    sim = LoihiSimulator(c)
    T = np.eye(n_out, dtype=np.uint8)[y]
    for k in range(len(X)):
        sim.run_samples({"pixels": X[k:k + 1], "targets": T[k:k + 1]})
        ok = copies_consistent({name: sim.weights(name) for name in PLASTIC})
        assert all(ok.values()), f"copies diverged after sample {k}: {ok}"
    spikes = {p: sim.spikes(p) for p in c.populations}
    assert activity_violations(c, spikes) == [], format_activity(c, spikes)
    return sim


@pytest.mark.parametrize("seed", [0, 1])
def test_random_inputs_small_network(seed):
    W1, W2, X, y = random_problem(seed)
    sim = run_per_sample(W1, W2, X, y, 5)
    R1, R2 = W1.copy(), W2.copy()
    train_epoch(R1, R2, X, y)
    assert (R1 != W1).sum() > 50
    np.testing.assert_array_equal(sim.weights("W1").T, R1)
    np.testing.assert_array_equal(sim.weights("W2").T, R2)
    assert all(v == 0 for rep in sim.overflow_report().values() for v in rep.values())


def test_mnist_full_size_copies_and_activity_every_sample(mnist):
    X, y, _, _ = mnist
    W1, W2 = rule.init_weights(400, 400, 10, 1)
    run_per_sample(W1, W2, X[:60], y[:60], 10)


def test_mnist_1000_samples_bit_identical_to_reference(mnist):
    X, y, Xt, yt = mnist
    W1, W2 = rule.init_weights(400, 400, 10, 0)
    order = np.random.default_rng(3).permutation(len(X))[:1500]
    b = LoihiBackend(W1, W2)
    b.train(X[order], y[order])
    R1, R2 = W1.copy(), W2.copy()
    train_epoch(R1, R2, X[order], y[order])
    L1, L2 = b.weights()
    assert (R1 != W1).sum() > 10000
    np.testing.assert_array_equal(L1, R1)
    np.testing.assert_array_equal(L2, R2)
    assert all(copies_consistent(b.plastic_weights()).values())
    # the 4-step inference network gives the reference forward pass
    inf = b.infer(Xt[:500])
    f = rule.forward(R1, R2, Xt[:500])
    np.testing.assert_array_equal(inf.spikes, f["o"])
    np.testing.assert_array_equal(inf.potential, f["z2"])


@pytest.mark.long
def test_mnist_full_epoch_bit_identical(mnist):
    X, y, _, _ = mnist
    W1, W2 = rule.init_weights(400, 400, 10, 5)
    order = np.random.default_rng(5).permutation(len(X))
    b = LoihiBackend(W1, W2)
    b.train(X[order], y[order])
    R1, R2 = W1.copy(), W2.copy()
    train_epoch(R1, R2, X[order], y[order])
    np.testing.assert_array_equal(b.weights()[0], R1)
    np.testing.assert_array_equal(b.weights()[1], R2)
    assert all(copies_consistent(b.plastic_weights()).values())


def test_backend_rejects_bad_input():
    from pulsegated.errors import UsageError
    W1, W2 = rule.init_weights(8, 6, 3, 0)
    with pytest.raises(UsageError, match="unknown option"):
        LoihiBackend(W1, W2, device="chip")
    b = LoihiBackend(W1, W2)
    with pytest.raises(UsageError, match=r"shape \(n_samples, 8\)"):
        b.train(np.zeros((2, 9), np.uint8), np.zeros(2, int))
    with pytest.raises(UsageError, match="binary"):
        b.train(np.full((2, 8), 3), np.zeros(2, int))
    with pytest.raises(UsageError, match=r"shape \(n_samples, 8\)"):
        b.infer(np.zeros((2, 7), np.uint8))


def saturated_problem(n=50):
    """A small problem starting with 30 % of W2 at -256, where the chip's negated copy holds 254."""
    rng = np.random.default_rng(11)
    W1, W2 = rule.init_weights(30, 20, 5, rng)
    W1, W2 = np.clip(W1 * 3, -240, 240), np.clip(W2 * 3, -240, 240)
    W2 = np.where(rng.random(W2.shape) < 0.3, -256, W2)
    X = (rng.random((n, 30)) < 0.4).astype(np.uint8)
    return W1, W2, X, rng.integers(0, 5, n)


def test_saturated_weights_build_and_resume_bit_identical():
    """A run past W2 = -256 resumes exactly from the full plastic state (all eight copies)."""
    W1, W2, X, y = saturated_problem()
    whole = LoihiBackend(W1, W2)  # builds: the negated copy of -256 is 254, as on the chip
    assert whole.plastic_state()["W2T_minus"].max() == 254
    whole.train(X, y)
    # the reference holds the negated copy as the chip does: identical past saturation
    R1, R2 = W1.copy(), W2.copy()
    train_epoch(R1, R2, X, y)
    np.testing.assert_array_equal(whole.weights()[0], R1)
    np.testing.assert_array_equal(whole.weights()[1], R2)
    # the published equations (hidden error through -W2 itself) part from the circuit here
    I1, I2 = W1.copy(), W2.copy()
    for x, t in zip(X, np.eye(5, dtype=np.uint8)[y]):
        rule.train_sample(I1, I2, x, t)
    assert not np.array_equal(whole.weights()[0], I1), "saturation must matter in this problem"
    first = LoihiBackend(W1, W2)
    first.train(X[:20], y[:20])
    state = first.plastic_state()
    assert set(state) == set(PLASTIC)
    assert (state["W2T_minus"] != -state["W2"].T).sum() > 10
    resumed = LoihiBackend.restore(*first.weights(), state)
    resumed.train(X[20:], y[20:])
    for name, w in whole.plastic_state().items():
        np.testing.assert_array_equal(resumed.plastic_state()[name], w, err_msg=name)
    # from W1, W2 alone the negated copy is re-derived and the continuation differs
    naive = LoihiBackend(*first.weights())
    naive.train(X[20:], y[20:])
    assert not np.array_equal(naive.plastic_state()["W2T_minus"],
                              whole.plastic_state()["W2T_minus"])


def test_restore_checks_the_plastic_state():
    from pulsegated.errors import UsageError
    W1, W2, _, _ = saturated_problem()
    state = LoihiBackend(W1, W2).plastic_state()
    with pytest.raises(UsageError, match="W2 does not match"):
        LoihiBackend.restore(W1, W2 + 2 * (W2 < 254), state)
    with pytest.raises(UsageError, match="unknown plastic connection"):
        LoihiBackend.restore(W1, W2, {**state, "W3": state["W2"]})


def test_float_and_bool_inputs_train_like_uint8_and_others_are_refused():
    from pulsegated.errors import UsageError
    W1, W2, X, y = random_problem(4, n=20)
    a, b = LoihiBackend(W1, W2), LoihiBackend(W1, W2)
    a.train(X, y)
    b.train(X.astype(np.float64), y)
    np.testing.assert_array_equal(a.weights()[0], b.weights()[0])
    for bad, found in ((X * 0.5, "found 0.5"), (np.where(X, np.nan, 0.0), "found nan"),
                       (X * 255, "found 255")):
        with pytest.raises(UsageError, match=f"X must be 0/1 .*; {found}"):
            a.train(bad, y)
        with pytest.raises(UsageError, match=f"X must be 0/1 .*; {found}"):
            a.infer(bad)
    np.testing.assert_array_equal(a.weights()[0], b.weights()[0])
