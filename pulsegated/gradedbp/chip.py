"""The linear-map circuit on Loihi 1 integer arithmetic (the quantizing backend).

The graded units of :mod:`pulsegated.gradedbp.circuit` are discretized to chip compartments and
the linear map is learnt with the chip's integer state, weights and spikes.  Three things of the
Brian2 circuit cannot be carried over to one Loihi 1 compartment as they are, and are replaced:

* **Gates.**  A graded unit's gate adds ``g0`` to its *voltage* for exactly one window while its
  current keeps decaying.  Loihi 1 delivers synaptic input only to the current ``u``, so a gate
  population would add to the very current that carries the graded value and decay with it.  The
  one term the chip adds to ``v`` directly is the bias: here every unit's window is its bias
  register, written by the host at window boundaries (on the chip, by an embedded-processor snip):
  ``-8192`` threshold units (shut; ``v`` is held at 0 by ``vMin = 0``, the rectification) or
  ``0`` (open).  The gating ring itself is not on the chip.
* **Phases and reset.**  The Brian2 units reset by subtraction and keep their phases between
  windows; a Loihi compartment resets to 0 and ``vMin = 0`` clears its voltage while it is shut,
  so the ``n`` compartments of a unit would fire in lockstep.  For the first ``phase_steps`` steps
  of a window the host adds ``phi_i * threshold / phase_steps`` to compartment ``i``'s bias
  (``phi_i`` evenly spread over ``[0, 1)``): the unit's spike count is then its current's integral
  to within ``1 / n`` spike per compartment.  Each spike still loses its overshoot above the
  threshold (about ``g0 dt / 2`` of the amplitude per unit amplitude): a compression the learnt
  weights absorb.
* **Learning.**  The graded rule changes a synapse by the product of its presynaptic spikes and
  the rate of a *third* population, the error unit of its output, with the sign of that unit
  (``d+`` potentiates, ``d-`` depresses).  The learning engine's third factor is the reward
  trace of the postsynaptic compartment, entering a rule with a fixed sign; a signed third
  factor from two error populations would need two such traces, or the sign carried by the
  postsynaptic spikes as in the binary nBP rule -- and the output's spikes here also carry its
  forward drive ``W x``.  So the forward and error passes run on the chip and the host applies
  the rule in integers: it reads the split errors' spike counts, forms ``eta (d+ - d-) x^T``
  (with the ``x`` it sent) in weight mantissas and rounds it stochastically (seeded), as the chip
  rounds its own updates, before writing the mantissas back.

One learning cycle, ``s = T / dt`` steps per window; ``xs`` and ``ts`` are senders (the host
writes their amplitude into their bias), every other unit fires at the rate of its decaying
current::

    window 0   xs open (bias x u_unit)                     x integrates
    window 1   x open; ts open (bias t u_unit)             o <- W x,  t integrates
    window 2   o, t open                                   d+ <- t - o,  d- <- o - t
    window 3   d+, d- open                                 (host: counts, update of W)
    window 4.. idle: the currents die out

A coupling of factor ``c`` from a unit to another is ``c * w`` threshold units per synapse, ``w``
set so that the receiving current at its window equals ``c`` times the sending amplitude (one
``w`` for the constant-rate senders, one for decaying units, from the exact integer decay); ``t``
and ``o`` reach the error units through the same relay, so their spike-timing errors cancel in
``t - o``.  The plastic matrix is held as two static connections (excitatory and inhibitory
mantissas, weight exponent :func:`plastic_exponent`) that the host rewrites:
``W = (M+ - M-) 2**e / w``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields

import numpy as np
from brian2 import Hz, Quantity, ms

from pulsegated.circuit import Circuit, LoihiCompartment
from pulsegated.errors import UsageError
from pulsegated.sgsc._units import check_quantity, hashable

__all__ = ["ChipGradedParams", "chip_linear_circuit", "plastic_exponent", "phase_bias",
           "ChipCycleRunner", "learn_linear_map_chip"]

#: bias (threshold units) of a shut unit: the most negative the chip's bias registers hold
SHUT_BIAS = -8192
#: largest bias the registers hold (threshold units): 4095 << 7 raw
MAX_BIAS = 8190
#: rotation of a unit's phases from one cycle to the next (a low-discrepancy sequence: the spike
#: counts' rounding averages out over cycles faster than with random rotations)
GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
#: largest threshold (the 17-bit vthMant)
MAX_THRESHOLD = (1 << 17) - 1

ROLES = ("xs", "ts", "x", "t", "o", "dp", "dn")
#: the window each role is open in (a cycle has 4 + idle windows)
OPEN_WINDOW = {"xs": 0, "x": 1, "ts": 1, "o": 2, "t": 2, "dp": 3, "dn": 3}
#: the senders: they fire at a constant rate, their amplitude a bias the host writes; every
#: other unit fires at the rate of its decaying current
CONSTANT = ("xs", "ts")


@dataclass(frozen=True)
class ChipGradedParams:
    """Constants of the graded units as chip compartments.

    Parameters
    ----------
    n : int
        Compartments per unit.
    g0 : Quantity
        Rate of a unit at amplitude 1 (a Brian2 rate).
    tau : Quantity
        Time constant of a unit's current (sets the chip's current decay).
    T : Quantity
        Window length.
    dt : Quantity
        One chip step.
    u_unit : int
        A unit's current at amplitude 1, in threshold units; the threshold is
        ``u_unit / (g0 dt)``.  Larger is finer; the bias that sends an amplitude (at most
        8190) and the 17-bit threshold bound it.
    phase_steps : int
        Steps at the start of a window over which the host spreads the compartments' phases.
    idle_windows : int
        Windows after the error windows in which the currents die out.
    eta : float
        Learning rate per cycle: ``W += eta (t - o) x^T`` in the mean.
    w_bound : float
        Plastic coupling factors stay in ``[-w_bound, w_bound]``; it sets the plastic matrix's
        weight exponent (:func:`plastic_exponent`), so a smaller bound is a finer weight step
        (1.25 with the other defaults: exponent 0, a step of 1/190 coupling factors).
    """

    n: int = 24
    g0: Quantity = field(default_factory=lambda: 500 * Hz)
    tau: Quantity = field(default_factory=lambda: 10 * ms)
    T: Quantity = field(default_factory=lambda: 20 * ms)
    dt: Quantity = field(default_factory=lambda: 0.1 * ms)
    u_unit: int = 6144
    phase_steps: int = 20
    idle_windows: int = 2
    eta: float = 0.8
    w_bound: float = 1.25

    def __post_init__(self):
        check_quantity(self.g0, "rate", "ChipGradedParams.g0", positive=True)
        for name in ("tau", "T", "dt"):
            check_quantity(getattr(self, name), "time", f"ChipGradedParams.{name}",
                           positive=True)
        if not isinstance(self.n, (int, np.integer)) or not 2 <= self.n <= 1000:
            raise UsageError(f"ChipGradedParams.n must be an integer in 2..1000, got {self.n!r}")
        if not isinstance(self.phase_steps, (int, np.integer)) or self.phase_steps < 1:
            raise UsageError(f"ChipGradedParams.phase_steps must be a positive integer, got "
                             f"{self.phase_steps!r}")
        s = float(self.T / self.dt)
        if abs(s - round(s)) > 1e-9 or round(s) < 2 * self.phase_steps:
            raise UsageError(f"ChipGradedParams: T / dt must be a whole number of steps, at "
                             f"least twice phase_steps = {self.phase_steps}; got {s:g}")
        if (not isinstance(self.u_unit, (int, np.integer)) or self.u_unit % 2
                or not 64 <= self.u_unit <= MAX_BIAS / 1.2):
            raise UsageError(f"ChipGradedParams.u_unit must be an even integer in "
                             f"64..{int(MAX_BIAS / 1.2)} (amplitudes up to 1.2 are sent as a "
                             f"bias), got {self.u_unit!r}")
        g0dt = float(self.g0 * self.dt)
        if not 0 < g0dt <= 0.25:
            raise UsageError(f"ChipGradedParams: g0 * dt must lie in (0, 0.25] (spikes per step "
                             f"at amplitude 1), got {g0dt:g}")
        th = self.u_unit / g0dt
        if abs(th - round(th)) > 1e-6 or not 1 <= round(th) <= MAX_THRESHOLD:
            raise UsageError(f"ChipGradedParams: the threshold u_unit / (g0 dt) = {th:g} must "
                             f"be an integer in 1..{MAX_THRESHOLD}")
        d = round(4096 * float(self.dt / self.tau))
        if not 1 <= d <= 4096:
            raise UsageError(f"ChipGradedParams: dt / tau = {float(self.dt / self.tau):g} gives "
                             f"no current decay the chip holds (4096 dt / tau in 1..4096)")
        if th / self.phase_steps > MAX_BIAS:
            raise UsageError(f"ChipGradedParams: phase_steps must be at least "
                             f"{int(np.ceil(th / MAX_BIAS))} (the phase bias threshold / "
                             f"phase_steps must fit the bias registers)")
        if not isinstance(self.idle_windows, (int, np.integer)) or self.idle_windows < 1:
            raise UsageError(f"ChipGradedParams.idle_windows must be at least 1, got "
                             f"{self.idle_windows!r}")
        if not 0 < self.eta <= 2:
            raise UsageError(f"ChipGradedParams.eta must lie in (0, 2], got {self.eta}")
        if not 0 < self.w_bound <= 10:
            raise UsageError(f"ChipGradedParams.w_bound must lie in (0, 10], got {self.w_bound}")

    def __hash__(self):
        return hash(tuple(hashable(getattr(self, f.name)) for f in fields(self)))

    # -- derived integers -------------------------------------------------------------------
    @property
    def steps(self) -> int:
        """Steps per window."""
        return int(round(float(self.T / self.dt)))

    @property
    def threshold(self) -> int:
        return int(round(self.u_unit / float(self.g0 * self.dt)))

    @property
    def decay_u(self) -> int:
        """The chip's effective current decay (of 4096 per step)."""
        return int(round(4096 * float(self.dt / self.tau)))

    @property
    def windows(self) -> int:
        """Windows per learning cycle."""
        return 4 + self.idle_windows

    def _f(self) -> float:
        return 1.0 - self.decay_u / 4096.0

    def counts_per_amplitude(self, role: str) -> float:
        """Spikes of a unit (all ``n`` compartments) in its window per unit of amplitude."""
        s, g0dt = self.steps, float(self.g0 * self.dt)
        if role in CONSTANT:
            return self.n * g0dt * (s - self.phase_steps)
        return self.n * g0dt * float(np.sum(self._f() ** np.arange(s)))

    def unit_weight(self, sender: str) -> float:
        """Threshold units per synapse of a coupling of factor 1 from a unit of role
        ``sender`` (the receiving current at its window = the sender's amplitude)."""
        s, g0dt, f = self.steps, float(self.g0 * self.dt), self._f()
        if sender in CONSTANT:   # rate r after the phase steps; each decays to the window's end
            gain = float(np.sum(f ** np.arange(s - self.phase_steps)))
        else:                    # rate r f^k at step k, then f^(s-1-k): s f^(s-1)
            gain = s * f ** (s - 1)
        return self.u_unit / (self.n * g0dt * gain)


