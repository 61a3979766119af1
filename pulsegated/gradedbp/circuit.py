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

__all__ = ["LINEAR_WINDOWS", "linear_layer_circuit", "hebbian_rate", "encode_amplitudes",
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
    uw = float(unit_weight(ch) / Hz)
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
        rule = GatedTraceHebbian(hebbian_rate(p), p.trace_tau,
                                 potentiate=(f"gate{L['potentiate']}",),
                                 depress=(f"gate{L['depress']}",), window=ch.T,
                                 wmin=-p.w_bound * uw, wmax=p.w_bound * uw,
                                 epoch=L["period"] * ch.T, trace=(f"dp{k}", f"n2{k}"))
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
                  sources={"x": INPUT_SOURCE, "t": TARGET_SOURCE})
    return c


def plastic_matrix(c: Circuit, sim, key: str = "plastic") -> np.ndarray:
    """The coupling factors of the plastic connections ``c.meta[key]`` as the simulator holds
    them: the mean synaptic weight of each unit pair over the exact-transfer weight."""
    uw = float(unit_weight(c.meta["params"]) / Hz)
    names = c.meta[key]
    shape = tuple(np.max(np.array(list(names)), axis=0) + 1)
    W = np.zeros(shape)
    for idx, name in names.items():
        W[idx] = float(np.mean(sim.weights(name))) / uw
    return W
