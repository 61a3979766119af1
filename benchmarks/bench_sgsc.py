"""Wall time of an 8-stage spiking graded chain (1000 neurons per population) on Brian2's runtime
device (numpy and Cython code generation) and cpp_standalone device, and of the mean-field model,
measured in one run.

    python benchmarks/bench_sgsc.py
"""

import argparse
import time

import numpy as np

from brian2 import ms

from pulsegated.sgsc.graded import GradedChainParams, graded_chain_circuit, run_chain
from pulsegated.sgsc.meanfield import ChainModel

from machine import describe


def timed(f):
    t0 = time.perf_counter()
    out = f()
    return time.perf_counter() - t0, out


def main():
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    print(describe())
    p = GradedChainParams(n=1000, n_stages=8)
    rows = []
    t_mf, _ = timed(lambda: [ChainModel(8).run(a) for a in np.linspace(0.1, 0.9, 9)])
    rows.append(("mean field, 9 amplitudes", t_mf, None))
    t, amps = timed(lambda: run_chain(0.5, p, codegen="numpy"))
    rows.append(("runtime, numpy (build + run)", t, amps[-1]))
    t1, _ = timed(lambda: run_chain(0.5, p, codegen="cython"))
    t2, amps = timed(lambda: run_chain(0.5, p, codegen="cython"))
    rows.append(("runtime, Cython, first call (compiles)", t1, None))
    rows.append(("runtime, Cython, cached (build + run)", t2, amps[-1]))

    import tempfile

    from pulsegated.backends.brian2 import build
    c = graded_chain_circuit(0.5, p, rng=0)
    steps = 2 + p.n_stages * int(round(float(p.T / p.dt))) + 2
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        b2c = build(c, device="cpp_standalone", record=[], directory=folder, run_steps=steps)
        b2c.run_standalone()
        t_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        b2c.run_standalone()
        t_run = time.perf_counter() - t0
        b2c.close()
    rows.append(("cpp_standalone, compile + first run", t_first, None))
    rows.append(("cpp_standalone, one more run", t_run, None))
    print(f"8-stage graded chain, {p.n} neurons per stage ({p.n_stages * p.n * p.n / 1e6:.0f} M "
          f"synapses), {float(steps * p.dt / ms):.1f} ms of network time")
    for name, t, last in rows:
        extra = f"   last-stage amplitude {last:.3f}" if last is not None else ""
        print(f"{name:<42}{t:>9.2f} s{extra}")
    print(f"spiking (numpy) / mean field: {rows[1][1] / t_mf:.0f}x; standalone run / numpy: "
          f"{t_run / rows[1][1]:.2f}x")


if __name__ == "__main__":
    main()
