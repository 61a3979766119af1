"""The graded pulse-gated backpropagation circuit as a description (units, windows, couplings).

Every quantity is a *unit*: a population of ``n`` rectified integrators whose rate, while its
window is open, equals its synaptic current (:mod:`pulsegated.sgsc.graded`).  A self-driving
gating ring of ``period`` windows orders everything; a unit fires only in its windows and
integrates its inputs at all times.  One learning cycle is one period of the ring (one sample of the
circuit's schedule).  A coupling of factor ``k`` from unit ``a`` to unit ``b`` makes ``b``'s current
when its next window opens ``k`` times ``a``'s amplitude (exact transfer, calibrated ``S``).

One layer, ``o = W x`` (the linear map; windows of one cycle)::

    window  fires                      integrates                         learning
      1     x (sent by the host)       o <- W x,  m1 <- x
      2     o, t (sent by the host),   d+ <- t - o,  d- <- o - t,  m2 <- m1,
            m1                         x <- g m1
      3     d+, d-, x, m2              n1 <- d-,  m3 <- m2                potentiation of W
      4     n1, m3                     n2 <- n1,  x <- g m3
      5     n2, x                                                         depression of W
      6-7, 0  idle: the currents of one cycle die out before the next

* ``m1 .. m3`` are a short-term memory of ``x`` (relays that hold its value from window 1 to
  window 4); ``n1, n2`` hold ``d-`` until window 5.  No unit fires in two consecutive windows,
  so no unit integrates the input for its next window while it fires.
* ``d+ = [t - o]^+`` and ``d- = [o - t]^+`` are split error units: rates are positive.
* Learning is pulse-gated Hebbian (:class:`~pulsegated.circuit.GatedTraceHebbian`) with the error
  as the teaching signal of the output: each spike of ``x`` in a learning window changes its
  synapse onto ``o`` by the learning rate times the spike trace of the error unit that fires in
  that window (``d+`` in window 3: up; ``d-``, relayed to ``n2``, in window 5: down), delivered
  to ``o``'s synapses.  Per cycle ``W += eta (d+ - d-) x^T = eta (t - o) x^T``: the
  least-mean-squares rule, signed changes carried by positive rates in separate windows.
* In the learning windows ``x`` fires at ``g x`` (``g = learn_gain``) and drives ``o`` through
  ``W``; ``o`` is closed there and its current has died out before its next window.

Why the error, and not ``o``'s own spikes, is paired with ``x``: if ``o`` fired ``d+`` (``d-``)
in the learning windows it would also fire the drive ``W g x`` it gets from ``x`` there, the
same in both windows, cancelling only in the mean.  Paired spike by spike, that common part
moves each presynaptic neuron's synapses by a different amount (which neurons fire in which
window depends on their phases) and the synapses of one coupling spread in a random walk of a
few percent per cycle; after a hundred cycles the spread makes the forward transfer itself noisy
(measured: the 3 x 3 map drifted to 30 % weight error after 300 cycles).  With the error as
teacher the change of every synapse is proportional to ``d`` and vanishes as the map is learnt.

Two layers with a ReLU hidden layer (XOR): see :func:`two_layer_circuit`.
"""

from __future__ import annotations

import numpy as np
from brian2 import Hz

from pulsegated.circuit import Circuit, GatedTraceHebbian
from pulsegated.errors import UsageError
from pulsegated.gradedbp.params import GradedBPParams
from pulsegated.sgsc.graded import current_decay, graded_graph_circuit, unit_weight

__all__ = ["LINEAR_WINDOWS", "TWO_LAYER_WINDOWS", "linear_layer_circuit", "two_layer_circuit",
           "hebbian_rate", "teacher_rule", "encode_amplitudes", "backward_matrices",
           "plastic_matrix", "INPUT_SOURCE", "TARGET_SOURCE"]

#: windows of the one-layer circuit (see the module documentation)
LINEAR_WINDOWS = {"x": (1, 3, 5), "o": 2, "t": 2, "d": 3, "m1": 2, "m2": 3, "m3": 4,
                  "n1": 4, "n2": 5, "forward": 2, "potentiate": 3, "depress": 5, "period": 8}
INPUT_SOURCE = "send_x"
TARGET_SOURCE = "send_t"


