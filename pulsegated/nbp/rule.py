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


def forward(W1: np.ndarray, W2: np.ndarray, X: np.ndarray) -> dict:
    """Forward pass of a batch (no learning).

    Returns a dict with int64 ``z1`` (n, n_hidden), ``z2`` (n, n_out) and bool ``h``, ``o``.
    Uses float64 matrix products, exact for these magnitudes (``|z| < 2**53``).
    """
    X = np.asarray(X)
    z1 = np.rint(X.astype(np.float64) @ W1.T.astype(np.float64)).astype(np.int64)
    h = z1 > HALF
    z2 = np.rint(h.astype(np.float64) @ W2.T.astype(np.float64)).astype(np.int64)
    return {"z1": z1, "h": h, "z2": z2, "o": z2 > HALF}


def train_sample(W1: np.ndarray, W2: np.ndarray, x: np.ndarray, t: np.ndarray) -> None:
    """One online update, in place.  ``x`` (n_in,) and ``t`` (n_out,) are 0/1 vectors."""
    x = np.asarray(x, dtype=np.int64)
    t = np.asarray(t, dtype=bool)
    z1 = W1 @ x
    h = z1 > HALF
    f1 = (z1 > 0) & ~(z1 > ONE)
    z2 = W2 @ h.astype(np.int64)
    o = z2 > HALF
    f2 = (z2 > 0) & ~(z2 > ONE)
    d2 = (f2 & t & ~o).astype(np.int64) - (f2 & o & ~t).astype(np.int64)
    W2[...] = np.clip(W2 + STEP * np.outer(d2, h.astype(np.int64)), WMIN, WMAX)
    d1 = np.sign(W2.T @ d2) * f1
    W1[...] = np.clip(W1 + STEP * np.outer(d1, x), WMIN, WMAX)
