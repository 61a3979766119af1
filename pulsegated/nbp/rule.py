"""The nBP learning rule (Renner et al., Nat. Commun. 2024) as exact integer arithmetic, plainly
written.

This is the *definition*: one sample at a time, numpy, no tricks.  The fast trainer in
:mod:`pulsegated.nbp.reference` must agree with it bit for bit (tests check that on random data),
and every spiking backend must agree with the fast trainer.

All quantities are integers in units of 1/1024 of the firing threshold::

    z1 = W1 x        h  = [z1 > 512]        f1' = [z1 > 0] and not [z1 > 1024]
    z2 = W2 h        o  = [z2 > 512]        f2' = [z2 > 0] and not [z2 > 1024]
    d+ = f2' & t & ~o          d- = f2' & o & ~t          d2 = d+ - d-
    W2 <- clip(W2 + 2 d2 h^T, -256, 254)
    d1 = sign(W2^T d2) * f1'          (with the W2 just updated)
    W1 <- clip(W1 + 2 d1 x^T, -256, 254)

The chip-expressible variants of :mod:`pulsegated.nbp.variants` change the derivative windows, add
an error margin and halve the step; :func:`train_sample` states them too.  A variant may also read
the answer over several steps (:func:`ramp_readout`, inference only).
"""

from __future__ import annotations

import numpy as np

#: Firing thresholds of the three readouts of a layer, in units of 1/1024 threshold.
HALF = 512
ONE = 1024
#: Weight step and clip range (8-bit mixed-sign weights).
STEP = 2
WMIN, WMAX = -256, 254
#: Glorot-normal initialisation: clip and scale.
INIT_CLIP = 240
#: Bias of the ramp readout's compartments (threshold/1024 per step), see :func:`ramp_readout`.
RAMP = 128