def encode_amplitudes(values, bits: int) -> np.ndarray:
    """Amplitudes in ``[0, 1)`` as the host sends them: ``bits`` 0/1 spikes each, most
    significant first (``(n_samples, n_values * bits)`` uint8); rounded to ``2**-bits``."""
    v = np.atleast_2d(np.asarray(values, dtype=float))
    q = np.clip(np.rint(v * 2 ** bits), 0, 2 ** bits - 1).astype(np.int64)
    out = (q[..., None] >> np.arange(bits - 1, -1, -1)) & 1
    return out.reshape(v.shape[0], -1).astype(np.uint8)


def hebbian_rate(p: GradedBPParams) -> float:
    """The Hebbian rule's ``eta`` (per presynaptic spike, per Hz of postsynaptic trace) that moves
    a mean coupling factor by ``p.eta * d * x`` per cycle.

    The expected pairing of a presynaptic unit and a postsynaptic unit that both open a learning
    window at unit amplitude (rates ``g0 d^k`` at step ``k`` of the window, ``d`` the current's
    decay per step) is ``sum_k r_pre[k] dt * a[k]`` with ``a`` the postsynaptic trace; the rule's
    ``eta`` divides the wanted change of the weight by it, and by the presynaptic unit's
    ``learn_gain``.
    """
    c = p.chain
    s = int(round(float(c.T / c.dt)))
    d = current_decay(c)
    dt, g0 = float(c.dt), float(c.g0)
    d_tr = 1.0 - float(c.dt / p.trace_tau)
    prof = g0 * d ** np.arange(s)
    trace = np.zeros(s)
    for k in range(1, s):
        trace[k] = trace[k - 1] * d_tr + prof[k - 1] * dt / float(p.trace_tau)
    pairing = float(np.sum(prof * dt * trace))  # Hz (per unit amplitude of both)
    return float(p.eta * float(unit_weight(c) / Hz) / (pairing * p.learn_gain))


def teacher_rule(p: GradedBPParams, windows: dict, potentiate: str, depress: str,
                 teachers: tuple) -> GatedTraceHebbian:
    """The pulse-gated Hebbian rule of a plastic coupling: potentiation in the window named
    ``potentiate`` of ``windows``, depression in ``depress``, paired with the trace of the
    ``teachers`` populations; changes applied once per cycle (the ring's period); every synapse
    kept within ``[-w_bound, w_bound]`` coupling factors."""
    ch = p.chain
    uw = float(unit_weight(ch) / Hz)
    return GatedTraceHebbian(hebbian_rate(p), p.trace_tau,
                             potentiate=(f"gate{windows[potentiate]}",),
                             depress=(f"gate{windows[depress]}",), window=ch.T,
                             wmin=-p.w_bound * uw, wmax=p.w_bound * uw,
                             epoch=windows["period"] * ch.T, trace=teachers)


def _send(c: Circuit, source: str, units: list, window: int, p: GradedBPParams) -> None:
    """A data source that sets each unit's current to the sent amplitude before ``window``."""
    ch = p.chain
    s = int(round(float(ch.T / ch.dt)))
    n_src = len(units) * p.bits
    c.add_source(source, n_src, data_phase=window * s - 1)
    g0 = float(ch.g0 / Hz)
    for j, u in enumerate(units):
        W = np.zeros((n_src, ch.n))
        for b in range(p.bits):
            W[j * p.bits + b] = g0 * 2.0 ** -(b + 1)
        c.connect(source, u, "all_to_all", W, target="I")


