"""``pulsegated erbp``: train eRBP / peRBP spiking networks on MNIST in Brian2, test every epoch.

Prints one line (or, with ``--json``, one JSON object) per epoch: test error, online training
error, SynOps per training and per test sample, wall time per sample and per 50 000-sample epoch.
With ``--reference`` the numpy RBP and BP rows of the same architecture, weights and sample orders
are printed afterwards.
"""

from __future__ import annotations

import json
import sys

from pulsegated.errors import UsageError

HELP = ("train event-driven random backpropagation (eRBP / peRBP) spiking networks on MNIST and "
        "test them after every epoch")

#: ERBPConfig field -> the flag that sets it (messages name the flags the user wrote)
FLAGS = {"algorithm": "--algorithm", "hidden": "--hidden", "dataset": "--dataset",
         "epochs": "--epochs", "max_samples": "--max-samples", "seed": "--seed", "dt": "--dt",
         "bits": "--bits", "codegen": "--codegen", "device": "--device", "chunk": "--chunk",
         "eval_test": "--eval-test",
         "out": "--out", "resume": "--resume", "overwrite": "--overwrite",
         "data_dir": "--data-dir", "checkpoint_every": "--checkpoint-every", "eta": "--eta",
         "eta_halve_at": "--eta-halve-at"}


def _dendrite_weight(text: str):
    """``--output-dendrite-weight``: a non-negative number, or 'authors' (None: 0.09)."""
    import argparse
    if text == "authors":
        return None
    try:
        w = float(text)
    except ValueError:
        w = -1.0
    if not w >= 0 or w == float("inf"):
        raise argparse.ArgumentTypeError(f"a non-negative number or 'authors', got {text!r}")
    return w


def add_arguments(p) -> None:
    p.add_argument("--algorithm", default="erbp", choices=("erbp", "perbp"),
                   help="erbp: additive shot noise; perbp: blank-out synapses (p = 0.65), "
                        "learning only on transmitted spikes")
    p.add_argument("--hidden", type=int, action="append", default=None, metavar="N",
                   help="size of a hidden layer; repeat for several layers "
                        "(default: one layer of 100)")
    p.add_argument("--dataset", default="mnist", choices=("mnist", "builtin"),
                   help="mnist (full, from the data search path) or builtin (the package's "
                        "binarised 20x20 subset)")
    p.add_argument("--epochs", type=int, default=1, help="passes of --max-samples samples")
    p.add_argument("--max-samples", type=int, default=None,
                   help="class-balanced training samples per epoch (default: 50000)")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds weights, feedback matrix, sample orders and the simulation noise")
    p.add_argument("--dt", type=float, default=0.1,
                   help="simulation step in ms (at most 1 ms, the membrane time constant)")
    p.add_argument("--bits", type=int, default=None, choices=(8,),
                   help="8: stochastic rounding of the weights to 256 levels after every update "
                        "(default: float weights)")
    p.add_argument("--eta", type=float, default=6e-4,
                   help="learning rate: w += eta * U per gated presynaptic spike")
    p.add_argument("--output-dendrite-weight", type=_dendrite_weight, default=None,
                   metavar="W",
                   help="weight of error spikes onto the prediction neurons' dendrites; "
                        "'authors' for the authors' 0.09 (default: authors; runs made with the "
                        "earlier default resume with 1; see ERBPParams)")
    p.add_argument("--eta-halve-at", type=int, nargs="+", default=(), metavar="EPOCH",
                   help="halve the learning rate when each of these epochs starts (e.g. "
                        "--eta-halve-at 4 6 8: eta / 2 in epochs 4-5, eta / 4 in 6-7, ...; "
                        "default: a constant rate, as the authors)")
    p.add_argument("--eval-test", type=int, default=None,
                   help="test on the first N test images after every epoch (default: all)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="run folder: checkpoints every --checkpoint-every samples and per epoch, "
                        "run.json, history.json (default: no files)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--overwrite", action="store_true",
                   help="start afresh in an --out folder that holds a run (deletes it)")
    p.add_argument("--checkpoint-every", type=int, default=5000,
                   help="training samples between checkpoints")
    p.add_argument("--codegen", default="cython", choices=("cython", "numpy"),
                   help="Brian2 code generation target (runtime device)")
    p.add_argument("--device", default="runtime", choices=("runtime", "cpp_standalone"),
                   help="Brian2 device: runtime, or cpp_standalone (compiled once into "
                        "<out>/standalone, several times faster; use a larger --chunk)")
    p.add_argument("--chunk", type=int, default=100,
                   help="samples per Brian2 run (per run of the standalone program)")
    p.add_argument("--data-dir", default=None,
                   help="the folder datasets are read from (default: $PULSEGATED_DATA, then the "
                        "user cache)")
    p.add_argument("--reference", action="store_true",
                   help="also train the numpy RBP and BP networks (same architecture, weights, "
                        "sample orders and epochs) and print their test errors")
    p.add_argument("--json", action="store_true", help="print one JSON object per record")


