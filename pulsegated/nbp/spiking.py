"""The nBP network trained and evaluated as spiking circuits, on any registered simulator.

:class:`SpikingBackend` builds the 12-phase training circuit and the 4-step inference circuit
(:mod:`pulsegated.nbp.network`) and runs them through the
:class:`~pulsegated.backends.base.CircuitSimulator` interface only (``run_samples``, ``weights``,
``spikes``, ``state``), so that the input checks and the readout of the output layer are written
once for every simulator.  :class:`LoihiBackend` (``pulsegated train --backend loihi``) and
:class:`Brian2Backend` (``--backend brian2``) are the registered names, fixing the simulator.
"""

from __future__ import annotations

import inspect
import time

import numpy as np

from pulsegated.backends import Simulator, check_binary, simulator as simulator_class
from pulsegated.nbp import kinds
from pulsegated.errors import UsageError
from pulsegated.nbp.network import OUTPUT_PHASE, PLASTIC, inference_circuit, training_circuit
from pulsegated.nbp import rule
from pulsegated.nbp.training import (Inference, TrainingBackend, check_plastic_state,
                                     check_replay, check_step_shift, check_training_inputs,
                                     check_variant, check_weights)

__all__ = ["SpikingBackend", "LoihiBackend", "Brian2Backend", "check_bias_bound",
           "output_readout", "BIAS_BOUND", "INHIBITED_BOUND", "WATCHED", "check_output_phases"]

#: the largest data input a data neuron can take in an ungated phase without firing: it sits
#: 8192 below zero and fires when its potential exceeds the threshold
BIAS_BOUND = -kinds.BIAS_DATA + kinds.THRESHOLD
#: the same in a phase where an inhibitory gate adds its weight to the bias
INHIBITED_BOUND = BIAS_BOUND - kinds.GATE_INHIBIT


def check_bias_bound(W1, W2, X, step_shift: int = 0) -> None:
    """Refuse inputs that could make a data neuron fire outside its phase and change the learning.

    A data neuron sits 8192 below zero and fires only when its gate lifts it; a larger summed
    data input makes it fire where the circuit holds it silent.

    * ``W2 h`` reaches the output layer in phase 8 of the published circuit with the bias alone:
      at most :data:`BIAS_BOUND` (8192 + threshold).
    * ``W1 x`` reaches the hidden layer ungated only in phase 0 (the replay of phase 11).  A
      hidden spike there changes nothing: no input spike coincides with it, and it reaches the
      outputs in phase 1, where :func:`check_output_phases` would see them fire (a full MNIST
      epoch of the published circuit has 11 such spikes and stays bit-identical, all eight
      plastic copies included).  Its other ungated arrival, the replay of phase 7, meets the
      inhibition of phase 8: at most :data:`INHIBITED_BOUND`.

    The check uses the current weights and the samples about to be trained (the largest
    ``|W1 x|`` and ``|W2 h|``), on every simulator; ``W1``, ``W2`` are mantissas worth
    ``2**-step_shift``.  The weights change while the chunk trains, so this is a check before the
    chunk; :func:`check_output_phases` checks the output layer's actual spikes after it.

    Raises
    ------
    UsageError
        With the offending value and layer.
    """
    # float64 products are exact here (|sums| < 2**53) and use BLAS
    E1, E2 = (np.asarray(w, dtype=np.int64) >> step_shift for w in (W1, W2))  # per synapse
    z1 = np.asarray(X, dtype=np.float64) @ E1.astype(np.float64).T
    h = (z1 > 512).astype(np.float64)
    z2 = h @ E2.astype(np.float64).T
    for name, z, bound in (("hidden (W1 x)", z1, INHIBITED_BOUND),
                           ("output (W2 h)", z2, BIAS_BOUND)):
        top = int(np.abs(z).max(initial=0))
        if top > bound:
            raise UsageError(f"{name} input reaches {top} > {bound}: neurons would fire out "
                             f"of phase (the gate bias bound); use fewer or sparser inputs or "
                             f"smaller weights")


#: the training circuit's population whose spikes every chunk is checked against its phases
WATCHED = "o"


