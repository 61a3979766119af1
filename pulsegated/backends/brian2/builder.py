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
* The pulse-gated Hebbian rule (:class:`~pulsegated.circuit.GatedTraceHebbian`) adds to its
  postsynaptic (equation-neuron) group a spike trace ``a_hebb`` (``da/dt = -a / tau``, ``+1 / tau``
  at each reset; with a population or teacher trace, ``+1 / (tau N)`` in every neuron at each
  spike of the population or of a teacher, through synapses ``hebbtrace_<src>__<post>``) and the learning-window state ``hebb_sign`` / ``hebb_until``, written by synapses
  from the learning gates (a gate spike at ``t`` opens ``[t, t + window]``).  Each presynaptic
  spike changes its weight by ``hebb_sign * eta * a_hebb_post`` inside an open window, *then* is
  delivered with the new weight.
* An :class:`~pulsegated.circuit.EquationSynapse` is a ``Synapses`` object with the rule's strings:
  ``model`` after ``w``, ``on_pre`` then the delivery of the spike, ``on_post``.
* Data sources (per-sample 0/1 vectors) and fixed-pattern sources share one group whose threshold
  reads one :class:`~brian2.TimedArray` (``stim(t - t_offset + dt, i) > 0.5``, a column per
  neuron).  Runtime device: before a run
  a new TimedArray of the same name and shape replaces the old one in the group's ``namespace``
  (Brian2's documented way to change an external name between runs; code objects are regenerated
  at every run, and the unchanged code text keeps Cython's compiled modules cached).
  ``cpp_standalone``: the values are passed as ``run_args`` without recompiling.

Registration
------------
Every element type is built by a function registered with :data:`Brian2Builder` (see
:mod:`pulsegated.backends.registry`); a circuit holding a type without one is refused, naming it,
before anything is built.  The contracts (``ctx`` a :class:`BuildContext`):

* neuron model: ``f(model, population, ctx) -> GroupSpec``;
* source: ``f(source, ctx) -> GroupSpec``;
* plasticity rule: ``f(rule, connection, ctx) -> SynapseCode``, called once the groups exist
  (``ctx.groups``, ``ctx.weight_dim(connection)``).  An optional ``"prepare"`` stage
  (``Brian2Builder.register(Rule, stage="prepare")``), ``f(rule, connection, ctx)``, runs before
  any group is built: it checks what the rule needs and records in ``ctx.needs[post]`` what the
  postsynaptic group must hold (the built-in neuron builders read ``"reward"`` and ``"hebb"``), and
  may add to ``ctx.after_groups`` a callable returning further
  :class:`~pulsegated.backends.brian2.merge.SynapseSpec` (e.g. the learning gates).

The functions describe Brian2 objects rather than create them: populations of one model become
one ``NeuronGroup`` and connections of one synapse model between two such groups one
``Synapses`` object, the numbers that differ between them per-neuron or per-synapse constants
(:mod:`pulsegated.backends.brian2.merge`).  The nBP circuit (30 populations, 109 connections) is
a handful of objects, so few code objects are compiled and run every step.

Isolation
---------
A build never changes Brian2's global state: every object of a build runs on the build's own
:class:`~brian2.Clock` (``dt`` of the circuit; ``defaultclock`` is left alone), carries its own
code-generation target (``codeobj_class``; ``prefs.codegen.target`` is left alone) and the runtime
device is used (switched to only while building or running if another device is active).  A
``cpp_standalone`` build uses a device of its own (a fresh
:class:`~brian2.devices.cpp_standalone.device.CPPStandaloneDevice`, so several standalone projects
coexist in one process and can each be re-run), active only while the project is generated and
compiled; the previous device is restored afterwards.  The compiled project is re-run with
:meth:`Brian2Circuit.run_standalone`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
import os
import shutil
import tempfile
import weakref

import numpy as np
from brian2.units.fundamentalunits import DIMENSIONLESS

from pulsegated.backends.brian2.merge import (ConnectionView, GroupSpec, SpikeView, StateView,
                                              SynapseSpec, merge_groups, merge_synapses,
                                              unit_string)
from pulsegated.backends.registry import Builder
from pulsegated.circuit import (Circuit, DataSource, EquationNeuron, EquationSynapse,
                                GatedTraceHebbian, LoihiCompartment, PatternSource, PoissonSource,
                                SpikeTrain, SumOfProducts)
from pulsegated.circuit.weights import WeightError, effective_weights
from pulsegated.errors import UsageError

__all__ = ["Brian2Circuit", "build", "Brian2Builder", "BuildContext", "SynapseCode", "DEVICES", "CODEGEN", "W_SCALE", "MAKE_JOBS",
           "synapse_indices"]

DEVICES = ("runtime", "cpp_standalone")
#: code generation targets of the runtime device: Cython (compiled once per model and cached by
#: Brian2, fast afterwards) or numpy (no compilation, slower per step)
CODEGEN = ("cython", "numpy")
#: chip scale of weights and thresholds (raw = threshold units << 6)
W_SCALE = 64
#: default number of parallel ``make`` jobs of a ``cpp_standalone`` build
MAKE_JOBS = 2


def _codeobj_class(codegen: str):
    """The runtime code object class of a code generation target name."""
    if codegen == "numpy":
        from brian2.codegen.runtime.numpy_rt import NumpyCodeObject
        return NumpyCodeObject
    from brian2.codegen.runtime.cython_rt import CythonCodeObject
    return CythonCodeObject


@contextlib.contextmanager
def active_device(device):
    """Make ``device`` Brian2's active device inside the block, then restore the previous one.

    A no-op when ``device`` is already active (the common case: the runtime device).
    """
    from brian2.devices.device import get_device, reset_device, set_device
    if get_device() is device:
        yield
        return
    set_device(device, build_on_run=False)
    try:
        yield
    finally:
        reset_device()


@contextlib.contextmanager
def _make_jobs(n: int):
    """``prefs.devices.cpp_standalone.extra_make_args_unix = ["-j<n>"]`` inside the block only."""
    from brian2 import prefs
    key = "devices.cpp_standalone.extra_make_args_unix"
    old = list(prefs[key])
    prefs[key] = [f"-j{int(n)}"]
    try:
        yield
    finally:
        prefs[key] = old


def synapse_indices(circuit, connection: str) -> tuple[np.ndarray, np.ndarray]:
    """``(i, j)`` of every synapse of a connection, in Brian2's creation order.

    ``all_to_all``: presynaptic index major; ``one_to_one``: ``i = j``; ``one_to_all``: ``i = 0``.
    """
    c = circuit.connections[connection]
    n_pre, n_post = circuit.size_of(c.pre), circuit.size_of(c.post)
    if c.pattern == "all_to_all":
        return np.repeat(np.arange(n_pre), n_post), np.tile(np.arange(n_post), n_pre)
    if c.pattern == "one_to_one":
        return np.arange(n_post), np.arange(n_post)
    return np.zeros(n_post, dtype=np.int64), np.arange(n_post)


class Brian2Circuit:
    """The Brian2 objects of one circuit.

    Populations of one model share a group and connections of one synapse model share a
    ``Synapses`` object (:mod:`pulsegated.backends.brian2.merge`); the attributes here give each
    population and connection its own slice.

    Attributes
    ----------
    circuit : Circuit
    network : brian2.Network
    groups : dict
        By population / source: its neurons (a Brian2 ``Subgroup`` of the merged group, or the
        group itself).
    synapses : dict
        By connection: a :class:`~pulsegated.backends.brian2.merge.ConnectionView` (``w``,
        ``i``, ``j``, ``delay`` of the connection's own synapses).
    monitors, state_monitors : dict
        By recorded population: :class:`~pulsegated.backends.brian2.merge.SpikeView` (``t``,
        ``i``) and :class:`~pulsegated.backends.brian2.merge.StateView`.
    stimuli : dict
        ``{source: (first, last + 1)}``: the columns of the shared stimulus
        :class:`~brian2.TimedArray` each data/pattern source reads (see :meth:`set_stimuli`).
    merged_groups, merged_synapses : list
        The Brian2 objects with what each holds.
    dt : Quantity
        One step; ``clock`` the :class:`~brian2.Clock` every object of the build runs on.
    device : {"runtime", "cpp_standalone"}
    directory : str or None
        The standalone project folder.
    run_steps : int or None
        Steps of one run of the compiled standalone project.
    """

    def __init__(self, circuit, network, groups, synapses, monitors, dt, state_monitors,
                 clock=None, device="runtime", device_object=None, directory=None,
                 run_steps=None, weight_units=None, merged_groups=(), merged_synapses=(),
                 where=None):
        self.circuit = circuit
        self.network = network
        self.groups = groups
        self.synapses = synapses
        self.monitors = monitors
        self.dt = dt
        self.state_monitors = state_monitors
        self.clock = clock
        self.device = device
        self.directory = directory
        self.run_steps = run_steps
        self.weight_units = weight_units or {}
        self.merged_groups = list(merged_groups)
        self.merged_synapses = list(merged_synapses)
        self._where = where or {}
        stim = [m for m in self.merged_groups if m.stimulus is not None]
        self._stim = stim[0] if stim else None
        self.stimuli = dict(self._stim.slices) if self._stim else {}
        self._device = device_object
        self._cleanup = None

    @property
    def initial_w(self) -> dict:
        """Per-synapse ``w`` of every connection as built (standalone: what a run starts from
        unless given)."""
        out = {}
        for c, view in self.synapses.items():
            full = view.merged.initial_w
            out[c] = full[view.start:view.stop].copy()
        return out

    def summary(self) -> str:
        """One line per Brian2 object: what it holds."""
        lines = []
        for m in self.merged_groups:
            lines.append(f"{m.group.name} ({type(m.group).__name__}, {len(m.group)} neurons): "
                         + ", ".join(m.slices))
        for m in self.merged_synapses:
            lines.append(f"{m.synapses.name} (Synapses, {len(m.synapses)} synapses): "
                         + ", ".join(m.slices))
        return "\n".join(lines)

    def _remove_when_collected(self, path: str) -> None:
        self._cleanup = weakref.finalize(self, shutil.rmtree, path, True)

    def close(self) -> None:
        """Remove the temporary standalone project folder (one named by the caller is kept)."""
        if self._cleanup is not None:
            self._cleanup()

    @property
    def device_object(self):
        """The Brian2 device holding this build's arrays."""
        return self._device

    def run(self, n_steps: int) -> None:
        """Run the network (runtime device) for ``n_steps`` steps, continuing from its ``t``."""
        if self.device != "runtime":
            raise UsageError("run() needs a runtime build; a cpp_standalone project is re-run "
                             "with run_standalone()")
        with active_device(self._device):
            self.network.run(int(n_steps) * self.dt, namespace={})

    def _stimulus_values(self, values: dict) -> np.ndarray:
        ta = self._stim.stimulus
        full = np.zeros(ta.values.shape)
        for name, v in values.items():
            if name not in self.stimuli:
                raise UsageError(f"{name!r} is not a data or pattern source")
            a, b = self.stimuli[name]
            v = np.asarray(v, dtype=float)
            if v.shape != (full.shape[0], b - a):
                raise UsageError(f"stimulus of {name!r} must have shape "
                                 f"{(full.shape[0], b - a)}, got {v.shape}")
            full[:, a:b] = v
        return full

    def set_stimuli(self, values: dict, t_offset: int) -> None:
        """Drive the data/pattern sources with ``values[source]`` (rows: steps from
        ``t_offset - 1``, see :func:`~pulsegated.backends.brian2.simulator.fill_stimuli`; a source
        not given is silent) in the next runtime runs: a new TimedArray of the same name replaces
        the old one in the group's namespace, and ``t_offset`` (steps) is the step the rows are
        counted from."""
        import brian2 as b2
        full = self._stimulus_values(values)
        ta = b2.TimedArray(full, dt=self.dt, name=self._stim.stimulus.name)
        self._stim.group.namespace[ta.name] = ta
        self._stim.stimulus = ta
        self._stim.group.t_offset = int(t_offset) * self.dt

    def stimulus_run_args(self, values: dict) -> dict:
        """``run_args`` of a standalone run driving the sources with ``values`` (as
        :meth:`set_stimuli`)."""
        return {self._stim.stimulus: self._stimulus_values(values)} if self._stim else {}

    def stimulus_shape(self, source: str) -> tuple:
        """Shape of the stimulus values of a source (steps, neurons)."""
        a, b = self.stimuli[source]
        return (self._stim.stimulus.values.shape[0], b - a)

    def set_spike_train(self, source: str, indices, steps) -> None:
        """Replace the spikes of a spike-train source (runtime device): neuron ``indices[k]``
        at step ``steps[k]``."""
        m = self._where.get(source)
        if m is None or source not in m.trains:
            raise UsageError(f"{source!r} is not a spike-train source")
        m.trains[source] = (np.asarray(indices, dtype=int), np.asarray(steps, dtype=float))
        idx = np.concatenate([i + m.slices[n][0] for n, (i, _) in m.trains.items()])
        st = np.concatenate([s for _, s in m.trains.values()])
        m.group.set_spikes(idx, st * self.dt)

    def weight_run_args(self, weights: dict) -> dict:
        """``run_args`` of a standalone run starting from ``weights`` (``{connection: per-synapse
        values}``; the other connections of a shared ``Synapses`` object keep their built
        values)."""
        from brian2 import Quantity
        full = {}
        for c, values in weights.items():
            view = self.synapses[c]
            S = view.synapses
            if S.name not in full:
                full[S.name] = (S, view.merged.initial_w.copy())
            full[S.name][1][view.start:view.stop] = values
        out = {}
        for S, w in full.values():
            dim = S.variables["w"].dim
            out[S.w] = Quantity(w, dim=dim) if not dim.is_dimensionless else w
        return out

    def run_standalone(self, run_args=None) -> None:
        """Run the compiled standalone project once (from step 0) with ``run_args``
        (``{TimedArray or group.variable: values}``); results are read through the objects."""
        if self.device != "cpp_standalone":
            raise UsageError("run_standalone() needs a cpp_standalone build")
        self._device.run(run_args=run_args or {}, with_output=False)
        # the run arguments written into the project (one file per distinct value array)
        self._device.delete(code=False, data=False, run_args=True, directory=False)

    def synapse_indices(self, connection: str) -> tuple[np.ndarray, np.ndarray]:
        """``(i, j)`` of the synapses of a connection (see :func:`synapse_indices`)."""
        view = self.synapses[connection]
        return view.i, view.j

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
        return self.dense(connection, np.asarray(self.synapses[connection].w))

    def dense(self, connection: str, values) -> np.ndarray:
        """Dense (pre, post) matrix of per-synapse ``values`` (int64 onto Loihi compartments)."""
        c = self.circuit.connections[connection]
        n_pre, n_post = self.circuit.size_of(c.pre), self.circuit.size_of(c.post)
        post_model = self.circuit.populations[c.post].model
        out = np.zeros((n_pre, n_post), dtype=np.int64 if isinstance(post_model, LoihiCompartment)
                       else np.float64)
        i, j = self.synapse_indices(connection)
        out[i, j] = values
        return out


def _loihi_spec(pop, dt, reward_link: bool) -> GroupSpec:
    """Every LoihiCompartment population has the same code; its parameters are per-neuron
    constants, so all of them share one group.  With ``fu = 0`` (a memoryless u) the decay term is
    exactly 0 and ``u = q``; unset bounds are infinite: the arithmetic is that of each population
    alone."""
    m = pop.model
    params = {"fu": float(4096 - m.decay_u), "fv": float(4096 - m.decay_v),
              "vth": float(m.threshold * W_SCALE), "bias": float(m.raw("bias")),
              "R": float(m.refractory), "vmin": float(m.raw("v_min")),
              "vmax": float(m.raw("v_max"))}
    eqs = "u : 1\nv : 1\nq : 1\nrefc : 1"
    code = ("u = sign(u) * floor(abs(u) * fu / 4096.0) + q\n"
            "v = clip(sign(v) * floor(abs(v) * fv / 4096.0) + u + bias, vmin, vmax)"
            " * int(refc <= 0)\nq = 0\nrefc = clip(refc - 1, 0, R)")
    if reward_link:  # reward trace: r1 = 1 in the step after a reward spike (rin set by it)
        eqs += "\nr1 : 1\nrin : 1"
        code += "\nr1 = rin\nrin = 0"
    # the chip's refractory counter: set to R - 1 on a spike (R, then this step's decrement);
    # while > 0, v is held at 0.  Brian2's own refractoriness (half a step) only provides lastspike.
    return GroupSpec(pop.size, model=eqs, threshold="v > vth", reset="v = 0\nrefc = R - 1",
                     refractory=0.5 * dt, method="exact", params=params, regular=(code,))


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


def _equation_spec(b2, pop, hebb) -> GroupSpec:
    m = pop.model
    eqs, reset, ns = m.equations, m.reset or "", dict(m.namespace)
    if hebb is not None:  # postsynaptic side of a GatedTraceHebbian rule: trace and window
        clash = set(HEBB_VARIABLES) & (set(b2.Equations(eqs).names) | set(ns))
        if clash:
            raise UsageError(f"population {pop.name!r}: the names {sorted(clash)} are reserved "
                             f"for the Hebbian trace of its plastic inputs")
        eqs += ("\nda_hebb/dt = -a_hebb / tau_hebb : Hz\n"
                "hebb_sign : 1\nhebb_until : second")
        if hebb.trace == "neuron":  # (other traces are raised by the trace synapses)
            reset = (reset + "\n" if reset else "") + "a_hebb += 1 / tau_hebb"
        ns["tau_hebb"] = hebb.tau
    initial = dict(m.initial)
    if hebb is not None:
        initial["hebb_until"] = -1 * b2.second  # no window open before the first gate spike
    return GroupSpec(pop.size, model=eqs, threshold=m.threshold, reset=reset,
                     refractory=m.refractory if m.refractory is not None else False,
                     method=m.method, namespace=ns, initial=initial)


#: build functions of the Brian2 backend, by element type
Brian2Builder = Builder("brian2", error=UsageError)


@dataclass
class SynapseCode:
    """What a plasticity rule adds to the ``Synapses`` of its connection.

    The builder declares ``w`` (unit of the postsynaptic input) and delivers every presynaptic
    spike after ``on_pre``; the strings here are Brian2 code.

    Attributes
    ----------
    model : str
        Further synapse variables (after ``w : <unit>``).
    on_pre : str
        Statements run on a presynaptic spike before it is delivered.
    on_post : str or None
        Statements run on a postsynaptic spike.
    namespace : dict
        Constants of the strings.
    initial : dict
        Initial values of variables of ``model``.
    method : str or None
        Integration method of continuous synapse variables.
    regular : tuple of (str, Quantity)
        ``(code, dt)``: code run on every synapse every ``dt``, at the start of a step (e.g. to
        apply changes accumulated over an epoch).
    """

    model: str = ""
    on_pre: str = ""
    on_post: str | None = None
    namespace: dict = field(default_factory=dict)
    initial: dict = field(default_factory=dict)
    method: str | None = None
    regular: tuple = ()


class BuildContext:
    """State of one build, passed to the registered functions.

    Attributes
    ----------
    b2 : module
        :mod:`brian2`.
    circuit : Circuit
    dt : Quantity
    kw : dict
        Keyword arguments every Brian2 object of the build takes (``clock``, ``codeobj_class``).
    device : str
    n_chunk : int
        Length of the TimedArrays of data/pattern sources, in steps.
    groups : dict
        Built groups by population/source name (available to plasticity build functions and
        ``after_groups`` callables).
    needs : dict
        ``{population: {need: value}}``: what plasticity rules ask of their postsynaptic groups.
    after_groups : dict
        ``{key: callable(ctx) -> list of SynapseSpec}``, called once the groups exist (one per
        key).
    """

    def __init__(self, b2, circuit, dt, kw, device, n_chunk):
        self.b2, self.circuit, self.dt, self.kw = b2, circuit, dt, kw
        self.device, self.n_chunk = device, n_chunk
        self.groups = {}
        self.needs, self.after_groups = {}, {}

    def need(self, population: str) -> dict:
        """The needs recorded for ``population`` (created empty)."""
        return self.needs.setdefault(population, {})

    def weight_dim(self, c):
        """Dimension of the variable a connection's spikes add ``w`` to (None onto Loihi
        compartments, whose ``w`` is dimensionless)."""
        post_model = self.circuit.populations[c.post].model
        if isinstance(post_model, LoihiCompartment):
            return None
        var = c.target or post_model.input_var
        if var not in self.groups[c.post].variables:
            raise UsageError(f"connection {c.name!r}: population {c.post!r} has no variable "
                             f"{var!r}")
        return self.groups[c.post].variables[var].dim


# ------------------------------------------------------------------------------- neuron models
@Brian2Builder.register(LoihiCompartment)
def _build_compartment(model, pop, ctx):
    # every compartment population of a circuit has the reward variables when one needs them,
    # so that all share one group
    reward = any(need.get("reward") for need in ctx.needs.values())
    return _loihi_spec(pop, ctx.dt, reward)


@Brian2Builder.register(EquationNeuron)
def _build_equation_neuron(model, pop, ctx):
    return _equation_spec(ctx.b2, pop, ctx.needs.get(pop.name, {}).get("hebb"))


# -------------------------------------------------------------------------------------- sources
@Brian2Builder.register(DataSource)
@Brian2Builder.register(PatternSource)
def _build_stimulus(src, ctx):
    # all data and pattern sources share one group reading one TimedArray (see set_stimuli)
    return GroupSpec(src.size, kind="stimulus")


@Brian2Builder.register(SpikeTrain)
def _build_spike_train(src, ctx):
    idx = np.asarray(src.indices if src.indices else [0] * len(src.steps), dtype=int)
    return GroupSpec(src.size, kind="spikes", indices=idx, steps=np.asarray(src.steps))


@Brian2Builder.register(PoissonSource)
def _build_poisson(src, ctx):
    return GroupSpec(src.size, kind="poisson", rate=src.rate)


def _all_to_all(n_pre: int, n_post: int) -> tuple[np.ndarray, np.ndarray]:
    return np.repeat(np.arange(n_pre), n_post), np.tile(np.arange(n_post), n_pre)


# ----------------------------------------------------------------------------------- plasticity
@Brian2Builder.register(SumOfProducts, stage="prepare")
def _prepare_sum_of_products(rule, c, ctx):
    if rule.coincidence_steps() is None:
        raise UsageError(f"connection {c.name!r}: the Brian2 backend runs sum-of-products "
                         f"rules of the pulse-gated shape a*x0*y0*r1 + b*x0*y0 with "
                         f"t_epoch = 1; use the loihi backend for traces and epochs")
    if c.delay:
        raise UsageError(f"connection {c.name!r}: delay={c.delay} on a plastic "
                         f"sum-of-products connection is not supported by the brian2 "
                         f"backend (its synapses would learn when a spike arrives, the "
                         f"chip learns when it is emitted); use delay 0 or the loihi "
                         f"backend")
    if not isinstance(ctx.circuit.populations[c.post].model, LoihiCompartment):
        raise UsageError(f"connection {c.name!r}: SumOfProducts plasticity needs a "
                         f"LoihiCompartment postsynaptic population, {c.post!r} is not one")
    need = ctx.need(c.post)
    prev = need.setdefault("reward", rule.reward)
    if prev != rule.reward:
        raise UsageError(f"population {c.post!r} receives plastic connections with "
                         f"different reward channels ({prev!r}, {rule.reward!r})")
    if rule.reward:
        # reward trace: r1 at step t = 1 iff the reward source spiked at t - 1
        def reward_synapses(ctx, rname=rule.reward, post=c.post):
            i, j = _all_to_all(ctx.circuit.size_of(rname), ctx.circuit.size_of(post))
            return [SynapseSpec(f"{rname}__{post}", "reward", rname, post, i, j,
                                on_pre="rin_post = 1")]
        ctx.after_groups.setdefault(("reward", c.post), reward_synapses)


@Brian2Builder.register(SumOfProducts)
def _build_sum_of_products(rule, c, ctx):
    rewarded, plain = rule.coincidence_steps()
    if not rule.reward:  # no reward channel: the trace r1 is always 0
        return SynapseCode(on_pre="w = clip(w + dw_plain * int(lastspike_post == t), wmin, wmax)",
                           namespace={"dw_plain": plain, "wmin": rule.wmin, "wmax": rule.wmax})
    return SynapseCode(
        on_pre=("w = clip(w + (dw_plain + dw_reward * r1_post) * int(lastspike_post == t),"
                " wmin, wmax)"),
        namespace={"dw_plain": plain, "dw_reward": rewarded - plain, "wmin": rule.wmin,
                   "wmax": rule.wmax})


@Brian2Builder.register(GatedTraceHebbian, stage="prepare")
def _prepare_gated_trace_hebbian(rule, c, ctx):
    """One trace and window per post population: all its GatedTraceHebbian inputs must share
    ``tau``, ``window`` and gates."""
    if not isinstance(ctx.circuit.populations[c.post].model, EquationNeuron):
        raise UsageError(f"connection {c.name!r}: GatedTraceHebbian plasticity needs an "
                         f"equation-neuron postsynaptic population, {c.post!r} is not one")
    prev = ctx.need(c.post).setdefault("hebb", rule)
    if (prev.tau, prev.window, prev.gates, prev.trace) != (rule.tau, rule.window, rule.gates,
                                                           rule.trace):
        raise UsageError(f"population {c.post!r} receives GatedTraceHebbian connections with "
                         f"different traces or learning gates; they must share tau, window, "
                         f"trace and gates")

    # learning gates: a gate spike opens a window and sets its sign
    def gate_synapses(ctx, post=c.post):
        out = []
        n_post = ctx.circuit.size_of(post)
        for gate, sign in rule.gates.items():
            i, j = _all_to_all(ctx.circuit.size_of(gate), n_post)
            out.append(SynapseSpec(f"{gate}__{post}", "hebbgate", gate, post, i, j,
                                   on_pre=f"hebb_until_post = t + hebb_window\n"
                                          f"hebb_sign_post = {int(sign)}",
                                   namespace={"hebb_window": rule.window}))
        sources = ((post,) if rule.trace == "population" else rule.trace_sources)
        for src in sources:
            # every neuron of the post population holds one shared trace: a spike of any neuron
            # of a trace source raises it by 1 / (tau N_src) in all of them, after the plastic
            # synapses of the same step have read it (order=1), as a neuron's own trace is
            # raised at its reset
            n_src = ctx.circuit.size_of(src)
            i, j = _all_to_all(n_src, n_post)
            out.append(SynapseSpec(f"{src}__{post}", "hebbtrace", src, post, i, j,
                                   on_pre="a_hebb_post += 1 / (tau_trace * n_hebb)",
                                   namespace={"tau_trace": rule.tau, "n_hebb": float(n_src)},
                                   order=1))
        return out
    ctx.after_groups.setdefault(("hebb", c.post), gate_synapses)


@Brian2Builder.register(GatedTraceHebbian)
def _build_gated_trace_hebbian(r, c, ctx):
    b2 = ctx.b2
    dim = ctx.weight_dim(c)
    wdim = dim if dim is not None else DIMENSIONLESS
    wunit = "1" if wdim is DIMENSIONLESS else b2.get_unit(wdim).name
    ns = {"eta_hebb": b2.Quantity(r.eta, dim=wdim / b2.Hz.dim)}
    for bound, value in (("wmin", r.wmin), ("wmax", r.wmax)):
        ns[bound] = b2.Quantity(value if np.isfinite(value) else np.sign(value) * 1e300, dim=wdim)
    change = "hebb_sign_post * eta_hebb * a_hebb_post * int(t < hebb_until_post + 0.5 * dt)"
    if r.epoch is None:
        return SynapseCode(on_pre=f"w = clip(w + {change}, wmin, wmax)", namespace=ns)

    # accumulated changes applied at every multiple of the epoch
    return SynapseCode(model=f"dw_hebb : {wunit}", on_pre=f"dw_hebb += {change}", namespace=ns,
                       regular=(("w = clip(w + dw_hebb, wmin, wmax)\ndw_hebb = 0 * w",
                                 r.epoch),))


@Brian2Builder.register(EquationSynapse)
def _build_equation_synapse(rule, c, ctx):
    return SynapseCode(model=rule.model, on_pre=rule.on_pre, on_post=rule.on_post,
                       namespace=dict(rule.namespace), initial=dict(rule.initial),
                       method=rule.method)


def check_recording(circuit, record, record_state) -> tuple[list, dict]:
    """``record`` as a list of population/source names (None: every population) and
    ``record_state`` as ``{name: [variables]}``; UsageError for unknown names."""
    known = set(circuit.populations) | set(circuit.sources)
    if isinstance(record, str):
        record = [record]
    record = list(circuit.populations) if record is None else list(record)
    for name in record:
        if name not in known:
            raise UsageError(f"cannot record unknown population {name!r}")
    if record_state is None:
        record_state = {}
    if not isinstance(record_state, dict):
        raise UsageError(f"record_state must be a dict {{population: [variables]}}, got "
                         f"{type(record_state).__name__}")
    out = {}
    for name, variables in record_state.items():
        if name not in known:
            raise UsageError(f"record_state: unknown population {name!r}")
        out[name] = [variables] if isinstance(variables, str) else list(variables)
    return record, out


def build(circuit: Circuit, device: str = "runtime", record=None, record_state=None,
          chunk_steps: int | None = None, directory: str | None = None,
          codegen: str = "cython", make_jobs: int = MAKE_JOBS,
          run_steps: int | None = None, variable_delays: bool = False) -> Brian2Circuit:
    """Build ``circuit`` as Brian2 objects, leaving Brian2's global state as it was.

    Parameters
    ----------
    circuit : Circuit
    device : {"runtime", "cpp_standalone"}
        ``runtime``: objects of the runtime device, run with :meth:`Brian2Circuit.run`.
        ``cpp_standalone``: one C++ project of a run of ``run_steps`` steps, generated and
        compiled now into ``directory`` and re-run with :meth:`Brian2Circuit.run_standalone`.
    record : iterable of str or None
        Populations with a SpikeMonitor (None: all).
    record_state : dict, optional
        ``{population: variable or list of variables}`` recorded every step at the end of the step.
    chunk_steps : int, optional
        Length of the TimedArrays that drive data/pattern sources (steps per run call).
    directory : str or path, optional
        Folder of the standalone project (created if needed); default: a new temporary folder,
        removed by :meth:`Brian2Circuit.close` or when the build is garbage-collected.
    codegen : {"cython", "numpy"}
        Code generation target of the runtime objects (set per object; the global preference
        ``prefs.codegen.target`` is not used or changed).
    make_jobs : int
        Parallel ``make`` jobs of the standalone compilation (``-j<make_jobs>``, for this build
        only).
    run_steps : int, optional
        Steps of one standalone run (default ``chunk_steps``).
    variable_delays : bool
        Give every ``Synapses`` object a delay per synapse, so that the delay of any connection
        can be changed alone after the build (otherwise connections of one delay sharing an
        object share it as one value, which Brian2 runs faster).

    Returns
    -------
    Brian2Circuit

    Raises
    ------
    UsageError
        For an unknown device or target, a bad ``make_jobs`` or ``run_steps``, unknown recorded
        populations or variables, and circuits the backend cannot run -- before anything is built.
    """
    if device not in DEVICES:
        raise UsageError(f"unknown device {device!r}; choose one of: {', '.join(DEVICES)}")
    if codegen not in CODEGEN:
        raise UsageError(f"unknown codegen target {codegen!r}; choose one of: {', '.join(CODEGEN)}")
    if isinstance(make_jobs, bool) or not isinstance(make_jobs, (int, np.integer)) or make_jobs < 1:
        raise UsageError(f"make_jobs must be a positive integer, got {make_jobs!r}")
    circuit.validate()
    record, record_state = check_recording(circuit, record, record_state)
    import brian2 as b2
    from brian2.devices.device import runtime_device

    dt = circuit.dt if circuit.dt is not None else 1 * b2.ms
    n_chunk = int(chunk_steps or 1)
    if device == "runtime":
        dev, tmp = runtime_device, None
    else:
        from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
        run_steps = n_chunk if run_steps is None else run_steps
        if isinstance(run_steps, bool) or not isinstance(run_steps, (int, np.integer)) \
                or run_steps < 1:
            raise UsageError(f"run_steps must be a positive integer, got {run_steps!r}")
        dev = CPPStandaloneDevice()
        tmp = None
        if directory is None:
            directory = tmp = tempfile.mkdtemp(prefix="pulsegated_b2_")
        directory = os.path.abspath(os.fspath(directory))
    try:
        with active_device(dev):
            b2c = _build_objects(b2, circuit, dt, device, record, record_state, n_chunk,
                                 _codeobj_class(codegen) if device == "runtime" else None,
                                 bool(variable_delays))
            b2c._device = dev
            if tmp is not None:
                b2c._remove_when_collected(tmp)
            if device == "cpp_standalone":
                b2c.directory, b2c.run_steps = directory, int(run_steps)
                b2c.network.run(int(run_steps) * dt, namespace={})
                with _make_jobs(make_jobs):
                    dev.build(directory=directory, compile=True, run=False, with_output=False)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return b2c


def _build_objects(b2, circuit, dt, device, record, record_state, n_chunk,
                   codeobj_class, variable_delays=False) -> Brian2Circuit:
    # a fixed name: array names in the generated code contain it, and Cython's compiled modules
    # are cached by code text
    clock = b2.Clock(dt=dt, name="pulsegated_clock")
    kw = {"clock": clock, "codeobj_class": codeobj_class}

    ctx = BuildContext(b2, circuit, dt, kw, device, n_chunk)
    Brian2Builder.check(circuit)
    for c in circuit.connections.values():
        if c.plasticity is not None:
            prepare = Brian2Builder.lookup(type(c.plasticity), stage="prepare")
            if prepare is not None:
                prepare(c.plasticity, c, ctx)

    specs = {}
    for pop in circuit.populations.values():
        specs[pop.name] = Brian2Builder.build(pop.model, f"population {pop.name!r}", pop, ctx)
    for src in circuit.sources.values():
        specs[src.name] = Brian2Builder.build(src, f"source {src.name!r}", ctx)
    merged_groups, where = merge_groups(b2, specs, kw, dt, n_chunk)
    groups = ctx.groups
    for name, m in where.items():
        a, b = m.slices[name]
        # (a SpikeGeneratorGroup has no subgroups: its sources share the whole group)
        whole = (a, b) == (0, len(m.group)) or not hasattr(m.group, "__getitem__")
        groups[name] = m.group if whole else m.group[a:b]

    syn_specs = []
    for make in ctx.after_groups.values():
        syn_specs.extend(make(ctx))
    weight_units = {}
    for c in circuit.connections.values():
        post_model = circuit.populations[c.post].model
        dim = ctx.weight_dim(c)
        ns = {}
        if isinstance(post_model, LoihiCompartment):
            wunit, deliver = "1", f"q_post += {W_SCALE} * w"
            values = _loihi_values(circuit, c)
            if c.plastic and c.weight_exp:  # w is the mantissa
                deliver = f"q_post += {W_SCALE} * floor(w * wexp_scale)"
                ns["wexp_scale"] = 2.0 ** c.weight_exp
        else:
            var = c.target or post_model.input_var
            wunit = unit_string(dim)
            deliver = f"{var}_post += w"
            values = circuit.synapse_values(c)
        code = (SynapseCode() if c.plasticity is None else
                Brian2Builder.build(c.plasticity, f"connection {c.name!r}", c, ctx))
        clash = set(code.namespace) & set(ns)
        if clash:
            raise UsageError(f"connection {c.name!r}: the names {sorted(clash)} are reserved "
                             f"by the brian2 backend")
        ns.update(code.namespace)
        # description weights onto equation neurons are in SI base units of their input variable
        unit = b2.Quantity(1.0, dim=dim) if dim is not None and dim is not DIMENSIONLESS else 1.0
        weight_units[c.name] = unit
        i, j = synapse_indices(circuit, c.name)
        w = np.asarray(values, dtype=float)
        w = w[i, j] if c.pattern == "all_to_all" else np.broadcast_to(w, i.shape).copy()
        syn_specs.append(SynapseSpec(
            c.name, "syn", c.pre, c.post, i, j,
            model=f"w : {wunit}" + (f"\n{code.model}" if code.model.strip() else ""),
            on_pre=(f"{code.on_pre}\n" if code.on_pre.strip() else "") + deliver,
            on_post=code.on_post, method=code.method, namespace=ns, w=w, w_unit=unit,
            delay=int(c.delay), initial=dict(code.initial), regular=tuple(code.regular)))
    merged_syn, views = merge_synapses(b2, syn_specs, where, kw, dt, variable_delays)
    synapses = {c: views[("syn", c)] for c in circuit.connections}

    objects = [m.group for m in merged_groups] + [m.synapses for m in merged_syn]
    monitors, state_monitors = {}, {}
    spike_monitors = {}
    for name in record:
        m = where[name]
        if id(m) not in spike_monitors:
            spike_monitors[id(m)] = b2.SpikeMonitor(m.group, name=f"spikes_{m.group.name}",
                                                    codeobj_class=codeobj_class)
            objects.append(spike_monitors[id(m)])
        monitors[name] = SpikeView(spike_monitors[id(m)], *m.slices[name])
    by_group = {}
    for name, variables in record_state.items():
        unknown = [v for v in variables if v not in groups[name].variables]
        if unknown:
            raise UsageError(f"record_state: population {name!r} has no variable(s) "
                             f"{', '.join(map(repr, unknown))}")
        by_group.setdefault(id(where[name]), []).append(name)
    for names in by_group.values():
        m = where[names[0]]
        variables = []
        for n in names:
            variables += [v for v in record_state[n] if v not in variables]
        rows = np.concatenate([np.arange(*m.slices[n]) for n in names])
        order = np.argsort(rows)
        mon = b2.StateMonitor(m.group, variables, record=rows[order], when="end",
                              name=f"state_{m.group.name}", codeobj_class=codeobj_class)
        objects.append(mon)
        position = np.empty(len(rows), dtype=np.int64)
        position[order] = np.arange(len(rows))
        start = 0
        for n in names:
            size = m.slices[n][1] - m.slices[n][0]
            state_monitors[n] = StateView(mon, position[start:start + size], record_state[n])
            start += size
    network = b2.Network(*objects, name=f"net_{circuit.name}")
    return Brian2Circuit(circuit, network, groups, synapses, monitors, dt, state_monitors,
                         clock=clock, device=device, weight_units=weight_units,
                         merged_groups=merged_groups, merged_synapses=merged_syn, where=where)
