"""Figures of the synfire-gated synfire chain (spec: graded transfer, section 5, items 1-5).

Writes to figures/: sgsc_meanfield_traces.png, sgsc_meanfield_transfer.png (1, 2 mean field),
sgsc_transfer_spiking.png (2 with spiking points), sgsc_raster.png (3), sgsc_robustness.png (4),
sgsc_copy.png and sgsc_copy_spiking.png (5), sgsc_synfire_baseline.png (the classic synfire
chain); numbers to results/sgsc_robustness.json and results/sgsc_copy.json.

    python scripts/sgsc_figures.py [--fast] [--only PART ...] [--seeds 0 1 2 3 4]
    python scripts/sgsc_figures.py --only robustness --from-results   # replot, no simulation
    python scripts/sgsc_figures.py --only robustness --workers 2      # sweep on 2 processes

PART is any of all, copy, meanfield, transfer, raster, robustness, synfire.  The robustness
sweep runs every point for each seed (different connectivity, initial phases, jitter draws) and
plots mean +- sd over the seeds.
"""

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from pulsegated.atomic import atomic_open  # noqa: E402
from pulsegated.plotting.style import save_figure  # noqa: E402
from pulsegated.sgsc import figures as F  # noqa: E402
from pulsegated.sgsc.graded import GradedChainParams, calibrate, run_chain  # noqa: E402
from pulsegated.sgsc.synfire import propagation_grid  # noqa: E402

FIGURES = Path("figures")
RESULTS = Path("results")
ROBUSTNESS_JSON = RESULTS / "sgsc_robustness.json"

def save(fig, path):
    save_figure(fig, path)
    print("wrote", path, flush=True)


def write_json(path, data):
    with atomic_open(path) as f:
        f.write((json.dumps(data, indent=1) + "\n").encode())
    print("wrote", path, flush=True)


def copy_point(seed: int, **params) -> dict:
    """One point of the ``sgsc_copy`` study (:mod:`pulsegated.explore.copy_study`) in this
    process: its metrics as a dict (``errors``, ``K``, ``L0``, ``L``, ... as arrays)."""
    from pulsegated.explore import Grid, sweep

    df = sweep("sgsc_copy", Grid(mode=[params.pop("mode")]), fixed=params, seeds=[seed],
               workers=1, progress=False)
    row = df.iloc[0].to_dict()
    if isinstance(row["error"], str):
        raise RuntimeError(f"sgsc_copy point failed:\n{row['error']}")
    for key in ("errors", "meanfield_errors", "K", "L0", "L"):
        if isinstance(row.get(key), list):
            row[key] = np.asarray(row[key], dtype=float)
    return row


def copy_result(row: dict) -> dict:
    """An ``sgsc_copy`` point as the copy result that :func:`~pulsegated.sgsc.figures.plot_copy`
    takes."""
    return {"errors": row["errors"], "L": row["L"], "L_history": [row["L0"]]}


def copy_figures(fast: bool) -> dict:
    """Figure 5, mean field (8 x 8) and spiking (4 x 3, 200 neurons per unit); their errors.

    Both are points of the ``sgsc_copy`` study: the mean field copies ``K`` uniform in [0, 1)
    (``default_rng(3)``) from ``L0`` of seed 4 with eta 0.3 over 12 cycles; the spiking circuit
    (``CopyParams()``) copies ``K`` uniform in [0.1, 1) (``default_rng(0)``) with seed 1, drawn
    with the mean field from the same start.
    """
    from pulsegated.sgsc.copy import CopyParams

    mf = copy_point(4, mode="meanfield", eta=0.3, cycles=12, rows=8, cols=8, k_low=0.0,
                    k_high=1.0, k_seed=3)
    save(F.plot_copy(copy_result(mf), mf["K"], 0.3), FIGURES / "sgsc_copy.png")
    q = CopyParams()  # the study's defaults (window 40 ms, 200 neurons per unit, eta 0.3)
    spk = copy_point(1, mode="spiking", eta=q.eta, cycles=8 if fast else 20, rows=4, cols=3,
                     k_low=0.1, k_high=1.0, k_seed=0)
    print(f"spiking copy: {spk['wall_s']:.0f} s", flush=True)
    fig = F.plot_copy(copy_result(spk), spk["K"], q.eta,
                      label=f"spiking, {q.chain.n} neurons per unit",
                      reference=spk["meanfield_errors"])
    save(fig, FIGURES / "sgsc_copy_spiking.png")
    return {"meanfield_8x8": mf["errors"].tolist(), "spiking_4x3": spk["errors"].tolist(),
            "spiking_K": spk["K"].tolist(), "spiking_L": spk["L"].tolist(), "eta": q.eta,
            "neurons_per_unit": q.chain.n}


def calibrated_base(fast: bool):
    """The calibrated 8-stage chain (1000 neurons per stage, 300 with ``fast``)."""
    n = 300 if fast else 1000
    t0 = time.perf_counter()
    base, history = calibrate(GradedChainParams(n=n, n_stages=8), codegen="numpy")
    print(f"calibration: S = {base.S:.4f} S_exact ({time.perf_counter() - t0:.0f} s)", flush=True)
    return base, history


