"""One sample of an :class:`~pulsegated.erbp.network.ERBPNetwork`, recorded in full.

Training and testing record nothing but spike counts.  :func:`record_sample` is the opt-in
diagnostic: it adds spike monitors on every population and a state monitor of ``v``, ``I`` and
``U`` of a few hidden / prediction neurons to the network, presents one sample (training or test,
exactly as :meth:`~pulsegated.erbp.network.ERBPNetwork.run_samples` does), and removes the monitors
again, so the network trains on as before (no monitor stays in it; the monitors' code is compiled
only when this function is used).

A training sample learns as any other: the weights move.  Pass ``keep_weights=True`` to put the
weights back afterwards.

Example
-------
::

    rec = record_sample(net, X[0], label=y[0], train=True)
    rec.spikes["hidden"]          # (times in s from the sample start, neuron index in the layer)
    rec.state["U"][k]             # dendrite of rec.neurons[k] (volt, model units), one per step
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pulsegated.errors import UsageError

__all__ = ["SampleRecord", "record_sample", "RASTER_POPULATIONS", "pick_neuron"]

#: populations of a recorded sample, from the input to the error neurons
RASTER_POPULATIONS = ("data", "label", "hidden", "prediction", "error+", "error-")


@dataclass
class SampleRecord:
    """Everything one recorded sample produced.

    Attributes
    ----------
    spikes : dict of str -> (float array, int array)
        Per population (keys :data:`RASTER_POPULATIONS`; ``"hidden"`` is the first hidden layer,
        further layers are ``"hidden2"``, ...): spike times in seconds from the sample start and
        the neuron's index within the population.
    sizes : dict of str -> int
        Neurons per population.
    neurons : list of (str, int)
        The neurons whose state is recorded: ``(population, index within it)``.
    t : float array (steps,)
        Times of the state samples (s from the sample start; one per step, read before the
        spikes of the step are delivered: the values the learning rule reads).
    state : dict of str -> float array (len(neurons), steps)
        ``"v"``, ``"I"``, ``"U"`` in volt (the model's unit).
    box : (float, float)
        The boxcar ``(b_min, b_max)`` of ``I`` in which the rule learns.
    learn_off : float
        Seconds at the start of the sample without learning.
    label : int or None
        The sample's class (drives the label neuron when ``train``).
    train : bool
    counts : int array (n_classes,)
        Spikes of each prediction neuron (the readout).
    dt : float
        The step (s).
    duration : float
        The sample's duration (s).
    """

    spikes: dict
    sizes: dict
    neurons: list
    t: np.ndarray
    state: dict
    box: tuple
    learn_off: float
    label: int | None
    train: bool
    counts: np.ndarray
    dt: float
    duration: float
    info: dict = field(default_factory=dict)

    def n_spikes(self, populations=None) -> int:
        """Spikes recorded in ``populations`` (default: all)."""
        pops = self.spikes if populations is None else populations
        return int(sum(len(self.spikes[p][0]) for p in pops))

    def learning_on(self, k: int = 0) -> np.ndarray:
        """Boolean per step: the rule is on for recorded neuron ``k`` (after ``learn_off``, ``I``
        inside the boxcar, a training sample)."""
        I = self.state["I"][k]
        lo, hi = self.box
        on = (self.t >= self.learn_off - 1e-12) & (I > lo) & (I < hi)
        return on & bool(self.train)


def _populations(net) -> list:
    """``(name, group, start, stop)`` of every population of ``net``."""
    nc = net.n_classes
    pops = [("data", net.inputs, 0, net.n_in), ("label", net.inputs, net.n_in, net.n_in + nc)]
    for layer in range(len(net.hidden)):
        name = "hidden" if layer == 0 else f"hidden{layer + 1}"
        pops.append((name, net.units, int(net.offsets[layer]), int(net.offsets[layer + 1])))
    pops += [("prediction", net.units, net.pred_slice.start, net.pred_slice.stop),
             ("error+", net.errors, 0, nc), ("error-", net.errors, nc, 2 * nc)]
    return pops


def record_sample(net, x, label: int | None = None, train: bool = True, neurons=None,
                  keep_weights: bool = False) -> SampleRecord:
    """Present one sample to ``net`` and record every spike and the state of a few neurons.

    Parameters
    ----------
    net : ERBPNetwork
    x : float array (n_in,)
        Intensities in [0, 1] (``uint8`` images are divided by 255).
    label : int, optional
        The sample's class; needed when ``train``.
    train : bool
        A training sample (label neuron on, learning and the error pathway on) or a test sample.
    neurons : list of (str, int), optional
        Neurons whose ``v``, ``I``, ``U`` are recorded, as ``(population, index)`` with population
        ``"hidden"`` (``"hidden2"``, ...) or ``"prediction"``.  Default: every hidden neuron of
        the first layer and every prediction neuron.
    keep_weights : bool
        Restore the weights the network had before the sample.

    Returns
    -------
    SampleRecord
    """
    import brian2 as b2

    p = net.params
    if getattr(net, "device", "runtime") != "runtime":
        raise UsageError(f"record_sample needs a network of the runtime device (monitors are "
                         f"added and removed), got device={net.device!r}")
    x = np.asarray(x)
    if x.ndim != 1 or x.shape[0] != net.n_in:
        raise UsageError(f"x must be one sample of {net.n_in} intensities, got shape {x.shape}")
    pops = _populations(net)
    unit_pops = {name: start for name, group, start, _ in pops if group is net.units}
    sizes = {name: stop - start for name, _, start, stop in pops}
    if neurons is None:
        first = "hidden" if net.hidden else "prediction"
        neurons = [(first, k) for k in range(sizes[first])]
        if first != "prediction":
            neurons += [("prediction", k) for k in range(net.n_classes)]
    neurons = [(str(pop), int(k)) for pop, k in neurons]
    for pop, k in neurons:
        if pop not in unit_pops or not 0 <= k < sizes[pop]:
            raise UsageError(f"no neuron {k} in population {pop!r} (hidden or prediction "
                             f"neurons only: {', '.join(unit_pops)})")
    index = np.array([unit_pops[pop] + k for pop, k in neurons], dtype=np.int64)
    before = net.weights() if keep_weights else None

    monitors = {}
    cls = net.units.codeobj_class
    for group, tag in ((net.inputs, "input"), (net.units, "units"), (net.errors, "error")):
        monitors[tag] = b2.SpikeMonitor(group, codeobj_class=cls, name=f"{net.name}_diag_{tag}")
    monitors["state"] = b2.StateMonitor(net.units, ["v", "I", "U"], record=index, clock=net.clock,
                                        when="before_synapses", codeobj_class=cls,
                                        name=f"{net.name}_diag_state")
    t_start = float(net.net.t_)
    for m in monitors.values():
        net.net.add(m)
    try:
        res = net.run_samples(x[None, :], None if label is None else [int(label)], train=train)
        spikes = {}
        for name, group, start, stop in pops:
            mon = monitors[{id(net.inputs): "input", id(net.units): "units",
                            id(net.errors): "error"}[id(group)]]
            i = np.asarray(mon.i[:]).astype(np.int64)
            t = np.asarray(mon.t_[:]) - t_start
            sel = (i >= start) & (i < stop)
            spikes[name] = (t[sel], i[sel] - start)
        st = monitors["state"]
        state = {k: np.asarray(getattr(st, k + "_")).copy() for k in ("v", "I", "U")}
        t_state = np.asarray(st.t_[:]) - t_start
    finally:
        for m in monitors.values():
            net.net.remove(m)
    if before is not None:
        net.set_weights(before)
    return SampleRecord(spikes=spikes, sizes=sizes, neurons=neurons, t=t_state, state=state,
                        box=p.box, learn_off=p.learn_off,
                        label=None if label is None else int(label), train=bool(train),
                        counts=np.asarray(res.counts[0]), dt=p.dt, duration=p.sample_duration,
                        info={"spike_totals": dict(res.spikes)})


def pick_neuron(rec: SampleRecord, population: str = "hidden") -> int:
    """Position in ``rec.neurons`` of the neuron of ``population`` that shows the rule best.

    The score is the error the dendrite carries while learning is on (the summed ``|U|`` over the
    steps with ``I`` inside the boxcar after ``learn_off``) times ``0.1 +`` the fraction of those
    steps with ``I`` outside the boxcar (so that the gate is seen to open and close).
    """
    best, score = None, -np.inf
    for k, (pop, _) in enumerate(rec.neurons):
        if pop != population:
            continue
        on = rec.learning_on(k) if rec.train else (rec.t >= rec.learn_off)
        s = float(np.abs(rec.state["U"][k])[on].sum())
        lo, hi = rec.box
        I = rec.state["I"][k]
        late = rec.t >= rec.learn_off - 1e-12
        s *= 0.1 + float(((I[late] <= lo) | (I[late] >= hi)).mean())
        if s > score:
            best, score = k, s
    if best is None:
        raise UsageError(f"no recorded neuron of population {population!r}")
    return best
