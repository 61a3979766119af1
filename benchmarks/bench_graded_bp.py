"""Wall time of one learning cycle of the graded backprop circuits (the one-layer linear map and
the two-layer XOR circuit) on Brian2's runtime device (Cython or numpy code generation) and on
their mean field, measured in one run, against the network time a cycle covers (real time).

    python benchmarks/bench_graded_bp.py [--cycles 10] [--codegen cython] [--standalone]

The linear map also runs on the Loihi backend's integer emulator (``pulsegated.gradedbp.chip``:
a cycle of six 20 ms windows, host-applied updates).  With ``--standalone`` the linear map also runs on Brian2's ``cpp_standalone`` device (each cycle
one run of the compiled project; compiling takes minutes).
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from machine import describe  # noqa: E402

from pulsegated.gradedbp.circuit import linear_layer_circuit, two_layer_circuit  # noqa: E402
from pulsegated.gradedbp.learn import CycleRunner, calibrated  # noqa: E402
from pulsegated.gradedbp.params import GradedBPParams  # noqa: E402
from pulsegated.gradedbp.tasks import LinearMapTask, XORTask  # noqa: E402


def per_cycle(circuit, mode, x, t, **options):
    """(build + first cycle, seconds per further cycle) of ``circuit`` in ``mode``."""
    t0 = time.perf_counter()
    r = CycleRunner(circuit, mode, **options)
    r.run(x[:1], t[:1])
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(1, len(x)):
        r.run(x[i:i + 1], t[i:i + 1])
    each = (time.perf_counter() - t0) / (len(x) - 1)
    r.close()
    return first, each


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=10, help="cycles timed per circuit and mode")
    ap.add_argument("--codegen", default="cython", choices=("cython", "numpy"),
                    help="code generation of the runtime device (Cython: compiled once, cached)")
    ap.add_argument("--standalone", action="store_true",
                    help="also the linear map on cpp_standalone (compiles for minutes)")
    args = ap.parse_args()
    if args.cycles < 2:
        ap.error("--cycles must be at least 2")
    print(describe())
    rng = np.random.default_rng(0)
    lin, xor = LinearMapTask(), XORTask()
    x_lin, t_lin = lin.samples(args.cycles, rng=rng)
    xs, ts = xor.patterns()
    order = np.arange(args.cycles) % 4
    x_xor, t_xor = xs[order], ts[order]
    W1 = rng.uniform(-0.5, 0.5, (4, 3))
    W2 = rng.uniform(-0.5, 0.5, (1, 5))
    rows = []
    for mode in ("meanfield", "spiking"):
        t0 = time.perf_counter()
        p = calibrated(GradedBPParams(), mode)
        calib = time.perf_counter() - t0
        opts = {"codegen": args.codegen} if mode == "spiking" else {}
        c1 = linear_layer_circuit(rng.uniform(-0.2, 0.2, lin.shape), p, rng=0)
        c2 = two_layer_circuit(W1, W2, p, rng=0)
        for name, c, x, t in (("linear map 3x3", c1, x_lin, t_lin),
                              ("XOR, 4 hidden", c2, x_xor, t_xor)):
            first, each = per_cycle(c, mode, x, t, **opts)
            L = c.meta["windows"]
            network = L["period"] * float(p.chain.T)
            label = f"spiking/{args.codegen}" if mode == "spiking" else mode
            rows.append((name, label, len(c.populations), first, each, network, calib))
        if mode == "spiking" and args.standalone:
            import tempfile
            with tempfile.TemporaryDirectory() as folder:
                c1 = linear_layer_circuit(rng.uniform(-0.2, 0.2, lin.shape), p, rng=0)
                first, each = per_cycle(c1, mode, x_lin, t_lin, device="cpp_standalone",
                                        build_dir=folder)
            rows.append(("linear map 3x3", "standalone", len(c1.populations), first, each,
                         c1.meta["windows"]["period"] * float(p.chain.T), calib))
    # the linear map on Loihi integer arithmetic (emulator, host-applied updates)
    from pulsegated.gradedbp.chip import ChipCycleRunner, ChipGradedParams
    cp = ChipGradedParams()
    t0 = time.perf_counter()
    runner = ChipCycleRunner(rng.uniform(-0.2, 0.2, lin.shape), cp, seed=0)
    runner.prepare()
    runner.run_cycle(x_lin[0], t_lin[0])
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(1, len(x_lin)):
        runner.run_cycle(x_lin[i], t_lin[i])
    each = (time.perf_counter() - t0) / (len(x_lin) - 1)
    runner.close()
    rows.append(("linear map 3x3", "loihi integers", len(runner.circuit.populations), first, each,
                 cp.windows * float(cp.T), 0.0))
    print(f"{'circuit':<16}{'mode':<17}{'pops':>7}{'build+1st':>11}{'s/cycle':>10}"
          f"{'network s/cycle':>17}{'x real time':>13}")
    for name, mode, n_pop, first, each, network, _ in rows:
        print(f"{name:<16}{mode:<17}{n_pop:>7}{first:>10.2f}s{each:>10.3f}{network:>17.3f}"
              f"{each / network:>12.2f}x")
    for mode in ("meanfield", f"spiking/{args.codegen}"):
        calib = next(r[6] for r in rows if r[1] == mode)
        print(f"calibration of the relay coupling ({mode}): {calib:.1f} s (cached per process)")
    for name in ("linear map 3x3", "XOR, 4 hidden"):
        mf = next(r[4] for r in rows if r[0] == name and r[1] == "meanfield")
        for r in rows:
            if r[0] == name and r[1] != "meanfield":
                print(f"{name}: {r[1]} / mean field per cycle {r[4] / mf:.0f}x")


if __name__ == "__main__":
    main()
