"""Drive the graded backprop circuit: learning cycles on the spiking network or its mean field.

The same circuit description runs on a spiking backend (Brian2, runtime or ``cpp_standalone``)
or on its mean field (:class:`~pulsegated.sgsc.rates.RateSimulator`); :class:`CycleRunner` sends
each cycle's input and target as spikes, runs one period of the gating ring and reads the
output the circuit computed (from its spikes, or its rates) and the plastic weights.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
from brian2 import Hz

from pulsegated.errors import UsageError
from pulsegated.gradedbp.circuit import encode_amplitudes
from pulsegated.gradedbp.params import GradedBPParams
from pulsegated.sgsc.graded import current_decay

__all__ = ["MODES", "calibrated", "CycleRunner", "window_amplitude", "learn_linear_map",
           "learn_xor", "xor_surface"]

#: how a circuit is run: its mean field, or spiking on Brian2
MODES = ("meanfield", "spiking")


@lru_cache(maxsize=16)
def calibrated(p: GradedBPParams, mode: str, seed: int = 0) -> GradedBPParams:
    """``p`` with the relay coupling ``chain.S`` calibrated for ``mode`` (the one-stage map of the
    units is the identity over the graded range; see :func:`~pulsegated.sgsc.graded.calibrate`).
    Cached per parameters."""
    from pulsegated.sgsc.graded import calibrate

    if mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    chain = replace(p.chain, S=1.0)
    if mode == "meanfield":
        chain, _ = calibrate(chain, backend="meanfield")
    else:
        chain, _ = calibrate(chain, seed=seed, codegen="numpy")
    return replace(p, chain=chain)


def window_amplitude(counts, p: GradedBPParams) -> np.ndarray:
    """Amplitude (fraction of ``g0``) of a unit from its spike count in one of its windows.

    A unit opened at amplitude ``a`` fires ``n * a * g0 * dt * sum_k d^k`` spikes in the window
    (its rate decays with its current, ``d`` per step), in the mean.
    """
    c = p.chain
    s = int(round(float(c.T / c.dt)))
    per_unit = c.n * float(c.g0 / Hz) * float(c.dt) * np.sum(current_decay(c) ** np.arange(s))
    return np.asarray(counts, dtype=float) / per_unit


class CycleRunner:
    """One simulator of a graded backprop circuit, run cycle by cycle.

    Parameters
    ----------
    circuit : Circuit
        From :func:`~pulsegated.gradedbp.circuit.linear_layer_circuit` or
        :func:`~pulsegated.gradedbp.circuit.two_layer_circuit`.
    mode : {"meanfield", "spiking"}
    seed : int
        Seed of the spiking simulator.
    options
        Simulator options of the spiking backend (``device=``, ``codegen=``, ``build_dir=``).
    record : iterable of str
        Further populations to record (spikes; in the mean field, the rates of units), so that
        :meth:`amplitudes` can read them.
    """

    def __init__(self, circuit, mode: str = "meanfield", seed: int = 0, record=(), **options):
        from pulsegated.backends import Simulator
        from pulsegated.sgsc.rates import RateSimulator

        if mode not in MODES:
            raise UsageError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.circuit, self.mode = circuit, mode
        self.p: GradedBPParams = circuit.meta["gradedbp"]
        self.readouts = list(circuit.meta["outputs"])
        watched = list(circuit.meta["readout_window"])
        watched += [u for u in record if u not in watched]
        if mode == "meanfield":
            if options:
                raise UsageError(f"the mean field takes no simulator options, got "
                                 f"{sorted(options)}")
            self.sim = RateSimulator(circuit, record_state=[u for u in watched
                                                            if u in circuit.meta["units"]])
        else:
            self.sim = Simulator(circuit, backend="brian2", record=watched, seed=seed,
                                 **options)
        self.cycle = 0

    def run(self, x, t) -> dict:
        """Run one cycle per row of ``x`` (inputs) and ``t`` (targets), fractions of ``g0``.

        Returns
        -------
        dict
            ``outputs``: ``(n, n_out)`` amplitudes of the output units in the forward window of
            each cycle; ``watch``: ``{unit: (n,) amplitudes}`` of every unit in
            ``meta["readout_window"]`` (``{unit: window}``), the outputs included.
        """
        x, t = np.atleast_2d(x), np.atleast_2d(t)
        c = self.circuit
        data = {}
        for source, what in c.meta["send"].items():
            if what in ("x", "t"):
                v = x if what == "x" else t
            else:  # a constant for every unit of the source
                v = np.full((len(x), c.sources[source].size // self.p.bits), float(what))
            data[source] = encode_amplitudes(v, self.p.bits)
        first = self.cycle
        self.sim.run_samples(data)
        self.cycle += len(x)
        windows = c.meta["readout_window"]
        amps = {u: self.amplitudes(u, windows[u], first, len(x)) for u in windows}
        return {"outputs": np.column_stack([amps[u] for u in self.readouts]), "watch": amps}

    def amplitudes(self, unit: str, window: int, first: int, n: int) -> np.ndarray:
        """Amplitude of ``unit`` in ``window`` of cycles ``first .. first + n - 1``."""
        sch = self.circuit.schedule
        s = self.circuit.meta["steps_per_window"]
        starts = np.array([sch.step(first + i, window * s) for i in range(n)])
        if self.mode == "meanfield":
            rate = self.sim.state(unit, "rate")[:, 0]
            counts = np.array([rate[a:a + s].sum() for a in starts]) * float(self.p.chain.dt) \
                * self.p.chain.n
        else:
            steps, _ = self.sim.spikes(unit)
            steps = np.asarray(steps)
            counts = np.array([np.count_nonzero((steps >= a) & (steps < a + s))
                               for a in starts], dtype=float)
        return window_amplitude(counts, self.p)

    def weights(self, key: str = "plastic") -> np.ndarray:
        """The plastic coupling factors named by ``meta[key]``."""
        from pulsegated.gradedbp.circuit import plastic_matrix
        return plastic_matrix(self.circuit, self.sim, key)

    def close(self) -> None:
        self.sim.close()


def learn_linear_map(task=None, cycles: int = 300, p: GradedBPParams | None = None,
                     mode: str = "meanfield", seed: int = 0, W0=None, callback=None,
                     progress: bool = False, runner_options: dict | None = None) -> dict:
    """Learn ``y = A x`` with the one-layer circuit, one input per learning cycle.

    Parameters
    ----------
    task : LinearMapTask, optional
        The target matrix and the input/target ranges (default: :class:`LinearMapTask()`).
    cycles : int
        Learning cycles (one input each).
    p : GradedBPParams, optional
        Circuit constants; the relay coupling is calibrated for ``mode`` (:func:`calibrated`).
    mode : {"meanfield", "spiking"}
    seed : int
        Seed of the inputs, of ``W0`` and of the spiking network.
    W0 : array, optional
        Initial weights (default: uniform in ``[-0.2, 0.2]``).
    callback : callable, optional
        Called with each cycle's record as it is produced.
    runner_options : dict, optional
        Simulator options of the spiking backend (``device``, ``codegen``, ``build_dir``).

    Returns
    -------
    dict
        ``records`` (one dict per cycle: ``cycle``, ``loss`` -- the mean squared output error of
        the cycle, ``W``, ``target``, ``x``, ``t``, ``o``, ``max_weight_error`` -- the largest
        ``|W - A|`` over ``max |A|``), ``W_history`` ``(cycles + 1, n_out, n_in)``, ``A``,
        ``params`` (calibrated), ``seconds_per_cycle``.
    """
    import time

    from tqdm.auto import tqdm

    from pulsegated.gradedbp.circuit import linear_layer_circuit
    from pulsegated.gradedbp.tasks import linear_map_inputs

    task, W0, x, t, rng = linear_map_inputs(task, cycles, seed, W0)
    A = task.matrix
    p = calibrated(GradedBPParams() if p is None else p, mode, seed)
    c = linear_layer_circuit(W0, p, rng=rng)
    runner = CycleRunner(c, mode, seed=seed, **(runner_options or {}))
    scale = np.abs(A).max()
    history = [runner.weights()]
    records = []
    start = time.perf_counter()
    try:
        for i in tqdm(range(cycles), desc=f"graded-bp {mode}", disable=not progress):
            o = runner.run(x[i], t[i])["outputs"][0]
            W = runner.weights()
            history.append(W)
            rec = {"cycle": i + 1, "loss": float(np.mean((t[i] - o) ** 2)), "W": W.tolist(),
                   "target": A.tolist(), "x": x[i].tolist(), "t": t[i].tolist(),
                   "o": o.tolist(), "max_weight_error": float(np.abs(W - A).max() / scale),
                   "mode": mode}
            records.append(rec)
            if callback is not None:
                callback(rec)
    finally:
        runner.close()
    return {"records": records, "W_history": np.array(history), "A": A, "params": p,
            "seconds_per_cycle": (time.perf_counter() - start) / cycles, "x": x, "t": t,
            "circuit": c}


def learn_xor(task=None, cycles: int = 800, n_hidden: int = 4, p: GradedBPParams | None = None,
              mode: str = "meanfield", seed: int = 0, callback=None, progress: bool = False,
              runner_options: dict | None = None, init_scale: float = 0.5) -> dict:
    """Learn XOR with the two-layer circuit (ReLU hidden layer), one pattern per cycle.

    Parameters
    ----------
    task : XORTask, optional
    cycles : int
        Learning cycles; the four patterns in a random order in every block of four.
    n_hidden : int
        Hidden ReLU units (besides the hidden bias unit).
    p : GradedBPParams, optional
        Calibrated for ``mode`` (:func:`calibrated`).
    mode : {"meanfield", "spiking"}
    seed : int
        Seed of the initial weights, the pattern order and the spiking network.
    init_scale : float
        Initial weights are uniform in ``[-init_scale, init_scale]``, except the input weights
        of each hidden unit from the bias input, which start at ``init_scale`` (every hidden
        unit starts active, so that every unit learns).

    Returns
    -------
    dict
        ``records`` (per cycle: ``cycle``, ``pattern``, ``o``, ``t``, ``loss``, ``W``
        (``{"W1": ..., "W2": ...}`` after the cycle), ``solved`` --
        whether the latest output of every pattern is on its side of the midpoint by the task's
        margin -- and ``backward_deviation``: the largest ``|B - W2^T|`` over ``max |W2|``),
        ``W1``, ``W2`` (final), ``last_outputs`` (per pattern), ``solved_at`` (first cycle from
        which every pattern stayed solved to the end, or None), ``params``, ``seed``,
        ``seconds_per_cycle``, ``circuit``.
    """
    import time

    from tqdm.auto import tqdm

    from pulsegated.gradedbp.circuit import backward_matrices, two_layer_circuit
    from pulsegated.gradedbp.tasks import XORTask

    task = XORTask() if task is None else task
    if not isinstance(cycles, (int, np.integer)) or isinstance(cycles, bool) or cycles < 1:
        raise UsageError(f"cycles must be a positive integer, got {cycles!r}")
    if not isinstance(n_hidden, (int, np.integer)) or not 1 <= n_hidden <= 32:
        raise UsageError(f"n_hidden must be an integer in 1..32, got {n_hidden!r}")
    p = calibrated(GradedBPParams() if p is None else p, mode, seed)
    if not 0 < init_scale <= p.w_bound:
        raise UsageError(f"init_scale must lie in (0, w_bound], got {init_scale}")
    rng = np.random.default_rng(seed)
    xs, ts = task.patterns()
    W1 = rng.uniform(-init_scale, init_scale, (n_hidden, xs.shape[1]))
    W1[:, -1] = init_scale
    W2 = rng.uniform(-init_scale, init_scale, (1, n_hidden + 1))
    order = np.concatenate([rng.permutation(4) for _ in range((cycles + 3) // 4)])[:cycles]
    c = two_layer_circuit(W1, W2, p, rng=rng)
    runner = CycleRunner(c, mode, seed=seed, **(runner_options or {}))
    last = np.full(4, np.nan)
    records, solved_at = [], None
    start = time.perf_counter()
    try:
        for i in tqdm(range(cycles), desc=f"graded-bp xor {mode}", disable=not progress):
            k = int(order[i])
            o = float(runner.run(xs[k:k + 1], ts[k:k + 1])["outputs"][0, 0])
            last[k] = o
            solved = bool(np.all(np.isfinite(last)) and task.solved(last).all())
            solved_at = (i + 1 if solved_at is None else solved_at) if solved else None
            W2_now = runner.weights()
            B = backward_matrices(c, runner.sim)
            ref = W2_now[:, :n_hidden].T
            dev = max(float(np.abs(b - ref).max()) for b in B.values()) \
                / max(float(np.abs(W2_now).max()), 1e-12)
            rec = {"cycle": i + 1, "pattern": k, "o": o, "t": float(ts[k, 0]),
                   "loss": float((ts[k, 0] - o) ** 2), "solved": solved,
                   "W": {"W1": runner.weights("plastic1").tolist(), "W2": W2_now.tolist()},
                   "backward_deviation": dev, "mode": mode}
            records.append(rec)
            if callback is not None:
                callback(rec)
        W1_end, W2_end = runner.weights("plastic1"), runner.weights()
    finally:
        runner.close()
    return {"records": records, "W1": W1_end, "W2": W2_end, "last_outputs": last,
            "solved_at": solved_at, "params": p, "task": task, "circuit": c, "seed": seed,
            "seconds_per_cycle": (time.perf_counter() - start) / cycles}


def xor_surface(res: dict, n: int = 21, lo: float = 0.0, hi: float = 0.6) -> dict:
    """The output of a learnt two-layer circuit over a grid of the two inputs (its mean field).

    Every grid point is one cycle of a circuit built with the learnt weights (``res`` from
    :func:`learn_xor`); the output of a cycle is read before its weight change, and all plastic
    weights are set back to the learnt ones after each point, so the surface is that of one
    fixed network.

    Returns
    -------
    dict
        ``x0``, ``x1`` (``(n,)`` grid axes), ``o`` (``(n, n)``, ``o[i1, i0]``), ``patterns``
        (the circuit's outputs at the four task patterns, read the same way).
    """
    from pulsegated.gradedbp.circuit import two_layer_circuit

    if not isinstance(n, (int, np.integer)) or not 2 <= n <= 101:
        raise UsageError(f"n must be an integer in 2..101, got {n!r}")
    task = res["task"]
    p = calibrated(res["params"], "meanfield")  # (a spiking run's coupling is its own)
    c = two_layer_circuit(res["W1"], res["W2"], p, rng=0)
    runner = CycleRunner(c, "meanfield")
    sim = runner.sim
    names = [name for name, conn in c.connections.items() if conn.plasticity is not None]
    saved = {name: sim.weights(name) for name in names}
    axis = np.linspace(lo, hi, n)
    xs, ts = task.patterns()

    def output(x0, x1):
        x = np.array([[x0, x1, task.bias]])
        o = float(runner.run(x, [[task.midpoint]])["outputs"][0, 0])
        for name in names:
            sim.set_weights(name, saved[name])
        return o

    try:
        o = np.array([[output(a, b) for a in axis] for b in axis])
        pat = np.array([output(x[0], x[1]) for x in xs])
    finally:
        runner.close()
    return {"x0": axis, "x1": axis, "o": o, "patterns": pat}
