"""Backends, registered by name: a circuit or a training run picks one with a string."""

from __future__ import annotations

import importlib

from pulsegated.errors import UsageError

#: name -> "module:TrainingBackend class"
TRAINING_BACKENDS = {
    "reference": "pulsegated.nbp.reference:ReferenceBackend",
    "loihi": "pulsegated.backends.loihi:LoihiBackend",
    "brian2": "pulsegated.backends.brian2:Brian2Backend",
}
#: name -> "module:CircuitSimulator class"
SIMULATORS = {
    "loihi": "pulsegated.backends.loihi:LoihiSimulator",
    "brian2": "pulsegated.backends.brian2:Brian2Simulator",
}


def _load(table: dict, name: str, what: str):
    if name not in table:
        raise UsageError(f"unknown {what} {name!r}; choose one of: {', '.join(table)}")
    module, cls = table[name].split(":")
    return getattr(importlib.import_module(module), cls)


def training_backend(name: str):
    """The :class:`~pulsegated.backends.base.TrainingBackend` class registered as ``name``."""
    return _load(TRAINING_BACKENDS, name, "backend")


def simulator(name: str):
    """The :class:`~pulsegated.backends.base.CircuitSimulator` class registered as ``name``."""
    return _load(SIMULATORS, name, "simulator backend")
