"""The Brian2 backend: circuit descriptions as NeuronGroups and Synapses with equations.

* :func:`build` -- any :class:`~pulsegated.circuit.Circuit` as Brian2 objects in one Network;
* :class:`Brian2Simulator` -- the :class:`~pulsegated.backends.base.CircuitSimulator` (runtime or
  cpp_standalone).
"""

from pulsegated.backends.brian2.builder import CODEGEN, DEVICES, MAKE_JOBS, Brian2Circuit, build
from pulsegated.backends.brian2.simulator import Brian2Simulator

__all__ = ["CODEGEN", "DEVICES", "MAKE_JOBS", "Brian2Circuit", "build", "Brian2Simulator"]
