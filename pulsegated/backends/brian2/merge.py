"""Few, large Brian2 objects: the populations of one neuron model share one group, the connections
of one synapse model between two such groups share one ``Synapses`` object.

Brian2 generates, compiles and runs code per object, so a circuit of 95 populations and 278
connections built one object each is hundreds of compiled modules and hundreds of code objects
run every step.  The registered build functions of :mod:`pulsegated.backends.brian2.builder`
therefore do not create Brian2 objects: they return a :class:`GroupSpec` per population or source
and a :class:`SynapseSpec` per set of synapses, and :func:`merge_groups` / :func:`merge_synapses`
put every spec that differs only in numbers into one object:

* specs are grouped by their code (equations, threshold, reset, ``on_pre`` ...), the names of
  their per-element constants and the non-numeric entries of their namespace;
* within a group, a numeric namespace entry that has one value across the members stays in the
  namespace; one that differs becomes a per-neuron (per-synapse) constant of the merged object;
* a population or connection keeps its own slice of the merged object (:class:`ConnectionView`,
  :class:`SpikeView`, :class:`StateView`, a Brian2 ``Subgroup``); synapses are created from
  explicit index arrays, so their order is the same on every device.

A model with a ``(shared)`` variable is never merged with another population (the variable would
be shared by both).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
import numbers

import numpy as np
from brian2.units.fundamentalunits import DIMENSIONLESS, Quantity, get_dimensions

from pulsegated.errors import UsageError

__all__ = ["GroupSpec", "SynapseSpec", "MergedGroup", "MergedSynapses", "merge_groups",
           "merge_synapses", "ConnectionView", "SpikeView", "StateView", "unit_string"]


def unit_string(dim) -> str:
    """A unit declaration Brian2's equation parser reads for dimension ``dim``."""
    if dim is None or dim is DIMENSIONLESS:
        return "1"
    return dim._str_representation(python_code=True)


def _is_number(v) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, Quantity):
        return v.shape == ()
    return isinstance(v, (numbers.Real, np.number)) and np.ndim(v) == 0


def _same(a, b) -> bool:
    return get_dimensions(a) is get_dimensions(b) and float(np.asarray(a)) == float(np.asarray(b))


def _token(v):
    """A hashable stand-in of a non-numeric namespace value (arrays by content, others by id)."""
    if isinstance(v, np.ndarray) and not isinstance(v, Quantity):
        return ("array", v.shape, v.dtype.str, v.tobytes())
    return ("object", id(v))


def _namespace_key(namespace: dict) -> tuple:
    return tuple(sorted((k, ("number", unit_string(get_dimensions(v)))) if _is_number(v)
                        else (k, _token(v)) for k, v in namespace.items()))


def _split_namespace(members) -> tuple[dict, list]:
    """The namespace entries shared by all members, and the numeric names whose values differ."""
    first = members[0].namespace
    shared, varying = {}, []
    for name, value in first.items():
        if _is_number(value) and any(not _same(m.namespace[name], value) for m in members[1:]):
            varying.append(name)
        else:
            shared[name] = value
    return shared, varying


def _declarations(names, values) -> str:
    return "\n".join(f"{n} : {unit_string(get_dimensions(values[n]))} (constant)"
                     for n in names)


def _full(values: list, sizes: list):
    """One array of per-element values from per-member scalars or arrays (with their unit)."""
    dim = get_dimensions(values[0])
    out = np.concatenate([np.broadcast_to(np.asarray(v, dtype=float), (n,))
                          for v, n in zip(values, sizes)]) if values else np.zeros(0)
    return out if dim is DIMENSIONLESS else Quantity(out, dim=dim)


@contextlib.contextmanager
def _setup_code(obj):
    """Run the one-off code of ``obj`` (creating synapses, setting initial values from
    expressions) with numpy code generation: a compiled Cython module for code that runs once
    costs seconds and saves nothing.  The object's own target is restored afterwards; standalone
    objects (no ``codeobj_class``) are left alone."""
    target = getattr(obj, "codeobj_class", None)
    if target is None:
        yield
        return
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject
    obj.codeobj_class = NumpyCodeObject
    try:
        yield
    finally:
        obj.codeobj_class = target


