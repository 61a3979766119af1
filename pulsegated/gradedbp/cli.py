"""``pulsegated graded-bp``: the graded pulse-gated backprop circuit learns a task."""

from __future__ import annotations

import json
import sys

from pulsegated.errors import UsageError

HELP = ("graded pulse-gated backpropagation: a layer of graded spiking populations learns a "
        "linear map (mean field, or spiking in Brian2 with --spiking)")

TASKS = ("linear-map",)


def add_arguments(p) -> None:
    p.add_argument("--task", choices=TASKS, default="linear-map",
                   help="what the circuit learns: y = A x for the built-in 3x3 target matrix A")
    p.add_argument("--spiking", action="store_true",
                   help="run the spiking circuit in Brian2 (default: its mean field)")
    p.add_argument("--seed", type=int, default=0, help="seed of inputs, initial weights, network")
    p.add_argument("--cycles", type=int, default=300, help="learning cycles (one input each)")
    p.add_argument("--eta", type=float, default=0.8,
                   help="learning rate per cycle (the rule is W += eta (t - o) x^T)")
    p.add_argument("--neurons", type=int, default=100, help="neurons per population")
    p.add_argument("--device", choices=("runtime", "cpp_standalone"), default="runtime",
                   help="with --spiking: Brian2 device")
    p.add_argument("--codegen", choices=("numpy", "cython"), default="numpy",
                   help="with --spiking and the runtime device: code generation target")
    p.add_argument("--build-dir", default=None,
                   help="with --device cpp_standalone: keep the compiled project in this folder "
                        "(default: a temporary folder, removed afterwards)")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per learning cycle on stdout (cycle, loss, W, target, "
                        "max_weight_error, mode)")


def _check(args) -> None:
    if args.cycles < 1:
        raise UsageError(f"--cycles must be at least 1, got {args.cycles}")
    if not 0 < args.eta <= 2:
        raise UsageError(f"--eta must lie in (0, 2], got {args.eta}")
    if not 10 <= args.neurons <= 2000:
        raise UsageError(f"--neurons must lie in 10..2000, got {args.neurons}")
    if not args.spiking and (args.device != "runtime" or args.codegen != "numpy"
                             or args.build_dir is not None):
        raise UsageError("--device, --codegen and --build-dir apply with --spiking only")
    if args.build_dir is not None and args.device != "cpp_standalone":
        raise UsageError("--build-dir applies with --device cpp_standalone only")


def run(args) -> int:
    _check(args)
    from dataclasses import replace

    import numpy as np

    from pulsegated.gradedbp.learn import learn_linear_map
    from pulsegated.gradedbp.params import GradedBPParams

    p = GradedBPParams(eta=args.eta)
    p = replace(p, chain=replace(p.chain, n=args.neurons))
    mode = "spiking" if args.spiking else "meanfield"
    options = {}
    if args.spiking:
        options = {"device": args.device}
        if args.device == "runtime":
            options["codegen"] = args.codegen
        elif args.build_dir is not None:
            options["build_dir"] = args.build_dir

    def emit(rec):
        if args.json:
            print(json.dumps({k: rec[k] for k in ("cycle", "loss", "W", "target",
                                                  "max_weight_error", "mode")}), flush=True)
        elif rec["cycle"] % 25 == 0 or rec["cycle"] == args.cycles:
            print(f"cycle {rec['cycle']:4d}  loss {rec['loss']:.2e}  "
                  f"max |W - A| / max |A| {rec['max_weight_error']:.3f}", flush=True)

    res = learn_linear_map(cycles=args.cycles, p=p, mode=mode, seed=args.seed, callback=emit,
                           runner_options=options, progress=not args.json and sys.stderr.isatty())
    if not args.json:
        W = res["W_history"][-1]
        print(f"{mode}: {res['seconds_per_cycle']:.3f} s per cycle; final W (target A):")
        for k in range(W.shape[0]):
            print("  " + "  ".join(f"{W[k, j]:+.3f} ({res['A'][k, j]:+.2f})"
                                   for j in range(W.shape[1])))
        err = float(np.abs(W - res["A"]).max() / np.abs(res["A"]).max())
        print(f"max |W - A| = {100 * err:.1f} % of max |A|")
    return 0
