"""Training and evaluation of the spiking eRBP / peRBP network on MNIST, with checkpoints.

:class:`ERBPConfig` holds a run's settings and checks them (before any data is read or any Brian2
object is built); :class:`ERBPTrainer` runs it:

* every epoch presents ``max_samples`` class-balanced training samples (default 50 000: 5 000 of
  each digit drawn without replacement) in an order that depends only on the seed, for
  ``sample_duration`` (250 ms) each;
* after every epoch the network is tested on the first ``eval_test`` test images (label neurons
  silent, learning off; noise or blank-out on) and the epoch's record is produced;
* with an output folder, a checkpoint is written every ``checkpoint_every`` samples and at the end
  of every epoch, and a run can be resumed from it (``resume``).

The readout of a sample is the prediction neuron with the most spikes; a sample counts as correct
only if the true class's neuron has strictly more spikes than every other (ties and silence are
errors).  The *online* training error (``train_error_online``) reads the samples while they are
learned: the weights already move towards the right answer during the sample, so it is far more
optimistic than the test error and says little about generalisation.  The reported error of the paper is the mean of the last 5 test evaluations: every record
carries ``test_error_last5`` (the mean over the last up to 5 epochs).

Resuming continues the same weights, epoch, position and sample order; Brian2's random numbers
(escape noise, shot noise, blank-out) are re-seeded from the seed and the number of samples done,
so a resumed run is statistically, not bit-for-bit, the same as an uninterrupted one.
"""

from __future__ import annotations

import datetime
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from pulsegated.atomic import atomic_open
from pulsegated.erbp.params import ALGORITHMS, ERBPParams
from pulsegated.errors import UsageError

__all__ = ["ERBPConfig", "ERBPTrainer", "DATASETS", "readout_errors", "balanced_order",
           "seed_streams", "load_data", "reference_rows"]

DATASETS = ("mnist", "builtin")
N_CLASSES = 10
#: samples per epoch of the authors' simulations
EPOCH_SAMPLES = 50000


