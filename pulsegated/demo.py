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
    return 0


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
