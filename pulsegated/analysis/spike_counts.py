"""The chip's operation counts of a run, from its spikes: energy and time for any backend.

:meth:`LoihiSimulator.operation_counts <pulsegated.backends.loihi.LoihiSimulator.operation_counts>`
counts operations inside the emulator.  Circuits the Loihi backend cannot run (the graded circuits
are made of continuous-time equation neurons) still have spikes, connections and learning windows:
:func:`operation_counts_from_spikes` derives the same counts from a run's spike trains and the
circuit description, so :func:`pulsegated.analysis.energy.estimate` prices them as if the same spike
traffic ran on Loihi.

What is counted (the emulator's definitions, see ``operation_counts``):

* ``synaptic_events``: every spike of a connection's pre neuron reaches all its synapses (fan-out
  ``n_post`` for all-to-all and one-to-all, 1 for one-to-one);
* ``compartment_updates``: neurons times steps;
* ``learning_updates`` and ``learning_coincidences``:

  - :class:`~pulsegated.circuit.SumOfProducts` (one-step epochs): in every step, the synapses whose
    pre or post neuron spiked (visited), and those whose pre and post both spiked (coincidences) --
    the emulator's counts exactly;
  - :class:`~pulsegated.circuit.GatedTraceHebbian`: every presynaptic spike that reaches its
    synapses inside an open learning window of the post population (a gate spike at step ``g``
    opens steps ``g .. g + window / dt``) changes all its synapses (``w += sign eta a_post`` for each), so
    each such spike counts ``n_post`` updates, all of them coincidences (the rule needs no post
    spike in the same step);

* ``active_updates``: neuron-steps in which the neuron spiked or received a synaptic event.  The
  emulator also counts steps in which a compartment's current still decays after an input, so for
  neurons with a synaptic time constant this is a lower bound of the emulator's figure (equal for
  memoryless compartments such as nBP's).

Spikes arrive ``1 + delay`` steps after they are emitted (the package's convention).
"""

from __future__ import annotations

import numpy as np

from pulsegated.circuit import GatedTraceHebbian, SumOfProducts
from pulsegated.errors import UsageError

__all__ = ["operation_counts_from_spikes"]


def _i64(x) -> np.int64:
    return np.int64(x)


def _source_spikes(src):
    if src.kind == "train":
        idx = np.asarray(src.indices if src.indices else [0] * len(src.steps), dtype=np.int64)
        return np.asarray(src.steps, dtype=np.int64), idx
    return None