@dataclass
class ERBPConfig:
    """Settings of one eRBP / peRBP training run (what ``pulsegated erbp`` takes).

    Attributes
    ----------
    algorithm : {"erbp", "perbp"}
    hidden : tuple of int
        Hidden layer sizes (``(100,)``: the 784-100-10 network).
    dataset : {"mnist", "builtin"}
        ``builtin``: the package's binarised 20x20 digit subset (tests, quick checks).
    epochs : int
    max_samples : int or None
        Training samples per epoch (class-balanced); None: 50 000 (at most the training set).
    seed : int
        Seeds the initial weights, ``G``, the sample orders and Brian2's random numbers.
    dt : float
        Simulation step in seconds (0.1 ms in the authors' simulations; at most 1 ms).
    bits : int or None
        8: weights stochastically rounded to 256 levels after every update.
    codegen : {"cython", "numpy"}
        Code generation of the runtime device.
    device : {"runtime", "cpp_standalone"}
        ``cpp_standalone``: the network is compiled once into a C++ program (in
        ``<out>/standalone``, or a temporary folder without ``out``) that runs every chunk,
        several times faster than the runtime device.
    chunk : int
        Samples per Brian2 run (per run of the standalone program).
    eval_test : int or None
        Test on the first ``eval_test`` test images after every epoch (None: all 10 000).
    out : str or None
        Run folder (checkpoints, ``run.json``, ``history.json``).
    resume, overwrite : bool
        Continue the run in ``out``; or replace it.
    data_dir : str or None
        Folder datasets are read from (None: the package's search path, ``$PULSEGATED_DATA``).
    checkpoint_every : int
        Samples between checkpoints within an epoch.
    param_overrides : dict
        Other :class:`~pulsegated.erbp.params.ERBPParams` fields (e.g. ``{"eta": 1e-3}``).
    eta_halve_at : tuple of int
        Epochs (from 2) at whose start the learning rate halves: in epoch ``e`` it is
        ``eta / 2**k``, ``k`` the number of entries ``<= e``.  Empty: a constant rate.
    """

    algorithm: str = "erbp"
    hidden: tuple = (100,)
    dataset: str = "mnist"
    epochs: int = 1
    max_samples: int | None = None
    seed: int = 0
    dt: float = 1e-4
    bits: int | None = None
    codegen: str = "cython"
    device: str = "runtime"
    chunk: int = 100
    eval_test: int | None = None
    out: str | None = None
    resume: bool = False
    overwrite: bool = False
    data_dir: str | None = None
    checkpoint_every: int = 5000
    param_overrides: dict = field(default_factory=dict)
    eta_halve_at: tuple = ()

    def validate(self, names: dict | None = None) -> "ERBPConfig":
        """Check every setting; raise :class:`UsageError` naming the flag (``names``) or field."""
        def n(key):
            return (names or {}).get(key, key)

        if self.algorithm not in ALGORITHMS:
            raise UsageError(f"{n('algorithm')} must be one of {', '.join(ALGORITHMS)}, got "
                             f"{self.algorithm!r}")
        if self.dataset not in DATASETS:
            raise UsageError(f"{n('dataset')} must be one of {', '.join(DATASETS)}, got "
                             f"{self.dataset!r}")
        hidden = tuple(self.hidden)
        if not all(_is_int(h) and h >= 1 for h in hidden):
            raise UsageError(f"{n('hidden')} sizes must be positive integers, got {list(hidden)}")
        for key in ("epochs", "chunk", "checkpoint_every"):
            v = getattr(self, key)
            if not _is_int(v) or v < 1:
                raise UsageError(f"{n(key)} must be a positive integer, got {v!r}")
        for key in ("max_samples", "eval_test"):
            v = getattr(self, key)
            if v is not None and (not _is_int(v) or v < 1):
                raise UsageError(f"{n(key)} must be a positive integer, got {v!r}")
        halve = tuple(self.eta_halve_at)
        if (not all(_is_int(e) and e >= 2 for e in halve) or len(set(halve)) != len(halve)
                or list(halve) != sorted(halve)):
            raise UsageError(f"{n('eta_halve_at')} takes distinct epochs from 2 on, in "
                             f"increasing order, got {list(halve)}")
        if not _is_int(self.seed) or self.seed < 0:
            raise UsageError(f"{n('seed')} must be a non-negative integer, got {self.seed!r}")
        if self.codegen not in ("cython", "numpy"):
            raise UsageError(f"{n('codegen')} must be cython or numpy, got {self.codegen!r}")
        if self.device not in ("runtime", "cpp_standalone"):
            raise UsageError(f"{n('device')} must be runtime or cpp_standalone, got "
                             f"{self.device!r}")
        if self.resume and not self.out:
            raise UsageError(f"{n('resume')} needs {n('out')}")
        if self.overwrite and not self.out:
            raise UsageError(f"{n('overwrite')} needs {n('out')}")
        if self.resume and self.overwrite:
            raise UsageError(f"{n('resume')} and {n('overwrite')} exclude each other")
        if self.data_dir is not None and not Path(self.data_dir).expanduser().is_dir():
            raise UsageError(f"{n('data_dir')} {self.data_dir} does not exist or is not a folder")
        try:
            self.params()
        except UsageError as e:
            text = str(e)
            for key in ("dt", "bits", "eta"):
                if text.startswith(key + " "):
                    text = n(key) + text[len(key):]
            raise UsageError(text) from None
        return self

    def params(self) -> ERBPParams:
        """The network parameters of the run."""
        return ERBPParams(algorithm=self.algorithm, dt=self.dt, bits=self.bits,
                          **self.param_overrides)

    def sizes(self, n_in: int = 784) -> list[int]:
        """Layer sizes ``[n_in, *hidden, 10]``."""
        return [int(n_in), *[int(h) for h in self.hidden], N_CLASSES]

    def eta_scale(self, epoch: int) -> float:
        """The learning rate of (1-based) ``epoch`` relative to ``eta``."""
        return 0.5 ** sum(1 for e in self.eta_halve_at if e <= epoch)

    def identity(self) -> dict:
        """What a resumed run must match."""
        ident = {"algorithm": self.algorithm, "hidden": [int(h) for h in self.hidden],
                 "dataset": self.dataset, "seed": int(self.seed),
                 "max_samples": self.max_samples, "params": self.params().to_dict()}
        if self.eta_halve_at:   # (absent for a constant rate: runs from before the schedule)
            ident["eta_halve_at"] = [int(e) for e in self.eta_halve_at]
        return ident


def _is_int(v) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, np.integer))


def seed_streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """``(init_rng, order_rng)``: initial weights and ``G``; per-epoch sample orders."""
    a, b = np.random.SeedSequence(int(seed)).spawn(2)
    return np.random.default_rng(a), np.random.default_rng(b)


