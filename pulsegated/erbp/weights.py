"""Initial forward weights, the fixed random feedback matrix ``G``, and 8-bit stochastic rounding.

Random backpropagation replaces the transpose of the forward weights in the backward pass by a
fixed random matrix: hidden neuron ``i`` receives the error ``T_i = sum_k G_ik e_k``.  Here ``G``
is drawn uniform in ``±sqrt(7 / (n_c + n_h))`` and then *mean-centred per hidden neuron* (each row
minus its mean over the ``n_c`` error units), so that a uniform error on all classes does not
drive the hidden neurons' learning.

The same functions serve the spiking network and the numpy reference, so both start from the same
weights and use the same ``G`` for the same seed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["layer_sizes", "init_forward", "feedback_matrix", "stochastic_round", "levels_grid"]


def layer_sizes(n_in: int, hidden, n_out: int) -> list[int]:
    """``[n_in, *hidden, n_out]`` as a list of ints."""
    return [int(n_in), *[int(h) for h in hidden], int(n_out)]


def init_forward(sizes, rng: np.random.Generator, scale: float = 1.0) -> list[np.ndarray]:
    """Forward weight matrices, uniform in ``±scale * sqrt(7 / (fan_in + fan_out))``.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes ``[n_in, h1, ..., n_out]``.
    rng : numpy.random.Generator
    scale : float

    Returns
    -------
    list of float64 arrays
        ``W[l]`` of shape ``(sizes[l], sizes[l + 1])`` (pre, post): ``W[l][j, i]`` is the weight
        from neuron ``j`` of layer ``l`` onto neuron ``i`` of layer ``l + 1``.
    """
    out = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        bound = scale * np.sqrt(7.0 / (a + b))
        out.append(rng.uniform(-bound, bound, size=(a, b)))
    return out


def feedback_matrix(n_hidden: int, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """The fixed random feedback matrix ``G`` of shape ``(n_hidden, n_classes)``.

    Drawn uniform in ``±sqrt(7 / (n_classes + n_hidden))``, then each row (one hidden neuron) has
    its mean over the classes subtracted: ``G.sum(axis=1) == 0``.  With several hidden layers the
    layer of size ``h`` uses the rows ``G[:h]`` (the same matrix when the sizes are equal).
    """
    bound = np.sqrt(7.0 / (n_classes + n_hidden))
    G = rng.uniform(-bound, bound, size=(int(n_hidden), int(n_classes)))
    return G - G.mean(axis=1, keepdims=True)


def levels_grid(levels: int, weight_max: float) -> tuple[float, float]:
    """``(lowest level, step)`` of ``levels`` weights spaced evenly on ``±weight_max``."""
    return -float(weight_max), 2.0 * float(weight_max) / (int(levels) - 1)


def stochastic_round(w, levels: int, weight_max: float, rng: np.random.Generator) -> np.ndarray:
    """Round ``w`` to the grid of :func:`levels_grid`, up or down at random, without bias.

    A weight a fraction ``f`` of a step above a level goes up one level with probability ``f``
    and stays with probability ``1 - f``, so the expected rounded value is ``w`` itself (inside
    the range; values outside are clipped to it).  This is the arithmetic the 8-bit network applies
    after every update (there with Brian2's ``rand()``).

    Returns
    -------
    float64 array
        Values on the grid ``lo + k * step``, ``k = 0 .. levels - 1``.
    """
    lo, step = levels_grid(levels, weight_max)
    w = np.asarray(w, dtype=np.float64)
    k = np.floor((w - lo) / step + rng.random(w.shape))
    return lo + step * np.clip(k, 0, levels - 1)
