"""Discretize: a circuit description (threshold units) -> chip registers (:class:`ChipProgram`).

Every value is mapped exactly or refused with :class:`DiscretizeError`, except float weights,
which are quantized (see :mod:`pulsegated.circuit.weights`) with the loss of every connection
recorded in ``ChipProgram.quantization``: nothing is rounded silently.  The chip's limits are those
of :mod:`pulsegated.backends.loihi.registers`, checked here.

Element types are discretized by functions registered with :data:`LoihiBuilder` (see
:mod:`pulsegated.backends.registry`); an element without one is refused by name before anything is
discretized.  The contracts:

* neuron model: ``f(model, owner) -> dict`` of the population's compartment registers
  (``decayU, decayV, vthMant, biasMant, biasExp, refractDelay, vMin, vMax``);
* source: ``f(source, owner) -> None`` (a source takes ``size`` presynaptic slots; its spikes are
  fed by :class:`~pulsegated.backends.loihi.LoihiSimulator`, which runs train, data and pattern
  sources);
* plasticity rule: ``f(rule, connection, owner, layout) -> LearningRule``, ``layout`` holding
  ``w_start, pre_start, post_start, n_pre, n_post`` and ``pre_index`` (presynaptic index and size
  of every population and source).
"""

from __future__ import annotations

import numpy as np

from pulsegated.backends.loihi import registers as R
from pulsegated.backends.registry import Builder
from pulsegated.circuit import (Circuit, DataSource, LoihiCompartment, PatternSource, SpikeTrain,
                                SumOfProducts)
from pulsegated.circuit import weights as W

__all__ = ["discretize", "bias_registers", "weight_registers", "LoihiBuilder"]

#: discretize functions of the Loihi backend, by element type
LoihiBuilder = Builder("loihi", error=R.DiscretizeError)


def _limit(owner: str, name: str, value: int, lo: int, hi: int, what: str) -> None:
    if value < lo:
        raise R.DiscretizeError(f"{owner}: {name}={value} is below the allowed minimum {lo} "
                                f"({what})")
    if value > hi:
        raise R.DiscretizeError(f"{owner}: {name}={value} is above the allowed maximum {hi} "
                                f"({what})")


def bias_registers(bias_raw: int, owner: str) -> tuple[int, int]:
    """``(biasMant, biasExp)`` with ``biasMant << biasExp == bias_raw`` exactly (smallest exp)."""
    for exp in range(R.BIAS_EXP_MAX + 1):
        if bias_raw % (1 << exp) == 0:
            mant = bias_raw >> exp
            if R.BIAS_MANT_MIN <= mant <= R.BIAS_MANT_MAX:
                return mant, exp
    raise R.DiscretizeError(
        f"{owner}: bias {bias_raw / (1 << R.VTH_SHIFT):g} cannot be held exactly as a 13-bit "
        f"mantissa (-4096..4095) shifted by 0..7 (raw value {bias_raw})")


def weight_registers(w: np.ndarray, plastic: bool, owner: str, weight_exp: int | None = None,
                     with_loss: bool = False, sign_mode: str | None = None) -> dict:
    """Registers of a connection's weights (one entry per synapse).

    Parameters
    ----------
    w : ndarray
        Threshold units (``weight_exp`` None, static), or mantissas (``weight_exp`` given, or
        plastic), as :class:`~pulsegated.circuit.Connection` defines them.
    plastic : bool
    owner : str
        Named in error messages.
    weight_exp : int or None
    with_loss : bool
        Add the key ``"quantization"`` (see :attr:`ChipProgram.quantization`).
    sign_mode : str or None
        The mantissas' sign mode when fixed by the connection (``Connection.sign_mode``).

    Returns
    -------
    dict
        ``{"weightMant": int array, "weightExp": int, "signMode": str, "numWeightBits": 8}``;
        the chip delivers ``floor(weightMant * 2**weightExp)`` threshold units per synapse.

    Raises
    ------
    DiscretizeError
        For integer weights that no exponent holds exactly, or mantissas out of range.
    """
    try:
        q = W.connection_registers(w, weight_exp, plastic, owner, sign_mode)
    except W.WeightError as e:
        raise R.DiscretizeError(str(e)) from None
    out = {"weightMant": q.mantissa, "weightExp": q.weight_exp, "signMode": q.sign_mode,
           "numWeightBits": 8}
    if with_loss:
        out["quantization"] = q.report()
    return out


def voltage_bounds(m: LoihiCompartment, owner: str) -> tuple[int, int]:
    """Raw ``(vMin, vMax)`` of a compartment model, refused unless the chip can hold them."""
    vmin = R.VMIN_DEFAULT if m.v_min is None else m.raw("v_min")
    vmax = R.VMAX_DEFAULT if m.v_max is None else m.raw("v_max")
    if vmin not in R.VMIN_VALUES:
        raise R.DiscretizeError(
            f"{owner}: v_min={m.v_min!r} (raw {vmin}) cannot be programmed: the chip's vMin is "
            f"-(2**a - 1) raw for a = 0..23, i.e. v_min = -(2**a - 1) / 64")
    if vmax not in R.VMAX_VALUES:
        raise R.DiscretizeError(
            f"{owner}: v_max={m.v_max!r} (raw {vmax}) cannot be programmed: the chip's vMax is "
            f"2**(9 + 2b) - 1 raw for b = 0..7, i.e. v_max = (2**(9 + 2b) - 1) / 64")
    return vmin, vmax


