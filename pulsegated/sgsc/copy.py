"""Synaptic copy between circuits by pulse-gated Hebbian learning (Shao, Wang, Sornborger & Tao).

Circuit A holds a weight matrix ``K``; circuit B learns ``L`` to equal it.  Basis vectors ``e_i`` are
presented one after another (fast pulses per column inside a slower cycle over the columns).  For
column ``i``, two gated windows follow each other:

* potentiation window: A's output ``K e_i`` gates B's output population together with B's input
  ``e_i``: ``dL = +eta * (K e_i) e_i^T``;
* depression window: B's own output ``L e_i`` is gated with the same input:
  ``dL = -eta * (L e_i) e_i^T``.

Rates are positive; the sign is carried by which window the coincidence falls in.  Per column and
cycle, ``L e_i <- L e_i + eta (K - L) e_i``, so the error ``|L - K|`` falls as ``(1 - eta)^cycles``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
from brian2 import Hz, Quantity, ms

from pulsegated.circuit import Circuit, GatedTraceHebbian
from pulsegated.sgsc._units import check_quantity, hashable
from pulsegated.sgsc.graded import (GradedChainParams, current_decay, graded_graph_circuit,
                                    unit_weight)

__all__ = ["copy_matrix", "cycles_needed", "CopyParams", "copy_constants", "copy_circuit",
           "copied_matrix", "run_copy"]


def copy_matrix(K, eta: float = 0.3, cycles: int = 10, L0=None, rng=None) -> dict:
    """Run the mean-field copy; relative error ``|L - K| / |K|`` after every cycle.

    Parameters
    ----------
    K : (m, n) array of non-negative weights (rates are positive)
    eta : float in (0, 1]
        Learning rate times window length.
    cycles : int
    L0 : initial B weights (default: random in [0, max K])

    Returns
    -------
    dict with ``L`` (final), ``errors`` (cycles + 1,), ``L_history`` (list of matrices)
    """
    K = np.asarray(K, dtype=float)
    if K.ndim != 2 or np.any(K < 0):
        raise ValueError("K must be a 2-D matrix of non-negative weights")
    if not 0 < eta <= 1:
        raise ValueError(f"eta must lie in (0, 1], got {eta}")
    rng = np.random.default_rng(rng)
    L = rng.uniform(0, K.max(), K.shape) if L0 is None else np.array(L0, dtype=float)
    norm = np.linalg.norm(K)
    errors = [np.linalg.norm(L - K) / norm]
    history = [L.copy()]
    n = K.shape[1]
    for _ in range(cycles):
        for i in range(n):
            e = np.zeros(n)
            e[i] = 1.0
            target = K @ e          # A's output in the potentiation window
            own = L @ e             # B's output in the depression window
            L += eta * np.outer(target, e)   # potentiation: post = K e_i, pre = e_i
            L -= eta * np.outer(own, e)      # depression: post = L e_i, pre = e_i
        errors.append(np.linalg.norm(L - K) / norm)
        history.append(L.copy())
    return {"L": L, "errors": np.array(errors), "L_history": history}


def cycles_needed(eta: float, initial_error: float, target: float = 0.05) -> int:
    """Cycles for the error to fall from ``initial_error`` below ``target``: geometric decay."""
    if initial_error <= target:
        return 0
    return int(np.ceil(np.log(target / initial_error) / np.log(1 - eta)))


# ------------------------------------------------------------------------- spiking copy circuit
#: windows of one presentation (one column e_i) in the gating ring, T each
PERIOD = 8
X_WINDOWS = (1, 2, 5)   # B's input units x_j opened (the presented column fires)
DEPRESS = 2             # B's output q opened with its own column L e_i: depression window
A_INPUT = 3             # A's input units xa_j opened
A_OUTPUT = 4            # A's output units ya_k opened: K e_i reaches q
POTENTIATE = 5          # q opened with A's column K e_i: potentiation window
# windows 6, 7 and 0 are idle: the currents of one presentation die out before the next


@dataclass(frozen=True)
class CopyParams:
    """Constants of the spiking synaptic copy (see :func:`copy_circuit`).

    ``chain`` sizes the graded units (``n`` neurons each) and their gating chain; ``T / tau = 2``
    by default so that a unit's current falls to ``e^-2`` in one window.  Windows of 40 ms at
    rates up to 0.4 g0 = 400 Hz give each presynaptic neuron about 7 spikes per window: with few
    spikes per window every synapse's change is a large random step (the mean still copies, but
    single weights spread and hit their bound).  ``amplitude`` is the presented basis vector's
    amplitude (a plain fraction of g0); ``eta`` the copy rate per cycle (the fraction of the
    error ``K - L`` removed from a column per presentation, in the mean); ``trace_tau`` the time
    constant of the postsynaptic trace of the Hebbian rule, a Brian2 time (e.g. ``5 * ms``; plain
    numbers are refused); ``wmin`` the lower bound of a single synapse, as a coupling factor.
    """

    chain: GradedChainParams = GradedChainParams(n=200, n_gate=50, T=40 * ms, tau=20 * ms,
                                                 g0=1000 * Hz, dt=0.8 * ms)
    amplitude: float = 0.4
    eta: float = 0.3
    trace_tau: Quantity = field(default_factory=lambda: 5 * ms)
    wmin: float = 0.0

    def __post_init__(self):
        if not isinstance(self.chain, GradedChainParams):
            raise TypeError(f"CopyParams.chain must be a GradedChainParams, got {self.chain!r}")
        check_quantity(self.trace_tau, "time", "CopyParams.trace_tau", positive=True)

    def __hash__(self):
        return hash(tuple(hashable(getattr(self, f.name)) for f in fields(self)))


def copy_constants(q: CopyParams) -> dict:
    """The constants the circuit is built with, derived from the unit dynamics.

    * ``injection``: amplitude injected before each opening of the input units so that their
      current is exactly ``amplitude`` (what is left of the previous opening is subtracted);
    * ``residual``: ``eps``, the part of ``L e_i`` still in q's current in the potentiation window
      (from the depression window, decayed over two windows);
    * ``relay``: the coupling ``1 - eps`` from A's output to q, so that in the mean the fixed point
      of the copy is ``L = K``: the pairings of the two windows differ by ``(1 - eps)(K - L)``;
    * ``hebb_eta``: the Hebbian ``eta`` per presynaptic spike that removes the fraction ``eta`` of
      ``K - L`` per presentation, from the expected pairing of the decaying pre and post rates
      through the trace filter.
    """
    p = q.chain
    s = int(round(float(p.T / p.dt)))
    d = current_decay(p)
    inj, current, last = {}, 0.0, None
    for w in X_WINDOWS:
        if last is not None:
            current *= d ** ((w - last) * s)
        inj[w] = q.amplitude - current
        current, last = q.amplitude, w
    eps = (1 + d ** s) * d ** (2 * s)
    # expected pairing sum_k r_pre[k] dt * trace[k] of unit-amplitude profiles d^k (rates in g0)
    dt, ttr = np.asarray(p.dt), np.asarray(q.trace_tau)  # SI values: a dimensionless sum
    prof = d ** np.arange(s + 1)
    d_tr = 1.0 - float(p.dt / q.trace_tau)
    trace = np.zeros(s + 1)
    for k in range(1, s + 1):
        trace[k] = trace[k - 1] * d_tr + prof[k - 1] * dt / ttr
    pairing = float(np.sum(prof * trace)) * p.dt * p.g0 ** 2 * q.amplitude ** 2  # a rate
    hebb_eta = float(q.eta * unit_weight(p) / (pairing * (1 - eps)))  # dimensionless
    return {"injection": inj, "residual": eps, "relay": 1 - eps, "hebb_eta": hebb_eta,
            "steps_per_window": s}


def copy_circuit(K, L0, q: CopyParams = CopyParams(), rng=None) -> Circuit:
    """Two graded circuits in one gating ring: A holds ``K``, B learns ``L`` (plastic) from it.

    Units (``n`` neurons each): A's input ``xa_j`` and output ``ya_k`` (couplings ``K[k, j]``), B's
    input ``x_j`` and output ``q_k`` (plastic couplings ``L[k, j]``, starting at ``L0``), and the
    relay ``ya_k -> q_k``.  One sample of the circuit's schedule presents one column: data sources
    ``present_w{w}`` / ``present_a`` inject the basis vector ``e_i`` into the input units before
    their windows.  Per presentation (:data:`PERIOD` windows): x fires (q integrates ``L e_i``);
    q fires its own column while x fires again: depression window; A computes ``K e_i``, which
    reaches q; q fires it while x fires: potentiation window.  The Hebbian rule
    (:class:`~pulsegated.circuit.GatedTraceHebbian`) pairs x's spikes with q's trace in both
    windows.
    """
    K = np.asarray(K, dtype=float)
    L0 = np.asarray(L0, dtype=float)
    if K.ndim != 2 or np.any(K < 0) or not np.all(np.isfinite(K)):
        raise ValueError("K must be a 2-D matrix of finite non-negative weights")
    if L0.shape != K.shape or np.any(L0 < 0):
        raise ValueError(f"L0 must be non-negative with K's shape {K.shape}, got {L0.shape}")
    if not 0 < q.eta <= 1:
        raise ValueError(f"eta must lie in (0, 1], got {q.eta}")
    if not 0 < q.amplitude < 1:
        raise ValueError(f"amplitude must lie in (0, 1), got {q.amplitude}")
    if max(K.max(), L0.max()) * q.amplitude >= 0.5:
        raise ValueError("amplitude * max(K, L0) must stay below 0.5 so that q stays silent "
                         "outside its windows and its rate stays in the graded range")
    if q.chain.jitter:
        raise ValueError("the copy circuit's learning windows need a gating chain without jitter")
    if not q.chain.dt < q.trace_tau:
        raise ValueError(f"trace_tau must exceed the time step {q.chain.dt}, got {q.trace_tau}")
    p = q.chain
    m, n = K.shape
    const = copy_constants(q)
    rule = GatedTraceHebbian(const["hebb_eta"], q.trace_tau,
                             potentiate=(f"gate{POTENTIATE}",), depress=(f"gate{DEPRESS}",),
                             window=p.T, wmin=q.wmin * float(unit_weight(p) / Hz),
                             # one learning epoch per presentation: both windows see the same L
                             epoch=PERIOD * p.T)
    units = {**{f"x{j}": X_WINDOWS for j in range(n)},
             **{f"xa{j}": A_INPUT for j in range(n)},
             **{f"ya{k}": A_OUTPUT for k in range(m)},
             **{f"q{k}": (DEPRESS, POTENTIATE) for k in range(m)}}
    edges = ([(f"xa{j}", f"ya{k}", K[k, j]) for k in range(m) for j in range(n)]
             + [(f"ya{k}", f"q{k}", const["relay"]) for k in range(m)]
             + [(f"x{j}", f"q{k}", L0[k, j], rule) for k in range(m) for j in range(n)])
    c = graded_graph_circuit(units, edges, {}, p, rng=rng, ring=True, n_windows=PERIOD)
    c.name = "synaptic_copy"
    s = const["steps_per_window"]
    injections = [(f"present_w{w}", "x", w, amp) for w, amp in const["injection"].items()]
    injections.append(("present_a", "xa", A_INPUT, q.amplitude))
    for source, unit, w, amp in injections:
        # spikes in the step before the window opens, added to the current at once
        c.add_source(source, n, data_phase=w * s - 1)
        for j in range(n):
            W = np.zeros((n, p.n))
            W[j] = amp * float(p.g0 / Hz)  # the description's weights: I's SI values
            c.connect(source, f"{unit}{j}", "all_to_all", W, target="I")
    c.meta.update(algorithm="synaptic_copy", K=K, L0=L0, copy=q, constants=const,
                  present=[source for source, *_ in injections],
                  plastic={(k, j): f"x{j}__q{k}" for k in range(m) for j in range(n)})
    return c


def copied_matrix(c: Circuit, sim) -> np.ndarray:
    """B's matrix ``L`` as the circuit holds it: the mean coupling factor of every unit pair."""
    p = c.meta["copy"].chain
    m, n = c.meta["K"].shape
    L = np.zeros((m, n))
    for (k, j), name in c.meta["plastic"].items():
        L[k, j] = sim.weights(name).mean() / float(unit_weight(p) / Hz)
    return L