# ------------------------------------------------------------------------------------ neurons
@dataclass
class GroupSpec:
    """What one population or source asks of the Brian2 backend.

    Attributes
    ----------
    size : int
    kind : {"neurons", "stimulus", "spikes", "poisson"}
        ``neurons``: a ``NeuronGroup`` from the fields below; ``stimulus``: a data or pattern
        source (all of them share one ``NeuronGroup`` reading one ``TimedArray``); ``spikes``:
        spikes at given steps (``indices``, ``steps``; all such sources share one
        ``SpikeGeneratorGroup``); ``poisson``: a ``PoissonGroup`` at ``rate`` (never merged).
    model, threshold, reset, refractory, method, namespace
        As for :class:`brian2.NeuronGroup` (``model`` an equation string).
    params : dict
        Per-neuron constants ``{name: scalar}`` (a value per population, declared
        ``(constant)`` in the merged group).
    regular : tuple of str
        Code run every step in the ``groups`` slot (``run_regularly``).
    initial : dict
        ``{variable: value or expression}`` set on the population's neurons after creation.
    """

    size: int
    kind: str = "neurons"
    model: str = ""
    threshold: str | None = None
    reset: str | None = None
    refractory: object = False
    method: str | None = None
    namespace: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    regular: tuple = ()
    initial: dict = field(default_factory=dict)
    indices: object = None
    steps: object = None
    rate: object = None

    def key(self, name: str) -> tuple:
        if self.kind == "poisson" or "(shared" in self.model.replace(" ", ""):
            return (self.kind, name)
        if self.kind in ("stimulus", "spikes"):
            return (self.kind,)
        params = tuple(sorted((n, unit_string(get_dimensions(v))) for n, v in self.params.items()))
        return (self.kind, self.model, self.threshold, self.reset, repr(self.refractory),
                self.method, self.regular, params, _namespace_key(self.namespace))


class MergedGroup:
    """One Brian2 group holding several populations/sources, each a slice ``[start, stop)``."""

    def __init__(self, group, slices: dict, stimulus=None):
        self.group = group
        self.slices = slices
        #: data/pattern sources: the TimedArray every column of which one source reads
        self.stimulus = stimulus
        #: spike trains: ``{source: (indices, steps)}`` as given
        self.trains = {}

    def offset(self, name: str) -> int:
        return self.slices[name][0]


def merge_groups(b2, specs: dict, kw: dict, dt, n_chunk: int) -> tuple[list, dict]:
    """Build one Brian2 group per set of mergeable specs.

    Parameters
    ----------
    specs : dict
        ``{population or source name: GroupSpec}`` in circuit order.

    Returns
    -------
    merged : list of MergedGroup
    where : dict
        ``{name: MergedGroup}``.
    """
    buckets: dict = {}
    for name, spec in specs.items():
        buckets.setdefault(spec.key(name), []).append(name)
    merged, where = [], {}
    counts: dict = {}
    for names in buckets.values():
        members = [specs[n] for n in names]
        kind = members[0].kind
        k = counts[kind] = counts.get(kind, -1) + 1
        sizes = [m.size for m in members]
        ends = np.cumsum(sizes)
        slices = {n: (int(e - s), int(e)) for n, s, e in zip(names, sizes, ends)}
        total = int(ends[-1])
        suffix = "" if k == 0 else f"_{k}"
        if kind == "stimulus":
            ta = b2.TimedArray(np.zeros((n_chunk + 2, total)), dt=dt, name="stim")
            g = b2.NeuronGroup(total, "t_offset : second (shared)",
                               threshold="stim(t - t_offset + dt, i) > 0.5", reset="",
                               namespace={"stim": ta}, name="stimuli", **kw)
            m = MergedGroup(g, slices, stimulus=ta)
        elif kind == "spikes":
            idx = np.concatenate([np.asarray(s.indices, dtype=int) + slices[n][0]
                                  for n, s in zip(names, members)])
            steps = np.concatenate([np.asarray(s.steps, dtype=float) for s in members])
            g = b2.SpikeGeneratorGroup(total, idx, steps * dt, name="trains", **kw)
            m = MergedGroup(g, slices)
            m.trains = {n: (np.asarray(s.indices, dtype=int), np.asarray(s.steps, dtype=float))
                        for n, s in zip(names, members)}
        elif kind == "poisson":
            g = b2.PoissonGroup(total, rates=members[0].rate, name=f"src_{names[0]}", **kw)
            m = MergedGroup(g, slices)
        else:
            shared, varying = _split_namespace(members)
            first = members[0]
            params = list(first.params) + varying
            values = {**first.params, **{v: first.namespace[v] for v in varying}}
            model = b2.Equations(first.model)
            if params:
                model += b2.Equations(_declarations(params, values))
            name = f"pop_{names[0]}" if len(names) == 1 else f"neurons{suffix}"
            g = b2.NeuronGroup(total, model, threshold=first.threshold, reset=first.reset or "",
                               refractory=first.refractory, method=first.method,
                               namespace=shared, name=name, **kw)
            for p in params:
                per = [s.params[p] if p in s.params else s.namespace[p] for s in members]
                setattr(g, p, _full(per, sizes))
            for r, code in enumerate(first.regular):
                g.run_regularly(code, when="groups", name=f"{name}_step" + (f"{r}" if r else ""))
            with _setup_code(g):
                _set_initial(g, names, members, slices, sizes)
            m = MergedGroup(g, slices)
        merged.append(m)
        for n in names:
            where[n] = m
    return merged, where


