"""Backend-neutral description of a spiking circuit.

A :class:`Circuit` is plain data: populations of neurons, connections between them, external spike
sources, an optional gating ring with its phase schedule, and the plasticity rules of plastic
connections.  Algorithms (the nBP circuit, chains, graded backprop) build circuits; backends
(Brian2, the Loihi integer emulator) turn them into something that runs.  Nothing here imports a
simulator.

Two neuron families can be described:

* :class:`LoihiCompartment` -- the chip's integer CUBA LIF compartment, parameters in *threshold
  units*: integers in which the firing threshold of the nBP circuit is 1024 (on the chip every one of
  these values is further multiplied by 2**6, see :mod:`pulsegated.backends.loihi`).  Runs on every
  backend.
* :class:`EquationNeuron` -- a continuous-time model written in Brian2's equation language, with
  units.  Runs on the Brian2 backend only; the Loihi backend refuses it with a clear error.

Time is counted in integer *steps* of ``Circuit.dt``.  A spike emitted at step ``t`` by a neuron or a
source arrives at its targets at step ``t + 1 + delay``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from pulsegated.circuit import weights as _weights

__all__ = [
    "CircuitError", "LoihiCompartment", "EquationNeuron", "Population", "SpikeSource",
    "Connection", "SumOfProducts", "RateHebbian", "Schedule", "Circuit",
    "CONNECTION_PATTERNS", "MIXED_WEIGHT_RANGE", "MAX_DELAY", "V_LIMIT",
]

#: Connection patterns a description may use.
CONNECTION_PATTERNS = ("one_to_one", "one_to_all", "all_to_all")
#: Range of the chip's 8-bit mixed-sign weight mantissa (even steps only).
MIXED_WEIGHT_RANGE = (-256, 254)
#: Largest synaptic delay (in steps) a description may ask for (Loihi 1: 0..62 with enough
#: dendritic accumulators; the nBP circuit uses 0..6).
MAX_DELAY = 62
#: Largest magnitude of v in chip raw units (24-bit signed; the chip's default vMax and -vMin).
V_LIMIT = (1 << 23) - 1
#: Chip raw units per threshold unit.
RAW_PER_UNIT = 64


class CircuitError(ValueError):
    """A circuit description is inconsistent; the message says which element and why."""


def _check_int(owner: str, name: str, value, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise CircuitError(f"{owner}: {name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if lo is not None and value < lo:
        raise CircuitError(f"{owner}: {name}={value} is below the allowed minimum {lo}")
    if hi is not None and value > hi:
        raise CircuitError(f"{owner}: {name}={value} is above the allowed maximum {hi}")
    return value


def _check_raw(owner: str, name: str, value, lo_raw: int, hi_raw: int) -> int:
    """``value`` (threshold units, a multiple of 1/64) as an exact integer of chip raw units."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                      np.floating)):
        raise CircuitError(f"{owner}: {name} must be a number, got {value!r} "
                           f"({type(value).__name__})")
    if isinstance(value, (int, np.integer)):
        raw = int(value) * RAW_PER_UNIT
    else:
        scaled = float(value) * RAW_PER_UNIT
        if not np.isfinite(scaled) or scaled != np.floor(scaled):
            raise CircuitError(f"{owner}: {name}={value!r} is not a multiple of 1/64 threshold "
                               f"unit (one chip raw unit): {name} * 64 must be an integer")
        raw = int(scaled)
    if not lo_raw <= raw <= hi_raw:
        raise CircuitError(f"{owner}: {name}={value!r} is outside the allowed range "
                           f"[{lo_raw / RAW_PER_UNIT}, {hi_raw / RAW_PER_UNIT}]")
    return raw