def robustness(base, history, seeds, fast: bool, workers: int = 1) -> dict:
    """Mean absolute amplitude error over 8 stages for each perturbation, for every seed.

    The points are those of the ``sgsc_robustness`` study (:mod:`pulsegated.explore.studies`,
    one perturbation of the calibrated chain at a time, :func:`~pulsegated.sgsc.robustness.
    amplitude_error` per point on a network built once per size).  Seed ``s`` runs input ``k``
    with the Brian2 seed ``200 + 100 s + k`` (connectivity, initial phases, onset jitter,
    weight spread).  The population-size sweep calibrates each size once (seed 0) and evaluates
    it with every seed.  ``workers`` > 1 runs the points on that many local processes.
    """
    from pulsegated.explore import sweep
    from pulsegated.explore.studies import (remember_calibration, robustness_design,
                                            robustness_table)
    from pulsegated.sgsc.robustness import robustness_inputs

    amps = robustness_inputs(fast)
    results = {"calibration": history, "S": base.S, "n": base.n,
               "inputs": [round(float(a), 6) for a in amps], "seeds": list(seeds),
               "statistic": "mean |amplitude error| over 8 stages and the inputs, fraction of "
                            "g0, per seed; mean and sd (ddof=1) over the seeds",
               "run_seed": "input k of seed s: Brian2 seed 200 + 100 s + k"}
    # the base chain calibrated above is the study's base chain: not calibrated again here
    remember_calibration(GradedChainParams(n=base.n, n_stages=base.n_stages), base, history)
    t_start = time.perf_counter()
    df = sweep("sgsc_robustness", robustness_design(base.n, fast),
               fixed={"base_n": base.n, "n_stages": base.n_stages, "fast": fast}, seeds=seeds,
               workers=workers)
    table = robustness_table(df, base.n)
    for key, rows in table.items():
        for r in rows:
            print(f"{key} {r['value']}: {100 * r['mean']:.2f} +- {100 * r['sd']:.2f} %",
                  flush=True)
    results.update(table)
    results["wall_s"] = round(time.perf_counter() - t_start, 1)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true")
    ap.add_argument("--only", default=["all"], nargs="+",
                    choices=("all", "copy", "meanfield", "transfer", "raster", "robustness",
                             "synfire"),
                    help="these parts only ('copy': figures 5 and results/sgsc_copy.json)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4],
                    help="seeds of the robustness sweep (default 0 1 2 3 4)")
    ap.add_argument("--workers", type=int, default=1,
                    help="robustness: local worker processes for the sweep (default 1: this "
                         "process)")
    ap.add_argument("--from-results", action="store_true",
                    help="robustness: replot results/sgsc_robustness.json, no simulation")
    args = ap.parse_args()
    FIGURES.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    parts = set(args.only)
    if "all" in parts:
        parts = {"copy", "meanfield", "transfer", "raster", "robustness", "synfire"}
    if "copy" in parts:
        write_json(RESULTS / "sgsc_copy.json", copy_figures(args.fast))
    if "meanfield" in parts:
        for p in F.make_figures(FIGURES):
            print("wrote", p)
    if "robustness" in parts and args.from_results:
        save(F.plot_robustness(json.loads(ROBUSTNESS_JSON.read_text())),
             FIGURES / "sgsc_robustness.png")
        parts.discard("robustness")
    base = history = None
    if parts & {"transfer", "raster", "robustness"}:
        base, history = calibrated_base(args.fast)
    previous = json.loads(ROBUSTNESS_JSON.read_text()) if ROBUSTNESS_JSON.exists() else {}
    if "transfer" in parts:
        amps = np.linspace(0.1, 0.9, 5 if args.fast else 9)
        chains = {a: run_chain(a, base, seed=50 + k, codegen="numpy") for k, a in enumerate(amps)}
        save(F.plot_transfer_spiking(chains, stages=(1, 4, 7)),
             FIGURES / "sgsc_transfer_spiking.png")
        previous["eight_stage_mae"] = {f"{a:.2f}": float(np.mean(np.abs(c[1:] - a)))
                                       for a, c in chains.items()}
        if "robustness" not in parts:
            write_json(ROBUSTNESS_JSON, previous)
    if "raster" in parts:
        small = replace(base, n=200, n_stages=6)
        runs = {a: run_chain(a, small, seed=7, codegen="numpy", record_spikes=True)[1]
                for a in (0.2, 0.5, 0.85)}
        save(F.plot_chain_raster(runs, small.dt, small.T, small.n_stages),
             FIGURES / "sgsc_raster.png")
    if "robustness" in parts:
        results = robustness(base, history, args.seeds, args.fast, args.workers)
        if "eight_stage_mae" in previous:
            results["eight_stage_mae"] = previous["eight_stage_mae"]
        write_json(ROBUSTNESS_JSON, results)
        save(F.plot_robustness(results), FIGURES / "sgsc_robustness.png")
    if "synfire" in parts:
        grid = propagation_grid(codegen="numpy")
        save(F.plot_synfire_grid(grid).figure, FIGURES / "sgsc_synfire_baseline.png")


if __name__ == "__main__":
    main()