def _set_initial(g, names, members, slices, sizes) -> None:
    variables = []
    for s in members:
        variables += [v for v in s.initial if v not in variables]
    for var in variables:
        given = [s.initial.get(var) for s in members]
        if all(v is None or _is_number(v) for v in given) and len(members) > 1:
            ref = next(v for v in given if v is not None)
            zero = 0 * ref
            setattr(g, var, _full([zero if v is None else v for v in given], sizes))
            continue
        for n, v in zip(names, given):
            if v is not None:
                a, b = slices[n]
                setattr(g[a:b], var, v)


# ----------------------------------------------------------------------------------- synapses
@dataclass
class SynapseSpec:
    """A set of synapses from one population/source onto another, with their code.

    Attributes
    ----------
    label : str
        What the synapses are (a connection name, or e.g. ``hebbgate_g__p``).
    prefix : str
        Name prefix of the merged ``Synapses`` object (objects of one slot and ``order`` run in
        the order of their names: ``hebbgate`` before ``reward`` before ``syn``).
    pre, post : str
        Population/source names.
    i, j : ndarray
        Indices within ``pre`` and ``post`` of every synapse.
    model, on_pre, on_post, method, namespace, order
        As for :class:`brian2.Synapses`.
    params : dict
        Per-synapse constants ``{name: scalar}`` (a value per spec).
    w : ndarray or None
        Per-synapse ``w`` (a ``w`` variable declared in ``model``), in units of ``w_unit``.
    delay : int
        Steps.
    initial : dict
        Initial values of further synapse variables.
    regular : tuple of (str, Quantity)
        ``(code, dt)`` run regularly at the start of a step.
    """

    label: str
    prefix: str
    pre: str
    post: str
    i: np.ndarray
    j: np.ndarray
    model: str = ""
    on_pre: str = ""
    on_post: str | None = None
    method: str | None = None
    namespace: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    order: int = 0
    w: object = None
    w_unit: object = 1.0
    delay: int = 0
    initial: dict = field(default_factory=dict)
    regular: tuple = ()

    def key(self, where: dict) -> tuple:
        params = tuple(sorted((n, unit_string(get_dimensions(v))) for n, v in self.params.items()))
        regular = tuple((code, float(d)) for code, d in self.regular)
        return (self.prefix, id(where[self.pre]), id(where[self.post]), self.model, self.on_pre,
                self.on_post, self.method, self.order, regular, params,
                _namespace_key(self.namespace), self.w is None)


class MergedSynapses:
    """One Brian2 ``Synapses`` object holding several specs, each a slice of its synapses."""

    def __init__(self, synapses, slices: dict, homogeneous_delay: bool, initial_w):
        self.synapses = synapses
        self.slices = slices
        self.homogeneous_delay = homogeneous_delay
        #: the full ``w`` array as built (None without ``w``)
        self.initial_w = initial_w


def merge_synapses(b2, specs: list, where: dict, kw: dict, dt,
                   variable_delays: bool = False) -> tuple[list, dict]:
    """Build one ``Synapses`` object per set of mergeable specs.

    Specs of one delay share it as one value (Brian2's homogeneous delay, the faster case);
    specs of several delays, or all with ``variable_delays``, get a delay per synapse.

    Returns
    -------
    merged : list of MergedSynapses
    views : dict
        ``{(prefix, label): ConnectionView}``.
    """
    buckets: dict = {}
    for spec in specs:
        buckets.setdefault(spec.key(where), []).append(spec)
    merged, views, counts = [], {}, {}
    for members in buckets.values():
        first = members[0]
        k = counts[first.prefix] = counts.get(first.prefix, -1) + 1
        gpre, gpost = where[first.pre], where[first.post]
        sizes = [len(s.i) for s in members]
        shared, varying = _split_namespace(members)
        params = list(first.params) + varying
        values = {**first.params, **{v: first.namespace[v] for v in varying}}
        model = first.model + ("\n" + _declarations(params, values) if params else "")
        delays = {s.delay for s in members}
        homogeneous = len(delays) == 1 and not variable_delays
        extra = {}
        if first.on_post is not None:
            extra["on_post"] = first.on_post
        if first.method is not None:
            extra["method"] = first.method
        if homogeneous:
            extra["delay"] = first.delay * dt
        name = f"{first.prefix}_{first.label}" if len(members) == 1 else f"{first.prefix}{k}"
        S = b2.Synapses(gpre.group, gpost.group, model=model, on_pre=first.on_pre,
                        namespace=shared, order=first.order, name=name, **extra, **kw)
        i = np.concatenate([np.asarray(s.i, dtype=np.int64) + gpre.offset(s.pre) for s in members])
        j = np.concatenate([np.asarray(s.j, dtype=np.int64) + gpost.offset(s.post)
                            for s in members])
        with _setup_code(S):
            S.connect(i=i, j=j)
        full_w = None
        if first.w is not None:
            full_w = np.concatenate([np.broadcast_to(np.asarray(s.w, dtype=float), (n,))
                                     for s, n in zip(members, sizes)])
            S.w = full_w * first.w_unit
        for p in params:
            per = [s.params[p] if p in s.params else s.namespace[p] for s in members]
            setattr(S, p, _full(per, sizes))
        if not homogeneous:
            S.delay = np.repeat([float(s.delay) for s in members], sizes) * dt
        ends = np.cumsum(sizes)
        slices = {s.label: (int(e - n), int(e)) for s, n, e in zip(members, sizes, ends)}
        with _setup_code(S):
            for s in members:
                a, b = slices[s.label]
                for var, value in s.initial.items():
                    getattr(S, var)[a:b] = value
        for r, (code, every) in enumerate(first.regular):
            S.run_regularly(code, dt=every, when="start", name=f"{name}_regular{r}")
        m = MergedSynapses(S, slices, homogeneous, full_w)
        merged.append(m)
        for s in members:
            views[(s.prefix, s.label)] = ConnectionView(m, s, gpre.offset(s.pre), gpost.offset(s.post))
    return merged, views


