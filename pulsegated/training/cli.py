"""``pulsegated train``: train the nBP network on a backend and report readouts per epoch.

``--algorithm erbp`` or ``perbp`` trains event-driven random backpropagation in Brian2 instead,
with the same conventions (``--checkpoint-dir`` run folder, ``--resume``, ``--json`` records); it
is the ``pulsegated erbp`` command under this one's flags.
"""

from __future__ import annotations

import json
import sys

from pulsegated.errors import UsageError

HELP = ("train the nBP network (or eRBP / peRBP: --algorithm) online and evaluate it after every "
        "epoch")

ALGORITHMS = ("nbp", "erbp", "perbp")


def _dendrite_weight(text: str) -> str:
    """``--output-dendrite-weight``, checked here and passed on as written."""
    from pulsegated.erbp.cli import _dendrite_weight as check
    check(text)
    return text


def _threshold(text: str):
    if text in ("any", "half"):
        return text
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"--threshold takes 'any', 'half' or a raw pixel level 1..255, "
                         f"got {text!r}") from None
    if not 1 <= value <= 255:
        raise UsageError(f"--threshold raw level must be in 1..255, got {value}")
    return value


#: TrainConfig field -> the flag that sets it (error messages name the flags the user wrote).
FLAGS = {"dataset": "--dataset", "backend": "--backend", "epochs": "--epochs", "seed": "--seed",
         "max_samples": "--max-samples", "threshold": "--threshold", "n_hidden": "--hidden",
         "data_dir": "--data-dir", "checkpoint_dir": "--checkpoint-dir", "resume": "--resume",
         "overwrite": "--overwrite", "eval_train": "--eval-train", "eval_test": "--eval-test",
         "variant": "--variant"}


def add_arguments(p) -> None:
    from pulsegated.nbp.training import TRAINING_BACKENDS
    from pulsegated.nbp.variants import VARIANTS
    p.add_argument("--algorithm", default="nbp", choices=ALGORITHMS,
                   help="nbp: the pulse-gated binary circuit; erbp / perbp: event-driven random "
                        "backpropagation in Brian2 (see pulsegated erbp)")
    p.add_argument("--dataset", default="builtin", choices=("builtin", "mnist", "fashion-mnist"),
                   help="training data (builtin: the 5000-digit subset shipped in the package)")
    p.add_argument("--backend", default=None, choices=tuple(TRAINING_BACKENDS),
                   help="reference (exact integer arithmetic), loihi (bit-exact chip emulator) "
                        "or brian2 (spiking circuit) (default: reference); eRBP runs on brian2 "
                        "only")
    p.add_argument("--device", default=None,
                   help="backend device: brian2 takes runtime or cpp_standalone (default: "
                        "runtime); "
                        "the other backends take none")
    p.add_argument("--epochs", type=int, default=1,
                   help="passes over the training set (each in a fresh seeded order)")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the initial weights and the sample order of every epoch")
    p.add_argument("--max-samples", type=int, default=None,
                   help="train each epoch on the first N samples of the seed's order "
                        "(default: all)")
    p.add_argument("--threshold", type=str, default=None,
                   help="binarisation: 'any' (raw >= 1), 'half' (raw >= 128) or a raw level; "
                        "default: the dataset's (mnist: any, fashion-mnist: half)")
    p.add_argument("--hidden", type=int, action="append", default=None, metavar="N",
                   help="hidden layer size (default: 400); eRBP: once per hidden layer, one "
                        "layer of 100 by default")
    p.add_argument("--dt", type=float, default=None,
                   help="eRBP only: simulation step in ms (default 0.1)")
    p.add_argument("--eta", type=float, default=None,
                   help="eRBP only: learning rate (default 6e-4)")
    p.add_argument("--eta-halve-at", type=int, nargs="+", default=None, metavar="EPOCH",
                   help="eRBP only: halve the learning rate when each of these epochs starts")
    p.add_argument("--bits", type=int, default=None, choices=(8,),
                   help="eRBP only: 8-bit weights with stochastic rounding")
    p.add_argument("--output-dendrite-weight", type=_dendrite_weight, default=None, metavar="W",
                   help="eRBP only: weight of error spikes onto the prediction dendrites, or "
                        "'authors' (see pulsegated erbp)")
    p.add_argument("--data-dir", default=None,
                   help="the folder datasets are read from, nowhere else (default: "
                        "$PULSEGATED_DATA, "
                        "else the user cache)")
    p.add_argument("--checkpoint-dir", default=None,
                   help="write checkpoint.npz every half epoch (keeping the previous one), "
                        "final.npz at the end and run.json (settings, data checksums); locked "
                        "while the run lives")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --checkpoint-dir from its newest good checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="start afresh in a --checkpoint-dir that already holds a run (deletes it)")
    p.add_argument("--eval-train", type=int, default=10000,
                   help="evaluate on the first N training samples (0: none)")
    p.add_argument("--eval-test", type=int, default=None,
                   help="evaluate on the first N test samples (default: all)")
    p.add_argument("--variant", default=None, metavar="NAME",
                   help="nBP circuit variant: paper (default, the published circuit), "
                        + ", ".join(v for v in VARIANTS if v != "paper")
                        + " (see pulsegated.nbp.variants); every variant runs bit-identically "
                        "on all backends")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object per evaluation, no progress bar")