def check_output_phases(circuit, steps, indices, first_sample: int = 0) -> None:
    """Refuse a training run whose output layer fired outside its phases.

    The output units fire only in phases 3, 5 and 9.  In the replay phases 7 and 11 the hidden
    units with a hidden error fire onto them, and only the data bias (and, in the variants, the
    phase-8 guard gate; in phase 0 the inhibition gate) holds them down: with many hidden units
    and large positive weights their summed input can exceed that, and an output unit fires in
    phase 8 or 0.  Its spike then reaches the backward layer and the plastic copies, so the
    chip leaves the rule of :func:`pulsegated.nbp.rule.train_sample` silently.  This turns that
    into an error naming the sample, the unit and the phase.

    Parameters
    ----------
    circuit : Circuit
        The scheduled training circuit.
    steps, indices : int arrays
        Spikes of :data:`WATCHED` to check.
    first_sample : int
        Number of the samples trained before this circuit was built (for the message).

    Raises
    ------
    UsageError
    """
    from pulsegated.analysis.activity import phase_of

    steps = np.asarray(steps, dtype=np.int64)
    ph = phase_of(circuit, steps)
    bad = (ph >= 0) & ~np.isin(ph, circuit.activity[WATCHED])
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        sample = first_sample + int((steps[k] - circuit.schedule.t0) // circuit.schedule.n_phases)
        raise UsageError(
            f"training sample {sample}: output unit {int(np.asarray(indices)[k])} fired in phase "
            f"{int(ph[k])}, where the circuit holds it silent (the hidden units replayed onto it "
            f"exceed its bias and gates), so the plastic copies leave the nBP rule from here on; "
            f"use fewer hidden units (wider derivative windows than the paper's replay more "
            f"of them)")


def output_readout(circuit, sim, n: int, first: int = 0) -> Inference:
    """The nBP answer of ``n`` samples from a simulator that ran an inference or training circuit.

    Parameters
    ----------
    circuit : Circuit
        The circuit ``sim`` ran (its schedule places the output phase).
    sim : CircuitSimulator
        Recording the spikes of ``"o"`` and its state ``"u"`` (``record_state={"o": ["u"]}``).
    n : int
        Samples to read, starting at sample ``first``.

    Returns
    -------
    Inference
        ``spikes``: which output neurons fired in the output phase; ``potential``: their input
        ``z2 = W2 h`` in that phase (the output compartments are memoryless, so u is the input of
        the step; the chip scale 2**6 and the gate are removed); ``first``: with a ramp readout
        (population ``r``, recorded), the step of each readout neuron's first spike after the
        output phase, -1 for none.
    """
    sch = circuit.schedule
    n_out = circuit.populations["o"].size
    out_steps = sch.t0 + (first + np.arange(n)) * sch.n_phases + OUTPUT_PHASE
    u = np.asarray(sim.state("o", "u"))[out_steps]
    if not np.issubdtype(u.dtype, np.integer):
        u = np.rint(u)
    potential = (u.astype(np.int64) >> 6) - kinds.GATE
    spikes = np.zeros((n, n_out), dtype=bool)
    st, idx = sim.spikes("o")
    sample = (st - sch.t0) // sch.n_phases - first
    m = ((st - sch.t0) % sch.n_phases == OUTPUT_PHASE) & (sample >= 0) & (sample < n)
    spikes[sample[m], idx[m]] = True
    first_spike = None
    if "r" in circuit.populations:
        none = np.iinfo(np.int64).max
        first_spike = np.full((n, n_out), none, dtype=np.int64)
        st, idx = sim.spikes("r")
        sample = (st - sch.t0) // sch.n_phases - first
        step = (st - sch.t0) % sch.n_phases - OUTPUT_PHASE
        m = (step >= 0) & (sample >= 0) & (sample < n)
        np.minimum.at(first_spike, (sample[m], idx[m]), step[m].astype(np.int64))
        first_spike[first_spike == none] = -1
    return Inference(spikes=spikes, potential=potential, first=first_spike)


class SpikingBackend(TrainingBackend):
    """Trains the 12-phase nBP circuit on a registered circuit simulator (batch size 1).

    Parameters
    ----------
    W1 : int array (n_hidden, n_in), W2 : int array (n_out, n_hidden)
        Initial weights (even integers in [-256, 254]).
    simulator : {"loihi", "brian2"}
        The :data:`~pulsegated.backends.SIMULATORS` name the circuits run on.
    chunk : int, optional
        Samples per simulator call (default :attr:`default_chunk`).
    record : iterable of str
        Populations of the training circuit whose spikes are recorded (default none, for speed);
        read them with :meth:`spikes`.
    plastic : dict, optional
        The full plastic state (all eight (pre, post) matrices, see :meth:`plastic_state`) of a run
        being resumed; default: copies derived from ``W1``, ``W2``.
    variant : str, dict or Variant, optional
        The circuit variant (:mod:`pulsegated.nbp.variants`; default the published circuit).
    step_shift : int
        How many times the variant's learning step has been halved (plastic weight exponent
        ``-step_shift``).
    **simulator_options
        Passed to the simulator of the training circuit (unknown ones raise
        :class:`~pulsegated.errors.UsageError` naming them).
    """

    name = "spiking"
    #: Samples per simulator call when ``chunk`` is not given.
    default_chunk = 1000
    #: Samples per simulator call of :meth:`infer` when its ``chunk`` is not given.
    default_infer_chunk = 5000

    def __init__(self, W1, W2, simulator: str = "loihi", chunk: int | None = None, record=(),
                 plastic: dict | None = None, variant=None, step_shift: int = 0,
                 **simulator_options):
        sim_cls = simulator_class(simulator)  # unknown name: error listing the registered ones
        if type(self).name == SpikingBackend.name:
            self.name = simulator
        self._check_options(sim_cls, simulator_options)
        W1, W2 = check_weights(W1, W2)
        self.simulator = simulator
        self.n_out, self.n_in = W2.shape[0], W1.shape[1]
        self.chunk = int(chunk or self.default_chunk)
        if self.chunk < 1:
            raise UsageError(f"chunk must be a positive number of samples, got {chunk!r}")
        self.simulator_options = dict(simulator_options)
        self.variant = check_variant(variant)
        self.step_shift = check_step_shift(step_shift)
        self.record = list(record)
        self._inference = None  # (circuit, simulator, chunk) kept between infer calls
        self._samples_trained = 0  # by this backend (the messages of check_output_phases)
        self._build_training(W1, W2, check_plastic_state(W1, W2, plastic))

    def _build_training(self, W1, W2, copies) -> None:
        """Build (and compile) the training circuit's simulator."""
        self.circuit = training_circuit(W1, W2, copies=copies, variant=self.variant,
                                        step_shift=self.step_shift)
        t0 = time.perf_counter()
        record = list(dict.fromkeys([*self.record, WATCHED]))
        self.sim = Simulator(self.circuit, backend=self.simulator, record=record,
                             **self._options(self.chunk, training=True))
        self._samples_before = self._samples_trained  # before this circuit was built
        self._watched_seen = 0  # spikes of WATCHED already checked
        self.sim.prepare()  # compile now, not inside the first chunk
        self.compile_time = time.perf_counter() - t0

    def halve_step(self) -> None:
        """Halve the learning step: the training circuit rebuilt with plastic weight exponent -1,
        ``W1`` and ``W2`` doubled (clipped) and every copy written from them, as a host
        reconfiguring the chip would (a copy that had saturated differently from its master is
        rewritten too)."""
        shift = check_step_shift(self.step_shift + 1)
        W1, W2 = (rule.halve_step(w) for w in self.weights())
        self.sim.close()
        self.step_shift = shift
        self._build_training(W1, W2, None)

    # ------------------------------------------------------------------------------ options
    #: Simulator options the backend sets itself.
    _reserved_options = ("record", "record_state", "chunk_samples")
    #: Simulator options of the training circuit only (not passed to the inference circuit's).
    training_only_options: tuple = ()

    def _check_options(self, sim_cls, options: dict) -> None:
        """Refuse, before anything is built, options the simulator does not take."""
        known = _keywords(sim_cls) - set(self._reserved_options)
        unknown = [k for k in options if k not in known]
        if unknown:
            raise UsageError(f"unknown option(s) for the {self.name} backend: "
                             f"{', '.join(unknown)} (it takes chunk, record, plastic"
                             f"{''.join(', ' + k for k in sorted(known))})")

    def _options(self, chunk: int, training: bool) -> dict:
        """Options of the training (or inference) circuit's simulator: the backend's options and,
        for simulators that run samples in chunks of their own, ``chunk_samples``."""
        options = {k: v for k, v in self.simulator_options.items()
                   if training or k not in self.training_only_options}
        if "chunk_samples" in _keywords(simulator_class(self.simulator)):
            options["chunk_samples"] = chunk
        return options

    # ------------------------------------------------------------------------------ training
    def train(self, X, labels, progress=None, replay=None):
        X, labels = check_training_inputs(X, labels, self.n_in, self.n_out)
        R = check_replay(replay, X, self.variant)
        T = np.eye(self.n_out, dtype=np.uint8)[labels]
        for a in range(0, len(X), self.chunk):
            b = min(a + self.chunk, len(X))
            check_bias_bound(*self.weights(), X[a:b], self.step_shift)
            data = {"pixels": X[a:b], "targets": T[a:b]}
            if self.variant.replay_keep < 1:
                data["replay_off"] = X[a:b] & (1 - R[a:b])
            self.sim.run_samples(data)
            self._check_watched()
            self._samples_trained += b - a
            if progress is not None:
                progress(b - a)

    def _check_watched(self) -> None:
        """:func:`check_output_phases` on the output spikes of the chunk just run; the
        simulator's record is then cleared when the user recorded nothing, so
        long runs do not accumulate them."""
        steps, idx = self.sim.spikes(WATCHED)
        check_output_phases(self.circuit, steps[self._watched_seen:], idx[self._watched_seen:],
                            self._samples_before)
        if not self.record:
            self.sim.clear_spikes()
            self._watched_seen = 0
        else:
            self._watched_seen = len(steps)

    def weights(self):
        """``(W1, W2)``: the plastic mantissas (worth ``2**-step_shift`` threshold/1024 each)."""
        return (np.asarray(self.sim.mantissas("W1")).T.astype(np.int64).copy(),
                np.asarray(self.sim.mantissas("W2")).T.astype(np.int64).copy())

    def plastic_weights(self) -> dict:
        """All eight plastic matrices (pre, post) of the training circuit (mantissas)."""
        return {c: self.sim.mantissas(c) for c in PLASTIC}

    def plastic_state(self) -> dict:
        """All eight plastic (pre, post) matrices as int64: what :meth:`restore` continues from."""
        return {c: np.asarray(w).astype(np.int64) for c, w in self.plastic_weights().items()}

    @classmethod
    def restore(cls, W1, W2, plastic=None, **options):
        return cls(W1, W2, plastic=plastic or None, **options)

    def spikes(self, population: str):
        """Recorded spikes ``(steps, indices)`` of a training-circuit population (``record``)."""
        return self.sim.spikes(population)

    def close(self) -> None:
        self.sim.close()
        if self._inference is not None:
            self._inference[1].close()
            self._inference = None

    # ------------------------------------------------------------------------------ inference
    def infer(self, X, chunk: int | None = None) -> Inference:
        """Forward pass (no learning) of ``X`` (n, n_in) on the 4-step inference circuit."""
        X = check_binary(X, "X", self.n_in)
        chunk = int(chunk or self.default_infer_chunk)
        circuit, sim = self._inference_simulator(chunk)
        try:
            for a in range(0, len(X), chunk):
                sim.run_samples({"pixels": X[a:a + chunk]})
            return output_readout(circuit, sim, len(X))
        finally:
            if self._inference is None or self._inference[1] is not sim:
                sim.close()

    def _inference_simulator(self, chunk: int) -> tuple:
        """``(circuit, simulator)`` of the inference circuit with the current weights.

        A simulator that can go back to step 0 (``reset``, e.g. Brian2's) is built once and reused
        with new weights (``set_weights``) at every call; others are built per call (the Loihi
        emulator's build is a fraction of a second).  Its static weights are the effective ones
        (mantissas shifted by ``step_shift``, exact since they are even).
        """
        W1, W2 = (w >> self.step_shift for w in self.weights())
        if self._inference is not None and self._inference[2] == chunk:
            circuit, sim, _ = self._inference
            sim.reset()
            sim.set_weights("W1", W1.T)
            sim.set_weights("W2", W2.T)
            if "r" in circuit.populations:
                sim.set_weights("W2_r", W2.T)
            return circuit, sim
        steps = self.variant.readout_steps
        circuit = inference_circuit(W1, W2, readout_steps=steps)
        sim = Simulator(circuit, backend=self.simulator, record=["o", "r"] if steps else ["o"],
                        record_state={"o": ["u"]}, **self._options(chunk, training=False))
        if hasattr(sim, "reset"):
            if self._inference is not None:
                self._inference[1].close()
            self._inference = (circuit, sim, chunk)
        return circuit, sim

def _keywords(cls) -> set:
    """The keyword parameters of ``cls.__init__`` beyond the circuit."""
    params = inspect.signature(cls.__init__).parameters
    return {k for k, p in params.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} - {"self", "circuit"}


class LoihiBackend(SpikingBackend):
    """nBP on the bit-exact Loihi emulator (``pulsegated train --backend loihi``).

    Parameters
    ----------
    W1, W2 : int arrays
        Initial weights, reference layout.
    chunk : int
        Samples per emulator call (memory of the external spike list vs call overhead).
    record : iterable of str
        Populations of the training circuit whose spikes are recorded (default none, for speed).
    plastic : dict, optional
        The full plastic state of a run being resumed (see :meth:`plastic_state`).
    **options
        Options of :class:`~pulsegated.backends.loihi.LoihiSimulator` (``rounding``, ``seed``).
    """

    name = "loihi"

    def __init__(self, W1, W2, chunk: int = 1000, record=(), plastic: dict | None = None,
                 **options):
        super().__init__(W1, W2, simulator="loihi", chunk=chunk, record=record, plastic=plastic,
                         **options)

    def overflow_report(self) -> dict:
        """``{population: {"q_wraps", "u_wraps", "v_saturations"}}`` of the training circuit."""
        return self.sim.overflow_report()


class Brian2Backend(SpikingBackend):
    """nBP with Brian2 (``pulsegated train --backend brian2``).

    Parameters
    ----------
    W1, W2 : int arrays
        Initial weights, reference layout.
    device : {"runtime", "cpp_standalone"}
        ``runtime``: the network keeps running across calls.  ``cpp_standalone``: one C++
        project compiled once; every chunk of ``chunk`` samples is a run of that binary with the
        current weights and the chunk's stimuli passed as ``run_args`` (a run restarts at step 0;
        the circuit keeps no state across samples, so this is exact).
    chunk : int, optional
        Samples per Brian2 run (default 200 with the runtime device, 1000 standalone).
    record : iterable of str
        Populations of the training circuit with spike monitors.
    directory : str or path, optional
        Folder of the standalone project (default: a temporary folder removed by :meth:`close`).
    codegen : {"cython", "numpy"}
        Code generation target of the runtime device (also used for inference, which always runs
        on the runtime device).
    plastic : dict, optional
        The full plastic state of a run being resumed (see :meth:`plastic_state`).
    **options
        Other options of :class:`~pulsegated.backends.brian2.Brian2Simulator` (``make_jobs``,
        ``seed``).
    """

    name = "brian2"
    default_infer_chunk = 1000
    training_only_options = ("device", "build_dir", "make_jobs")

    def __init__(self, W1, W2, device: str = "runtime", chunk: int | None = None, record=(),
                 directory=None, codegen: str = "cython", plastic: dict | None = None,
                 **options):
        if directory is not None:
            options["build_dir"] = directory
        chunk = chunk or (200 if device == "runtime" else 1000)
        super().__init__(W1, W2, simulator="brian2", chunk=chunk, record=record, plastic=plastic,
                         device=device, codegen=codegen, **options)