# --------------------------------------------------------------------------------------- neurons
@dataclass(frozen=True)
class LoihiCompartment:
    """Loihi 1 CUBA LIF compartment in threshold units (chip raw value >> 6).

    Dynamics of one step, with ``decay(x, d) = sign(x) * floor(|x| * (4096 - d) / 4096)``::

        u[t] = decay(u[t-1], decay_u) + input[t]
        v[t] = clip(decay(v[t-1], decay_v) + u[t] + bias, v_min, v_max)
        spike iff v[t] > threshold; then v = 0 and v is held at 0 for refractory - 1 steps

    Parameters
    ----------
    threshold : int
        Firing threshold (strictly greater fires).  1024 in the nBP circuit.
    bias : int or float
        Constant added to v every step.  -8192 for nBP data neurons, 0 for gate neurons.  Any
        multiple of 1/64 (``bias * 64`` an exact integer: one chip raw unit is 1/64).
    decay_u, decay_v : int
        Effective decays in 0..4096 (4096: state forgotten every step, i.e. memoryless).
    refractory : int
        Refractory delay R >= 1: v is held at 0 for R - 1 steps after a spike (1: none).
    v_min, v_max : int or float or None
        Saturation bounds of v, multiples of 1/64 with ``v_min <= 0 <= v_max`` and magnitudes
        up to ``(2**23 - 1) / 64`` (the 24-bit range).  None: the chip's default,
        ``-(2**23 - 1) / 64`` and ``(2**23 - 1) / 64``.  On the chip the bounds are registers of
        a whole core and take only the values ``-(2**a - 1) / 64`` (a = 0..23) and
        ``(2**(9 + 2b) - 1) / 64`` (b = 0..7); here they belong to a population, and the Loihi
        backend refuses other values.
    """

    threshold: int = 1024
    bias: int | float = 0
    decay_u: int = 4096
    decay_v: int = 4096
    refractory: int = 1
    v_min: int | float | None = None
    v_max: int | float | None = None

    def validate(self, owner: str) -> None:
        _check_int(owner, "threshold", self.threshold, 0, (1 << 17) - 1)
        _check_raw(owner, "bias", self.bias, -(1 << 19) * RAW_PER_UNIT,
                   ((1 << 19) - 1) * RAW_PER_UNIT)
        _check_int(owner, "decay_u", self.decay_u, 0, 4096)
        _check_int(owner, "decay_v", self.decay_v, 0, 4096)
        _check_int(owner, "refractory", self.refractory, 1, 63)
        if self.v_min is not None:
            _check_raw(owner, "v_min", self.v_min, -V_LIMIT, 0)
        if self.v_max is not None:
            _check_raw(owner, "v_max", self.v_max, 0, V_LIMIT)

    def raw(self, name: str) -> int:
        """``bias``, ``v_min`` or ``v_max`` in chip raw units (threshold units x 64), exact.

        None bounds give the chip defaults ``-(2**23 - 1)`` and ``2**23 - 1``.
        """
        owner = "LoihiCompartment"
        if name == "bias":
            return _check_raw(owner, "bias", self.bias, -(1 << 19) * RAW_PER_UNIT,
                              ((1 << 19) - 1) * RAW_PER_UNIT)
        if name == "v_min":
            return -V_LIMIT if self.v_min is None else _check_raw(owner, name, self.v_min,
                                                                  -V_LIMIT, 0)
        if name == "v_max":
            return V_LIMIT if self.v_max is None else _check_raw(owner, name, self.v_max,
                                                                 0, V_LIMIT)
        raise ValueError(f"raw() knows bias, v_min and v_max, not {name!r}")

    @property
    def memoryless(self) -> bool:
        """True when both decays are 4096: v is bias plus this step's input only."""
        return self.decay_u == 4096 and self.decay_v == 4096


@dataclass(frozen=True)
class EquationNeuron:
    """A continuous-time neuron model in Brian2's equation language (with units).

    Parameters
    ----------
    equations : str
        Model equations, e.g. ``"dv/dt = (I - v)/tau : volt (unless refractory)"``.
    threshold, reset : str
        Threshold condition and reset statements.
    refractory : str or Quantity or None
        Refractory period (a Brian2 quantity or expression).
    input_var : str
        The variable a spike arriving through a connection is added to (``input_var += w``).
    namespace : Mapping
        Constants used by the equations (values with units).
    initial : Mapping
        Initial values of state variables (value with units, or a Brian2 expression string).
    method : str
        Integration method name (Brian2's ``method=``).
    """

    equations: str
    threshold: str
    reset: str = ""
    refractory: object = None
    input_var: str = "v"
    namespace: Mapping = field(default_factory=dict)
    initial: Mapping = field(default_factory=dict)
    method: str = "euler"

    def validate(self, owner: str) -> None:
        if not isinstance(self.equations, str) or not self.equations.strip():
            raise CircuitError(f"{owner}: equations must be a non-empty string")
        if not isinstance(self.threshold, str) or not self.threshold.strip():
            raise CircuitError(f"{owner}: threshold must be a non-empty condition string")
        if not isinstance(self.input_var, str) or not self.input_var.isidentifier():
            raise CircuitError(f"{owner}: input_var must be a variable name, got {self.input_var!r}")


# ------------------------------------------------------------------------------- populations
@dataclass(frozen=True)
class Population:
    """A group of identical neurons.

    Parameters
    ----------
    name : str
        Unique identifier (a valid Python identifier; backends use it for object names).
    size : int
        Number of neurons (>= 1).
    model : LoihiCompartment or EquationNeuron
    role : str
        Free-form tag used by plotting and analysis (``"input"``, ``"hidden"``, ``"memory"``,
        ``"gate"``, ...).
    """

    name: str
    size: int
    model: object = field(default_factory=LoihiCompartment)
    role: str = ""

    def validate(self) -> None:
        owner = f"population {self.name!r}"
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise CircuitError(f"{owner}: name must be a valid identifier")
        _check_int(owner, "size", self.size, 1)
        if not isinstance(self.model, (LoihiCompartment, EquationNeuron)):
            raise CircuitError(f"{owner}: model must be a LoihiCompartment or an EquationNeuron, "
                               f"got {type(self.model).__name__}")
        self.model.validate(owner)


