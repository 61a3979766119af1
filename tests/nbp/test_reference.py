import numpy as np
import pytest

from pulsegated.errors import UsageError
from pulsegated.nbp import rule
from pulsegated.nbp.reference import ReferenceBackend, negated_copy, train_epoch


def naive_per_sample(W1, W2, X, labels, chip_copy=False):
    """Deliberately naive: every quantity of the spec's equations spelled out, python loops.

    ``chip_copy``: the hidden error goes through the negated copy of W2 as the circuit holds it
    (its own clip, so 254 where W2 is -256): d1+ sums W2 over the rows of d+ and the copy over
    the rows of d- (phase 6), d1- the other way round (phase 10).
    """
    W1 = W1.astype(np.int64).copy()
    W2 = W2.astype(np.int64).copy()
    n_out, n_hidden = W2.shape
    neg = [[254 if W2[k, j] == -256 else -int(W2[k, j]) for j in range(n_hidden)]
           for k in range(n_out)]
    for x, lab in zip(X, labels):
        z1 = [sum(int(W1[j, i]) for i in range(len(x)) if x[i]) for j in range(n_hidden)]
        h = [int(z > 512) for z in z1]
        f1 = [int(z > 0 and not z > 1024) for z in z1]
        z2 = [sum(int(W2[k, j]) * h[j] for j in range(n_hidden)) for k in range(n_out)]
        o = [int(z > 512) for z in z2]
        f2 = [int(z > 0 and not z > 1024) for z in z2]
        t = [int(k == lab) for k in range(n_out)]
        d2 = [f2[k] * t[k] * (1 - o[k]) - f2[k] * o[k] * (1 - t[k]) for k in range(n_out)]
        for k in range(n_out):
            for j in range(n_hidden):
                W2[k, j] = min(254, max(-256, W2[k, j] + 2 * d2[k] * h[j]))
                neg[k][j] = min(254, max(-256, neg[k][j] - 2 * d2[k] * h[j]))
        for j in range(n_hidden):
            if chip_copy:
                up = sum(int(W2[k, j]) if d2[k] > 0 else neg[k][j] if d2[k] < 0 else 0
                         for k in range(n_out))
                down = sum(int(W2[k, j]) if d2[k] < 0 else neg[k][j] if d2[k] > 0 else 0
                           for k in range(n_out))
                d1 = 1 if up > 0 else -1 if down > 0 else 0
            else:
                s = sum(int(W2[k, j]) * d2[k] for k in range(n_out))
                d1 = (s > 0) - (s < 0)
            d1 *= f1[j]
            for i in range(len(x)):
                W1[j, i] = min(254, max(-256, W1[j, i] + 2 * d1 * int(x[i])))
    return W1, W2


@pytest.mark.parametrize("seed,scale,density", [(0, 1, 0.3), (1, 4, 0.5), (2, 8, 0.2)])
def test_fast_trainer_equals_naive_definition(seed, scale, density):
    rng = np.random.default_rng(seed)
    n_in, n_hidden, n_out, n = 20, 12, 4, 150
    W1, W2 = rule.init_weights(n_in, n_hidden, n_out, rng)
    # large scales drive weights into the clip range [-256, 254]
    W1 = np.clip(W1 * scale, -256, 254) // 2 * 2
    W2 = np.clip(W2 * scale, -256, 254) // 2 * 2
    X = (rng.random((n, n_in)) < density).astype(np.uint8)
    labels = rng.integers(0, n_out, n)
    A1, A2 = naive_per_sample(W1, W2, X, labels, chip_copy=True)
    B1, B2 = W1.copy(), W2.copy()
    train_epoch(B1, B2, X, labels)
    assert (A1 != W1).any() and (A2 != W2).any()
    np.testing.assert_array_equal(B1, A1)
    np.testing.assert_array_equal(B2, A2)
    if scale == 8:
        assert (A1 == 254).any() or (A1 == -256).any(), "clipping must be exercised"
    # the plain vectorised definition agrees as well, with the copy
    C1, C2 = W1.copy(), W2.copy()
    Cn = negated_copy(W2)
    T = np.eye(n_out, dtype=np.uint8)[labels]
    for x, t in zip(X, T):
        rule.train_sample(C1, C2, x, t, W2_neg=Cn)
    np.testing.assert_array_equal(C1, A1)
    np.testing.assert_array_equal(C2, A2)
    # the published equations (hidden error through W2 itself) differ only once W2 saw -256
    I1, I2 = naive_per_sample(W1, W2, X, labels)
    if not ((I2 == -256).any() or (A2 == -256).any()):
        np.testing.assert_array_equal(I1, A1)
        np.testing.assert_array_equal(I2, A2)


def test_negated_copy_matters_only_after_saturation():
    """Scale 1 never reaches -256: the chip's copy equals -W2 and the two rules agree; with
    saturated weights the copy keeps its own clip and the hidden errors part."""
    rng = np.random.default_rng(11)
    W1, W2 = rule.init_weights(20, 12, 4, rng)
    X = (rng.random((150, 20)) < 0.3).astype(np.uint8)
    labels = rng.integers(0, 4, 150)
    A1, A2 = naive_per_sample(W1, W2, X, labels, chip_copy=True)
    I1, I2 = naive_per_sample(W1, W2, X, labels)
    assert (A2 > -256).all()
    np.testing.assert_array_equal(A1, I1)
    # large weights (as in the [1-4-0.5] case above) reach -256 and the hidden errors part
    rng = np.random.default_rng(1)
    W1, W2 = rule.init_weights(20, 12, 4, rng)
    W1 = np.clip(W1 * 4, -256, 254) // 2 * 2
    W2 = np.clip(W2 * 4, -256, 254) // 2 * 2
    X = (rng.random((150, 20)) < 0.5).astype(np.uint8)
    labels = rng.integers(0, 4, 150)
    A1, A2 = naive_per_sample(W1, W2, X, labels, chip_copy=True)
    I1, I2 = naive_per_sample(W1, W2, X, labels)
    assert (A2 == -256).any() and (A1 != I1).any()


