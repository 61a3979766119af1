"""Populations: groups of identical neurons."""

from __future__ import annotations

from dataclasses import dataclass, field

from pulsegated.circuit.errors import CircuitError, check_int, check_name
from pulsegated.circuit.neurons import LoihiCompartment, NeuronModel

__all__ = ["Population"]


@dataclass(frozen=True)
class Population:
    """A group of identical neurons.

    Parameters
    ----------
    name : str
        Unique identifier (a valid Python identifier; backends use it for object names).
    size : int
        Number of neurons (>= 1).
    model : NeuronModel
        :class:`~pulsegated.circuit.LoihiCompartment` (default),
        :class:`~pulsegated.circuit.EquationNeuron` or another registered model.
    role : str
        Free-form tag used by plotting and analysis (``"input"``, ``"hidden"``, ``"memory"``,
        ``"gate"``, ...).
    """

    name: str
    size: int
    model: NeuronModel = field(default_factory=LoihiCompartment)
    role: str = ""

    def validate(self) -> None:
        owner = f"population {self.name!r}"
        check_name(owner, self.name)
        check_int(owner, "size", self.size, 1)
        if not isinstance(self.model, NeuronModel):
            raise CircuitError(f"{owner}: model must be a NeuronModel (LoihiCompartment, "
                               f"EquationNeuron, ...), got {type(self.model).__name__}")
        self.model.validate(owner)