@dataclass(frozen=True)
class SpikeSource:
    """External spikes fed into the circuit.

    Exactly one of three kinds:

    * ``data_phase`` set: a *data* source. Per sample the run supplies a binary vector of length
      ``size``; neuron ``i`` spikes at phase ``data_phase`` of the sample iff its entry is 1.
    * ``phases`` set: a *fixed-pattern* source; every neuron spikes at these phases of every sample
      (used for the reward channel).
    * ``steps`` (and ``indices``) set: explicit spike train (absolute steps; ``indices`` defaults to
      neuron 0), e.g. the one-spike kick-start of a gating ring.
    * ``rate`` set: Poisson spikes at this rate (a Brian2 quantity, Hz); Brian2 backend only.
    """

    name: str
    size: int = 1
    data_phase: int | None = None
    phases: tuple = ()
    steps: tuple = ()
    indices: tuple = ()
    rate: object = None

    @property
    def kind(self) -> str:
        if self.data_phase is not None:
            return "data"
        if self.phases:
            return "pattern"
        if self.rate is not None:
            return "poisson"
        return "train"

    def validate(self, n_phases: int | None) -> None:
        owner = f"source {self.name!r}"
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise CircuitError(f"{owner}: name must be a valid identifier")
        _check_int(owner, "size", self.size, 1)
        kinds = [self.data_phase is not None, bool(self.phases), bool(self.steps),
                 self.rate is not None]
        if sum(kinds) != 1:
            raise CircuitError(f"{owner}: give exactly one of data_phase, phases, steps, rate")
        if (self.data_phase is not None or self.phases) and n_phases is None:
            raise CircuitError(f"{owner}: phase-timed sources need a Schedule in the circuit")
        if self.data_phase is not None:
            _check_int(owner, "data_phase", self.data_phase, 0, n_phases - 1)
        for p in self.phases:
            _check_int(owner, "phase", p, 0, n_phases - 1)
        for s in self.steps:
            _check_int(owner, "step", s, 0)
        if self.indices and len(self.indices) != len(self.steps):
            raise CircuitError(f"{owner}: indices ({len(self.indices)}) and steps "
                               f"({len(self.steps)}) differ in length")
        for i in self.indices:
            _check_int(owner, "index", i, 0, self.size - 1)


# ------------------------------------------------------------------------------- plasticity
_SOP_FACTORS = ("x0", "y0", "r0", "r1", "x1", "x2", "y1", "y2", "y3")