def balanced_order(rng: np.random.Generator, labels, n: int) -> np.ndarray:
    """``n`` sample indices, ``n // 10`` per class (the first ``n % 10`` classes one more),
    drawn without replacement within each class and shuffled.  A class with fewer samples
    contributes all it has."""
    labels = np.asarray(labels)
    per, rem = divmod(int(n), N_CLASSES)
    parts = []
    for c in range(N_CLASSES):
        pool = np.flatnonzero(labels == c)
        k = min(per + (1 if c < rem else 0), len(pool))
        parts.append(rng.choice(pool, size=k, replace=False))
    return rng.permutation(np.concatenate(parts))


def readout_errors(counts, labels) -> np.ndarray:
    """Per sample: True where the readout is wrong (the true class's prediction neuron does not
    have strictly the most spikes)."""
    counts = np.asarray(counts)
    labels = np.asarray(labels)
    true = counts[np.arange(len(labels)), labels]
    others = counts.copy()
    others[np.arange(len(labels)), labels] = -1
    return ~(true > others.max(axis=1))


def load_data(config: ERBPConfig) -> tuple:
    """``(X_train, y_train, X_test, y_test)``: ``X`` one row of intensities per image, uint8
    0..255 for MNIST (784 pixels), float 0/1 for the built-in subset (20x20 = 400 pixels); labels
    int64."""
    if config.dataset == "builtin":
        from pulsegated.data import load_builtin
        Xtr, ytr = load_builtin("train")
        Xte, yte = load_builtin("test")
        return (np.asarray(Xtr, np.float64), np.asarray(ytr, np.int64),
                np.asarray(Xte, np.float64), np.asarray(yte, np.int64))
    from pulsegated.data.datasets import load_mnist
    Xtr, ytr = load_mnist("train", data_dir=config.data_dir)
    Xte, yte = load_mnist("test", data_dir=config.data_dir)
    return (Xtr.reshape(len(Xtr), -1), ytr.astype(np.int64),
            Xte.reshape(len(Xte), -1), yte.astype(np.int64))


def _stderr(msg: str) -> None:
    print(f"pulsegated erbp: {msg}", file=sys.stderr, flush=True)


_POPS = ("data", "label", "hidden", "prediction", "error+", "error-")