def operation_counts_from_spikes(circuit, spikes: dict, steps: int, samples: int = 0) -> dict:
    """Operation counts of a run in the format of ``LoihiSimulator.operation_counts``.

    Parameters
    ----------
    circuit : Circuit
    spikes : dict
        ``{population or source: (steps, indices)}`` of the whole run: every population and every
        source that is not a spike train (trains are read from the description).  Spikes at or
        after ``steps`` are ignored.
    steps : int
        Steps run.
    samples : int
        Samples (learning cycles) run; the estimate divides by it (0: per run).

    Returns
    -------
    dict
        ``steps``, ``samples``, ``compartments``, ``spikes``, ``source_spikes``,
        ``synaptic_events``, ``compartment_updates``, ``active_updates``, ``learning_updates``,
        ``learning_coincidences`` (``np.int64``), ``populations`` and ``connections`` as in
        ``operation_counts`` (``sources`` with each source's spike count).

    Raises
    ------
    UsageError
        A population or source without spikes, or plasticity this module cannot count.
    """
    steps = int(steps)
    if steps < 0:
        raise UsageError(f"steps must be >= 0, got {steps}")
    trains = {}
    for name in list(circuit.populations) + list(circuit.sources):
        given = spikes.get(name)
        if given is None and name in circuit.sources:
            given = _source_spikes(circuit.sources[name])
        if given is None:
            raise UsageError(f"spikes of {name!r} are needed to count the operations (record it)")
        t, i = (np.asarray(a, dtype=np.int64) for a in given)
        keep = (t >= 0) & (t < steps)
        trains[name] = (t[keep], i[keep])
    sizes = {name: circuit.size_of(name) for name in trains}
    # per-step spike counts, and per-(step, neuron) activity of every population
    per_step = {name: np.bincount(t, minlength=steps) for name, (t, _) in trains.items()}
    active = {}
    for name in circuit.populations:
        a = np.zeros((steps, sizes[name]), dtype=bool)
        t, i = trains[name]
        a[t, i] = True
        active[name] = a
    gates = {}  # post -> boolean (steps,) learning window open

    conns, pops = {}, {}
    for cname, c in circuit.connections.items():
        n_pre, n_post = sizes[c.pre], sizes[c.post]
        t, i = trains[c.pre]
        fan_out = 1 if c.pattern == "one_to_one" else n_post
        arrive = t + 1 + int(c.delay)
        ok = arrive < steps
        if c.pattern == "one_to_one":
            active[c.post][arrive[ok], i[ok]] = True
        else:
            active[c.post][np.unique(arrive[ok]), :] = True
        visited = coincid = 0
        rule = c.plasticity
        if isinstance(rule, SumOfProducts):
            if c.pattern != "all_to_all":
                raise UsageError(f"connection {cname!r}: counting learning needs all_to_all")
            a, b = per_step[c.pre], per_step[c.post]
            visited = int(np.sum(a * n_post + b * n_pre - a * b))
            coincid = int(np.sum(a * b))
        elif isinstance(rule, GatedTraceHebbian):
            if c.post not in gates:
                gates[c.post] = _windows(circuit, rule, trains, steps)
            when = t + int(c.delay)  # the rule runs when the spike reaches the synapse
            inside = np.zeros(len(t), dtype=bool)
            inside[when < steps] = gates[c.post][when[when < steps]]
            visited = coincid = int(inside.sum()) * n_post
        elif rule is not None:
            raise UsageError(f"connection {cname!r}: cannot count the learning updates of "
                             f"{type(rule).__name__} plasticity from spikes")
        conns[cname] = {"synapses": _i64(n_pre * n_post if c.pattern == "all_to_all"
                                         else n_post),
                        "pre_spikes": _i64(len(t)), "synaptic_events": _i64(len(t) * fan_out),
                        "learning_updates": _i64(visited), "learning_coincidences": _i64(coincid)}
    for name, pop in circuit.populations.items():
        into = [conns[k] for k, c in circuit.connections.items() if c.post == name]
        pops[name] = {
            "size": _i64(pop.size), "spikes": _i64(len(trains[name][0])),
            "compartment_updates": _i64(pop.size * steps),
            "active_updates": _i64(active[name].sum()),
            "synaptic_events_in": _i64(sum(int(x["synaptic_events"]) for x in into)),
            "learning_updates_in": _i64(sum(int(x["learning_updates"]) for x in into)),
            "learning_coincidences_in": _i64(sum(int(x["learning_coincidences"]) for x in into))}
    srcs = {name: {"spikes": _i64(len(trains[name][0]))} for name in circuit.sources}
    total = {k: _i64(sum(int(p[k]) for p in pops.values()))
             for k in ("compartment_updates", "active_updates")}
    return {"steps": _i64(steps), "samples": _i64(samples),
            "compartments": _i64(sum(p.size for p in circuit.populations.values())),
            "spikes": _i64(sum(int(p["spikes"]) for p in pops.values())),
            "source_spikes": _i64(sum(int(s["spikes"]) for s in srcs.values())),
            "synaptic_events": _i64(sum(int(c["synaptic_events"]) for c in conns.values())),
            "learning_updates": _i64(sum(int(c["learning_updates"]) for c in conns.values())),
            "learning_coincidences": _i64(sum(int(c["learning_coincidences"])
                                              for c in conns.values())),
            **total, "populations": pops, "sources": srcs, "connections": conns}


def _windows(circuit, rule, trains, steps) -> np.ndarray:
    """Steps at which a GatedTraceHebbian window of the post population is open: a gate spike
    at step ``g`` opens steps ``g .. g + window / dt`` (as the Brian2 backend applies the rule:
    the gate's synapses run before the plastic ones in the step)."""
    dt = circuit.dt
    if dt is None:
        raise UsageError("counting GatedTraceHebbian windows needs a circuit with dt")
    width = int(np.floor(float(rule.window / dt) + 1e-9))
    open_ = np.zeros(steps, dtype=bool)
    for gate in rule.gates:
        for g in np.unique(trains[gate][0]):
            open_[g:min(steps, g + 1 + width)] = True
    return open_
