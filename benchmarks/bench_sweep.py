"""Wall time of the SGSC robustness sweep (the ``sgsc_robustness`` study) run serially in this
process and on 2 local worker processes, measured in one run, and the speed-up.

    python benchmarks/bench_sweep.py            # fast figure settings: 300 neurons, 3 inputs
    python benchmarks/bench_sweep.py --full     # the figure's settings: 1000 neurons, 5 inputs

Both runs start cold (no calibration or network kept from before) and must give the same numbers.
"""

import argparse
import os
import resource
import time

from machine import describe

from pulsegated.explore import plan, sweep, worker
from pulsegated.explore import studies
from pulsegated.explore.studies import robustness_design


def cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(**kw):
    """Wall time, CPU time (driver and workers) and results of one cold sweep."""
    studies._CALIBRATED.clear()  # cold start: calibrations and networks of this process dropped
    worker.clear_cache()
    c0, t0 = cpu_seconds(), time.perf_counter()
    df = sweep("sgsc_robustness", progress=False, **kw)
    return time.perf_counter() - t0, cpu_seconds() - c0, df


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="1000 neurons per population, 5 inputs")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    args = ap.parse_args()
    print(describe())
    base_n = 1000 if args.full else 300
    design = robustness_design(base_n, fast=not args.full)
    kw = dict(design=design, fixed={"base_n": base_n, "fast": not args.full}, seeds=args.seeds)
    n_points = len(plan("sgsc_robustness", **kw).jobs)
    print(f"SGSC robustness sweep: {n_points} points (perturbations x seeds {args.seeds}), "
          f"8-stage calibrated chain, {base_n} neurons per stage, "
          f"{3 if not args.full else 5} input amplitudes per point, Brian2 numpy code generation")
    print("load average (1 min) before: %.2f" % os.getloadavg()[0])
    t_serial, c_serial, serial = timed(workers=1, **kw)
    print(f"serial (this process):       {t_serial:7.1f} s wall, {c_serial:7.1f} s CPU "
          f"({c_serial / t_serial:.2f} cores busy)", flush=True)
    t_par, c_par, par = timed(workers=args.workers, **kw)
    print(f"{args.workers} local worker processes:   {t_par:7.1f} s wall, {c_par:7.1f} s CPU "
          f"({c_par / t_par:.2f} cores busy)", flush=True)
    print("load average (1 min) after: %.2f (other work on the machine shares the cores)"
          % os.getloadavg()[0])
    same = serial["mae"].tolist() == par["mae"].tolist()
    failed = int(serial["error"].notna().sum() + par["error"].notna().sum())
    print(f"speed-up: {t_serial / t_par:.2f}x on {args.workers} workers "
          f"(same numbers: {'yes' if same else 'NO'}, failed points: {failed})")
    if c_par / t_par < 0.8 * args.workers:
        # the wall times measure the share of the cores this run got, not the sweep
        print(f"the workers kept {c_par / t_par:.2f} of {args.workers} cores busy (other work "
              f"shares them); CPU time {c_par:.1f} s against {c_serial:.1f} s serial: on "
              f"{args.workers} free cores the speed-up would be about "
              f"{args.workers * c_serial / c_par:.2f}x (an estimate from CPU times, not measured)")
    setups = par.groupby(["worker", "n", "phases"]).ngroups
    print(f"networks built on the workers: {setups} (one per worker and chain size / phases); "
          f"calibrations: once per chain, in the study's prepare step")


if __name__ == "__main__":
    main()
