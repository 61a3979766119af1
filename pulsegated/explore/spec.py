"""The specification of a sweep: study, design, fixed parameters, seeds; checked before running.

:class:`SweepSpec` is what a result store belongs to (its :meth:`~SweepSpec.fingerprint`), what a
TOML file describes (:func:`load_spec`) and what :func:`plan` turns into jobs after checking every
name against the study.  A TOML specification::

    study = "graded_chain"         # a registered study or "module:attribute"
    seeds = [0, 1, 2]              # or: repeats = 3 (seeds 0, 1, 2)

    [fixed]                        # parameters held for every point
    n = 200

    [design]                       # or [[design]] tables, one after the other (a union)
    kind = "grid"                  # grid | random | lhs
    [design.parameters]
    coupling = [0.9, 1.0, 1.1]     # grid: values; random / lhs: {low = 0, high = 0.5}
    jitter_ms = [0.0, 0.1, 0.2]
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from pulsegated.errors import UsageError
from pulsegated.explore.design import Design, _plain, design_from_dict

__all__ = ["SweepSpec", "Job", "Plan", "load_spec", "plan", "point_key", "config_key"]


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def config_key(config: dict) -> str:
    """The key of a set-up configuration (canonical JSON)."""
    return _canonical(config)


def point_key(params: dict, seed: int) -> str:
    """The store key of a point: its swept values and seed as canonical JSON."""
    return _canonical({"params": params, "seed": seed})


@dataclass(frozen=True)
class SweepSpec:
    """Study, design, fixed parameters and seeds of a sweep.

    Parameters
    ----------
    study : str
        Registered name or ``"module:attribute"`` (see :mod:`pulsegated.explore.study`).
    design : Design
    fixed : dict
        ``{name: value}`` held for every point.
    seeds : tuple of int
        Every point runs once per seed.
    """

    study: str
    design: Design
    fixed: dict = field(default_factory=dict)
    seeds: tuple = (0,)

    def to_dict(self) -> dict:
        """JSON description, stored with the results."""
        return {"study": self.study, "design": self.design.to_dict(), "fixed": dict(self.fixed),
                "seeds": list(self.seeds)}

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON description: equal specs, equal fingerprints."""
        return hashlib.sha256(_canonical(self.to_dict()).encode()).hexdigest()

    @classmethod
    def from_dict(cls, d: dict, where: str = "specification") -> "SweepSpec":
        """Read ``{"study", "design", "fixed", "seeds" | "repeats"}`` (a parsed TOML file)."""
        if not isinstance(d, dict):
            raise UsageError(f"{where}: a table of study, design, fixed, seeds")
        allowed = {"study", "design", "fixed", "seeds", "repeats", "description"}
        unknown = sorted(set(d) - allowed)
        if unknown:
            raise UsageError(f"{where}: unknown keys {unknown}; expected {sorted(allowed)}")
        if "study" not in d or not isinstance(d["study"], str):
            raise UsageError(f"{where}: 'study' (the name of a registered study) is required")
        if "design" not in d:
            raise UsageError(f"{where}: a [design] table is required")
        if "seeds" in d and "repeats" in d:
            raise UsageError(f"{where}: give 'seeds' or 'repeats', not both")
        if "repeats" in d:
            r = d["repeats"]
            if isinstance(r, bool) or not isinstance(r, int) or r < 1:
                raise UsageError(f"{where}: repeats must be a positive integer, got {r!r}")
            seeds = tuple(range(r))
        else:
            seeds = d.get("seeds", [0])
        fixed = d.get("fixed", {})
        if not isinstance(fixed, dict):
            raise UsageError(f"{where}: [fixed] must be a table of parameter values")
        return cls(d["study"], design_from_dict(d["design"]), fixed, check_seeds(seeds))


def check_seeds(seeds) -> tuple:
    """``seeds`` as a tuple of distinct ints; :class:`UsageError` naming ``seeds`` otherwise."""
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = [seeds]
    try:
        seeds = list(seeds)
    except TypeError:
        raise UsageError(f"seeds: a list of integers, got {seeds!r}") from None
    if not seeds:
        raise UsageError("seeds: empty list (every point runs once per seed)")
    out = []
    for s in seeds:
        if hasattr(s, "item") and not isinstance(s, (int, float)):
            s = s.item()
        if isinstance(s, bool) or not isinstance(s, int):
            raise UsageError(f"seeds: integers only, got {s!r}")
        out.append(int(s))
    if len(set(out)) != len(out):
        raise UsageError(f"seeds: repeated seeds in {out}")
    return tuple(out)


