"""Circuit simulators, registered by name: ``Simulator(circuit, backend="loihi")`` runs a circuit.

Backends know circuits only (:class:`~pulsegated.circuit.Circuit`); algorithms such as nBP build
circuit descriptions and drive a simulator through the
:class:`~pulsegated.backends.base.CircuitSimulator` interface.

======== ===================================================== ==================================
name     class                                                 runs
======== ===================================================== ==================================
loihi    :class:`~pulsegated.backends.loihi.LoihiSimulator`    the bit-exact Loihi 1 emulator
brian2   :class:`~pulsegated.backends.brian2.Brian2Simulator`  Brian2 (equations, any neuron kind)
======== ===================================================== ==================================

Importing this package is cheap: a backend's module (numba, Brian2) is imported when it is first
used.
"""

from __future__ import annotations

import importlib

from pulsegated.backends.base import CircuitSimulator, check_binary
from pulsegated.errors import UsageError

__all__ = ["SIMULATORS", "Simulator", "simulator", "CircuitSimulator", "check_binary"]

#: name -> "module:CircuitSimulator class" (imported on first use)
SIMULATORS = {
    "loihi": "pulsegated.backends.loihi:LoihiSimulator",
    "brian2": "pulsegated.backends.brian2:Brian2Simulator",
}


def simulator(name: str) -> type[CircuitSimulator]:
    """The :class:`~pulsegated.backends.base.CircuitSimulator` class registered as ``name``.

    Raises
    ------
    UsageError
        For an unknown name, listing the registered ones.
    """
    if not isinstance(name, str) or name not in SIMULATORS:
        raise UsageError(f"unknown simulator backend {name!r}; choose one of: "
                         f"{', '.join(SIMULATORS)}")
    module, cls = SIMULATORS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def Simulator(circuit, backend: str = "loihi", **options) -> CircuitSimulator:  # noqa: N802
    """Run ``circuit`` on a registered simulator backend: the one entry point.

    Parameters
    ----------
    circuit : Circuit
        The circuit description.
    backend : {"loihi", "brian2"}
        A name of :data:`SIMULATORS`.
    **options
        Options of that backend's simulator (``record``, ``record_state`` on every backend; see
        :class:`~pulsegated.backends.loihi.LoihiSimulator` and
        :class:`~pulsegated.backends.brian2.Brian2Simulator` for the others).

    Returns
    -------
    CircuitSimulator
        ``sim.run_steps(n)`` / ``sim.run_samples(data)``, then ``sim.spikes(population)``,
        ``sim.state(population, variable)``, ``sim.weights(connection)``.

    Raises
    ------
    UsageError
        For an unknown ``backend`` (naming the choices) or option.

    Examples
    --------
    >>> sim = Simulator(circuit, backend="loihi", record_state={"p": ["u", "v"]})  # doctest: +SKIP
    >>> sim.run_steps(100)                                                        # doctest: +SKIP
    >>> steps, neurons = sim.spikes("p")                                          # doctest: +SKIP
    """
    if not isinstance(backend, str) or backend not in SIMULATORS:
        raise UsageError(f"unknown backend {backend!r} for Simulator; choose one of: "
                         f"{', '.join(SIMULATORS)}")
    return simulator(backend)(circuit, **options)
