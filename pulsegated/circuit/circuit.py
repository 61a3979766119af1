"""The :class:`Circuit`: populations, sources, connections, schedule, and their validation.

A :class:`Circuit` is plain data: populations of neurons, connections between them, external spike
sources, an optional gating ring with its phase schedule, and the plasticity rules of plastic
connections.  Algorithms (the nBP circuit, chains, graded backprop) build circuits; backends
(Brian2, the Loihi integer emulator) turn them into something that runs.  Nothing here imports a
simulator.

Time is counted in integer *steps* of ``Circuit.dt``.  A spike emitted at step ``t`` by a neuron or a
source arrives at its targets at step ``t + 1 + delay``.

Every element validates itself (:meth:`Population.validate`, :meth:`SpikeSource.validate`,
:meth:`Plasticity.validate`, ...); the circuit checks what ties them together (names, sizes,
shapes).  Only what holds on every backend is checked here: each backend refuses, before it runs,
elements it has no build function for and values its hardware cannot hold.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from pulsegated.circuit import weights as _weights
from pulsegated.circuit.connections import CONNECTION_PATTERNS, Connection
from pulsegated.circuit.errors import CircuitError, check_int, short_array
from pulsegated.circuit.neurons import LoihiCompartment
from pulsegated.circuit.plasticity import Plasticity
from pulsegated.circuit.populations import Population
from pulsegated.circuit.schedule import Schedule
from pulsegated.circuit.sources import SpikeSource, source_from_keywords

__all__ = ["Circuit", "as_int_matrix"]


@dataclass
class Circuit:
    """A complete backend-neutral circuit.

    Build it with :meth:`add_population`, :meth:`add_source`, :meth:`connect`; call
    :meth:`validate` (backends do) before running.
    """

    name: str = "circuit"
    dt: object = None  # Brian2 quantity; None means one chip step of 1 ms
    populations: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    connections: dict = field(default_factory=dict)
    schedule: Schedule | None = None
    activity: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    # -- building ---------------------------------------------------------------------------
    def add_population(self, name: str, size: int, model=None, role: str = "") -> Population:
        if name in self.populations or name in self.sources:
            raise CircuitError(f"duplicate name {name!r}: populations and sources share one namespace")
        pop = Population(name, size, model if model is not None else LoihiCompartment(), role)
        pop.validate()
        self.populations[name] = pop
        return pop

    def add_source(self, name, size: int = 1, **kwargs) -> SpikeSource:
        """Add an external spike source.

        Parameters
        ----------
        name : str or SpikeSource
            A source object (:class:`~pulsegated.circuit.SpikeTrain`,
            :class:`~pulsegated.circuit.DataSource`, ...), or the name of a source given by
            keywords.
        size : int
            Number of source neurons (keyword form).
        **kwargs
            Exactly one of ``steps`` (with optional ``indices``), ``data_phase``, ``phases``,
            ``rate``: a spike train, data, pattern or Poisson source.
        """
        if isinstance(name, SpikeSource):
            if kwargs or size != 1:
                raise CircuitError(f"source {name.name!r}: give a source object or keywords, "
                                   f"not both")
            src = name
        else:
            src = source_from_keywords(name, size, **kwargs)
        if src.name in self.populations or src.name in self.sources:
            raise CircuitError(f"duplicate name {src.name!r}: populations and sources share one "
                               f"namespace")
        self.sources[src.name] = src
        return src

    def connect(self, pre: str, post: str, pattern: str, weight, delay: int = 0,
                plasticity=None, name: str | None = None, sign: int = 1,
                copy_of: str | None = None, target: str | None = None,
                weight_exp: int | None = None, sign_mode: str | None = None) -> Connection:
        """Add a connection (validated at once against what the circuit already holds).

        The arguments are the fields of :class:`Connection`.
        """
        if name is None:
            base = f"{pre}__{post}"
            name, k = base, 1
            while name in self.connections:
                k += 1
                name = f"{base}_{k}"
        elif name in self.connections:
            raise CircuitError(f"duplicate connection name {name!r}")
        if isinstance(weight, np.ndarray):
            weight = weight.copy()
            weight.setflags(write=False)
        conn = Connection(pre, post, pattern, weight, delay, plasticity, name, sign, copy_of,
                          target, weight_exp, sign_mode)
        self._validate_connection(conn)
        self.connections[name] = conn
        return conn

    # -- queries ----------------------------------------------------------------------------
    def size_of(self, name: str) -> int:
        if name in self.populations:
            return self.populations[name].size
        if name in self.sources:
            return self.sources[name].size
        raise CircuitError(f"unknown population or source {name!r}")

    @property
    def n_neurons(self) -> int:
        return sum(p.size for p in self.populations.values())

    def n_synapses(self, plastic: bool | None = None) -> int:
        total = 0
        for c in self.connections.values():
            if plastic is not None and c.plastic != plastic:
                continue
            n_pre, n_post = self.size_of(c.pre), self.size_of(c.post)
            total += {"one_to_one": n_post, "one_to_all": n_post,
                      "all_to_all": n_pre * n_post}[c.pattern]
        return total

    def incoming(self, post: str) -> list:
        return [c for c in self.connections.values() if c.post == post]

    def outgoing(self, pre: str) -> list:
        return [c for c in self.connections.values() if c.pre == pre]

    def synapse_values(self, conn: Connection | str, values=None) -> np.ndarray:
        """``values`` (default: the connection's weights) broadcast to one entry per synapse.

        Shape ``(pre.size, post.size)`` for ``all_to_all``, ``(post.size,)`` otherwise.
        """
        if isinstance(conn, str):
            conn = self.connections[conn]
        n_pre, n_post = self.size_of(conn.pre), self.size_of(conn.post)
        w = np.asarray(conn.weight if values is None else values)
        shape = (n_pre, n_post) if conn.pattern == "all_to_all" else (n_post,)
        return np.broadcast_to(w, shape)

    def weight_matrix(self, conn: Connection | str, values=None) -> np.ndarray:
        """Dense ``(pre.size, post.size)`` weight matrix of a connection (zeros where none).

        The connection's ``weight`` as described (mantissas when ``weight_exp`` is set; see
        :meth:`effective_weight_matrix`), or ``values`` of the same shape placed likewise.
        """
        if isinstance(conn, str):
            conn = self.connections[conn]
        n_pre, n_post = self.size_of(conn.pre), self.size_of(conn.post)
        w = self.synapse_values(conn, values)
        dtype = np.int64 if np.issubdtype(w.dtype, np.integer) else np.float64
        if conn.pattern == "all_to_all":
            return w.astype(dtype)
        out = np.zeros((n_pre, n_post), dtype=dtype)
        if conn.pattern == "one_to_one":
            out[np.arange(n_post), np.arange(n_post)] = w
        else:
            out[0, :] = w
        return out

    def weight_registers(self, conn: Connection | str):
        """The chip's mantissas, exponent and sign mode of a connection onto Loihi compartments.

        Returns a :class:`~pulsegated.circuit.weights.Quantized` over the synapses (shape of
        :meth:`synapse_values`).  Raises :class:`~pulsegated.circuit.weights.WeightError` for
        integer weights no exponent holds exactly.
        """
        if isinstance(conn, str):
            conn = self.connections[conn]
        owner = f"connection {conn.name!r} ({conn.pre} -> {conn.post})"
        return _weights.connection_registers(self.synapse_values(conn), conn.weight_exp,
                                             conn.plastic, owner, conn.sign_mode)

    def effective_weight_matrix(self, conn: Connection | str) -> np.ndarray:
        """Dense matrix of the weights a spike delivers, in the description's units.

        For Loihi targets: integer threshold units, ``floor(M * 2**weight_exp)`` (float weights
        quantized as the backends do; integer weights without ``weight_exp`` as given).  For
        equation-neuron targets: :meth:`weight_matrix`.
        """
        if isinstance(conn, str):
            conn = self.connections[conn]
        w = np.asarray(conn.weight)
        if (not isinstance(self.populations[conn.post].model, LoihiCompartment)
                or (conn.weight_exp is None and not conn.plastic
                    and np.issubdtype(w.dtype, np.integer))):
            return self.weight_matrix(conn)
        return self.weight_matrix(conn, self.weight_registers(conn).effective)

    def is_loihi(self) -> bool:
        """True when every population is a :class:`LoihiCompartment` (integer circuit)."""
        return all(isinstance(p.model, LoihiCompartment) for p in self.populations.values())

    # -- validation -------------------------------------------------------------------------
    def _validate_connection(self, c: Connection) -> None:
        owner = f"connection {c.name!r} ({c.pre} -> {c.post})"
        if c.pre not in self.populations and c.pre not in self.sources:
            raise CircuitError(f"{owner}: unknown presynaptic population or source {c.pre!r}")
        if c.post not in self.populations:
            what = "a source cannot be a target" if c.post in self.sources else "unknown population"
            raise CircuitError(f"{owner}: {what} {c.post!r}")
        if c.pattern not in CONNECTION_PATTERNS:
            raise CircuitError(f"{owner}: pattern must be one of {CONNECTION_PATTERNS}, "
                               f"got {c.pattern!r}")
        n_pre, n_post = self.size_of(c.pre), self.size_of(c.post)
        if c.pattern == "one_to_one" and n_pre != n_post:
            raise CircuitError(f"{owner}: one_to_one needs equal sizes, got {n_pre} -> {n_post}")
        if c.pattern == "one_to_all" and n_pre != 1:
            raise CircuitError(f"{owner}: one_to_all needs a presynaptic size of 1, got {n_pre}")
        check_int(owner, "delay", c.delay, 0)
        if c.sign not in (-1, 1):
            raise CircuitError(f"{owner}: sign must be +1 or -1")
        if c.sign_mode is not None:
            if c.sign_mode not in _weights.SIGN_MODES:
                raise CircuitError(f"{owner}: sign_mode must be one of "
                                   f"{', '.join(_weights.SIGN_MODES)} or None, got "
                                   f"{c.sign_mode!r}")
            if c.weight_exp is None or c.plastic:
                raise CircuitError(f"{owner}: sign_mode applies to static connections whose "
                                   f"weights are mantissas (weight_exp set)")
        w = np.asarray(c.weight)
        if (w.dtype == object or not np.issubdtype(w.dtype, np.number)
                or np.issubdtype(w.dtype, np.complexfloating)):
            raise CircuitError(f"{owner}: weight must be real numbers, got dtype {w.dtype}")
        if np.issubdtype(w.dtype, np.floating) and not np.all(np.isfinite(w)):
            raise CircuitError(f"{owner}: weights must be finite, got "
                               f"{int(np.count_nonzero(~np.isfinite(w)))} NaN or infinite value(s)")
        expected = {"all_to_all": [(), (n_pre, n_post)], "one_to_one": [(), (n_post,)],
                    "one_to_all": [(), (n_post,)]}[c.pattern]
        if w.shape not in expected:
            raise CircuitError(f"{owner}: weight shape {w.shape} does not fit pattern {c.pattern} "
                               f"(expected a scalar or {expected[1]})")
        self.populations[c.post].model.validate_incoming(c, w, owner)
        if c.plasticity is not None:
            if not isinstance(c.plasticity, Plasticity):
                raise CircuitError(f"{owner}: plasticity must be a Plasticity rule "
                                   f"(SumOfProducts, GatedTraceHebbian, EquationSynapse, ...), "
                                   f"got {type(c.plasticity).__name__}")
            c.plasticity.validate(owner)
            c.plasticity.validate_in(self, c, owner)
        if c.copy_of is not None and c.copy_of not in self.connections:
            raise CircuitError(f"{owner}: copy_of names unknown connection {c.copy_of!r}")

    def validate(self) -> "Circuit":
        """Check the whole circuit; raise :class:`CircuitError` naming the first problem."""
        if not self.populations:
            raise CircuitError(f"circuit {self.name!r} has no populations")
        n_phases = None
        if self.schedule is not None:
            self.schedule.validate()
            n_phases = self.schedule.n_phases
            for g in self.schedule.ring:
                if g not in self.populations:
                    raise CircuitError(f"schedule: ring gate {g!r} is not a population")
                if self.populations[g].size != 1:
                    raise CircuitError(f"schedule: ring gate {g!r} must have size 1")
            if self.schedule.kick is not None and self.schedule.kick not in self.sources:
                raise CircuitError(f"schedule: kick source {self.schedule.kick!r} is unknown")
        for p in self.populations.values():
            p.validate()
        for s in self.sources.values():
            s.validate(n_phases)
        for c in self.connections.values():
            self._validate_connection(c)
        for pop, phases in self.activity.items():
            if pop not in self.populations:
                raise CircuitError(f"activity table names unknown population {pop!r}")
            if n_phases is not None and any(not 0 <= p < n_phases for p in phases):
                raise CircuitError(f"activity table: phases of {pop!r} out of range")
        return self

    def replace_weights(self, weights: Mapping[str, np.ndarray]) -> "Circuit":
        """A copy of the circuit with new weights for the named connections (validated)."""
        new = dataclasses.replace(self, connections=dict(self.connections))
        for name, w in weights.items():
            if name not in new.connections:
                raise CircuitError(f"replace_weights: unknown connection {name!r}")
            c = new.connections[name]
            w = np.array(w)
            w.setflags(write=False)
            new.connections[name] = dataclasses.replace(c, weight=w)
            new._validate_connection(new.connections[name])
        return new

    def elements(self):
        """``(element, where)`` of every element a backend builds by type: each population's
        neuron model, each source, each connection's plasticity rule."""
        for p in self.populations.values():
            yield p.model, f"population {p.name!r}"
        for s in self.sources.values():
            yield s, f"source {s.name!r}"
        for c in self.connections.values():
            if c.plasticity is not None:
                yield c.plasticity, f"connection {c.name!r}"

    # -- display ----------------------------------------------------------------------------
    def summary(self) -> str:
        """The short :func:`repr` and one line per population."""
        lines = [repr(self)]
        for p in self.populations.values():
            lines.append(f"  {p.name:<10} {p.size:>5}  {p.role}")
        return "\n".join(lines)

    def _dt_text(self) -> str:
        return "1 step (1 ms)" if self.dt is None else str(self.dt)

    def __repr__(self) -> str:
        phases = "" if self.schedule is None else f", {self.schedule.n_phases} phases"
        return (f"<Circuit {self.name!r}: {len(self.populations)} populations "
                f"({self.n_neurons} neurons), {len(self.sources)} sources, "
                f"{len(self.connections)} connections ({self.n_synapses(plastic=True)} plastic "
                f"synapses), dt={self._dt_text()}{phases}>")

    def _repr_html_(self) -> str:
        """Tables of populations, sources and connections (shown by Jupyter)."""
        e = html.escape

        def table(head, rows):
            out = ["<table>", "<tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>"]
            out += ["<tr>" + "".join(f"<td>{e(str(x))}</td>" for x in row) + "</tr>"
                    for row in rows]
            return "\n".join(out + ["</table>"])

        def model_name(m):
            return type(m).__name__

        pops = [(p.name, p.size, model_name(p.model), p.role) for p in self.populations.values()]
        srcs = [(s.name, s.size, s.kind) for s in self.sources.values()]
        conns = [(c.name, f"{c.pre} \u2192 {c.post}", c.pattern, short_array(c.weight), c.delay,
                  "" if c.plasticity is None else type(c.plasticity).__name__)
                 for c in self.connections.values()]
        parts = [f"<p><b>{e(repr(self))}</b></p>",
                 "<p>Populations</p>", table(("name", "size", "model", "role"), pops)]
        if srcs:
            parts += ["<p>Sources</p>", table(("name", "size", "kind"), srcs)]
        parts += ["<p>Connections</p>",
                  table(("name", "pre \u2192 post", "pattern", "weight", "delay", "plasticity"),
                        conns)]
        return "<div>" + "\n".join(parts) + "</div>"


def as_int_matrix(w: Sequence, shape: tuple, what: str) -> np.ndarray:
    """Validate a user-supplied integer weight matrix; return it as int64."""
    a = np.asarray(w)
    if a.shape != shape:
        raise CircuitError(f"{what}: expected shape {shape}, got {a.shape}")
    if not np.issubdtype(a.dtype, np.integer):
        raise CircuitError(f"{what}: expected an integer array, got dtype {a.dtype}")
    return a.astype(np.int64)
