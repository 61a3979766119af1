"""The graded backprop figures and numbers: weight convergence (spiking beside the mean field),
the rasters of many learning cycles and of one cycle.

``python -m pulsegated.gradedbp.figures --out figures --results results`` writes
``graded_bp_weights.png``, ``graded_bp_cycles_raster.png``, ``graded_bp_cycle_raster.png`` and
``graded_bp_linear_map.json`` (the linear map), and ``graded_bp_xor.png`` and
``graded_bp_xor.json`` (XOR with a ReLU hidden layer, mean field, every seed;
``--only linear-map-chip``: the linear map on Loihi integer arithmetic beside the mean field,
``graded_bp_weights_chip.png`` and ``graded_bp_linear_map_chip.json``;
``--xor-mode spiking --workers 2``: the spiking circuit, ``graded_bp_xor_spiking.*``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from pulsegated.atomic import atomic_open
from pulsegated.errors import UsageError

__all__ = ["linear_map_figures", "chip_figures", "xor_figures"]


def _summary(res: dict) -> dict:
    recs = res["records"]
    return {"cycles": len(recs), "seconds_per_cycle": res["seconds_per_cycle"],
            "final_W": res["W_history"][-1].tolist(),
            "final_max_weight_error": recs[-1]["max_weight_error"],
            "max_weight_error": [r["max_weight_error"] for r in recs],
            "loss": [r["loss"] for r in recs],
            "S": getattr(getattr(res["params"], "chain", None), "S", None)}


def linear_map_figures(out="figures", results="results", cycles: int = 300, seed: int = 0,
                       spiking: bool = True, raster_cycles: int = 4, codegen: str = "numpy",
                       progress: bool = True) -> dict:
    """Run the linear map (mean field and, with ``spiking``, Brian2) and write the figures.

    Returns ``{name: path}`` of the files written.
    """
    from pulsegated.gradedbp.circuit import linear_layer_circuit
    from pulsegated.gradedbp.learn import CycleRunner, calibrated, learn_linear_map
    from pulsegated.gradedbp.params import GradedBPParams
    from pulsegated.gradedbp.tasks import LinearMapTask
    from pulsegated.plotting.graded import save_cycles_raster, save_weight_convergence

    out, results = Path(out), Path(results)
    out.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    runs, written = {}, {}
    if spiking:
        runs["spiking (Brian2)"] = learn_linear_map(cycles=cycles, mode="spiking", seed=seed,
                                                    progress=progress,
                                                    runner_options={"codegen": codegen})
    runs["mean field"] = learn_linear_map(cycles=cycles, mode="meanfield", seed=seed,
                                          progress=progress)
    written["weights"] = save_weight_convergence(
        runs, out / "graded_bp_weights.png",
        title=f"graded pulse-gated backprop learns y = A x ({cycles} cycles)")
    summary = {"command": f"python -m pulsegated.gradedbp.figures --cycles {cycles} "
                          f"--seed {seed}" + ("" if spiking else " --no-spiking"),
               "date": time.strftime("%Y-%m-%d"), "task": LinearMapTask().matrix.tolist(),
               "runs": {k: _summary(v) for k, v in runs.items()}}
    if spiking:
        # rasters: a few cycles of the same circuit with every population recorded
        p = calibrated(GradedBPParams(), "spiking", seed)
        task = LinearMapTask()
        rng = np.random.default_rng(seed)
        W0 = rng.uniform(-0.2, 0.2, task.shape)
        x, t = task.samples(raster_cycles, rng=rng)
        c = linear_layer_circuit(W0, p, rng=rng)
        runner = CycleRunner(c, "spiking", seed=seed, record=list(c.populations), codegen=codegen)
        runner.run(x, t)
        spikes = {pop: runner.sim.spikes(pop) for pop in c.populations}
        runner.close()
        layer = [u for u in c.populations if c.populations[u].role in
                 ("input", "output", "target", "error")]
        written["cycles_raster"] = save_cycles_raster(
            c, spikes, 0, raster_cycles, out / "graded_bp_cycles_raster.png", populations=layer,
            title=f"one layer over {raster_cycles} learning cycles")
        allpops = [u for u in c.populations if c.populations[u].role != "gate"]
        written["cycle_raster"] = save_cycles_raster(
            c, spikes, 1, 2, out / "graded_bp_cycle_raster.png", populations=allpops,
            title="one learning cycle, memory populations shaded", max_neurons=25)
    path = results / "graded_bp_linear_map.json"
    with atomic_open(path) as f:
        f.write(json.dumps(summary, indent=1).encode())
    written["results"] = path
    return written


def chip_figures(out="figures", results="results", cycles: int = 300, seeds=(0, 1, 2)) -> dict:
    """The linear map on Loihi 1 integer arithmetic beside the mean field (same inputs, same
    initial weights, per seed): ``graded_bp_weights_chip.png`` (the first seed) and
    ``graded_bp_linear_map_chip.json`` (every seed: the final weights' distance from the target
    and from the mean field's).

    Returns ``{name: path}`` of the files written.
    """
    from dataclasses import asdict

    from pulsegated.gradedbp.chip import ChipGradedParams, learn_linear_map_chip
    from pulsegated.gradedbp.learn import learn_linear_map
    from pulsegated.plotting.graded import save_weight_convergence

    if not seeds:
        raise UsageError("chip_figures needs at least one seed")
    out, results = Path(out), Path(results)
    out.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    p = ChipGradedParams()
    per_seed, written = [], {}
    for seed in seeds:
        chip = learn_linear_map_chip(cycles=cycles, p=p, seed=seed)
        mf = learn_linear_map(cycles=cycles, mode="meanfield", seed=seed)
        A = chip["A"]
        scale = float(np.abs(A).max())
        Wc, Wm = chip["W_history"], mf["W_history"]
        tail = max(1, min(50, cycles // 4))
        per_seed.append({
            "seed": seed, "final_W": Wc[-1].tolist(), "final_W_meanfield": Wm[-1].tolist(),
            "max_weight_error": float(np.abs(Wc[-1] - A).max() / scale),
            "max_weight_error_meanfield": float(np.abs(Wm[-1] - A).max() / scale),
            "max_distance_from_meanfield": float(np.abs(Wc[-1] - Wm[-1]).max() / scale),
            f"max_error_of_mean_of_last_{tail}": float(
                np.abs(Wc[-tail:].mean(axis=0) - A).max() / scale),
            "loss_last_50": float(np.mean([r["loss"] for r in chip["records"][-50:]])),
            "seconds_per_cycle": chip["seconds_per_cycle"],
            "stray_spikes": chip["stray_spikes"]})
        if seed == seeds[0]:
            written["weights_chip"] = save_weight_convergence(
                {"Loihi arithmetic": chip, "mean field (float)": mf},
                out / "graded_bp_weights_chip.png",
                title=f"y = A x on Loihi integers, host updates (seed {seed})")
    chip_params = {k: (str(v) if hasattr(v, "dim") else v) for k, v in asdict(p).items()}
    summary = {"command": f"python -m pulsegated.gradedbp.figures --only linear-map-chip "
                          f"--cycles {cycles}",
               "date": time.strftime("%Y-%m-%d"), "cycles": cycles, "params": chip_params,
               "seeds": per_seed}
    path = results / "graded_bp_linear_map_chip.json"
    with atomic_open(path) as f:
        f.write(json.dumps(summary, indent=1).encode())
    written["results_chip"] = path
    return written


def _learn_xor_seed(seed: int, cycles: int, n_hidden: int, mode: str, progress: bool) -> dict:
    from pulsegated.gradedbp.learn import learn_xor

    res = learn_xor(cycles=cycles, seed=seed, n_hidden=n_hidden, mode=mode, progress=progress)
    res.pop("circuit", None)  # (results cross process boundaries)
    return res


def xor_figures(out="figures", results="results", seeds=tuple(range(10)), cycles: int = 1500,
                n_hidden: int = 4, progress: bool = True, mode: str = "meanfield",
                workers: int = 1) -> dict:
    """XOR with the two-layer circuit for every seed, on the mean field or spiking (Brian2); the
    decision surface of the first seed's learnt weights and every seed's learning in
    ``graded_bp_xor.png``, the numbers in ``graded_bp_xor.json`` (``_spiking`` in the names of
    a spiking run).  ``workers`` seeds run at once, each in its own process.
    Returns ``{name: path}``."""
    from concurrent.futures import ProcessPoolExecutor

    from pulsegated.gradedbp.learn import xor_surface
    from pulsegated.plotting.graded import save_xor_surface

    if mode not in ("meanfield", "spiking"):
        raise UsageError(f"mode must be 'meanfield' or 'spiking', got {mode!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"workers must be a positive integer, got {workers!r}")
    out, results = Path(out), Path(results)
    out.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    if workers == 1:
        runs = [_learn_xor_seed(s, cycles, n_hidden, mode, progress) for s in seeds]
    else:
        with ProcessPoolExecutor(workers) as pool:
            runs = list(pool.map(_learn_xor_seed, seeds, *zip(*[(cycles, n_hidden, mode, False)]
                                                               * len(seeds))))
    task = runs[0]["task"]
    surface = xor_surface(runs[0])
    n_solved = sum(r["solved_at"] is not None for r in runs)
    suffix = "" if mode == "meanfield" else "_spiking"
    what = "mean field" if mode == "meanfield" else "spiking, Brian2"
    written = {f"xor{suffix}": save_xor_surface(
        surface, task, out / f"graded_bp_xor{suffix}.png", runs=runs,
        title=f"XOR, {n_hidden} ReLU hidden units ({what}): {n_solved} of {len(runs)} "
              f"seeds solve all four patterns (margin {task.margin} g0)")}
    command = f"python -m pulsegated.gradedbp.figures --only xor --xor-cycles {cycles}"
    if mode == "spiking":
        command += f" --xor-mode spiking --workers {workers}"
    summary = {"command": command,
               "date": time.strftime("%Y-%m-%d"), "mode": mode, "n_hidden": n_hidden,
               "task": {k: getattr(task, k) for k in ("low", "high", "bias", "t_low", "t_high",
                                                      "margin")},
               "cycles": cycles, "solved": n_solved, "seeds": len(runs),
               "surface": "mean field of the first seed's learnt weights",
               "runs": [{"seed": r["seed"], "solved_at": r["solved_at"],
                         "last_outputs": [None if not np.isfinite(v) else float(v)
                                          for v in r["last_outputs"]],
                         "backward_deviation": r["records"][-1]["backward_deviation"],
                         "max_backward_deviation": max(x["backward_deviation"]
                                                       for x in r["records"]),
                         "seconds_per_cycle": r["seconds_per_cycle"]} for r in runs]}
    path = results / f"graded_bp_xor{suffix}.json"
    with atomic_open(path) as f:
        f.write(json.dumps(summary, indent=1).encode())
    written[f"xor{suffix}_results"] = path
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="figures")
    ap.add_argument("--results", default="results")
    ap.add_argument("--cycles", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-spiking", action="store_true",
                    help="the linear map on the mean field only (no Brian2 run, no rasters)")
    ap.add_argument("--only", choices=("linear-map", "linear-map-chip", "xor"), default=None,
                    help="one task's figures (default: all three)")
    ap.add_argument("--xor-cycles", type=int, default=1500)
    ap.add_argument("--xor-seeds", type=int, default=10)
    ap.add_argument("--xor-mode", choices=("meanfield", "spiking"), default="meanfield",
                    help="XOR on the mean field (default) or spiking in Brian2")
    ap.add_argument("--workers", type=int, default=1,
                    help="XOR seeds run at once, one process each (default 1)")
    args = ap.parse_args(argv)
    written = {}
    if args.only in (None, "linear-map"):
        written.update(linear_map_figures(args.out, args.results, args.cycles, args.seed,
                                          not args.no_spiking))
    if args.only in (None, "linear-map-chip"):
        written.update(chip_figures(args.out, args.results, args.cycles))
    if args.only in (None, "xor"):
        written.update(xor_figures(args.out, args.results, tuple(range(args.xor_seeds)),
                                   args.xor_cycles, mode=args.xor_mode, workers=args.workers))
    for name, path in written.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
