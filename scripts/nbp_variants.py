"""Ablation of the nBP circuit variants: each change alone and together, on MNIST20 and
Fashion-MNIST, 60 epochs, 3 seeds (mean of the last 10 test evaluations); the rows are
``pulsegated.nbp.variants.ABLATION`` (every variant with the published 400 hidden units, and the
published circuit and all changes together with 1000).

With ``--run``, trains every cell (but the paper's circuit, whose records are the accuracy table's:
``scripts/reproduce_nbp_table.py --dataset D``) with
``scripts/reproduce_nbp_table.py --variant NAME [--hidden N]`` (records in
``results/nbp_<dataset>_reference[_<variant>][_h<N>].jsonl`` and ``..._summary.json``;
finished seeds are kept in the ``.sqlite`` stores, so an interrupted ablation resumes and a
finished cell only has its records and figure written anew), then prints the table,
writes ``results/nbp_variants.json`` and ``figures/nbp_variants.png`` (mean test accuracy per
epoch of every variant, both readouts, both datasets).

    python scripts/nbp_variants.py --run --workers 2        # train (resuming), then report
    python scripts/nbp_variants.py                          # report from the records only
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from pulsegated.atomic import atomic_open
from pulsegated.nbp import variants
from pulsegated.nbp.variants import ABLATION, VARIANTS

DATASETS = ("mnist", "fashion-mnist")
LABELS = {"mnist": "MNIST20", "fashion-mnist": "Fashion-MNIST"}
#: what the circuit's authors report, for the table (potential / spike readout)
PUBLISHED = {"mnist": "96.2–96.3 % by spikes (Loihi), 97.5 % second readout",
             "fashion-mnist": "≈ 80 % potential, ≈ 77 % spikes (authors' reference, 15 epochs)"}


def record_name(dataset: str, row: str) -> str:
    """The records' name of an ablation row (as ``scripts/reproduce_nbp_table.py`` names them)."""
    variant, hidden = ABLATION[row]
    return variants.record_name(dataset, variant, hidden)


def load(dataset: str, row: str):
    """``(summary, runs)`` of a finished ablation cell, or None."""
    base = Path("results") / record_name(dataset, row)
    summary_path = base.parent / (base.name + "_summary.json")
    records = base.parent / (base.name + ".jsonl")
    if not (summary_path.is_file() and records.is_file()):
        return None
    summary = json.loads(summary_path.read_text())
    runs = {}
    for line in records.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            runs.setdefault(r["seed"], []).append(r)
    return summary, runs


def train(dataset: str, row: str, args) -> int:
    variant, hidden = ABLATION[row]
    cmd = [sys.executable, str(Path(__file__).resolve().parent / "reproduce_nbp_table.py"),
           "--dataset", dataset, "--variant", variant, "--hidden", str(hidden),
           "--epochs", str(args.epochs), "--workers", str(args.workers),
           "--seeds", *map(str, args.seeds)]
    print("$ python scripts/reproduce_nbp_table.py", " ".join(cmd[2:]), flush=True)
    return subprocess.run(cmd).returncode


def mean_curve(runs: dict, key: str) -> np.ndarray:
    n = min(len(h) for h in runs.values())
    return np.mean([[r["test"][key] for r in sorted(h, key=lambda r: r["epoch"])[:n]]
                    for h in runs.values()], axis=0)


def figure(cells: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from pulsegated.plotting.style import save_figure

    fig, axes = plt.subplots(1, 2, figsize=(12, 5.2), constrained_layout=True)
    colors = dict(zip(ABLATION, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    shown = [v for v in ABLATION if any((ds, v) in cells for ds in DATASETS)]
    for ax, ds in zip(axes, DATASETS):
        low = 100.0
        for v in shown:
            if (ds, v) not in cells:
                continue
            _, runs = cells[(ds, v)]
            for key, ls in (("acc_potential", "-"), ("acc_spikes", "--"),
                            ("acc_first_spike", ":")):
                if not all(key in r["test"] for h in runs.values() for r in h):
                    continue
                c = 100 * mean_curve(runs, key)
                low = min(low, float(c.min()))
                ax.plot(np.arange(1, len(c) + 1), c, ls=ls, color=colors[v], lw=1.3)
        ax.set_title(f"{LABELS[ds]}: mean over seeds")
        ax.set_xlabel("epoch")
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(np.floor(low) - 1, 100)  # every point of every curve shown
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=colors[v], label=v) for v in shown]
    handles += [Line2D([], [], color="k", ls="-", label="potential argmax"),
                Line2D([], [], color="k", ls="--", label="spike argmax"),
                Line2D([], [], color="k", ls=":", label="first spike (ramp readout)")]
    fig.legend(handles=handles, loc="outside lower center", fontsize=8,
               ncol=min(len(handles), 5),
               title="variant, _h1000: 1000 hidden units (colour) / readout (line style)",
               title_fontsize=8)
    save_figure(fig, path)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", action="store_true", help="train the cells that have no records")
    ap.add_argument("--variants", nargs="+", default=list(ABLATION), choices=list(ABLATION),
                    help="ablation rows (a variant name, or NAME_h1000: with 1000 hidden units)")
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    cells, failed = {}, []
    for ds in args.datasets:
        for v in args.variants:
            cell = load(ds, v)
            if cell is not None and (cell[0].get("epochs") != args.epochs
                                     or sorted(cell[1]) != sorted(args.seeds)):
                cell = None  # records of other settings: retrain (the stores resume seeds)
            # --run: the table script resumes finished seeds from its store and writes the
            # cell's records and figure anew (paper: the nbp-table jobs)
            if args.run and v != "paper":   # (the published circuit: the accuracy table's)
                if train(ds, v, args) != 0:
                    failed.append((ds, v))
                cell = load(ds, v)
            if cell is not None:
                cells[(ds, v)] = cell
    table = []
    for v in args.variants:
        name, hidden = ABLATION[v]
        row = {"variant": v, "definition": VARIANTS[name].to_dict(), "n_hidden": hidden}
        for ds in args.datasets:
            if (ds, v) in cells:
                s = cells[(ds, v)][0]
                row[ds] = {"mean": s["mean"], "per_seed": s["per_seed"],
                           "worst_class_min": min(r.get("worst_class_potential", np.nan)
                                                  for r in s["per_seed"])}
        table.append(row)
    print(f"\n{'variant':<12}" + "".join(
        f"{LABELS[d] + ' pot / spikes / first spike / worst class':>58}" for d in args.datasets))
    for row in table:
        line = f"{row['variant']:<12}"
        for ds in args.datasets:
            if ds in row:
                m = row[ds]["mean"]
                first = (f"{100 * m['acc_first_spike']:>10.2f} %" if "acc_first_spike" in m
                         else f"{'-':>12}")
                line += (f"{100 * m['acc_potential']:>26.2f} %{100 * m['acc_spikes']:>8.2f} %"
                         f"{first}{100 * row[ds]['worst_class_min']:>9.1f} %")
            else:
                line += f"{'(no records)':>58}"
        print(line)
    with atomic_open(Path("results") / "nbp_variants.json") as f:
        f.write((json.dumps({"epochs": args.epochs, "seeds": args.seeds, "last": 10,
                             "published": PUBLISHED, "table": table}, indent=1) + "\n").encode())
    if cells:
        figure(cells, Path("figures") / "nbp_variants.png")
        print("wrote results/nbp_variants.json, figures/nbp_variants.png")
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
