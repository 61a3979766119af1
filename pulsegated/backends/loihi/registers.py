"""Loihi 1 register names, bit widths, and the discretized program the emulator runs.

Raw units: the chip compares ``v`` with ``vthMant << 6``.  Circuit descriptions use *threshold
units* (raw / 64), so a threshold of 1024 is ``vthMant = 1024``, a weight of 8704 is
``weightMant = 136, weightExp = 6``.

Weights: the chip applies the weight exponent to the stored 8-bit mantissa first and scales by
2**6 after.  A spike adds to the input accumulator::

    weightMant << (6 + weightExp)              for weightExp >= 0
    (weightMant >> -weightExp) << 6            for weightExp <  0

The right shift is arithmetic: it floors toward -infinity, dropping the low ``-weightExp`` bits, so
a positive mantissa rounds toward zero and a negative one away from zero (mantissa -2 with
exponent -2 delivers -64 raw, mantissa 2 delivers 0).  Every delivered weight is therefore a
multiple of 64 raw, an integer number of threshold units.  (Mixed-sign synapses store half the
mantissa and shift by ``1 + weightExp``; the two floors compose to the same result.)  Two roundings
happen in two places: the *host* (the discretizer, for float weights) rounds half to even to the
mantissa precision and, for a negative exponent, again to a multiple of ``2**-weightExp`` so that
the chip's shift is exact; the *chip* floors whatever mantissa is stored, which matters for
mantissas given explicitly (``Connection.weight_exp``) and for learnt ones.

Order of operations in one step ``t`` (identical to nengo-loihi's emulator, which the tests use as
an oracle)::

    q   = wrap22(sum of weights arriving at t)            # input accumulator, Q_BITS + sign
    u   = wrap24(decay(u, decayU + 1) + q)                 # current, U_BITS + sign
    u2  = wrap24(u + (biasMant << biasExp))
    v   = clamp(decay(v, decayV) + u2, vMin, vMax)
    v   = 0 where the refractory counter is > 0
    spike = v > vthMant << 6 ; v = 0 and counter = refractDelay where spiking
    counter = max(counter - 1, 0)

with ``decay(x, d) = sign(x) * ((|x| * (4096 - d)) >> 12)`` (truncation toward zero).
Effective decays: ``delta_u = decayU + 1`` (1..4096), ``delta_v = decayV`` (0..4096; 4096 is
accepted although the register is documented as 12 bits wide: how the chip encodes the full voltage
decay that the nBP circuit uses is an open point of the public record).

Voltage bounds: the chip holds vMin and vMax once per core, as exponents: ``vMin = -(2**a - 1)``
(a = 0..23) and ``vMax = 2**(9 + 2b) - 1`` (b = 0..7).  The discretizer sets them per population
(every population on its own core) and refuses other values; :func:`program_from_synapses` takes
any value in the 24-bit range.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# the compartment's weight format is part of the model (both backends deliver floor(M * 2**e));
# it is defined once, in pulsegated.circuit.weights, and re-exported here with the chip's limits
from pulsegated.circuit.weights import (MIXED_WEIGHT_RANGE, SIGN_MODES,  # noqa: F401
                                        WEIGHT_EXP_MAX, WEIGHT_EXP_MIN)

# --- the chip's limits: defined here only, checked when a circuit is discretized
# bit widths (bits excluding sign, as nengo-loihi counts them)
Q_BITS = 21
U_BITS = 23
V_BITS = 23
VTH_MANT_BITS = 17
VTH_SHIFT = 6
BIAS_MANT_MIN, BIAS_MANT_MAX = -(1 << 12), (1 << 12) - 1
BIAS_EXP_MAX = 7
DECAY_MAX = 4096
DECAY_U_REG_MAX = 4095
REFRACT_MAX = 63
WEIGHT_SHIFT = 6
#: longest synaptic delay in steps (Loihi 1: 0..62 with enough dendritic accumulators; the nBP
#: circuit uses 0..6)
MAX_DELAY = 62
VMAX_DEFAULT = (1 << V_BITS) - 1
VMIN_DEFAULT = -VMAX_DEFAULT
#: largest trace impulse of the learning engine (7 bits)
TRACE_MAX = 127
#: range of the scale of one sum-of-products term (16-bit signed)
TERM_SCALE_MIN, TERM_SCALE_MAX = -(1 << 15), (1 << 15) - 1
#: longest learning epoch in steps
T_EPOCH_MAX = 63

#: values the chip's per-core voltage bounds can take (raw): vMin = -(2**a - 1), a = 0..23;
#: vMax = 2**(9 + 2b) - 1, b = 0..7
VMIN_VALUES = tuple(-((1 << a) - 1) for a in range(V_BITS + 1))
VMAX_VALUES = tuple((1 << (9 + 2 * b)) - 1 for b in range(8))

#: learning-rule factors the engine knows (see SumOfProducts)
FACTORS = ("x0", "y0", "r0", "r1", "x1", "x2", "y1", "y2", "y3")
FACTOR_ID = {f: i for i, f in enumerate(FACTORS)}
#: factors that trigger a learning update (every product term carries one)
TRIGGERS = ("x0", "y0")
#: traces with programmable impulse and decay, in the order of ``LearningRule.trace_impulse``
TRACES = ("x1", "x2", "y1", "y2", "y3", "r1")


class DiscretizeError(ValueError):
    """A value of the circuit cannot be held by the chip; the message names it and the limit."""


@dataclass
class ChipProgram:
    """Everything the integer emulator needs, as flat integer arrays (the "chip image").

    Compartment arrays have one entry per compartment (all populations concatenated in circuit
    order); presynaptic indices cover compartments first, then source neurons.
    """

    # compartments
    decayU: np.ndarray
    decayV: np.ndarray
    vthMant: np.ndarray
    biasMant: np.ndarray
    biasExp: np.ndarray
    refractDelay: np.ndarray
    vMin: np.ndarray
    vMax: np.ndarray
    # synapses as contiguous segments, grouped by presynaptic index (compartments, then sources):
    # a spike of pre p adds the weight of weightMant[seg_w[k] + m] (shifted by seg_shift[k], see
    # the module docstring) to compartment seg_post[k] + m for m < seg_len[k], for every segment
    # k in seg_ptr[p]..seg_ptr[p+1]
    seg_ptr: np.ndarray
    seg_post: np.ndarray
    seg_w: np.ndarray
    seg_len: np.ndarray
    seg_delay: np.ndarray
    seg_shift: np.ndarray      # 6 + weightExp
    weightMant: np.ndarray     # all weight mantissas, connection by connection
    # bookkeeping
    pop_slices: dict = field(default_factory=dict)     # population -> (start, stop)
    src_slices: dict = field(default_factory=dict)     # source -> (start, stop) in pre space
    conn_weights: dict = field(default_factory=dict)   # connection -> (start, n_pre, n_post, mode)
    conn_registers: dict = field(default_factory=dict)  # connection -> dict of registers
    learning: list = field(default_factory=list)       # list of LearningRule
    n_delay_slots: int = 2
    #: connection -> {"max_abs_error", "rms_error", "zeroed", "weight_exp"}: loss of the
    #: discretization of its weights in threshold units (0 for weights held exactly)
    quantization: dict = field(default_factory=dict)

    @property
    def n_compartments(self) -> int:
        return len(self.vthMant)

    @property
    def n_pre(self) -> int:
        return len(self.seg_ptr) - 1


@dataclass
class LearningRule:
    """One plastic all-to-all connection as the learning engine sees it."""

    connection: str
    w_start: int                 # first weight index (weights are (n_pre, n_post) row-major)
    pre_start: int               # presynaptic index of pre neuron 0
    post_start: int              # compartment index of post neuron 0
    n_pre: int
    n_post: int
    t_epoch: int
    term_scale: np.ndarray       # (n_terms,) int64
    term_factors: np.ndarray     # (n_terms, len(FACTORS)) int8: 1 where the factor appears
    reward_pre: int              # presynaptic index of the reward neuron (-1: none)
    w_min: int
    w_max: int
    w_step: int                  # weight precision (2 for mixed 8-bit)
    # trace parameters: impulse and decay (0..4096) of x1, x2, y1, y2, y3, r1
    trace_impulse: np.ndarray = field(default_factory=lambda: np.zeros(6, np.int64))
    trace_decay: np.ndarray = field(default_factory=lambda: np.full(6, 4096, np.int64))

    @property
    def coincidence_only(self) -> bool:
        """Every term carries both x0 and y0: only pre/post coincidences can change weights."""
        return bool(np.all(self.term_factors[:, FACTOR_ID["x0"]] &
                           self.term_factors[:, FACTOR_ID["y0"]]))


def program_from_synapses(compartments: dict, n_sources: int, pre, post, weight_mant,
                          weight_exp, delay) -> ChipProgram:
    """A :class:`ChipProgram` built directly from raw registers and a synapse list.

    For tests and low-level use.  ``compartments`` maps ``decayU, decayV, vthMant, biasMant,
    biasExp, refractDelay, vMin, vMax`` to equal-length integer arrays (one entry per compartment);
    presynaptic indices ``pre`` count compartments first, then ``n_sources`` source neurons.  Each
    synapse becomes its own segment of length 1.  Every compartment forms one population ``"c"``;
    every source one source ``"s"``.
    """
    arrays = {k: np.asarray(compartments[k], dtype=np.int64) for k in (
        "decayU", "decayV", "vthMant", "biasMant", "biasExp", "refractDelay", "vMin", "vMax")}
    n = len(arrays["vthMant"])
    _check_registers(arrays)
    pre = np.asarray(pre, dtype=np.int64)
    post = np.asarray(post, dtype=np.int64)
    mant = np.asarray(weight_mant, dtype=np.int64)
    wexp = np.broadcast_to(np.asarray(weight_exp, dtype=np.int64), pre.shape)
    delay = np.broadcast_to(np.asarray(delay, dtype=np.int64), pre.shape)
    if pre.size and (pre.min() < 0 or pre.max() >= n + n_sources or post.min() < 0
                     or post.max() >= n):
        raise DiscretizeError("synapse indices out of range")
    if mant.size and (mant.min() < -256 or mant.max() > 255):
        raise DiscretizeError("weight mantissas are 8-bit: -256..255")
    if wexp.size and (wexp.min() < WEIGHT_EXP_MIN or wexp.max() > WEIGHT_EXP_MAX):
        raise DiscretizeError(f"weightExp must lie in {WEIGHT_EXP_MIN}..{WEIGHT_EXP_MAX}")
    if delay.size and (delay.min() < 0 or delay.max() > MAX_DELAY):
        raise DiscretizeError(f"delays must lie in 0..{MAX_DELAY}")
    order = np.argsort(pre, kind="stable")
    ptr = np.zeros(n + n_sources + 1, np.int64)
    np.cumsum(np.bincount(pre, minlength=n + n_sources), out=ptr[1:])
    k = len(pre)
    return ChipProgram(**arrays, seg_ptr=ptr, seg_post=post[order], seg_w=np.arange(k)[order],
                       seg_len=np.ones(k, np.int64), seg_delay=delay[order].copy(),
                       seg_shift=(WEIGHT_SHIFT + wexp)[order].copy(), weightMant=mant.copy(),
                       pop_slices={"c": (0, n)}, src_slices={"s": (n, n + n_sources)},
                       n_delay_slots=int(delay.max(initial=0)) + 2)


def _check_registers(a: dict) -> None:
    """Range checks of raw compartment registers (the chip's field widths)."""
    limits = {"decayU": (0, DECAY_U_REG_MAX), "decayV": (0, DECAY_MAX),
              "vthMant": (1, (1 << VTH_MANT_BITS) - 1), "biasMant": (BIAS_MANT_MIN, BIAS_MANT_MAX),
              "biasExp": (0, BIAS_EXP_MAX), "refractDelay": (1, REFRACT_MAX),
              "vMin": (-(1 << V_BITS), 0), "vMax": (0, (1 << V_BITS) - 1)}
    for name, (lo, hi) in limits.items():
        x = a[name]
        if x.size and (x.min() < lo or x.max() > hi):
            raise DiscretizeError(f"register {name} must lie in {lo}..{hi}, got "
                                  f"[{x.min()}, {x.max()}]")
