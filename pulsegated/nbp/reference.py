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
from pulsegated.nbp.training import (Inference, TrainingBackend, check_replay,
                                     check_step_shift, check_training_inputs, check_variant,
                                     check_weights)

__all__ = ["train_epoch", "ReferenceBackend", "negated_copy"]


@numba.njit(cache=True, nogil=True)
def _train_kernel(W1T, W2, W2m, X, labels, R, margin=0, hidden_low=0, hidden_high=0, output_low=0,
                  output_high=0, shift=0):  # pragma: no cover - compiled
    # a synapse delivers its mantissa shifted right by ``shift`` (floored, as the chip applies a
    # negative weight exponent to each mantissa), so every sum is of M >> shift; R (n, n_in):
    # the pixels replayed in phases 7 and 11, the only ones W1 learns from
    half = 512
    one = 1024
    lo1 = hidden_low
    hi1 = one + hidden_high
    lo2 = output_low
    hi2 = one + output_high
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
                z1[j] += row[j] >> shift
        for j in range(n_hidden):
            h[j] = z1[j] > half
            f1[j] = (z1[j] > -lo1) and not (z1[j] > hi1)
        # z2 = W2 h, output error
        lab = labels[s]
        any_err = False
        for k in range(n_out):
            acc = 0
            for j in range(n_hidden):
                if h[j]:
                    acc += W2[k, j] >> shift
            t = k == lab
            o = acc > (half + margin if t else half - margin)
            f2 = (acc > -lo2) and not (acc > hi2)
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
        # W2 and its negated copy W2m (clipped apart, as the chip holds them) updated, then the
        # hidden error through the updated matrices: d1+ from the rows of d+ in W2 and of d- in
        # W2m (phase 6), d1- from the rows of d- in W2 and of d+ in W2m (phase 10)
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
                        w = W2m[k, j] - 2 * d2[k]
                        if w > 254:
                            w = 254
                        elif w < -256:
                            w = -256
                        W2m[k, j] = w
        any_d1 = False
        for j in range(n_hidden):
            d1[j] = 0
            if f1[j]:
                accp = 0
                accm = 0
                for k in range(n_out):
                    if d2[k] > 0:
                        accp += W2[k, j] >> shift
                        accm += W2m[k, j] >> shift
                    elif d2[k] < 0:
                        accp += W2m[k, j] >> shift
                        accm += W2[k, j] >> shift
                if accp > 0:
                    d1[j] = 1
                    any_d1 = True
                elif accm > 0:
                    d1[j] = -1
                    any_d1 = True
        if not any_d1:
            continue
        for a in range(na):
            if not R[s, active[a]]:
                continue
            row = W1T[active[a]]
            for j in range(n_hidden):
                if d1[j] != 0:
                    w = row[j] + 2 * d1[j]
                    if w > 254:
                        w = 254
                    elif w < -256:
                        w = -256
                    row[j] = w


def _variant_args(variant, step_shift: int) -> tuple:
    """The kernel's trailing integer arguments for a variant at a step shift."""
    v = variant
    return (v.margin, v.hidden_low, v.hidden_high, v.output_low, v.output_high, int(step_shift))


def negated_copy(W2: np.ndarray) -> np.ndarray:
    """The negated copy of ``W2`` (n_out, n_hidden) as the chip writes it: ``-W2``, except 254
    where ``W2 = -256`` (+256 does not fit the 8-bit mixed range)."""
    W2 = np.asarray(W2, dtype=np.int64)
    return np.where(W2 == rule.WMIN, rule.WMAX, -W2)


def train_epoch(W1: np.ndarray, W2: np.ndarray, X: np.ndarray, labels: np.ndarray,
                variant=None, step_shift: int = 0, W2_neg: np.ndarray | None = None,
                replay: np.ndarray | None = None) -> None:
    """Train in place on ``X`` (n, n_in) 0/1 with integer ``labels``, in the given order.

    ``W1`` (n_hidden, n_in) and ``W2`` (n_out, n_hidden) are int64 arrays modified in place;
    ``variant`` and ``step_shift`` as in :func:`pulsegated.nbp.rule.train_sample`.  ``W2_neg``
    is the negated copy of ``W2`` the circuit holds (``-W2`` until an entry of W2 reaches -256,
    then it may differ; see :class:`ReferenceBackend`), updated in place; default
    :func:`negated_copy` of ``W2``.  ``replay`` (n, n_in) 0/1: the pixels replayed for each
    sample (see :func:`pulsegated.nbp.rule.train_sample`); default all.
    """
    X, labels = check_training_inputs(X, labels, W1.shape[1], W2.shape[0])
    R = check_replay(replay, X)
    W1T = np.ascontiguousarray(W1.T)
    W2m = negated_copy(W2) if W2_neg is None else W2_neg
    _train_kernel(W1T, W2, W2m, X, labels, R,
                  *_variant_args(check_variant(variant), step_shift))
    W1[...] = W1T.T


