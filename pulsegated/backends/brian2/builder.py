"""Build any circuit description as Brian2 objects in one explicit :class:`~brian2.Network`.

Conventions
-----------
* ``dt`` is one chip step (``circuit.dt`` or 1 ms).  Brian2's schedule in a step is
  ``groups`` (state updates) -> ``thresholds`` -> ``synapses`` -> ``resets``.  A spike at step ``t``
  is propagated in the ``synapses`` slot of step ``t + delay`` into an input accumulator ``q``, which
  the neuron consumes in the ``groups`` slot of the next step: a spike at ``t`` arrives at
  ``t + 1 + delay``, the chip's convention.  Sources (``SpikeGeneratorGroup`` or ``TimedArray``-driven
  groups) emit in the ``thresholds`` slot, so the same holds for them.
* :class:`~pulsegated.circuit.LoihiCompartment` populations are discrete-time neurons in raw chip
  units (threshold units x 64, values held exactly in float64): the update of one step is a
  ``run_regularly`` operation in the ``groups`` slot,
  ``u = trunc(u * (4096 - decay_u) / 4096) + q``, ``v = trunc(v * (4096 - decay_v) / 4096) + u + bias``,
  ``v = 0`` while the chip's refractory counter is positive, then ``threshold: v > vth`` and
  ``reset: v = 0; refc = R - 1``: the refractory delay R holds v at 0 for R - 1 steps.  Biases
  that are multiples of 1/64 threshold unit are exact raw integers here too.  Saturation of v is
  modelled when the population sets ``v_min`` or ``v_max`` (``v = clip(..., v_min, v_max)``
  before the refractory hold, as on the chip); the chip's default bounds and the 24-bit wrap of u
  are not modelled: that is the Loihi backend's job, and a correct nBP run never reaches them.
* Weights onto Loihi compartments follow the chip's weight rule
  (:mod:`pulsegated.circuit.weights`): a static connection delivers its effective weights
  ``floor(M * 2**weight_exp)`` (float weights quantized exactly as the Loihi backend quantizes
  them; integer weights without ``weight_exp`` as given).  A plastic connection holds the
  mantissa ``w`` and delivers ``floor(w * 2**weight_exp)``.
* The pulse-gated Hebbian rule (a :class:`~pulsegated.circuit.SumOfProducts` of the shape
  ``a*x0*y0*r1 + b*x0*y0``) runs in the presynaptic pathway: when a presynaptic spike finds the
  postsynaptic neuron spiking in the same step (``lastspike_post == t``), the weight changes by
  ``b + a*r1`` and is clipped, *then* the spike is delivered with the new weight.  The reward trace
  ``r1`` is a variable of the postsynaptic group, 1 in the step after a spike of the reward source
  (which reaches it through its own synapses).
* The rate-based pulse-gated Hebbian rule (:class:`~pulsegated.circuit.RateHebbian`) adds to its
  postsynaptic (equation-neuron) group a spike trace ``a_hebb`` (``da/dt = -a / tau``, ``+1 / tau``
  at each reset) and the learning-window state ``hebb_sign`` / ``hebb_until``, written by synapses
  from the learning gates (a gate spike at ``t`` opens ``[t, t + window]``).  Each presynaptic
  spike changes its weight by ``hebb_sign * eta * a_hebb_post`` inside an open window, *then* is
  delivered with the new weight.
* Data sources (per-sample 0/1 vectors) and fixed-pattern sources are groups whose threshold reads a
  :class:`~brian2.TimedArray` (``stim(t - t_offset + dt, i) > 0.5``): refilled between runs in the
  runtime device, passed as ``run_args`` in ``cpp_standalone`` without recompiling.
"""

from __future__ import annotations

import numpy as np
from brian2.units.fundamentalunits import DIMENSIONLESS

from pulsegated.circuit.description import (Circuit, EquationNeuron, LoihiCompartment,
                                            RateHebbian, SumOfProducts)
from pulsegated.circuit.weights import WeightError, effective_weights
from pulsegated.errors import UsageError

__all__ = ["Brian2Circuit", "build", "DEVICES", "CODEGEN", "W_SCALE"]

