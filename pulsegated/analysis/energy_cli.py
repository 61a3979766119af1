"""``pulsegated energy``: modelled energy and time per sample of nBP on the Loihi chip.

Runs nBP training (the 12-phase circuit) and inference (the 4-step circuit) on the bit-exact Loihi
emulator, counts the chip's operations (``LoihiSimulator.operation_counts``), prices them with
Loihi's published per-operation costs (:mod:`pulsegated.analysis.energy`) and prints the model's
energy and time per sample beside the figures measured on the chip by Renner et al. (0.592 mJ and
1.48 ms per training sample, 0.0025 mJ and 0.169 ms per inference sample), with their ratio.

Training starts from the seed's initial weights on the first ``--max-samples`` samples of the
seed's order (as ``pulsegated train`` draws them); inference runs on the first ``--max-samples``
test samples with the weights the training left (``--mode both``) or the initial weights
(``--mode infer``).
"""

from __future__ import annotations

import json

from pulsegated.errors import UsageError

HELP = ("model the energy and time per sample of nBP (or per learning cycle of a graded "
        "circuit) on the Loihi chip from counted operations")

#: --circuit choices: nBP on the Loihi emulator, or a graded backprop circuit spiking in Brian2
CIRCUITS = ("nbp", "graded-linear-map", "graded-xor")

MODES = ("train", "infer", "both")
BACKENDS = ("loihi",)
#: the keys of one mode's record (``--json``: ``{"modes": {mode: record}}``)
MODE_KEYS = ("samples", "steps_per_sample", "counts_per_sample", "model", "chip", "ratio")
#: the counts reported per sample
COUNT_KEYS = ("spikes", "source_spikes", "synaptic_events", "compartment_updates",
              "active_updates", "learning_updates", "learning_coincidences")

#: option -> flag, for messages
FLAGS = {"dataset": "--dataset", "backend": "--backend", "seed": "--seed",
         "max_samples": "--max-samples", "threshold": "--threshold", "data_dir": "--data-dir"}


