"""Training checkpoints: the full plastic state, the position in the seeded sample order, RNG state.

A checkpoint is an ``.npz`` file written durably and atomically
(:func:`pulsegated.atomic.atomic_open`: temporary file, fsync, re-read and verified, then renamed).
The rolling ``checkpoint.npz`` keeps its predecessor as ``checkpoint.prev.npz``; :func:`load_latest`
falls back to it (saying so) when the newest one is missing or damaged.  Every field is
range-checked on load: a damaged or hand-edited file is refused with a one-line message naming the
file and the field.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pulsegated.atomic import atomic_open
from pulsegated.errors import UsageError

__all__ = ["Checkpoint", "CheckpointError", "load_latest", "CHECKPOINT", "PREVIOUS", "FINAL",
           "FORMAT_VERSION"]

FORMAT_VERSION = 2
#: Versions :meth:`Checkpoint.load` reads (1: no backend name, plastic copies or data provenance).
READABLE_VERSIONS = (1, 2)
CHECKPOINT = "checkpoint.npz"
PREVIOUS = "checkpoint.prev.npz"
FINAL = "final.npz"
#: Weight range of the nBP rule (even integers).
_WMIN, _WMAX = -256, 254
_PLASTIC_PREFIX = "plastic__"


class CheckpointError(UsageError):
    """A checkpoint file is missing, damaged or holds out-of-range fields."""


def write_verified(checkpoint, path, keep_previous=None) -> Path:
    """Write ``checkpoint`` (an object with ``_payload()``, ``same_as()`` and a ``load``
    classmethod) to ``path`` durably and atomically: the file is read back and compared before it
    replaces ``path``; ``keep_previous`` receives the file it replaces."""
    path = Path(path)

    def verify_then_rotate(tmp: Path) -> None:
        if not type(checkpoint).load(tmp, label=path).same_as(checkpoint):
            raise CheckpointError(f"{path}: the checkpoint read back differs from the one "
                                  f"written (storage error); the previous one is kept")
        if keep_previous is not None and path.is_file():
            os.replace(path, keep_previous)

    with atomic_open(path, verify=verify_then_rotate) as f:
        np.savez(f, **checkpoint._payload())
    return path


@dataclass
class Checkpoint:
    """State needed to continue a run to weights identical to an uninterrupted one.

    Attributes
    ----------
    W1, W2 : int64 arrays
        Weights in reference layout ``(n_hidden, n_in)`` and ``(n_out, n_hidden)``.
    epoch : int
        Index of the epoch in progress (0-based); ``position`` samples of it are done.
    position : int
    rng_state : dict
        State of the sample-order generator at the *start* of epoch ``epoch`` (the permutation
        of that epoch is drawn from it again on resume).
    samples : int
        Samples trained in total.
    run : dict
        What the run was (dataset, seed, sizes, ...): a resume with different settings is refused.
    history : list of dict
        Evaluations so far.
    backend : str or None
        Training backend that wrote the checkpoint (None in format-1 files).
    plastic : dict of str -> int64 array
        The backend's full plastic state beyond ``W1, W2`` (the spiking backends: all eight plastic
        copies, whose saturated entries can differ from ``W1, W2``); empty for the reference.
    data : dict
        Provenance of the training data (path and checksums), informational.
    """

    W1: np.ndarray
    W2: np.ndarray
    epoch: int
    position: int
    rng_state: dict
    samples: int
    run: dict
    history: list = field(default_factory=list)
    backend: str | None = None
    plastic: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)

    # ------------------------------------------------------------------------------ writing
    def _payload(self) -> dict:
        payload = {
            "W1": np.asarray(self.W1, dtype=np.int64),
            "W2": np.asarray(self.W2, dtype=np.int64),
            "epoch": np.int64(self.epoch),
            "position": np.int64(self.position),
            "samples": np.int64(self.samples),
            "rng_state": np.array(json.dumps(self.rng_state)),
            "run": np.array(json.dumps(self.run, sort_keys=True)),
            "history": np.array(json.dumps(self.history)),
            "backend": np.array(self.backend or ""),
            "data": np.array(json.dumps(self.data, sort_keys=True)),
            "format_version": np.int64(FORMAT_VERSION),
        }
        for name, m in self.plastic.items():
            payload[_PLASTIC_PREFIX + name] = np.asarray(m, dtype=np.int16)  # [-256, 254] fits
        return payload

    def same_as(self, other: "Checkpoint") -> bool:
        """Whether two checkpoints hold the same state."""
        a, b = self._payload(), other._payload()
        return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)

    def save(self, path: str | os.PathLike, keep_previous: str | os.PathLike | None = None) -> Path:
        """Write durably and atomically; the file is re-read and compared before it is committed.

        Parameters
        ----------
        path : path-like
        keep_previous : path-like, optional
            Move the existing ``path`` (the last good checkpoint) there just before the new file
            replaces it.
        """
        return write_verified(self, path, keep_previous)

    # ------------------------------------------------------------------------------ reading
    @classmethod
    def load(cls, path: str | os.PathLike, label: str | os.PathLike | None = None) -> "Checkpoint":
        """Read and range-check a checkpoint.

        Raises
        ------
        CheckpointError
            Naming the file (``label`` if given) when it is missing, not a readable checkpoint
            (truncated, bad CRC, garbled) or holds an out-of-range field.
        """
        path = Path(path)
        name = Path(label) if label is not None else path
        if not path.is_file():
            raise CheckpointError(f"no checkpoint at {name}")
        try:
            with np.load(path, allow_pickle=False) as z:
                fields = {k: z[k] for k in z.files}
        except Exception as e:  # BadZipFile, bad CRC-32, EOFError, zlib.error, ValueError, OSError
            raise CheckpointError(f"{name} is damaged or not a checkpoint "
                                  f"({type(e).__name__}: {e})") from None
        try:
            return cls._from_fields(fields, name)
        except CheckpointError:
            raise
        except Exception as e:
            raise CheckpointError(f"{name} is damaged or not a checkpoint "
                                  f"({type(e).__name__}: {e})") from None

    @classmethod
    def _from_fields(cls, z: dict, name: Path) -> "Checkpoint":
        def bad(field_name, why):
            return CheckpointError(f"{name}: field {field_name!r} {why}")

        for key in ("format_version", "W1", "W2", "epoch", "position", "samples", "rng_state",
                    "run", "history"):
            if key not in z:
                raise bad(key, "is missing")
        version = _integer(z["format_version"], "format_version", bad)
        if version not in READABLE_VERSIONS:
            raise bad("format_version", f"is {version}; this version of pulsegated reads "
                      f"{', '.join(map(str, READABLE_VERSIONS))}")
        epoch = _integer(z["epoch"], "epoch", bad)
        position = _integer(z["position"], "position", bad)
        samples = _integer(z["samples"], "samples", bad)
        for key, v in (("epoch", epoch), ("position", position), ("samples", samples)):
            if v < 0:
                raise bad(key, f"is {v}, must be >= 0")
        if position > samples:
            raise bad("position", f"is {position}, more than the {samples} samples trained")
        W1 = _weights(z["W1"], "W1", bad)
        W2 = _weights(z["W2"], "W2", bad)
        if W2.shape[1] != W1.shape[0]:
            raise bad("W2", f"has shape {W2.shape}, inconsistent with W1 {W1.shape}")
        plastic = {k[len(_PLASTIC_PREFIX):]: _weights(v, k, bad, even=False)
                   for k, v in z.items() if k.startswith(_PLASTIC_PREFIX)}
        rng_state = _json(z["rng_state"], "rng_state", dict, bad)
        run = _json(z["run"], "run", dict, bad)
        history = _json(z["history"], "history", list, bad)
        data = _json(z["data"], "data", dict, bad) if "data" in z else {}
        backend = str(z["backend"]) if "backend" in z else ""
        return cls(W1=W1, W2=W2, epoch=epoch, position=position, rng_state=rng_state,
                   samples=samples, run=run, history=history, backend=backend or None,
                   plastic=plastic, data=data)


def _integer(a, key, bad) -> int:
    a = np.asarray(a)
    if a.shape != () or not np.issubdtype(a.dtype, np.integer):
        raise bad(key, f"must be an integer scalar, got {a.dtype} {a.shape}")
    return int(a)


def _weights(a, key, bad, even: bool = True) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2 or not np.issubdtype(a.dtype, np.integer):
        raise bad(key, f"must be a 2-D integer matrix, got {a.dtype} {a.shape}")
    if a.size and (a.min() < _WMIN or a.max() > _WMAX):
        raise bad(key, f"holds values in [{a.min()}, {a.max()}], outside [{_WMIN}, {_WMAX}]")
    if even and np.any(a % 2):
        raise bad(key, "holds odd weights (the rule keeps them even)")
    return a.astype(np.int64)


def _json(a, key, kind, bad):
    value = json.loads(str(a))
    if not isinstance(value, kind):
        raise bad(key, f"must be a JSON {kind.__name__}")
    return value


def load_latest(folder: str | os.PathLike, kind=None) -> tuple[Checkpoint, str | None]:
    """The newest good checkpoint of a run folder, and a note when it is not the newest file.

    Tries ``checkpoint.npz``, then ``checkpoint.prev.npz``, read with ``kind.load`` (default:
    :class:`Checkpoint`; any checkpoint class with ``load`` and ``epoch``/``samples`` fields).

    Returns
    -------
    (Checkpoint, note)
        ``note`` is None, or one line saying why the previous checkpoint is used.

    Raises
    ------
    CheckpointError
        When neither file is a good checkpoint (naming both problems).
    """
    folder = Path(folder)
    kind = Checkpoint if kind is None else kind
    try:
        return kind.load(folder / CHECKPOINT), None
    except CheckpointError as newest:
        if not (folder / PREVIOUS).is_file():
            raise
        try:
            ck = kind.load(folder / PREVIOUS)
        except CheckpointError as previous:
            raise CheckpointError(f"{newest}; and the previous one: {previous}") from None
        return ck, (f"{newest}; resuming from the previous checkpoint {folder / PREVIOUS} "
                    f"(epoch {ck.epoch + 1}, {ck.samples} samples trained)")