DEVICES = ("runtime", "cpp_standalone")
#: code generation targets of the runtime device: Cython (compiled once per model and cached by
#: Brian2, fast afterwards) or numpy (no compilation, slower per step)
CODEGEN = ("cython", "numpy")
#: chip scale of weights and thresholds (raw = threshold units << 6)
W_SCALE = 64


class Brian2Circuit:
    """The Brian2 objects of one circuit: ``network``, ``groups``, ``synapses``, ``monitors``,
    ``stimuli`` (TimedArrays of data/pattern sources, by source name) and ``offsets`` (the groups
    holding ``t_offset``)."""

    def __init__(self, circuit, network, groups, synapses, monitors, stimuli, stim_groups,
                 dt, state_monitors):
        self.circuit = circuit
        self.network = network
        self.groups = groups
        self.synapses = synapses
        self.monitors = monitors
        self.stimuli = stimuli
        self.stim_groups = stim_groups
        self.dt = dt
        self.state_monitors = state_monitors

    def weight_matrix(self, connection: str) -> np.ndarray:
        """Dense (pre, post) matrix of the weights a spike delivers, in the description's units.

        For Loihi targets: effective weights in threshold units, ``floor(M * 2**weight_exp)``
        (see :meth:`mantissa_matrix` for a plastic connection's mantissas).
        """
        c = self.circuit.connections[connection]
        w = self.mantissa_matrix(connection)
        if c.plastic and isinstance(self.circuit.populations[c.post].model, LoihiCompartment):
            return effective_weights(w, c.weight_exp or 0)
        return w

    def mantissa_matrix(self, connection: str) -> np.ndarray:
        """Dense (pre, post) matrix of the synapses' ``w`` (a plastic Loihi connection's
        mantissas; for other connections the same as :meth:`weight_matrix`)."""
        c = self.circuit.connections[connection]
        S = self.synapses[connection]
        n_pre, n_post = self.circuit.size_of(c.pre), self.circuit.size_of(c.post)
        post_model = self.circuit.populations[c.post].model
        w = np.asarray(S.w[:])
        out = np.zeros((n_pre, n_post), dtype=np.int64 if isinstance(post_model, LoihiCompartment)
                       else np.float64)
        out[np.asarray(S.i[:]), np.asarray(S.j[:])] = w
        return out


def _loihi_group(b2, pop, dt, reward_link):
    m = pop.model
    ns = {"fu": 4096 - m.decay_u, "fv": 4096 - m.decay_v, "vth": m.threshold * W_SCALE,
          "bias": m.raw("bias"), "R": m.refractory}
    bounded = m.v_min is not None or m.v_max is not None
    if bounded:
        ns["vmin"], ns["vmax"] = m.raw("v_min"), m.raw("v_max")
    eqs = "u : 1\nv : 1\nq : 1\nrefc : 1"
    if reward_link:  # reward trace: r1 = 1 in the step after a reward spike (rin set by it)
        eqs += "\nr1 : 1\nrin : 1"
    # the chip's refractory counter: set to R - 1 on a spike (R, then this step's decrement);
    # while > 0, v is held at 0.  Brian2's own refractoriness (half a step) only provides lastspike.
    group = b2.NeuronGroup(pop.size, b2.Equations(eqs), threshold="v > vth",
                           reset="v = 0\nrefc = R - 1", refractory=0.5 * dt, method="exact",
                           namespace=ns, name=f"pop_{pop.name}")
    if m.memoryless:
        v_new = "u + bias"
        code = "u = q\n"
    else:
        v_new = "sign(v) * floor(abs(v) * fv / 4096.0) + u + bias"
        code = "u = sign(u) * floor(abs(u) * fu / 4096.0) + q\n"
    if bounded:
        v_new = f"clip({v_new}, vmin, vmax)"
    code += f"v = ({v_new}) * int(refc <= 0)\nq = 0"
    code += "\nrefc = clip(refc - 1, 0, R)"
    if reward_link:
        code += "\nr1 = rin\nrin = 0"
    group.run_regularly(code, when="groups", name=f"pop_{pop.name}_step")
    return group


