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


def check_sample_data(circuit, data: Mapping[str, np.ndarray]) -> tuple[int, dict]:
    """Validate the per-sample data of a scheduled circuit's data sources.

    Returns ``(n_samples, {source: array (n, size)})``; raises
    :class:`~pulsegated.errors.UsageError` naming the source and what was expected.
    """
    from pulsegated.errors import UsageError

    if circuit.schedule is None:
        raise UsageError("run_samples needs a scheduled circuit (with a gating ring)")
    sources = [s for s in circuit.sources.values() if s.kind == "data"]
    names = {s.name for s in sources}
    if set(data) != names:
        raise UsageError(f"run_samples needs data for exactly the data sources {sorted(names)}; "
                         f"missing {sorted(names - set(data))}, unknown {sorted(set(data) - names)}")
    n, arrays = None, {}
    for s in sources:
        a = np.asarray(data[s.name])
        if a.ndim != 2 or a.shape[1] != s.size:
            raise UsageError(f"data for {s.name!r} must have shape (n_samples, {s.size}), "
                             f"got {a.shape}")
        if a.size and (a.min() < 0 or a.max() > 1):
            raise UsageError(f"data for {s.name!r} must be 0/1")
        if n is not None and len(a) != n:
            raise UsageError("all data sources need the same number of samples")
        n = len(a)
        arrays[s.name] = a
    return n or 0, arrays
