"""Training speed of the nBP circuit in Brian2 at full MNIST20 size (400-400-10).

Measures training samples per second for the cpp_standalone device (compiled once) and the runtime
device (Cython or numpy code generation), with build + compile time reported separately, beside the
exact reference trainer measured in the same run; checks the weights are identical to it.  Builds
are cold: the Cython modules go to a new, empty cache folder (Brian2's own cache is not used) and
the standalone project to a new folder.  Prints the Brian2 objects of the network.

    python benchmarks/bench_brian2.py [--samples 2000] [--runtime-samples 200] [--codegen cython]
"""

import argparse
import resource
import shutil
import tempfile
import time

import numpy as np

from pulsegated.nbp.spiking import Brian2Backend
from pulsegated.nbp import rule
from pulsegated.nbp.reference import ReferenceBackend
from machine import describe  # noqa: E402


def measure(label, make, X, y):
    t0 = time.perf_counter()
    b = make()
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    b.train(X, y)
    train = time.perf_counter() - t0
    return label, b, build, train


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=2000, help="standalone samples")
    ap.add_argument("--runtime-samples", type=int, default=200)
    ap.add_argument("--codegen", default="cython", choices=("cython", "numpy"))
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--make-jobs", type=int, default=2, help="parallel make jobs of the compile")
    ap.add_argument("--build-dir", default=None,
                    help="folder of the standalone project (default: a temporary folder)")
    args = ap.parse_args()
    print(describe())
    from brian2 import prefs
    cache = tempfile.mkdtemp(prefix="bench_brian2_cython_")
    prefs["codegen.runtime.cython.cache_dir"] = cache  # cold Cython build, this process only
    from pulsegated.data import load_preprocessed
    X, y = load_preprocessed("mnist", "train", data_dir=args.data_dir)
    order = np.random.default_rng(0).permutation(len(X))[:max(args.samples, args.runtime_samples)]
    X, y = X[order], y[order]
    W1, W2 = rule.init_weights(400, 400, 10, 0)
    rows = []
    ref = ReferenceBackend(W1, W2)
    t0 = time.perf_counter()
    ref.train(X[:args.samples], y[:args.samples])
    ref_t = time.perf_counter() - t0
    sa = measure("brian2 cpp_standalone", lambda: Brian2Backend(W1, W2, device="cpp_standalone",
                                                                  chunk=args.chunk,
                                                                  make_jobs=args.make_jobs,
                                                                  directory=args.build_dir),
                 X[:args.samples], y[:args.samples])
    rows.append((sa, args.samples, ref.weights()))
    if args.runtime_samples:
        r2 = ReferenceBackend(W1, W2)
        r2.train(X[:args.runtime_samples], y[:args.runtime_samples])
        rt = measure(f"brian2 runtime ({args.codegen})",
                     lambda: Brian2Backend(W1, W2, device="runtime", codegen=args.codegen),
                     X[:args.runtime_samples], y[:args.runtime_samples])
        rows.append((rt, args.runtime_samples, r2.weights()))
    shutil.rmtree(cache, ignore_errors=True)
    b2c = rows[-1][0][1].sim.b2c
    print(f"MNIST20, network 400-400-10 (3282 neurons, 500 000 plastic synapses): "
          f"{len(b2c.circuit.populations)} populations, {len(b2c.circuit.connections)} "
          f"connections as {len(b2c.merged_groups)} groups and {len(b2c.merged_synapses)} "
          f"Synapses objects ({len(b2c.network.sorted_objects)} objects run per step)")
    print(f"{'':<28}{'samples':>8}{'build+compile s':>17}{'samples/s':>11}{'ms/sample':>11}"
          f"{'identical':>11}")
    for (label, b, build, train), n, ref_w in rows:
        same = all(np.array_equal(p, q) for p, q in zip(b.weights(), ref_w))
        print(f"{label:<28}{n:>8}{build:>17.1f}{n / train:>11.1f}{1000 * train / n:>11.2f}"
              f"{str(same):>11}")
    print(f"{'exact reference trainer':<28}{args.samples:>8}{'':>17}{args.samples / ref_t:>11.0f}"
          f"{1000 * ref_t / args.samples:>11.4f}")
    sa_rate = args.samples / rows[0][0][3]
    print(f"standalone: an MNIST epoch (60 000 samples) takes {60000 / sa_rate / 60:.1f} min; "
          f"reference / standalone speed: {(args.samples / ref_t) / sa_rate:.0f}x")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