# -------------------------------------------------------------------------------------- views
class ConnectionView:
    """The synapses of one connection inside a merged ``Synapses`` object.

    ``w`` (read and written), ``i`` and ``j`` (indices within the connection's populations) and
    ``delay`` (written) act on the connection's slice only; ``synapses`` is the Brian2 object.
    """

    def __init__(self, merged: MergedSynapses, spec: SynapseSpec, pre_offset: int,
                 post_offset: int):
        self.merged = merged
        self.synapses = merged.synapses
        self.label = spec.label
        self.start, self.stop = merged.slices[spec.label]
        self.pre_offset, self.post_offset = pre_offset, post_offset
        self._i = np.asarray(spec.i, dtype=np.int64)
        self._j = np.asarray(spec.j, dtype=np.int64)

    def __len__(self) -> int:
        return self.stop - self.start

    @property
    def variables(self):
        return self.synapses.variables

    @property
    def i(self) -> np.ndarray:
        return self._i

    @property
    def j(self) -> np.ndarray:
        return self._j

    @property
    def w(self):
        return self.synapses.w[self.start:self.stop]

    @w.setter
    def w(self, value) -> None:
        self.synapses.w[self.start:self.stop] = value

    @property
    def delay(self):
        d = self.synapses.delay[:]
        return d if self.merged.homogeneous_delay else d[self.start:self.stop]

    @delay.setter
    def delay(self, value) -> None:
        S = self.synapses
        if not self.merged.homogeneous_delay:
            S.delay[self.start:self.stop] = value
        elif len(self.merged.slices) == 1:
            S.delay = value
        elif not np.all(np.asarray(S.delay[:]) == np.asarray(value)):
            raise UsageError(f"connection {self.label!r} shares one delay with "
                             f"{len(self.merged.slices) - 1} other connection(s) in this build; "
                             f"build with variable_delays=True to change it alone")


class SpikeView:
    """The spikes of one population within the SpikeMonitor of its merged group."""

    def __init__(self, monitor, start: int, stop: int):
        self.monitor, self.start, self.stop = monitor, start, stop

    def _mask(self):
        i = np.asarray(self.monitor.i[:])
        return (i >= self.start) & (i < self.stop), i

    @property
    def t(self):
        keep, _ = self._mask()
        return self.monitor.t[keep]

    @property
    def i(self) -> np.ndarray:
        keep, i = self._mask()
        return i[keep] - self.start

    @property
    def count(self) -> np.ndarray:
        return np.asarray(self.monitor.count[:])[self.start:self.stop]

    def clear(self) -> None:
        """Empty the whole monitor (every population it records) on the runtime device."""
        self.monitor.resize(0)
        self.monitor.variables["N"].set_value(0)
        self.monitor.variables["count"].set_value(0)


class StateView:
    """The recorded states of one population within the StateMonitor of its merged group."""

    def __init__(self, monitor, rows: np.ndarray, variables: list):
        self.monitor, self.rows = monitor, rows
        self.record_variables = list(variables)

    def __getattr__(self, name):
        if name in ("monitor", "rows", "record_variables") or name not in self.record_variables:
            raise AttributeError(name)
        return getattr(self.monitor, name)[self.rows]

    @property
    def t(self):
        return self.monitor.t
