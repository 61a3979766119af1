"""Checkpoints of an eRBP training run: float weights, ``G``, the position in the sample order.

Written durably and atomically with :func:`pulsegated.atomic.atomic_open` (temporary file, fsync,
re-read and compared, rename), in the run folder's convention of
:mod:`pulsegated.training.rundir`: the rolling ``checkpoint.npz`` keeps its predecessor as
``checkpoint.prev.npz``, ``final.npz`` is written at the end, ``run.json`` describes the run.
A damaged file is refused with a message naming it, and :func:`load_latest` falls back to the
previous checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pulsegated.training.checkpoint import (CHECKPOINT, FINAL, PREVIOUS, CheckpointError,
                                            write_verified)

__all__ = ["ERBPCheckpoint", "load_latest", "CHECKPOINT", "PREVIOUS", "FINAL", "FORMAT"]

#: format tag stored in every file (refused if different)
FORMAT = "pulsegated-erbp-1"


@dataclass
class ERBPCheckpoint:
    """The state a run continues from.

    Attributes
    ----------
    weights : list of float64 arrays
        Forward weights ``W[l]`` ``(n_l, n_{l+1})``.
    G : float64 array
        The feedback matrix.
    epoch : int
        Epoch in progress (0-based); ``position`` samples of it are done.
    position : int
    samples : int
        Samples trained in total.
    order_state : dict
        State of the sample-order generator at the start of epoch ``epoch``.
    run : dict
        The run's identity (settings a resume must match).
    history : list of dict
        Per-epoch records so far.
    epoch_stats : dict
        Partial statistics of the epoch in progress (spike counts, seconds).
    """

    weights: list
    G: np.ndarray
    epoch: int
    position: int
    samples: int
    order_state: dict
    run: dict
    history: list = field(default_factory=list)
    epoch_stats: dict = field(default_factory=dict)

    def _payload(self) -> dict:
        out = {f"W{l}": np.asarray(w, dtype=np.float64) for l, w in enumerate(self.weights)}
        out.update(G=np.asarray(self.G, dtype=np.float64), epoch=np.int64(self.epoch),
                   position=np.int64(self.position), samples=np.int64(self.samples),
                   n_layers=np.int64(len(self.weights)), format=np.array(FORMAT),
                   order_state=np.array(json.dumps(self.order_state)),
                   run=np.array(json.dumps(self.run, sort_keys=True)),
                   history=np.array(json.dumps(self.history)),
                   epoch_stats=np.array(json.dumps(self.epoch_stats)))
        return out

    def same_as(self, other: "ERBPCheckpoint") -> bool:
        """Whether two checkpoints hold the same state."""
        a, b = self._payload(), other._payload()
        return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)

    def save(self, path, keep_previous=None) -> Path:
        """Write durably and atomically (re-read and compared before it replaces ``path``).

        ``keep_previous``: move the existing ``path`` there just before the new file replaces it.
        """
        return write_verified(self, path, keep_previous)

    @classmethod
    def load(cls, path, label=None) -> "ERBPCheckpoint":
        """Read and check a checkpoint; :class:`CheckpointError` naming the file if it is bad."""
        path = Path(path)
        name = Path(label) if label is not None else path
        if not path.is_file():
            raise CheckpointError(f"no checkpoint at {name}")
        try:
            with np.load(path, allow_pickle=False) as z:
                f = {k: z[k] for k in z.files}
            if str(f.get("format", "")) != FORMAT:
                raise CheckpointError(f"{name} is not an eRBP checkpoint (format "
                                      f"{str(f.get('format', '?'))!r})")
            n = int(f["n_layers"])
            weights = [f[f"W{l}"] for l in range(n)]
            for l, w in enumerate(weights):
                if w.ndim != 2 or not np.isfinite(w).all():
                    raise CheckpointError(f"{name}: field 'W{l}' is not a finite matrix")
            for a, b in zip(weights[:-1], weights[1:]):
                if a.shape[1] != b.shape[0]:
                    raise CheckpointError(f"{name}: weight shapes do not chain")
            ck = cls(weights=weights, G=f["G"], epoch=int(f["epoch"]),
                     position=int(f["position"]), samples=int(f["samples"]),
                     order_state=json.loads(str(f["order_state"])),
                     run=json.loads(str(f["run"])), history=json.loads(str(f["history"])),
                     epoch_stats=json.loads(str(f["epoch_stats"])))
        except CheckpointError:
            raise
        except Exception as e:  # truncated zip, bad CRC, missing field, bad JSON
            raise CheckpointError(f"{name} is damaged or not a checkpoint "
                                  f"({type(e).__name__}: {e})") from None
        for key in ("epoch", "position", "samples"):
            if getattr(ck, key) < 0:
                raise CheckpointError(f"{name}: field {key!r} is negative")
        return ck


def load_latest(folder) -> tuple[ERBPCheckpoint, str | None]:
    """The newest good checkpoint of ``folder`` and a note when it is the previous one."""
    from pulsegated.training.checkpoint import load_latest as _load_latest
    return _load_latest(folder, ERBPCheckpoint)
