"""The interfaces every backend implements.

Two levels, one implementation per backend for each (chosen by name, Lava style):

* :class:`CircuitSimulator` runs any :class:`~pulsegated.circuit.Circuit` the backend supports:
  step by step or sample by sample for scheduled circuits, with spike, state and weight probes.
* :class:`TrainingBackend` trains the nBP network (batch size 1) and evaluates it; the reference
  trainer implements it with exact integer arithmetic, the spiking backends by running the
  12-phase training circuit and the 4-step inference circuit on a :class:`CircuitSimulator`.
"""

from __future__ import annotations

import abc
from typing import Callable, Mapping, NamedTuple

import numpy as np

from pulsegated.errors import UsageError


class Inference(NamedTuple):
    """Output of one inference pass over ``n`` samples."""

    #: (n, n_out) bool: which output neurons spiked in the output phase.
    spikes: np.ndarray
    #: (n, n_out) int64: output membrane potential z2 (threshold units, the gate excluded).
    potential: np.ndarray


class CircuitSimulator(abc.ABC):
    """Runs a circuit description.

    Parameters
    ----------
    circuit : Circuit
        Validated description.
    **options
        Backend-specific options; unknown ones raise :class:`~pulsegated.errors.UsageError`.
    """

    #: Name under which the backend is registered.
    name: str = ""

    @abc.abstractmethod
    def __init__(self, circuit, **options): ...

    @abc.abstractmethod
    def run_samples(self, data: Mapping[str, np.ndarray]) -> None:
        """Run ``n`` samples of a scheduled circuit.

        ``data`` maps each *data* source name to an array of shape ``(n, source.size)`` of 0/1.
        Every call continues where the previous one stopped.
        """

    @abc.abstractmethod
    def run_steps(self, n_steps: int) -> None:
        """Advance by ``n_steps`` steps (sources with explicit spike trains only)."""

    @abc.abstractmethod
    def spikes(self, population: str) -> tuple[np.ndarray, np.ndarray]:
        """``(steps, indices)`` int64 arrays of every recorded spike of ``population``."""

    @abc.abstractmethod
    def weights(self, connection: str) -> np.ndarray:
        """Current dense ``(pre, post)`` weight matrix of a connection."""

    @property
    @abc.abstractmethod
    def t(self) -> int:
        """Number of steps run so far."""


