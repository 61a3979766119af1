"""Speed and memory of the Loihi integer emulator on the full nBP network (one core).

Prints milliseconds per training sample (12 steps, 400-400-10, 3282 compartments, 500 000 plastic
synapses) and per inference sample (4 steps), beside the exact reference trainer measured in the same
run and the chip's published 1.48 ms and 0.169 ms, checks the weights are identical, and reports peak
memory.

    python benchmarks/bench_loihi.py [--samples 3000] [--random]
"""

import argparse
import os
import resource
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from pulsegated.nbp.spiking import LoihiBackend  # noqa: E402
from pulsegated.nbp import rule  # noqa: E402
from pulsegated.nbp.reference import ReferenceBackend  # noqa: E402
from machine import describe  # noqa: E402

CHIP_TRAIN_MS, CHIP_INFER_MS = 1.48, 0.169


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--random", action="store_true")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    print(describe())
    n = args.samples
    if args.random:
        rng = np.random.default_rng(0)
        X = (rng.random((n, 400)) < 0.36).astype(np.uint8)
        y = rng.integers(0, 10, n)
        Xt = (rng.random((n, 400)) < 0.36).astype(np.uint8)
        source = "random binary inputs (density 0.36)"
    else:
        from pulsegated.data import load_preprocessed
        X, y = load_preprocessed("mnist", "train", data_dir=args.data_dir)
        Xt, _ = load_preprocessed("mnist", "test", data_dir=args.data_dir)
        order = np.random.default_rng(0).permutation(len(X))[:n]
        X, y, Xt = X[order], y[order], Xt[:n]
        source = "MNIST20 (any ink)"
    W1, W2 = rule.init_weights(400, 400, 10, 0)

    t0 = time.perf_counter()
    loihi = LoihiBackend(W1, W2)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    loihi.train(X, y)
    t_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    loihi.infer(Xt)
    t_infer = time.perf_counter() - t0

    ref = ReferenceBackend(W1, W2)
    t0 = time.perf_counter()
    ref.train(X, y)
    r_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref.infer(Xt)
    r_infer = time.perf_counter() - t0
    same = all(np.array_equal(a, b) for a, b in zip(loihi.weights(), ref.weights()))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    ms = lambda s: 1000 * s / n  # noqa: E731
    print(f"{source}, {n} samples, network 400-400-10, one core")
    print(f"{'':<30}{'train ms/sample':>16}{'infer ms/sample':>16}{'train samples/s':>16}")
    print(f"{'Loihi emulator (this package)':<30}{ms(t_train):>16.3f}{ms(t_infer):>16.4f}"
          f"{n / t_train:>16.0f}")
    print(f"{'exact reference trainer':<30}{ms(r_train):>16.4f}{ms(r_infer):>16.4f}"
          f"{n / r_train:>16.0f}")
    print(f"{'Loihi chip (published)':<30}{CHIP_TRAIN_MS:>16.3f}{CHIP_INFER_MS:>16.4f}"
          f"{1000 / CHIP_TRAIN_MS:>16.0f}")
    print(f"emulator vs chip: training {CHIP_TRAIN_MS / ms(t_train):.2f}x, inference "
          f"{CHIP_INFER_MS / ms(t_infer):.2f}x the chip's speed; emulator / reference training "
          f"time: {t_train / r_train:.0f}x")
    print(f"weights identical to the reference after {n} samples: {same}")
    print(f"setup (discretize + compile/load): {setup:.2f} s; peak resident memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
