"""Online training of the nBP network on any backend, with evaluation and checkpoints.

The sample order depends only on the seed: one ``numpy`` generator (``PCG64`` seeded from
``SeedSequence(seed)``; the initial weights come from a sibling stream) draws one permutation of the
training set per epoch, so every backend trains on the same sequence and a resumed run continues
to weights identical to an uninterrupted one.  A checkpoint holds the backend's full plastic
state (:meth:`~pulsegated.nbp.training.TrainingBackend.plastic_state`), so runs on the spiking
backends resume exactly even after a weight saturated.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from pulsegated.nbp.training import training_backend
from pulsegated.nbp.variants import replay_masks, variant
from pulsegated.errors import UsageError
from pulsegated.nbp import rule
from pulsegated.atomic import atomic_open
from pulsegated.training.checkpoint import (CHECKPOINT, FINAL, PREVIOUS, Checkpoint,
                                            load_latest)
from pulsegated.training.rundir import RUN_FILE, open_run_dir
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
        The only folder datasets are read from (None: ``$PULSEGATED_DATA``, then the user cache).
    checkpoint_dir : str or None
        Checkpoints every half epoch (``checkpoint.npz``, its predecessor kept as
        ``checkpoint.prev.npz``), at the end (``final.npz``), the run's metadata (``run.json``);
        locked (``run.lock``) while the run lives.
    resume : bool
        Continue from the newest good checkpoint in ``checkpoint_dir``.
    overwrite : bool
        Start afresh in a ``checkpoint_dir`` that already holds a run (its files are deleted).
    eval_train : int
        Evaluate on the first ``eval_train`` training samples (file order); 0 for none.
    eval_test : int or None
        Evaluate on the first ``eval_test`` test samples (None: all).
    variant : str, dict or Variant
        The circuit variant (:mod:`pulsegated.nbp.variants`): ``"paper"`` (default, the
        published circuit), another name of ``VARIANTS``, or a dict of its fields.
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
    overwrite: bool = False
    eval_train: int = 10000
    eval_test: int | None = None
    variant: object = "paper"
    backend_options: dict = field(default_factory=dict)

    def validate(self, names: dict | None = None) -> "TrainConfig":
        """Check every setting before anything is loaded or trained; return ``self``.

        Parameters
        ----------
        names : dict, optional
            How each field is called in messages (the command line passes its flags, e.g.
            ``{"n_hidden": "--hidden"}``); default: the field names.

        Raises
        ------
        UsageError
        """
        def n(key):
            return (names or {}).get(key, key)

        if self.dataset not in DATASETS:
            raise UsageError(f"unknown dataset {self.dataset!r}; choose one of: {', '.join(DATASETS)}")
        training_backend(self.backend)  # unknown backend: error naming the registered ones
        for key in ("seed", "eval_train"):
            v = getattr(self, key)
            if not _is_int(v) or v < 0:
                raise UsageError(f"{n(key)} must be a non-negative integer, got {v!r}")
        for key in ("epochs", "n_hidden", "max_samples", "eval_test"):
            v = getattr(self, key)
            if (v is not None or key in ("epochs", "n_hidden")) and (not _is_int(v) or v < 1):
                raise UsageError(f"{n(key)} must be a positive integer, got {v!r}")
        if self.dataset == "builtin" and self.threshold is not None:
            raise UsageError(f"the built-in dataset is already binarised; {n('threshold')} does "
                             f"not apply")
        if self.data_dir is not None and not Path(self.data_dir).expanduser().is_dir():
            raise UsageError(f"{n('data_dir')} {self.data_dir} does not exist or is not a folder")
        if self.resume and not self.checkpoint_dir:
            raise UsageError(f"{n('resume')} needs {n('checkpoint_dir')}")
        if self.overwrite and not self.checkpoint_dir:
            raise UsageError(f"{n('overwrite')} needs {n('checkpoint_dir')}")
        if self.resume and self.overwrite:
            raise UsageError(f"{n('resume')} and {n('overwrite')} exclude each other")
        try:
            variant(self.variant)
        except UsageError as e:
            raise UsageError(f"{n('variant')}: {e}") from None
        for key in ("variant", "step_shift"):
            if key in self.backend_options:
                raise UsageError(f"backend option {key!r} is set by the run ({n('variant')}), "
                                 f"not as a backend option")
        return self

    @property
    def circuit_variant(self):
        """The :class:`~pulsegated.nbp.variants.Variant` of the run."""
        return variant(self.variant)

    def identity(self) -> dict:
        """What must match between a checkpoint and a resumed run."""
        out = {"dataset": self.dataset, "seed": int(self.seed), "max_samples": self.max_samples,
               "threshold": self.threshold, "n_hidden": int(self.n_hidden)}
        v = self.circuit_variant
        if not v.is_paper:  # (runs of the published circuit keep their old identity)
            out["variant"] = v.to_dict()
        return out


def _is_int(v) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, np.integer))


def load_training_data(config: TrainConfig) -> tuple:
    """``(X_train, y_train, X_test, y_test)`` as 0/1 uint8 matrices and int64 labels."""
    from pulsegated import data

    if config.dataset == "builtin":
        Xtr, ytr = data.load_builtin("train")
        Xte, yte = data.load_builtin("test")
    else:
        Xtr, ytr = data.load_preprocessed(config.dataset, "train", data_dir=config.data_dir,
                                          threshold=config.threshold)
        Xte, yte = data.load_preprocessed(config.dataset, "test", data_dir=config.data_dir,
                                          threshold=config.threshold)
    return Xtr, ytr, Xte, yte


def data_provenance(config: TrainConfig) -> dict:
    """Where the run's data comes from, with the files' checksums (see ``data.provenance``)."""
    from pulsegated.data.datasets import provenance
    info = provenance(config.dataset, config.data_dir)
    if config.dataset != "builtin":
        from pulsegated.data.preprocess import DATASET_PREPROCESSING
        info["threshold"] = (DATASET_PREPROCESSING[config.dataset]["threshold"]
                             if config.threshold is None else config.threshold)
    return info


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


def _stderr(message: str) -> None:
    print(f"pulsegated: {message}", file=sys.stderr, flush=True)


class Trainer:
    """Runs a :class:`TrainConfig`: trains, evaluates after every epoch, checkpoints.

    Parameters
    ----------
    config : TrainConfig
    progress : bool
        Show a tqdm progress bar (stderr) with the training throughput.
    data : tuple, optional
        ``(X_train, y_train, X_test, y_test)`` instead of the configured dataset.
    log : callable, optional
        Receives one-line notices (e.g. falling back to the previous checkpoint); default stderr.

    With a ``checkpoint_dir`` the folder is checked (created, write-probed), locked and cleaned of
    temporary files of killed runs here, before any data is loaded; the lock is held until
    :meth:`run` returns (or :meth:`close`).
    """

    def __init__(self, config: TrainConfig, progress: bool = True, data: tuple | None = None,
                 log: Callable[[str], None] | None = None):
        self.config = config.validate()
        self.progress = progress
        self.log = log or _stderr
        backend_cls = training_backend(config.backend)
        self._ckpt_dir = Path(config.checkpoint_dir) if config.checkpoint_dir else None
        self._run_dir = None
        if self._ckpt_dir is not None:
            self._run_dir = open_run_dir(self._ckpt_dir, resume=config.resume,
                                         overwrite=config.overwrite)
        try:
            self._setup(backend_cls, data)
        except BaseException:
            self.close()
            raise

    def _setup(self, backend_cls, data) -> None:
        config = self.config
        ck = self._load_checkpoint() if config.resume else None
        if data is not None:
            self.Xtr, self.ytr, self.Xte, self.yte = data
            self.data_info = {"dataset": config.dataset, "path": None,
                              "note": "arrays passed to the Trainer"}
        else:
            self.Xtr, self.ytr, self.Xte, self.yte = load_training_data(config)
            self.data_info = data_provenance(config)
        self.n_in = self.Xtr.shape[1]
        n = len(self.Xtr)
        self.per_epoch = min(n, config.max_samples) if config.max_samples else n
        init_rng, self._order_rng = seed_streams(config.seed)
        self.W1_init, self.W2_init = rule.init_weights(self.n_in, config.n_hidden, N_OUT, init_rng)
        self.history: list = []
        self.epoch = 0
        self.position = 0
        self.samples = 0
        v = config.circuit_variant
        if ck is None:
            self.backend = backend_cls(self.W1_init, self.W2_init, variant=v,
                                       **config.backend_options)
        else:
            self._check_position(ck)
            self.epoch, self.position, self.samples = ck.epoch, ck.position, ck.samples
            self._order_rng.bit_generator.state = ck.rng_state
            self.history = ck.history
            self.backend = backend_cls.restore(ck.W1, ck.W2, ck.plastic, variant=v,
                                               step_shift=v.step_shift(ck.epoch, ck.position),
                                               **config.backend_options)
        self._write_run_info(resumed_from=ck)
        self.train_seconds = 0.0
        self.run_samples = 0  # trained by this process (throughput excludes resumed work)

    # ------------------------------------------------------------------------------------
    def _load_checkpoint(self) -> Checkpoint:
        """The newest good checkpoint, checked against this run's settings and backend."""
        ck, note = load_latest(self._ckpt_dir)
        if note:
            self.log(note)
        where = self._ckpt_dir
        if ck.run != _jsonable(self.config.identity()):
            raise UsageError(f"the checkpoint in {where} was written by a different run: {ck.run} "
                             f"vs {_jsonable(self.config.identity())}")
        if ck.backend is not None and ck.backend != self.config.backend:
            raise UsageError(f"the checkpoint in {where} was written by the {ck.backend} backend; "
                             f"resume it with the {ck.backend} backend, not {self.config.backend}")
        return ck

    def _check_position(self, ck: Checkpoint) -> None:
        """Range-check a checkpoint's counters and weight shapes against the run's data."""
        where = self._ckpt_dir

        def bad(key, why):
            return UsageError(f"checkpoint in {where}: field {key!r} {why}")
        if not 0 <= ck.position < self.per_epoch:
            raise bad("position", f"is {ck.position}, outside [0, {self.per_epoch}) for epochs "
                      f"of {self.per_epoch} samples")
        if ck.samples != ck.epoch * self.per_epoch + ck.position:
            raise bad("samples", f"is {ck.samples}, but epoch {ck.epoch} and position "
                      f"{ck.position} of {self.per_epoch}-sample epochs give "
                      f"{ck.epoch * self.per_epoch + ck.position}")
        if len(ck.history) > ck.epoch:
            raise bad("history", f"has {len(ck.history)} evaluations for {ck.epoch} epochs done")
        shapes = {"W1": (self.config.n_hidden, self.n_in), "W2": (N_OUT, self.config.n_hidden)}
        for key, shape in shapes.items():
            if getattr(ck, key).shape != shape:
                raise bad(key, f"has shape {getattr(ck, key).shape}, expected {shape}")

    def _write_run_info(self, resumed_from: Checkpoint | None) -> None:
        """``run.json``: settings, backend, data provenance; appended to on every resume."""
        if self._ckpt_dir is None:
            return
        import json
        import datetime
        from pulsegated import __version__
        path = self._ckpt_dir / RUN_FILE
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        entry = {"time": now, "pulsegated": __version__, "data": self.data_info}
        info = None
        if resumed_from is not None and path.is_file():
            try:
                info = json.loads(path.read_text())
            except ValueError:
                info = None
        if info is None:
            info = {"config": _jsonable(config_dict(self.config)), "backend": self.config.backend,
                    "started": entry, "resumed": []}
        if resumed_from is not None:
            info.setdefault("resumed", []).append(
                {**entry, "epoch": resumed_from.epoch, "position": resumed_from.position,
                 "samples": resumed_from.samples})
        with atomic_open(path) as f:
            f.write((json.dumps(info, indent=1, sort_keys=True) + "\n").encode())

    def close(self) -> None:
        """Release the checkpoint folder's lock (also done when :meth:`run` returns)."""
        if self._run_dir is not None:
            self._run_dir.release()

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
        ck = Checkpoint(W1=W1, W2=W2, epoch=self.epoch, position=self.position,
                        rng_state=epoch_start_state, samples=self.samples,
                        run=_jsonable(self.config.identity()), history=self.history,
                        backend=self.config.backend, plastic=self.backend.plastic_state(),
                        data=self.data_info)
        ck.save(self._ckpt_dir / name,
                keep_previous=self._ckpt_dir / PREVIOUS if name == CHECKPOINT else None)

    def training_rate(self) -> float | None:
        """Training throughput of this process (samples/s; evaluation and startup excluded)."""
        return self.run_samples / self.train_seconds if self.train_seconds > 0 else None

    def _train(self, idx, bar, replay=None) -> None:
        """Train on ``idx`` (with the variant's ``replay`` masks); the bar advances with the
        training throughput as its only rate."""
        t0 = time.perf_counter()
        done = 0

        def update(k):
            nonlocal done
            done += k
            bar.update(k)
            seconds = self.train_seconds + time.perf_counter() - t0
            if seconds > 0:
                bar.set_postfix_str(f"training {(self.run_samples + done) / seconds:.0f} samples/s",
                                    refresh=False)

        kwargs = {} if replay is None else {"replay": replay}
        self.backend.train(self.Xtr[idx], self.ytr[idx],
                           progress=update if bar is not None else None, **kwargs)
        self.train_seconds += time.perf_counter() - t0
        self.samples += len(idx)
        self.run_samples += len(idx)

    def run(self, on_eval: Callable[[dict], None] | None = None,
            stop_after_checkpoints: int | None = None) -> list:
        """Train the remaining epochs; return the evaluation history.

        ``on_eval(record)`` is called after every evaluation.  ``stop_after_checkpoints`` stops
        (as an interruption would) after that many checkpoints were written in this call.  The
        checkpoint folder's lock is released when this returns.
        """
        c = self.config
        n = len(self.Xtr)
        per_epoch = self.per_epoch
        written = 0
        bar = None
        if self.progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=per_epoch * c.epochs, initial=self.epoch * per_epoch + self.position,
                       unit="sample", desc=f"train [{c.backend}]", dynamic_ncols=True,
                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                                  "[{elapsed}<{remaining}{postfix}]")
        try:
            while self.epoch < c.epochs:
                if self.position == 0 and c.circuit_variant.halves_before(self.epoch):
                    self.backend.halve_step()
                start_state = self._order_rng.bit_generator.state
                order = self._order_rng.permutation(n)[:per_epoch]
                keep = c.circuit_variant.replay_keep
                masks = (replay_masks(c.seed, self.epoch, per_epoch, self.Xtr.shape[1], keep)
                         if keep < 1 else None)
                halves = [per_epoch // 2, per_epoch]
                for stop in halves:
                    if self.position >= stop:
                        continue
                    self._train(order[self.position:stop], bar,
                                None if masks is None else masks[self.position:stop])
                    self.position = stop
                    if stop < per_epoch:
                        self._checkpoint(CHECKPOINT, start_state)
                        written += 1
                        if stop_after_checkpoints is not None and written >= stop_after_checkpoints:
                            return self.history
                record = {"epoch": self.epoch + 1, "samples": self.samples,
                          "samples_per_s": self.training_rate(),
                          "compile_s": self.backend.compile_time, "backend": c.backend,
                          "dataset": c.dataset, "seed": int(c.seed),
                          "variant": c.circuit_variant.name,
                          "step_shift": int(self.backend.step_shift)}
                record.update(self.evaluate())
                self.history.append(record)
                self.epoch += 1
                self.position = 0
                self._checkpoint(CHECKPOINT, self._order_rng.bit_generator.state)
                written += 1
                if on_eval is not None:
                    on_eval(record)
                if stop_after_checkpoints is not None and written >= stop_after_checkpoints:
                    return self.history
            self._checkpoint(FINAL, self._order_rng.bit_generator.state)
        finally:
            if bar is not None:
                bar.close()
            self.close()
        return self.history


def _jsonable(d: dict) -> dict:
    import json
    return json.loads(json.dumps(d))


def config_dict(config: TrainConfig) -> dict:
    d = asdict(config)
    d["variant"] = config.circuit_variant.to_dict()
    return d