def _fixed_weight(w: float) -> int:
    """A static coupling's weight: the nearest integer the chip holds exactly (even above 255)."""
    if w <= 255:
        return int(round(w))
    return 2 * int(round(w / 2))


def plastic_exponent(p: ChipGradedParams) -> int:
    """Weight exponent of the plastic matrix: the smallest whose 255 mantissas reach
    ``w_bound``."""
    w = p.unit_weight("x")
    for e in range(0, 8):
        if 255 * 2 ** e >= p.w_bound * w:
            return e
    raise UsageError(f"w_bound = {p.w_bound} needs a weight beyond 255 << 7 threshold units")


def chip_linear_circuit(n_in: int, n_out: int, p: ChipGradedParams = ChipGradedParams()
                        ) -> Circuit:
    """The forward and error part of the linear-map circuit as chip compartments.

    Populations of ``p.n`` compartments per unit, all shut (bias :data:`SHUT_BIAS`): senders
    ``xs`` (``n_in`` units) and ``ts`` (``n_out``), and ``x``, ``t``, ``o``, ``dp``, ``dn``.  The
    plastic matrix is the connections ``x__o_pos`` (excitatory) and ``x__o_neg`` (inhibitory),
    weight exponent :func:`plastic_exponent`, all mantissas 0.
    """
    for name, v in (("n_in", n_in), ("n_out", n_out)):
        if not isinstance(v, (int, np.integer)) or not 1 <= v <= 64:
            raise UsageError(f"{name} must be an integer in 1..64, got {v!r}")
    c = Circuit(name="graded_bp_linear_chip", dt=p.dt)
    model = LoihiCompartment(threshold=p.threshold, bias=SHUT_BIAS, decay_u=p.decay_u,
                             decay_v=0, refractory=1, v_min=0)
    size = {"xs": n_in, "x": n_in, "ts": n_out, "t": n_out, "o": n_out, "dp": n_out,
            "dn": n_out}
    for r in ROLES:
        c.add_population(r, size[r] * p.n, model, role=r)
    n = p.n
    e = plastic_exponent(p)
    zeros = np.zeros((n_in * n, n_out * n), dtype=np.int64)
    c.connect("x", "o", "all_to_all", zeros, weight_exp=e, sign_mode="excitatory",
              name="x__o_pos")
    c.connect("x", "o", "all_to_all", zeros, weight_exp=e, sign_mode="inhibitory",
              name="x__o_neg")

    def blocks(units):
        return np.kron(np.eye(units, dtype=np.int64), np.ones((n, n), dtype=np.int64))

    wc, wd = _fixed_weight(p.unit_weight("xs")), _fixed_weight(p.unit_weight("x"))
    c.connect("xs", "x", "all_to_all", wc * blocks(n_in))
    c.connect("ts", "t", "all_to_all", wc * blocks(n_out))
    c.connect("t", "dp", "all_to_all", wd * blocks(n_out))
    c.connect("o", "dp", "all_to_all", -wd * blocks(n_out))
    c.connect("o", "dn", "all_to_all", wd * blocks(n_out))
    c.connect("t", "dn", "all_to_all", -wd * blocks(n_out))
    c.meta.update(algorithm="graded_bp", backend_design="chip", chip_params=p,
                  task_shape=(n_out, n_in), plastic_exp=e,
                  fixed_weights={"sender": wc, "relay": wd})
    return c.validate()


