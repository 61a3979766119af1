"""Backend-neutral circuit descriptions; every public name is importable from here.

Modules, one per part of a description:

======================================  ===============================================================
module                                  holds
======================================  ===============================================================
:mod:`~pulsegated.circuit.neurons`      ``LoihiCompartment``, ``EquationNeuron`` (base ``NeuronModel``)
:mod:`~pulsegated.circuit.populations`  ``Population``
:mod:`~pulsegated.circuit.sources`      one class per source kind (base ``SpikeSource``)
:mod:`~pulsegated.circuit.plasticity`   plasticity rules (base ``Plasticity``)
:mod:`~pulsegated.circuit.connections`  ``Connection``
:mod:`~pulsegated.circuit.schedule`     ``Schedule`` (the gating ring)
:mod:`~pulsegated.circuit.circuit`      ``Circuit`` and its validation
:mod:`~pulsegated.circuit.errors`       ``CircuitError``
:mod:`~pulsegated.circuit.weights`      the compartment's weight rule (mantissa, exponent)
======================================  ===============================================================
"""

from pulsegated.circuit.circuit import Circuit, as_int_matrix
from pulsegated.circuit.connections import CONNECTION_PATTERNS, Connection
from pulsegated.circuit.errors import RAW_PER_UNIT, CircuitError
from pulsegated.circuit.neurons import EquationNeuron, LoihiCompartment, NeuronModel
from pulsegated.circuit.plasticity import (EquationSynapse, GatedTraceHebbian, Plasticity,
                                           SumOfProducts)
from pulsegated.circuit.populations import Population
from pulsegated.circuit.schedule import Schedule
from pulsegated.circuit.sources import (DataSource, PatternSource, PoissonSource, SpikeSource,
                                        SpikeTrain)
from pulsegated.circuit.weights import MIXED_WEIGHT_RANGE

__all__ = [
    "Circuit", "CircuitError", "Population", "Connection", "Schedule",
    "NeuronModel", "LoihiCompartment", "EquationNeuron",
    "SpikeSource", "SpikeTrain", "DataSource", "PatternSource", "PoissonSource",
    "Plasticity", "SumOfProducts", "GatedTraceHebbian", "EquationSynapse",
    "CONNECTION_PATTERNS", "MIXED_WEIGHT_RANGE", "RAW_PER_UNIT", "as_int_matrix",
]