def load_spec(path) -> SweepSpec:
    """Read a TOML specification (see the module docstring)."""
    import tomllib

    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise UsageError(f"SPEC: no such file {path}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"SPEC: {path} is not valid TOML ({e})") from None
    return SweepSpec.from_dict(data, where=f"SPEC {path}")


@dataclass(frozen=True)
class Job:
    """One point and seed to run."""

    key: str        #: store key (:func:`point_key`)
    index: int      #: position in the sweep
    params: dict    #: the swept values
    seed: int
    config: dict    #: what the study's ``setup`` receives (shared by points of one structure)
    point: dict     #: what the study's ``run`` receives (every parameter and ``seed``)


@dataclass(frozen=True)
class Plan:
    """A checked sweep: its specification, the study's name and the jobs in order."""

    spec: SweepSpec
    study_ref: str
    jobs: tuple
    names: tuple    #: the swept parameter names (result columns)
    prepare: bool = False   #: the study has a ``prepare`` step (run once per configuration)


def plan(study, design, fixed=None, seeds=(0,)) -> Plan:
    """Check a sweep against its study and list its jobs; nothing runs.

    Parameters
    ----------
    study : str, class or function
        See :func:`~pulsegated.explore.study.resolve_study`.
    design : Design or dict or list
        A design or its description (:func:`~pulsegated.explore.design.design_from_dict`).
    fixed : dict, optional
    seeds : sequence of int

    Raises
    ------
    UsageError
        Unknown study or parameter name (in ``design`` or ``fixed``), a name both swept and
        fixed, a required parameter not set, ``seed`` set as a parameter, bad seeds, an empty
        design.
    """
    from pulsegated.explore.study import REQUIRED, resolve_study

    ref, inst = resolve_study(study)
    design = design_from_dict(design) if not isinstance(design, Design) else design
    fixed = {} if fixed is None else fixed
    if not isinstance(fixed, dict):
        raise UsageError(f"fixed: a dict of parameter values, got {fixed!r}")
    fixed = {str(k): _fixed_value(k, v) for k, v in fixed.items()}
    seeds = check_seeds(seeds)
    params = dict(inst.parameters or {})
    open_ = inst.parameters is None or getattr(inst, "open", False)
    names = design.names
    for where, given in (("design", names), ("fixed", tuple(fixed))):
        if "seed" in given:
            raise UsageError(f"{where}: 'seed' is not a parameter; give seeds (or repeats)")
        unknown = [n for n in given if n not in params]
        if unknown and not open_:
            raise UsageError(f"{where}: unknown parameter {', '.join(map(repr, unknown))} of "
                             f"study {ref!r}; its parameters: {', '.join(params) or 'none'}")
    both = sorted(set(names) & set(fixed))
    if both:
        raise UsageError(f"fixed: {both} also swept by the design; give them in one place")
    missing = [n for n, v in params.items()
               if v is REQUIRED and n not in names and n not in fixed]
    if missing:
        raise UsageError(f"fixed: study {ref!r} needs a value for {missing}")
    structural = set(getattr(inst, "structural", ()) or ())
    base = {**{k: v for k, v in params.items() if v is not REQUIRED}, **fixed}
    seen, jobs = set(), []
    for raw in design.points():
        missing = [n for n in names if n not in raw and params.get(n, REQUIRED) is REQUIRED]
        if missing:  # a union whose parts set different names, with no default to fill in
            raise UsageError(f"design: {missing} set by some parts only and study {ref!r} "
                             "has no default for them")
        point = {n: raw.get(n, params.get(n)) for n in names}
        if point_key(point, 0) in seen:
            continue
        seen.add(point_key(point, 0))
        full = {**base, **point}
        config = {k: v for k, v in full.items() if k not in names or k in structural}
        for s in seeds:
            jobs.append(Job(point_key(point, s), len(jobs), point, s, config,
                            {**full, "seed": s}))
    if not jobs:
        raise UsageError("design: no points")
    spec = SweepSpec(ref, design, fixed, seeds)
    return Plan(spec, ref, tuple(jobs), tuple(names), callable(getattr(inst, "prepare", None)))


def _fixed_value(name, value):
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"fixed parameter {name!r}") for v in value]
    return _plain(value, f"fixed parameter {name!r}")
