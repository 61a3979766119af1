"""``pulsegated chain``: graded amplitudes along a pulse-gated chain (mean-field model)."""

from __future__ import annotations

import json

from pulsegated.errors import UsageError

HELP = ("amplitude at every stage of a pulse-gated chain for given input amplitudes "
        "(mean-field model)")


def _amplitudes(text: str) -> list:
    try:
        values = [float(a) for a in text.split(",") if a.strip()]
    except ValueError:
        raise UsageError(f"--amplitudes takes comma-separated numbers, got {text!r}") from None
    if not values:
        raise UsageError("--amplitudes needs at least one value")
    bad = [a for a in values if not 0 <= a < 1]
    if bad:
        raise UsageError(f"amplitudes are fractions of g0 in [0, 1), got {bad}")
    return values


def add_arguments(p) -> None:
    p.add_argument("--stages", type=int, required=True, help="number of populations in the chain")
    p.add_argument("--amplitudes", required=True, help="input amplitudes as fractions of g0, "
                   "comma-separated, e.g. 0.1,0.5,0.9")
    p.add_argument("--coupling", type=float, default=1.0,
                   help="coupling S as a multiple of the exact-transfer value (default 1)")
    p.add_argument("--t-over-tau", type=float, default=1.0, help="pulse length T / tau")
    p.add_argument("--overlap", type=float, default=0.0,
                   help="pulse overlap as a fraction of T (0: square pulses, < 1)")
    p.add_argument("--spiking", action="store_true",
                   help="spiking chain in Brian2 (calibrated first; N neurons per population)")
    p.add_argument("--neurons", type=int, default=1000, help="with --spiking: neurons per population")
    p.add_argument("--seed", type=int, default=0, help="with --spiking: seed of the spiking chain")
    p.add_argument("--json", action="store_true", help="one JSON object per input amplitude")


def run(args) -> int:
    from pulsegated.sgsc.meanfield import ChainModel, exact_coupling

    amps = _amplitudes(args.amplitudes)
    if args.stages < 1:
        raise UsageError(f"--stages must be at least 1, got {args.stages}")
    if args.coupling <= 0 or args.t_over_tau <= 0:
        raise UsageError("--coupling and --t-over-tau must be positive")
    if not 0 <= args.overlap < 1:
        raise UsageError(f"--overlap must lie in [0, 1), got {args.overlap}")
    if args.spiking:
        return _run_spiking(args, amps)
    T = args.t_over_tau
    D = T * (1 + args.overlap)
    S = args.coupling * exact_coupling(T, D)
    model = ChainModel(args.stages, S=S, T=T, duration=D)
    for a in amps:
        try:
            stages = model.run(a)["amplitudes"].tolist()
        except ValueError as e:
            raise UsageError(f"amplitude {a}: {e}") from None
        if args.json:
            print(json.dumps({"input": a, "stages": stages, "S": S, "T_over_tau": T,
                              "overlap": args.overlap, "model": "mean-field"}))
        else:
            print(f"{a:.3f}: " + " ".join(f"{x:.4f}" for x in stages))
    return 0


def _run_spiking(args, amps) -> int:
    from dataclasses import replace

    from brian2 import ms

    from pulsegated.sgsc.graded import GradedChainParams, calibrate, run_chain

    if args.overlap:
        raise UsageError("--overlap applies to the mean-field model only")
    if not 1 <= args.neurons <= 5000:
        raise UsageError(f"--neurons must lie in 1..5000, got {args.neurons}")
    # the command line's plain numbers become Brian2 times here: tau = 5 ms, T = t_over_tau tau
    p = GradedChainParams(n_stages=args.stages, n=args.neurons, tau=5 * ms,
                          T=5.0 * args.t_over_tau * ms)
    p, history = calibrate(p, seed=args.seed, codegen="numpy")
    p = replace(p, S=p.S * args.coupling)
    for k, a in enumerate(amps):
        stages = run_chain(a, p, seed=args.seed + 1000 + k, codegen="numpy").tolist()
        if args.json:
            print(json.dumps({"input": a, "stages": stages, "S": p.S, "neurons": p.n,
                              "T_over_tau": args.t_over_tau, "model": "spiking",
                              "calibration": history}))
        else:
            print(f"{a:.3f}: " + " ".join(f"{x:.4f}" for x in stages))
    return 0