class ReferenceBackend(TrainingBackend):
    """Exact integer arithmetic equivalent of the 12-phase circuit (no spikes).

    Besides ``W1`` and ``W2`` it holds the one plastic copy that can differ from them on the chip:
    the negated copy of ``W2`` (connection ``W2T_minus``), which cannot hold +256 where ``W2``
    is -256 and from then on may stay 2 apart.  It carries the hidden error of the rows of d-
    (phase 6) and of d+ (phase 10), so with it the reference stays identical to the spiking
    circuits for any number of samples; without saturation it is ``-W2`` and the rule is that of
    :func:`pulsegated.nbp.rule.train_sample`.

    Parameters
    ----------
    W1, W2 : int arrays
        Initial weights (mantissas, worth ``2**-step_shift`` each).
    variant : str, dict or Variant
        The circuit variant (:mod:`pulsegated.nbp.variants`; default the paper's).
    step_shift : int
        How many times the variant's learning step has been halved (see :meth:`halve_step`).
    plastic : dict, optional
        ``{"W2T_minus": matrix (n_out, n_hidden)}`` of a run being resumed
        (:meth:`plastic_state`); default :func:`negated_copy` of ``W2``.
    """

    name = "reference"

    def __init__(self, W1, W2, variant=None, step_shift: int = 0, plastic: dict | None = None,
                 **options):
        if options:
            raise UsageError(f"the reference backend takes no options beyond variant and "
                             f"step_shift, got: {', '.join(options)}")
        W1, W2 = check_weights(W1, W2)
        self.variant = check_variant(variant)
        self.step_shift = check_step_shift(step_shift)
        self._W1T = np.ascontiguousarray(W1.T)
        self._W2 = np.ascontiguousarray(W2)
        self._W2m = self._negated_from(plastic)
        t0 = time.perf_counter()
        # compile (or load from cache) on a one-sample problem of the same types
        _train_kernel(np.zeros((1, 1), np.int64), np.zeros((1, 1), np.int64),
                      np.zeros((1, 1), np.int64), np.zeros((1, 1), np.uint8),
                      np.zeros(1, np.int64), np.zeros((1, 1), np.uint8),
                      *_variant_args(self.variant, 0))
        self.compile_time = time.perf_counter() - t0

    def _negated_from(self, plastic) -> np.ndarray:
        plastic = dict(plastic or {})
        extra = set(plastic) - {"W2T_minus"}
        if extra:
            raise UsageError(f"the reference backend's plastic state is W2T_minus only; got "
                             f"{', '.join(sorted(extra))}")
        if "W2T_minus" not in plastic:
            return negated_copy(self._W2)
        m = np.asarray(plastic["W2T_minus"])
        if m.shape != self._W2.shape or not np.issubdtype(m.dtype, np.integer):
            raise UsageError(f"plastic state W2T_minus must be an integer matrix of shape "
                             f"{self._W2.shape}, got {m.dtype} {m.shape}")
        if m.size and (m.min() < rule.WMIN or m.max() > rule.WMAX):
            raise UsageError(f"plastic state W2T_minus must lie in [{rule.WMIN}, {rule.WMAX}]")
        return np.ascontiguousarray(m, dtype=np.int64)

    def train(self, X, labels, progress=None, replay=None, chunk: int = 2000):
        X, labels = check_training_inputs(X, labels, self._W1T.shape[0], self._W2.shape[0])
        R = check_replay(replay, X, self.variant)
        args = _variant_args(self.variant, self.step_shift)
        for start in range(0, len(X), chunk):
            stop = min(start + chunk, len(X))
            _train_kernel(self._W1T, self._W2, self._W2m, X[start:stop], labels[start:stop],
                          R[start:stop], *args)
            if progress is not None:
                progress(stop - start)

    def halve_step(self) -> None:
        self.step_shift = check_step_shift(self.step_shift + 1)
        self._W1T[...] = rule.halve_step(self._W1T)
        self._W2[...] = rule.halve_step(self._W2)
        self._W2m[...] = negated_copy(self._W2)  # every copy rewritten from its master

    def weights(self):
        return np.ascontiguousarray(self._W1T.T).copy(), self._W2.copy()

    def plastic_state(self) -> dict:
        """``{"W2T_minus": ...}`` when the negated copy differs from ``-W2`` (else empty)."""
        if np.array_equal(self._W2m, negated_copy(self._W2)):
            return {}
        return {"W2T_minus": self._W2m.copy()}

    @classmethod
    def restore(cls, W1, W2, plastic=None, **options):
        return cls(W1, W2, plastic=plastic or None, **options)

    def infer(self, X):
        W1, W2 = self.weights()
        X = check_binary(X, "X", W1.shape[1])
        f = rule.forward(W1, W2, X, self.step_shift)
        steps = self.variant.readout_steps
        return Inference(spikes=f["o"], potential=f["z2"],
                         first=rule.ramp_readout(f["z2"], steps) if steps else None)