def _loihi_values(circuit, c) -> np.ndarray:
    """Per-synapse ``w`` of a connection onto Loihi compartments: mantissas (plastic), the
    integers given (static, no ``weight_exp``), else effective threshold-unit weights."""
    w = circuit.synapse_values(c)
    if c.plastic or (c.weight_exp is None and np.issubdtype(w.dtype, np.integer)):
        return w
    try:
        return circuit.weight_registers(c).effective
    except WeightError as e:
        raise UsageError(str(e)) from None


HEBB_VARIABLES = ("a_hebb", "hebb_sign", "hebb_until", "tau_hebb")


def _equation_group(b2, pop, hebb=None):
    m = pop.model
    eqs, reset, ns = b2.Equations(m.equations), m.reset or "", dict(m.namespace)
    if hebb is not None:  # postsynaptic side of a RateHebbian rule: trace and learning window
        clash = set(HEBB_VARIABLES) & (set(eqs.names) | set(ns))
        if clash:
            raise UsageError(f"population {pop.name!r}: the names {sorted(clash)} are reserved "
                             f"for the Hebbian trace of its plastic inputs")
        eqs += b2.Equations("da_hebb/dt = -a_hebb / tau_hebb : Hz\n"
                            "hebb_sign : 1\nhebb_until : second")
        reset = (reset + "\n" if reset else "") + "a_hebb += 1 / tau_hebb"
        ns["tau_hebb"] = hebb.tau
    group = b2.NeuronGroup(pop.size, eqs, threshold=m.threshold, reset=reset,
                           refractory=m.refractory if m.refractory is not None else False,
                           method=m.method, namespace=ns, name=f"pop_{pop.name}")
    for var, value in m.initial.items():
        setattr(group, var, value)
    if hebb is not None:
        group.hebb_until = -1 * b2.second  # no window open before the first gate spike
    return group


def _hebb_rules(circuit) -> dict:
    """``{post population: RateHebbian}``; one trace and window per post population, so all
    rate-Hebbian inputs of a population must share ``tau``, ``window`` and gates."""
    rules = {}
    for c in circuit.connections.values():
        if not isinstance(c.plasticity, RateHebbian):
            continue
        if not isinstance(circuit.populations[c.post].model, EquationNeuron):
            raise UsageError(f"connection {c.name!r}: RateHebbian plasticity needs an "
                             f"equation-neuron postsynaptic population, {c.post!r} is not one")
        r = c.plasticity
        prev = rules.setdefault(c.post, r)
        if (prev.tau, prev.window, prev.gates) != (r.tau, r.window, r.gates):
            raise UsageError(f"population {c.post!r} receives RateHebbian connections with "
                             f"different traces or learning gates; they must share tau, window "
                             f"and gates")
    return rules