def linear_layer_circuit(W0, p: GradedBPParams = GradedBPParams(), rng=None) -> Circuit:
    """The one-layer learning circuit ``o = W x`` with ``W`` plastic, starting at ``W0``.

    Parameters
    ----------
    W0 : (n_out, n_in) array
        Initial coupling factors (within ``[-w_bound, w_bound]``).
    p : GradedBPParams
    rng : seed or Generator
        Phases of the units.

    Returns
    -------
    Circuit
        A ring of ``LINEAR_WINDOWS["period"]`` windows; one sample of its schedule is one
        learning cycle.  Its data sources are :data:`INPUT_SOURCE` and :data:`TARGET_SOURCE`
        (:func:`encode_amplitudes` of ``x`` and ``t``).  ``meta["plastic"][(k, j)]`` names the
        connection that holds ``W[k, j]``.
    """
    W0 = np.asarray(W0, dtype=float)
    if W0.ndim != 2 or W0.size == 0:
        raise UsageError(f"W0 must be a 2-D matrix (outputs x inputs), got shape {W0.shape}")
    if not np.all(np.isfinite(W0)) or np.abs(W0).max() > p.w_bound:
        raise UsageError(f"W0 must lie in [-w_bound, w_bound] = [-{p.w_bound}, {p.w_bound}]")
    n_out, n_in = W0.shape
    L = LINEAR_WINDOWS
    ch = p.chain
    units, roles, edges = {}, {}, []

    def unit(name, windows, role):
        units[name] = windows
        roles[name] = role

    for j in range(n_in):
        unit(f"x{j}", L["x"], "input")
        for m in ("m1", "m2", "m3"):
            unit(f"{m}{j}", L[m], "memory")
        edges += [(f"x{j}", f"m1{j}", 1.0), (f"m1{j}", f"m2{j}", 1.0), (f"m2{j}", f"m3{j}", 1.0),
                  (f"m1{j}", f"x{j}", p.learn_gain), (f"m3{j}", f"x{j}", p.learn_gain)]
    for k in range(n_out):
        unit(f"o{k}", L["o"], "output")
        unit(f"t{k}", L["t"], "target")
        unit(f"dp{k}", L["d"], "error")
        unit(f"dn{k}", L["d"], "error")
        for m in ("n1", "n2"):
            unit(f"{m}{k}", L[m], "memory")
        edges += [(f"t{k}", f"dp{k}", 1.0), (f"o{k}", f"dp{k}", -1.0),
                  (f"o{k}", f"dn{k}", 1.0), (f"t{k}", f"dn{k}", -1.0),
                  (f"dn{k}", f"n1{k}", 1.0), (f"n1{k}", f"n2{k}", 1.0)]
        rule = teacher_rule(p, L, "potentiate", "depress", (f"dp{k}", f"n2{k}"))
        edges += [(f"x{j}", f"o{k}", W0[k, j], rule) for j in range(n_in)]
    c = graded_graph_circuit(units, edges, {}, ch, rng=rng, ring=True,
                             n_windows=L["period"], roles=roles)
    c.name = "graded_bp_linear"
    _send(c, INPUT_SOURCE, [f"x{j}" for j in range(n_in)], L["x"][0], p)
    _send(c, TARGET_SOURCE, [f"t{k}" for k in range(n_out)], L["t"], p)
    c.meta.update(algorithm="graded_bp", task_shape=(n_out, n_in), gradedbp=p,
                  windows=dict(L), plastic={(k, j): f"x{j}__o{k}" for k in range(n_out)
                                            for j in range(n_in)},
                  outputs=[f"o{k}" for k in range(n_out)],
                  readout_window={f"o{k}": L["forward"] for k in range(n_out)},
                  send={INPUT_SOURCE: "x", TARGET_SOURCE: "t"})
    return c


def plastic_matrix(c: Circuit, sim, key: str = "plastic", names: dict | None = None
                   ) -> np.ndarray:
    """The coupling factors of the plastic connections ``c.meta[key]`` (or ``names``,
    ``{(row, col): connection}``) as the simulator holds them: the mean synaptic weight of each
    unit pair over the exact-transfer weight."""
    uw = float(unit_weight(c.meta["params"]) / Hz)
    names = c.meta[key] if names is None else names
    shape = tuple(np.max(np.array(list(names)), axis=0) + 1)
    W = np.zeros(shape)
    for idx, name in names.items():
        W[idx] = float(np.mean(sim.weights(name))) / uw
    return W


#: windows of the two-layer circuit (see :func:`two_layer_circuit`)
TWO_LAYER_WINDOWS = {"x": (1, 8, 10), "xa": (2, 4, 6, 8), "xb": (3, 5, 7, 9), "h": (2, 5, 7),
                     "hm1": 3, "hm2": 4, "hm3": 5, "hm4": 6, "o": 3, "t": 3, "d": 4,
                     "pr1": 5, "pr2": 6, "cp": (5, 7), "cn": (5, 7), "z": 5, "z2": 7,
                     "ep": 6, "en": 8, "epr1": 7, "epr2": 8, "enr1": 9, "enr2": 10,
                     "clear": 6,
                     "forward": 3, "hidden": 2, "potentiate2": 5, "depress2": 7,
                     "potentiate1": 8, "depress1": 10, "period": 12}


