"""Spiking graded transfer in a synfire-gated synfire chain, as a circuit description.

* **Gating chain**: populations of ``n_gate`` leaky integrate-and-fire neurons, connected all-to-all
  in a line with a synaptic delay so that one volley follows the previous one every ``T``.
* **Graded chain**: populations of ``n`` rectified perfect integrators with subtractive reset,
  ``dv/dt = [I - g0 + p]^+`` (threshold 1, ``v -= 1``): the rate of a gated population equals its
  synaptic current ``I`` (in Hz), an ungated one is silent while ``I < g0``.  ``I`` decays with ``tau``
  and each spike of the previous population adds ``S / (n tau)``: in the mean the mean-field
  ``tau dI/dt = -I + S m``.
* **Gate pulse**: a gate volley adds 1 (``1 / n_gate`` per spike) to a gate drive ``gd`` that runs down
  linearly to 0 in ``T``; the population is gated (``p = g0``) while ``gd`` exceeds half a step's
  decrement, i.e. for exactly ``T / dt`` steps, so consecutive windows abut without overlap.  The window opens
  with the volley's arrival, so pulse-timing jitter of the gating chain moves it.

Amplitudes are reported as fractions of ``g0``: the synaptic current of each stage when its window
opens (mean over its neurons).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
from brian2 import Hz, Quantity, ms

from pulsegated.circuit import Circuit, EquationNeuron, Schedule
from pulsegated.sgsc._units import check_quantity, hashable
from pulsegated.sgsc.meanfield import s_exact

__all__ = ["GradedChainParams", "graded_graph_circuit", "graded_chain_circuit", "run_graph",
           "run_chain", "calibrate", "unit_weight", "current_decay", "windows_of"]

GRADED_EQUATIONS = """
dv/dt = clip(I - g0 + g0 * int(gd > gd_min), 0 * Hz, 1e9 * Hz) : 1
dI/dt = -I / tau : Hz
dgd/dt = -int(gd > gd_min) / T : 1
"""
GATE_EQUATIONS = "dV/dt = -V / tau_gate : 1"


#: dimensioned fields of :class:`GradedChainParams`: (kind, must be positive)
_PARAM_UNITS = {"T": ("time", True), "tau": ("time", True), "g0": ("rate", True),
                "dt": ("time", True), "jitter": ("time", False)}


@dataclass(frozen=True)
class GradedChainParams:
    """Sizes and constants of the spiking graded chain.

    Dimensioned values are Brian2 Quantities and plain numbers are refused for them: ``T``,
    ``tau``, ``dt`` and ``jitter`` are times (e.g. ``5 * ms``), ``g0`` a rate (e.g. ``200 * Hz``).
    ``n_stages``, ``n``, ``n_gate``, ``S`` and ``weight_spread`` are plain numbers.

    ``S`` is the coupling as a multiple of the mean-field exact value ``S_exact(T / tau)``;
    calibration adjusts it.  ``weight_spread`` is the relative standard deviation of the graded
    synaptic weights.  ``jitter`` is the standard deviation of the onset of each window
    (pulse-timing jitter: every gate-to-stage connection gets its own delay around a common base).  ``phases``: initial membrane potentials spread evenly over [0, 1)
    (``"even"``: a golden-ratio sequence with a random offset, a splay state: the spike count of a window is then within a spike of its mean) or
    drawn at random (``"random"``: binomial count noise, about ``sqrt(X (1 - X) / n)`` relative,
    for ``X`` spikes per neuron and window).
    """

    n_stages: int = 8
    n: int = 1000
    n_gate: int = 100
    T: Quantity = field(default_factory=lambda: 5 * ms)
    tau: Quantity = field(default_factory=lambda: 5 * ms)
    g0: Quantity = field(default_factory=lambda: 200 * Hz)
    S: float = 1.0
    dt: Quantity = field(default_factory=lambda: 0.1 * ms)
    weight_spread: float = 0.0
    jitter: Quantity = field(default_factory=lambda: 0 * ms)
    phases: str = "even"

    def __post_init__(self):
        for name, (kind, positive) in _PARAM_UNITS.items():
            check_quantity(getattr(self, name), kind, f"GradedChainParams.{name}",
                           positive=positive, non_negative=True)
        for name in ("S", "weight_spread"):
            value = getattr(self, name)
            if isinstance(value, Quantity) and not value.is_dimensionless:
                raise TypeError(f"GradedChainParams.{name} is dimensionless, got {value!r}")

    def __hash__(self):
        return hash(tuple(hashable(getattr(self, f.name)) for f in fields(self)))


def unit_weight(p: GradedChainParams) -> Quantity:
    """Synaptic weight (a rate per spike) of a graded coupling of factor 1 between two units."""
    return p.S * s_exact(float(p.T / p.tau)) / (p.n * p.tau)


def current_decay(p: GradedChainParams) -> float:
    """Per-step decay factor of a unit's current (Euler step of ``dI/dt = -I / tau``)."""
    return 1.0 - float(p.dt / p.tau)


