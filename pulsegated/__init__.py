"""pulsegated: backpropagation with spikes.

Pulse-gated spiking circuits (synfire-gated synfire chains, Hadamard gating, pulse-gated Hebbian
plasticity, the 12-phase on-chip backpropagation circuit of Renner et al.) described once,
backend-neutrally, and run on Brian2 or on a bit-exact Loihi 1 integer emulator, with the exact
integer arithmetic equivalent of the circuit as the reference for every backend.

The names a notebook needs are available here (``import pulsegated as pg``)::

    c = pg.training_circuit(*pg.init_weights(784, 400, 10, 0))
    sim = pg.Simulator(c, backend="loihi", record_state={"o": ["u"]})

They are imported on first use, so ``import pulsegated`` stays fast (no Brian2 or numba).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> module that defines it (imported on first access)
_EXPORTS = {
    # circuit descriptions
    "Circuit": "pulsegated.circuit",
    "LoihiCompartment": "pulsegated.circuit",
    "EquationNeuron": "pulsegated.circuit",
    "SumOfProducts": "pulsegated.circuit",
    "GatedTraceHebbian": "pulsegated.circuit",
    "EquationSynapse": "pulsegated.circuit",
    "Population": "pulsegated.circuit",
    "Connection": "pulsegated.circuit",
    "SpikeTrain": "pulsegated.circuit",
    "DataSource": "pulsegated.circuit",
    "PatternSource": "pulsegated.circuit",
    "PoissonSource": "pulsegated.circuit",
    "Schedule": "pulsegated.circuit",
    "CircuitError": "pulsegated.circuit",
    # running circuits
    "Simulator": "pulsegated.backends",
    "SIMULATORS": "pulsegated.backends",
    # the nBP network
    "training_circuit": "pulsegated.nbp.network",
    "inference_circuit": "pulsegated.nbp.network",
    "init_weights": "pulsegated.nbp.rule",
    "train_epoch": "pulsegated.nbp.reference",
    "ReferenceBackend": "pulsegated.nbp.reference",
    "SpikingBackend": "pulsegated.nbp.spiking",
    "LoihiBackend": "pulsegated.nbp.spiking",
    "Brian2Backend": "pulsegated.nbp.spiking",
    "Inference": "pulsegated.nbp.training",
    "TRAINING_BACKENDS": "pulsegated.nbp.training",
    "training_backend": "pulsegated.nbp.training",
    # training runs
    "TrainConfig": "pulsegated.training.trainer",
    "Trainer": "pulsegated.training.trainer",
    "readouts": "pulsegated.training.evaluate",
    # data
    "load_builtin": "pulsegated.data",
    "load_dataset": "pulsegated.data",
    "load_preprocessed": "pulsegated.data",
    # looking at results
    "plot_raster": "pulsegated.plotting.raster",
    "plot_accuracy_curves": "pulsegated.plotting.curves",
    "plot_weight_changes": "pulsegated.plotting.nbp",
    "activity_table": "pulsegated.analysis.activity",
    "activity_violations": "pulsegated.analysis.activity",
    # errors
    "UsageError": "pulsegated.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pulsegated' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later accesses skip this function
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(__all__))
