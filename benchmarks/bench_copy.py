"""Wall time and memory of the spiking synaptic copy (Brian2 runtime device, numpy code
generation) against the mean-field copy, measured in one run.

    python benchmarks/bench_copy.py [--cycles 5] [--neurons 200]
"""

import argparse
import resource
import time
from dataclasses import replace

import numpy as np
from brian2 import ms

from pulsegated.sgsc.copy import CopyParams, copy_matrix, run_copy
from machine import describe  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=5)
    ap.add_argument("--neurons", type=int, default=200)
    args = ap.parse_args()
    print(describe())
    q = CopyParams()
    q = replace(q, chain=replace(q.chain, n=args.neurons))
    K = np.random.default_rng(0).uniform(0.1, 1.0, (3, 3))
    t0 = time.perf_counter()
    mf = copy_matrix(K, eta=q.eta, cycles=args.cycles, rng=1)
    t_mf = time.perf_counter() - t0
    t0 = time.perf_counter()
    spk = run_copy(K, cycles=args.cycles, q=q, seed=1, codegen="numpy", progress=False)
    t_spk = time.perf_counter() - t0
    presentations = args.cycles * K.shape[1]
    network_ms = float(presentations * 8 * q.chain.T / ms)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"3x3 copy, {q.chain.n} neurons per unit, {args.cycles} cycles = {presentations} "
          f"presentations ({network_ms / 1000:.1f} s of network time)")
    print(f"spiking, runtime numpy (build + run): {t_spk:8.2f} s   "
          f"{1000 * t_spk / presentations:7.1f} ms per presentation   "
          f"error {spk['errors'][0]:.3f} -> {spk['errors'][-1]:.3f}")
    print(f"mean field:                           {t_mf * 1000:8.2f} ms  "
          f"error {mf['errors'][0]:.3f} -> {mf['errors'][-1]:.3f}")
    print(f"spiking / mean field: {t_spk / t_mf:.0f}x; spiking / network time: "
          f"{t_spk / (network_ms / 1000):.2f}x real time; peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
