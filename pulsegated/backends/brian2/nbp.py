"""The nBP network trained and evaluated with Brian2 (``--backend brian2``)."""

from __future__ import annotations

import time

import numpy as np

from pulsegated.backends.base import (Inference, TrainingBackend, check_binary,
                                     check_plastic_state)
from pulsegated.backends.brian2.builder import DEVICES, MAKE_JOBS
from pulsegated.backends.brian2.simulator import Brian2Simulator
from pulsegated.circuit import kinds
from pulsegated.errors import UsageError
from pulsegated.nbp.network import (OUTPUT_PHASE, PLASTIC, inference_circuit, plastic_copies,
                                    training_circuit)
from pulsegated.nbp.reference import check_training_inputs, check_weights
from pulsegated.nbp.rule import forward

__all__ = ["Brian2Backend", "check_bias_bound"]

#: the bias every data neuron must be lifted over by its gate: data input alone must stay below it
BIAS_BOUND = -kinds.BIAS_DATA


def check_bias_bound(W1, W2, X) -> None:
    """Refuse inputs that could make a data neuron fire outside its phase.

    A data neuron sits 8192 below zero and fires only when its gate lifts it; a summed data input
    above 8192 + threshold would make it fire in an ungated phase and break the circuit.  The check
    uses the current weights and the samples about to be trained (the largest ``W1 x`` and
    ``W2 h``).

    Raises
    ------
    UsageError
        With the offending value and layer.
    """
    f = forward(W1, W2, X)
    for name, z in (("hidden (W1 x)", f["z1"]), ("output (W2 h)", f["z2"])):
        top = int(np.abs(z).max(initial=0))
        if top > BIAS_BOUND:
            raise UsageError(f"{name} input reaches {top} > {BIAS_BOUND}: neurons would fire out "
                             f"of phase (the gate bias bound); use fewer or sparser inputs or "
                             f"smaller weights")


class Brian2Backend(TrainingBackend):
    """Trains the 12-phase circuit with Brian2, through :class:`Brian2Simulator` only.

    Parameters
    ----------
    W1, W2 : int arrays
    device : {"runtime", "cpp_standalone"}
        ``runtime``: the network keeps running across calls.  ``cpp_standalone``: one C++
        project compiled once; every chunk of ``chunk`` samples is a run of that binary with the
        current weights and the chunk's stimuli passed as ``run_args`` (a run restarts at step 0;
        the circuit keeps no state across samples, so this is exact).
    chunk : int
        Samples per Brian2 run.
    record : iterable of str
        Populations of the training circuit with spike monitors.
    directory : str or path, optional
        Folder of the standalone project (default: a temporary folder removed by :meth:`close`).
    codegen : {"cython", "numpy"}
        Code generation target of the runtime device (also used for inference).
    make_jobs : int
        Parallel ``make`` jobs of the standalone compilation.
    plastic : dict, optional
        The full plastic state (all eight (pre, post) matrices, see :meth:`plastic_state`) of a run
        being resumed; default: copies derived from ``W1``, ``W2``.
    """

    name = "brian2"

    def __init__(self, W1, W2, device: str = "runtime", chunk: int | None = None, record=(),
                 directory: str | None = None, codegen: str = "cython",
                 plastic: dict | None = None, make_jobs: int = MAKE_JOBS, **options):
        if options:
            raise UsageError(f"unknown option(s) for the brian2 backend: {', '.join(options)}")
        if device not in DEVICES:
            raise UsageError(f"unknown device {device!r}; choose one of: {', '.join(DEVICES)}")
        W1, W2 = check_weights(W1, W2)
        self.device = device
        self.codegen = codegen
        self.n_out, self.n_in = W2.shape[0], W1.shape[1]
        self.chunk = int(chunk or (200 if device == "runtime" else 1000))
        self._W1, self._W2 = W1.copy(), W2.copy()
        copies = plastic_copies(W1, W2, check_plastic_state(W1, W2, plastic))
        self.circuit = training_circuit(W1, W2, copies=copies)
        t0 = time.perf_counter()
        self.sim = Brian2Simulator(self.circuit, device=device, codegen=codegen,
                                   build_dir=directory, make_jobs=make_jobs, record=list(record),
                                   chunk_samples=self.chunk)
        # compile every code object now, not inside the first chunk
        self.sim.prepare()
        self.compile_time = time.perf_counter() - t0
        self._inference = None

    # ------------------------------------------------------------------------------ training
    def train(self, X, labels, progress=None):
        X, labels = check_training_inputs(X, labels, self.n_in, self.n_out)
        T = np.eye(self.n_out, dtype=np.uint8)[labels]
        for a in range(0, len(X), self.chunk):
            b = min(a + self.chunk, len(X))
            check_bias_bound(self._W1, self._W2, X[a:b])
            self.sim.run_samples({"pixels": X[a:b], "targets": T[a:b]})
            self._W1 = self.sim.weights("W1").T.copy()
            self._W2 = self.sim.weights("W2").T.copy()
            if progress is not None:
                progress(b - a)

    def weights(self):
        return self._W1.copy(), self._W2.copy()

    def plastic_weights(self) -> dict:
        """All eight plastic matrices (pre, post) of the training circuit."""
        return {c: self.sim.weights(c) for c in PLASTIC}

    def plastic_state(self) -> dict:
        """All eight plastic (pre, post) matrices as int64: what :meth:`restore` continues from."""
        return {c: np.asarray(w).astype(np.int64) for c, w in self.plastic_weights().items()}

    @classmethod
    def restore(cls, W1, W2, plastic=None, **options):
        return cls(W1, W2, plastic=plastic or None, **options)

    def spikes(self, population: str):
        """Recorded spikes ``(steps, indices)`` of a training-circuit population."""
        return self.sim.spikes(population)

    def close(self) -> None:
        """Release the simulators (a temporary standalone project folder is removed)."""
        self.sim.close()
        if self._inference is not None:
            self._inference.close()

    # ------------------------------------------------------------------------------ inference
    def infer(self, X, chunk: int = 1000) -> Inference:
        X = check_binary(X, "X", self.n_in)
        if self._inference is None:
            self._inference = Brian2Simulator(inference_circuit(self._W1, self._W2),
                                              codegen=self.codegen, record=["o"],
                                              record_state={"o": ["u"]}, chunk_samples=chunk)
        sim = self._inference
        sch, chunk = sim.circuit.schedule, sim.chunk_samples
        n = len(X)
        spikes = np.zeros((n, self.n_out), dtype=bool)
        potential = np.zeros((n, self.n_out), dtype=np.int64)
        for a in range(0, n, chunk):
            b = min(a + chunk, n)
            sim.reset()
            sim.set_weights("W1", self._W1.T)
            sim.set_weights("W2", self._W2.T)
            sim.run_samples({"pixels": X[a:b]})
            st, idx = sim.spikes("o")
            m = (st - sch.t0) % sch.n_phases == OUTPUT_PHASE
            spikes[a + (st[m] - sch.t0) // sch.n_phases, idx[m]] = True
            u = sim.state("o", "u")  # (steps, n_out) recorded at step end
            steps = sch.t0 + np.arange(b - a) * sch.n_phases + OUTPUT_PHASE
            potential[a:b] = np.rint(u[steps] / 64).astype(np.int64) - kinds.GATE
        return Inference(spikes=spikes, potential=potential)