def config_from_args(args):
    """The validated :class:`~pulsegated.erbp.training.ERBPConfig` of the command line."""
    from pulsegated.erbp.training import ERBPConfig
    if not isinstance(args.dt, (int, float)) or not args.dt > 0:
        raise UsageError(f"--dt must be a positive number of ms, got {args.dt!r}")
    hidden = tuple(args.hidden) if args.hidden else (100,)
    return ERBPConfig(algorithm=args.algorithm, hidden=hidden, dataset=args.dataset,
                      epochs=args.epochs, max_samples=args.max_samples, seed=args.seed,
                      dt=args.dt * 1e-3, bits=args.bits, codegen=args.codegen,
                      device=args.device, chunk=args.chunk,
                      eval_test=args.eval_test, out=args.out, resume=args.resume,
                      overwrite=args.overwrite, data_dir=args.data_dir,
                      checkpoint_every=args.checkpoint_every,
                      eta_halve_at=tuple(args.eta_halve_at),
                      param_overrides=_overrides(args)
                      ).validate(FLAGS)


def _overrides(args) -> dict:
    """The ERBPParams fields the command line sets away from their defaults (only those, so a
    run's identity is unchanged when a flag is left at its default)."""
    out = {}
    if args.eta != 6e-4:
        out["eta"] = args.eta
    if args.output_dendrite_weight is not None:
        out["output_dendrite_weight"] = args.output_dendrite_weight
    return out


def _line(rec: dict) -> str:
    return (f"{rec['algorithm']} {rec['network']} epoch {rec['epoch']:3d}  test error "
            f"{100 * rec['test_error']:.2f}% (last-5 mean {100 * rec['test_error_last5']:.2f}%)  "
            f"online train error {100 * rec['train_error_online']:.2f}%  SynOps/sample train "
            f"{rec['synops_per_train_sample']:.3g} test {rec['synops_per_test_sample']:.3g}  "
            f"{rec['ms_per_train_sample']:.1f} ms/sample ({rec['minutes_per_50k_epoch']:.1f} "
            f"min per 50k-sample epoch)")


def run(args) -> int:
    from pulsegated.erbp.training import ERBPTrainer, reference_rows

    config = config_from_args(args)
    def report(rec):
        print(json.dumps(rec) if args.json else _line(rec), flush=True)

    trainer = ERBPTrainer(config, names=FLAGS)
    trainer.run(on_epoch=report)
    if args.reference:
        def ref(rec):
            print(json.dumps(rec) if args.json else
                  f"{rec['algorithm'].upper()} (numpy) epoch {rec['epoch']:3d}  test error "
                  f"{100 * rec['test_error']:.2f}%", flush=True)
        reference_rows(config, log=ref)
    return 0


def main(argv=None) -> int:
    """``python -m pulsegated.erbp.cli ...``: this sub-command on its own (same options)."""
    from pulsegated.cli import _Parser
    parser = _Parser(prog="pulsegated erbp", description=HELP)
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except UsageError as e:
        print(f"pulsegated erbp: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
