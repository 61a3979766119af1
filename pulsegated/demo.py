"""``pulsegated demo``: the main job, on the built-in data, in a minute or two.

Three parts, each on the same seeded sample order and the same initial weights:

1. the exact integer reference trainer (the circuit's arithmetic without spikes) for some epochs;
2. the 12-phase spiking circuit on the Loihi integer emulator for a few hundred samples, checked
   against the reference bit for bit, with its warm throughput;
3. the same circuit as Brian2 NeuronGroups and Synapses for a few dozen samples, checked the same
   way, and the raster of one learning cycle.

Everything is written into one output folder (``--out``; by default a new ``pulsegated-demo``
folder in the current directory, numbered when one exists already), never into the package or a
previous run: the figures, and ``summary.json`` with every number printed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

HELP = "train the nBP circuit on the built-in MNIST subset on all three backends, write figures"

#: Published speed of the circuit on Loihi (Renner et al., Nat. Commun. 2024), ms per sample.
CHIP_TRAIN_MS = 1.48
#: Samples trained on the emulator before its throughput is timed (caches, first-call costs).
WARMUP_SAMPLES = 20
DEFAULT_OUT = "pulsegated-demo"


def add_arguments(p) -> None:
    p.add_argument("--out", default=None, metavar="DIR",
                   help=f"output folder for figures and summary.json (default: a new folder "
                        f"./{DEFAULT_OUT}, or ./{DEFAULT_OUT}-2, -3, ... if that exists)")
    p.add_argument("--overwrite", action="store_true",
                   help="allow --out to name a folder that already holds files")
    p.add_argument("--epochs", type=int, default=15,
                   help="epochs of the exact reference trainer (5000 samples each)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the initial weights and of the sample order")
    p.add_argument("--quick", action="store_true",
                   help="a few seconds: 2 reference epochs, 200 emulator and 20 Brian2 samples")


def output_folder(out: str | None, overwrite: bool) -> Path:
    """The folder this run writes into, created empty-or-allowed; nothing else is touched.

    Raises
    ------
    UsageError
        ``--out`` names a file, or a folder holding files without ``--overwrite``, or cannot be
        created.
    """
    from pulsegated.errors import UsageError

    if out is None:
        k = 1
        path = Path(DEFAULT_OUT)
        while path.exists():
            k += 1
            path = Path(f"{DEFAULT_OUT}-{k}")
    else:
        path = Path(out).expanduser()
        if path.exists() and not path.is_dir():
            raise UsageError(f"--out {out}: exists and is not a folder")
        if path.is_dir() and any(path.iterdir()) and not overwrite:
            raise UsageError(f"--out {out}: folder already holds files (from an earlier run?); "
                             f"choose another folder or add --overwrite")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise UsageError(f"--out {path}: cannot write there ({e.strerror or e})") from None
    return path


def run(args) -> int:
    from pulsegated.errors import UsageError
    from pulsegated.training.trainer import TrainConfig, Trainer

    if args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    out = output_folder(args.out, args.overwrite)
    epochs = 2 if args.quick else args.epochs
    summary = {"seed": args.seed, "out": str(out)}
    config = TrainConfig(dataset="builtin", backend="reference", epochs=epochs, seed=args.seed,
                         eval_train=5000)
    print(f"1/3  exact integer reference trainer, built-in data (5000 train / 1000 test digits, "
          f"20x20 binary), {epochs} epochs, seed {args.seed}")
    t0 = time.perf_counter()
    trainer = Trainer(config, progress=True)
    history = trainer.run()
    wall = time.perf_counter() - t0
    last = history[-1]["test"]
    print(f"     test accuracy after {epochs} epochs: potential {100 * last['acc_potential']:.1f}%, "
          f"spikes {100 * last['acc_spikes']:.1f}%, exact {100 * last['exact']:.1f}%")
    print(f"     {wall:.1f} s in all (data, evaluation after every epoch); training alone "
          f"{history[-1]['samples_per_s']:.0f} samples/s")
    summary["reference"] = {"epochs": epochs, "test": last, "wall_s": wall,
                            "train_samples_per_s": history[-1]["samples_per_s"],
                            "history": history}
    path = out / "demo_accuracy.png"
    _accuracy_figure(history, path)
    print(f"     wrote {path}")
    summary["loihi"] = _loihi_part(trainer, 200 if args.quick else 1000)
    summary["brian2"] = _brian2_part(trainer, 20 if args.quick else 60, out)
    with open(out / "summary.json", "w") as f:
        json.dump(summary, f, indent=1, default=float)
    print(f"All outputs are in {out}/ (summary.json holds every number above).")
    return 0


def _order(trainer, n):
    from pulsegated.training.trainer import sample_orders
    return sample_orders(trainer.config.seed, len(trainer.Xtr), 1)[0][:n]


def _reference_weights(trainer, X, y):
    from pulsegated.nbp.reference import train_epoch
    R1, R2 = trainer.W1_init.copy(), trainer.W2_init.copy()
    train_epoch(R1, R2, X, y)
    return R1, R2


def _loihi_part(trainer, n) -> dict:
    import numpy as np

    from pulsegated.nbp.spiking import LoihiBackend
    from pulsegated.nbp.network import copies_consistent

    print(f"2/3  the 12-phase spiking circuit on the Loihi integer emulator (3282 compartments, "
          f"500 000 plastic synapses), {n} samples from the initial weights")
    idx = _order(trainer, n)
    X, y = trainer.Xtr[idx], trainer.ytr[idx]
    t0 = time.perf_counter()
    chip = LoihiBackend(trainer.W1_init, trainer.W2_init)
    build = time.perf_counter() - t0
    k = min(WARMUP_SAMPLES, n - 1)
    t0 = time.perf_counter()
    chip.train(X[:k], y[:k])
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    chip.train(X[k:], y[k:])
    warm_ms = 1000 * (time.perf_counter() - t0) / (n - k)
    same = all(np.array_equal(a, b) for a, b in zip(chip.weights(),
                                                    _reference_weights(trainer, X, y)))
    consistent = all(copies_consistent(chip.plastic_weights()).values())
    print(f"     build {build:.2f} s (discretize, compile or load the kernel); first {k} samples "
          f"{first:.2f} s (warm-up); then "
          f"{warm_ms:.2f} ms per sample over {n - k} samples (12 steps each, one core; the chip: "
          f"{CHIP_TRAIN_MS} ms, published)")
    print(f"     weights identical to the exact reference: {same}; eight copies consistent: "
          f"{consistent}")
    return {"samples": n, "build_s": build, "warmup_samples": k, "warmup_s": first,
            "warm_ms_per_sample": warm_ms, "chip_ms_per_sample": CHIP_TRAIN_MS,
            "identical_to_reference": same, "copies_consistent": consistent}


def _brian2_part(trainer, n, out) -> dict:
    import numpy as np

    from pulsegated.nbp.spiking import Brian2Backend
    from pulsegated.nbp.network import TRAINING_ACTIVITY

    print(f"3/3  the same circuit as Brian2 NeuronGroups and Synapses (runtime device, numpy code "
          f"generation), {n} samples")
    idx = _order(trainer, n)
    X, y = trainer.Xtr[idx], trainer.ytr[idx]
    t0 = time.perf_counter()
    net = Brian2Backend(trainer.W1_init, trainer.W2_init, codegen="numpy", chunk=n,
                        record=list(TRAINING_ACTIVITY))
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.train(X, y)
    run_s = time.perf_counter() - t0
    same = all(np.array_equal(a, b) for a, b in zip(net.weights(),
                                                    _reference_weights(trainer, X, y)))
    print(f"     build {build:.1f} s; {n} samples in {run_s:.1f} s ({n / run_s:.0f} samples/s); "
          f"weights identical to the exact reference: {same}")
    spikes = {p: net.spikes(p) for p in net.circuit.populations}
    # the first sample with an output error shows the whole learning cycle
    sch = net.circuit.schedule
    d_steps = np.concatenate([spikes["d_plus"][0], spikes["d_minus"][0]])
    sample = int((d_steps.min() - sch.t0) // sch.n_phases) if d_steps.size else 0
    path = out / "nbp_learning_cycle.png"
    _raster_figure(net.circuit, spikes, sample, path)
    print(f"     wrote {path} (one learning cycle, sample {sample})")
    return {"samples": n, "build_s": build, "run_s": run_s, "samples_per_s": n / run_s,
            "identical_to_reference": same, "raster_sample": sample}


def _raster_figure(circuit, spikes, sample, path) -> None:
    from pulsegated.plotting.nbp import save_learning_cycle
    save_learning_cycle(circuit, spikes, sample, path)


def _accuracy_figure(history, path) -> None:
    from pulsegated.plotting.nbp import save_accuracy_curve
    save_accuracy_curve(history, path,
                        title="nBP rule on the built-in MNIST subset (400-400-10)")