def windows_of(window) -> tuple:
    """The gate windows of a unit as a tuple (``None``: never gated)."""
    if window is None:
        return ()
    return tuple(window) if isinstance(window, (tuple, list)) else (window,)


def graded_graph_circuit(units: dict, edges, inputs: dict,
                         p: GradedChainParams = GradedChainParams(), rng=None,
                         ring: bool = False, n_windows: int | None = None,
                         roles: dict | None = None) -> Circuit:
    """A network of graded populations ("units") opened by a spiking gating chain.

    Parameters
    ----------
    units : dict
        ``{unit: window}``: the gate window (0, 1, ...) in which the unit is opened, a tuple of
        windows for a unit opened several times, or None for a unit that is never gated (it
        integrates its input but stays silent).
    edges : iterable of (pre, post, factor) or (pre, post, factor, plasticity)
        Graded coupling ``factor * S * S_exact`` from unit ``pre`` to unit ``post``: a stage computes
        ``I_post = sum factor * I_pre`` (a matrix chain when several units form a stage).
        ``factor`` may be a scalar or a ``(n, n)`` matrix of factors, synapse by synapse.
    inputs : dict
        ``{unit: amplitude}`` (fractions of g0) held by window-0 units when their window opens.
    ring : bool
        Close the gating chain into a ring: window ``w`` then opens again every ``n_windows``
        windows, and the circuit gets a :class:`~pulsegated.circuit.Schedule` whose samples are
        the periods (``t0 = 2``, ``n_phases = n_windows * T / dt`` steps).
    n_windows : int, optional
        Windows in the chain (default: up to the last window a unit is opened in); a ring's period.
    roles : dict, optional
        ``{unit: role}`` (``"input"``, ``"memory"``, ``"error"``, ...) for raster colours and
        shading; units not named get the role ``"graded"``.

    The gating chain has one population per window; ``meta["window_open"][w]`` is the step at whose
    start window ``w`` opens (in the first period).
    """
    for u, a in inputs.items():
        if not 0 <= a < 1:
            raise ValueError(f"amplitude of {u!r} is a fraction of g0 in [0, 1), got {a}")
        if u not in units or 0 not in windows_of(units[u]):
            raise ValueError(f"input unit {u!r} must be opened in window 0")
    if p.phases not in ("even", "random"):
        raise ValueError(f"phases must be 'even' or 'random', got {p.phases!r}")
    rng = np.random.default_rng(rng)
    steps_T = int(round(float(p.T / p.dt)))
    if not 2 <= steps_T <= 63:
        raise ValueError(f"T / dt must lie in 2..63 steps (one synaptic delay), got {steps_T}")
    last = max((w for v in units.values() for w in windows_of(v)), default=0)
    if n_windows is None:
        n_windows = last + 1
    elif n_windows <= last:
        raise ValueError(f"n_windows = {n_windows}, but a unit is opened in window {last}")
    if ring and n_windows < 3:
        raise ValueError(f"a gating ring needs at least 3 windows, got {n_windows}")
    c = Circuit("graded_chain", dt=p.dt)
    gate_model = EquationNeuron(GATE_EQUATIONS, threshold="V > 1", reset="V = 0",
                                refractory=2 * p.T, input_var="V", method="exact",
                                namespace={"tau_gate": 2 * ms})
    for w in range(n_windows):
        c.add_population(f"gate{w}", p.n_gate, gate_model, role="gate")
    for u, w in units.items():
        # window-0 units are opened at step 2 (kick at 0, gate 0 fires at 1, its volley arrives at
        # 1 and the population integrates from step 2); their current starts so that after the two
        # Euler decay steps before the window opens it is amplitude * g0
        i0 = inputs.get(u, 0.0) * p.g0 / current_decay(p) ** 2
        model = EquationNeuron(GRADED_EQUATIONS, threshold="v > 1", reset="v -= 1",
                               input_var="I", method="euler",
                               # open while more than half a step of drive is left: exactly T
                               namespace={"g0": p.g0, "tau": p.tau, "T": p.T,
                                          "gd_min": float(0.5 * p.dt / p.T)},
                               initial={"v": "rand()" if p.phases == "random" else
                                        f"({rng.random():.12f} + i * 0.6180339887498949) % 1",
                                        "I": i0, "gd": 0.0})
        c.add_population(u, p.n, model, role=(roles or {}).get(u, "graded"))
    c.add_source("kick", p.n_gate, steps=(0,) * p.n_gate, indices=tuple(range(p.n_gate)))
    c.connect("kick", "gate0", "one_to_one", 2.0)
    base = _jitter_steps(p)
    if base > 62:
        raise ValueError(f"jitter {p.jitter} is too large for the delays of {p.dt} steps")
    shifts = np.clip(base + np.rint(float(p.jitter / p.dt) * rng.standard_normal(n_windows)),
                     0, 2 * base).astype(int) if base else np.zeros(n_windows, int)
    for w in range(n_windows - 1 + bool(ring)):
        # the next volley: (steps_T - 1) delay + 1 step of arrival = T after this one; a volley
        # lifts the next gate group far over threshold
        c.connect(f"gate{w}", f"gate{(w + 1) % n_windows}", "all_to_all", 2.0 / p.n_gate,
                  delay=steps_T - 1)
    for u, v in units.items():
        for w in windows_of(v):
            c.connect(f"gate{w}", u, "all_to_all", 1.0 / p.n_gate, target="gd",
                      delay=int(shifts[w]))
    w_unit = np.asarray(unit_weight(p))  # the description's weights: SI values of I's unit
    for edge in edges:
        pre, post, factor = edge[:3]
        if pre not in units or post not in units:
            raise ValueError(f"edge {pre!r} -> {post!r} names an unknown unit")
        W = np.broadcast_to(np.asarray(factor, dtype=float) * w_unit, (p.n, p.n)).copy()
        if p.weight_spread > 0:
            W = W * np.clip(1 + p.weight_spread * rng.standard_normal((p.n, p.n)), 0, None)
        c.connect(pre, post, "all_to_all", W, target="I",
                  plasticity=edge[3] if len(edge) > 3 else None)
    if ring:
        c.schedule = Schedule(n_phases=n_windows * steps_T, ring=(), t0=2)
    c.meta = {"algorithm": "graded_chain", "inputs": dict(inputs), "params": p,
              "units": dict(units), "steps_per_window": steps_T,
              "window_open": [2 + w * steps_T + int(shifts[w]) for w in range(n_windows)]}
    return c