@LoihiBuilder.register(SumOfProducts)
def _learning_rule(rule: SumOfProducts, c, owner: str, layout: dict) -> R.LearningRule:
    for scale, fs in rule.terms:
        _limit(owner, "term scale", scale, R.TERM_SCALE_MIN, R.TERM_SCALE_MAX,
               "16-bit signed on the chip")
        for f in fs:
            if f not in R.FACTOR_ID:
                raise R.DiscretizeError(f"{owner}: unknown learning factor {f!r}; "
                                        f"known: {', '.join(R.FACTORS)}")
        if not any(f in R.TRIGGERS for f in fs):
            raise R.DiscretizeError(f"{owner}: every product term must carry x0 or y0 "
                                    f"(the chip has no other trigger), got {fs!r}")
    _limit(owner, "t_epoch", rule.t_epoch, 1, R.T_EPOCH_MAX, "the chip's longest epoch")
    for name, imp, _ in rule.traces:
        if name not in R.TRACES:
            raise R.DiscretizeError(f"{owner}: traces are (name, impulse, decay) with name in "
                                    f"{', '.join(R.TRACES)}; got {name!r}")
        _limit(owner, f"{name} impulse", imp, 0, R.TRACE_MAX, "7 bits on the chip")
    scales = np.array([s for s, _ in rule.terms], dtype=np.int64)
    factors = np.zeros((len(rule.terms), len(R.FACTORS)), dtype=np.int8)
    for k, (_, fs) in enumerate(rule.terms):
        for f in fs:
            factors[k, R.FACTOR_ID[f]] = 1
    impulse = np.zeros(len(R.TRACES), np.int64)
    decay = np.full(len(R.TRACES), 4096, np.int64)
    impulse[R.TRACES.index("r1")] = 1
    for name, imp, dec in rule.traces:
        impulse[R.TRACES.index(name)] = imp
        decay[R.TRACES.index(name)] = dec
    lo, hi, step = R.SIGN_MODES["mixed"]
    if rule.wmin < lo or rule.wmax > hi:
        raise R.DiscretizeError(f"{owner}: clip range [{rule.wmin}, {rule.wmax}] exceeds the "
                                f"mixed 8-bit range [{lo}, {hi}]")
    pre_index = layout["pre_index"]
    reward = -1 if rule.reward is None else pre_index[rule.reward]
    if rule.reward is not None and pre_index.get(rule.reward + "#size", 1) != 1:
        raise R.DiscretizeError(f"{owner}: the reward channel {rule.reward!r} must have size 1")
    return R.LearningRule(connection=c.name, w_start=layout["w_start"],
                          pre_start=layout["pre_start"], post_start=layout["post_start"],
                          n_pre=layout["n_pre"], n_post=layout["n_post"], t_epoch=rule.t_epoch,
                          term_scale=scales, term_factors=factors, reward_pre=reward,
                          w_min=rule.wmin, w_max=rule.wmax, w_step=step, trace_impulse=impulse,
                          trace_decay=decay)


@LoihiBuilder.register(LoihiCompartment)
def _compartment(m: LoihiCompartment, owner: str) -> dict:
    if m.decay_u < 1:
        raise R.DiscretizeError(f"{owner}: decay_u=0 cannot be programmed: the chip adds 1 to "
                                f"the decayU register, so the current decays by at least 1/4096")
    if not 0 < m.threshold < (1 << R.VTH_MANT_BITS):
        raise R.DiscretizeError(f"{owner}: threshold {m.threshold} needs a vthMant in "
                                f"1..{(1 << R.VTH_MANT_BITS) - 1}")
    _limit(owner, "refractory", m.refractory, 1, R.REFRACT_MAX, "the chip's refractDelay")
    mant, exp = bias_registers(m.raw("bias"), owner)
    vmin, vmax = voltage_bounds(m, owner)
    return {"decayU": m.decay_u - 1, "decayV": m.decay_v, "vthMant": m.threshold,
            "biasMant": mant, "biasExp": exp, "refractDelay": m.refractory, "vMin": vmin,
            "vMax": vmax}


@LoihiBuilder.register(SpikeTrain)
@LoihiBuilder.register(DataSource)
@LoihiBuilder.register(PatternSource)
def _source(src, owner: str) -> None:
    """Sources take presynaptic slots only; the simulator feeds their spikes."""