def add_arguments(p) -> None:
    from pulsegated.analysis.energy import LEARNING_COUNTS
    p.add_argument("--circuit", default="nbp", choices=CIRCUITS,
                   help="nbp: the 12-phase circuit on the Loihi emulator; graded-*: the graded "
                        "backprop circuit run spiking in Brian2, its operations counted from its "
                        "spikes (the same spike traffic priced as if on Loihi)")
    p.add_argument("--cycles", type=int, default=8,
                   help="graded circuits: learning cycles run")
    p.add_argument("--backend", default="loihi", choices=BACKENDS,
                   help="the simulator that counts the operations (the bit-exact Loihi emulator)")
    p.add_argument("--dataset", default="builtin", choices=("builtin", "mnist", "fashion-mnist"),
                   help="data (builtin: the 5000-digit subset shipped in the package)")
    p.add_argument("--max-samples", type=int, default=1000,
                   help="samples trained, and test samples inferred")
    p.add_argument("--mode", default="both", choices=MODES,
                   help="model training, inference, or both (inference then uses the trained "
                        "weights)")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the initial weights and the sample order (as in pulsegated train)")
    p.add_argument("--threshold", type=str, default=None,
                   help="binarisation: 'any', 'half' or a raw level (default: the dataset's)")
    p.add_argument("--data-dir", default=None,
                   help="the folder datasets are read from, nowhere else (default: "
                        "$PULSEGATED_DATA, else the user cache)")
    p.add_argument("--learning", default="visited", choices=tuple(LEARNING_COUNTS),
                   help="learning updates priced: synapses with an active pre or post neuron at "
                        "each epoch (visited) or pre/post coincidences only")
    p.add_argument("--static-power", type=float, default=None, metavar="WATTS",
                   help="static power of one chip in W (default: 0.104, Frady et al. 2020; 0 "
                        "for the dynamic energy alone)")
    p.add_argument("--codegen", default="numpy", choices=("numpy", "cython"),
                   help="Brian2 code generation of a graded circuit's run (default numpy: a few "
                        "cycles run in seconds, before Cython would have compiled)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _config(args):
    from pulsegated.training.cli import _threshold
    from pulsegated.training.trainer import TrainConfig
    if args.backend not in BACKENDS:
        raise UsageError(f"--backend must be one of {', '.join(BACKENDS)}, got {args.backend!r}")
    if args.mode not in MODES:
        raise UsageError(f"--mode must be one of {', '.join(MODES)}, got {args.mode!r}")
    if args.static_power is not None and not args.static_power >= 0:
        raise UsageError(f"--static-power must be a non-negative number of watts, got "
                         f"{args.static_power}")
    return TrainConfig(dataset=args.dataset, backend=args.backend, seed=args.seed,
                       max_samples=args.max_samples,
                       threshold=None if args.threshold is None else _threshold(args.threshold),
                       data_dir=args.data_dir).validate(FLAGS)


def _record(counts, circuit, costs, learning, chip) -> dict:
    """One mode's record: counts per sample, the model's estimate, the chip's figures, ratios."""
    from pulsegated.analysis.energy import estimate, layout
    n = int(counts["samples"])
    est = estimate(counts, costs, layout=layout(circuit, costs), learning=learning)
    return {
        "samples": n,
        "steps_per_sample": int(counts["steps"]) / n,
        "counts_per_sample": {k: int(counts[k]) / n for k in COUNT_KEYS},
        "model": est,
        "chip": dict(chip),
        "ratio": {"energy": est["energy_j"] / chip["energy_j"],
                  "dynamic_energy": est["dynamic_energy_j"] / chip["energy_j"],
                  "time": est["time_s"] / chip["time_s"]},
    }


def run_graded(args) -> int:
    """Energy and time per learning cycle of a graded circuit, from the spikes of a Brian2 run."""
    import dataclasses

    import numpy as np

    from pulsegated.analysis.energy import LoihiCosts, estimate, layout
    from pulsegated.analysis.spike_counts import operation_counts_from_spikes
    from pulsegated.gradedbp.circuit import linear_layer_circuit, two_layer_circuit
    from pulsegated.gradedbp.learn import CycleRunner, calibrated
    from pulsegated.gradedbp.params import GradedBPParams
    from pulsegated.gradedbp.tasks import LinearMapTask, XORTask

    if isinstance(args.cycles, bool) or not isinstance(args.cycles, int) or args.cycles < 1:
        raise UsageError(f"--cycles must be a positive integer, got {args.cycles!r}")
    if args.static_power is not None and not args.static_power >= 0:
        raise UsageError(f"--static-power must be a non-negative number of watts, got "
                         f"{args.static_power}")
    costs = LoihiCosts() if args.static_power is None else LoihiCosts(
        static_power=args.static_power)
    p = calibrated(GradedBPParams(), "spiking", args.seed)
    rng = np.random.default_rng(args.seed)
    if args.circuit == "graded-linear-map":
        task = LinearMapTask()
        W0 = rng.uniform(-0.2, 0.2, task.shape)
        x, t = task.samples(args.cycles, rng=rng)
        c = linear_layer_circuit(W0, p, rng=rng)
    else:
        xs, ts = XORTask().patterns()
        W1 = rng.uniform(-0.5, 0.5, (4, xs.shape[1]))
        W1[:, -1] = 0.5
        W2 = rng.uniform(-0.5, 0.5, (1, 5))
        order = np.arange(args.cycles) % 4
        x, t = xs[order], ts[order]
        c = two_layer_circuit(W1, W2, p, rng=rng)
    runner = CycleRunner(c, "spiking", seed=args.seed, codegen=args.codegen,
                         record=list(c.populations) + list(c.sources))
    try:
        runner.run(x, t)
        sim = runner.sim
        spikes = {name: sim.spikes(name) for name in list(c.populations) + list(c.sources)}
        counts = operation_counts_from_spikes(c, spikes, sim.t, samples=args.cycles)
    finally:
        runner.close()
    est = estimate(counts, costs, layout=layout(c, costs), learning=args.learning)
    n = args.cycles
    out = {"circuit": args.circuit, "backend": "brian2", "seed": args.seed, "cycles": n,
           "steps_per_cycle": int(counts["steps"]) / n,
           "network_time_per_cycle_s": int(counts["steps"]) / n * float(c.dt),
           "counts_per_cycle": {k: int(counts[k]) / n for k in COUNT_KEYS},
           "learning": args.learning, "costs": dataclasses.asdict(costs), "model": est}
    if args.json:
        print(json.dumps(out, default=float))
        return 0
    m = est
    print(f"{args.circuit}: {n} learning cycles spiking in Brian2 (seed {args.seed}), "
          f"{out['steps_per_cycle']:.0f} steps of {float(c.dt) * 1e3:g} ms per cycle "
          f"({1e3 * out['network_time_per_cycle_s']:.0f} ms of network time); the operations "
          f"counted from the spikes, priced at Loihi's costs; {m['n_cores']} cores")
    print("  per cycle: " + ", ".join(f"{k.replace('_', ' ')} {v:,.0f}"
                                      for k, v in out["counts_per_cycle"].items()))
    print("  energy (uJ): " + ", ".join(f"{k.replace('_', ' ')} {1e6 * v:.3f}"
                                       for k, v in m["energy_breakdown_j"].items()))
    print(f"  per cycle: energy {1e3 * m['energy_j']:.4f} mJ (dynamic "
          f"{1e3 * m['dynamic_energy_j']:.4f} mJ), time {1e3 * m['time_s']:.4f} ms")
    return 0


def run(args) -> int:
    import dataclasses

    if getattr(args, "circuit", "nbp") != "nbp":
        return run_graded(args)

    from pulsegated.analysis.energy import CHIP_FIGURES, LoihiCosts
    from pulsegated.backends import Simulator
    from pulsegated.nbp import rule
    from pulsegated.nbp.network import inference_circuit
    from pulsegated.nbp.spiking import LoihiBackend
    from pulsegated.training.trainer import (N_OUT, data_provenance, load_training_data,
                                             sample_orders, seed_streams)

    config = _config(args)
    costs = LoihiCosts() if args.static_power is None else LoihiCosts(
        static_power=args.static_power)
    Xtr, ytr, Xte, _ = load_training_data(config)
    n = config.max_samples
    init_rng, _ = seed_streams(config.seed)
    W1, W2 = rule.init_weights(Xtr.shape[1], config.n_hidden, N_OUT, init_rng)
    modes = {}
    if args.mode in ("train", "both"):
        idx = sample_orders(config.seed, len(Xtr), 1, n)[0]
        backend = LoihiBackend(W1, W2, chunk=min(len(idx), LoihiBackend.default_chunk))
        try:
            backend.train(Xtr[idx], ytr[idx])
            modes["train"] = _record(backend.sim.operation_counts(), backend.circuit, costs,
                                     args.learning, CHIP_FIGURES["train"])
            W1, W2 = backend.weights()
        finally:
            backend.close()
    if args.mode in ("infer", "both"):
        X = Xte[:n]
        circuit = inference_circuit(W1, W2)
        sim = Simulator(circuit, backend=args.backend, record=["o"])
        try:
            chunk = LoihiBackend.default_infer_chunk
            for a in range(0, len(X), chunk):
                sim.run_samples({"pixels": X[a:a + chunk]})
            modes["infer"] = _record(sim.operation_counts(), circuit, costs, args.learning,
                                     CHIP_FIGURES["infer"])
        finally:
            sim.close()
    out = {"backend": args.backend, "dataset": config.dataset, "data": data_provenance(config),
           "seed": config.seed, "max_samples": n, "learning": args.learning,
           "costs": dataclasses.asdict(costs), "modes": modes}
    if args.json:
        print(json.dumps(out, default=float))
    else:
        _print_table(out)
    return 0


def _print_table(out: dict) -> None:
    print(f"nBP on Loihi: modelled from the operations the emulator counted "
          f"({out['dataset']} data, seed {out['seed']}, learning updates: {out['learning']}); "
          f"chip: measured by Renner et al.")
    for mode, rec in out["modes"].items():
        m, chip, r = rec["model"], rec["chip"], rec["ratio"]
        c = rec["counts_per_sample"]
        print(f"\n{mode}: {rec['samples']} samples, {rec['steps_per_sample']:.2f} steps each, "
              f"{m['n_cores']} cores ({m['n_tiles']} tile{'s' if m['n_tiles'] != 1 else ''})")
        print("  per sample: " + ", ".join(f"{k.replace('_', ' ')} {v:,.0f}"
                                          for k, v in c.items()))
        e = m["energy_breakdown_j"]
        print("  energy (uJ): " + ", ".join(f"{k.replace('_', ' ')} {1e6 * v:.3f}"
                                           for k, v in e.items()))
        t = m["busiest_core_s"]
        print(f"  time (us): busiest core {1e6 * m['time_breakdown_s']['busiest_core']:.2f} "
              f"(" + ", ".join(f"{k.replace('_', ' ')} {1e6 * v:.2f}" for k, v in t.items())
              + f"), barrier sync {1e6 * m['time_breakdown_s']['barrier_sync']:.3f}")
        print(f"  {'':<10}{'energy (mJ)':>14}{'dynamic (mJ)':>14}{'time (ms)':>12}")
        print(f"  {'model':<10}{1e3 * m['energy_j']:>14.4f}{1e3 * m['dynamic_energy_j']:>14.4f}"
              f"{1e3 * m['time_s']:>12.4f}")
        print(f"  {'chip':<10}{1e3 * chip['energy_j']:>14.4f}{'':>14}{1e3 * chip['time_s']:>12.4f}")
        print(f"  {'model/chip':<10}{r['energy']:>14.3f}{r['dynamic_energy']:>14.3f}"
              f"{r['time']:>12.3f}")