def chain_graph(n_stages: int) -> tuple[dict, list]:
    """Units and edges of the linear chain ``stage0 -> stage1 -> ...`` (stage j in window j)."""
    units = {f"stage{j}": j for j in range(n_stages)}
    edges = [(f"stage{j}", f"stage{j + 1}", 1.0) for j in range(n_stages - 1)]
    return units, edges


def graded_chain_circuit(amplitude: float, p: GradedChainParams = GradedChainParams(),
                         rng=None) -> Circuit:
    """The linear chain ``stage0 -> stage1 -> ...``, stage j opened in window j."""
    units, edges = chain_graph(p.n_stages)
    return graded_graph_circuit(units, edges, {"stage0": amplitude}, p, rng)


def _jitter_steps(p: GradedChainParams) -> int:
    """Base delay (steps) of the gate-to-unit connections: room for three sd of onset jitter.

    The ratio is taken as ``3 * jitter / dt`` of the two times in ms, the arithmetic of the
    published results (``3 * 0.1 / 0.1`` rounds to just above 3 and gives 4 steps); the
    same ratio of the SI values would give 3 and shift every window by one step.
    """
    return int(np.ceil(3 * float(p.jitter / ms) / float(p.dt / ms)))


class _GraphRunner:
    """One built network of a graded graph, run again for other inputs, couplings and seeds.

    The first run builds the circuit and stores the network's initial state
    (:meth:`brian2.Network.store`).  A later run describes its circuit (cheap: numpy only),
    restores that state and writes into the network what differs between circuits of the same
    graph: the initial values of the graded units (input amplitude, phases; Brian2's random
    numbers are seeded as for a new build), the graded weights (coupling ``S``, weight spread)
    and the gate-to-unit delays (onset jitter).  The result equals that of a new build with the
    same seed.  Other backends than ``brian2`` build a new simulator for every run.
    """

    def __init__(self, units, edges, p: GradedChainParams, backend: str = "brian2",
                 record_spikes: bool = False, **options):
        self.units, self.edges, self.p = units, list(edges), p
        self.backend, self.record_spikes, self.options = backend, record_spikes, options
        if backend == "brian2" and p.jitter > 0 * ms:  # delays are rewritten on every reset
            self.options.setdefault("variable_delays", True)
        self.sim = None

    def run(self, inputs: dict, S: float | None = None, seed: int = 0):
        from pulsegated.backends import simulator

        p = self.p if S is None else replace(self.p, S=S)
        c = graded_graph_circuit(self.units, self.edges, inputs, p, rng=seed)
        record = list(c.populations) if self.record_spikes else []
        if self.backend == "meanfield":
            from pulsegated.sgsc.rates import RateSimulator
            self.sim = RateSimulator(c, record_state=list(self.units))
        elif self.sim is None or self.backend != "brian2":
            self.sim = simulator(self.backend)(c, record=record,
                                               record_state={u: "I" for u in self.units},
                                               seed=seed, **self.options)
        else:
            self._reset(c, seed)
        sim = self.sim
        n_windows = len(c.meta["window_open"])
        n_steps = 2 + n_windows * c.meta["steps_per_window"] + 2 + 2 * _jitter_steps(p)
        sim.run_steps(n_steps)
        out = {}
        for u, v in self.units.items():
            I = sim.state(u, "I")  # (steps, neurons), recorded at the end of each step
            # the current when its (first) window opens: end of the step before
            step = c.meta["window_open"][windows_of(v)[0]] - 1 if windows_of(v) else n_steps - 1
            out[u] = float(I[step].mean() / p.g0)
        if self.record_spikes:
            return out, {pop: sim.spikes(pop) for pop in record}
        return out

    def _reset(self, c: Circuit, seed: int) -> None:
        """Restore the built state and write circuit ``c``'s own values into the network."""
        import brian2 as b2

        sim = self.sim
        sim.reset()
        b2.seed(int(seed))  # as Brian2Simulator does before a build: same random initial values
        for name, pop in c.populations.items():
            for var, value in pop.model.initial.items():
                sim.set_state(name, var, value)
        for name, conn in c.connections.items():
            if conn.target == "I":  # graded couplings: S, weight spread
                W = np.broadcast_to(np.asarray(conn.weight, dtype=float),
                                    (c.size_of(conn.pre), c.size_of(conn.post)))
                if conn.pattern == "one_to_one":
                    W = np.diag(np.diag(W))
                sim.set_weights(name, W)
            if conn.target == "gd" and self.p.jitter > 0 * ms:  # onset jitter
                sim.set_delay(name, conn.delay)


