"""The two-layer graded backprop circuit (ReLU hidden layer) on its mean field: one cycle's
changes of every plastic coupling against backpropagation written out, and XOR."""

import numpy as np
import pytest

from pulsegated.errors import UsageError
from pulsegated.gradedbp.circuit import backward_matrices, two_layer_circuit
from pulsegated.gradedbp.learn import CycleRunner, calibrated, learn_xor, xor_surface
from pulsegated.gradedbp.params import GradedBPParams
from pulsegated.gradedbp.tasks import XORTask

HIDDEN_BIAS = 0.3


@pytest.fixture(scope="module")
def p():
    return calibrated(GradedBPParams(), "meanfield")


def backprop(W1, W2, x, t, eta, threshold):
    """One step of backpropagation for o = W2 [relu(W1 x); b] and the loss (t - o)^2 / 2."""
    z = W1 @ x
    h = np.maximum(z, 0)
    hb = np.r_[h, HIDDEN_BIAS]
    o = W2 @ hb
    d = t - o
    e = (W2[:, :-1].T @ d) * (z > threshold)
    return o, h, eta * np.outer(d, hb), eta * np.outer(e, x)


@pytest.mark.parametrize("x,t", [((0.5, 0.05, 0.3), 0.1), ((0.05, 0.5, 0.3), 0.4)])
def test_one_cycle_is_backpropagation(p, x, t):
    # hidden unit 1 is off for the first input (its ReLU derivative 0: its W1 row must not move)
    W1 = np.array([[0.5, 0.2, 0.5], [-0.6, 0.4, 0.1]])
    W2 = np.array([[0.6, -0.5, 0.3]])
    x, t = np.array(x), np.array([t])
    o_ref, h_ref, dW2_ref, dW1_ref = backprop(W1, W2, x, t, p.eta, p.relu_threshold)
    c = two_layer_circuit(W1, W2, p, rng=1, hidden_bias=HIDDEN_BIAS)
    r = CycleRunner(c, "meanfield")
    out = r.run(x[None], t[None])
    assert out["outputs"][0, 0] == pytest.approx(o_ref[0], abs=0.005)
    for i in range(2):
        assert out["watch"][f"h{i}"][0] == pytest.approx(h_ref[i], abs=0.005)
    scale2 = np.abs(dW2_ref).max()
    np.testing.assert_allclose(r.weights() - W2, dW2_ref, atol=0.05 * scale2)
    # the four backward couplings move with W2 (they stay its transpose)
    for name, B in backward_matrices(c, r.sim).items():
        np.testing.assert_allclose(B[:, 0] - W2[0, :2], dW2_ref[0, :2], atol=0.05 * scale2,
                                   err_msg=name)
    dW1 = r.weights("plastic1") - W1
    np.testing.assert_allclose(dW1, dW1_ref, atol=0.06 * np.abs(dW1_ref).max())
    if h_ref[1] == 0:
        assert np.abs(dW1[1]).max() < 0.02 * np.abs(dW1_ref).max()


def test_masking_by_the_derivative_passes_or_blocks_the_hidden_error(p):
    """ep = [W2^T d]^+ and en = [-W2^T d]^+ where the hidden unit is on (r' = 1), 0 where it is off
    (r' = 0), whatever the sign of its backward coupling."""
    W1 = np.array([[0.5, 0.2, 0.5], [-0.6, 0.4, 0.1], [0.4, 0.1, 0.3]])  # unit 1 is off
    W2 = np.array([[0.6, -0.5, -0.7, 0.3]])
    x = np.array([0.5, 0.05, 0.3])
    units = [f"{e}{i}" for e in ("ep", "en") for i in range(3)]
    for t in (0.05, 0.6):  # d < 0, then d > 0
        c = two_layer_circuit(W1, W2, p, rng=1, hidden_bias=HIDDEN_BIAS)
        r = CycleRunner(c, "meanfield", record=units)
        o = r.run(x[None], np.array([[t]]))["outputs"][0, 0]
        e = W2[0, :3] * (t - o)
        on = W1 @ x > p.relu_threshold
        L = c.meta["windows"]
        ep = np.array([r.amplitudes(f"ep{i}", L["ep"], 0, 1)[0] for i in range(3)])
        en = np.array([r.amplitudes(f"en{i}", L["en"], 0, 1)[0] for i in range(3)])
        assert not on[1] and on[0] and on[2]
        np.testing.assert_allclose(ep, np.maximum(e, 0) * on, atol=0.02 * abs(e).max() + 1e-3)
        np.testing.assert_allclose(en, np.maximum(-e, 0) * on, atol=0.02 * abs(e).max() + 1e-3)
        assert ep[1] < 1e-3 and en[1] < 1e-3 and max(ep[0], en[0]) > 0.02


def test_xor_is_learnt_and_backward_stays_transpose():
    task = XORTask()
    res = learn_xor(task, cycles=320, seed=1)
    assert res["solved_at"] is not None and res["solved_at"] < 320
    assert task.solved(res["last_outputs"]).all()
    assert res["records"][-1]["backward_deviation"] < 0.02
    surf = xor_surface(res, n=3)
    np.testing.assert_allclose(surf["patterns"], res["last_outputs"], atol=0.01)
    assert task.solved(surf["patterns"]).all()


def test_bad_shapes_are_refused(p):
    with pytest.raises(UsageError, match="n_hidden"):
        two_layer_circuit(np.zeros((2, 3)), np.zeros((1, 2)), p)
    with pytest.raises(UsageError, match="w_bound"):
        two_layer_circuit(np.full((2, 3), 3.0), np.zeros((1, 3)), p)
    with pytest.raises(UsageError, match="n_hidden"):
        learn_xor(n_hidden=0, cycles=1)
