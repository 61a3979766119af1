"""Reproduce the accuracy table of the nBP rule: full dataset, several seeds, many epochs.

Runs ``pulsegated.training.Trainer`` (reference backend by default) for every seed, writes every
evaluation to ``results/<name>.jsonl``, prints per seed the mean of the last 10 epochs of each
readout, the mean over seeds, and writes ``figures/<name>_accuracy.png``.

    python scripts/reproduce_nbp_table.py --dataset mnist --epochs 60 --seeds 0 1 2
    python scripts/reproduce_nbp_table.py --dataset fashion-mnist --epochs 60 --seeds 0 1 2
    python scripts/reproduce_nbp_table.py --dataset mnist --from-results   # replot, no training

``--from-results`` reads the records of an earlier run from ``results/<name>.jsonl`` and only
prints the table and redraws the figure.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from pulsegated.atomic import atomic_open
from pulsegated.training.trainer import TrainConfig, Trainer


def summarise(runs: dict, last: int) -> list:
    rows = []
    for seed, hist in runs.items():
        tail = hist[-last:]
        rows.append({"seed": seed, **{k: float(np.mean([r["test"][k] for r in tail]))
                                      for k in ("acc_potential", "acc_spikes", "exact", "mse")},
                     "final_train_potential": hist[-1].get("train", {}).get("acc_potential"),
                     "samples_per_s": float(np.mean([r["samples_per_s"] for r in hist]))})
    return rows


def load_runs(path: Path) -> dict:
    """``{seed: history}`` from a ``results/<name>.jsonl`` file (records in epoch order)."""
    runs = {}
    for line in path.read_text().splitlines():
        if line.strip():
            r = json.loads(line)
            runs.setdefault(r["seed"], []).append(r)
    for hist in runs.values():
        hist.sort(key=lambda r: r["epoch"])
    return runs


def save_accuracy_figure(runs: dict, dataset: str, path: Path) -> None:
    """One panel per seed with the README's reference values; written atomically."""
    import matplotlib
    matplotlib.use("Agg")

    from pulsegated.plotting.curves import plot_accuracy_runs
    from pulsegated.plotting.style import save_figure

    save_figure(plot_accuracy_runs(runs, dataset), path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="mnist", choices=("mnist", "fashion-mnist", "builtin"))
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--threshold", default=None)
    ap.add_argument("--backend", default="reference")
    ap.add_argument("--last", type=int, default=10, help="average over the last N epochs")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--name", default=None)
    ap.add_argument("--from-results", action="store_true",
                    help="no training: table and figure from results/<name>.jsonl")
    args = ap.parse_args()
    name = args.name or f"nbp_{args.dataset}_{args.backend}"
    threshold = args.threshold
    if threshold is not None and threshold not in ("any", "half"):
        threshold = int(threshold)
    out = Path("results") / f"{name}.jsonl"
    out.parent.mkdir(exist_ok=True)
    figure = Path("figures") / f"{name}_accuracy.png"
    t_start = time.perf_counter()
    if args.from_results:
        runs = load_runs(out)
        args.epochs = max(len(h) for h in runs.values())
    else:
        runs = {}
        records = []
        for seed in args.seeds:
            cfg = TrainConfig(dataset=args.dataset, backend=args.backend, epochs=args.epochs,
                              seed=seed, threshold=threshold, data_dir=args.data_dir)
            runs[seed] = Trainer(cfg, progress=True).run()
            records += runs[seed]
        with atomic_open(out) as f:
            f.write("".join(json.dumps(r) + "\n" for r in records).encode())

    rows = summarise(runs, args.last)
    print(f"\n{args.dataset}, {args.backend}, {args.epochs} epochs, mean of the last {args.last} "
          f"epochs (test set), wall {time.perf_counter() - t_start:.0f} s")
    print(f"{'seed':>5}{'potential':>11}{'spikes':>9}{'exact':>9}{'mse':>9}{'samples/s':>11}")
    for r in rows:
        print(f"{r['seed']:>5}{100 * r['acc_potential']:>10.2f}%{100 * r['acc_spikes']:>8.2f}%"
              f"{100 * r['exact']:>8.2f}%{r['mse']:>9.4f}{r['samples_per_s']:>11.0f}")
    mean = {k: float(np.mean([r[k] for r in rows])) for k in ("acc_potential", "acc_spikes",
                                                               "exact", "mse")}
    print(f"{'mean':>5}{100 * mean['acc_potential']:>10.2f}%{100 * mean['acc_spikes']:>8.2f}%"
          f"{100 * mean['exact']:>8.2f}%{mean['mse']:>9.4f}")
    if not args.from_results:
        summary = {"dataset": args.dataset, "backend": args.backend, "epochs": args.epochs,
                   "last": args.last, "threshold": threshold, "per_seed": rows, "mean": mean}
        (Path("results") / f"{name}_summary.json").write_text(json.dumps(summary, indent=1)
                                                               + "\n")
    save_accuracy_figure(runs, args.dataset, figure)
    print(f"wrote {figure}" + ("" if args.from_results
                               else f", {out}, results/{name}_summary.json"))


if __name__ == "__main__":
    main()