def discretize(circuit: Circuit) -> R.ChipProgram:
    """Turn a validated circuit into chip registers.

    Raises
    ------
    DiscretizeError
        For an element type without a registered discretize function (continuous-time neurons,
        Poisson sources, rules other than sum-of-products), named with the backends that can
        run it, or a value it cannot hold (threshold mantissa over 17 bits, bias not exactly
        representable, voltage bounds not of the chip's form, current decay 0, integer weights
        not representable, delay too large).  Float weights are quantized, not refused: the loss
        is in ``ChipProgram.quantization``.
    """
    circuit.validate()
    LoihiBuilder.check(circuit)
    pops = list(circuit.populations.values())
    n = sum(p.size for p in pops)
    arrays = {k: np.zeros(n, np.int64) for k in ("decayU", "decayV", "vthMant", "biasMant",
                                                 "biasExp", "refractDelay", "vMin", "vMax")}
    pop_slices, start = {}, 0
    for p in pops:
        regs = LoihiBuilder.build(p.model, f"population {p.name!r}", f"population {p.name!r}")
        sl = slice(start, start + p.size)
        for k, v in regs.items():
            arrays[k][sl] = v
        pop_slices[p.name] = (start, start + p.size)
        start += p.size

    src_slices, pre_index = {}, {}
    for s in circuit.sources.values():
        LoihiBuilder.build(s, f"source {s.name!r}", f"source {s.name!r}")
        src_slices[s.name] = (start, start + s.size)
        start += s.size
    for name, (a, b) in {**pop_slices, **src_slices}.items():
        pre_index[name] = a
        pre_index[name + "#size"] = b - a
    n_pre_total = start

    # synapses: one contiguous segment per (pre neuron, connection), sorted into groups by pre
    pre_l, post_l, w_l, len_l, delay_l, shift_l, mant_l = [], [], [], [], [], [], []
    conn_weights, conn_registers, learning, quantization = {}, {}, [], {}
    w_start = 0
    max_delay = 0
    for c in circuit.connections.values():
        owner = f"connection {c.name!r} ({c.pre} -> {c.post})"
        _limit(owner, "delay", c.delay, 0, R.MAX_DELAY, "the chip's longest synaptic delay")
        max_delay = max(max_delay, c.delay)
        n_pre, n_post = circuit.size_of(c.pre), circuit.size_of(c.post)
        pre0, post0 = pre_index[c.pre], pop_slices[c.post][0]
        regs = weight_registers(circuit.synapse_values(c), c.plastic, owner, c.weight_exp,
                                with_loss=True, sign_mode=c.sign_mode)
        quantization[c.name] = regs.pop("quantization")
        if c.pattern == "all_to_all":
            pre = pre0 + np.arange(n_pre)
            post = np.full(n_pre, post0)
            wseg = w_start + np.arange(n_pre) * n_post
            length = np.full(n_pre, n_post)
        elif c.pattern == "one_to_one":
            pre = pre0 + np.arange(n_post)
            post = post0 + np.arange(n_post)
            wseg = w_start + np.arange(n_post)
            length = np.ones(n_post, np.int64)
        else:  # one_to_all
            pre, post = np.array([pre0]), np.array([post0])
            wseg, length = np.array([w_start]), np.array([n_post])
        mant = np.ascontiguousarray(regs["weightMant"]).ravel()
        k = len(pre)
        pre_l.append(pre)
        post_l.append(post)
        w_l.append(wseg)
        len_l.append(length)
        delay_l.append(np.full(k, c.delay))
        shift_l.append(np.full(k, R.WEIGHT_SHIFT + regs["weightExp"]))
        mant_l.append(mant)
        conn_weights[c.name] = (w_start, n_pre, n_post, c.pattern)
        conn_registers[c.name] = {k2: v for k2, v in regs.items() if k2 != "weightMant"}
        conn_registers[c.name]["delay"] = c.delay
        if c.plastic:
            layout = {"w_start": w_start, "pre_start": pre0, "post_start": post0,
                      "n_pre": n_pre, "n_post": n_post, "pre_index": pre_index}
            learning.append(LoihiBuilder.build(c.plasticity, f"connection {c.name!r}", c, owner,
                                               layout))
        w_start += len(mant)

    pre = np.concatenate(pre_l) if pre_l else np.zeros(0, np.int64)
    order = np.argsort(pre, kind="stable")
    counts = np.bincount(pre, minlength=n_pre_total)
    ptr = np.zeros(n_pre_total + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    cat = (lambda lst: np.concatenate(lst)[order]) if pre_l else (lambda lst: np.zeros(0, np.int64))
    return R.ChipProgram(
        **arrays, seg_ptr=ptr, seg_post=cat(post_l).astype(np.int64),
        seg_w=cat(w_l).astype(np.int64), seg_len=cat(len_l).astype(np.int64),
        seg_delay=cat(delay_l).astype(np.int64), seg_shift=cat(shift_l).astype(np.int64),
        weightMant=(np.concatenate(mant_l) if mant_l else np.zeros(0)).astype(np.int64),
        pop_slices=pop_slices, src_slices=src_slices, conn_weights=conn_weights,
        conn_registers=conn_registers, learning=learning, n_delay_slots=max_delay + 2,
        quantization=quantization)