@dataclass(frozen=True)
class SumOfProducts:
    """Loihi's sum-of-products learning rule, ``dw = sum_i S_i * prod_j factor_ij``.

    Evaluated every ``t_epoch`` steps from what happened in the epoch: ``x0``/``y0`` are 1 if the
    pre/post neuron spiked in the epoch, ``r0`` 1 if the reward source spiked, ``r1`` the reward
    trace (1 in the step the reward spike arrives, no decay past it), ``x1, x2, y1, y2, y3`` traces.
    The new weight is clipped to ``[wmin, wmax]``.

    Parameters
    ----------
    terms : tuple of (int, tuple of str)
        ``((4, ("x0", "y0", "r1")), (-2, ("x0", "y0")))`` is the nBP rule.
    t_epoch : int
        Learning epoch length in steps.
    reward : str or None
        Name of the source (or population) whose spikes form r0/r1.
    wmin, wmax : int
        Clip range (the 8-bit mixed range for nBP).
    traces : tuple of (name, impulse, decay)
        Trace parameters for ``x1, x2, y1, y2, y3, r1``: integer impulse added when the neuron
        (or the reward) spikes, and decay per step in 0..4096 (4096: gone after one step).  Traces
        not listed have impulse 0, except ``r1`` whose default is impulse 1 with full decay (on in
        the step the reward arrives, off after), as the nBP circuit uses it.
    """

    terms: tuple
    t_epoch: int = 1
    reward: str | None = None
    wmin: int = MIXED_WEIGHT_RANGE[0]
    wmax: int = MIXED_WEIGHT_RANGE[1]
    traces: tuple = ()

    def validate(self, owner: str) -> None:
        if not self.terms:
            raise CircuitError(f"{owner}: a sum-of-products rule needs at least one term")
        for term in self.terms:
            if len(term) != 2:
                raise CircuitError(f"{owner}: each term is (scale, factors), got {term!r}")
            scale, factors = term
            _check_int(owner, "term scale", scale, -(1 << 15), (1 << 15) - 1)
            if not any(f in ("x0", "y0") for f in factors):
                raise CircuitError(f"{owner}: every product term must carry x0 or y0 "
                                   f"(the chip has no other trigger), got {factors!r}")
            for f in factors:
                if f not in _SOP_FACTORS:
                    raise CircuitError(f"{owner}: unknown learning factor {f!r}; "
                                       f"known: {', '.join(_SOP_FACTORS)}")
            if any(f in ("r0", "r1") for f in factors) and self.reward is None:
                raise CircuitError(f"{owner}: terms use r0/r1 but no reward source is named")
        _check_int(owner, "t_epoch", self.t_epoch, 1, 63)
        for item in self.traces:
            if len(item) != 3 or item[0] not in ("x1", "x2", "y1", "y2", "y3", "r1"):
                raise CircuitError(f"{owner}: traces are (name, impulse, decay) with name in "
                                   f"x1, x2, y1, y2, y3, r1; got {item!r}")
            _check_int(owner, f"{item[0]} impulse", item[1], 0, 127)
            _check_int(owner, f"{item[0]} decay", item[2], 0, 4096)
        _check_int(owner, "wmin", self.wmin)
        _check_int(owner, "wmax", self.wmax)
        if self.wmin > self.wmax:
            raise CircuitError(f"{owner}: wmin {self.wmin} > wmax {self.wmax}")

    @classmethod
    def pulse_gated_hebbian(cls, reward: str, step: int = 2, wmin: int = MIXED_WEIGHT_RANGE[0],
                            wmax: int = MIXED_WEIGHT_RANGE[1]) -> "SumOfProducts":
        """The nBP rule: ``+step`` on a pre/post coincidence while rewarded, ``-step`` otherwise.

        ``dw = 2*step*x0*y0*r1 - step*x0*y0`` with ``t_epoch = 1`` (the paper's
        ``4*x0*y0*r1 - 2*x0*y0``).
        """
        return cls(terms=((2 * step, ("x0", "y0", "r1")), (-step, ("x0", "y0"))),
                   t_epoch=1, reward=reward, wmin=wmin, wmax=wmax)

    def coincidence_steps(self) -> tuple[int, int] | None:
        """``(rewarded, unrewarded)`` weight change of a pure pre/post coincidence rule, or None.

        Returns the increments for the rule's only two shapes that a simple backend needs:
        ``a*x0*y0*r1 + b*x0*y0`` (with ``t_epoch == 1``).  Anything else returns None.
        """
        if self.t_epoch != 1:
            return None
        rewarded = plain = 0
        for scale, factors in self.terms:
            fs = sorted(factors)
            if fs == ["r1", "x0", "y0"]:
                rewarded += scale
            elif fs == ["x0", "y0"]:
                rewarded += scale
                plain += scale
            else:
                return None
        return rewarded, plain


@dataclass(frozen=True)
class RateHebbian:
    """Pulse-gated Hebbian rule for continuous-time (equation-neuron) circuits.

    Learning happens only inside *learning windows*: a spike of a population or source named in
    ``potentiate`` (``depress``) opens a potentiation (depression) window of length ``window`` for
    the postsynaptic population.  Inside a window every presynaptic spike changes its synapse by
    ``sign * eta * a_post`` (then clipped to ``[wmin, wmax]``), where ``a_post`` is the
    postsynaptic neuron's spike trace (``da/dt = -a / tau``, ``a += 1 / tau`` per spike: its
    rate estimate in Hz) and ``sign`` is +1 in a potentiation window, -1 in a depression window.
    On average ``dw/dt = +-eta * r_pre * r_post``: the product of the two rates, so a synapse only
    learns while pre and post fire together, and a sign is carried by *which* window the
    coincidence falls in (rates are positive).

    Parameters
    ----------
    eta : float
        Weight change per presynaptic spike per Hz of postsynaptic trace, in the SI base unit of
        the weight divided by Hz (dimensionless for weights onto a current in Hz).
    tau : Quantity
        Time constant of the postsynaptic trace.
    potentiate, depress : tuple of str
        Gate populations (or sources) whose spikes open potentiation / depression windows.
    window : Quantity
        Length of a learning window from the gate spike that opens it.
    wmin, wmax : float
        Bounds of the weight (SI base units), applied after each change.
    epoch : Quantity or None
        None: each change applies at once.  Otherwise changes accumulate in the synapse and are
        applied (then clipped) together at every multiple of ``epoch`` (time 0, epoch, ...),
        like the chip's learning epoch: every window of an epoch then sees the same weights, so
        the weights that carry a window's own spikes do not move under it.
    """

    eta: float
    tau: object
    potentiate: tuple = ()
    depress: tuple = ()
    window: object = None
    wmin: float = -np.inf
    wmax: float = np.inf
    epoch: object = None

    def validate(self, owner: str) -> None:
        if not np.isfinite(self.eta) or self.eta <= 0:
            raise CircuitError(f"{owner}: eta must be a positive number, got {self.eta!r}")
        for what in ("tau", "window"):
            v = getattr(self, what)
            if not _is_time(v) or float(v) <= 0:
                raise CircuitError(f"{owner}: RateHebbian {what} must be a positive time "
                                   f"(a Brian2 quantity in seconds), got {v!r}")
        for what in ("potentiate", "depress"):
            g = getattr(self, what)
            if not isinstance(g, tuple) or not all(isinstance(x, str) for x in g):
                raise CircuitError(f"{owner}: RateHebbian {what} must be a tuple of gate names, "
                                   f"got {g!r}")
        if set(self.potentiate) & set(self.depress):
            raise CircuitError(f"{owner}: a gate cannot open both potentiation and depression "
                               f"windows: {sorted(set(self.potentiate) & set(self.depress))}")
        if not self.potentiate and not self.depress:
            raise CircuitError(f"{owner}: RateHebbian needs at least one learning gate")
        if not self.wmin < self.wmax:
            raise CircuitError(f"{owner}: wmin must be below wmax, got [{self.wmin}, {self.wmax}]")
        if self.epoch is not None and (not _is_time(self.epoch) or float(self.epoch) <= 0):
            raise CircuitError(f"{owner}: RateHebbian epoch must be None or a positive time, "
                               f"got {self.epoch!r}")

    @property
    def gates(self) -> dict:
        """``{gate: sign}`` of every learning gate."""
        return {**{g: 1 for g in self.potentiate}, **{g: -1 for g in self.depress}}


