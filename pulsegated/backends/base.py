"""The interface every circuit simulator implements, and the input checks they share.

:class:`CircuitSimulator` runs any :class:`~pulsegated.circuit.Circuit` the backend supports: step
by step, or sample by sample for scheduled circuits, with one way of reading what happened on every
backend (:meth:`~CircuitSimulator.spikes`, :meth:`~CircuitSimulator.state`,
:meth:`~CircuitSimulator.weights`) and of changing weights between runs
(:meth:`~CircuitSimulator.set_weights`).  Backends know circuits only: algorithms (nBP, SGSC, ...)
build circuit descriptions and drive simulators through this interface.
"""

from __future__ import annotations

import abc
from typing import Mapping

import numpy as np

from pulsegated.errors import UsageError


class CircuitSimulator(abc.ABC):
    """Runs a circuit description.

    Get one with :func:`pulsegated.backends.Simulator` (``Simulator(circuit, backend="loihi")``).
    Every backend reads results the same way:

    ================================  ==========================================================
    ``spikes(population)``            ``(steps, indices)`` of every recorded spike
    ``clear_spikes()``                forget the spikes recorded so far (long runs)
    ``state(population, variable)``   ``(n_steps, n_neurons)`` trace of a variable recorded with
                                      the ``record_state`` option
    ``weights(connection)``           current dense ``(pre, post)`` matrix
    ``set_weights(connection, W)``    replace it (between runs)
    ``t``                             steps run so far
    ``close()``                       release resources (also on leaving a ``with`` block)
    ================================  ==========================================================

    Parameters
    ----------
    circuit : Circuit
        Validated description.
    record : iterable of str or None
        Populations whose spikes are recorded (None: all).
    record_state : dict, optional
        ``{population: [variables]}`` recorded at every step (the variables a backend offers are
        listed in its documentation; :class:`~pulsegated.circuit.LoihiCompartment` populations
        offer ``u`` and ``v`` in raw chip units on every backend).
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
    def clear_spikes(self) -> None:
        """Forget every spike recorded so far, of all populations: :meth:`spikes` then returns
        the later ones only (their steps still count from the start).  Long runs call it
        between chunks so that their records do not grow without bound."""

    @abc.abstractmethod
    def state(self, population: str, variable: str) -> np.ndarray:
        """Recorded ``(n_steps, n_neurons)`` values of ``variable`` of ``population``.

        Row ``s`` holds the value at the end of step ``s``.  Only variables named in the
        ``record_state`` option are recorded; others raise :class:`~pulsegated.errors.UsageError`.
        """

    @abc.abstractmethod
    def weights(self, connection: str) -> np.ndarray:
        """Current dense ``(pre, post)`` weight matrix of a connection."""

    def mantissas(self, connection: str) -> np.ndarray:
        """Dense ``(pre, post)`` stored values of a connection: the mantissas of a plastic
        connection with a weight exponent (what its learning rule changes); by default the
        weights themselves."""
        return self.weights(connection)

    @abc.abstractmethod
    def set_weights(self, connection: str, weights) -> None:
        """Replace the dense ``(pre, post)`` weight matrix of a connection before the next run.

        ``weights`` uses the layout and units of :meth:`weights`; entries outside the connection's
        pattern (off the diagonal of a one-to-one connection, ...) must be 0.
        """

    @property
    @abc.abstractmethod
    def t(self) -> int:
        """Number of steps run so far."""

    def prepare(self) -> None:
        """Compile now what the first run would compile (so that it is not timed as running);
        nothing to do by default."""

    def close(self) -> None:
        """Release resources (compiled projects, temporary files); nothing to release by default."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        name = getattr(getattr(self, "circuit", None), "name", "?")
        return f"<{type(self).__name__} of circuit {name!r} at step {self.t}>"


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

