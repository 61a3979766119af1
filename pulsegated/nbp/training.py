"""The nBP training interface, its input validation and the registry of training backends.

A *training backend* trains the nBP network online (batch size 1) and evaluates it:

* ``reference`` -- :class:`~pulsegated.nbp.reference.ReferenceBackend`, the exact integer
  arithmetic of the rule (no spikes);
* ``loihi``, ``brian2`` -- :class:`~pulsegated.nbp.spiking.LoihiBackend` and
  :class:`~pulsegated.nbp.spiking.Brian2Backend`, the 12-phase training circuit and the 4-step
  inference circuit run on a registered circuit simulator
  (:class:`~pulsegated.nbp.spiking.SpikingBackend`).

``pulsegated train --backend NAME`` looks the name up in :data:`TRAINING_BACKENDS`.
"""

from __future__ import annotations

import abc
import importlib
from typing import Callable, NamedTuple

import numpy as np

from pulsegated.backends import check_binary
from pulsegated.errors import UsageError
from pulsegated.nbp import rule

__all__ = ["Inference", "TrainingBackend", "TRAINING_BACKENDS", "training_backend",
           "check_training_inputs", "check_weights", "check_plastic_state", "check_variant",
           "check_step_shift", "check_replay"]

#: name -> "module:TrainingBackend class" (imported on first use)
TRAINING_BACKENDS = {
    "reference": "pulsegated.nbp.reference:ReferenceBackend",
    "loihi": "pulsegated.nbp.spiking:LoihiBackend",
    "brian2": "pulsegated.nbp.spiking:Brian2Backend",
}


def training_backend(name: str):
    """The :class:`TrainingBackend` class registered as ``name``.

    Raises
    ------
    UsageError
        For an unknown name, listing the registered ones.
    """
    if name not in TRAINING_BACKENDS:
        raise UsageError(f"unknown backend {name!r}; choose one of: {', '.join(TRAINING_BACKENDS)}")
    module, cls = TRAINING_BACKENDS[name].split(":")
    return getattr(importlib.import_module(module), cls)


class Inference(NamedTuple):
    """Output of one inference pass over ``n`` samples."""

    #: (n, n_out) bool: which output neurons spiked in the output phase.
    spikes: np.ndarray
    #: (n, n_out) int64: output membrane potential z2 (threshold units, the gate excluded).
    potential: np.ndarray
    #: (n, n_out) int64 or None: with a ramp readout (a variant's ``readout_steps``), the step of
    #: each readout neuron's first spike after the output phase, -1 for none
    #: (:func:`pulsegated.nbp.rule.ramp_readout`).
    first: np.ndarray | None = None


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
              progress: Callable[[int], None] | None = None,
              replay: np.ndarray | None = None) -> None:
        """Train on the samples in the given order.

        ``X``: (n, n_in) uint8 of 0/1; ``labels``: (n,) ints in [0, n_out).  ``progress(k)`` is
        called with the number of samples done since the last call.  ``replay`` (n, n_in) 0/1:
        the pixels the host replays for each sample, needed by a variant with ``replay_keep``
        below 1 (:func:`~pulsegated.nbp.variants.replay_masks`) and refused by the others.
        """

    @abc.abstractmethod
    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of ``(W1, W2)`` as int64 arrays in reference layout."""

    @abc.abstractmethod
    def infer(self, X: np.ndarray) -> Inference:
        """Forward pass (no learning) of ``X`` (n, n_in)."""

    #: The circuit variant trained (:class:`~pulsegated.nbp.variants.Variant`).
    variant = None
    #: How many times the learning step has been halved: the plastic weight exponent is
    #: ``-step_shift`` and a synapse delivers ``floor(M / 2**step_shift)`` thresholds/1024.
    step_shift: int = 0

    def halve_step(self) -> None:
        """Halve the learning step from now on (a variant's ``halve_at``): every plastic mantissa
        doubles (clipped to [-256, 254]) and the plastic weight exponent decreases by one, so
        the network computes nearly the same function (exactly, but for clipped mantissas and, from
        the second halving on, the floor of each synapse's share) and a step of 2 moves a
        weight by half as much as before."""
        raise UsageError(f"the {self.name} backend cannot halve its learning step")

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


def check_training_inputs(X, labels, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate a training batch; return C-contiguous ``uint8`` X and ``int64`` labels.

    ``X`` must be exactly 0/1 (:func:`~pulsegated.backends.check_binary`).  Raises
    :class:`~pulsegated.errors.UsageError` with what was expected.
    """
    X = check_binary(X, "X", n_in)
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != X.shape[0]:
        raise UsageError(f"labels must have shape ({X.shape[0]},), got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise UsageError(f"labels must be integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_out):
        raise UsageError(f"labels must lie in [0, {n_out}), got [{labels.min()}, {labels.max()}]")
    return X, np.ascontiguousarray(labels, dtype=np.int64)


def check_replay(replay, X: np.ndarray, variant=None) -> np.ndarray:
    """The replay masks of a batch ``X`` as C-contiguous ``uint8`` (all ones when None).

    With ``variant`` given, masks are required when its ``replay_keep`` is below 1 and refused
    when it is 1 (they would be ignored).
    """
    keep = 1 if variant is None else variant.replay_keep
    if replay is None:
        if keep < 1:
            raise UsageError(f"variant {variant.name!r} (replay_keep {keep:g}) trains with "
                             f"replay masks: pass replay= (pulsegated.nbp.variants.replay_masks)")
        return np.ones(X.shape, dtype=np.uint8)
    if variant is not None and keep == 1:
        raise UsageError(f"replay masks given, but variant {variant.name!r} replays every pixel "
                         f"(replay_keep 1)")
    R = check_binary(replay, "replay", X.shape[1])
    if R.shape != X.shape:
        raise UsageError(f"replay must have the shape of X {X.shape}, got {R.shape}")
    return R


def check_weights(W1, W2) -> tuple[np.ndarray, np.ndarray]:
    """Validate initial weights (integer, matching shapes, even, in [-256, 254]); int64 copies."""
    W1 = np.asarray(W1)
    W2 = np.asarray(W2)
    if W1.ndim != 2 or W2.ndim != 2 or W2.shape[1] != W1.shape[0]:
        raise UsageError(f"W1 must be (n_hidden, n_in) and W2 (n_out, n_hidden); got {W1.shape} "
                         f"and {W2.shape}")
    for name, W in (("W1", W1), ("W2", W2)):
        if not np.issubdtype(W.dtype, np.integer):
            raise UsageError(f"{name} must be an integer array, got dtype {W.dtype}")
        if W.size and (W.min() < rule.WMIN or W.max() > rule.WMAX or np.any(W % 2)):
            raise UsageError(f"{name} must hold even integers in [{rule.WMIN}, {rule.WMAX}]")
    return W1.astype(np.int64), W2.astype(np.int64)


def check_variant(variant):
    """The :class:`~pulsegated.nbp.variants.Variant` named or given (None: the paper's)."""
    from pulsegated.nbp.variants import variant as _variant
    return _variant(variant)


def check_step_shift(step_shift) -> int:
    """``step_shift`` as an int in 0..MAX_SHIFT (UsageError otherwise)."""
    from pulsegated.nbp.variants import MAX_SHIFT
    if isinstance(step_shift, bool) or step_shift not in range(MAX_SHIFT + 1):
        raise UsageError(f"step_shift must be an integer in 0..{MAX_SHIFT}, got {step_shift!r}")
    return int(step_shift)


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