def run_copy(K, cycles: int = 10, L0=None, q: CopyParams = CopyParams(), seed: int = 0,
             backend: str = "brian2", progress: bool = True, **options) -> dict:
    """Copy ``K`` into B with the spiking circuit; ``|L - K| / |K|`` after every cycle.

    A cycle presents the columns ``0 .. n-1`` once each.  ``L0`` defaults to uniform random
    values in ``[0, max K]`` (``seed``).  ``options`` go to the simulator (e.g. ``codegen``).

    Returns
    -------
    dict with ``L`` (final), ``errors`` (cycles + 1,), ``L_history`` and ``constants``
    """
    from tqdm.auto import tqdm

    from pulsegated.backends import simulator

    K = np.asarray(K, dtype=float)
    if not isinstance(cycles, (int, np.integer)) or cycles < 1:
        raise ValueError(f"cycles must be a positive integer, got {cycles!r}")
    rng = np.random.default_rng(seed)
    L0 = rng.uniform(0, K.max(), K.shape) if L0 is None else np.asarray(L0, dtype=float)
    c = copy_circuit(K, L0, q, rng=rng)
    sim = simulator(backend)(c, record=[], seed=seed, **options)
    n = K.shape[1]
    eye = np.eye(n, dtype=np.uint8)
    data = {name: eye for name in c.meta["present"]}
    norm = np.linalg.norm(K)
    L = copied_matrix(c, sim)
    history, errors = [L], [np.linalg.norm(L - K) / norm]
    for _ in tqdm(range(cycles), desc="copy cycles", disable=not progress):
        sim.run_samples(data)
        L = copied_matrix(c, sim)
        history.append(L)
        errors.append(np.linalg.norm(L - K) / norm)
    return {"L": L, "errors": np.array(errors), "L_history": history, "K": K, "L0": L0,
            "constants": c.meta["constants"]}
