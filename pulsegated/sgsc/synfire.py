"""The classic synfire chain of Diesmann, Gewaltig & Aertsen (1999), as a circuit description.

Ten groups of 100 integrate-and-fire neurons with alpha-shaped synaptic currents and background noise
(the parameters of Brian2's own reproduction of the model), each group connected all-to-all to the
next.  A packet of ``a`` spikes with temporal jitter ``sigma`` is fed into the first group; depending
on ``(a, sigma)`` it either converges to a synchronous volley that propagates to the last group, or
dies out.  This is the gating chain's classic baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pulsegated.circuit.description import Circuit, EquationNeuron

__all__ = ["SynfireParams", "synfire_circuit", "run_packet", "propagation_grid"]

EQUATIONS = """
dV/dt = (-(V - Vr) + x) / taum : volt
dx/dt = (-x + y) / taupsp : volt
dy/dt = -y / taupsp + drift + noise * xi : volt
"""


@dataclass
class SynfireParams:
    """Model constants (Diesmann et al. 1999 / Brian2's synfire example); times in ms, volts in mV."""

    n_groups: int = 10
    group_size: int = 100
    taum: float = 10.0
    taupsp: float = 0.325
    Vr: float = -70.0
    Vt: float = -55.0
    weight: float = 4.86          # mV, per synapse
    drift: float = 25.27          # mV/ms, background
    noise: float = 39.24          # mV/ms**0.5, background
    refractory: float = 1.0       # ms
    dt: float = 0.1               # ms
    t_packet: float = 50.0        # ms, packet centre (after the initial transient)


def synfire_circuit(a: int, sigma: float, params: SynfireParams = SynfireParams(),
                    rng=None) -> Circuit:
    """The chain with an input packet of ``a`` spikes of jitter ``sigma`` (ms) into group 0."""
    import brian2 as b2  # units only

    if a < 1 or sigma < 0:
        raise ValueError(f"a packet needs a >= 1 spikes and sigma >= 0, got a={a}, sigma={sigma}")
    p = params
    rng = np.random.default_rng(rng)
    ms, mV = b2.ms, b2.mV
    model = EquationNeuron(
        equations=EQUATIONS, threshold="V > Vt", reset="V = Vr", refractory=p.refractory * ms,
        input_var="y", method="euler",
        namespace={"Vr": p.Vr * mV, "Vt": p.Vt * mV, "taum": p.taum * ms,
                   "taupsp": p.taupsp * ms, "drift": p.drift * mV / ms,
                   "noise": p.noise * mV / ms ** 0.5},
        initial={"V": "Vr + rand() * (Vt - Vr)", "x": 0 * mV, "y": 0 * mV})
    c = Circuit("synfire", dt=p.dt * ms)
    for k in range(p.n_groups):
        c.add_population(f"group{k}", p.group_size, model, role="chain")
    times = p.t_packet + sigma * rng.standard_normal(a)
    steps = np.clip(np.rint(times / p.dt).astype(int), 0, None)
    c.add_source("packet", a, steps=tuple(int(s) for s in steps), indices=tuple(range(a)))
    w = p.weight * 1e-3  # volt, SI base unit of y
    c.connect("packet", "group0", "all_to_all", w)
    for k in range(p.n_groups - 1):
        c.connect(f"group{k}", f"group{k + 1}", "all_to_all", w)
    c.meta = {"algorithm": "synfire", "a": a, "sigma": sigma, "t_packet": p.t_packet}
    return c


def packet_stats(steps: np.ndarray, dt: float, t_from: float, t_to: float) -> tuple[int, float]:
    """Number of spikes and their temporal spread (ms) within ``[t_from, t_to)`` ms."""
    t = np.asarray(steps) * dt
    t = t[(t >= t_from) & (t < t_to)]
    return len(t), float(np.std(t)) if len(t) > 1 else 0.0


def run_packet(a: int, sigma: float, params: SynfireParams = SynfireParams(), seed: int = 0,
               backend: str = "brian2", **options) -> dict:
    """Run one packet; per group, the packet's spike count and spread (ms).

    Spikes are counted in a 10 ms window that follows the packet from group to group (it advances
    with the measured arrival time of the volley); background spikes elsewhere are ignored.
    """
    from pulsegated.backends import simulator

    p = params
    circuit = synfire_circuit(a, sigma, p, rng=seed)
    sim = simulator(backend)(circuit, seed=seed, **options)
    sim.run_steps(int((p.t_packet + 8 * p.n_groups + 20) / p.dt))
    counts, spreads, centre = [], [], p.t_packet
    for k in range(p.n_groups):
        steps, _ = sim.spikes(f"group{k}")
        n, sd = packet_stats(steps, p.dt, centre - 2.0, centre + 8.0)
        counts.append(n)
        spreads.append(sd)
        t = np.asarray(steps) * p.dt
        t = t[(t >= centre - 2.0) & (t < centre + 8.0)]
        centre = float(np.median(t)) + 1.0 if n >= 10 else centre + 5.0
    return {"counts": counts, "spreads": spreads,
            "propagates": counts[-1] >= 0.5 * p.group_size}


def propagation_grid(packet_sizes=(35, 50, 65, 80, 100), sigmas=(0.0, 1.0, 2.0, 3.0), seed=0,
                     **options) -> dict:
    """Which (a, sigma) packets reach the last group: ``{(a, sigma): result}``."""
    return {(a, s): run_packet(a, s, seed=seed, **options) for a in packet_sizes for s in sigmas}
