"""What a sweep runs at each point: a study (``setup`` once, ``run`` per point) or a function.

A **study** is a class whose instances are built on a worker and reused across points::

    class MyStudy(Study):
        parameters = {"n": 100, "coupling": 1.0, "jitter_ms": 0.0}   # names and defaults
        structural = ("n",)            # values that need a new setup (e.g. a new network)

        def setup(self, fixed):        # fixed parameters + this point's structural values
            self.net = build_network(fixed["n"])          # expensive, once per worker
        def run(self, point):          # every parameter of the point + "seed"
            return {"error": self.net.error(point["coupling"], point["jitter_ms"],
                                            seed=point["seed"])}

Each worker process keeps the set-up instances in a cache keyed by the study and its structural
values (:mod:`pulsegated.explore.worker`): a network is built once per worker and structure, not
once per point.  ``run`` returns a dict of metrics (numbers, strings or lists of numbers) or one
number (the metric ``value``).

Work that every worker would repeat for the same configuration (a calibration, a trained model)
goes into an optional ``prepare(config) -> dict``: the sweep runs it once per configuration, on
any worker and before the points, keeps its (JSON-safe) result in the store, and gives it to
``setup(config, prepared)`` on every worker.

A plain **function** ``f(name=..., ..., seed=...)`` is a study without set-up; its parameters are
its keyword arguments (with defaults where it has them).

A study is named in a specification by its registered name (:func:`register_study`; the
package's own studies are in :mod:`pulsegated.explore.studies`) or as ``"module:attribute"``,
importable on every worker.
"""

from __future__ import annotations

import importlib
import inspect
from abc import ABC, abstractmethod

from pulsegated.errors import UsageError

__all__ = ["Study", "FunctionStudy", "REQUIRED", "register_study", "registered_studies",
           "resolve_study", "study_ref", "STUDIES"]

#: registered name -> ``"module:attribute"`` of the study (imported when used)
STUDIES: dict = {}


class _Required:
    def __repr__(self):
        return "REQUIRED"


#: the "default" of a parameter without one: a sweep must set it (design or fixed)
REQUIRED = _Required()


class Study(ABC):
    """Base class of the studies: parameters with defaults, a ``setup`` and a ``run``.

    Attributes
    ----------
    parameters : dict
        ``{name: default}`` of every parameter a sweep may set (a default of :data:`REQUIRED`:
        the sweep must set it).
    structural : tuple of str
        Names among ``parameters`` whose values need a new :meth:`setup`.
    description : str
        One line shown by ``pulsegated sweep --list``.
    """

    parameters: dict = {}
    structural: tuple = ()
    description: str = ""

    def setup(self, fixed: dict) -> None:
        """Build what the points share; ``fixed`` holds every non-point parameter.

        A study that defines ``prepare(config) -> dict`` receives its result as a second
        argument: ``setup(fixed, prepared)``.

        Parameters
        ----------
        fixed : dict
            The sweep's fixed parameters, the defaults of the others that no design sets, and
            the point's structural values.
        """

    @abstractmethod
    def run(self, point: dict):
        """Run one point; ``point`` holds every parameter (fixed, default, swept) and ``"seed"``.

        Returns
        -------
        dict or float
            Metrics ``{name: value}``, or one number (the metric ``value``).
        """


class FunctionStudy(Study):
    """A plain function ``f(**params, seed=...)`` as a study (no set-up to share).

    Parameters
    ----------
    func : callable
        Takes the parameters as keyword arguments and ``seed``; its keyword defaults are the
        parameters' defaults.  With ``**kwargs`` any name is accepted.
    """

    def __init__(self, func):
        self.func = func
        self.parameters, self.open = _signature_parameters(func)
        self.description = (inspect.getdoc(func) or "").split("\n")[0]
        self._fixed = {}

    def setup(self, fixed: dict) -> None:
        self._fixed = dict(fixed)

    def run(self, point: dict):
        return self.func(**{**self._fixed, **point})


def _signature_parameters(func) -> tuple:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return {}, True
    params, open_ = {}, False
    for name, p in sig.parameters.items():
        if p.kind is p.VAR_KEYWORD:
            open_ = True
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name != "seed":
            params[name] = REQUIRED if p.default is p.empty else p.default
    if "seed" not in sig.parameters and not open_:
        raise UsageError(f"study {study_ref(func)}: a run function takes a 'seed' argument")
    return params, open_


def register_study(name: str, target: str) -> None:
    """Register a study under ``name``.

    Parameters
    ----------
    name : str
        The name used in specifications (``study = "name"``).
    target : str
        ``"module:attribute"`` of a :class:`Study` subclass or a run function; imported when
        the study is used (on the driver and on every worker).
    """
    if ":" not in target:
        raise UsageError(f"register_study: target is 'module:attribute', got {target!r}")
    STUDIES[name] = target


def registered_studies() -> dict:
    """``{name: description}`` of the registered studies (the package's own included)."""
    _load_builtin()
    out = {}
    for name in sorted(STUDIES):
        try:
            out[name] = resolve_study(name)[1].description
        except Exception as e:  # noqa: BLE001 - a broken plug-in is listed with its error
            out[name] = f"(cannot be loaded: {e})"
    return out


def _load_builtin() -> None:
    importlib.import_module("pulsegated.explore.studies")


def _import(target: str, what: str):
    module, _, attr = target.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise UsageError(f"{what}: cannot import {target!r} ({e})") from None
    return obj


def study_ref(study) -> str:
    """The name of ``study`` in a specification: its registered name or ``"module:attribute"``."""
    if isinstance(study, str):
        return study
    if isinstance(study, FunctionStudy):
        return study_ref(study.func)
    target = study if inspect.isclass(study) or inspect.isfunction(study) else type(study)
    qual = getattr(target, "__qualname__", "")
    module = getattr(target, "__module__", "")
    if "<locals>" in qual or module in ("", None):
        raise UsageError(f"study: {target!r} must be importable (a module-level class or function) "
                         "to run on other processes")
    return f"{module}:{qual}"


def resolve_study(study) -> tuple:
    """``(ref, instance)``: the study's name in specifications and a new, not set-up instance.

    Parameters
    ----------
    study : str, Study subclass, Study instance or function
        A registered name, ``"module:attribute"``, a study class (``setup`` / ``run``; every
        worker makes its own instance with no arguments) or a run function.
    """
    ref = study_ref(study)
    if isinstance(study, str):
        if ":" not in study:
            _load_builtin()
            if study not in STUDIES:
                raise UsageError(f"study: unknown study {study!r}; registered: "
                                 f"{', '.join(sorted(STUDIES)) or 'none'}")
            study = _import(STUDIES[study], f"study {study!r}")
        else:
            study = _import(study, "study")
    return ref, _instance(study, ref)


def _instance(obj, ref: str) -> Study:
    if isinstance(obj, Study):
        return obj
    if inspect.isclass(obj):
        inst = obj()
        if not (hasattr(inst, "setup") and hasattr(inst, "run")):
            raise UsageError(f"study {ref!r}: a class needs setup(fixed) and run(point) methods")
        for attr, default in (("parameters", None), ("structural", ()), ("description", "")):
            if not hasattr(inst, attr):
                setattr(inst, attr, default)
        return inst
    if callable(obj):
        return FunctionStudy(obj)
    raise UsageError(f"study {ref!r}: not a study class or function: {obj!r}")