class TrainingBackend(abc.ABC):
    """Online (batch size 1) training of the nBP network, and its evaluation.

    Parameters
    ----------
    W1 : int array (n_hidden, n_in), W2 : int array (n_out, n_hidden)
        Initial weights (even integers in [-256, 254]).
    **options
        Backend-specific options (e.g. ``device`` for Brian2); unknown ones raise
        :class:`~pulsegated.errors.UsageError` before anything runs.
    """

    name: str = ""
    #: Seconds spent on one-time compilation (excluded from throughput figures).
    compile_time: float = 0.0

    @abc.abstractmethod
    def __init__(self, W1, W2, **options): ...

    @abc.abstractmethod
    def train(self, X: np.ndarray, labels: np.ndarray,
              progress: Callable[[int], None] | None = None) -> None:
        """Train on the samples in the given order.

        ``X``: (n, n_in) uint8 of 0/1; ``labels``: (n,) ints in [0, n_out).  ``progress(k)`` is
        called with the number of samples done since the last call.
        """

    @abc.abstractmethod
    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of ``(W1, W2)`` as int64 arrays in reference layout."""

    @abc.abstractmethod
    def infer(self, X: np.ndarray) -> Inference:
        """Forward pass (no learning) of ``X`` (n, n_in)."""

    def close(self) -> None:
        """Release resources (compiled projects, temporary files)."""

    def plastic_state(self) -> dict:
        """The plastic state beyond :meth:`weights` needed to continue training exactly.

        Empty when ``(W1, W2)`` is everything (the reference); the spiking backends return every
        plastic copy, since a saturated copy can differ from its master matrix.  Checkpoints store
        it and :meth:`restore` continues from it.
        """
        return {}

    @classmethod
    def restore(cls, W1, W2, plastic: dict | None = None, **options) -> "TrainingBackend":
        """A backend continuing from ``(W1, W2)`` and a :meth:`plastic_state`."""
        if plastic:
            raise UsageError(f"the {cls.name} backend keeps no plastic state beyond W1, W2; got "
                             f"{', '.join(sorted(plastic))}")
        return cls(W1, W2, **options)


def check_binary(a, what: str, n_columns: int | None = None) -> np.ndarray:
    """Validate a spike/sample matrix of exactly 0/1; return it as C-contiguous ``uint8``.

    Bool and integer arrays, and float arrays whose values are exactly 0.0 or 1.0, are accepted;
    anything else (0.5, NaN, raw 0-255 pixels, strings, objects) raises
    :class:`~pulsegated.errors.UsageError` naming ``what``.

    Parameters
    ----------
    a : array-like
    what : str
        How the array is called in messages (e.g. ``"X"``, ``"data for 'pixels'"``).
    n_columns : int, optional
        Require shape ``(n_samples, n_columns)``.
    """
    a = np.asarray(a)
    if n_columns is not None and (a.ndim != 2 or a.shape[1] != n_columns):
        raise UsageError(f"{what} must have shape (n_samples, {n_columns}), got {a.shape}")
    if not (a.dtype == np.bool_ or np.issubdtype(a.dtype, np.integer)
            or np.issubdtype(a.dtype, np.floating)):
        raise UsageError(f"{what} must be a numeric array of 0/1 (binary spikes), got dtype "
                         f"{a.dtype}")
    bad = (a != 0) & (a != 1)
    if np.any(bad):
        raise UsageError(f"{what} must be 0/1 (binary spikes: bool, integer, or floats exactly "
                         f"0.0/1.0); found {a[bad].flat[0].item()!r}")
    return np.ascontiguousarray(a, dtype=np.uint8)


def check_plastic_state(W1: np.ndarray, W2: np.ndarray, plastic: dict | None) -> dict | None:
    """Validate a spiking backend's plastic state against its master weights ``W1``, ``W2``.

    ``plastic`` maps connection names of :data:`pulsegated.nbp.network.PLASTIC` to (pre, post)
    matrices; its ``W1``/``W2`` entries must be ``W1.T``/``W2.T``.  Returns it as int64 arrays (or
    None when not given).
    """
    from pulsegated.nbp.network import PLASTIC

    if not plastic:
        return None
    unknown = set(plastic) - set(PLASTIC)
    if unknown:
        raise UsageError(f"unknown plastic connection(s) {', '.join(sorted(unknown))}; expected "
                         f"{', '.join(PLASTIC)}")
    out = {k: np.asarray(v) for k, v in plastic.items()}
    for name, master in (("W1", W1), ("W2", W2)):
        if name in out and not np.array_equal(out[name], np.asarray(master).T):
            raise UsageError(f"plastic state: {name} does not match the given {name} (transposed)")
    for name, m in out.items():
        if not np.issubdtype(m.dtype, np.integer):
            raise UsageError(f"plastic state: {name} must be an integer matrix, got {m.dtype}")
    return {k: v.astype(np.int64) for k, v in out.items()}


def check_n_steps(n_steps) -> int:
    """``n_steps`` as an int; :class:`~pulsegated.errors.UsageError` unless it is a non-negative
    integer (bools and floats such as 1.5 are refused)."""
    if isinstance(n_steps, (bool, np.bool_)) or not isinstance(n_steps, (int, np.integer)):
        raise UsageError(f"n_steps must be a non-negative integer, got {n_steps!r} "
                         f"({type(n_steps).__name__})")
    if n_steps < 0:
        raise UsageError(f"n_steps must be a non-negative integer, got {n_steps}")
    return int(n_steps)


def check_sample_data(circuit, data: Mapping[str, np.ndarray]) -> tuple[int, dict]:
    """Validate the per-sample data of a scheduled circuit's data sources.

    Returns ``(n_samples, {source: array (n, size)})``; raises
    :class:`~pulsegated.errors.UsageError` naming the source and what was expected.
    """
    if circuit.schedule is None:
        raise UsageError("run_samples needs a scheduled circuit (with a gating ring)")
    sources = [s for s in circuit.sources.values() if s.kind == "data"]
    names = {s.name for s in sources}
    if set(data) != names:
        raise UsageError(f"run_samples needs data for exactly the data sources {sorted(names)}; "
                         f"missing {sorted(names - set(data))}, unknown {sorted(set(data) - names)}")
    n, arrays = None, {}
    for s in sources:
        a = check_binary(data[s.name], f"data for {s.name!r}", s.size)
        if n is not None and len(a) != n:
            raise UsageError("all data sources need the same number of samples")
        n = len(a)
        arrays[s.name] = a
    return n or 0, arrays
