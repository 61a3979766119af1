"""Rate-based numpy reference of the eRBP architecture: ordinary backpropagation (BP) and random
backpropagation (RBP, feedback alignment), the "GPU" rows of the eRBP comparison.

The network has the spiking network's shape and initial weights: ``n_in - h1 - ... - n_c``,
no biases, weights from :func:`pulsegated.erbp.weights.init_forward`.  Hidden units are rectified
linear (the rate of an integrate-and-fire neuron grows with its input above threshold), the output
is a softmax trained with the cross-entropy, whose error at the output is ``e = t - p`` (target
one-hot minus prediction), the rate difference the spiking error neurons encode.

Backward pass, for hidden layer ``l`` with pre-activation ``a_l`` and ``phi' = 1[a_l > 0]``:

* **BP**: ``delta_l = (W_{l+1} delta_{l+1}) * phi'(a_l)`` -- the exact gradient.
* **RBP**: ``delta_l = (G_l e) * phi'(a_l)`` with the fixed random feedback ``G_l = G[:h_l]``
  (:func:`pulsegated.erbp.weights.feedback_matrix`, the spiking network's ``G``): every hidden layer
  receives the output error directly through the same random matrix, as in eRBP.

Weights move by ``-lr * mean over the minibatch of a_{l-1}^T delta_l``.

Examples
--------
>>> import numpy as np
>>> from pulsegated.erbp.reference import ReferenceMLP
>>> from pulsegated.erbp.weights import init_forward, feedback_matrix
>>> rng = np.random.default_rng(0)
>>> net = ReferenceMLP(init_forward([4, 3, 2], rng), feedback_matrix(3, 2, rng), "rbp")
>>> net.predict(np.ones((1, 4))).shape
(1,)
"""

from __future__ import annotations

import time

import numpy as np

from pulsegated.errors import UsageError

__all__ = ["ReferenceMLP", "REFERENCE_ALGORITHMS", "train_reference"]

REFERENCE_ALGORITHMS = ("bp", "rbp")


class ReferenceMLP:
    """A rate-based multilayer perceptron trained by BP or RBP.

    Parameters
    ----------
    weights : list of float arrays
        ``W[l]`` of shape ``(n_l, n_{l+1})`` (copied).
    G : float array (>= max hidden size, n_c) or None
        Random feedback matrix (needed for ``"rbp"``).
    algorithm : {"bp", "rbp"}
    lr : float
        Learning rate.
    """

    def __init__(self, weights, G=None, algorithm: str = "bp", lr: float = 0.1):
        if algorithm not in REFERENCE_ALGORITHMS:
            raise UsageError(f"algorithm must be one of {', '.join(REFERENCE_ALGORITHMS)}, "
                             f"got {algorithm!r}")
        self.W = [np.array(w, dtype=np.float64) for w in weights]
        self.algorithm = algorithm
        self.lr = float(lr)
        self.G = None if G is None else np.asarray(G, dtype=np.float64)
        if algorithm == "rbp":
            hidden = [w.shape[1] for w in self.W[:-1]]
            if self.G is None or (hidden and self.G.shape[0] < max(hidden)):
                raise UsageError("rbp needs G with at least as many rows as the largest hidden "
                                 "layer")

    # ------------------------------------------------------------------------------ passes
    def forward(self, X) -> tuple[list, list, np.ndarray]:
        """``(activations, pre_activations, probabilities)``; ``activations[0]`` is ``X``."""
        acts, pres = [np.asarray(X, dtype=np.float64)], []
        for l, W in enumerate(self.W):
            a = acts[-1] @ W
            pres.append(a)
            if l < len(self.W) - 1:
                acts.append(np.maximum(a, 0.0))
        z = pres[-1] - pres[-1].max(axis=1, keepdims=True)
        e = np.exp(z)
        return acts, pres, e / e.sum(axis=1, keepdims=True)

    def loss(self, X, y) -> float:
        """Mean cross-entropy of the softmax output."""
        _, _, p = self.forward(X)
        return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-300)))

    def predict(self, X) -> np.ndarray:
        """The class of highest output for every row of ``X``."""
        return self.forward(X)[2].argmax(axis=1)

    def error_rate(self, X, y) -> float:
        """Fraction of ``X`` classified wrongly."""
        return float(np.mean(self.predict(X) != np.asarray(y)))

    def updates(self, X, y) -> list[np.ndarray]:
        """The weight directions ``dW[l]`` (to be subtracted): the exact gradient of
        :meth:`loss` for BP, the random-feedback direction for RBP."""
        acts, pres, p = self.forward(X)
        n = len(X)
        t = np.zeros_like(p)
        t[np.arange(n), y] = 1.0
        delta = (p - t) / n  # d loss / d output pre-activation
        grads = [None] * len(self.W)
        grads[-1] = acts[-1].T @ delta
        d_next = delta
        for l in range(len(self.W) - 2, -1, -1):
            mask = pres[l] > 0
            if self.algorithm == "bp":
                d = (d_next @ self.W[l + 1].T) * mask
            else:
                d = (delta @ self.G[:self.W[l].shape[1]].T) * mask
            grads[l] = acts[l].T @ d
            d_next = d
        return grads

    def step(self, X, y) -> None:
        """One update on a minibatch."""
        for W, g in zip(self.W, self.updates(X, y)):
            W -= self.lr * g


def train_reference(X, y, Xt, yt, weights, G, algorithm: str, orders, lr: float = 0.1,
                    batch_size: int = 32, log=None) -> list[dict]:
    """Train a :class:`ReferenceMLP` over the given per-epoch sample orders.

    Parameters
    ----------
    X, y : arrays
        Training intensities in [0, 1] ``(N, n_in)`` and labels.
    Xt, yt : arrays
        Test set.
    weights, G
        Initial weights and feedback matrix (the spiking network's).
    algorithm : {"bp", "rbp"}
    orders : list of int arrays
        Sample indices of each epoch (the spiking run's orders: same samples, same epochs).
    lr, batch_size
        Learning rate and minibatch size.
    log : callable, optional
        Receives every epoch's record.

    Returns
    -------
    list of dict
        Per epoch: ``epoch``, ``test_error``, ``train_seconds``.
    """
    net = ReferenceMLP(weights, G, algorithm, lr)
    out = []
    for e, order in enumerate(orders, start=1):
        t0 = time.perf_counter()
        for a in range(0, len(order), batch_size):
            idx = order[a:a + batch_size]
            net.step(X[idx], y[idx])
        rec = {"epoch": e, "algorithm": algorithm, "test_error": net.error_rate(Xt, yt),
               "train_seconds": time.perf_counter() - t0}
        out.append(rec)
        if log is not None:
            log(rec)
    return out
