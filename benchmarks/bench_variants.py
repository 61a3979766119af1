"""Cost of each nBP circuit variant on the Loihi integer emulator (one core).

For every row of the variants' ablation (``pulsegated.nbp.variants.ABLATION``: a variant and a
hidden layer size): milliseconds per training sample of the full 400-N-10 circuit on the
emulator, the exact reference trainer measured in the same run, their ratio, whether the
weights are identical after the samples (a variant that halves its step is halved once
half-way, as a run does when its epoch starts), and milliseconds per inference sample on the
emulator (a ramp readout lengthens a sample from 4 steps to 4 + readout_steps).  A row whose
weights drive a neuron past the chip's gate bias bound during the samples is reported as refused
by the Loihi backend, with its message.

    python benchmarks/bench_variants.py [--samples 3000] [--variants paper all]
"""

import argparse
import os
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from pulsegated.errors import UsageError  # noqa: E402
from pulsegated.nbp import rule  # noqa: E402
from pulsegated.nbp.reference import ReferenceBackend  # noqa: E402
from pulsegated.nbp.spiking import LoihiBackend  # noqa: E402
from pulsegated.nbp.variants import ABLATION, VARIANTS, replay_masks  # noqa: E402
from machine import describe  # noqa: E402


def timed_training(backend, X, y, halve: bool, replay=None) -> float:
    """Seconds of training (a rebuild for the halving included) on ``X`` (with the replay masks
    of a variant that needs them)."""
    half = len(X) // 2
    parts = ({}, {}) if replay is None else ({"replay": replay[:half]}, {"replay": replay[half:]})
    t0 = time.perf_counter()
    backend.train(X[:half], y[:half], **parts[0])
    if halve:
        backend.halve_step()
    backend.train(X[half:], y[half:], **parts[1])
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--variants", nargs="+", default=list(ABLATION), choices=list(ABLATION))
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    if args.samples < 2:
        ap.error(f"--samples must be at least 2, got {args.samples}")
    print(describe())
    from pulsegated.data import load_preprocessed

    X, y = load_preprocessed("mnist", "train", data_dir=args.data_dir)
    order = np.random.default_rng(0).permutation(len(X))[:args.samples]
    X, y = X[order], y[order]
    n = len(X)
    print(f"MNIST20 (any ink), {n} training samples, network 400-N-10, one core")
    print(f"{'variant':<17}{'hidden':>7}{'Loihi ms/sample':>17}{'reference ms/sample':>21}"
          f"{'ratio':>8}{'setup s':>9}  identical  Loihi inference ms/sample")
    for name in args.variants:
        vname, hidden = ABLATION[name]
        v = VARIANTS[vname]
        W1, W2 = rule.init_weights(400, hidden, 10, 0)
        R = replay_masks(0, 0, n, 400, v.replay_keep) if v.replay_keep < 1 else None
        t0 = time.perf_counter()
        loihi = LoihiBackend(W1, W2, variant=v)
        setup = time.perf_counter() - t0
        try:
            t_loihi = timed_training(loihi, X, y, bool(v.halve_at), R)
        except UsageError as e:  # the circuit leaves the chip's range: no cost to report
            print(f"{name:<17}{hidden:>7}  refused by the Loihi backend: {e}")
            continue
        ref = ReferenceBackend(W1, W2, variant=v)
        t_ref = timed_training(ref, X, y, bool(v.halve_at), R)
        same = all(np.array_equal(a, b) for a, b in zip(loihi.weights(), ref.weights()))
        t0 = time.perf_counter()
        loihi.infer(X)
        t_inf = time.perf_counter() - t0
        print(f"{name:<17}{hidden:>7}{1000 * t_loihi / n:>17.3f}{1000 * t_ref / n:>21.4f}"
              f"{t_loihi / t_ref:>8.0f}{setup:>9.2f}  {str(same):<9}{1000 * t_inf / n:>26.3f}")


if __name__ == "__main__":
    main()