class ERBPTrainer:
    """Runs an :class:`ERBPConfig`: trains, tests after every epoch, checkpoints.

    Parameters
    ----------
    config : ERBPConfig
    log : callable, optional
        One-line progress notices (default: stderr).
    data : tuple, optional
        ``(X_train, y_train, X_test, y_test)`` instead of the configured dataset.
    names : dict, optional
        How settings are called in messages (the command line passes its flags).

    The output folder (if any) is checked, locked and prepared before data is read; the network
    is built once here (Cython compilation happens at its first run and is cached by Brian2).
    """

    def __init__(self, config: ERBPConfig, log: Callable[[str], None] | None = None,
                 data: tuple | None = None, names: dict | None = None):
        from pulsegated.training.rundir import open_run_dir
        self.config = config.validate(names)
        self.log = log or _stderr
        self.out = Path(config.out) if config.out else None
        self._run_dir = None
        if self.out is not None:
            self._run_dir = open_run_dir(self.out, resume=config.resume,
                                         overwrite=config.overwrite,
                                         flag=(names or {}).get("out", "out"))
        try:
            self._setup(data)
        except BaseException:
            self.close()
            raise

    def _setup(self, data) -> None:
        from pulsegated.erbp.checkpoint import load_latest
        from pulsegated.erbp.network import ERBPNetwork
        from pulsegated.erbp.weights import feedback_matrix, init_forward

        c = self.config
        ck = None
        if c.resume:
            ck, note = load_latest(self.out)
            if note:
                self.log(note)
            if ck.run != json.loads(json.dumps(c.identity())):
                raise UsageError(f"the checkpoint in {self.out} was written by a different run: "
                                 f"{ck.run} vs {c.identity()}")
        self.Xtr, self.ytr, self.Xte, self.yte = data if data is not None else load_data(c)
        self.params = c.params()
        self.sizes = c.sizes(self.Xtr.shape[1])
        init_rng, self._order_rng = seed_streams(c.seed)
        W0 = init_forward(self.sizes, init_rng, self.params.weight_scale)
        G0 = feedback_matrix(max(c.hidden) if c.hidden else 1, N_CLASSES, init_rng)
        self.per_epoch = min(c.max_samples or EPOCH_SAMPLES, len(self.Xtr))
        self.history, self.epoch, self.position, self.samples = [], 0, 0, 0
        self._epoch_stats = _empty_stats()
        if ck is not None:
            W0, G0 = ck.weights, ck.G
            self.history, self.epoch, self.position, self.samples = (ck.history, ck.epoch,
                                                                     ck.position, ck.samples)
            self._order_rng.bit_generator.state = ck.order_state
            self._epoch_stats = ck.epoch_stats or _empty_stats()
        if self.params.bits is not None and ck is None:
            from pulsegated.erbp.weights import stochastic_round
            W0 = [stochastic_round(w, self.params.levels, self.params.weight_max, init_rng)
                  for w in W0]
        self.G = G0
        t0 = time.perf_counter()
        self.net = ERBPNetwork(W0, G0, self.params, codegen=c.codegen, chunk=c.chunk,
                               seed=(int(c.seed) * 1_000_003 + self.samples) % 2**32,
                               device=c.device,
                               directory=(Path(c.out) / "standalone"
                                          if c.out and c.device == "cpp_standalone" else None))
        self.build_seconds = time.perf_counter() - t0
        self._write_run_info(resumed=ck is not None)

    # ------------------------------------------------------------------------------ files
    def _write_run_info(self, resumed: bool) -> None:
        if self.out is None:
            return
        from pulsegated import __version__
        path = self.out / "run.json"
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        entry = {"time": now, "pulsegated": __version__, "samples": self.samples}
        info = None
        if resumed and path.is_file():
            try:
                info = json.loads(path.read_text())
            except ValueError:
                info = None
        if info is None:
            cfg = asdict(self.config)
            cfg["hidden"] = list(cfg["hidden"])
            info = {"config": cfg, "identity": self.config.identity(), "started": entry,
                    "resumed": []}
        if resumed:
            info.setdefault("resumed", []).append(entry)
        with atomic_open(path) as f:
            f.write((json.dumps(info, indent=1, sort_keys=True) + "\n").encode())

    def _checkpoint(self, name: str, order_state: dict) -> None:
        if self.out is None:
            return
        from pulsegated.erbp.checkpoint import CHECKPOINT, PREVIOUS, ERBPCheckpoint
        ck = ERBPCheckpoint(weights=self.net.weights(), G=self.G, epoch=self.epoch,
                            position=self.position, samples=self.samples,
                            order_state=order_state, run=self.config.identity(),
                            history=self.history, epoch_stats=self._epoch_stats)
        ck.save(self.out / name, keep_previous=self.out / PREVIOUS if name == CHECKPOINT
                else None)
        with atomic_open(self.out / "history.json") as f:
            f.write((json.dumps(self.history, indent=1) + "\n").encode())

    def close(self) -> None:
        """Release the output folder's lock."""
        if self._run_dir is not None:
            self._run_dir.release()

    # ------------------------------------------------------------------------------ running
    def evaluate(self, n: int | None = None) -> dict:
        """Test error and SynOps per sample on the first ``n`` test images (learning off)."""
        from pulsegated.erbp.synops import inference_synops
        n = len(self.Xte) if n is None else min(n, len(self.Xte))
        r = self.net.run_samples(self.Xte[:n], train=False)
        wrong = readout_errors(r.counts, self.yte[:n])
        synops = inference_synops(r.spikes, r.hidden_spikes, self.sizes)
        return {"test_error": float(wrong.mean()), "test_samples": int(n),
                "synops_per_test_sample": synops / n,
                "test_seconds": r.seconds, "ms_per_test_sample": 1000 * r.seconds / n,
                "silent_test_samples": float((r.counts.max(axis=1) == 0).mean())}

    def run(self, on_epoch: Callable[[dict], None] | None = None,
            stop_after_samples: int | None = None) -> list:
        """Train the remaining epochs; return the history of per-epoch records.

        ``stop_after_samples`` stops (as an interruption would, after a checkpoint) once this
        process has trained that many samples.
        """
        from pulsegated.erbp.checkpoint import CHECKPOINT, FINAL
        from pulsegated.erbp.synops import gpu_macs, training_synops

        c = self.config
        done_here = 0
        try:
            while self.epoch < c.epochs:
                start_state = self._order_rng.bit_generator.state
                order = balanced_order(self._order_rng, self.ytr, self.per_epoch)
                st = self._epoch_stats
                while self.position < len(order):
                    stop = min(self.position + c.checkpoint_every, len(order))
                    idx = order[self.position:stop]
                    r = self.net.run_samples(self.Xtr[idx], self.ytr[idx], train=True,
                                             eta_scale=c.eta_scale(self.epoch + 1))
                    st["seconds"] += r.seconds
                    st["samples"] += len(idx)
                    st["wrong"] += int(readout_errors(r.counts, self.ytr[idx]).sum())
                    st["synops"] += training_synops(r.spikes, r.hidden_spikes, self.sizes)
                    for k in _POPS:
                        st["spikes"][k] += r.spikes[k]
                    self.samples += len(idx)
                    self.position = stop
                    done_here += len(idx)
                    self.log(f"epoch {self.epoch + 1}: {self.position}/{len(order)} samples, "
                             f"{1000 * st['seconds'] / st['samples']:.1f} ms/sample, online "
                             f"training error {100 * st['wrong'] / st['samples']:.1f}%")
                    if self.position < len(order):
                        self._checkpoint(CHECKPOINT, start_state)
                        if stop_after_samples is not None and done_here >= stop_after_samples:
                            return self.history
                rec = self._epoch_record(st)
                rec.update(self.evaluate(c.eval_test))
                rec["gpu_macs_per_sample"] = gpu_macs(self.sizes)
                last = [h["test_error"] for h in self.history[-4:]] + [rec["test_error"]]
                rec["test_error_last5"] = float(np.mean(last))
                self.history.append(rec)
                self.epoch += 1
                self.position = 0
                self._epoch_stats = _empty_stats()
                self._checkpoint(CHECKPOINT, self._order_rng.bit_generator.state)
                if on_epoch is not None:
                    on_epoch(rec)
                if stop_after_samples is not None and done_here >= stop_after_samples:
                    return self.history
            self._checkpoint(FINAL, self._order_rng.bit_generator.state)
        finally:
            self.close()
        return self.history

    def _epoch_record(self, st: dict) -> dict:
        c, p = self.config, self.params
        n = max(st["samples"], 1)
        ms = 1000 * st["seconds"] / n
        return {"epoch": self.epoch + 1, "samples": self.samples, "algorithm": c.algorithm,
                "network": "-".join(map(str, self.sizes)), "dt_ms": p.dt * 1e3,
                "bits": p.bits, "seed": int(c.seed), "dataset": c.dataset,
                "eta": p.eta * c.eta_scale(self.epoch + 1),
                "train_error_online": st["wrong"] / n,
                "synops_per_train_sample": st["synops"] / n,
                "spikes_per_train_sample": {k: v / n for k, v in st["spikes"].items()},
                "train_seconds": st["seconds"], "ms_per_train_sample": ms,
                "minutes_per_50k_epoch": ms * EPOCH_SAMPLES / 60000,
                "build_seconds": self.build_seconds,
                "first_run_seconds": self.net.compile_seconds}


