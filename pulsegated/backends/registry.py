"""Build functions registered per element type, one :class:`Builder` per backend.

Each backend keeps one :class:`Builder`; a neuron model, source or plasticity rule runs on a backend
when that backend has a function registered for its type (or a base of it), in the manner of
nengo-loihi's ``Builder.register``::

    from pulsegated.backends.brian2.builder import Brian2Builder

    @Brian2Builder.register(MyRule)
    def build_my_rule(rule, ctx):
        ...

Before a backend builds anything it calls :meth:`Builder.check`, which refuses every element it has
no function for with one message naming the element's type, where it is used, this backend and the
backends that can run it::

    the loihi backend cannot run GatedTraceHebbian plasticity (connection 'x'); backends that
    can: brian2

What a registered function receives and returns is each backend's own contract (see
:mod:`pulsegated.backends.loihi.discretize` and :mod:`pulsegated.backends.brian2.builder`).
"""

from __future__ import annotations

import importlib
import warnings
from typing import Callable

from pulsegated.errors import UsageError

__all__ = ["Builder", "BUILDERS", "backends_for"]

#: backend name -> module that creates (and fills) its :class:`Builder`; imported on demand to
#: list the backends that can run an element
BUILDER_MODULES = {
    "brian2": "pulsegated.backends.brian2.builder",
    "loihi": "pulsegated.backends.loihi.discretize",
}
#: backend name -> its :class:`Builder` (filled as backend modules are imported)
BUILDERS: dict = {}


class Builder:
    """Functions registered by element type for one backend.

    Parameters
    ----------
    backend : str
        The backend's name, used in messages.
    error : type
        Exception raised for an element the backend cannot run.
    """

    def __init__(self, backend: str, error: type = UsageError):
        self.backend = backend
        self.error = error
        #: element type -> build function
        self.functions: dict = {}
        #: stage name -> {element type -> function}, for stages other than "build"
        self.stages: dict = {}
        BUILDERS[backend] = self

    def register(self, element_type: type, stage: str = "build") -> Callable:
        """Decorator registering ``function`` as this backend's ``stage`` function for
        ``element_type`` (and its subclasses without a function of their own).

        ``stage="build"`` (the function that makes an element run; :meth:`check` requires one);
        a backend may call further stages, e.g. the Brian2 builder's ``"prepare"``, called for a
        plasticity rule before any group is built.
        """
        if not isinstance(element_type, type):
            raise TypeError(f"register() takes a class, got {element_type!r}")

        def decorator(function: Callable) -> Callable:
            table = self.functions if stage == "build" else self.stages.setdefault(stage, {})
            if element_type in table and table[element_type] is not function:
                warnings.warn(f"{self.backend}: replacing the {stage} function of "
                              f"{element_type.__name__}", stacklevel=2)
            table[element_type] = function
            return function

        return decorator

    def lookup(self, element_type: type, stage: str = "build") -> Callable | None:
        """The ``stage`` function registered for ``element_type`` or its nearest base, or None."""
        table = self.functions if stage == "build" else self.stages.get(stage, {})
        for cls in element_type.__mro__:
            if cls in table:
                return table[cls]
        return None

    def can_run(self, element) -> bool:
        return self.lookup(type(element)) is not None

    def refusal(self, element, where: str) -> str:
        """The message refusing ``element`` (used at ``where``) on this backend."""
        others = [b for b in backends_for(type(element)) if b != self.backend]
        kind = getattr(element, "element_kind", "elements")
        return (f"the {self.backend} backend cannot run {type(element).__name__} {kind} "
                f"({where}); backends that can: {', '.join(others) if others else 'none'}")

    def function_for(self, element, where: str) -> Callable:
        """The function for ``element``; raises ``self.error`` (see :meth:`refusal`) if none."""
        function = self.lookup(type(element))
        if function is None:
            raise self.error(self.refusal(element, where))
        return function

    def build(self, element, where: str, *args, **kwargs):
        """Call the function registered for ``element`` as ``function(element, *args, **kwargs)``."""
        return self.function_for(element, where)(element, *args, **kwargs)

    def check(self, circuit) -> None:
        """Refuse the circuit, before anything runs, if it holds an element this backend has no
        function for (the first one, in circuit order: populations, sources, connections)."""
        for element, where in circuit.elements():
            self.function_for(element, where)


def backends_for(element_type: type) -> list:
    """Names of the backends with a function for ``element_type`` (their modules imported)."""
    names = []
    for name, module in BUILDER_MODULES.items():
        if name not in BUILDERS:
            try:
                importlib.import_module(module)
            except ImportError:
                continue
        builder = BUILDERS.get(name)
        if builder is not None and builder.lookup(element_type) is not None:
            names.append(name)
    for name, builder in BUILDERS.items():  # backends registered elsewhere
        if name not in BUILDER_MODULES and builder.lookup(element_type) is not None:
            names.append(name)
    return names