def config_from_args(args):
    """The validated :class:`TrainConfig` of the command line (messages name the flags)."""
    from pulsegated.training.trainer import TrainConfig
    for flag, value in (("--dt", args.dt), ("--eta", args.eta), ("--bits", args.bits),
                        ("--eta-halve-at", args.eta_halve_at),
                        ("--output-dendrite-weight", args.output_dendrite_weight)):
        if value is not None:
            raise UsageError(f"{flag} applies to --algorithm erbp or perbp, not nbp")
    if args.hidden is not None and len(args.hidden) > 1:
        raise UsageError(f"--hidden: the nBP circuit has one hidden layer, got {len(args.hidden)} "
                         f"sizes")
    options = {}
    if args.device is not None:
        options["device"] = args.device
    return TrainConfig(
        dataset=args.dataset, backend=args.backend or "reference", epochs=args.epochs,
        seed=args.seed, max_samples=args.max_samples,
        threshold=None if args.threshold is None else _threshold(args.threshold),
        n_hidden=400 if args.hidden is None else args.hidden[0], data_dir=args.data_dir,
        checkpoint_dir=args.checkpoint_dir,
        resume=args.resume, overwrite=args.overwrite, eval_train=args.eval_train,
        eval_test=args.eval_test, variant=args.variant or "paper",
        backend_options=options).validate(FLAGS)


def _print_record(rec: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(rec), flush=True)
        return
    te = rec["test"]
    line = (f"epoch {rec['epoch']:3d}  samples {rec['samples']:8d}  "
            f"test: potential {100 * te['acc_potential']:.2f}%  spikes "
            f"{100 * te['acc_spikes']:.2f}%  exact {100 * te['exact']:.2f}%  mse {te['mse']:.4f}")
    if "acc_first_spike" in te:
        line += f"  first spike {100 * te['acc_first_spike']:.2f}%"
    if "train" in rec:
        line += f"  | train potential {100 * rec['train']['acc_potential']:.2f}%"
    if rec.get("samples_per_s"):
        line += f"  | training {rec['samples_per_s']:.0f} samples/s"
    print(line, file=sys.stdout, flush=True)


def erbp_args(args):
    """The ``pulsegated erbp`` arguments of an ``--algorithm erbp|perbp`` command line: train's
    flags written as ``pulsegated erbp`` flags and parsed by that command's parser, so both
    commands share one set of defaults and checks."""
    from pulsegated.cli import _Parser
    from pulsegated.erbp import cli as erbp_cli

    if args.backend not in (None, "brian2"):
        raise UsageError(f"--backend {args.backend}: eRBP runs on brian2 only")
    for flag, value, default in (("--threshold", args.threshold, None),
                                 ("--eval-train", args.eval_train, 10000),
                                 ("--variant", args.variant, None)):
        if value != default:
            raise UsageError(f"{flag} applies to --algorithm nbp only")
    argv = ["--algorithm", args.algorithm, "--dataset", args.dataset,
            "--epochs", str(args.epochs), "--seed", str(args.seed)]
    for n in args.hidden or ():
        argv += ["--hidden", str(n)]
    for flag, value in (("--max-samples", args.max_samples), ("--dt", args.dt),
                        ("--bits", args.bits), ("--eta", args.eta),
                        ("--output-dendrite-weight", args.output_dendrite_weight),
                        ("--eval-test", args.eval_test), ("--out", args.checkpoint_dir),
                        ("--device", args.device), ("--data-dir", args.data_dir)):
        if value is not None:
            argv += [flag, str(value)]
    if args.eta_halve_at:
        argv += ["--eta-halve-at", *map(str, args.eta_halve_at)]
    if args.device == "cpp_standalone":
        argv += ["--chunk", "1000"]
    argv += [flag for flag, on in (("--resume", args.resume), ("--overwrite", args.overwrite),
                                   ("--json", args.json)) if on]
    parser = _Parser(prog=f"pulsegated train --algorithm {args.algorithm}")
    erbp_cli.add_arguments(parser)
    return parser.parse_args(argv)


def run(args) -> int:
    from pulsegated.training.trainer import Trainer

    if args.algorithm != "nbp":
        from pulsegated.erbp import cli as erbp_cli
        return erbp_cli.run(erbp_args(args))
    config = config_from_args(args)
    trainer = Trainer(config, progress=not args.json)
    first = [True]

    def report(rec):
        if first[0] and args.json:  # the first record of a process says which data it used
            rec = {**rec, "data": trainer.data_info}
        first[0] = False
        _print_record(rec, args.json)

    trainer.run(on_eval=report)
    return 0