def two_layer_circuit(W1, W2, p: GradedBPParams = GradedBPParams(), rng=None,
                      hidden_bias: float = 0.3, mask_level: float = 0.5) -> Circuit:
    """Two layers, ``o = W2 [h; b]`` with ``h = ReLU(W1 x)``, both plastic, learnt by
    backpropagation.

    Parameters
    ----------
    W1 : (n_hidden, n_in) array
        Input-to-hidden coupling factors (a bias input is one of the inputs, sent by the host).
    W2 : (n_out, n_hidden + 1) array
        Hidden-to-output coupling factors; the last column is that of a hidden bias unit
        ``hb`` (a constant ``hidden_bias`` sent by the host, which learns like a hidden unit
        but has no input weights).
    p : GradedBPParams
    rng : seed or Generator
        Phases of the units.
    hidden_bias : float
        Amplitude of the hidden bias unit (fraction of ``g0``).
    mask_level : float
        Amplitude of the constant that the derivative units start from (see below).

    Notes
    -----
    One learning cycle, window by window (``g`` = ``learn_gain``)::

        window  fires                              integrates
          1     x (host)                           h <- W1 x
          2     h, hb (host), xa (host: x)         o <- W2 [h; hb],  hm1 <- h,  xb <- xa
          3     o, t (host), hm1, xb               d+, d- <- +-(t - o),  hm2,  xa <- xb
          4     d+, d-, hm2, xa                    cp <- d+,  cn <- d-,  pr1/nr1 <- d+/d-,
                                                   h <- g hm2,  z <- c - K hm2,  hm3
          5 (A) cp = d+, cn = d-, h = g h, z,      ep <- B cp - B cn - M z,  pr2/nr2,  hm4
                pr1, nr1, hm3, xb
          6     ep, pr2, nr2, hm4, xa              cp <- d- (nr2),  cn <- d+ (pr2),
                                                   h <- g hm4,  z2 <- c - K hm4,  epr1 <- ep
          7 (B) cp = d-, cn = d+, h = g h, z2,     en <- B cp - B cn - M z2,  epr2 <- epr1,
                epr1, xb                           x <- g xb
          8     en, epr2, x = g x, xa              enr1 <- en
          9     enr1, xb                           enr2 <- enr1,  x <- g xb
         10     enr2, x = g x
         11, 0  idle

    * **Memory.** The host sends ``x`` both to the inputs (window 1) and to the memory ``xa``,
      which with ``xb`` forms a reverberating pair (``xa -> xb -> xa``, one window apart, each
      coupling ``1 - rho`` with ``rho`` what a current keeps over two windows, so that the
      residue of a unit's previous opening makes up the difference) that holds ``x`` to
      window 9; ``hm1 .. hm4`` relay ``h`` to window 6.  No unit fires in two
      consecutive windows, and no memory unit receives from a unit that fires again later in
      the cycle.
    * **Error carriers.** ``cp`` fires ``d+`` in window A and ``d-`` in window B; ``cn`` the
      reverse.  They carry the output error through the backward couplings ``cp -> e`` (``B``)
      and ``cn -> e`` (``-B``): the unit ``ep`` that integrates window A gets
      ``B (d+ - d-) = B d`` and ``en`` (window B) ``-B d``, split into positive rates.
    * **Masking by the derivative (a Hadamard product by gating).**  ``z = [c - K h]^+`` with
      ``c = mask_level`` sent by the host and ``K = c / relu_threshold`` is ``c`` while the hidden
      unit is off and 0 once ``h`` exceeds ``relu_threshold``: ``1 - r'(h)`` for the ReLU.  It
      subtracts ``M c = g0`` from ``ep``'s drive, so ``ep = [B d - g0 (1 - r')]^+ = (B d) r'``
      -- the gate of amplitude ``g0 r'`` of the graded circuit.
    * **Learning** (pulse-gated Hebbian, :class:`~pulsegated.circuit.GatedTraceHebbian`, each
      rule pairing a presynaptic unit with a teaching unit's trace on the postsynaptic side):

      - ``W2`` (``h -> o``): ``h`` fires ``g h`` in windows A and B, taught by ``cp``
        (``d+`` in A: up; ``d-`` in B: down): ``dW2 = eta d h^T``.
      - ``B`` (the four backward couplings ``cp/cn -> ep/en``): ``cp`` and ``cn`` fire in A
        and B, taught by ``h``: the same pairings as ``W2``'s with pre and teacher swapped, so
        ``dB = dW2^T`` and ``B`` stays ``W2^T`` (learnt by the same windows; the deviation is
        measured by :meth:`~pulsegated.gradedbp.learn.CycleRunner.weights` of ``"backward"``).
      - ``W1`` (``x -> h``): ``x`` fires ``g x`` in windows 8 and 10, taught by the relays of
        ``ep`` (window 8: up) and ``en`` (window 10: down):
        ``dW1 = eta ((W2^T d) * r'(h)) x^T``.
    """
    W1, W2 = np.asarray(W1, dtype=float), np.asarray(W2, dtype=float)
    if W1.ndim != 2 or W2.ndim != 2 or W2.shape[1] != W1.shape[0] + 1:
        raise UsageError(f"W1 must be (n_hidden, n_in) and W2 (n_out, n_hidden + 1), got "
                         f"{W1.shape} and {W2.shape}")
    for name, W in (("W1", W1), ("W2", W2)):
        if not np.all(np.isfinite(W)) or np.abs(W).max() > p.w_bound:
            raise UsageError(f"{name} must lie in [-w_bound, w_bound] = "
                             f"[-{p.w_bound}, {p.w_bound}]")
    for name, v in (("hidden_bias", hidden_bias), ("mask_level", mask_level)):
        if not 0 < v < 1:
            raise UsageError(f"{name} must lie in (0, 1) (a fraction of g0), got {v}")
    n_hid, n_in = W1.shape
    n_out = W2.shape[0]
    L = TWO_LAYER_WINDOWS
    ch = p.chain
    K = mask_level / p.relu_threshold
    M = 1.0 / mask_level
    # what a unit's current keeps at window B of what it was opened with at window A (two
    # windows earlier); a relay of the unit's A firing (a "clear" unit, window A + 1) takes it
    # away again, so that the unit fires in B exactly what it was sent for B
    s_T = int(round(float(ch.T / ch.dt)))
    rho = float(current_decay(ch)) ** (2 * s_T)

    def rule(pot, dep, teachers):
        return teacher_rule(p, L, pot, dep, tuple(teachers))

    units, roles, edges = {}, {}, []

    def unit(name, key, role):
        units[name] = L[key]
        roles[name] = role

    hidden = [f"h{i}" for i in range(n_hid)] + ["hb"]
    for j in range(n_in):
        unit(f"x{j}", "x", "input")
        unit(f"xa{j}", "xa", "memory")
        unit(f"xb{j}", "xb", "memory")
        # each unit of the pair opens with what its partner sent plus the residue ``rho`` of
        # its own previous opening: couplings of 1 - rho keep the amplitude constant
        edges += [(f"xa{j}", f"xb{j}", 1.0 - rho), (f"xb{j}", f"xa{j}", 1.0 - rho),
                  (f"xb{j}", f"x{j}", p.learn_gain)]
    for i, h in enumerate(hidden):
        unit(h, "h", "hidden")
        for m in ("hm1", "hm2", "hm3", "hm4"):
            unit(f"{m}_{h}", m, "memory")
        unit(f"clr_{h}", "clear", "memory")
        edges += [(h, f"hm1_{h}", 1.0), (f"hm1_{h}", f"hm2_{h}", 1.0),
                  (f"hm2_{h}", f"hm3_{h}", 1.0), (f"hm3_{h}", f"hm4_{h}", 1.0),
                  (f"hm2_{h}", h, p.learn_gain), (f"hm4_{h}", h, p.learn_gain),
                  (h, f"clr_{h}", 1.0), (f"clr_{h}", h, -rho)]
    for k in range(n_out):
        unit(f"o{k}", "o", "output")
        unit(f"t{k}", "t", "target")
        unit(f"dp{k}", "d", "error")
        unit(f"dn{k}", "d", "error")
        unit(f"cp{k}", "cp", "error")
        unit(f"cn{k}", "cn", "error")
        for m in ("pr1", "pr2"):
            unit(f"{m}{k}", m, "memory")
            unit(f"n{m[1:]}{k}", m, "memory")
        edges += [(f"t{k}", f"dp{k}", 1.0), (f"o{k}", f"dp{k}", -1.0),
                  (f"o{k}", f"dn{k}", 1.0), (f"t{k}", f"dn{k}", -1.0),
                  (f"dp{k}", f"cp{k}", 1.0), (f"dn{k}", f"cn{k}", 1.0),
                  (f"dp{k}", f"pr1{k}", 1.0), (f"pr1{k}", f"pr2{k}", 1.0),
                  (f"dn{k}", f"nr1{k}", 1.0), (f"nr1{k}", f"nr2{k}", 1.0),
                  (f"nr2{k}", f"cp{k}", 1.0), (f"pr2{k}", f"cn{k}", 1.0)]
        for cu in (f"cp{k}", f"cn{k}"):
            unit(f"clr_{cu}", "clear", "memory")
            edges += [(cu, f"clr_{cu}", 1.0), (f"clr_{cu}", cu, -rho)]
        r2 = rule("potentiate2", "depress2", [f"cp{k}"])
        edges += [(h, f"o{k}", W2[k, i], r2) for i, h in enumerate(hidden)]
    for i in range(n_hid):
        h = f"h{i}"
        for e, z, r1, r2 in (("ep", "z", "epr1", "epr2"), ("en", "z2", "enr1", "enr2")):
            unit(f"{e}{i}", e, "error")
            unit(f"{z}_{i}", z, "derivative")
            unit(f"{r1}{i}", r1, "memory")
            unit(f"{r2}{i}", r2, "memory")
            edges += [(f"{e}{i}", f"{r1}{i}", 1.0), (f"{r1}{i}", f"{r2}{i}", 1.0),
                      (f"{z}_{i}", f"{e}{i}", -M)]
            rb = rule("potentiate2", "depress2", [h])
            for k in range(n_out):
                edges += [(f"cp{k}", f"{e}{i}", W2[k, i], rb),
                          (f"cn{k}", f"{e}{i}", -W2[k, i], rb)]
        edges += [(f"hm2_{h}", f"z_{i}", -K), (f"hm4_{h}", f"z2_{i}", -K)]
        r1 = rule("potentiate1", "depress1", [f"epr2{i}", f"enr2{i}"])
        edges += [(f"x{j}", h, W1[i, j], r1) for j in range(n_in)]
    c = graded_graph_circuit(units, edges, {}, ch, rng=rng, ring=True,
                             n_windows=L["period"], roles=roles)
    c.name = "graded_bp_two_layer"
    xs = [f"x{j}" for j in range(n_in)]
    _send(c, INPUT_SOURCE, xs, L["x"][0], p)
    _send(c, "send_xm", [f"xa{j}" for j in range(n_in)], L["xa"][0], p)
    _send(c, "send_hb", ["hb"], L["h"][0], p)
    _send(c, TARGET_SOURCE, [f"t{k}" for k in range(n_out)], L["t"], p)
    _send(c, "send_z", [f"z_{i}" for i in range(n_hid)], L["z"], p)
    _send(c, "send_z2", [f"z2_{i}" for i in range(n_hid)], L["z2"], p)
    # the four backward couplings, each (n_hidden, n_out) like W2[:, :n_hidden]^T
    backward = {f"{c_}->{e}": {(i, k): f"{c_}{k}__{e}{i}" for i in range(n_hid)
                                for k in range(n_out)}
                for c_ in ("cp", "cn") for e in ("ep", "en")}
    c.meta.update(algorithm="graded_bp", gradedbp=p, windows=dict(L),
                  task_shape=(n_out, n_in), n_hidden=n_hid,
                  plastic={(k, i): f"{h}__o{k}" for k in range(n_out)
                           for i, h in enumerate(hidden)},
                  plastic1={(i, j): f"x{j}__h{i}" for i in range(n_hid) for j in range(n_in)},
                  backward=backward,
                  outputs=[f"o{k}" for k in range(n_out)],
                  readout_window={**{f"o{k}": L["forward"] for k in range(n_out)},
                                  **{f"h{i}": L["hidden"] for i in range(n_hid)}},
                  send={INPUT_SOURCE: "x", "send_xm": "x", "send_hb": hidden_bias,
                        TARGET_SOURCE: "t", "send_z": mask_level, "send_z2": mask_level})
    return c


def backward_matrices(c: Circuit, sim) -> dict:
    """The backward couplings of a two-layer circuit, ``{"cp->ep": B, ...}``, each
    ``(n_hidden, n_out)`` and signed so that all four equal ``W2[:, :n_hidden]^T`` when the
    backward pass is exact (the ``cn`` couplings are stored negated)."""
    return {name: (1 if name.startswith("cp") else -1) * plastic_matrix(c, sim, names=names)
            for name, names in c.meta["backward"].items()}
