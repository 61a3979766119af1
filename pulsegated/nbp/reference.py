"""Fast exact integer trainer for the nBP rule: the oracle of every spiking backend.

The arithmetic is that of :mod:`pulsegated.nbp.rule` (tests compare the two on random data); here it
runs as one compiled loop over the samples (numba), with the input-to-hidden matrix held transposed
so that the forward sum and the update touch contiguous rows of the active pixels only.
"""

from __future__ import annotations

import time

import numba
import numpy as np

from pulsegated.backends import check_binary
from pulsegated.errors import UsageError
from pulsegated.nbp import rule
from pulsegated.nbp.training import (Inference, TrainingBackend, check_training_inputs,
                                     check_weights)

__all__ = ["train_epoch", "ReferenceBackend"]


@numba.njit(cache=True, nogil=True)
def _train_kernel(W1T, W2, X, labels):  # pragma: no cover - compiled
    n_in, n_hidden = W1T.shape
    n_out = W2.shape[0]
    z1 = np.empty(n_hidden, np.int64)
    h = np.empty(n_hidden, np.bool_)
    f1 = np.empty(n_hidden, np.bool_)
    d2 = np.empty(n_out, np.int64)
    d1 = np.empty(n_hidden, np.int64)
    active = np.empty(n_in, np.int64)
    for s in range(X.shape[0]):
        # active inputs
        na = 0
        for i in range(n_in):
            if X[s, i]:
                active[na] = i
                na += 1
        # z1 = W1 x
        z1[:] = 0
        for a in range(na):
            row = W1T[active[a]]
            for j in range(n_hidden):
                z1[j] += row[j]
        for j in range(n_hidden):
            h[j] = z1[j] > 512
            f1[j] = (z1[j] > 0) and not (z1[j] > 1024)
        # z2 = W2 h, output error
        lab = labels[s]
        any_err = False
        for k in range(n_out):
            acc = 0
            for j in range(n_hidden):
                if h[j]:
                    acc += W2[k, j]
            o = acc > 512
            f2 = (acc > 0) and not (acc > 1024)
            t = k == lab
            if f2 and t and not o:
                d2[k] = 1
                any_err = True
            elif f2 and o and not t:
                d2[k] = -1
                any_err = True
            else:
                d2[k] = 0
        if not any_err:
            continue
        # W2 update (clip), then hidden error through the updated W2
        for k in range(n_out):
            if d2[k] != 0:
                for j in range(n_hidden):
                    if h[j]:
                        w = W2[k, j] + 2 * d2[k]
                        if w > 254:
                            w = 254
                        elif w < -256:
                            w = -256
                        W2[k, j] = w
        any_d1 = False
        for j in range(n_hidden):
            d1[j] = 0
            if f1[j]:
                acc = 0
                for k in range(n_out):
                    acc += W2[k, j] * d2[k]
                if acc > 0:
                    d1[j] = 1
                    any_d1 = True
                elif acc < 0:
                    d1[j] = -1
                    any_d1 = True
        if not any_d1:
            continue
        for a in range(na):
            row = W1T[active[a]]
            for j in range(n_hidden):
                if d1[j] != 0:
                    w = row[j] + 2 * d1[j]
                    if w > 254:
                        w = 254
                    elif w < -256:
                        w = -256
                    row[j] = w


def train_epoch(W1: np.ndarray, W2: np.ndarray, X: np.ndarray, labels: np.ndarray) -> None:
    """Train in place on ``X`` (n, n_in) 0/1 with integer ``labels``, in the given order.

    ``W1`` (n_hidden, n_in) and ``W2`` (n_out, n_hidden) are int64 arrays modified in place.
    """
    X, labels = check_training_inputs(X, labels, W1.shape[1], W2.shape[0])
    W1T = np.ascontiguousarray(W1.T)
    _train_kernel(W1T, W2, X, labels)
    W1[...] = W1T.T


class ReferenceBackend(TrainingBackend):
    """Exact integer arithmetic equivalent of the 12-phase circuit (no spikes)."""

    name = "reference"

    def __init__(self, W1, W2, **options):
        if options:
            raise UsageError(f"the reference backend takes no options, got: {', '.join(options)}")
        W1, W2 = check_weights(W1, W2)
        self._W1T = np.ascontiguousarray(W1.T)
        self._W2 = np.ascontiguousarray(W2)
        t0 = time.perf_counter()
        # compile (or load from cache) on a one-sample problem of the same types
        _train_kernel(np.zeros((1, 1), np.int64), np.zeros((1, 1), np.int64),
                      np.zeros((1, 1), np.uint8), np.zeros(1, np.int64))
        self.compile_time = time.perf_counter() - t0

    def train(self, X, labels, progress=None, chunk: int = 2000):
        X, labels = check_training_inputs(X, labels, self._W1T.shape[0], self._W2.shape[0])
        for start in range(0, len(X), chunk):
            stop = min(start + chunk, len(X))
            _train_kernel(self._W1T, self._W2, X[start:stop], labels[start:stop])
            if progress is not None:
                progress(stop - start)

    def weights(self):
        return np.ascontiguousarray(self._W1T.T).copy(), self._W2.copy()

    def infer(self, X):
        W1, W2 = self.weights()
        X = check_binary(X, "X", W1.shape[1])
        f = rule.forward(W1, W2, X)
        return Inference(spikes=f["o"], potential=f["z2"])
