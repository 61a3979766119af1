"""Training speed of the eRBP network 784-100-10 in Brian2, per device and dt.

For each device (the runtime device with Cython; ``cpp_standalone``, the network compiled into a
C++ program run once per chunk) and step size: builds the network once, runs a few warm-up
samples (Cython compilation or loading of the cached modules, timed apart; the C++ compilation
is in the build time), then trains on ``--samples`` MNIST samples of 250 ms and tests on
``--test-samples``.  Prints ms per sample, the minutes a 50 000-sample epoch takes at that speed,
its ratio to the 15-minutes-per-epoch target (ratio > 1: slower than the target) and the speed-up
over the runtime device at the same dt, measured in the same run.

    PULSEGATED_DATA=... python benchmarks/bench_erbp.py [--dt 0.1 --dt 1] [--samples 1000]
        [--device runtime --device cpp_standalone]
"""

import argparse
import gc
import tempfile
import time

import numpy as np

from machine import describe  # noqa: E402

TARGET_MIN_PER_EPOCH = 15.0
EPOCH = 50000


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dt", type=float, action="append", default=None,
                    help="step in ms, repeatable (default: 0.1 and 1)")
    ap.add_argument("--samples", type=int, default=1000, help="training samples per dt")
    ap.add_argument("--test-samples", type=int, default=200)
    ap.add_argument("--algorithm", default="erbp", choices=("erbp", "perbp"))
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--codegen", default="cython", choices=("cython", "numpy"))
    ap.add_argument("--chunk", type=int, default=100, help="samples per run, runtime device")
    ap.add_argument("--standalone-chunk", type=int, default=500,
                    help="samples per run of the standalone program")
    ap.add_argument("--device", action="append", default=None,
                    choices=("runtime", "cpp_standalone"),
                    help="repeatable (default: both)")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    from pulsegated.data.datasets import load_mnist
    from pulsegated.erbp.network import ERBPNetwork
    from pulsegated.erbp.params import ERBPParams
    from pulsegated.erbp.weights import feedback_matrix, init_forward

    print(describe())
    X, y = load_mnist("train", data_dir=args.data_dir)
    Xt, _ = load_mnist("test", data_dir=args.data_dir)
    X, Xt = X.reshape(len(X), -1), Xt.reshape(len(Xt), -1)
    order = np.random.default_rng(0).permutation(len(X))
    sizes = [784, args.hidden, 10]
    print(f"network {'-'.join(map(str, sizes))} {args.algorithm}, 250 ms per sample; runtime "
          f"device: codegen {args.codegen}, chunk {args.chunk}; cpp_standalone: chunk "
          f"{args.standalone_chunk}, make -j1")
    print(f"{'device':>15}{'dt ms':>6}{'build s':>9}{'warm-up s':>11}{'train ms/sample':>17}"
          f"{'test ms/sample':>16}{'min/epoch':>11}{'x target':>10}{'speed-up':>10}")
    runtime_speed = {}
    for device, dt in [(d, dt) for dt in args.dt or [0.1, 1.0]
                       for d in args.device or ["runtime", "cpp_standalone"]]:
        rng = np.random.default_rng(1)
        W = init_forward(sizes, rng)
        G = feedback_matrix(args.hidden, 10, rng)
        p = ERBPParams(algorithm=args.algorithm, dt=dt * 1e-3)
        t0 = time.perf_counter()
        # the trainer's object names: Brian2's Cython cache is keyed by the generated code, which
        # names the objects, so the modules compiled for training runs are reused here
        standalone = device == "cpp_standalone"
        project = tempfile.TemporaryDirectory(prefix="bench_erbp_") if standalone else None
        net = ERBPNetwork(W, G, p, codegen=args.codegen, seed=1, name="erbp", device=device,
                          chunk=args.standalone_chunk if standalone else args.chunk,
                          directory=project.name + "/project" if standalone else None)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        net.run_samples(X[order[:2]], y[order[:2]], train=True)
        net.run_samples(Xt[:2], train=False)
        warm = time.perf_counter() - t0
        idx = order[2:2 + args.samples]
        t0 = time.perf_counter()
        net.run_samples(X[idx], y[idx], train=True)
        train = (time.perf_counter() - t0) / len(idx)
        t0 = time.perf_counter()
        net.run_samples(Xt[:args.test_samples], train=False)
        test = (time.perf_counter() - t0) / max(args.test_samples, 1)
        minutes = train * EPOCH / 60
        if device == "runtime":
            runtime_speed[dt] = train
        ratio = f"{runtime_speed[dt] / train:>10.1f}" if dt in runtime_speed else f"{'-':>10}"
        print(f"{device:>15}{dt:>6g}{build:>9.1f}{warm:>11.1f}{1000 * train:>17.1f}"
              f"{1000 * test:>16.1f}{minutes:>11.1f}{minutes / TARGET_MIN_PER_EPOCH:>10.2f}"
              f"{ratio}", flush=True)
        del net  # frees the object names for the next step size
        gc.collect()
        if project is not None:
            project.cleanup()
    print(f"min/epoch: training on {EPOCH} samples at the measured speed (testing not included); "
          f"target {TARGET_MIN_PER_EPOCH:g} min per epoch.  build and warm-up include Cython "
          f"compilation when the modules are not in Brian2's cache yet; the standalone build "
          f"compiles the C++ program; speed-up: runtime ms/sample over this row's, same dt")


if __name__ == "__main__":
    main()