def build(circuit: Circuit, device: str = "runtime", record=None, record_state=None,
          chunk_steps: int | None = None, directory: str | None = None,
          codegen: str = "cython") -> Brian2Circuit:
    """Build ``circuit`` as Brian2 objects.

    Parameters
    ----------
    circuit : Circuit
    device : {"runtime", "cpp_standalone"}
        ``runtime`` uses Cython code generation; ``cpp_standalone`` builds one C++ project
        (``directory``), compiled once and run many times with ``run_args``.
    record : iterable of str or None
        Populations with a SpikeMonitor (None: all).
    record_state : dict, optional
        ``{population: variables}`` recorded every step at the end of the step.
    chunk_steps : int, optional
        Length of the TimedArrays that drive data/pattern sources (steps per run call).
    codegen : {"cython", "numpy"}
        Code generation target of the runtime device.
    """
    if device not in DEVICES:
        raise UsageError(f"unknown device {device!r}; choose one of: {', '.join(DEVICES)}")
    if codegen not in CODEGEN:
        raise UsageError(f"unknown codegen target {codegen!r}; choose one of: {', '.join(CODEGEN)}")
    circuit.validate()
    import brian2 as b2

    dt = circuit.dt if circuit.dt is not None else 1 * b2.ms
    if device == "runtime":
        b2.set_device("runtime")
        b2.prefs.codegen.target = codegen
    else:
        import tempfile
        b2.set_device("cpp_standalone", build_on_run=False,
                      directory=directory or tempfile.mkdtemp(prefix="pulsegated_b2_"))
    b2.defaultclock.dt = dt

    # which post populations need the reward trace linked in
    reward_of = {}
    for c in circuit.connections.values():
        if isinstance(c.plasticity, SumOfProducts):
            if c.plasticity.coincidence_steps() is None:
                raise UsageError(f"connection {c.name!r}: the Brian2 backend runs sum-of-products "
                                 f"rules of the pulse-gated shape a*x0*y0*r1 + b*x0*y0 with "
                                 f"t_epoch = 1; use the loihi backend for traces and epochs")
            if c.delay:
                raise UsageError(f"connection {c.name!r}: delay={c.delay} on a plastic "
                                 f"sum-of-products connection is not supported by the brian2 "
                                 f"backend (its synapses would learn when a spike arrives, the "
                                 f"chip learns when it is emitted); use delay 0 or the loihi "
                                 f"backend")
            prev = reward_of.setdefault(c.post, c.plasticity.reward)
            if prev != c.plasticity.reward:
                raise UsageError(f"population {c.post!r} receives plastic connections with "
                                 f"different reward channels ({prev!r}, {c.plasticity.reward!r})")

    hebb = _hebb_rules(circuit)
    objects, groups, synapses, monitors, stimuli, stim_groups, state_monitors = ([], {}, {}, {},
                                                                                {}, {}, {})
    for pop in circuit.populations.values():
        if isinstance(pop.model, LoihiCompartment):
            g = _loihi_group(b2, pop, dt, pop.name in reward_of and reward_of[pop.name])
        elif isinstance(pop.model, EquationNeuron):
            g = _equation_group(b2, pop, hebb.get(pop.name))
        else:
            raise UsageError(f"population {pop.name!r}: unsupported model "
                             f"{type(pop.model).__name__}")
        groups[pop.name] = g
        objects.append(g)

    n_chunk = int(chunk_steps or 1)
    for src in circuit.sources.values():
        if src.kind in ("data", "pattern"):
            values = np.zeros((n_chunk + 2, src.size))
            ta = b2.TimedArray(values, dt=dt, name=f"stim_{src.name}")
            g = b2.NeuronGroup(src.size, "t_offset : second (shared)",
                               threshold=f"stim_{src.name}(t - t_offset + dt, i) > 0.5",
                               reset="", namespace={f"stim_{src.name}": ta},
                               name=f"src_{src.name}")
            stimuli[src.name] = ta
            stim_groups[src.name] = g
        elif src.kind == "train":
            idx = np.asarray(src.indices if src.indices else [0] * len(src.steps), dtype=int)
            g = b2.SpikeGeneratorGroup(src.size, idx, np.asarray(src.steps) * dt,
                                       name=f"src_{src.name}")
        else:  # poisson
            g = b2.PoissonGroup(src.size, rates=src.rate, name=f"src_{src.name}")
        groups[src.name] = g
        objects.append(g)

    # reward traces: r1 at step t = 1 iff the reward source spiked at t - 1
    for post, rname in reward_of.items():
        if rname:
            rs = b2.Synapses(groups[rname], groups[post], on_pre="rin_post = 1",
                             name=f"reward_{rname}__{post}")
            rs.connect()
            objects.append(rs)

    # learning gates: a gate spike opens a window and sets its sign
    for post, rule in hebb.items():
        for gate, sign in rule.gates.items():
            gs = b2.Synapses(groups[gate], groups[post],
                             on_pre=f"hebb_until_post = t + hebb_window\nhebb_sign_post = {sign}",
                             namespace={"hebb_window": rule.window},
                             name=f"hebbgate_{gate}__{post}")
            gs.connect()
            objects.append(gs)

    for c in circuit.connections.values():
        post_model = circuit.populations[c.post].model
        dim = None
        values = circuit.synapse_values(c)
        if isinstance(post_model, LoihiCompartment):
            wunit, deliver = "1", f"q_post += {W_SCALE} * w"
            values = _loihi_values(circuit, c)
            if c.plastic and c.weight_exp:  # w is the mantissa
                deliver = f"q_post += {W_SCALE} * floor(w * wexp_scale)"
        else:
            var = c.target or post_model.input_var
            if var not in groups[c.post].variables:
                raise UsageError(f"connection {c.name!r}: population {c.post!r} has no variable "
                                 f"{var!r}")
            dim = groups[c.post].variables[var].dim
            wunit = "1" if dim is DIMENSIONLESS else b2.get_unit(dim).name
            deliver = f"{var}_post += w"
        model = f"w : {wunit}"
        ns = {}
        on_pre = deliver
        if isinstance(c.plasticity, SumOfProducts):
            rewarded, plain = c.plasticity.coincidence_steps()
            ns = {"dw_plain": plain, "dw_reward": rewarded - plain,
                  "wmin": c.plasticity.wmin, "wmax": c.plasticity.wmax}
            if c.weight_exp:
                ns["wexp_scale"] = 2.0 ** c.weight_exp
            on_pre = ("w = clip(w + (dw_plain + dw_reward * r1_post) * int(lastspike_post == t),"
                      " wmin, wmax)\n" + deliver)
        elif isinstance(c.plasticity, RateHebbian):
            r = c.plasticity
            wdim = dim if dim is not None else DIMENSIONLESS
            ns = {"eta_hebb": b2.Quantity(r.eta, dim=wdim / b2.Hz.dim)}
            for bound, value in (("wmin", r.wmin), ("wmax", r.wmax)):
                ns[bound] = b2.Quantity(value if np.isfinite(value) else
                                        np.sign(value) * 1e300, dim=wdim)
            change = ("hebb_sign_post * eta_hebb * a_hebb_post"
                      " * int(t < hebb_until_post + 0.5 * dt)")
            if r.epoch is None:
                on_pre = f"w = clip(w + {change}, wmin, wmax)\n" + deliver
            else:  # accumulate; applied at every multiple of the epoch (below)
                model += f"\ndw_hebb : {wunit}"
                on_pre = f"dw_hebb += {change}\n" + deliver
        S = b2.Synapses(groups[c.pre], groups[c.post], model=model, on_pre=on_pre,
                        delay=c.delay * dt, namespace=ns, name=f"syn_{c.name}")
        w = np.asarray(values, dtype=float)
        # description weights onto equation neurons are in SI base units of their input variable
        unit = b2.Quantity(1.0, dim=dim) if dim is not None and dim is not DIMENSIONLESS else 1.0
        if c.pattern == "all_to_all":
            S.connect()
            S.w = (w[np.asarray(S.i[:]), np.asarray(S.j[:])] if device == "runtime" else
                   w.ravel()) * unit
        else:
            if c.pattern == "one_to_one":
                S.connect(j="i")
            else:
                S.connect()
            S.w = w.copy() * unit
        if isinstance(c.plasticity, RateHebbian) and c.plasticity.epoch is not None:
            S.run_regularly("w = clip(w + dw_hebb, wmin, wmax)\ndw_hebb = 0 * w",
                            dt=c.plasticity.epoch, when="start", name=f"syn_{c.name}_epoch")
        synapses[c.name] = S
        objects.append(S)

    record = list(circuit.populations) if record is None else list(record)
    for name in record:
        if name not in groups:
            raise UsageError(f"cannot record unknown population {name!r}")
        monitors[name] = b2.SpikeMonitor(groups[name], name=f"spikes_{name}")
        objects.append(monitors[name])
    for name, variables in (record_state or {}).items():
        state_monitors[name] = b2.StateMonitor(groups[name], variables, record=True, when="end",
                                               name=f"state_{name}")
        objects.append(state_monitors[name])
    network = b2.Network(*objects, name=f"net_{circuit.name}")
    return Brian2Circuit(circuit, network, groups, synapses, monitors, stimuli, stim_groups, dt,
                         state_monitors)
