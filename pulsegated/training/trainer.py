"""Online training of the nBP network on any backend, with evaluation and checkpoints.

The sample order depends only on the seed: one ``numpy`` generator (``PCG64`` seeded from
``SeedSequence(seed)``; the initial weights come from a sibling stream) draws one permutation of the
training set per epoch, so every backend trains on the same sequence and a resumed run continues
to weights identical to an uninterrupted one.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from pulsegated.backends import training_backend
from pulsegated.errors import UsageError
from pulsegated.nbp import rule
from pulsegated.training.checkpoint import Checkpoint
from pulsegated.training.evaluate import readouts

DATASETS = ("builtin", "mnist", "fashion-mnist")
N_HIDDEN = 400
N_OUT = 10


@dataclass
class TrainConfig:
    """Settings of one training run (what ``pulsegated train`` takes).

    Attributes
    ----------
    dataset : {"builtin", "mnist", "fashion-mnist"}
    backend : str
        A registered training backend (``reference``, ``loihi``, ``brian2``).
    epochs : int
    seed : int
    max_samples : int or None
        Train each epoch on the first ``max_samples`` samples of the seed's permutation.
    threshold : str or int or None
        Binarisation threshold (None: the dataset's default, see ``pulsegated.data``).
    n_hidden : int
    data_dir : str or None
    checkpoint_dir : str or None
        Checkpoints every half epoch (``checkpoint.npz``) and at the end (``final.npz``).
    resume : bool
        Continue from ``checkpoint_dir/checkpoint.npz``.
    eval_train : int
        Evaluate on the first ``eval_train`` training samples (file order); 0 for none.
    eval_test : int or None
        Evaluate on the first ``eval_test`` test samples (None: all).
    backend_options : dict
    """

    dataset: str = "builtin"
    backend: str = "reference"
    epochs: int = 1
    seed: int = 0
    max_samples: int | None = None
    threshold: object = None
    n_hidden: int = N_HIDDEN
    data_dir: str | None = None
    checkpoint_dir: str | None = None
    resume: bool = False
    eval_train: int = 10000
    eval_test: int | None = None
    backend_options: dict = field(default_factory=dict)

    def validate(self) -> "TrainConfig":
        if self.dataset not in DATASETS:
            raise UsageError(f"unknown dataset {self.dataset!r}; choose one of: {', '.join(DATASETS)}")
        for name in ("epochs", "seed", "n_hidden", "eval_train"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise UsageError(f"{name} must be a non-negative integer, got {v!r}")
        if self.epochs < 1:
            raise UsageError(f"epochs must be at least 1, got {self.epochs}")
        if self.n_hidden < 1:
            raise UsageError(f"n_hidden must be at least 1, got {self.n_hidden}")
        for name in ("max_samples", "eval_test"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))
                                  or v < 1):
                raise UsageError(f"{name} must be a positive integer, got {v!r}")
        if self.resume and not self.checkpoint_dir:
            raise UsageError("resume needs a checkpoint directory")
        return self

    def identity(self) -> dict:
        """What must match between a checkpoint and a resumed run."""
        return {"dataset": self.dataset, "seed": int(self.seed), "max_samples": self.max_samples,
                "threshold": self.threshold, "n_hidden": int(self.n_hidden)}


def load_training_data(config: TrainConfig) -> tuple:
    """``(X_train, y_train, X_test, y_test)`` as 0/1 uint8 matrices and int64 labels."""
    from pulsegated import data

    if config.dataset == "builtin":
        if config.threshold is not None:
            raise UsageError("the built-in dataset is already binarised; --threshold does not apply")
        Xtr, ytr = data.load_builtin("train")
        Xte, yte = data.load_builtin("test")
    else:
        Xtr, ytr = data.load_preprocessed(config.dataset, "train", data_dir=config.data_dir,
                                          threshold=config.threshold)
        Xte, yte = data.load_preprocessed(config.dataset, "test", data_dir=config.data_dir,
                                          threshold=config.threshold)
    return Xtr, ytr, Xte, yte


def seed_streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """``(init_rng, order_rng)``: independent generators derived from one seed."""
    init_ss, order_ss = np.random.SeedSequence(int(seed)).spawn(2)
    return np.random.default_rng(init_ss), np.random.default_rng(order_ss)


def sample_orders(seed: int, n_samples: int, epochs: int, max_samples: int | None = None):
    """The per-epoch sample orders of a run (what every backend trains on), as a list."""
    _, order_rng = seed_streams(seed)
    out = []
    for _ in range(epochs):
        out.append(order_rng.permutation(n_samples)[:max_samples])
    return out


class Trainer:
    """Runs a :class:`TrainConfig`: trains, evaluates after every epoch, checkpoints.

    Parameters
    ----------
    config : TrainConfig
    progress : bool
        Show tqdm progress bars (stderr).
    """

    def __init__(self, config: TrainConfig, progress: bool = True, data: tuple | None = None):
        self.config = config.validate()
        self.progress = progress
        self.Xtr, self.ytr, self.Xte, self.yte = data if data is not None else load_training_data(config)
        self.n_in = self.Xtr.shape[1]
        init_rng, self._order_rng = seed_streams(config.seed)
        self.W1_init, self.W2_init = rule.init_weights(self.n_in, config.n_hidden, N_OUT, init_rng)
        self.history: list = []
        self.epoch = 0
        self.position = 0
        self.samples = 0
        W1, W2 = self.W1_init, self.W2_init
        self._ckpt_dir = Path(config.checkpoint_dir) if config.checkpoint_dir else None
        if config.resume:
            ck = Checkpoint.load(self._ckpt_dir / "checkpoint.npz")
            if ck.run != _jsonable(config.identity()):
                raise UsageError(f"checkpoint was written by a different run: {ck.run} "
                                 f"vs {_jsonable(config.identity())}")
            W1, W2 = ck.W1, ck.W2
            self.epoch, self.position, self.samples = ck.epoch, ck.position, ck.samples
            self._order_rng.bit_generator.state = ck.rng_state
            self.history = ck.history
        backend_cls = training_backend(config.backend)
        self.backend = backend_cls(W1, W2, **config.backend_options)
        self.train_seconds = 0.0
        self.run_samples = 0  # trained by this process (throughput excludes resumed work)

    # ------------------------------------------------------------------------------------
    def evaluate(self) -> dict:
        c = self.config
        out = {}
        sets = {"test": (self.Xte[:c.eval_test], self.yte[:c.eval_test])}
        if c.eval_train:
            sets["train"] = (self.Xtr[:c.eval_train], self.ytr[:c.eval_train])
        for name, (X, y) in sets.items():
            out[name] = readouts(self.backend.infer(X), y)
        return out

    def _checkpoint(self, name: str, epoch_start_state: dict) -> None:
        if self._ckpt_dir is None:
            return
        W1, W2 = self.backend.weights()
        Checkpoint(W1=W1, W2=W2, epoch=self.epoch, position=self.position,
                   rng_state=epoch_start_state, samples=self.samples,
                   run=_jsonable(self.config.identity()), history=self.history
                   ).save(self._ckpt_dir / name)

    def run(self, on_eval: Callable[[dict], None] | None = None,
            stop_after_checkpoints: int | None = None) -> list:
        """Train the remaining epochs; return the evaluation history.

        ``on_eval(record)`` is called after every evaluation.  ``stop_after_checkpoints`` stops
        (as an interruption would) after that many checkpoints were written in this call.
        """
        c = self.config
        n = len(self.Xtr)
        per_epoch = min(n, c.max_samples) if c.max_samples else n
        written = 0
        bar = None
        if self.progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=per_epoch * c.epochs, initial=self.epoch * per_epoch + self.position,
                       unit="sample", desc=f"train [{c.backend}]", dynamic_ncols=True)
        try:
            while self.epoch < c.epochs:
                start_state = self._order_rng.bit_generator.state
                order = self._order_rng.permutation(n)[:per_epoch]
                halves = [per_epoch // 2, per_epoch]
                for stop in halves:
                    if self.position >= stop:
                        continue
                    idx = order[self.position:stop]
                    t0 = time.perf_counter()
                    self.backend.train(self.Xtr[idx], self.ytr[idx],
                                       progress=bar.update if bar is not None else None)
                    self.train_seconds += time.perf_counter() - t0
                    self.samples += len(idx)
                    self.run_samples += len(idx)
                    self.position = stop
                    if stop < per_epoch:
                        self._checkpoint("checkpoint.npz", start_state)
                        written += 1
                        if stop_after_checkpoints is not None and written >= stop_after_checkpoints:
                            return self.history
                record = {"epoch": self.epoch + 1, "samples": self.samples,
                          "samples_per_s": (self.run_samples / self.train_seconds
                                            if self.train_seconds > 0 else None),
                          "compile_s": self.backend.compile_time, "backend": c.backend,
                          "dataset": c.dataset, "seed": int(c.seed)}
                record.update(self.evaluate())
                self.history.append(record)
                self.epoch += 1
                self.position = 0
                self._checkpoint("checkpoint.npz", self._order_rng.bit_generator.state)
                written += 1
                if on_eval is not None:
                    on_eval(record)
                if stop_after_checkpoints is not None and written >= stop_after_checkpoints:
                    return self.history
            self._checkpoint("final.npz", self._order_rng.bit_generator.state)
        finally:
            if bar is not None:
                bar.close()
        return self.history


def _jsonable(d: dict) -> dict:
    import json
    return json.loads(json.dumps(d))


def config_dict(config: TrainConfig) -> dict:
    return asdict(config)
