"""Figures of the synfire-gated synfire chain (spec: graded transfer, section 5, items 1-5).

Writes to figures/: sgsc_meanfield_traces.png, sgsc_meanfield_transfer.png (1, 2 mean field),
sgsc_transfer_spiking.png (2 with spiking points), sgsc_raster.png (3), sgsc_robustness.png (4),
sgsc_copy.png and sgsc_copy_spiking.png (5), sgsc_synfire_baseline.png (the classic synfire
chain); numbers to results/sgsc_robustness.json and results/sgsc_copy.json.

    python scripts/sgsc_figures.py [--fast] [--only copy]
"""

import argparse
import json
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pulsegated.sgsc import figures as F  # noqa: E402
from pulsegated.sgsc.graded import GradedChainParams, calibrate, run_chain  # noqa: E402
from pulsegated.sgsc.synfire import propagation_grid  # noqa: E402


def mae(p, amplitudes, seed=0):
    """Mean absolute amplitude error (fraction of g0) over all stages and inputs, and per input."""
    rows = [np.abs(run_chain(a, p, seed=seed + k, codegen="numpy") - a)
            for k, a in enumerate(amplitudes)]
    return float(np.mean(rows)), rows


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("wrote", path)


def copy_figures(fast: bool) -> dict:
    """Figure 5, mean field (8 x 8) and spiking (4 x 3, 200 neurons per unit); their errors."""
    from pulsegated.sgsc.copy import CopyParams, copy_matrix, run_copy

    out = Path("figures")
    K = np.random.default_rng(3).uniform(0, 1, (8, 8))
    res = copy_matrix(K, eta=0.3, cycles=12, rng=4)
    save(F.plot_copy(res, K, 0.3), out / "sgsc_copy.png")
    q = CopyParams()
    K = np.random.default_rng(0).uniform(0.1, 1.0, (4, 3))
    spk = run_copy(K, cycles=8 if fast else 20, q=q, seed=1, codegen="numpy")
    mf = copy_matrix(K, eta=q.eta, cycles=len(spk["errors"]) - 1, L0=spk["L0"])
    fig = F.plot_copy(spk, K, q.eta, label=f"spiking, {q.chain.n} neurons per unit",
                      reference=mf["errors"])
    save(fig, out / "sgsc_copy_spiking.png")
    return {"meanfield_8x8": res["errors"].tolist(), "spiking_4x3": spk["errors"].tolist(),
            "spiking_K": K.tolist(), "spiking_L": spk["L"].tolist(), "eta": q.eta,
            "neurons_per_unit": q.chain.n}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true")
    ap.add_argument("--only", choices=("all", "copy"), default="all",
                    help="'copy': only the synaptic-copy figures (5) and results/sgsc_copy.json")
    args = ap.parse_args()
    out = Path("figures")
    out.mkdir(exist_ok=True)
    Path("results").mkdir(exist_ok=True)
    copy = copy_figures(args.fast)
    Path("results/sgsc_copy.json").write_text(json.dumps(copy, indent=1) + "\n")
    if args.only == "copy":
        return
    F.make_figures(out)
    n = 300 if args.fast else 1000
    base, history = calibrate(GradedChainParams(n=n, n_stages=8), codegen="numpy")
    amps = np.linspace(0.1, 0.9, 5 if args.fast else 9)
    chains = {a: run_chain(a, base, seed=50 + k, codegen="numpy") for k, a in enumerate(amps)}

    ax = F.plot_transfer_map()
    F.add_spiking_points(ax, chains, stages=(1, 4, 7))
    save(ax.figure, out / "sgsc_transfer_spiking.png")

    small = replace(base, n=200, n_stages=6)
    runs = {a: run_chain(a, small, seed=7, codegen="numpy", record_spikes=True)[1]
            for a in (0.2, 0.5, 0.85)}
    fig = F.plot_chain_raster(runs, small.dt, small.T, small.n_stages)
    save(fig, out / "sgsc_raster.png")

    sweeps = {"jitter (ms)": ("jitter", (0.0, 0.05, 0.1, 0.2, 0.5)),
              "weight spread (relative sd)": ("weight_spread", (0.0, 0.1, 0.3, 0.5)),
              "neurons per population": ("n", (100, 200, 500, 1000))}
    results = {"calibration": history, "S": base.S, "n": n, "eight_stage_mae": {}}
    for name, (field, values) in sweeps.items():
        for phases in ("even", "random"):
            if field != "n" and phases == "random":
                continue
            key = f"{name} [{phases} phases]"
            results[key] = []
            for v in (values[:3] if args.fast else values):
                p = replace(base, **{field: v}, phases=phases)
                if field == "n":
                    p, _ = calibrate(p, codegen="numpy")
                results[key].append((v, mae(p, amps[::2], seed=200)[0]))
            print(key, results[key])
    results["eight_stage_mae"] = {f"{a:.2f}": float(np.mean(np.abs(c[1:] - a)))
                                  for a, c in chains.items()}
    fig = F.plot_robustness({k: v for k, v in results.items() if "[" in k})
    save(fig, out / "sgsc_robustness.png")
    Path("results/sgsc_robustness.json").write_text(json.dumps(results, indent=1) + "\n")

    grid = propagation_grid(codegen="numpy")
    ax = F.plot_synfire_grid(grid)
    save(ax.figure, out / "sgsc_synfire_baseline.png")


if __name__ == "__main__":
    main()