def run_graph(units: dict, edges, inputs: dict, p: GradedChainParams = GradedChainParams(),
              seed: int = 0, backend: str = "brian2", record_spikes: bool = False, **options):
    """Amplitude (fraction of g0) of every unit: its current when its window opens, or for an
    ungated unit, at the end of the run.  With ``record_spikes`` also the spikes.

    Parameters
    ----------
    units, edges, inputs
        As in :func:`graded_graph_circuit` (amplitudes are plain fractions of g0).
    p : GradedChainParams
        Dimensioned values as Brian2 Quantities.
    seed : int
        Seed of the description (phases, jitter, weight spread) and of the simulator.
    options
        Simulator options (e.g. ``codegen="numpy"``).
    """
    return _GraphRunner(units, edges, p, backend, record_spikes, **options).run(inputs,
                                                                              seed=seed)


def run_chain(amplitude: float, p: GradedChainParams = GradedChainParams(), seed: int = 0,
              backend: str = "brian2", record_spikes: bool = False, **options):
    """Amplitude (fraction of g0) of every stage of the linear chain when its window opens.

    ``amplitude`` is a plain fraction of g0; ``p`` holds the dimensioned constants as Brian2
    Quantities.  With ``record_spikes``, returns ``(amplitudes, spikes)`` where ``spikes`` maps
    every population (gates and stages) to ``(steps, indices)``.
    """
    units, edges = chain_graph(p.n_stages)
    res = run_graph(units, edges, {"stage0": amplitude}, p, seed, backend, record_spikes,
                    **options)
    amps, spikes = res if record_spikes else (res, None)
    out = np.array([amps[f"stage{j}"] for j in range(p.n_stages)])
    return (out, spikes) if record_spikes else out


