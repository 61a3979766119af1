"""The classic synfire chain of Diesmann, Gewaltig & Aertsen (1999), as a circuit description.

Ten groups of 100 integrate-and-fire neurons with alpha-shaped synaptic currents and background noise
(the parameters of Brian2's own reproduction of the model), each group connected all-to-all to the
next.  A packet of ``a`` spikes with temporal jitter ``sigma`` is fed into the first group; depending
on ``(a, sigma)`` it either converges to a synchronous volley that propagates to the last group, or
dies out.  This is the gating chain's classic baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import Quantity, mV, ms

from pulsegated.circuit import Circuit, EquationNeuron
from pulsegated.sgsc._units import check_quantity

__all__ = ["SynfireParams", "synfire_circuit", "run_packet", "propagation_grid", "packet_stats"]

EQUATIONS = """
dV/dt = (-(V - Vr) + x) / taum : volt
dx/dt = (-x + y) / taupsp : volt
dy/dt = -y / taupsp + drift + noise * xi : volt
"""

#: dimensioned fields of :class:`SynfireParams`: (kind, must be positive)
_PARAM_UNITS = {"taum": ("time", True), "taupsp": ("time", True), "Vr": ("voltage", False),
                "Vt": ("voltage", False), "weight": ("voltage", False),
                "drift": ("voltage per time", False),
                "noise": ("voltage per square root of time", False),
                "refractory": ("time", False), "dt": ("time", True), "t_packet": ("time", False)}


@dataclass
class SynfireParams:
    """Model constants (Diesmann et al. 1999 / Brian2's synfire example).

    Dimensioned values are Brian2 Quantities and plain numbers are refused for them: times
    (``taum``, ``taupsp``, ``refractory``, ``dt``, ``t_packet``: e.g. ``10 * ms``), voltages
    (``Vr``, ``Vt`` and the per-synapse ``weight``: e.g. ``-70 * mV``), the background ``drift``
    (a voltage per time, ``mV / ms``) and ``noise`` (``mV / ms ** 0.5``).  ``n_groups`` and
    ``group_size`` are plain integers.
    """

    n_groups: int = 10
    group_size: int = 100
    taum: Quantity = field(default_factory=lambda: 10 * ms)
    taupsp: Quantity = field(default_factory=lambda: 0.325 * ms)
    Vr: Quantity = field(default_factory=lambda: -70 * mV)
    Vt: Quantity = field(default_factory=lambda: -55 * mV)
    weight: Quantity = field(default_factory=lambda: 4.86 * mV)
    drift: Quantity = field(default_factory=lambda: 25.27 * mV / ms)
    noise: Quantity = field(default_factory=lambda: 39.24 * mV / ms ** 0.5)
    refractory: Quantity = field(default_factory=lambda: 1 * ms)
    dt: Quantity = field(default_factory=lambda: 0.1 * ms)
    #: packet centre, after the initial transient
    t_packet: Quantity = field(default_factory=lambda: 50 * ms)

    def __post_init__(self):
        for name, (kind, positive) in _PARAM_UNITS.items():
            check_quantity(getattr(self, name), kind, f"SynfireParams.{name}", positive=positive)


def _packet_steps(a: int, sigma: Quantity, p: SynfireParams, rng) -> np.ndarray:
    """Steps of the ``a`` packet spikes: centre ``t_packet``, Gaussian jitter ``sigma``."""
    rng = np.random.default_rng(rng)
    times = p.t_packet + sigma * rng.standard_normal(a)
    return np.clip(np.rint(np.asarray(times / p.dt)).astype(int), 0, None)


def _check_packet(a, sigma) -> None:
    check_quantity(sigma, "time", "sigma", non_negative=False)
    if a < 1 or sigma < 0 * ms:
        raise ValueError(f"a packet needs a >= 1 spikes and sigma >= 0 ms, got a={a}, "
                         f"sigma={sigma}")


def synfire_circuit(a: int, sigma: Quantity, params: SynfireParams = SynfireParams(),
                    rng=None, n_sources: int | None = None) -> Circuit:
    """The chain with an input packet of ``a`` spikes of jitter ``sigma`` into group 0.

    Parameters
    ----------
    a : int
        Spikes in the packet, one per source neuron.
    sigma : Quantity
        Temporal jitter of the packet, a Brian2 time (e.g. ``1 * ms``; plain numbers are refused).
    params : SynfireParams
    rng : seed or numpy Generator
        Draws the packet's spike times.
    n_sources : int, optional
        Size of the packet source (default ``a``; a larger source carries other packets of up to
        ``n_sources`` spikes in the same network: its neurons ``a ..`` stay silent).
    """
    _check_packet(a, sigma)
    n_sources = a if n_sources is None else n_sources
    if n_sources < a:
        raise ValueError(f"n_sources must be at least a={a}, got {n_sources}")
    p = params
    model = EquationNeuron(
        equations=EQUATIONS, threshold="V > Vt", reset="V = Vr", refractory=p.refractory,
        input_var="y", method="euler",
        namespace={"Vr": p.Vr, "Vt": p.Vt, "taum": p.taum, "taupsp": p.taupsp,
                   "drift": p.drift, "noise": p.noise},
        initial={"V": "Vr + rand() * (Vt - Vr)", "x": 0 * mV, "y": 0 * mV})
    c = Circuit("synfire", dt=p.dt)
    for k in range(p.n_groups):
        c.add_population(f"group{k}", p.group_size, model, role="chain")
    steps = _packet_steps(a, sigma, p, rng)
    c.add_source("packet", n_sources, steps=tuple(int(s) for s in steps), indices=tuple(range(a)))
    w = float(np.asarray(p.weight))  # the description's weights: SI values of y's unit (volt)
    c.connect("packet", "group0", "all_to_all", w)
    for k in range(p.n_groups - 1):
        c.connect(f"group{k}", f"group{k + 1}", "all_to_all", w)
    c.meta = {"algorithm": "synfire", "a": a, "sigma": sigma, "t_packet": p.t_packet}
    return c


def packet_stats(steps: np.ndarray, dt: Quantity, t_from: Quantity,
                 t_to: Quantity) -> tuple[int, Quantity]:
    """Number of spikes and their temporal spread within ``[t_from, t_to)`` (Brian2 times)."""
    n, sd = _packet_stats_ms(steps, float(dt / ms), float(t_from / ms), float(t_to / ms))
    return n, sd * ms


def _packet_stats_ms(steps, dt_ms: float, t_from: float, t_to: float) -> tuple[int, float]:
    # spike times and window bounds as numbers in ms: spikes fall on window bounds (multiples of
    # dt), and this arithmetic decides them as the published grid did
    t = np.asarray(steps) * dt_ms
    t = t[(t >= t_from) & (t < t_to)]
    return len(t), float(np.std(t)) if len(t) > 1 else 0.0


def _packet_result(sim, p: SynfireParams) -> dict:
    """Per group, the packet's spike count and spread, following the packet (see run_packet)."""
    dt, centre = float(p.dt / ms), float(p.t_packet / ms)
    counts, spreads = [], []
    for k in range(p.n_groups):
        steps, _ = sim.spikes(f"group{k}")
        n, sd = _packet_stats_ms(steps, dt, centre - 2.0, centre + 8.0)
        counts.append(n)
        spreads.append(sd)
        t = np.asarray(steps) * dt
        t = t[(t >= centre - 2.0) & (t < centre + 8.0)]
        centre = float(np.median(t)) + 1.0 if n >= 10 else centre + 5.0
    return {"counts": counts, "spreads": np.array(spreads) * ms,
            "propagates": counts[-1] >= 0.5 * p.group_size}


def _n_steps(p: SynfireParams) -> int:
    """Steps of a run: the packet, 8 ms per group and 20 ms more (rounded to whole steps)."""
    return int(round(float((p.t_packet + 8 * p.n_groups * ms + 20 * ms) / p.dt)))


def run_packet(a: int, sigma: Quantity, params: SynfireParams = SynfireParams(), seed: int = 0,
               backend: str = "brian2", **options) -> dict:
    """Run one packet; per group, the packet's spike count and spread.

    Spikes are counted in a 10 ms window that follows the packet from group to group (it advances
    with the measured arrival time of the volley); background spikes elsewhere are ignored.

    Parameters
    ----------
    a : int
        Spikes in the input packet.
    sigma : Quantity
        Its temporal jitter, a Brian2 time (e.g. ``1 * ms``; plain numbers are refused).
    params : SynfireParams
    seed : int
        Seed of the packet times and of the simulator (initial potentials, background noise).
    options
        Simulator options (e.g. ``codegen="numpy"``).

    Returns
    -------
    dict
        ``counts`` (list of int), ``spreads`` (Quantity array of times, one per group) and
        ``propagates`` (at least half a group's size reaches the last group).
    """
    from pulsegated.backends import simulator

    p = params
    circuit = synfire_circuit(a, sigma, p, rng=seed)
    sim = simulator(backend)(circuit, seed=seed, **options)
    sim.run_steps(_n_steps(p))
    return _packet_result(sim, p)


def propagation_grid(packet_sizes=(35, 50, 65, 80, 100), sigmas=(0, 1, 2, 3) * ms, seed=0,
                     params: SynfireParams = SynfireParams(), backend: str = "brian2",
                     **options) -> dict:
    """Which (a, sigma) packets reach the last group: ``{(a, sigma in ms): result}``.

    Every point runs with the same ``seed`` (the same background noise and initial potentials,
    packet times drawn as in :func:`run_packet`).  With the ``brian2`` backend the network is
    built once, with a packet source of ``max(packet_sizes)`` neurons, and its initial state is
    stored (:meth:`brian2.Network.store`); each point restores it, random state included, and
    sets its packet (:meth:`brian2.SpikeGeneratorGroup.set_spikes`): the same numbers as
    :func:`run_packet` per point.

    Parameters
    ----------
    packet_sizes : sequence of int
    sigmas : Quantity array or sequence of Quantities
        Packet jitters, Brian2 times (plain numbers are refused).
    seed : int
    params : SynfireParams
    backend : str
    options
        Simulator options (e.g. ``codegen="numpy"``).

    Returns
    -------
    dict
        ``{(a, s): result}`` with ``s`` the jitter as a plain number in ms (Quantities do not
        hash) and ``result`` as returned by :func:`run_packet`.
    """
    from pulsegated.backends import simulator

    sigmas = [check_quantity(s, "time", "sigmas", non_negative=True) for s in sigmas]
    p = params
    if backend != "brian2":
        return {(a, float(s / ms)): run_packet(a, s, p, seed, backend, **options)
                for a in packet_sizes for s in sigmas}
    n_sources = max(packet_sizes)
    circuit = synfire_circuit(packet_sizes[0], sigmas[0], p, rng=seed, n_sources=n_sources)
    sim = simulator(backend)(circuit, seed=seed, **options)
    out = {}
    for a in packet_sizes:
        for s in sigmas:
            _check_packet(a, s)
            sim.reset(restore_random_state=True)
            sim.set_spike_train("packet", np.arange(a), _packet_steps(a, s, p, seed))
            sim.run_steps(_n_steps(p))
            out[(a, float(s / ms))] = _packet_result(sim, p)
    return out
