"""The nBP network trained and evaluated with Brian2 (``--backend brian2``)."""

from __future__ import annotations

import time

import numpy as np

from pulsegated.backends.base import (Inference, TrainingBackend, check_binary,
                                     check_plastic_state)
from pulsegated.backends.brian2.builder import DEVICES, build
from pulsegated.backends.brian2.simulator import fill_stimuli
from pulsegated.circuit import kinds as K
from pulsegated.errors import UsageError
from pulsegated.nbp.network import (OUTPUT_PHASE, PLASTIC, inference_circuit, plastic_copies,
                                    training_circuit)
from pulsegated.nbp.reference import check_training_inputs, check_weights
from pulsegated.nbp.rule import forward

__all__ = ["Brian2Backend", "check_bias_bound"]

#: the bias every data neuron must be lifted over by its gate: data input alone must stay below it
BIAS_BOUND = -K.BIAS_DATA


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
    """Trains the 12-phase circuit with Brian2.

    Parameters
    ----------
    W1, W2 : int arrays
    device : {"runtime", "cpp_standalone"}
        ``runtime``: Cython, the network keeps running across calls.  ``cpp_standalone``: one C++
        project compiled once; every chunk of ``chunk`` samples is a run of that binary with the
        current weights and the chunk's stimuli passed as ``run_args`` (a run restarts at step 0;
        the circuit keeps no state across samples, so this is exact).
    chunk : int
        Samples per Brian2 run.
    record : iterable of str
        Populations of the training circuit with spike monitors (runtime device only).
    codegen : {"cython", "numpy"}
        Code generation target of the runtime device (also used for inference).
    plastic : dict, optional
        The full plastic state (all eight (pre, post) matrices, see :meth:`plastic_state`) of a run
        being resumed; default: copies derived from ``W1``, ``W2``.
    """

    name = "brian2"

    def __init__(self, W1, W2, device: str = "runtime", chunk: int | None = None, record=(),
                 directory: str | None = None, codegen: str = "cython",
                 plastic: dict | None = None, **options):
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
        # the full plastic state between standalone runs (each run starts from it)
        self._plastic = plastic_copies(W1, W2, check_plastic_state(W1, W2, plastic))
        self.circuit = training_circuit(W1, W2, copies=self._plastic)
        sch = self.circuit.schedule
        self._chunk_steps = sch.t0 + self.chunk * sch.n_phases
        t0 = time.perf_counter()
        import brian2 as b2
        if device == "runtime":
            self.b2c = build(self.circuit, "runtime", record=list(record),
                             chunk_steps=self._chunk_steps, codegen=codegen)
            self._sample = 0
            # compile every code object now (a zero-length run), not inside the first chunk
            self.b2c.network.run(0 * b2.ms, namespace={})
        else:
            if record:
                raise UsageError("spike recording is available with the runtime device only")
            self.b2c = build(self.circuit, "cpp_standalone", record=[],
                             chunk_steps=self._chunk_steps, directory=directory)
            self.b2c.network.run(self._chunk_steps * self.b2c.dt, namespace={})
            self._device = b2.get_device()
            self._device.build(run=False)
            b2.set_device("runtime")
        self.compile_time = time.perf_counter() - t0
        self._inference = None

    # ------------------------------------------------------------------------------ training
    def train(self, X, labels, progress=None):
        X, labels = check_training_inputs(X, labels, self.n_in, self.n_out)
        T = np.eye(self.n_out, dtype=np.uint8)[labels]
        for a in range(0, len(X), self.chunk):
            b = min(a + self.chunk, len(X))
            check_bias_bound(self._W1, self._W2, X[a:b])
            if self.device == "runtime":
                self._train_runtime(X[a:b], T[a:b])
            else:
                self._train_standalone(X[a:b], T[a:b])
            if progress is not None:
                progress(b - a)

    def _train_runtime(self, X, T):
        sch = self.circuit.schedule
        b2c = self.b2c
        t_start = int(round(float(b2c.network.t / b2c.dt)))
        values = {name: ta.values for name, ta in b2c.stimuli.items()}
        fill_stimuli(self.circuit, values, {"pixels": X, "targets": T}, self._sample, len(X),
                     t_start)
        for g in b2c.stim_groups.values():
            g.t_offset = t_start * b2c.dt
        t_end = sch.step(self._sample + len(X), 0)
        b2c.network.run((t_end - t_start) * b2c.dt, namespace={})
        self._sample += len(X)
        self._W1 = b2c.weight_matrix("W1").T.copy()
        self._W2 = b2c.weight_matrix("W2").T.copy()

    def _train_standalone(self, X, T):
        b2c = self.b2c
        n = len(X)
        pad = self.chunk - n  # all-zero samples change nothing (no input, no target, no error)
        if pad:
            X = np.vstack([X, np.zeros((pad, self.n_in), X.dtype)])
            T = np.vstack([T, np.zeros((pad, self.n_out), T.dtype)])
        values = {name: np.zeros_like(ta.values) for name, ta in b2c.stimuli.items()}
        fill_stimuli(self.circuit, values, {"pixels": X, "targets": T}, 0, self.chunk, 0)
        run_args = {b2c.stimuli[name]: v for name, v in values.items()}
        for cname, w in self._plastic.items():
            run_args[b2c.synapses[cname].w] = np.ascontiguousarray(w, dtype=float).ravel()
        self._device.run(run_args=run_args)
        self._plastic = {c: b2c.weight_matrix(c) for c in PLASTIC}
        self._W1 = self._plastic["W1"].T.copy()
        self._W2 = self._plastic["W2"].T.copy()

    def weights(self):
        return self._W1.copy(), self._W2.copy()

    def plastic_weights(self) -> dict:
        """All eight plastic matrices (pre, post) of the training circuit."""
        if self.device == "runtime":
            return {c: self.b2c.weight_matrix(c) for c in PLASTIC}
        return {c: w.copy() for c, w in self._plastic.items()}

    def plastic_state(self) -> dict:
        """All eight plastic (pre, post) matrices as int64: what :meth:`restore` continues from."""
        return {c: np.asarray(w).astype(np.int64) for c, w in self.plastic_weights().items()}

    @classmethod
    def restore(cls, W1, W2, plastic=None, **options):
        return cls(W1, W2, plastic=plastic or None, **options)

    def spikes(self, population: str):
        """Recorded spikes ``(steps, indices)`` of a training-circuit population (runtime)."""
        m = self.b2c.monitors[population]
        return (np.rint(np.asarray(m.t / self.b2c.dt)).astype(np.int64),
                np.asarray(m.i[:], dtype=np.int64))

    # ------------------------------------------------------------------------------ inference
    def infer(self, X, chunk: int = 1000) -> Inference:
        X = check_binary(X, "X", self.n_in)
        import brian2 as b2
        if self._inference is None:
            b2.set_device("runtime")
            circuit = inference_circuit(self._W1, self._W2)
            sch = circuit.schedule
            b2c = build(circuit, "runtime", record=["o"], record_state={"o": "u"},
                        chunk_steps=sch.t0 + chunk * sch.n_phases, codegen=self.codegen)
            b2c.network.store("initial")
            self._inference = (circuit, b2c, chunk)
        circuit, b2c, chunk = self._inference
        sch = circuit.schedule
        b2c.synapses["W1"].w = self._W1.T.astype(float)[np.asarray(b2c.synapses["W1"].i[:]),
                                                         np.asarray(b2c.synapses["W1"].j[:])]
        b2c.synapses["W2"].w = self._W2.T.astype(float)[np.asarray(b2c.synapses["W2"].i[:]),
                                                         np.asarray(b2c.synapses["W2"].j[:])]
        weights = {k: np.asarray(b2c.synapses[k].w[:]).copy() for k in ("W1", "W2")}
        n = len(X)
        spikes = np.zeros((n, self.n_out), dtype=bool)
        potential = np.zeros((n, self.n_out), dtype=np.int64)
        for a in range(0, n, chunk):
            b = min(a + chunk, n)
            b2c.network.restore("initial")
            for k, w in weights.items():
                b2c.synapses[k].w = w
            values = {name: ta.values for name, ta in b2c.stimuli.items()}
            fill_stimuli(circuit, values, {"pixels": X[a:b]}, 0, b - a, 0)
            for g in b2c.stim_groups.values():
                g.t_offset = 0 * b2.ms
            b2c.network.run(sch.step(b - a, 0) * b2c.dt, namespace={})
            st = np.rint(np.asarray(b2c.monitors["o"].t / b2c.dt)).astype(np.int64)
            idx = np.asarray(b2c.monitors["o"].i[:])
            m = (st - sch.t0) % sch.n_phases == OUTPUT_PHASE
            spikes[a + (st[m] - sch.t0) // sch.n_phases, idx[m]] = True
            u = np.asarray(b2c.state_monitors["o"].u).T  # (steps, n_out) recorded at step end
            steps = sch.t0 + np.arange(b - a) * sch.n_phases + OUTPUT_PHASE
            potential[a:b] = np.rint(u[steps] / 64).astype(np.int64) - K.GATE
        return Inference(spikes=spikes, potential=potential)
