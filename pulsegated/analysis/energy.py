"""Energy and time of a run on the Loihi chip, from the operations the emulator counted.

:meth:`~pulsegated.backends.loihi.LoihiSimulator.operation_counts` counts, for any circuit, the spikes, synaptic events, learning updates and compartment updates of
a run.  :func:`estimate` prices them with Loihi's published per-operation costs
(:class:`LoihiCosts`), adds the chip's static power over the modelled run time, and divides by the
samples run.  :func:`layout` places the circuit on cores, which sets the number of cores, the spike
messages between them and the load of the busiest core.

Published values
----------------
Per-operation energies and times: M. Davies et al., "Loihi: A Neuromorphic Manycore Processor
with On-Chip Learning", IEEE Micro 38(1):82-99, 2018, **Table 2** ("Loihi pre-silicon performance
and energy measurements", values at 0.75 V; the text calls them "energy and performance
measurements from pre-silicon SDF and SPICE simulations, consistent with early post-silicon
characterization"):

============================================  ===============  ==========================
Table 2 row                                   value            :class:`LoihiCosts` field
============================================  ===============  ==========================
Energy per synaptic spike op (min)            23.6 pJ          ``synaptic_op_energy``
Time per synaptic spike op (max)              3.5 ns           ``synaptic_op_time``
Energy per synaptic update (pairwise STDP)    120 pJ           ``learning_update_energy``
Time per synaptic update (pairwise STDP)      6.1 ns           ``learning_update_time``
Energy per neuron update (active / inactive)  81 pJ / 52 pJ    ``neuron_update_energy_*``
Time per neuron update (active / inactive)    8.4 ns / 5.3 ns  ``neuron_update_time_*``
Within-tile spike energy                      1.7 pJ           ``spike_energy``
Within-tile spike latency                     2.1 ns           ``spike_time``
Energy per tile hop (E-W / N-S)               3.0 pJ / 4.0 pJ  ``hop_energy_ew``, ``_ns``
Latency per tile hop (E-W / N-S)              4.1 ns / 6.5 ns  ``hop_time_ew``, ``_ns``
Mesh-wide barrier sync time (1-32 tiles)      113-465 ns       ``barrier_time_*``
============================================  ===============  ==========================

The paper was not at hand; the values are those of two independent public transcriptions of
Table 2 that agree with each other wherever both give a row (the technology file of the SANA-FE
simulator, and a sourced note quoting the rows verbatim); the synaptic-update row (120 pJ, 6.1 ns)
was found in the second only.  "(min)" and "(max)" are the paper's: the synaptic energy is a
lower bound, the synaptic time an upper bound.

Static power is **not in Table 2**.  ``static_power`` defaults to 104 mW per chip: E. P. Frady et
al., "Neuromorphic Nearest-Neighbor Search Using Intel's Pohoiki Springs", NICE 2020
(arXiv:2004.12691), Table 1, measured static power of 3.34 W on a board of 32 Loihi chips, divided
by 32.  That figure too comes from a transcription (not read in the original), it is a measurement
at an unstated supply voltage (Table 2's are at 0.75 V), and it is the whole chip's leakage: set
``static_power=0`` to see the dynamic part alone.

Geometry from the same paper: 128 neuromorphic cores per chip, 1024 compartments per core, at most
128 KB of synaptic state per core; four cores per tile (32 tiles per chip, as the barrier row's
"1-32 tiles" implies).

The model
---------
Energy of a run::

    E = synaptic_events * synaptic_op_energy
      + learning_updates * learning_update_energy
      + active_updates * E_active + (compartment_updates - active_updates) * E_inactive
      + spike_messages * spike_energy + hops_ew * hop_energy_ew + hops_ns * hop_energy_ns
      + static_power * chips * T

What counts as each operation is defined in ``operation_counts`` (a synaptic event is one
synapse reached by one spike; a learning update is one synapse visited by the learning engine at
an epoch end, i.e. whose pre or post neuron spiked in the epoch; an active compartment update is one
in which the compartment spiked or carried synaptic current).  Every learning update is priced as
Table 2's pairwise-STDP synaptic update, whatever the rule.  Which synapses a learning engine
evaluates is not published; ``learning="coincident"`` prices only the synapses whose pre and post
both spiked in the epoch, the least any engine must evaluate for a rule whose every term carries
``x0 y0`` (nBP's), instead of every synapse of an active neuron.

Time: Loihi's time step is barrier-synchronised, so a step lasts as long as its busiest core, plus
the barrier.  A core's work is the sum of the times of its operations (synaptic events, learning
updates and compartment updates of the compartments it holds; spike routing is assumed overlapped
with it).  The model takes the busiest core over the whole run::

    T = max over cores of (core's work in the run) + steps * barrier(tiles)

which equals the barrier-synchronised time when the same core is the busiest in every step, and is
a lower bound otherwise.  Within a population the work is spread evenly over the population's
cores.  Without a layout (``n_cores`` given) the work of the whole circuit is spread evenly over
``n_cores`` cores.  The barrier time is interpolated linearly in the number of tiles between
Table 2's 113 ns (1 tile) and 465 ns (32 tiles).  Host input/output, the embedded x86 cores and
the time to inject external spikes are not modelled.

Against the chip
----------------
For nBP (``pulsegated energy``) the model falls short of the figures Renner et al. measured on the
chip in training and is of the same order in inference.  Why the two differ: Table 2's costs are
pre-silicon simulations at 0.75 V, the synaptic energy a minimum; learning, which dominates the
training estimate, is priced at the pairwise-STDP update, while nBP's rule has two product terms
over eight plastic matrices and the synapses the chip's engine visits are not published
(coincidences only cut the estimate several-fold, every plastic synapse at every one-step epoch
would exceed the measurement); the modelled time is a lower bound (busiest core over the run, not
per step; no host or embedded-x86 work, no spike injection); the layout is this model's, not the
chip compiler's; and whether the measured energies include static power is not stated (the
inference figure, 2.5 uJ in 0.169 ms, averages 15 mW, below one chip's static power estimate, so
it cannot hold the whole chip's leakage).

Layout (:func:`layout`): populations are placed in circuit order, next-fit, on cores holding at
most 1024 compartments and ``core_synapse_bits`` bits of synapses, each synapse taking
``synapse_bits`` (16 by default: an 8-bit weight plus delay and format bits; an assumption of this
model, the chip's formats vary).  A population too large for one core is split evenly over as many
cores as it needs.  A spike is one message per destination core (all cores of the post population
for all-to-all and one-to-all connections, one core for one-to-one), in its own tile when the cores
share a tile, else over tile hops on a mesh ``mesh_width`` tiles wide (8 by default, an assumption:
the paper does not give the tile arrangement).  External spikes are counted as one within-tile
message per source spike and connection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["LoihiCosts", "Layout", "layout", "estimate", "CHIP_FIGURES", "LEARNING_COUNTS"]

#: nBP measured on Loihi (Renner et al.): per training sample 0.592 mJ and 1.48 ms (arXiv
#: 2106.07030, 2021; 0.59 mJ and 1.5 ms in Nat. Commun. 15, 9691, 2024, Table 1), per inference
#: sample 0.0025 mJ and 0.169 ms (0.17 ms in the journal's Table 1).  Energies in J, times in s.
CHIP_FIGURES = {"train": {"energy_j": 0.592e-3, "time_s": 1.48e-3},
                "infer": {"energy_j": 0.0025e-3, "time_s": 0.169e-3}}


@dataclass(frozen=True)
class LoihiCosts:
    """Loihi's cost of each operation (Davies et al. 2018, Table 2; see the module docstring).

    Energies in joules, times in seconds, power in watts.

    Attributes
    ----------
    synaptic_op_energy, synaptic_op_time : float
        One synaptic event (a spike reaching one synapse): 23.6 pJ (min), 3.5 ns (max).
    learning_update_energy, learning_update_time : float
        One synaptic update of the learning engine (Table 2: pairwise STDP): 120 pJ, 6.1 ns.
    neuron_update_energy_active, neuron_update_energy_inactive : float
        One compartment update, active / inactive: 81 pJ / 52 pJ.
    neuron_update_time_active, neuron_update_time_inactive : float
        8.4 ns / 5.3 ns.
    spike_energy, spike_time : float
        One spike message within a tile: 1.7 pJ, 2.1 ns.
    hop_energy_ew, hop_energy_ns, hop_time_ew, hop_time_ns : float
        Per tile hop east-west / north-south: 3.0 pJ / 4.0 pJ, 4.1 ns / 6.5 ns.
    barrier_time_1_tile, barrier_time_32_tiles : float
        Mesh-wide barrier synchronisation over 1 and 32 tiles: 113 ns, 465 ns.
    static_power : float
        Static (leakage) power of one chip, W: 0.104 (Frady et al. 2020, not Table 2; see the
        module docstring).  0 leaves it out.
    cores_per_chip, cores_per_tile, compartments_per_core : int
        128, 4, 1024.
    core_synapse_bits : int
        Synaptic memory of a core: 128 KB = 1 048 576 bits.
    synapse_bits : int
        Bits one synapse takes in the layout model (16; an assumption, not a published value).
    mesh_width : int
        Tiles per mesh row in the layout model (8; an assumption).
    """

    synaptic_op_energy: float = 23.6e-12
    synaptic_op_time: float = 3.5e-9
    learning_update_energy: float = 120e-12
    learning_update_time: float = 6.1e-9
    neuron_update_energy_active: float = 81e-12
    neuron_update_energy_inactive: float = 52e-12
    neuron_update_time_active: float = 8.4e-9
    neuron_update_time_inactive: float = 5.3e-9
    spike_energy: float = 1.7e-12
    spike_time: float = 2.1e-9
    hop_energy_ew: float = 3.0e-12
    hop_energy_ns: float = 4.0e-12
    hop_time_ew: float = 4.1e-9
    hop_time_ns: float = 6.5e-9
    barrier_time_1_tile: float = 113e-9
    barrier_time_32_tiles: float = 465e-9
    static_power: float = 0.104
    cores_per_chip: int = 128
    cores_per_tile: int = 4
    compartments_per_core: int = 1024
    core_synapse_bits: int = 128 * 1024 * 8
    synapse_bits: int = 16
    mesh_width: int = 8

    def barrier_time(self, tiles: int) -> float:
        """Barrier synchronisation time (s) over ``tiles`` tiles: Table 2's 113 ns at 1 tile and
        465 ns at 32, linear in between (and 465 ns beyond, across chips not modelled)."""
        k = min(max(int(tiles), 1), 32)
        return self.barrier_time_1_tile + (k - 1) / 31 * (self.barrier_time_32_tiles
                                                          - self.barrier_time_1_tile)


@dataclass
class Layout:
    """Where a circuit's populations sit on the chip (see :func:`layout`).

    Attributes
    ----------
    parts : dict
        ``{population: [(core, compartments), ...]}``.
    n_cores : int
        Cores used.
    messages : dict
        ``{connection: (messages, hops_ew, hops_ns)}`` per spike of the connection's pre side:
        destination cores reached, and tile hops summed over those messages (averaged over the
        pre population's neurons).
    cores_per_tile : int
    """

    parts: dict
    n_cores: int
    messages: dict = field(default_factory=dict)
    cores_per_tile: int = 4

    @property
    def n_tiles(self) -> int:
        """Tiles holding at least one used core."""
        return len({core // self.cores_per_tile for p in self.parts.values() for core, _ in p})


def _fan_in_synapses(circuit) -> dict:
    """Synapses onto each population (its synaptic memory)."""
    out = {name: 0 for name in circuit.populations}
    for c in circuit.connections.values():
        n_pre, n_post = circuit.size_of(c.pre), circuit.size_of(c.post)
        out[c.post] += n_pre * n_post if c.pattern == "all_to_all" else n_post
    return out


def layout(circuit, costs: LoihiCosts = LoihiCosts()) -> Layout:
    """Place a circuit's populations on cores (the model's placement, not the chip compiler's).

    Populations are taken in circuit order and placed next-fit: one that fits the space left on
    the last core (compartments and synapse bits) goes there, else it takes as many new cores as
    it needs, its compartments split evenly.  A spike of a connection is one message per
    destination core; its tile hops are counted on a mesh ``costs.mesh_width`` tiles wide.

    Parameters
    ----------
    circuit : Circuit
    costs : LoihiCosts
        Core capacity, synapse size, cores per tile, mesh width.

    Returns
    -------
    Layout
    """
    C = costs.compartments_per_core
    B = costs.core_synapse_bits
    fan_in = _fan_in_synapses(circuit)
    parts, used = {}, []  # used: [compartments, bits] per core
    for name, pop in circuit.populations.items():
        size, bits = pop.size, fan_in[name] * costs.synapse_bits
        need = max(1, math.ceil(size / C), math.ceil(bits / B))
        need = min(need, size)
        if need == 1 and used and used[-1][0] + size <= C and used[-1][1] + bits <= B:
            used[-1][0] += size
            used[-1][1] += bits
            parts[name] = [(len(used) - 1, size)]
            continue
        sizes = [size // need + (k < size % need) for k in range(need)]
        parts[name] = []
        for s in sizes:
            used.append([s, bits * s // size])
            parts[name].append((len(used) - 1, s))
    out = Layout(parts=parts, n_cores=len(used), cores_per_tile=costs.cores_per_tile)
    core_of = {name: np.repeat([core for core, _ in plist], [n for _, n in plist])
               for name, plist in parts.items()}
    for cname, c in circuit.connections.items():
        dest = np.array([core for core, _ in parts[c.post]])
        if c.pre not in parts:  # an external source: within-tile messages, no hops
            out.messages[cname] = (1.0 if c.pattern == "one_to_one" else float(len(dest)),
                                   0.0, 0.0)
            continue
        src = core_of[c.pre]
        if c.pattern == "one_to_one":  # neuron i to neuron i: one message
            ew, ns = _hops(src, core_of[c.post], costs)
            out.messages[cname] = (1.0, float(ew.mean()), float(ns.mean()))
        else:  # every destination core of the post population
            ew, ns = _hops(src[:, None], dest[None, :], costs)
            out.messages[cname] = (float(len(dest)), float(ew.sum(axis=1).mean()),
                                   float(ns.sum(axis=1).mean()))
    return out


def _hops(core_a, core_b, costs: LoihiCosts) -> tuple:
    """(east-west, north-south) tile hops between cores (int arrays) on the model's mesh."""
    ta, tb = core_a // costs.cores_per_tile, core_b // costs.cores_per_tile
    w = costs.mesh_width
    return abs(ta % w - tb % w), abs(ta // w - tb // w)


#: estimate(learning=...) -> the count priced as learning updates
LEARNING_COUNTS = {"visited": "learning_updates", "coincident": "learning_coincidences"}


def _core_work(counts: dict, costs: LoihiCosts, learning: str = "visited") -> dict:
    """Time (s) each population's operations take on a core, for the whole run."""
    out = {}
    key = LEARNING_COUNTS[learning] + "_in"
    for name, p in counts["populations"].items():
        active = int(p["active_updates"])
        inactive = int(p["compartment_updates"]) - active
        out[name] = (int(p["synaptic_events_in"]) * costs.synaptic_op_time
                     + int(p[key]) * costs.learning_update_time
                     + active * costs.neuron_update_time_active
                     + inactive * costs.neuron_update_time_inactive)
    return out


def estimate(counts: dict, costs: LoihiCosts = LoihiCosts(), n_cores: int | None = None,
             layout: Layout | None = None, learning: str = "visited") -> dict:
    """Energy (J) and time (s) per sample of a run, with the breakdown by operation.

    Parameters
    ----------
    counts : dict
        :meth:`LoihiSimulator.operation_counts
        <pulsegated.backends.loihi.LoihiSimulator.operation_counts>` of the run.
    costs : LoihiCosts
        Per-operation costs (default: the published ones).
    n_cores : int, optional
        Cores the circuit occupies, with the work spread evenly over them and one within-tile
        message per spike and connection (no layout).  Default 1 when ``layout`` is not given.
    layout : Layout, optional
        :func:`layout` of the circuit: sets the cores, the spike messages and tile hops, and the
        busiest core.  Give ``n_cores`` or ``layout``, not both.
    learning : {"visited", "coincident"}
        The learning updates priced: every synapse with an active pre or post neuron at an epoch
        end (``learning_updates``, default), or only those whose pre and post were both active
        (``learning_coincidences``: the least a learning engine must evaluate for a rule whose
        every term carries ``x0 y0``).

    Returns
    -------
    dict
        Per sample when the run used ``run_samples`` (``"per": "sample"``), else per run
        (``"per": "run"``):

        ``energy_j``, ``dynamic_energy_j``, ``static_energy_j``
            total = dynamic + static (J);
        ``energy_breakdown_j``
            ``{"synaptic_ops", "learning_updates", "neuron_updates", "spike_routing",
            "static"}`` (J);
        ``time_s``, ``time_breakdown_s``
            modelled time and its parts ``{"busiest_core", "barrier_sync"}`` (s);
        ``busiest_core_s``
            the busiest core's work by operation ``{"synaptic_ops", "learning_updates",
            "neuron_updates"}`` (s);
        ``operations``
            the priced counts (per sample or run): ``synaptic_events``, ``learning_updates``,
            ``active_updates``, ``inactive_updates``, ``spike_messages``, ``tile_hops_ew``,
            ``tile_hops_ns``, ``steps``;
        ``n_cores``, ``n_tiles``, ``n_chips``
            cores, tiles and chips the run occupies;
        ``samples``, ``per``, ``learning``
            the samples divided by, ``"sample"`` or ``"run"``, and the ``learning`` argument.

    Raises
    ------
    ValueError
        ``n_cores`` and ``layout`` both given, ``n_cores`` below 1, or an unknown ``learning``.
    """
    if learning not in LEARNING_COUNTS:
        raise ValueError(f"learning must be one of {', '.join(LEARNING_COUNTS)}, got {learning!r}")
    if n_cores is not None and layout is not None:
        raise ValueError("give n_cores or layout, not both")
    if layout is None:
        n_cores = 1 if n_cores is None else int(n_cores)
        if n_cores < 1:
            raise ValueError(f"n_cores must be at least 1, got {n_cores}")
        n_tiles = math.ceil(n_cores / costs.cores_per_tile)
    else:
        n_cores = layout.n_cores
        n_tiles = layout.n_tiles
    n_chips = math.ceil(n_cores / costs.cores_per_chip)
    samples = int(counts["samples"])
    div = samples if samples > 0 else 1
    steps = int(counts["steps"])

    # spike messages and hops
    messages = hops_ew = hops_ns = 0.0
    for name, c in counts["connections"].items():
        pre = int(c["pre_spikes"])
        if layout is None:
            messages += pre
        else:
            m, e, n = layout.messages[name]
            messages += pre * m
            hops_ew += pre * e
            hops_ns += pre * n

    syn = int(counts["synaptic_events"])
    lrn = int(counts[LEARNING_COUNTS[learning]])
    lrn_in = LEARNING_COUNTS[learning] + "_in"
    act = int(counts["active_updates"])
    inact = int(counts["compartment_updates"]) - act

    # time: the busiest core's work over the run, plus one barrier per step
    work = _core_work(counts, costs, learning)
    parts = {"synaptic_ops": costs.synaptic_op_time, "learning_updates": costs.learning_update_time}
    if layout is None:
        busiest = sum(work.values()) / n_cores
        share = {"synaptic_ops": syn * costs.synaptic_op_time / n_cores,
                 "learning_updates": lrn * costs.learning_update_time / n_cores,
                 "neuron_updates": (act * costs.neuron_update_time_active
                                    + inact * costs.neuron_update_time_inactive) / n_cores}
    else:
        core_work = np.zeros(layout.n_cores)
        for name, plist in layout.parts.items():
            size = sum(n for _, n in plist)
            for core, n in plist:
                core_work[core] += work[name] * n / size
        top = int(np.argmax(core_work)) if layout.n_cores else 0
        busiest = float(core_work[top]) if layout.n_cores else 0.0
        share = {k: 0.0 for k in ("synaptic_ops", "learning_updates", "neuron_updates")}
        for name, plist in layout.parts.items():
            p = counts["populations"][name]
            size = sum(n for _, n in plist)
            a = int(p["active_updates"])
            i = int(p["compartment_updates"]) - a
            for core, n in plist:
                if core != top:
                    continue
                f = n / size
                share["synaptic_ops"] += f * int(p["synaptic_events_in"]) * parts["synaptic_ops"]
                share["learning_updates"] += (f * int(p[lrn_in])
                                              * parts["learning_updates"])
                share["neuron_updates"] += f * (a * costs.neuron_update_time_active
                                                + i * costs.neuron_update_time_inactive)
    barrier = steps * costs.barrier_time(n_tiles)
    time_run = busiest + barrier

    energy = {
        "synaptic_ops": syn * costs.synaptic_op_energy,
        "learning_updates": lrn * costs.learning_update_energy,
        "neuron_updates": (act * costs.neuron_update_energy_active
                           + inact * costs.neuron_update_energy_inactive),
        "spike_routing": (messages * costs.spike_energy + hops_ew * costs.hop_energy_ew
                          + hops_ns * costs.hop_energy_ns),
        "static": costs.static_power * n_chips * time_run,
    }
    dynamic = sum(v for k, v in energy.items() if k != "static")
    return {
        "per": "sample" if samples > 0 else "run",
        "samples": samples,
        "energy_j": (dynamic + energy["static"]) / div,
        "dynamic_energy_j": dynamic / div,
        "static_energy_j": energy["static"] / div,
        "energy_breakdown_j": {k: v / div for k, v in energy.items()},
        "time_s": time_run / div,
        "time_breakdown_s": {"busiest_core": busiest / div, "barrier_sync": barrier / div},
        "busiest_core_s": {k: v / div for k, v in share.items()},
        "operations": {"synaptic_events": syn / div, "learning_updates": lrn / div,
                       "active_updates": act / div, "inactive_updates": inact / div,
                       "spike_messages": messages / div, "tile_hops_ew": hops_ew / div,
                       "tile_hops_ns": hops_ns / div, "steps": steps / div},
        "n_cores": n_cores, "n_tiles": n_tiles, "n_chips": n_chips, "learning": learning,
    }