def phase_bias(p: ChipGradedParams, offsets) -> np.ndarray:
    """Per compartment bias (threshold units, even) that, over the first ``phase_steps`` steps
    of a window, sets compartment ``i`` of a unit to the phase ``(i + offset) / n``; one offset in
    ``[0, 1)`` per unit."""
    offsets = np.atleast_1d(np.asarray(offsets, dtype=float))
    phi = (np.arange(p.n)[None, :] + offsets[:, None]) / p.n
    return (2 * np.rint(phi * p.threshold / (2 * p.phase_steps))).ravel()


class ChipCycleRunner:
    """The linear-map circuit on the Loihi backend, run cycle by cycle with host updates.

    Parameters
    ----------
    W0 : (n_out, n_in) array
        Initial coupling factors (rounded to the mantissa grid).
    p : ChipGradedParams
    seed : int
        Seed of the host's random numbers: each unit's initial phase offset (rotated by the
        golden ratio every cycle, so that the spike counts' rounding averages out over cycles
        instead of biasing them) and the stochastic rounding of its updates.
    record_state : dict, optional
        ``{role: "u" or ("u", "v")}`` recorded every step (the Loihi simulator's
        ``record_state``; read with ``runner.sim.state``).
    """

    def __init__(self, W0, p: ChipGradedParams = ChipGradedParams(), seed: int = 0,
                 record_state=None):
        from pulsegated.backends import Simulator

        W0 = np.asarray(W0, dtype=float)
        if W0.ndim != 2 or W0.size == 0 or not np.all(np.isfinite(W0)):
            raise UsageError(f"W0 must be a finite 2-D matrix (outputs x inputs), got shape "
                             f"{W0.shape}")
        if np.abs(W0).max() > p.w_bound:
            raise UsageError(f"W0 must lie in [-w_bound, w_bound] = [-{p.w_bound}, "
                             f"{p.w_bound}]")
        self.p = p
        self.n_out, self.n_in = W0.shape
        self.circuit = chip_linear_circuit(self.n_in, self.n_out, p)
        self.sim = Simulator(self.circuit, backend="loihi", record=list(ROLES),
                             record_state=record_state)
        e = self.circuit.meta["plastic_exp"]
        self.w = p.unit_weight("x") / 2 ** e       # mantissa per unit coupling factor
        self.m_max = int(min(255, np.floor(p.w_bound * self.w)))
        self.M = np.clip(np.rint(W0 * self.w), -self.m_max, self.m_max).astype(np.int64)
        self.rng = np.random.default_rng(seed)
        self._units = {r: self.circuit.populations[r].size // p.n for r in ROLES}
        self._offset = {r: self.rng.random(self._units[r]) for r in ROLES}
        self._write_weights()
        self.cycle = 0
        self.stray_spikes = 0

    @property
    def W(self) -> np.ndarray:
        """The coupling factors the chip holds: ``M / w``."""
        return self.M / self.w

    def _write_weights(self) -> None:
        n, e = self.p.n, self.circuit.meta["plastic_exp"]
        dense = np.kron(self.M.T, np.ones((n, n), dtype=np.int64)) << e  # (pre, post)
        self.sim.set_weights("x__o_pos", np.maximum(dense, 0))
        self.sim.set_weights("x__o_neg", np.minimum(dense, 0))

    def _amplitude_bias(self, values) -> np.ndarray:
        """A constant-rate unit's bias for amplitudes ``values`` (threshold units, even)."""
        v = np.asarray(values, dtype=float)
        b = 2 * np.rint(v * self.p.u_unit / 2)
        return np.repeat(b, self.p.n)

    def run_cycle(self, x, t, learn: bool = True) -> dict:
        """One learning cycle: send ``x`` and ``t`` (amplitudes), read the spikes, update ``W``.

        Returns ``{role: amplitudes}`` for every role (:data:`ROLES`): each unit's amplitude in
        its window, from its spikes.
        """
        p = self.p
        x = np.asarray(x, dtype=float)
        t = np.asarray(t, dtype=float)
        if x.shape != (self.n_in,) or t.shape != (self.n_out,):
            raise UsageError(f"x must have {self.n_in} and t {self.n_out} entries, got "
                             f"{x.shape} and {t.shape}")
        limit = MAX_BIAS / p.u_unit
        for name, v in (("x", x), ("t", t)):
            if np.any(v < 0) or np.any(v > limit):
                raise UsageError(f"{name} must lie in [0, {limit:.3g}] (the bias that sends "
                                 f"it), got [{v.min():.3g}, {v.max():.3g}]")
        level = {"xs": self._amplitude_bias(x), "ts": self._amplitude_bias(t)}
        s = p.steps
        t0 = self.sim.t
        for w in range(p.windows):
            for phase in (True, False):
                for r in ROLES:
                    if OPEN_WINDOW[r] != w:
                        bias = SHUT_BIAS
                    elif phase:   # the phases rotated by the golden ratio at every window
                        bias = phase_bias(p, (self._offset[r] + self.cycle * GOLDEN) % 1.0)
                    else:
                        bias = level.get(r, 0)
                    self.sim.set_bias(r, bias)
                self.sim.run_steps(p.phase_steps if phase else s - p.phase_steps)
        amps = {}
        for r in ROLES:
            steps, idx = self.sim.spikes(r)
            steps, idx = np.asarray(steps), np.asarray(idx)
            a = t0 + OPEN_WINDOW[r] * s
            mine = (steps >= t0)
            inside = mine & (steps >= a) & (steps < a + s)
            self.stray_spikes += int(np.count_nonzero(mine & ~inside))
            units = self.circuit.populations[r].size // p.n
            counts = np.bincount(idx[inside] // p.n, minlength=units)[:units]
            amps[r] = counts / p.counts_per_amplitude(r)
        self.sim.clear_spikes()
        if learn:
            # the x the host sent, not x's counted spikes: the counts carry the noise of the
            # very spikes that drove o, and a regressor with noise that also drives the output
            # biases least squares towards 0 (by var(noise) / var(x), a few percent here)
            d = amps["dp"] - amps["dn"]
            dm = p.eta * np.outer(d, x) * self.w
            step = np.floor(dm + self.rng.random(dm.shape)).astype(np.int64)
            self.M = np.clip(self.M + step, -self.m_max, self.m_max)
            self._write_weights()
        self.cycle += 1
        return amps

    def prepare(self) -> None:
        """Compile the emulator's kernel (or load it from the cache) before the first cycle."""
        self.sim.prepare()

    def close(self) -> None:
        self.sim.close()


def learn_linear_map_chip(task=None, cycles: int = 300, p: ChipGradedParams | None = None,
                          seed: int = 0, W0=None, callback=None) -> dict:
    """Learn ``y = A x`` with the linear-map circuit on Loihi 1 integer arithmetic.

    The inputs, targets and (by default) initial weights are those of
    :func:`~pulsegated.gradedbp.learn.learn_linear_map` with the same ``seed``, so that the two
    runs can be compared cycle by cycle.

    Returns
    -------
    dict
        ``records`` (per cycle: ``cycle``, ``loss``, ``W``, ``target``, ``x``, ``t``, ``o``,
        ``max_weight_error``, ``mode`` = ``"loihi"``), ``W_history``, ``A``, ``params``,
        ``seconds_per_cycle``, ``stray_spikes`` (spikes of a shut unit: 0 when every current
        stayed below the shut bias), ``fixed_weights``.
    """
    from pulsegated.gradedbp.tasks import linear_map_inputs

    task, W0, x, t, _ = linear_map_inputs(task, cycles, seed, W0)
    A = task.matrix
    p = ChipGradedParams() if p is None else p
    runner = ChipCycleRunner(W0, p, seed=seed)
    scale = np.abs(A).max()
    history = [runner.W]
    records = []
    start = time.perf_counter()
    try:
        for i in range(cycles):
            amps = runner.run_cycle(x[i], t[i])
            W = runner.W
            history.append(W)
            rec = {"cycle": i + 1, "loss": float(np.mean((t[i] - amps["o"]) ** 2)),
                   "W": W.tolist(), "target": A.tolist(), "x": x[i].tolist(),
                   "t": t[i].tolist(), "o": amps["o"].tolist(),
                   "max_weight_error": float(np.abs(W - A).max() / scale), "mode": "loihi"}
            records.append(rec)
            if callback is not None:
                callback(rec)
        stray = runner.stray_spikes
    finally:
        runner.close()
    return {"records": records, "W_history": np.array(history), "A": A, "params": p,
            "seconds_per_cycle": (time.perf_counter() - start) / cycles, "x": x, "t": t,
            "stray_spikes": stray, "fixed_weights": runner.circuit.meta["fixed_weights"]}