def init_weights(n_in: int, n_hidden: int, n_out: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Initial weights as the authors of the circuit chose them: ``N(0, 2/(n_in + n_out)) * 1024``,
    clipped to +-240, rounded toward zero to even integers.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        The generator (or a seed for one).

    Returns
    -------
    W1 : int64 (n_hidden, n_in), W2 : int64 (n_out, n_hidden)
    """
    rng = np.random.default_rng(rng)

    def layer(fan_in, fan_out):
        w = rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_out, fan_in)) * 1024
        w = np.clip(w, -INIT_CLIP, INIT_CLIP)
        return (np.trunc(w / 2) * 2).astype(np.int64)

    W1 = layer(n_in, n_hidden)
    W2 = layer(n_hidden, n_out)
    return W1, W2


def forward(W1: np.ndarray, W2: np.ndarray, X: np.ndarray, step_shift: int = 0) -> dict:
    """Forward pass of a batch (no learning).

    Returns a dict with int64 ``z1`` (n, n_hidden), ``z2`` (n, n_out) and bool ``h``, ``o``.
    Uses float64 matrix products, exact for these magnitudes (``|z| < 2**53``).  With
    ``step_shift`` s > 0 (a variant's halved learning step) ``W1``, ``W2`` are mantissas and each
    synapse delivers ``M >> s`` (floored): ``z1``, ``z2`` stay in units of 1/1024 threshold.
    """
    X = np.asarray(X)
    E1, E2 = (np.asarray(W, dtype=np.int64) >> step_shift for W in (W1, W2))
    z1 = np.rint(X.astype(np.float64) @ E1.T.astype(np.float64)).astype(np.int64)
    h = z1 > HALF
    z2 = np.rint(h.astype(np.float64) @ E2.T.astype(np.float64)).astype(np.int64)
    return {"z1": z1, "h": h, "z2": z2, "o": z2 > HALF}


def train_sample(W1: np.ndarray, W2: np.ndarray, x: np.ndarray, t: np.ndarray,
                 variant=None, step_shift: int = 0, W2_neg: np.ndarray | None = None,
                 replay: np.ndarray | None = None) -> None:
    """One online update, in place.  ``x`` (n_in,) and ``t`` (n_out,) are 0/1 vectors.

    ``replay`` (n_in,) 0/1, optional: the pixels replayed in phases 7 and 11 (a variant's
    ``replay_keep``); ``W1`` learns from ``x * replay`` only.  Default: all of ``x``.

    ``variant`` (a :class:`~pulsegated.nbp.variants.Variant`; None: the paper's rule) widens the
    derivative windows and adds an error margin; ``step_shift`` s means ``W1``, ``W2`` are
    mantissas of which each synapse delivers ``M >> s`` (the chip's weight exponent -s, the
    variant's step halved s times).

    ``W2_neg`` (optional, updated in place): the negated copy of ``W2`` as the circuit holds it,
    clipped on its own (where ``W2`` is -256 it holds 254, not 256).  With it the hidden error is
    the circuit's: ``d1+ = [W2[d+] + W2_neg[d-] summed > 0]`` (phase 6) and
    ``d1- = [W2[d-] + W2_neg[d+] summed > 0]`` (phase 10), which is ``sign(W2^T d2)`` as long as
    ``W2_neg == -W2``.
    """
    from pulsegated.nbp.variants import PAPER
    v = PAPER if variant is None else variant
    x = np.asarray(x, dtype=np.int64)
    t = np.asarray(t, dtype=bool)
    def eff(W):  # what each synapse delivers: its mantissa shifted right, floored
        return np.asarray(W, dtype=np.int64) >> step_shift

    z1 = eff(W1) @ x
    h = z1 > HALF
    f1 = (z1 > -v.hidden_low) & ~(z1 > ONE + v.hidden_high)
    z2 = eff(W2) @ h.astype(np.int64)
    o = np.where(t, z2 > HALF + v.margin, z2 > HALF - v.margin)
    f2 = (z2 > -v.output_low) & ~(z2 > ONE + v.output_high)
    d2 = (f2 & t & ~o).astype(np.int64) - (f2 & o & ~t).astype(np.int64)
    dW2 = STEP * np.outer(d2, h.astype(np.int64))
    W2[...] = np.clip(W2 + dW2, WMIN, WMAX)
    if W2_neg is None:
        d1 = np.sign(eff(W2).T @ d2) * f1
    else:
        W2_neg[...] = np.clip(W2_neg - dW2, WMIN, WMAX)
        plus, minus = (d2 > 0).astype(np.int64), (d2 < 0).astype(np.int64)
        d1_plus = (eff(W2).T @ plus + eff(W2_neg).T @ minus) > 0
        d1_minus = (eff(W2).T @ minus + eff(W2_neg).T @ plus) > 0
        d1 = (d1_plus.astype(np.int64) - d1_minus.astype(np.int64)) * f1
    xr = x if replay is None else x * np.asarray(replay, dtype=np.int64)
    W1[...] = np.clip(W1 + STEP * np.outer(d1, xr), WMIN, WMAX)


def halve_step(W: np.ndarray) -> np.ndarray:
    """Mantissas that hold the same weights at half the step: ``clip(2 W, -256, 254)``."""
    return np.clip(2 * np.asarray(W, dtype=np.int64), WMIN, WMAX)


def ramp_readout(z2: np.ndarray, steps: int, ramp: int = RAMP) -> np.ndarray:
    """First spike of each readout neuron of the ramp readout, in steps after the output phase.

    The readout neurons (one per class, population ``r`` of the inference circuit) receive
    ``z2 = W2 h`` in the output phase, like the output neurons, but they integrate: their
    voltage keeps its value from step to step (no decay), rises by the bias ``ramp`` every step,
    cannot go below 0, and is cleared by an inhibitory gate at the start of every sample.  So
    ``v = 3 ramp`` just before the output phase, ``v = max(0, 3 ramp + z2)`` in it, and then
    ``ramp`` more per step; a neuron spikes when ``v > 1024`` and starts again from 0.  The
    readout neuron with the largest ``z2`` spikes first; neurons whose ``z2`` differ by less
    than about ``ramp`` may spike in the same step.

    Parameters
    ----------
    z2 : int array (n, n_out)
        Output potentials (threshold/1024).
    steps : int
        Steps after the output phase that the sample lasts (the readout's phases).
    ramp : int
        Bias per step, 1 <= ramp <= 341 (so that no neuron fires before the output phase).

    Returns
    -------
    int64 array (n, n_out)
        Step of the first spike, 0 (the output phase) to ``steps``; -1 when the neuron does not
        spike in the sample.
    """
    z2 = np.asarray(z2, dtype=np.int64)
    v = np.maximum(0, 3 * ramp + z2)
    first = np.full(z2.shape, -1, dtype=np.int64)
    for k in range(steps + 1):
        fire = v > ONE
        first[fire & (first < 0)] = k
        v = np.where(fire, 0, v) + ramp
    return first


def first_spike_answer(first: np.ndarray) -> np.ndarray:
    """The class answered by a ramp readout: the neuron that spiked first (ties, and samples
    without any spike, go to the lowest index, as for the output spikes)."""
    first = np.asarray(first)
    key = np.where(first < 0, np.iinfo(np.int64).max, first)
    return np.argmin(key, axis=1)