def test_weights_stay_even_and_in_range():
    rng = np.random.default_rng(5)
    W1, W2 = rule.init_weights(30, 20, 10, rng)
    X = (rng.random((2000, 30)) < 0.5).astype(np.uint8)
    train_epoch(W1, W2, X, rng.integers(0, 10, 2000))
    for W in (W1, W2):
        assert W.min() >= -256 and W.max() <= 254 and not np.any(W % 2)


def test_init_is_glorot_even_clipped_and_seeded():
    W1, W2 = rule.init_weights(400, 400, 10, 3)
    assert W1.shape == (400, 400) and W2.shape == (10, 400)
    assert np.abs(W1).max() <= 240 and not np.any(W1 % 2)
    assert abs(W1.std() - np.sqrt(2 / 800) * 1024) < 2.0
    assert abs(W2.std() - np.sqrt(2 / 410) * 1024) < 3.0
    V1, _ = rule.init_weights(400, 400, 10, 3)
    np.testing.assert_array_equal(W1, V1)


def test_backend_interface_and_bad_input():
    W1, W2 = rule.init_weights(8, 6, 3, 0)
    b = ReferenceBackend(W1, W2)
    # inference: z2 = W2 h with h = (W1 x > 512), spelled out, on weights large enough to fire
    V1, V2 = np.clip(W1 * 6, -256, 254), np.clip(W2 * 6, -256, 254)
    V2[0] = 200  # output 0 fires once three hidden neurons do
    X = (np.random.default_rng(2).random((40, 8)) < 0.6).astype(np.uint8)
    inf = ReferenceBackend(V1, V2).infer(X)
    for s, x in enumerate(X):
        h = [int(sum(int(V1[j, i]) for i in range(8) if x[i]) > 512) for j in range(6)]
        z2 = [sum(int(V2[k, j]) * h[j] for j in range(6)) for k in range(3)]
        assert inf.potential[s].tolist() == z2
        assert inf.spikes[s].tolist() == [z > 512 for z in z2]
    assert inf.potential.dtype == np.int64 and inf.spikes.dtype == np.bool_
    assert 0 < inf.spikes.sum() < inf.spikes.size and len(np.unique(inf.potential)) > 5
    with pytest.raises(UsageError, match=r"shape \(n_samples, 8\)"):
        b.train(np.zeros((3, 7), np.uint8), np.zeros(3, int))
    with pytest.raises(UsageError, match="binary"):
        b.train(np.full((3, 8), 2, np.uint8), np.zeros(3, int))
    with pytest.raises(UsageError, match=r"labels must lie in \[0, 3\)"):
        b.train(np.zeros((3, 8), np.uint8), np.array([0, 1, 3]))
    with pytest.raises(UsageError, match="even"):
        ReferenceBackend(W1 + 1, W2)
    with pytest.raises(UsageError, match="no options"):
        ReferenceBackend(W1, W2, device="gpu")


@pytest.mark.parametrize("bad,found", [
    (np.full((3, 8), 255, np.uint8), "found 255"),
    (np.full((3, 8), 0.5), "found 0.5"),
    (np.full((3, 8), np.nan), "found nan"),
    (np.full((3, 8), -1), "found -1"),
])
def test_raw_pixels_and_non_binary_input_are_refused(bad, found):
    W1, W2 = rule.init_weights(8, 6, 3, 0)
    b = ReferenceBackend(W1, W2)
    for call in (lambda: b.infer(bad), lambda: b.train(bad, np.zeros(3, int)),
                 lambda: train_epoch(W1.copy(), W2.copy(), bad, np.zeros(3, int))):
        with pytest.raises(UsageError, match=rf"^X must be 0/1 \(binary spikes.*\); {found}$"):
            call()
    with pytest.raises(UsageError, match="X must be a numeric array of 0/1"):
        b.infer(np.full((3, 8), "1"))
    np.testing.assert_array_equal(b.weights()[0], W1)
    # floats exactly 0/1 and booleans are the same input as uint8
    X = (np.random.default_rng(1).random((3, 8)) < 0.5)
    np.testing.assert_array_equal(b.infer(X.astype(float)).potential,
                                  b.infer(X.astype(np.uint8)).potential)


def test_reference_state_is_the_weights_and_a_saturated_negated_copy():
    W1, W2 = rule.init_weights(8, 6, 3, 0)
    b = ReferenceBackend(W1, W2)
    assert b.plastic_state() == {}
    r = ReferenceBackend.restore(*b.weights(), {})
    np.testing.assert_array_equal(r.weights()[1], W2)
    with pytest.raises(UsageError, match="plastic state is W2T_minus only"):
        ReferenceBackend.restore(W1, W2, {"W1_copy": W1.T})
    with pytest.raises(UsageError, match="W2T_minus must be an integer matrix of shape"):
        ReferenceBackend.restore(W1, W2, {"W2T_minus": W2.T})
    # once the copy differs from -W2 it is the state a resumed run needs
    S2 = W2.copy()
    S2[0, 0] = -256
    neg = negated_copy(S2)
    assert neg[0, 0] == 254
    neg[0, 0] = 252  # as after +2 on both: W2 -254, the copy 252
    S2[0, 0] = -254
    r = ReferenceBackend.restore(W1, S2, {"W2T_minus": neg})
    np.testing.assert_array_equal(r.plastic_state()["W2T_minus"], neg)
