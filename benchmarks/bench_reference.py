"""Throughput and peak memory of the exact integer reference trainer (one core).

Prints samples/s and ms per sample of the compiled trainer on MNIST20 (or on random binary inputs
of MNIST20 density with --random), beside the plain numpy definition of the rule
(:func:`pulsegated.nbp.rule.train_sample`) measured in the same run, and the peak resident memory.

    python benchmarks/bench_reference.py [--samples 60000] [--random]
"""

import argparse
import os
import resource
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from pulsegated.nbp import rule  # noqa: E402
from pulsegated.nbp.reference import ReferenceBackend  # noqa: E402
from machine import describe  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=60000)
    ap.add_argument("--plain-samples", type=int, default=1000)
    ap.add_argument("--random", action="store_true", help="random inputs instead of MNIST")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    print(describe())

    if args.random:
        rng = np.random.default_rng(0)
        X = (rng.random((args.samples, 400)) < 0.35).astype(np.uint8)
        y = rng.integers(0, 10, args.samples)
        source = "random binary, density 0.35"
    else:
        from pulsegated.data import load_preprocessed
        X, y = load_preprocessed("mnist", "train", data_dir=args.data_dir)
        reps = -(-args.samples // len(X))
        X, y = np.concatenate([X] * reps)[:args.samples], np.concatenate([y] * reps)[:args.samples]
        source = "MNIST20 train, any-ink binarisation"
    W1, W2 = rule.init_weights(400, 400, 10, 0)

    t0 = time.perf_counter()
    b = ReferenceBackend(W1, W2)
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    b.train(X, y)
    fast_s = time.perf_counter() - t0

    P1, P2 = W1.copy(), W2.copy()
    T = np.eye(10, dtype=np.uint8)[y[:args.plain_samples]]
    t0 = time.perf_counter()
    for x, t in zip(X[:args.plain_samples], T):
        rule.train_sample(P1, P2, x, t)
    plain_s = time.perf_counter() - t0
    check = ReferenceBackend(W1, W2)
    check.train(X[:args.plain_samples], y[:args.plain_samples])
    same = all(np.array_equal(a, b) for a, b in zip(check.weights(), (P1, P2)))

    fast_rate = args.samples / fast_s
    plain_rate = args.plain_samples / plain_s
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"data: {source}; network 400-400-10; one core")
    print(f"{'trainer':<34}{'samples':>9}{'samples/s':>12}{'ms/sample':>11}")
    print(f"{'compiled reference (numba)':<34}{args.samples:>9}{fast_rate:>12.0f}"
          f"{1000 / fast_rate:>11.4f}")
    print(f"{'plain numpy definition (rule.py)':<34}{args.plain_samples:>9}{plain_rate:>12.0f}"
          f"{1000 / plain_rate:>11.4f}")
    print(f"speed-up over the plain definition: {fast_rate / plain_rate:.1f}x "
          f"(weights identical after {args.plain_samples} samples: {same})")
    print(f"time for a 60 000-sample epoch: {60000 / fast_rate:.2f} s; chip (published): "
          f"1.48 ms/sample = {60000 * 1.48e-3:.0f} s per epoch")
    print(f"compile/load time: {compile_s:.2f} s; peak resident memory: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
