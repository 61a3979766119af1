"""Tasks of the graded backprop circuit: a linear map and XOR, in the graded range.

Amplitudes are fractions of the units' threshold rate ``g0``; everything the circuit carries lies
in the graded range ``[0, 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pulsegated.errors import UsageError

__all__ = ["LinearMapTask", "XORTask", "DEFAULT_TARGET", "check_graded", "linear_map_inputs"]

#: the default 3x3 target matrix: entries of both signs
DEFAULT_TARGET = ((0.5, -0.3, 0.4),
                  (0.2, 0.6, -0.25),
                  (-0.3, 0.35, 0.55))


def check_graded(values, name: str) -> np.ndarray:
    """``values`` as an array if every entry lies in the graded range ``[0, 1)``; else raise
    :class:`~pulsegated.errors.UsageError` naming ``name``."""
    v = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(v)) or v.size and (v.min() < 0 or v.max() >= 1):
        bad = v[~np.isfinite(v) | (v < 0) | (v >= 1)]
        raise UsageError(f"{name} must lie in the graded range [0, 1) (fractions of g0); got "
                         f"{bad[:4].tolist()}")
    return v


@dataclass(frozen=True)
class LinearMapTask:
    """Learn ``y = A x``: inputs drawn uniformly from ``[x_low, x_high]`` per entry, kept when
    every target entry lies in ``[t_low, t_high]`` (rejection sampling; both ranges inside the
    graded range).

    Parameters
    ----------
    A : (n_out, n_in) array
        Target matrix; entries of either sign.
    x_low, x_high, t_low, t_high : float
        Ranges of inputs and targets, fractions of ``g0``.
    """

    A: tuple = DEFAULT_TARGET
    x_low: float = 0.05
    x_high: float = 0.6
    t_low: float = 0.05
    t_high: float = 0.6

    def __post_init__(self):
        A = np.asarray(self.A, dtype=float)
        if A.ndim != 2 or A.size == 0 or not np.all(np.isfinite(A)):
            raise UsageError(f"A must be a finite 2-D matrix (outputs x inputs), got shape "
                             f"{A.shape}")
        object.__setattr__(self, "A", tuple(map(tuple, A.tolist())))
        check_graded([self.x_low, self.x_high], "the input range (x_low, x_high)")
        check_graded([self.t_low, self.t_high], "the target range (t_low, t_high)")
        if not (self.x_low < self.x_high and self.t_low < self.t_high):
            raise UsageError("ranges need low < high")
        # is there an input in range whose target is in range? (the centre of the input box
        # or a few random points)
        if len(self.samples(1, rng=0, tries=20000)[0]) == 0:
            raise UsageError("no input in [x_low, x_high] gives a target inside [t_low, t_high]:"
                             " A maps the input range out of the graded range")

    @property
    def matrix(self) -> np.ndarray:
        return np.array(self.A)

    @property
    def shape(self) -> tuple:
        return self.matrix.shape

    def samples(self, n: int, rng=None, tries: int | None = None) -> tuple:
        """``(x, t)``: ``n`` inputs ``(n, n_in)`` and their targets ``(n, n_out)``."""
        rng = np.random.default_rng(rng)
        A = self.matrix
        xs = []
        budget = tries if tries is not None else 1000 * max(n, 1)
        while len(xs) < n and budget > 0:
            m = min(budget, 4 * (n - len(xs)) + 16)
            budget -= m
            x = rng.uniform(self.x_low, self.x_high, (m, A.shape[1]))
            t = x @ A.T
            ok = np.all((t >= self.t_low) & (t <= self.t_high), axis=1)
            xs.extend(x[ok][: n - len(xs)])
        if len(xs) < n and tries is None:
            raise UsageError("could not draw inputs whose targets lie in the target range")
        x = np.array(xs).reshape(-1, A.shape[1])
        return x, x @ A.T


def linear_map_inputs(task, cycles, seed, W0=None):
    """What a learning run of the linear map starts from, drawn from ``seed`` in this order:
    the initial weights (uniform in ``[-0.2, 0.2]``, unless ``W0`` is given) and one input and
    target per cycle -- so that runs of the same seed on different backends see the same.

    Returns ``(task, W0, x, t, rng)``; ``rng`` continues the seed's stream.
    """
    task = LinearMapTask() if task is None else task
    if not isinstance(cycles, (int, np.integer)) or isinstance(cycles, bool) or cycles < 1:
        raise UsageError(f"cycles must be a positive integer, got {cycles!r}")
    rng = np.random.default_rng(seed)
    A = task.matrix
    W0 = rng.uniform(-0.2, 0.2, A.shape) if W0 is None else np.asarray(W0, dtype=float)
    if W0.shape != A.shape:
        raise UsageError(f"W0 must have A's shape {A.shape}, got {W0.shape}")
    x, t = task.samples(cycles, rng=rng)
    return task, W0, x, t, rng


@dataclass(frozen=True)
class XORTask:
    """XOR of two graded inputs with a bias input.

    Inputs ``(low, low)``, ``(low, high)``, ``(high, low)``, ``(high, high)`` plus a constant bias
    input ``bias``; targets ``t_high`` where exactly one input is high, ``t_low`` otherwise.  A
    pattern is *solved* when the output lies on the correct side of the midpoint
    ``(t_low + t_high) / 2`` by at least ``margin`` (fractions of ``g0``).
    """

    low: float = 0.05
    high: float = 0.5
    bias: float = 0.3
    t_low: float = 0.1
    t_high: float = 0.4
    margin: float = 0.05

    def __post_init__(self):
        check_graded([self.low, self.high, self.bias], "the XOR inputs (low, high, bias)")
        check_graded([self.t_low, self.t_high], "the XOR targets (t_low, t_high)")
        if not (self.low < self.high and self.t_low < self.t_high):
            raise UsageError("XOR needs low < high and t_low < t_high")
        if not 0 <= self.margin < (self.t_high - self.t_low) / 2:
            raise UsageError(f"margin must lie in [0, {(self.t_high - self.t_low) / 2}), got "
                             f"{self.margin}")

    @property
    def midpoint(self) -> float:
        return (self.t_low + self.t_high) / 2

    def patterns(self) -> tuple:
        """``(x, t)``: the four inputs ``(4, 3)`` (the last column the bias) and targets
        ``(4, 1)``."""
        a = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        x = np.where(a == 1, self.high, self.low)
        x = np.column_stack([x, np.full(4, self.bias)])
        t = np.where(a.sum(axis=1) == 1, self.t_high, self.t_low)[:, None]
        return x, t.astype(float)

    def solved(self, outputs) -> np.ndarray:
        """Per pattern: output on the correct side of the midpoint by at least ``margin``."""
        o = np.asarray(outputs, dtype=float).reshape(4)
        _, t = self.patterns()
        want_high = t[:, 0] > self.midpoint
        return np.where(want_high, o >= self.midpoint + self.margin,
                        o <= self.midpoint - self.margin)

    def samples(self, n: int, rng=None) -> tuple:
        """``n`` patterns in random order, each of the four once per block of four."""
        rng = np.random.default_rng(rng)
        x, t = self.patterns()
        order = np.concatenate([rng.permutation(4) for _ in range((n + 3) // 4)])[:n]
        return x[order], t[order]
