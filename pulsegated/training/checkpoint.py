"""Training checkpoints: integer weights, position in the seeded sample order, RNG state.

A checkpoint is an ``.npz`` file written atomically (temporary file in the same folder, then
``os.replace``), so an interrupted write never leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pulsegated.atomic import atomic_open
from pulsegated.errors import UsageError

FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    """State needed to continue a run to weights identical to an uninterrupted one.

    Attributes
    ----------
    W1, W2 : int64 arrays
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
    """

    W1: np.ndarray
    W2: np.ndarray
    epoch: int
    position: int
    rng_state: dict
    samples: int
    run: dict
    history: list = field(default_factory=list)

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "W1": np.asarray(self.W1, dtype=np.int64),
            "W2": np.asarray(self.W2, dtype=np.int64),
            "epoch": np.int64(self.epoch),
            "position": np.int64(self.position),
            "samples": np.int64(self.samples),
            "rng_state": np.array(json.dumps(self.rng_state)),
            "run": np.array(json.dumps(self.run, sort_keys=True)),
            "history": np.array(json.dumps(self.history)),
            "format_version": np.int64(FORMAT_VERSION),
        }
        with atomic_open(path) as f:
            np.savez(f, **payload)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Checkpoint":
        path = Path(path)
        if not path.is_file():
            raise UsageError(f"no checkpoint at {path}")
        try:
            with np.load(path, allow_pickle=False) as z:
                version = int(z["format_version"])
                if version != FORMAT_VERSION:
                    raise UsageError(f"{path}: checkpoint format {version}, expected "
                                     f"{FORMAT_VERSION}")
                return cls(W1=z["W1"].astype(np.int64), W2=z["W2"].astype(np.int64),
                           epoch=int(z["epoch"]), position=int(z["position"]),
                           rng_state=json.loads(str(z["rng_state"])), samples=int(z["samples"]),
                           run=json.loads(str(z["run"])), history=json.loads(str(z["history"])))
        except (KeyError, ValueError, OSError) as e:
            raise UsageError(f"{path}: not a pulsegated checkpoint ({e})") from None
