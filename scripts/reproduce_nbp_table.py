"""Reproduce the accuracy table of the nBP rule: full dataset, several seeds, many epochs.

Runs the ``nbp_accuracy`` study (:mod:`pulsegated.explore.nbp_study`: ``pulsegated.training.
Trainer``, reference backend by default) for every seed through the sweep framework
(:func:`pulsegated.explore.sweep`), writes every evaluation to ``results/<name>.jsonl``, prints
per seed the mean of the last 10 epochs of each readout, the mean over seeds, and writes
``figures/<name>_accuracy.png``.

    python scripts/reproduce_nbp_table.py --dataset mnist --epochs 60 --seeds 0 1 2
    python scripts/reproduce_nbp_table.py --dataset fashion-mnist --epochs 60 --seeds 0 1 2
    python scripts/reproduce_nbp_table.py --dataset mnist --workers 3   # seeds in parallel
    python scripts/reproduce_nbp_table.py --dataset mnist --from-results   # replot, no training
    python scripts/reproduce_nbp_table.py --dataset mnist --variant all    # a circuit variant
    python scripts/reproduce_nbp_table.py --dataset mnist --hidden 1000    # a wider hidden layer

Finished seeds are kept in ``results/<name>.sqlite``: running the same command again trains only
the seeds not finished yet (a changed setting needs another ``--name`` or the file removed).  A
seed that fails is recorded with its error, reported, and left out of the table; the exit
status is then 1.  The same sweep as a specification: ``scripts/sweeps/nbp_table_mnist.toml``.

``--from-results`` reads the records of an earlier run from ``results/<name>.jsonl`` and only
prints the table and redraws the figure.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from pulsegated.atomic import atomic_open
from pulsegated.errors import UsageError
from pulsegated.explore.nbp_study import (check_threshold, history_from_metrics,
                                          summarise_history, train_config)


def summarise(runs: dict, last: int) -> list:
    """Per seed: means of the last ``last`` test readouts (:func:`summarise_history`)."""
    return [{"seed": seed, **summarise_history(hist, last)} for seed, hist in runs.items()]


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


def table_sweep(dataset: str, epochs: int, backend: str, threshold=None,
                data_dir=None, variant: str = "paper", n_hidden: int = 400) -> tuple:
    """``(design, fixed)`` of the ``nbp_accuracy`` sweep of the table.

    With the default threshold and data folder this is the sweep of
    ``scripts/sweeps/nbp_table_mnist.toml`` (``nbp_table_fashion_mnist.toml``).
    """
    from pulsegated.explore import Grid

    fixed = {"epochs": epochs, "backend": backend}
    if variant != "paper":
        fixed["variant"] = variant
    if n_hidden != 400:
        fixed["n_hidden"] = n_hidden
    if threshold is not None:
        fixed["threshold"] = threshold
    if data_dir is not None:
        fixed["data_dir"] = str(data_dir)
    return Grid(dataset=[dataset]), fixed


def train_seeds(args, threshold, store: Path) -> tuple:
    """Run the seeds through the sweep (resuming ``store``); ``(runs, failures)``.

    ``runs``: ``{seed: history}`` of the finished seeds in ``args.seeds`` order; ``failures``:
    ``{seed: error text}``.
    """
    from pulsegated.explore import sweep

    design, fixed = table_sweep(args.dataset, args.epochs, args.backend, threshold,
                                args.data_dir, args.variant, args.hidden)
    train_config({**fixed, "dataset": args.dataset})  # bad settings: stop before any training
    try:
        df = sweep("nbp_accuracy", design, fixed=fixed, seeds=args.seeds, store=store,
                   workers=args.workers)
    except UsageError as e:
        if "holds the results of another sweep" in str(e):
            raise UsageError(f"{store} holds the seeds of a run with other settings; give "
                             f"another --name or remove {store} to start afresh") from None
        raise
    runs, failures = {}, {}
    for row in df.sort_values("seed", key=lambda s: s.map(args.seeds.index)).itertuples():
        if isinstance(row.error, str):
            failures[int(row.seed)] = row.error
        else:
            runs[int(row.seed)] = history_from_metrics(row.history)
    return runs, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="mnist", choices=("mnist", "fashion-mnist", "builtin"))
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--threshold", default=None)
    ap.add_argument("--backend", default="reference")
    ap.add_argument("--last", type=int, default=10, help="average over the last N epochs")
    ap.add_argument("--variant", default="paper",
                    help="circuit variant (pulsegated.nbp.variants.VARIANTS; default: paper)")
    ap.add_argument("--hidden", type=int, default=400,
                    help="hidden units (default 400, the published circuit's)")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--name", default=None)
    ap.add_argument("--store", default=None,
                    help="result store of the sweep (default results/<name>.sqlite); e.g. the "
                         "results.sqlite of 'pulsegated sweep scripts/sweeps/nbp_table_mnist.toml'"
                         ", whose finished seeds are then reused")
    ap.add_argument("--workers", type=int, default=1,
                    help="seeds trained in parallel on this many local processes (default 1: "
                         "one after the other in this process)")
    ap.add_argument("--from-results", action="store_true",
                    help="no training: table and figure from results/<name>.jsonl")
    args = ap.parse_args()
    if args.last < 1:
        ap.error(f"--last must be a positive integer, got {args.last}")
    if args.hidden < 1:
        ap.error(f"--hidden must be a positive integer, got {args.hidden}")
    if args.workers < 1:
        ap.error(f"--workers must be a positive integer, got {args.workers}")
    try:
        threshold = check_threshold(args.threshold)
    except UsageError as e:
        ap.error(f"--{e}")
    try:
        from pulsegated.nbp.variants import record_name, variant
        variant(args.variant)
    except UsageError as e:
        ap.error(f"--variant: {e}")
    name = args.name or record_name(args.dataset, args.variant, args.hidden, args.backend)
    out = Path("results") / f"{name}.jsonl"
    out.parent.mkdir(exist_ok=True)
    figure = Path("figures") / f"{name}_accuracy.png"
    t_start = time.perf_counter()
    failures = {}
    if args.from_results:
        runs = load_runs(out)
        args.epochs = max(len(h) for h in runs.values())
    else:
        try:
            store = Path(args.store) if args.store else Path("results") / f"{name}.sqlite"
            runs, failures = train_seeds(args, threshold, store)
        except UsageError as e:
            print(f"reproduce_nbp_table: {e}", file=sys.stderr)
            return 2
        for seed, error in failures.items():
            print(f"seed {seed} failed: {error.strip().splitlines()[-1]}", file=sys.stderr)
        if not runs:
            print(f"no seed finished; errors in {store}", file=sys.stderr)
            return 1
        records = [r for hist in runs.values() for r in hist]
        with atomic_open(out) as f:
            f.write("".join(json.dumps(r) + "\n" for r in records).encode())

    rows = summarise(runs, args.last)
    print(f"\n{args.dataset}, {args.backend}, variant {args.variant}, {args.hidden} hidden, "
          f"{args.epochs} epochs, "
          f"mean of the last {args.last} "
          f"epochs (test set), wall {time.perf_counter() - t_start:.0f} s")
    print(f"{'seed':>5}{'potential':>11}{'spikes':>9}{'exact':>9}{'mse':>9}{'samples/s':>11}"
          f"{'worst class':>13}")
    for r in rows:
        worst = r.get("worst_class_potential")
        print(f"{r['seed']:>5}{100 * r['acc_potential']:>10.2f}%{100 * r['acc_spikes']:>8.2f}%"
              f"{100 * r['exact']:>8.2f}%{r['mse']:>9.4f}{r['samples_per_s'] or 0:>11.0f}"
              + ("" if worst is None else f"{100 * worst:>12.2f}%"))
    mean = {k: float(np.mean([r[k] for r in rows])) for k in ("acc_potential", "acc_spikes",
                                                               "exact", "mse",
                                                               "worst_class_potential",
                                                               "acc_first_spike")
            if all(k in r for r in rows)}
    print(f"{'mean':>5}{100 * mean['acc_potential']:>10.2f}%{100 * mean['acc_spikes']:>8.2f}%"
          f"{100 * mean['exact']:>8.2f}%{mean['mse']:>9.4f}")
    if "acc_first_spike" in mean:
        print(f"ramp readout (first spike): "
              + "  ".join(f"seed {r['seed']} {100 * r['acc_first_spike']:.2f}%" for r in rows)
              + f"  mean {100 * mean['acc_first_spike']:.2f}%")
    if failures:
        print(f"{'':>5} seeds {sorted(failures)} failed and are not in the table")
    if not args.from_results:
        summary = {"dataset": args.dataset, "backend": args.backend, "epochs": args.epochs,
                   "variant": variant(args.variant).to_dict(), "n_hidden": args.hidden,
                   "last": args.last, "threshold": threshold, "per_seed": rows, "mean": mean}
        if failures:
            summary["failed"] = {str(s): e.strip().splitlines()[-1] for s, e in failures.items()}
        (Path("results") / f"{name}_summary.json").write_text(json.dumps(summary, indent=1)
                                                               + "\n")
    save_accuracy_figure(runs, args.dataset, figure)
    print(f"wrote {figure}" + ("" if args.from_results
                               else f", {out}, results/{name}_summary.json"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