def calibrate(p: GradedChainParams = GradedChainParams(), amplitudes=(0.1, 0.3, 0.5, 0.7, 0.9),
              iterations: int = 3, seed: int = 0, backend: str = "brian2", **options) -> tuple:
    """Tune the coupling until the measured one-stage map is the identity over the graded range.

    ``backend="meanfield"`` calibrates the circuit's mean field
    (:class:`~pulsegated.sgsc.rates.RateSimulator`) instead of a spiking backend.

    Each iteration runs a 2-stage chain for every amplitude (seed ``seed + k`` for amplitude
    ``k``), fits the slope of output against input amplitude (least squares through the
    origin) and divides the coupling by it.  The 2-stage network is built once and reset
    between runs (:meth:`brian2.Network.restore`, new weights and initial values): the same
    numbers as a new build per run.

    Parameters
    ----------
    p : GradedChainParams
        Dimensioned values as Brian2 Quantities; ``p.S`` is the starting coupling.
    amplitudes : sequence of float
        Input amplitudes, plain fractions of g0.
    iterations : int
    seed : int
    backend : str
    options
        Simulator options (e.g. ``codegen="numpy"``).

    Returns
    -------
    params : GradedChainParams
        With the calibrated ``S``.
    history : list of (S, slope)
    """
    history = []
    q = replace(p, n_stages=2)
    units, edges = chain_graph(2)
    runner = _GraphRunner(units, edges, q, backend, **options)
    for _ in range(iterations):
        xs, ys = [], []
        for k, a in enumerate(amplitudes):
            amps = runner.run({"stage0": a}, S=q.S, seed=seed + k)
            xs.append(amps["stage0"])
            ys.append(amps["stage1"])
        xs, ys = np.array(xs), np.array(ys)
        slope = float(xs @ ys / (xs @ xs))
        history.append((q.S, slope))
        q = replace(q, S=q.S / slope)
    return replace(p, S=q.S), history