def _is_time(v) -> bool:
    dim = getattr(v, "dim", None)
    return dim is not None and str(dim) == "s" and np.size(v) == 1


# ------------------------------------------------------------------------------- connections
@dataclass(frozen=True)
class Connection:
    """Synapses from ``pre`` (a population or source) to ``post`` (a population).

    Parameters
    ----------
    pre, post : str
        Names of the presynaptic population/source and the postsynaptic population.
    pattern : {"one_to_one", "one_to_all", "all_to_all"}
        ``one_to_one`` needs equal sizes; ``one_to_all`` needs ``pre`` of size 1 (a gate).
    weight : int or float or ndarray
        Scalar for every synapse, or a matrix of shape ``(pre.size, post.size)`` for
        ``all_to_all`` (a vector of length ``size`` for ``one_to_one``).  Finite numbers.  For
        Loihi populations see ``weight_exp``.
    delay : int
        Synaptic delay in steps (spike at t arrives at t + 1 + delay).
    plasticity : SumOfProducts or RateHebbian or None
    name : str or None
        Unique identifier; defaults to ``"{pre}__{post}"`` plus a suffix when needed.
    sign : int
        +1, or -1 for a connection whose weights are the negation of the shared matrix it copies
        (informational: used to check that copies stay identical up to sign and transpose).
    copy_of : str or None
        Name of the connection whose matrix this one copies (transposed when shapes say so).
    target : str or None
        For :class:`EquationNeuron` posts: the variable a spike adds ``w`` to (default: the model's
        ``input_var``).  Loihi compartments have one input (None).
    weight_exp : int or None
        Loihi populations only: the chip's weight exponent, -8..7.  A synapse delivers
        ``floor(M * 2**weight_exp)`` threshold units, where ``M`` is its 8-bit mantissa (see
        :mod:`pulsegated.circuit.weights`).

        * None (static connections): ``weight`` is the effective weight in threshold units.
          Integers are held exactly (the backend picks the exponent) or refused; floats are
          quantized (rounding half to even, exponent chosen for the smallest error) and the loss
          is reported by the backend (``LoihiSimulator.quantization_report()``).
        * An int: ``weight`` holds the mantissas themselves, integers in the sign mode's range
          (0..255 when all are >= 0, -255..0 when all are <= 0, even -256..254 otherwise).
        * Plastic connections: ``weight`` is always the mantissa (even, -256..254: the mixed
          mode) and None means 0.  Learning changes the mantissa; with a negative exponent it
          moves in steps finer than the effective weight's.
    """

    pre: str
    post: str
    pattern: str
    weight: object
    delay: int = 0
    plasticity: object = None
    name: str | None = None
    sign: int = 1
    copy_of: str | None = None
    target: str | None = None
    weight_exp: int | None = None

    @property
    def plastic(self) -> bool:
        return self.plasticity is not None


# ---------------------------------------------------------------------------------- schedule
@dataclass(frozen=True)
class Schedule:
    """The gating ring and its phase schedule.

    ``ring[k]`` is the name of the size-1 gate population that opens phase ``k``: it spikes at step
    ``t0 + n*n_phases + k - 1`` of sample ``n`` so that its gate input arrives at phase ``k``.  The
    ring drives itself (``ring[k] -> ring[k+1 mod n]`` connections in the circuit) once ``kick``
    (a one-spike source) has started it.  Sample ``n`` occupies steps
    ``[t0 + n*n_phases, t0 + (n+1)*n_phases)``.
    """

    n_phases: int
    ring: tuple
    kick: str | None = None
    t0: int = 2

    def step(self, sample: int, phase: int) -> int:
        """Absolute step of ``phase`` of ``sample``."""
        return self.t0 + sample * self.n_phases + phase

    def validate(self) -> None:
        _check_int("schedule", "n_phases", self.n_phases, 1)
        _check_int("schedule", "t0", self.t0, 0)
        if self.ring and len(self.ring) != self.n_phases:
            raise CircuitError(f"schedule: ring has {len(self.ring)} gates for "
                               f"{self.n_phases} phases")