def _empty_stats() -> dict:
    return {"seconds": 0.0, "samples": 0, "wrong": 0, "synops": 0,
            "spikes": {k: 0 for k in _POPS}}


def reference_rows(config: ERBPConfig, data: tuple | None = None, lr: float = 0.1,
                   batch_size: int = 32, log=None) -> list[dict]:
    """The numpy RBP and BP rows for ``config``: same architecture, initial weights, ``G``,
    per-epoch sample orders and number of epochs as the spiking run (rate-based, see
    :mod:`pulsegated.erbp.reference`)."""
    from pulsegated.erbp.reference import train_reference
    from pulsegated.erbp.weights import feedback_matrix, init_forward
    config.validate()
    Xtr, ytr, Xte, yte = data if data is not None else load_data(config)
    scale = 255.0 if Xtr.dtype == np.uint8 else 1.0
    Xtr = np.asarray(Xtr, np.float64) / scale
    Xte = np.asarray(Xte, np.float64) / scale
    init_rng, order_rng = seed_streams(config.seed)
    sizes = config.sizes(Xtr.shape[1])
    W0 = init_forward(sizes, init_rng, config.params().weight_scale)
    G0 = feedback_matrix(max(config.hidden) if config.hidden else 1, N_CLASSES, init_rng)
    per_epoch = min(config.max_samples or EPOCH_SAMPLES, len(Xtr))
    orders = [balanced_order(order_rng, ytr, per_epoch) for _ in range(config.epochs)]
    rows = []
    for alg in ("rbp", "bp"):
        rows += train_reference(Xtr, ytr, Xte[:config.eval_test], yte[:config.eval_test], W0, G0,
                                alg, orders, lr=lr, batch_size=batch_size, log=log)
    return rows
