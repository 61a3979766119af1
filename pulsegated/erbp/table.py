"""The eRBP results table: the spiking runs under ``results/`` beside the published numbers and the
numpy random-BP / BP rows of the same architectures.

``python -m pulsegated.erbp.table`` reads every ``erbp_*/history.json`` run folder under
``--records`` (their settings from ``run.json``), computes the numpy reference rows that are
missing (:func:`pulsegated.erbp.training.reference_rows`: same initial weights, feedback matrix and
per-epoch sample orders as a spiking run of that seed) into ``--records/erbp_reference/``, prints
a Markdown table and writes ``erbp_table.json``.  A run's figure is the mean of its last five
test evaluations (the authors' convention), or its last one while it has fewer than five epochs
(marked).  The reference rows need the full MNIST files; without them the table has none.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from pulsegated.atomic import atomic_open
from pulsegated.errors import UsageError

__all__ = ["PUBLISHED", "collect_runs", "reference_table", "build_table", "markdown", "main"]

#: test error (%) of the authors' table: eRBP, and their GPU random BP and BP
PUBLISHED = {"784-100-10": (3.94, 2.74, 2.19), "784-200-10": (3.53, 2.15, 1.81),
             "784-500-10": (2.76, 2.08, 1.8), "784-200-200-10": (3.48, 2.42, 1.91),
             "784-500-500-10": (2.02, 2.20, 1.90)}

LAST = 5


def _figure(errors) -> tuple[float, bool]:
    """(figure in %, complete): the mean of the last five test errors, or the last one of a run
    with fewer epochs."""
    errors = list(errors)
    if len(errors) < LAST:
        return 100 * float(errors[-1]), False
    return 100 * float(np.mean(errors[-LAST:])), True


def collect_runs(records) -> list[dict]:
    """Every eRBP run folder under ``records``: its settings and per-epoch test errors."""
    runs = []
    for hist in sorted(Path(records).glob("erbp_*/history.json")):
        try:
            history = json.loads(hist.read_text())
            info = json.loads((hist.parent / "run.json").read_text())
        except (OSError, ValueError):
            continue
        if not history or info.get("config", {}).get("dataset") != "mnist":
            continue
        cfg = info["config"]
        last = history[-1]
        over = cfg.get("param_overrides", {})
        params = info.get("identity", {}).get("params", {})
        eta = over.get("eta", 6e-4)
        runs.append({"folder": hist.parent.name, "algorithm": last["algorithm"],
                     "network": last["network"], "dt_ms": last["dt_ms"], "bits": last["bits"],
                     "seed": last["seed"], "eta": eta,
                     "eta_halve_at": list(cfg.get("eta_halve_at", [])),
                     "max_samples": cfg.get("max_samples"),
                     "output_dendrite_weight": params.get("output_dendrite_weight"),
                     "test_errors": [h["test_error"] for h in history]})
    return runs


def _setting(run: dict) -> str:
    s = f"{run['algorithm']}, dt {run['dt_ms']:g} ms, eta {run['eta']:g}"
    if run["eta_halve_at"]:
        s += f" halved at epochs {','.join(map(str, run['eta_halve_at']))}"
    w = run.get("output_dendrite_weight")
    if w is not None:   # None: the authors' 0.09, the default
        s += f", output dendrites {w:g}"
    if run["bits"]:
        s += f", {run['bits']}-bit"
    if run["max_samples"]:
        s += f", {run['max_samples']} samples/epoch"
    return s


def reference_table(records, hidden: int, seed: int, epochs: int, data=None,
                    log=None) -> list[dict] | None:
    """The numpy RBP and BP rows of 784-``hidden``-10 for ``seed`` over ``epochs`` epochs, from
    ``records/erbp_reference/`` or computed (and stored); None without the MNIST files.
    ``data``: the MNIST arrays, or a callable that loads them (called only to compute)."""
    from pulsegated.erbp.training import ERBPConfig, reference_rows

    path = Path(records) / "erbp_reference" / f"784-{hidden}-10_seed{seed}_{epochs}ep.json"
    if path.is_file():
        return json.loads(path.read_text())
    if callable(data):
        data = data()
    if data is None:
        if log:
            log(f"no reference rows for 784-{hidden}-10 (seed {seed}): the MNIST files are not "
                f"on the data search path")
        return None
    config = ERBPConfig(hidden=(hidden,), dataset="mnist", epochs=epochs, seed=seed)
    rows = reference_rows(config, data=data,
                          log=None if log is None else
                          (lambda r: log(f"784-{hidden}-10 seed {seed} {r['algorithm']} epoch "
                                         f"{r['epoch']}: {100 * r['test_error']:.2f} %")))
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path) as f:
        f.write((json.dumps(rows, indent=1) + "\n").encode())
    return rows


def _reference_at(rows_by_seed, epochs: int) -> dict | None:
    """The numpy rows' figures after ``epochs`` epochs (mean over seeds), or None when they
    were run for fewer."""
    ref = {}
    for alg in ("rbp", "bp"):
        figs = []
        for rows in rows_by_seed:
            errs = [r["test_error"] for r in rows if r["algorithm"] == alg][:epochs]
            if len(errs) < epochs:
                return None
            figs.append(_figure(errs)[0])
        ref[alg] = float(np.mean(figs))
    return {"epochs": epochs, "seeds": len(rows_by_seed), **ref}


def build_table(records, reference_epochs: int = 0, seeds=(0, 1), log=None) -> dict:
    """The table as a dict: per network, the published row, our spiking settings (per seed
    and mean, each beside the numpy reference rows after as many epochs, mean over ``seeds``)
    and the reference rows after ``reference_epochs``."""
    runs = collect_runs(records)
    networks = sorted({r["network"] for r in runs} | {"784-100-10", "784-200-10"},
                      key=lambda n: (len(n), n))
    table = {}
    loaded = []

    def data():   # loaded once, when a reference row must be computed
        if not loaded:
            loaded.append(_mnist())
        return loaded[0]

    for net in networks:
        parts = net.split("-")
        rows_by_seed = []
        if reference_epochs and len(parts) == 3:
            for seed in seeds:
                rows = reference_table(records, int(parts[1]), seed, reference_epochs, data,
                                       log)
                if rows is not None:
                    rows_by_seed.append(rows)
        entry = {"published": dict(zip(("erbp", "rbp_gpu", "bp_gpu"), PUBLISHED.get(net,
                                                                                   (None,) * 3))),
                 "spiking": [], "reference": None}
        groups = {}
        for r in runs:
            if r["network"] == net:
                groups.setdefault(_setting(r), []).append(r)
        for setting, rs in sorted(groups.items()):
            longest = {}   # one run per seed: the one with the most epochs
            for r in rs:
                if len(r["test_errors"]) > len(longest.get(r["seed"], {"test_errors": ()})
                                               ["test_errors"]):
                    longest[r["seed"]] = r
            seeds_rows = []
            for r in sorted(longest.values(), key=lambda r: r["seed"]):
                fig, complete = _figure(r["test_errors"])
                seeds_rows.append({"seed": r["seed"], "epochs": len(r["test_errors"]),
                                   "error": fig, "last5": complete, "folder": r["folder"]})
            epochs = max(s["epochs"] for s in seeds_rows)
            entry["spiking"].append({
                "setting": setting, "seeds": seeds_rows,
                "mean": float(np.mean([s["error"] for s in seeds_rows])),
                "reference": _reference_at(rows_by_seed, epochs) if rows_by_seed else None})
        if rows_by_seed:
            entry["reference"] = _reference_at(rows_by_seed, reference_epochs)
        table[net] = entry
    return table


def _mnist():
    from pulsegated.erbp.training import ERBPConfig, load_data
    try:
        return load_data(ERBPConfig(dataset="mnist"))
    except (UsageError, FileNotFoundError):
        return None


def _ref_text(ref) -> str:
    return (f"{ref['rbp']:.2f} % / {ref['bp']:.2f} % ({ref['epochs']} epochs, {ref['seeds']} "
            f"seeds)" if ref else "-")


def markdown(table: dict) -> str:
    """The table in Markdown: one line per network and setting, the numpy rows after as many
    epochs as the setting's longest run; a network's line without a run shows them after the
    reference epochs."""
    out = ["| network | published eRBP / RBP / BP | here: setting | seeds (epochs) | mean | "
           "numpy RBP / BP, same epochs |", "|---|---|---|---|---|---|"]
    for net, e in table.items():
        pub = e["published"]
        pub_s = (" / ".join(f"{v:g} %" for v in pub.values()) if pub["erbp"] is not None
                 else "-")
        if not e["spiking"]:
            out.append(f"| {net} | {pub_s} | (no run) | - | - | {_ref_text(e['reference'])} |")
        for s in e["spiking"]:
            ref_s = _ref_text(s["reference"])
            seeds = ", ".join(f"{r['error']:.2f} % ({r['epochs']}{'' if r['last5'] else '*'})"
                              for r in s["seeds"])
            out.append(f"| {net} | {pub_s} | {s['setting']} | {seeds} | {s['mean']:.2f} % | "
                       f"{ref_s} |")
    out.append("")
    out.append(f"A figure is the mean of the last {LAST} test evaluations; * marks a run with "
               f"fewer epochs (its last evaluation).")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", default="results",
                    help="folder holding the erbp_* run folders (default: results)")
    ap.add_argument("--reference-epochs", type=int, default=0,
                    help="epochs of the numpy RBP / BP rows (computed once, stored; 0: none)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1],
                    help="seeds of the reference rows (default: 0 1)")
    ap.add_argument("--out", default=None,
                    help="JSON file of the table (default: <records>/erbp_table.json)")
    args = ap.parse_args(argv)
    if args.reference_epochs < 0:
        raise SystemExit("--reference-epochs must be 0 or more")
    if not Path(args.records).is_dir():
        raise SystemExit(f"--records {args.records}: no such folder")

    def log(msg):
        print(f"erbp table: {msg}", file=sys.stderr, flush=True)

    table = build_table(args.records, args.reference_epochs, tuple(args.seeds), log=log)
    out = Path(args.out) if args.out else Path(args.records) / "erbp_table.json"
    with atomic_open(out) as f:
        f.write((json.dumps({"command": "python -m pulsegated.erbp.table "
                             + " ".join(argv if argv is not None else sys.argv[1:]),
                             "table": table}, indent=1) + "\n").encode())
    print(markdown(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