# ----------------------------------------------------------------------------------- circuit
@dataclass
class Circuit:
    """A complete backend-neutral circuit.

    Build it with :meth:`add_population`, :meth:`add_source`, :meth:`connect`; call
    :meth:`validate` (backends do) before running.
    """

    name: str = "circuit"
    dt: object = None  # Brian2 quantity; None means one chip step of 1 ms
    populations: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    connections: dict = field(default_factory=dict)
    schedule: Schedule | None = None
    activity: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    # -- building ---------------------------------------------------------------------------
    def add_population(self, name: str, size: int, model=None, role: str = "") -> Population:
        if name in self.populations or name in self.sources:
            raise CircuitError(f"duplicate name {name!r}: populations and sources share one namespace")
        pop = Population(name, size, model if model is not None else LoihiCompartment(), role)
        pop.validate()
        self.populations[name] = pop
        return pop

    def add_source(self, name: str, size: int = 1, **kwargs) -> SpikeSource:
        if name in self.populations or name in self.sources:
            raise CircuitError(f"duplicate name {name!r}: populations and sources share one namespace")
        src = SpikeSource(name, size, **kwargs)
        self.sources[name] = src
        return src

    def connect(self, pre: str, post: str, pattern: str, weight, delay: int = 0,
                plasticity=None, name: str | None = None, sign: int = 1,
                copy_of: str | None = None, target: str | None = None,
                weight_exp: int | None = None) -> Connection:
        """Add a connection (validated at once against what the circuit already holds).

        The arguments are the fields of :class:`Connection`.
        """
        if name is None:
            base = f"{pre}__{post}"
            name, k = base, 1
            while name in self.connections:
                k += 1
                name = f"{base}_{k}"
        elif name in self.connections:
            raise CircuitError(f"duplicate connection name {name!r}")
        if isinstance(weight, np.ndarray):
            weight = weight.copy()
            weight.setflags(write=False)
        conn = Connection(pre, post, pattern, weight, delay, plasticity, name, sign, copy_of,
                          target, weight_exp)
        self._validate_connection(conn)
        self.connections[name] = conn
        return conn

    # -- queries ----------------------------------------------------------------------------
    def size_of(self, name: str) -> int:
        if name in self.populations:
            return self.populations[name].size
        if name in self.sources:
            return self.sources[name].size
        raise CircuitError(f"unknown population or source {name!r}")

    @property
    def n_neurons(self) -> int:
        return sum(p.size for p in self.populations.values())

    def n_synapses(self, plastic: bool | None = None) -> int:
        total = 0
        for c in self.connections.values():
            if plastic is not None and c.plastic != plastic:
                continue
            n_pre, n_post = self.size_of(c.pre), self.size_of(c.post)
            total += {"one_to_one": n_post, "one_to_all": n_post,
                      "all_to_all": n_pre * n_post}[c.pattern]
        return total

    def incoming(self, post: str) -> list:
        return [c for c in self.connections.values() if c.post == post]

    def outgoing(self, pre: str) -> list:
        return [c for c in self.connections.values() if c.pre == pre]

    def synapse_values(self, conn: Connection | str, values=None) -> np.ndarray:
        """``values`` (default: the connection's weights) broadcast to one entry per synapse.

        Shape ``(pre.size, post.size)`` for ``all_to_all``, ``(post.size,)`` otherwise.
        """
        if isinstance(conn, str):
            conn = self.connections[conn]
        n_pre, n_post = self.size_of(conn.pre), self.size_of(conn.post)
        w = np.asarray(conn.weight if values is None else values)
        shape = (n_pre, n_post) if conn.pattern == "all_to_all" else (n_post,)
        return np.broadcast_to(w, shape)

    def weight_matrix(self, conn: Connection | str, values=None) -> np.ndarray:
        """Dense ``(pre.size, post.size)`` weight matrix of a connection (zeros where none).

        The connection's ``weight`` as described (mantissas when ``weight_exp`` is set; see
        :meth:`effective_weight_matrix`), or ``values`` of the same shape placed likewise.
        """
        if isinstance(conn, str):
            conn = self.connections[conn]
        n_pre, n_post = self.size_of(conn.pre), self.size_of(conn.post)
        w = self.synapse_values(conn, values)
        dtype = np.int64 if np.issubdtype(w.dtype, np.integer) else np.float64
        if conn.pattern == "all_to_all":
            return w.astype(dtype)
        out = np.zeros((n_pre, n_post), dtype=dtype)
        if conn.pattern == "one_to_one":
            out[np.arange(n_post), np.arange(n_post)] = w
        else:
            out[0, :] = w
        return out

    def weight_registers(self, conn: Connection | str):
        """The chip's mantissas, exponent and sign mode of a connection onto Loihi compartments.

        Returns a :class:`~pulsegated.circuit.weights.Quantized` over the synapses (shape of
        :meth:`synapse_values`).  Raises :class:`~pulsegated.circuit.weights.WeightError` for
        integer weights no exponent holds exactly.
        """
        if isinstance(conn, str):
            conn = self.connections[conn]
        owner = f"connection {conn.name!r} ({conn.pre} -> {conn.post})"
        return _weights.connection_registers(self.synapse_values(conn), conn.weight_exp,
                                             conn.plastic, owner)

    def effective_weight_matrix(self, conn: Connection | str) -> np.ndarray:
        """Dense matrix of the weights a spike delivers, in the description's units.

        For Loihi targets: integer threshold units, ``floor(M * 2**weight_exp)`` (float weights
        quantized as the backends do; integer weights without ``weight_exp`` as given).  For
        equation-neuron targets: :meth:`weight_matrix`.
        """
        if isinstance(conn, str):
            conn = self.connections[conn]
        w = np.asarray(conn.weight)
        if (not isinstance(self.populations[conn.post].model, LoihiCompartment)
                or (conn.weight_exp is None and not conn.plastic
                    and np.issubdtype(w.dtype, np.integer))):
            return self.weight_matrix(conn)
        return self.weight_matrix(conn, self.weight_registers(conn).effective)

    def is_loihi(self) -> bool:
        """True when every population is a :class:`LoihiCompartment` (integer circuit)."""
        return all(isinstance(p.model, LoihiCompartment) for p in self.populations.values())

    # -- validation -------------------------------------------------------------------------
    def _validate_connection(self, c: Connection) -> None:
        owner = f"connection {c.name!r} ({c.pre} -> {c.post})"
        if c.pre not in self.populations and c.pre not in self.sources:
            raise CircuitError(f"{owner}: unknown presynaptic population or source {c.pre!r}")
        if c.post not in self.populations:
            what = "a source cannot be a target" if c.post in self.sources else "unknown population"
            raise CircuitError(f"{owner}: {what} {c.post!r}")
        if c.pattern not in CONNECTION_PATTERNS:
            raise CircuitError(f"{owner}: pattern must be one of {CONNECTION_PATTERNS}, "
                               f"got {c.pattern!r}")
        n_pre, n_post = self.size_of(c.pre), self.size_of(c.post)
        if c.pattern == "one_to_one" and n_pre != n_post:
            raise CircuitError(f"{owner}: one_to_one needs equal sizes, got {n_pre} -> {n_post}")
        if c.pattern == "one_to_all" and n_pre != 1:
            raise CircuitError(f"{owner}: one_to_all needs a presynaptic size of 1, got {n_pre}")
        _check_int(owner, "delay", c.delay, 0, MAX_DELAY)
        if c.sign not in (-1, 1):
            raise CircuitError(f"{owner}: sign must be +1 or -1")
        w = np.asarray(c.weight)
        if (w.dtype == object or not np.issubdtype(w.dtype, np.number)
                or np.issubdtype(w.dtype, np.complexfloating)):
            raise CircuitError(f"{owner}: weight must be real numbers, got dtype {w.dtype}")
        if np.issubdtype(w.dtype, np.floating) and not np.all(np.isfinite(w)):
            raise CircuitError(f"{owner}: weights must be finite, got "
                               f"{int(np.count_nonzero(~np.isfinite(w)))} NaN or infinite value(s)")
        expected = {"all_to_all": [(), (n_pre, n_post)], "one_to_one": [(), (n_post,)],
                    "one_to_all": [(), (n_post,)]}[c.pattern]
        if w.shape not in expected:
            raise CircuitError(f"{owner}: weight shape {w.shape} does not fit pattern {c.pattern} "
                               f"(expected a scalar or {expected[1]})")
        post_model = self.populations[c.post].model
        if c.target is not None:
            if isinstance(post_model, LoihiCompartment):
                raise CircuitError(f"{owner}: Loihi compartments have a single input; no target")
            if not isinstance(c.target, str) or not c.target.isidentifier():
                raise CircuitError(f"{owner}: target must be a variable name, got {c.target!r}")
        if c.weight_exp is not None:
            if not isinstance(post_model, LoihiCompartment):
                raise CircuitError(f"{owner}: weight_exp applies to LoihiCompartment targets "
                                   f"only; {c.post!r} is a {type(post_model).__name__}")
            _check_int(owner, "weight_exp", c.weight_exp, _weights.WEIGHT_EXP_MIN,
                       _weights.WEIGHT_EXP_MAX)
        if isinstance(post_model, LoihiCompartment):
            integer = np.issubdtype(w.dtype, np.integer)
            if c.plastic and not integer:
                raise CircuitError(f"{owner}: plastic weights are mantissas: integers, got dtype "
                                   f"{w.dtype}")
            if c.weight_exp is not None and not integer:
                raise CircuitError(f"{owner}: with weight_exp the weights are the chip's "
                                   f"mantissas: integers, got dtype {w.dtype}")
            if c.plastic:
                lo, hi = MIXED_WEIGHT_RANGE
                if w.size and (w.min() < lo or w.max() > hi):
                    raise CircuitError(f"{owner}: plastic weights must lie in the 8-bit mixed "
                                       f"range [{lo}, {hi}], got [{w.min()}, {w.max()}]")
                if w.size and np.any(w % 2):
                    raise CircuitError(f"{owner}: plastic mixed-sign weights must be even integers")
            elif c.weight_exp is not None:
                try:
                    _weights.mantissa_registers(w, c.weight_exp, owner)
                except _weights.WeightError as e:
                    raise CircuitError(str(e)) from None
        if c.plasticity is not None:
            if not isinstance(c.plasticity, (SumOfProducts, RateHebbian)):
                raise CircuitError(f"{owner}: plasticity must be SumOfProducts or RateHebbian")
            c.plasticity.validate(owner)
            if c.pattern != "all_to_all":
                raise CircuitError(f"{owner}: plastic connections must be all_to_all")
            if isinstance(c.plasticity, RateHebbian):
                for g in c.plasticity.gates:
                    if g not in self.sources and g not in self.populations:
                        raise CircuitError(f"{owner}: learning gate {g!r} is not a source or "
                                           f"population")
            reward = getattr(c.plasticity, "reward", None)
            if reward is not None and reward not in self.sources and reward not in self.populations:
                raise CircuitError(f"{owner}: reward {reward!r} is not a source or population")
        if c.copy_of is not None and c.copy_of not in self.connections:
            raise CircuitError(f"{owner}: copy_of names unknown connection {c.copy_of!r}")

    def validate(self) -> "Circuit":
        """Check the whole circuit; raise :class:`CircuitError` naming the first problem."""
        if not self.populations:
            raise CircuitError(f"circuit {self.name!r} has no populations")
        n_phases = None
        if self.schedule is not None:
            self.schedule.validate()
            n_phases = self.schedule.n_phases
            for g in self.schedule.ring:
                if g not in self.populations:
                    raise CircuitError(f"schedule: ring gate {g!r} is not a population")
                if self.populations[g].size != 1:
                    raise CircuitError(f"schedule: ring gate {g!r} must have size 1")
            if self.schedule.kick is not None and self.schedule.kick not in self.sources:
                raise CircuitError(f"schedule: kick source {self.schedule.kick!r} is unknown")
        for p in self.populations.values():
            p.validate()
        for s in self.sources.values():
            s.validate(n_phases)
        for c in self.connections.values():
            self._validate_connection(c)
        for pop, phases in self.activity.items():
            if pop not in self.populations:
                raise CircuitError(f"activity table names unknown population {pop!r}")
            if n_phases is not None and any(not 0 <= p < n_phases for p in phases):
                raise CircuitError(f"activity table: phases of {pop!r} out of range")
        return self

    def replace_weights(self, weights: Mapping[str, np.ndarray]) -> "Circuit":
        """A copy of the circuit with new weights for the named connections (validated)."""
        new = dataclasses.replace(self, connections=dict(self.connections))
        for name, w in weights.items():
            if name not in new.connections:
                raise CircuitError(f"replace_weights: unknown connection {name!r}")
            c = new.connections[name]
            w = np.array(w)
            w.setflags(write=False)
            new.connections[name] = dataclasses.replace(c, weight=w)
            new._validate_connection(new.connections[name])
        return new

    def summary(self) -> str:
        lines = [f"Circuit {self.name!r}: {self.n_neurons} neurons in {len(self.populations)} "
                 f"populations, {len(self.sources)} sources, {len(self.connections)} connections "
                 f"({self.n_synapses(plastic=True)} plastic synapses)"]
        for p in self.populations.values():
            lines.append(f"  {p.name:<10} {p.size:>5}  {p.role}")
        return "\n".join(lines)


def as_int_matrix(w: Sequence, shape: tuple, what: str) -> np.ndarray:
    """Validate a user-supplied integer weight matrix; return it as int64."""
    a = np.asarray(w)
    if a.shape != shape:
        raise CircuitError(f"{what}: expected shape {shape}, got {a.shape}")
    if not np.issubdtype(a.dtype, np.integer):
        raise CircuitError(f"{what}: expected an integer array, got dtype {a.dtype}")
    return a.astype(np.int64)
