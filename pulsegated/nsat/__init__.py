"""Neuron models of the Neural and Synaptic Array Transceiver (NSAT) and the Mihalas--Niebur
behaviours, as circuit descriptions for the Brian2 backend.

* :mod:`~pulsegated.nsat.neurons` -- the NSAT neuron models as
  :class:`~pulsegated.circuit.EquationNeuron` descriptions, each an explicit discrete-time update
  per step: leaky stochastic integrate-and-fire, LIF with first- and second-order kinetic
  synapses, the dual-compartment neuron of eRBP, the Mihalas--Niebur neuron;
* :mod:`~pulsegated.nsat.behaviours` -- parameter sets and input currents of the Mihalas--Niebur
  neuron's spiking behaviours, and :func:`~pulsegated.nsat.behaviours.run_behaviour`.

The gallery figure is drawn by :func:`pulsegated.plotting.nsat.save_behaviour_gallery`.
"""

from pulsegated.nsat.behaviours import (BEHAVIOURS, Behaviour, BehaviourRun, add_current_input,
                                        behaviour_circuit, behaviour_parameters, input_current,
                                        run_behaviour)
from pulsegated.nsat.neurons import (dual_compartment_lif, escape_probability, escape_rate,
                                     lif_first_order, lif_second_order, mihalas_niebur,
                                     stochastic_lif)

__all__ = [
    "stochastic_lif", "lif_first_order", "lif_second_order", "dual_compartment_lif",
    "mihalas_niebur", "escape_probability", "escape_rate",
    "Behaviour", "BehaviourRun", "BEHAVIOURS", "behaviour_parameters", "input_current",
    "add_current_input", "behaviour_circuit", "run_behaviour",
]
