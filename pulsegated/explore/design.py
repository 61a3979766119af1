"""Designs of a parameter sweep: which points (parameter values) to run.

* :class:`Grid`: every combination of listed values.
* :class:`RandomDesign`: independent uniform draws in :class:`Range` s (optionally log-uniform
  or integer).
* :class:`LatinHypercube`: a Latin-hypercube sample (:class:`scipy.stats.qmc.LatinHypercube`)
  of the same ranges: each of ``samples`` equal strata of every range holds exactly one point.
* ``design_a + design_b``: the points of both (:class:`Union`), e.g. one-at-a-time sweeps.

A design produces plain dicts ``{name: value}`` with JSON-safe values (int, float, str, bool);
:meth:`Design.to_dict` is its description in the sweep specification (and a TOML table).
Bad input raises :class:`~pulsegated.errors.UsageError` naming the argument.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

from pulsegated.errors import UsageError

__all__ = ["Design", "Grid", "Range", "RandomDesign", "LatinHypercube", "Union",
           "design_from_dict"]

_SCALARS = (bool, int, float, str)


def _plain(value, where: str):
    """``value`` as a JSON-safe scalar (numpy scalars become Python numbers)."""
    if hasattr(value, "item") and type(value) not in _SCALARS:  # numpy scalars
        value = value.item()
    if not isinstance(value, _SCALARS):
        raise UsageError(f"{where}: values are numbers, strings or booleans, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(f"{where}: values must be finite, got {value!r}")
    return value


class Design(ABC):
    """Base of the designs: an ordered list of points over named parameters (a subclass
    defines ``names``, ``points`` and ``to_dict``)."""

    #: the ``kind`` of the design in a specification
    kind = ""

    @property
    @abstractmethod
    def names(self) -> tuple:
        """Names of the parameters the design sets."""

    @abstractmethod
    def points(self) -> list:
        """The points, a list of ``{name: value}`` dicts, in a fixed order."""

    @abstractmethod
    def to_dict(self) -> dict:
        """JSON / TOML description (:func:`design_from_dict` reads it back)."""

    def __len__(self) -> int:
        return len(self.points())

    def __add__(self, other: "Design") -> "Union":
        if not isinstance(other, Design):
            return NotImplemented
        return Union([*(self.parts if isinstance(self, Union) else [self]),
                      *(other.parts if isinstance(other, Union) else [other])])


class Grid(Design):
    """Every combination of the listed values (the last parameter varies fastest).

    Parameters
    ----------
    axes : dict, optional
        ``{name: sequence of values}``; keyword arguments add more.

    Examples
    --------
    >>> len(Grid(coupling=[0.9, 1.0, 1.1], jitter_ms=[0, 0.1]))
    6
    """

    kind = "grid"

    def __init__(self, axes: dict | None = None, **more):
        axes = {**(axes or {}), **more}
        if not axes:
            raise UsageError("design: a grid needs at least one parameter")
        self.axes = {}
        for name, values in axes.items():
            where = f"design parameter {name!r}"
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                values = [values]
            values = [_plain(v, where) for v in values]
            if not values:
                raise UsageError(f"{where}: empty list of values")
            if len(set(map(repr, values))) != len(values):
                raise UsageError(f"{where}: repeated values {values}")
            self.axes[str(name)] = values

    @property
    def names(self) -> tuple:
        return tuple(self.axes)

    def points(self) -> list:
        names = list(self.axes)
        return [dict(zip(names, combo)) for combo in itertools.product(*self.axes.values())]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "parameters": {k: list(v) for k, v in self.axes.items()}}


@dataclass(frozen=True)
class Range:
    """A continuous (or integer) range ``[low, high]`` sampled by random and LHS designs.

    Parameters
    ----------
    low, high : float
        Bounds, ``low < high``.
    log : bool
        Uniform in ``log(value)`` (both bounds positive).
    integer : bool
        Round to integers (``low`` and ``high`` included).
    """

    low: float
    high: float
    log: bool = False
    integer: bool = False

    def check(self, name: str) -> None:
        where = f"design parameter {name!r}"
        for b in (self.low, self.high):
            if isinstance(b, bool) or not isinstance(b, (int, float)) or not math.isfinite(b):
                raise UsageError(f"{where}: bounds are finite numbers, got {self.low!r}, "
                                 f"{self.high!r}")
        if not self.low < self.high:
            raise UsageError(f"{where}: empty range [{self.low}, {self.high}] (low < high needed)")
        if self.log and self.low <= 0:
            raise UsageError(f"{where}: a log range needs positive bounds, got low = {self.low}")

    def scale(self, u: float):
        """The value at the fraction ``u`` in [0, 1) of the range."""
        if self.integer:  # equal strata of the integers low..high
            lo, hi = math.ceil(self.low), math.floor(self.high)
            if self.log:
                return int(min(hi, math.floor(math.exp(math.log(lo) + u * (math.log(hi + 1)
                                                                          - math.log(lo))))))
            return int(min(hi, lo + math.floor(u * (hi - lo + 1))))
        if self.log:
            return float(math.exp(math.log(self.low) + u * (math.log(self.high)
                                                           - math.log(self.low))))
        return float(self.low + u * (self.high - self.low))

    def to_dict(self) -> dict:
        out = {"low": self.low, "high": self.high}
        if self.log:
            out["log"] = True
        if self.integer:
            out["integer"] = True
        return out


def _ranges(ranges: dict) -> dict:
    if not ranges:
        raise UsageError("design: a sampled design needs at least one parameter range")
    out = {}
    for name, r in ranges.items():
        if isinstance(r, dict):
            unknown = set(r) - {"low", "high", "log", "integer"}
            if unknown or not {"low", "high"} <= set(r):
                raise UsageError(f"design parameter {name!r}: a range is {{low, high[, log, "
                                 f"integer]}}, got {r!r}")
            r = Range(**r)
        elif isinstance(r, (tuple, list)) and len(r) == 2:
            r = Range(*r)
        elif not isinstance(r, Range):
            raise UsageError(f"design parameter {name!r}: a range is (low, high) or "
                             f"Range(low, high), got {r!r}")
        r.check(name)
        out[str(name)] = r
    return out


class _Sampled(Design):
    """A design of ``samples`` points drawn in the unit cube (``unit_sample``) and scaled to the
    ranges."""

    def __init__(self, ranges: dict | None = None, samples: int = 10, seed: int = 0, **more):
        self.ranges = _ranges({**(ranges or {}), **more})
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise UsageError(f"design: samples must be a positive integer, got {samples!r}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise UsageError(f"design: seed must be an integer, got {seed!r}")
        self.samples, self.seed = samples, seed

    @property
    def names(self) -> tuple:
        return tuple(self.ranges)

    @abstractmethod
    def unit_sample(self):
        """``(samples, parameters)`` array of fractions in [0, 1)."""

    def points(self) -> list:
        u = self.unit_sample()
        return [{name: r.scale(float(u[i, j])) for j, (name, r) in enumerate(self.ranges.items())}
                for i in range(self.samples)]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "samples": self.samples, "seed": self.seed,
                "parameters": {k: r.to_dict() for k, r in self.ranges.items()}}


class RandomDesign(_Sampled):
    """Independent uniform draws in each range.

    Parameters
    ----------
    ranges : dict
        ``{name: Range or (low, high)}``; keyword arguments add more.
    samples : int
        Number of points.
    seed : int
        Seed of the draws (the same seed gives the same points).
    """

    kind = "random"

    def unit_sample(self):
        import numpy as np

        return np.random.default_rng(self.seed).random((self.samples, len(self.ranges)))


class LatinHypercube(_Sampled):
    """Latin-hypercube sample: every range cut into ``samples`` equal strata, one point in each.

    Parameters
    ----------
    ranges : dict
        ``{name: Range or (low, high)}``; keyword arguments add more.
    samples : int
        Number of points (and of strata per range).
    seed : int
        Seed of :class:`scipy.stats.qmc.LatinHypercube`.
    """

    kind = "lhs"

    def unit_sample(self):
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=len(self.ranges), rng=self.seed).random(self.samples)


class Union(Design):
    """The points of several designs in turn, repeated points once.

    Parameters the parts do not share take the study's defaults (filled in by the sweep), so
    one-at-a-time sweeps that meet at the default point run it once.
    """

    kind = "union"

    def __init__(self, parts):
        self.parts = list(parts)
        if not self.parts:
            raise UsageError("design: an empty list of designs")

    @property
    def names(self) -> tuple:
        return tuple(dict.fromkeys(n for d in self.parts for n in d.names))

    def points(self) -> list:
        return [p for d in self.parts for p in d.points()]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "parts": [d.to_dict() for d in self.parts]}


_KINDS = {"grid": Grid, "random": RandomDesign, "lhs": LatinHypercube}


def design_from_dict(d) -> Design:
    """The design described by ``d`` (a :meth:`Design.to_dict`, a TOML table or a list of them).

    ``{"kind": "grid", "parameters": {name: [values]}}``,
    ``{"kind": "random" | "lhs", "samples": n, "seed": s, "parameters": {name: {"low", "high"}}}``,
    or a list of those (a :class:`Union`).
    """
    if isinstance(d, (list, tuple)):
        return Union([design_from_dict(x) for x in d])
    if isinstance(d, Design):
        return d
    if not isinstance(d, dict):
        raise UsageError(f"design: a table (kind, parameters), got {d!r}")
    if d.get("kind") == "union":
        return Union([design_from_dict(x) for x in d.get("parts", [])])
    kind = d.get("kind", "grid")
    if kind not in _KINDS:
        raise UsageError(f"design: kind is one of {sorted(_KINDS)}, got {kind!r}")
    params = d.get("parameters")
    if not isinstance(params, dict) or not params:
        raise UsageError("design: 'parameters' must name at least one parameter")
    allowed = {"kind", "parameters"} | ({"samples", "seed"} if kind != "grid" else set())
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise UsageError(f"design ({kind}): unknown keys {unknown}; expected {sorted(allowed)}")
    if kind == "grid":
        return Grid(params)
    return _KINDS[kind](params, samples=d.get("samples", 10), seed=d.get("seed", 0))
