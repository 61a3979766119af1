"""Synaptic copy between circuits by pulse-gated Hebbian learning (Shao, Wang, Sornborger & Tao).

Circuit A holds a weight matrix ``K``; circuit B learns ``L`` to equal it.  Basis vectors ``e_i`` are
presented one after another (fast pulses per column inside a slower cycle over the columns).  For
column ``i``, two gated windows follow each other:

* potentiation window: A's output ``K e_i`` gates B's output population together with B's input
  ``e_i``: ``dL = +eta * (K e_i) e_i^T``;
* depression window: B's own output ``L e_i`` is gated with the same input:
  ``dL = -eta * (L e_i) e_i^T``.

Rates are positive; the sign is carried by which window the coincidence falls in.  Per column and
cycle, ``L e_i <- L e_i + eta (K - L) e_i``, so the error ``|L - K|`` falls as ``(1 - eta)^cycles``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["copy_matrix", "cycles_needed"]


def copy_matrix(K, eta: float = 0.3, cycles: int = 10, L0=None, rng=None) -> dict:
    """Run the mean-field copy; relative error ``|L - K| / |K|`` after every cycle.

    Parameters
    ----------
    K : (m, n) array of non-negative weights (rates are positive)
    eta : float in (0, 1]
        Learning rate times window length.
    cycles : int
    L0 : initial B weights (default: random in [0, max K])

    Returns
    -------
    dict with ``L`` (final), ``errors`` (cycles + 1,), ``L_history`` (list of matrices)
    """
    K = np.asarray(K, dtype=float)
    if K.ndim != 2 or np.any(K < 0):
        raise ValueError("K must be a 2-D matrix of non-negative weights")
    if not 0 < eta <= 1:
        raise ValueError(f"eta must lie in (0, 1], got {eta}")
    rng = np.random.default_rng(rng)
    L = rng.uniform(0, K.max(), K.shape) if L0 is None else np.array(L0, dtype=float)
    norm = np.linalg.norm(K)
    errors = [np.linalg.norm(L - K) / norm]
    history = [L.copy()]
    n = K.shape[1]
    for _ in range(cycles):
        for i in range(n):
            e = np.zeros(n)
            e[i] = 1.0
            target = K @ e          # A's output in the potentiation window
            own = L @ e             # B's output in the depression window
            L += eta * np.outer(target, e)   # potentiation: post = K e_i, pre = e_i
            L -= eta * np.outer(own, e)      # depression: post = L e_i, pre = e_i
        errors.append(np.linalg.norm(L - K) / norm)
        history.append(L.copy())
    return {"L": L, "errors": np.array(errors), "L_history": history}


def cycles_needed(eta: float, initial_error: float, target: float = 0.05) -> int:
    """Cycles for the error to fall from ``initial_error`` below ``target``: geometric decay."""
    if initial_error <= target:
        return 0
    return int(np.ceil(np.log(target / initial_error) / np.log(1 - eta)))
