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


def seed_means(runs: dict, key: str, last: int) -> list[float] | None:
    """Each seed's mean test accuracy (%) over its last ``last`` epochs; None if a record lacks
    the readout ``key``."""
    if not all(key in r["test"] for h in runs.values() for r in h):
        return None
    return [100 * float(np.mean([r["test"][key]
                                 for r in sorted(h, key=lambda r: r["epoch"])[-last:]]))
            for _, h in sorted(runs.items())]


#: the circuit's published MNIST results (see PUBLISHED), drawn as reference lines
PUBLISHED_LINES = {"mnist": ((96.3, "published, spikes (Loihi)"),
                             (97.5, "published, second readout"))}
READOUTS = (("acc_potential", "potential argmax", "o"), ("acc_spikes", "spike argmax", "^"),
            ("acc_first_spike", "first spike (ramp readout)", "s"))


def figure(cells: dict, path: Path) -> None:
    """One panel per dataset: per ablation row and readout, each seed's mean over the last epochs
    its summary averages (a dot) and the mean over seeds (a bar)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pulsegated.plotting.style import save_figure

    shown = [v for v in ABLATION if any((ds, v) in cells for ds in DATASETS)]
    fig, axes = plt.subplots(len(DATASETS), 1, figsize=(12, 9), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    width = 0.8 / len(READOUTS)
    for ax, ds in zip(axes, DATASETS):
        low, labelled, last = 100.0, set(), None
        for i, v in enumerate(shown):
            if (ds, v) not in cells:
                continue
            summary, runs = cells[(ds, v)]
            last = summary["last"]
            for j, (key, label, marker) in enumerate(READOUTS):
                means = seed_means(runs, key, last)
                if means is None:
                    continue
                x = i + (j - (len(READOUTS) - 1) / 2) * width
                low = min(low, min(means))
                ax.bar(x, np.mean(means), width * 0.9, color=colors[j], alpha=0.35,
                       label=None if label in labelled else label)
                labelled.add(label)
                ax.plot(np.full(len(means), x), means, marker, color=colors[j], ms=4,
                        mfc="none", ls="none")
        for k, (y, label) in enumerate(PUBLISHED_LINES.get(ds, ())):
            ax.axhline(y, color="k", lw=0.9, ls=("--", ":")[k % 2], label=label)
        ax.plot([], [], "o", color="0.3", mfc="none", ms=4, ls="none",
                label=f"one seed (mean of its last {last} epochs)" if last else "one seed")
        ax.set_xticks(range(len(shown)), shown, rotation=20, ha="right")
        ax.set_xlim(-0.6, len(shown) - 0.4)
        ax.set_ylim(max(0.0, np.floor(low) - 2), 100)  # every seed's dot shown
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"{LABELS[ds]}: ablation rows (_h1000: 1000 hidden units), "
                     "bar = mean over seeds")
        ax.grid(axis="y", alpha=0.3)
    handles = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(handles.values(), handles.keys(), loc="outside lower center", fontsize=8,
               ncol=3)
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
    print(f"\n{'variant':<16}" + "".join(
        f"{LABELS[d] + ' pot / spikes / first spike / worst class':>58}" for d in args.datasets))
    for row in table:
        line = f"{row['variant']:<16}"
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
