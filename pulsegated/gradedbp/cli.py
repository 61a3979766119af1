"""``pulsegated graded-bp``: the graded pulse-gated backprop circuit learns a task."""

from __future__ import annotations

import json
import sys

from pulsegated.errors import UsageError

HELP = ("graded pulse-gated backpropagation: graded spiking populations learn a linear map or "
        "XOR with a ReLU hidden layer (mean field, or spiking in Brian2 with --spiking, or the "
        "linear map on Loihi integer arithmetic with --loihi)")

TASKS = ("linear-map", "xor")


def add_arguments(p) -> None:
    p.add_argument("--task", choices=TASKS, default="linear-map",
                   help="what the circuit learns: y = A x for the built-in 3x3 target matrix A "
                        "(one layer), or XOR of two graded inputs (two layers, ReLU hidden; exit status 1 "
                        "if not all four patterns are solved at the end)")
    p.add_argument("--hidden", type=int, default=4, help="with --task xor: hidden ReLU units")
    p.add_argument("--spiking", action="store_true",
                   help="run the spiking circuit in Brian2 (default: its mean field)")
    p.add_argument("--loihi", action="store_true",
                   help="with --task linear-map: run the circuit on the Loihi backend's integer "
                        "arithmetic (chip compartments; windows written to the bias registers "
                        "and the weight updates applied in integers by the host)")
    p.add_argument("--seed", type=int, default=0, help="seed of inputs, initial weights, network")
    p.add_argument("--cycles", type=int, default=None,
                   help="learning cycles, one input each (default: 300 for the linear map, "
                        "1500 for XOR)")
    p.add_argument("--eta", type=float, default=0.8,
                   help="learning rate per cycle (the rule is W += eta (t - o) x^T)")
    p.add_argument("--neurons", type=int, default=None,
                   help="neurons per population (default: 100; with --loihi 24 compartments)")
    p.add_argument("--device", choices=("runtime", "cpp_standalone"), default="runtime",
                   help="with --spiking: Brian2 device")
    p.add_argument("--codegen", choices=("numpy", "cython"), default="numpy",
                   help="with --spiking and the runtime device: code generation target")
    p.add_argument("--build-dir", default=None,
                   help="with --device cpp_standalone: keep the compiled project in this folder "
                        "(default: a temporary folder, removed afterwards)")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per learning cycle on stdout (linear map: cycle, loss, "
                        "W, target, max_weight_error, mode; XOR: cycle, pattern, o, t, loss, W "
                        "(W1 and W2), solved, backward_deviation, mode)")


def _check(args) -> None:
    if args.cycles is None:
        args.cycles = 1500 if args.task == "xor" else 300
    if args.cycles < 1:
        raise UsageError(f"--cycles must be at least 1, got {args.cycles}")
    if not 0 < args.eta <= 2:
        raise UsageError(f"--eta must lie in (0, 2], got {args.eta}")
    if args.loihi and args.spiking:
        raise UsageError("--loihi and --spiking are two ways to run the circuit: give one")
    if args.loihi and args.task != "linear-map":
        raise UsageError("--loihi runs --task linear-map only")
    if args.loihi and (args.device != "runtime" or args.codegen != "numpy"
                       or args.build_dir is not None):
        raise UsageError("--device, --codegen and --build-dir apply with --spiking only")
    if args.neurons is None:
        args.neurons = 24 if args.loihi else 100
    lo = 2 if args.loihi else 10
    if not lo <= args.neurons <= (1000 if args.loihi else 2000):
        raise UsageError(f"--neurons must lie in {lo}..{1000 if args.loihi else 2000}"
                         f"{' with --loihi' if args.loihi else ''}, got {args.neurons}")
    if not args.spiking and (args.device != "runtime" or args.codegen != "numpy"
                             or args.build_dir is not None):
        raise UsageError("--device, --codegen and --build-dir apply with --spiking only")
    if args.build_dir is not None and args.device != "cpp_standalone":
        raise UsageError("--build-dir applies with --device cpp_standalone only")
    if not 1 <= args.hidden <= 32:
        raise UsageError(f"--hidden must lie in 1..32, got {args.hidden}")
    if args.task != "xor" and args.hidden != 4:
        raise UsageError("--hidden applies with --task xor only")


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

    if args.task == "xor":
        return _run_xor(args, p, mode, options)
    if args.loihi:
        mode = "loihi"

    def emit(rec):
        if args.json:
            print(json.dumps({k: rec[k] for k in ("cycle", "loss", "W", "target",
                                                  "max_weight_error", "mode")}), flush=True)
        elif rec["cycle"] % 25 == 0 or rec["cycle"] == args.cycles:
            print(f"cycle {rec['cycle']:4d}  loss {rec['loss']:.2e}  "
                  f"max |W - A| / max |A| {rec['max_weight_error']:.3f}", flush=True)

    if args.loihi:
        from pulsegated.gradedbp.chip import ChipGradedParams, learn_linear_map_chip

        res = learn_linear_map_chip(cycles=args.cycles, seed=args.seed, callback=emit,
                                    p=ChipGradedParams(n=args.neurons, eta=args.eta))
    else:
        res = learn_linear_map(cycles=args.cycles, p=p, mode=mode, seed=args.seed,
                               callback=emit, runner_options=options,
                               progress=not args.json and sys.stderr.isatty())
    if not args.json:
        W = res["W_history"][-1]
        print(f"{mode}: {res['seconds_per_cycle']:.3f} s per cycle; final W (target A):")
        for k in range(W.shape[0]):
            print("  " + "  ".join(f"{W[k, j]:+.3f} ({res['A'][k, j]:+.2f})"
                                   for j in range(W.shape[1])))
        err = float(np.abs(W - res["A"]).max() / np.abs(res["A"]).max())
        print(f"max |W - A| = {100 * err:.1f} % of max |A|")
    return 0


def _run_xor(args, p, mode, options) -> int:
    """XOR; exit status 1 when the four patterns are not all solved at the end."""
    from pulsegated.gradedbp.learn import learn_xor

    def emit(rec):
        if args.json:
            print(json.dumps(rec), flush=True)
        elif rec["cycle"] % 100 == 0 or rec["cycle"] == args.cycles:
            print(f"cycle {rec['cycle']:5d}  loss {rec['loss']:.2e}  all four solved: "
                  f"{'yes' if rec['solved'] else 'no '}  |B - W2^T| / max |W2| "
                  f"{rec['backward_deviation']:.3f}", flush=True)

    res = learn_xor(cycles=args.cycles, n_hidden=args.hidden, p=p, mode=mode, seed=args.seed,
                    callback=emit, runner_options=options,
                    progress=not args.json and sys.stderr.isatty())
    if not args.json:
        task = res["task"]
        xs, ts = task.patterns()
        ok = task.solved(res["last_outputs"])
        print(f"{mode}: {res['seconds_per_cycle']:.3f} s per cycle; last output per pattern "
              f"(midpoint {task.midpoint:.2f}, margin {task.margin}):")
        for x, t, o, good in zip(xs, ts[:, 0], res["last_outputs"], ok):
            print(f"  x = ({x[0]:.2f}, {x[1]:.2f})  t = {t:.2f}  o = {o:.3f}  "
                  f"{'solved' if good else 'NOT solved'}")
        print("solved from cycle " + (str(res["solved_at"]) if res["solved_at"] else
                                      "- (not solved)"))
    return 0 if res["solved_at"] else 1
