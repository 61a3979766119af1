"""``pulsegated demo``: the main job, on the built-in data, in about a minute."""

from __future__ import annotations

import time
from pathlib import Path

HELP = "train the nBP network on the built-in MNIST subset and write figures (about a minute)"


def add_arguments(p) -> None:
    p.add_argument("--epochs", type=int, default=15, help="reference-trainer epochs (default 15)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--figures-dir", default="figures", help="where PNGs go (default ./figures)")
    p.add_argument("--quick", action="store_true", help="a few seconds: 2 epochs, fewer samples")


def run(args) -> int:
    from pulsegated.errors import UsageError
    from pulsegated.training.trainer import TrainConfig, Trainer

    if args.epochs < 1:
        raise UsageError(f"--epochs must be at least 1, got {args.epochs}")
    figures = Path(args.figures_dir)
    figures.mkdir(parents=True, exist_ok=True)
    epochs = 2 if args.quick else args.epochs
    config = TrainConfig(dataset="builtin", backend="reference", epochs=epochs, seed=args.seed,
                         eval_train=5000)
    print(f"1/3  exact integer reference trainer, built-in data (5000 train / 1000 test digits, "
          f"20x20 binary), {epochs} epochs, seed {args.seed}")
    t0 = time.perf_counter()
    trainer = Trainer(config, progress=True)
    history = trainer.run()
    last = history[-1]["test"]
    print(f"     test accuracy after {epochs} epochs: potential {100 * last['acc_potential']:.1f}%, "
          f"spikes {100 * last['acc_spikes']:.1f}%, exact {100 * last['exact']:.1f}%  "
          f"({time.perf_counter() - t0:.1f} s, {history[-1]['samples_per_s']:.0f} samples/s)")
    _plot_curve(history, figures / "demo_accuracy.png")
    print(f"     wrote {figures / 'demo_accuracy.png'}")
    n_chip = 200 if args.quick else 1000
    _loihi_part(trainer, n_chip)
    _brian2_part(trainer, 20 if args.quick else 60, figures)
    return 0


def _order(trainer, n):
    from pulsegated.training.trainer import sample_orders
    return sample_orders(trainer.config.seed, len(trainer.Xtr), 1)[0][:n]


def _loihi_part(trainer, n) -> None:
    import numpy as np

    from pulsegated.backends.loihi import LoihiBackend
    from pulsegated.nbp.network import copies_consistent
    from pulsegated.nbp.reference import train_epoch

    print(f"2/3  the 12-phase spiking circuit on the Loihi integer emulator (3282 compartments, "
          f"500 000 plastic synapses), {n} samples from the initial weights")
    idx = _order(trainer, n)
    X, y = trainer.Xtr[idx], trainer.ytr[idx]
    t0 = time.perf_counter()
    chip = LoihiBackend(trainer.W1_init, trainer.W2_init)
    chip.train(X, y)
    dt = time.perf_counter() - t0
    R1, R2 = trainer.W1_init.copy(), trainer.W2_init.copy()
    train_epoch(R1, R2, X, y)
    same = all(np.array_equal(a, b) for a, b in zip(chip.weights(), (R1, R2)))
    print(f"     {1000 * dt / n:.2f} ms per sample (the chip: 1.48 ms); weights identical to the "
          f"exact reference: {same}; eight copies consistent: "
          f"{all(copies_consistent(chip.plastic_weights()).values())}")


def _brian2_part(trainer, n, figures) -> None:
    import numpy as np

    from pulsegated.backends.brian2 import Brian2Backend
    from pulsegated.nbp.reference import train_epoch

    print(f"3/3  the same circuit as Brian2 NeuronGroups and Synapses (runtime device), {n} samples")
    idx = _order(trainer, n)
    X, y = trainer.Xtr[idx], trainer.ytr[idx]
    t0 = time.perf_counter()
    net = Brian2Backend(trainer.W1_init, trainer.W2_init, codegen="numpy", chunk=n,
                        record=list(_record_all()))
    net.train(X, y)
    dt = time.perf_counter() - t0
    R1, R2 = trainer.W1_init.copy(), trainer.W2_init.copy()
    train_epoch(R1, R2, X, y)
    same = all(np.array_equal(a, b) for a, b in zip(net.weights(), (R1, R2)))
    print(f"     {dt:.1f} s (build included); weights identical to the exact reference: {same}")
    spikes = {p: net.spikes(p) for p in net.circuit.populations}
    # the first sample with an output error shows the whole learning cycle
    sch = net.circuit.schedule
    d_steps = np.concatenate([spikes["d_plus"][0], spikes["d_minus"][0]])
    sample = int((d_steps.min() - sch.t0) // sch.n_phases) if d_steps.size else 0
    path = figures / "nbp_learning_cycle.png"
    _plot_raster(net.circuit, spikes, sample, path)
    print(f"     wrote {path} (one learning cycle, sample {sample})")


def _record_all():
    from pulsegated.nbp.network import TRAINING_ACTIVITY
    return TRAINING_ACTIVITY.keys()


def _plot_raster(circuit, spikes, sample, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pulsegated.plotting.raster import plot_raster

    ax = plot_raster(circuit, spikes, samples=(sample, sample + 1),
                     title="One learning cycle of the 12-phase circuit (Brian2); memory "
                           "populations shaded, gating windows grey")
    ax.figure.tight_layout()
    tmp = Path(str(path) + ".tmp.png")
    ax.figure.savefig(tmp, dpi=110)
    plt.close(ax.figure)
    tmp.replace(path)


def _plot_curve(history, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pulsegated.plotting.curves import plot_accuracy_curves

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    plot_accuracy_curves(history, ax=ax, title="nBP rule on the built-in MNIST subset (400-400-10)")
    fig.tight_layout()
    tmp = Path(str(path) + ".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)
