"""External spike sources, one class per kind.

============================  ===========  ====================================================
class                         ``kind``     spikes
============================  ===========  ====================================================
:class:`SpikeTrain`           ``train``    at given absolute steps (e.g. the ring's kick-start)
:class:`DataSource`           ``data``     per sample, from a 0/1 vector the run supplies
:class:`PatternSource`        ``pattern``  at fixed phases of every sample (the reward channel)
:class:`PoissonSource`        ``poisson``  at a rate (Brian2 backend only)
============================  ===========  ====================================================

All share :class:`SpikeSource` (``name``, ``size``).  :meth:`Circuit.add_source
<pulsegated.circuit.Circuit.add_source>` takes a source object or the keyword forms
``steps=``/``indices=``, ``data_phase=``, ``phases=``, ``rate=`` (see :func:`source_from_keywords`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pulsegated.circuit.errors import CircuitError, check_int, check_name

__all__ = ["SpikeSource", "SpikeTrain", "DataSource", "PatternSource", "PoissonSource",
           "source_from_keywords"]


@dataclass(frozen=True)
class SpikeSource:
    """Base of external spike sources: ``size`` neurons named ``name``.

    Subclasses set the class attribute ``kind`` and implement :meth:`validate_kind`.
    """

    name: str
    size: int = 1

    kind = "source"
    #: noun used in messages ("the loihi backend cannot run PoissonSource sources ...")
    element_kind = "sources"

    def validate(self, n_phases: int | None) -> None:
        """Check the source; ``n_phases`` is the circuit's schedule length (None: no schedule)."""
        owner = f"source {self.name!r}"
        check_name(owner, self.name)
        check_int(owner, "size", self.size, 1)
        self.validate_kind(owner, n_phases)

    def validate_kind(self, owner: str, n_phases: int | None) -> None:
        """Check the fields of the kind."""


def _need_schedule(owner: str, n_phases: int | None) -> None:
    if n_phases is None:
        raise CircuitError(f"{owner}: phase-timed sources need a Schedule in the circuit")


def _span(values) -> str:
    return f"{len(values)} spike(s)" + (f" in steps [{min(values)}, {max(values)}]"
                                        if values else "")


@dataclass(frozen=True, repr=False)
class SpikeTrain(SpikeSource):
    """Spikes at absolute steps: neuron ``indices[k]`` spikes at step ``steps[k]``.

    ``indices`` empty means neuron 0 for every spike.
    """

    steps: tuple = ()
    indices: tuple = ()
    kind = "train"

    def validate_kind(self, owner: str, n_phases: int | None) -> None:
        if not self.steps:
            raise CircuitError(f"{owner}: a spike train needs at least one step")
        for s in self.steps:
            check_int(owner, "step", s, 0)
        if self.indices and len(self.indices) != len(self.steps):
            raise CircuitError(f"{owner}: indices ({len(self.indices)}) and steps "
                               f"({len(self.steps)}) differ in length")
        for i in self.indices:
            check_int(owner, "index", i, 0, self.size - 1)

    def __repr__(self) -> str:
        return f"SpikeTrain({self.name!r}, size={self.size}, {_span(self.steps)})"


@dataclass(frozen=True)
class DataSource(SpikeSource):
    """Per sample the run supplies a 0/1 vector of length ``size``; neuron ``i`` spikes at phase
    ``data_phase`` of the sample iff its entry is 1."""

    data_phase: int = 0
    kind = "data"

    def validate_kind(self, owner: str, n_phases: int | None) -> None:
        _need_schedule(owner, n_phases)
        check_int(owner, "data_phase", self.data_phase, 0, n_phases - 1)


@dataclass(frozen=True)
class PatternSource(SpikeSource):
    """Every neuron spikes at these phases of every sample (the reward channel)."""

    phases: tuple = ()
    kind = "pattern"

    def validate_kind(self, owner: str, n_phases: int | None) -> None:
        if not self.phases:
            raise CircuitError(f"{owner}: a pattern source needs at least one phase")
        _need_schedule(owner, n_phases)
        for p in self.phases:
            check_int(owner, "phase", p, 0, n_phases - 1)


@dataclass(frozen=True)
class PoissonSource(SpikeSource):
    """Poisson spikes at ``rate`` (a Brian2 quantity in Hz, or an expression string)."""

    rate: object = None
    kind = "poisson"

    def validate_kind(self, owner: str, n_phases: int | None) -> None:
        if self.rate is None:
            raise CircuitError(f"{owner}: a Poisson source needs a rate")


_KEYWORDS = {"steps": SpikeTrain, "data_phase": DataSource, "phases": PatternSource,
             "rate": PoissonSource}


def source_from_keywords(name: str, size: int = 1, **kwargs) -> SpikeSource:
    """The source the keyword form names: exactly one of ``steps`` (with optional ``indices``),
    ``data_phase``, ``phases``, ``rate``."""
    owner = f"source {name!r}"
    unknown = set(kwargs) - set(_KEYWORDS) - {"indices"}
    if unknown:
        raise CircuitError(f"{owner}: unknown source field(s) {', '.join(sorted(unknown))}; "
                           f"give exactly one of data_phase, phases, steps, rate")
    given = [k for k in _KEYWORDS if kwargs.get(k) not in (None, ())]
    if len(given) != 1:
        raise CircuitError(f"{owner}: give exactly one of data_phase, phases, steps, rate")
    if "indices" in kwargs and given[0] != "steps":
        raise CircuitError(f"{owner}: indices belong to a spike train (steps=)")
    fields = {k: tuple(v) if k in ("steps", "indices", "phases") else v
              for k, v in kwargs.items()}
    return _KEYWORDS[given[0]](name, size, **fields)
