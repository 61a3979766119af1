"""The numpy BP / RBP reference."""

import numpy as np
import pytest

from pulsegated.erbp.reference import ReferenceMLP, train_reference
from pulsegated.erbp.weights import feedback_matrix, init_forward
from pulsegated.errors import UsageError


def _net(algorithm, sizes=(6, 5, 4, 3), seed=0):
    rng = np.random.default_rng(seed)
    W = init_forward(list(sizes), rng, scale=2.0)
    G = feedback_matrix(max(sizes[1:-1]), sizes[-1], rng)
    X = rng.uniform(0, 1, size=(7, sizes[0]))
    y = rng.integers(0, sizes[-1], size=7)
    return ReferenceMLP(W, G, algorithm), X, y


def test_bp_gradient_matches_finite_differences():
    net, X, y = _net("bp")
    grads = net.updates(X, y)
    eps = 1e-6
    for l, W in enumerate(net.W):
        num = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            old = W[idx]
            W[idx] = old + eps
            up = net.loss(X, y)
            W[idx] = old - eps
            down = net.loss(X, y)
            W[idx] = old
            num[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grads[l], num, rtol=1e-5, atol=1e-8)


def test_rbp_uses_G_for_every_hidden_layer():
    net, X, y = _net("rbp")
    acts, pres, p = net.forward(X)
    t = np.eye(3)[y]
    e = (p - t) / len(X)
    g = net.updates(X, y)
    np.testing.assert_allclose(g[-1], acts[-1].T @ e)
    for l in range(len(net.W) - 1):
        d = (e @ net.G[:net.W[l].shape[1]].T) * (pres[l] > 0)
        np.testing.assert_allclose(g[l], acts[l].T @ d)
    # the output layer's direction is the true gradient, the hidden ones are not
    bp = ReferenceMLP(net.W, None, "bp").updates(X, y)
    np.testing.assert_allclose(g[-1], bp[-1])
    assert not np.allclose(g[0], bp[0])


def test_rbp_needs_G():
    with pytest.raises(UsageError):
        ReferenceMLP(init_forward([4, 3, 2], np.random.default_rng(0)), None, "rbp")


@pytest.mark.parametrize("algorithm", ["bp", "rbp"])
def test_reference_learns_a_linearly_separable_task(algorithm):
    rng = np.random.default_rng(5)
    centres = rng.uniform(0, 1, size=(4, 20))
    y = rng.integers(0, 4, size=2000)
    X = np.clip(centres[y] + 0.15 * rng.standard_normal((2000, 20)), 0, 1)
    W = init_forward([20, 30, 4], rng)
    G = feedback_matrix(30, 4, rng)
    orders = [rng.permutation(1500) for _ in range(3)]
    rows = train_reference(X[:1500], y[:1500], X[1500:], y[1500:], W, G, algorithm, orders)
    assert rows[-1]["test_error"] < 0.05
