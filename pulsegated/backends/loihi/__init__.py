"""The quantizing Loihi 1 backend: discretize (floats/threshold units -> chip registers) and an
integer emulator that reproduces the chip's arithmetic bit for bit.

* :func:`discretize` -- :class:`~pulsegated.circuit.Circuit` -> :class:`ChipProgram`;
* :class:`Emulator` -- integer state and stepping of a chip program;
* :class:`LoihiSimulator` -- the :class:`~pulsegated.backends.base.CircuitSimulator` of this backend
  (``Simulator(circuit, backend="loihi")``).
"""

from pulsegated.backends.loihi.discretize import discretize
from pulsegated.backends.loihi.emulator import Emulator
from pulsegated.backends.loihi.registers import ChipProgram, DiscretizeError
from pulsegated.backends.loihi.simulator import LoihiSimulator

__all__ = ["discretize", "Emulator", "ChipProgram", "DiscretizeError", "LoihiSimulator"]
