"""Figures of the nBP circuit on the built-in data, made the way ``pulsegated demo`` makes them.

Writes figures/demo_accuracy.png (exact reference trainer, built-in MNIST subset, 15 epochs) and
figures/nbp_learning_cycle.png (the 12-phase training circuit in Brian2, runtime device, numpy
code generation, the first sample with an output error among the first 60), and prints whether
the Brian2 weights equal the exact reference.

    python scripts/nbp_figures.py [--epochs 15] [--seed 0] [--samples 60] [--only curve|raster]
"""

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from pulsegated.plotting.nbp import save_accuracy_curve, save_learning_cycle  # noqa: E402
from pulsegated.training.trainer import TrainConfig, Trainer, sample_orders  # noqa: E402


def first_error_sample(circuit, spikes) -> int:
    """The first sample in which an error unit (d_plus or d_minus) fires (0 if none does)."""
    sch = circuit.schedule
    d_steps = np.concatenate([np.asarray(spikes["d_plus"][0]), np.asarray(spikes["d_minus"][0])])
    return int((d_steps.min() - sch.t0) // sch.n_phases) if d_steps.size else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--samples", type=int, default=60, help="samples run through Brian2")
    ap.add_argument("--figures-dir", default="figures")
    ap.add_argument("--only", choices=("all", "curve", "raster"), default="all")
    args = ap.parse_args()
    out = Path(args.figures_dir)
    config = TrainConfig(dataset="builtin", backend="reference", epochs=args.epochs,
                         seed=args.seed, eval_train=5000)
    t0 = time.perf_counter()
    trainer = Trainer(config, progress=False)
    if args.only in ("all", "curve"):
        history = trainer.run()
        print(f"reference trainer, {args.epochs} epochs: {time.perf_counter() - t0:.1f} s")
        path = save_accuracy_curve(history, out / "demo_accuracy.png",
                                   title="nBP rule on the built-in MNIST subset (400-400-10), "
                                         f"seed {args.seed}")
        print("wrote", path)
    if args.only in ("all", "raster"):
        from pulsegated.nbp.spiking import Brian2Backend
        from pulsegated.nbp.network import TRAINING_ACTIVITY
        from pulsegated.nbp.reference import train_epoch

        n = args.samples
        idx = sample_orders(args.seed, len(trainer.Xtr), 1)[0][:n]
        X, y = trainer.Xtr[idx], trainer.ytr[idx]
        t0 = time.perf_counter()
        net = Brian2Backend(trainer.W1_init, trainer.W2_init, codegen="numpy", chunk=n,
                            record=list(TRAINING_ACTIVITY))
        net.train(X, y)
        R1, R2 = trainer.W1_init.copy(), trainer.W2_init.copy()
        train_epoch(R1, R2, X, y)
        same = all(np.array_equal(a, b) for a, b in zip(net.weights(), (R1, R2)))
        print(f"Brian2, {n} samples: {time.perf_counter() - t0:.1f} s (build included); weights "
              f"identical to the exact reference: {same}")
        spikes = {p: net.spikes(p) for p in net.circuit.populations}
        sample = first_error_sample(net.circuit, spikes)
        path = save_learning_cycle(net.circuit, spikes, sample, out / "nbp_learning_cycle.png")
        print(f"wrote {path} (sample {sample})")


if __name__ == "__main__":
    main()
