"""The nBP network trained and evaluated on the integer emulator (``--backend loihi``)."""

from __future__ import annotations

import time

import numpy as np

from pulsegated.backends.base import (Inference, TrainingBackend, check_binary,
                                     check_plastic_state)
from pulsegated.backends.loihi.simulator import LoihiSimulator
from pulsegated.circuit import kinds as K
from pulsegated.errors import UsageError
from pulsegated.nbp.network import OUTPUT_PHASE, inference_circuit, training_circuit
from pulsegated.nbp.reference import check_training_inputs, check_weights

__all__ = ["LoihiBackend"]


class LoihiBackend(TrainingBackend):
    """Runs the 12-phase training circuit (and the 4-step inference circuit) as the chip would.

    Parameters
    ----------
    W1, W2 : int arrays
        Initial weights, reference layout.
    chunk : int
        Samples per emulator call (memory of the external spike list vs call overhead).
    record : iterable of str
        Populations of the training circuit whose spikes are recorded (default none, for speed).
    plastic : dict, optional
        The full plastic state (all eight (pre, post) matrices, see :meth:`plastic_state`) of a run
        being resumed; default: copies derived from ``W1``, ``W2``.
    """

    name = "loihi"

    def __init__(self, W1, W2, chunk: int = 1000, record=(), plastic: dict | None = None,
                 **options):
        if options:
            raise UsageError(f"unknown option(s) for the loihi backend: {', '.join(options)}")
        W1, W2 = check_weights(W1, W2)
        self.n_out, self.n_in = W2.shape[0], W1.shape[1]
        self.chunk = int(chunk)
        t0 = time.perf_counter()
        self.circuit = training_circuit(W1, W2, copies=check_plastic_state(W1, W2, plastic))
        self.sim = LoihiSimulator(self.circuit, record=record)
        # compile the kernel (or load it from numba's cache) on one empty step
        probe = LoihiSimulator(training_circuit(W1[:1, :1], W2[:1, :1]), record=())
        probe.run_steps(1)
        self.compile_time = time.perf_counter() - t0

    def train(self, X, labels, progress=None):
        X, labels = check_training_inputs(X, labels, self.n_in, self.n_out)
        T = np.eye(self.n_out, dtype=np.uint8)[labels]
        for a in range(0, len(X), self.chunk):
            b = min(a + self.chunk, len(X))
            self.sim.run_samples({"pixels": X[a:b], "targets": T[a:b]})
            if progress is not None:
                progress(b - a)

    def weights(self):
        return (self.sim.weights("W1").T.astype(np.int64).copy(),
                self.sim.weights("W2").T.astype(np.int64).copy())

    def plastic_weights(self) -> dict:
        """All eight plastic matrices (pre, post) of the training circuit."""
        return {c: self.sim.weights(c) for c in self.circuit.connections
                if self.circuit.connections[c].plastic}

    def plastic_state(self) -> dict:
        """All eight plastic (pre, post) matrices as int64: what :meth:`restore` continues from."""
        return {c: np.asarray(w).astype(np.int64) for c, w in self.plastic_weights().items()}

    @classmethod
    def restore(cls, W1, W2, plastic=None, **options):
        return cls(W1, W2, plastic=plastic or None, **options)

    def overflow_report(self) -> dict:
        return self.sim.overflow_report()

    def infer(self, X, chunk: int = 5000) -> Inference:
        X = check_binary(X, "X", self.n_in)
        W1, W2 = self.weights()
        circuit = inference_circuit(W1, W2)
        n_out = self.n_out
        sim = LoihiSimulator(circuit, record=("o",), probe_uv={"o": np.arange(n_out)})
        sch = circuit.schedule
        for a in range(0, len(X), chunk):
            sim.run_samples({"pixels": X[a:a + chunk]})
        n = len(X)
        u, _ = sim.uv()
        out_steps = sch.t0 + np.arange(n) * sch.n_phases + OUTPUT_PHASE
        # memoryless compartments: u is this step's input; remove the chip scale and the gate
        potential = (u[out_steps] >> 6) - K.GATE
        spikes = np.zeros((n, n_out), dtype=bool)
        st, idx = sim.spikes("o")
        m = (st - sch.t0) % sch.n_phases == OUTPUT_PHASE
        spikes[(st[m] - sch.t0) // sch.n_phases, idx[m]] = True
        return Inference(spikes=spikes, potential=potential.astype(np.int64))
