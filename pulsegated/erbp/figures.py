"""The eRBP figures: one training sample of a briefly trained network, and learning curves.

``python -m pulsegated.erbp.figures --out figures`` writes

``erbp_sample_raster.png``
    A network trained briefly (default 5000 samples at dt = 1 ms; on MNIST if it is on the data
    search path, otherwise on the package's built-in 20x20 digits), then one training sample
    recorded in full (:func:`pulsegated.erbp.diagnostics.record_sample`): the raster of data,
    label, hidden, prediction, error+ and error- neurons, and the current ``I`` with the boxcar and
    the dendrite ``U`` of one hidden neuron.  The sample shown is, among the first ``--tries``
    training images, the one with the most error spikes (the error pathway at work); recording
    it leaves the weights unchanged.
``erbp_learning_curves.png``
    Test error per epoch (and the online training error) of every ``erbp_*/history.json`` record
    under ``--records`` (default: ``results/`` of the source checkout, else of the current
    folder), with the published 3.94 %.

``--fast``: the built-in digits, 300 training samples (< 1 min once Brian2's Cython cache is
warm).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["brief_training", "diagnostic_sample", "sample_figure", "curves_figure",
           "default_records"]


def _say(msg: str) -> None:
    print(f"erbp figures: {msg}", file=sys.stderr, flush=True)


def brief_training(dataset: str = "auto", hidden=(100,), samples: int = 2000, dt: float = 1e-3,
                   seed: int = 0, eval_test: int | None = 1000, codegen: str = "cython",
                   data_dir=None, param_overrides: dict | None = None, log=_say):
    """Train an eRBP network for one short epoch and test it.

    Parameters
    ----------
    dataset : {"auto", "mnist", "builtin"}
        ``auto``: MNIST if its files are on the data search path, else the built-in digits (with
        a message through ``log``).
    hidden : tuple of int
    samples : int
        Class-balanced training samples.
    dt : float
        Simulation step (s).
    eval_test : int or None
        Test images evaluated after the epoch (None: all).
    param_overrides : dict, optional
        Other :class:`~pulsegated.erbp.params.ERBPParams` fields.
    log : callable
        Progress notices.

    Returns
    -------
    (ERBPTrainer, list of dict)
        The trainer (its network ``trainer.net`` holds the trained weights) and the history (one
        record).
    """
    from pulsegated.data.paths import DatasetNotFoundError
    from pulsegated.erbp.training import ERBPConfig, ERBPTrainer, load_data

    cfg = dict(hidden=tuple(hidden), epochs=1, max_samples=int(samples), seed=int(seed), dt=dt,
               eval_test=eval_test, codegen=codegen, data_dir=data_dir,
               param_overrides=dict(param_overrides or {}))
    data = None
    if dataset == "auto":
        try:
            data = load_data(ERBPConfig(dataset="mnist", **cfg))
            dataset = "mnist"
        except DatasetNotFoundError:
            log("MNIST is not on the data search path (set PULSEGATED_DATA or run `pulsegated "
                "data`): using the built-in 20x20 digits")
            dataset = "builtin"
    config = ERBPConfig(dataset=dataset, **cfg)
    trainer = ERBPTrainer(config, log=log, data=data)
    history = trainer.run()
    return trainer, history


def diagnostic_sample(trainer, tries: int = 10, start: int = 0):
    """Record training samples ``start .. start + tries - 1`` and return the one with the most
    error spikes (the weights are put back after each).

    Returns
    -------
    (SampleRecord, int)
        The record and the sample's index in the training set.
    """
    from pulsegated.erbp.diagnostics import record_sample

    best, best_n, best_i = None, -1, None
    for i in range(start, min(start + max(int(tries), 1), len(trainer.Xtr))):
        rec = record_sample(trainer.net, trainer.Xtr[i], int(trainer.ytr[i]), train=True,
                            keep_weights=True)
        n = rec.n_spikes(("error+", "error-"))
        if n > best_n:
            best, best_n, best_i = rec, n, i
    return best, best_i


def sample_figure(path, fast: bool = False, dataset: str | None = None, samples: int | None = None,
                  hidden=(100,), dt: float = 1e-3, seed: int = 0, tries: int | None = None,
                  data_dir=None, log=_say) -> Path:
    """Train briefly, record one training sample and write :func:`plot_sample` to ``path``."""
    from pulsegated.plotting.erbp import save_sample_figure

    dataset = dataset or ("builtin" if fast else "auto")
    samples = samples or (300 if fast else 5000)
    tries = tries or (4 if fast else 10)
    t0 = time.perf_counter()
    trainer, history = brief_training(dataset, hidden, samples, dt, seed,
                                      eval_test=200 if fast else 1000, data_dir=data_dir, log=log)
    rec, index = diagnostic_sample(trainer, tries)
    h = history[-1]
    name = {"mnist": "MNIST", "builtin": "the built-in 20x20 digits"}[trainer.config.dataset]
    title = (f"eRBP {h['network']} on {name} after {h['samples']} training samples "
             f"(dt = {h['dt_ms']:g} ms)\ntest error {100 * h['test_error']:.1f} % on "
             f"{h['test_samples']} test images; below: training image {index}, learning on")
    out = save_sample_figure(rec, path, title=title)
    log(f"{out}: {time.perf_counter() - t0:.0f} s")
    return out


def default_records() -> Path:
    """``results/`` of the source checkout if it holds eRBP records, else ``./results``."""
    from pulsegated.reproduce import source_root
    src = source_root() / "results"
    return src if any(src.glob("erbp_*/history.json")) else Path("results")


def reference_curves(records, network: str) -> dict:
    """``{label: (epochs, errors %)}`` of the numpy random BP and BP rows of ``network`` stored
    by :mod:`pulsegated.erbp.table` under ``records/erbp_reference/`` (mean over the seeds of
    the longest stored runs); empty when there are none."""
    import json

    import numpy as np

    files = sorted(Path(records).glob(f"erbp_reference/{network}_seed*_*ep.json"))
    if not files:
        return {}
    longest = max(int(f.stem.rsplit("_", 1)[1][:-2]) for f in files)
    rows = [json.loads(f.read_text()) for f in files if f.stem.endswith(f"_{longest}ep")]
    out = {}
    for alg, name in (("rbp", "random BP"), ("bp", "BP")):
        errs = np.array([[r["test_error"] for r in rs if r["algorithm"] == alg] for rs in rows])
        out[f"numpy {name}, same network ({len(rows)} seeds)"] = (
            np.arange(1, errs.shape[1] + 1), 100 * errs.mean(axis=0))
    return out


def curves_figure(path, records=None, log=_say) -> Path:
    """Write the learning curves of every ``erbp_*/history.json`` under ``records``: one panel
    per network, each with the published figure and the stored numpy reference rows."""
    from pulsegated.erbp.table import PUBLISHED
    from pulsegated.plotting.erbp import (load_histories, save_learning_curves_by_network,
                                          split_by_network)

    records = Path(records) if records is not None else default_records()
    runs = load_histories(records)
    if not runs:
        log(f"no erbp_*/history.json under {records}: the figure shows the reference only")
    networks = list(split_by_network(runs)) or ["784-100-10"]
    out = save_learning_curves_by_network(
        runs, path, published={n: p[0] for n, p in PUBLISHED.items()},
        numpy_rows={n: reference_curves(records, n) for n in networks},
        title="eRBP on MNIST (pulsegated erbp runs)")
    log(f"{out}: {len(runs)} run(s) from {records}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="figures", help="folder of the figures (default figures)")
    ap.add_argument("--only", choices=("sample", "curves"), default=None,
                    help="one figure (default: both)")
    ap.add_argument("--fast", action="store_true",
                    help="built-in digits, 300 training samples")
    ap.add_argument("--dataset", choices=("auto", "mnist", "builtin"), default=None,
                    help="data of the sample figure (default: auto; builtin with --fast)")
    ap.add_argument("--samples", type=int, default=None,
                    help="training samples before the recorded one (default 5000; 300 fast)")
    ap.add_argument("--hidden", type=int, nargs="+", default=[100])
    ap.add_argument("--dt", type=float, default=1.0, help="step in ms (default 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--records", default=None,
                    help="folder holding erbp_*/history.json (default: results/ of the source "
                         "checkout, else ./results)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "sample"):
        print(sample_figure(out / "erbp_sample_raster.png", args.fast, args.dataset,
                            args.samples, tuple(args.hidden), args.dt * 1e-3, args.seed))
    if args.only in (None, "curves"):
        print(curves_figure(out / "erbp_learning_curves.png", args.records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
