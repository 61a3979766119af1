"""``Brian2Simulator``: the :class:`~pulsegated.backends.base.CircuitSimulator` of Brian2."""

from __future__ import annotations

import numpy as np

from pulsegated.backends.base import CircuitSimulator, check_n_steps, check_sample_data
from pulsegated.backends.brian2.builder import CODEGEN, DEVICES, MAKE_JOBS, build
from pulsegated.circuit import LoihiCompartment
from pulsegated.errors import UsageError

__all__ = ["Brian2Simulator", "fill_stimuli"]


def fill_stimuli(circuit, values: dict, data: dict, first_sample: int, n: int,
                 t_start: int) -> None:
    """Write the source spikes of samples ``first_sample .. first_sample + n`` into the TimedArray
    value arrays ``values[source]`` (row ``r + 1`` is step ``t_start + r``)."""
    sch = circuit.schedule
    for name, arr in values.items():
        arr[:] = 0
        src = circuit.sources[name]
        if src.kind == "data":
            smp, idx = np.nonzero(data[name])
            steps = sch.t0 + (first_sample + smp) * sch.n_phases + src.data_phase
            arr[steps - t_start + 1, idx] = 1
        else:
            for ph in src.phases:
                steps = sch.t0 + (first_sample + np.arange(n)) * sch.n_phases + ph
                arr[steps - t_start + 1, :] = 1


def _positive_int(value, what: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < 1:
        raise UsageError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


class Brian2Simulator(CircuitSimulator):
    """Runs a circuit with Brian2, continuing across calls.

    Parameters
    ----------
    circuit : Circuit
    device : {"runtime", "cpp_standalone"}
        ``runtime``: Brian2's runtime device; the network keeps running (and keeps every state
        variable) across calls.  ``cpp_standalone``: one C++ project of a run of
        ``chunk_samples`` samples, compiled at construction; every chunk of :meth:`run_samples`
        is one run of that binary with the chunk's stimuli and the current weights passed as
        ``run_args``.  **A standalone run restarts at step 0 and carries over only the weights**
        (every neuron, trace and reward variable starts from its initial value again), so it gives
        the runtime device's results only for circuits that keep no state across samples, such as
        the nBP training circuit, whose ``t0`` lead-in steps rebuild the gate inputs pending at a
        sample boundary (its standalone runs are tested bit for bit against the runtime device).
        The simulator cannot tell whether a circuit carries state from one sample to the next
        (a neuron's potential, a trace, a refractory count still running): such a circuit must
        use the runtime device.  A last chunk shorter than
        ``chunk_samples`` is padded with all-zero data samples (the fixed-pattern sources keep
        firing); their spikes and states are not reported, but their weight changes are kept (none
        in the nBP circuit, where a sample without input and target changes nothing).  Standalone
        runs scheduled circuits with :meth:`run_samples` only.
    codegen : {"cython", "numpy"}
        Code generation target of the runtime device (per object; Brian2's global preference is
        neither used nor changed).  Ignored by ``cpp_standalone``.
    build_dir : str or path, optional
        Folder of the standalone project.  Default: a temporary folder, removed by :meth:`close`
        or when the simulator is garbage-collected (a named folder is kept).
    make_jobs : int
        Parallel ``make`` jobs of the standalone compilation (default 2).
    record : iterable of str or None
        Populations with spike monitors (None: all).
    record_state : dict, optional
        ``{population: [variables]}`` recorded every step, at the end of the step
        (see :meth:`state`).
    chunk_samples : int
        Samples per Brian2 run (length of the stimulus TimedArrays; standalone: samples of one
        compiled run).
    seed : int, optional
        Seed of Brian2's random numbers (initial values, noise, Poisson sources).
    variable_delays : bool
        Build with a delay per synapse, so that :meth:`set_delay` can change any connection's
        delay alone (see :func:`~pulsegated.backends.brian2.builder.build`).

    Notes
    -----
    Building or running never changes Brian2's global device, ``prefs.codegen.target`` or
    ``defaultclock``: simulators at different ``dt``, with different targets or devices coexist.
    """

    name = "brian2"

    def __init__(self, circuit, device: str = "runtime", codegen: str = "cython",
                 build_dir=None, make_jobs: int = MAKE_JOBS, record=None, record_state=None,
                 chunk_samples: int = 200, seed: int | None = None,
                 variable_delays: bool = False, **options):
        if options:
            raise UsageError(f"unknown option(s) for the brian2 simulator: {', '.join(options)}")
        if device not in DEVICES:
            raise UsageError(f"unknown device {device!r}; choose one of: {', '.join(DEVICES)}")
        if codegen not in CODEGEN:
            raise UsageError(f"unknown codegen target {codegen!r}; choose one of: "
                             f"{', '.join(CODEGEN)}")
        self.chunk_samples = _positive_int(chunk_samples, "chunk_samples")
        make_jobs = _positive_int(make_jobs, "make_jobs")
        sch = circuit.schedule
        if device == "cpp_standalone" and sch is None:
            raise UsageError("device='cpp_standalone' runs scheduled circuits sample by sample "
                             "(run_samples); use device='runtime' for run_steps")
        self.circuit = circuit
        self.device = device
        self.codegen = codegen
        chunk_steps = (sch.t0 + self.chunk_samples * sch.n_phases) if sch else 1
        if seed is not None:
            import brian2 as b2
            b2.seed(int(seed))
        self.b2c = build(circuit, device=device, record=record, record_state=record_state,
                         chunk_steps=chunk_steps, codegen=codegen, directory=build_dir,
                         make_jobs=make_jobs, variable_delays=variable_delays)
        self._sample = 0
        self._closed = False
        if device == "runtime":
            self.b2c.network.store("pulsegated_initial")
        else:
            self._t = 0
            #: per-synapse weights every run starts from (plastic: carried over; set_weights)
            self._w = {c: w.copy() for c, w in self.b2c.initial_w.items()}
            self._given = set()  # connections whose weights differ from the compiled ones
            self._spikes = {p: ([], []) for p in self.b2c.monitors}
            self._states = {p: [] for p in self.b2c.state_monitors}

    def __repr__(self) -> str:
        return (f"<Brian2Simulator {self.circuit.name!r} device={self.device!r} t={self.t} "
                f"samples={self._sample}>")

    # ------------------------------------------------------------------ running
    @property
    def t(self) -> int:
        """Steps run so far."""
        if self.device == "runtime":
            return int(round(float(self.b2c.network.t / self.b2c.dt)))
        return self._t

    @property
    def build_dir(self):
        """Folder of the standalone project (None with the runtime device)."""
        return self.b2c.directory

    def prepare(self) -> None:
        """Generate and compile every code object now (a zero-length run of the runtime device),
        not inside the first run; the standalone project is compiled at construction."""
        self._check_open()
        if self.device == "runtime":
            self.b2c.run(0)

    def reset(self, restore_random_state: bool = False) -> None:
        """Back to the state right after construction: step 0, every state variable, weight
        and recording as built (runtime: Brian2's ``Network.restore``; with
        ``restore_random_state`` also the state of Brian2's random numbers then)."""
        self._check_open()
        self._sample = 0
        if self.device == "runtime":
            self.b2c.network.restore("pulsegated_initial",
                                     restore_random_state=bool(restore_random_state))
        else:
            self._t = 0
            self._w = {c: w.copy() for c, w in self.b2c.initial_w.items()}
            self._given = set()
            self._spikes = {p: ([], []) for p in self.b2c.monitors}
            self._states = {p: [] for p in self.b2c.state_monitors}

    def run_steps(self, n_steps: int) -> None:
        n_steps = check_n_steps(n_steps)
        self._check_open()
        if self.device != "runtime":
            raise UsageError("run_steps needs device='runtime'; a cpp_standalone simulator runs "
                             "samples (run_samples)")
        if n_steps:
            self.b2c.run(n_steps)

    def run_samples(self, data) -> None:
        n, data = check_sample_data(self.circuit, data)
        self._check_open()
        for a in range(0, n, self.chunk_samples):
            b = min(a + self.chunk_samples, n)
            chunk = {k: v[a:b] for k, v in data.items()}
            if self.device == "runtime":
                self._run_chunk_runtime(chunk, b - a)
            else:
                self._run_chunk_standalone(chunk, b - a)
            self._sample += b - a

    def _run_chunk_runtime(self, data, n):
        b2c = self.b2c
        t_start = self.t
        t_end = self.circuit.schedule.step(self._sample + n, 0)
        values = {name: np.zeros(b2c.stimulus_shape(name)) for name in b2c.stimuli}
        fill_stimuli(self.circuit, values, data, self._sample, n, t_start)
        b2c.set_stimuli(values, t_start)
        b2c.run(t_end - t_start)

    def _run_chunk_standalone(self, data, n):
        b2c, sch = self.b2c, self.circuit.schedule
        pad = self.chunk_samples - n  # all-zero samples
        if pad:
            data = {k: np.vstack([v, np.zeros((pad, v.shape[1]), v.dtype)])
                    for k, v in data.items()}
        values = {name: np.zeros(b2c.stimulus_shape(name)) for name in b2c.stimuli}
        fill_stimuli(self.circuit, values, data, 0, self.chunk_samples, 0)
        run_args = b2c.stimulus_run_args(values)
        carried = [c.name for c in self.circuit.connections.values() if c.plastic]
        given = sorted(set(carried) | self._given, key=list(self.circuit.connections).index)
        run_args.update(b2c.weight_run_args({c: self._w[c] for c in given}))
        b2c.run_standalone(run_args)
        for c in carried:
            self._w[c] = np.asarray(b2c.synapses[c].w[:])
        self._given.update(carried)
        # report the real samples on the runtime device's time line: a later chunk's lead-in
        # (steps before its first sample) is a restart and has no runtime counterpart
        first = 0 if self._sample == 0 else sch.t0
        end = sch.t0 + n * sch.n_phases
        shift = self._sample * sch.n_phases
        for p, m in b2c.monitors.items():
            steps = np.rint(np.asarray(m.t / b2c.dt)).astype(np.int64)
            keep = (steps >= first) & (steps < end)
            self._spikes[p][0].append(steps[keep] + shift)
            self._spikes[p][1].append(np.asarray(m.i[:], dtype=np.int64)[keep])
        for p, m in b2c.state_monitors.items():
            self._states[p].append({v: np.asarray(getattr(m, v)).T[first:end]
                                    for v in m.record_variables})
        self._t = sch.step(self._sample + n, 0)

    # ------------------------------------------------------------------ probes
    def spikes(self, population: str):
        """``(steps, indices)`` int64 arrays of every recorded spike of ``population``."""
        if population not in self.b2c.monitors:
            raise UsageError(f"spikes of {population!r} were not recorded")
        if self.device == "runtime":
            m = self.b2c.monitors[population]
            steps = np.rint(np.asarray(m.t / self.b2c.dt)).astype(np.int64)
            return steps, np.asarray(m.i[:], dtype=np.int64)
        st, ix = self._spikes[population]
        return (np.concatenate(st) if st else np.zeros(0, np.int64),
                np.concatenate(ix) if ix else np.zeros(0, np.int64))

    def clear_spikes(self) -> None:
        """Forget every spike recorded so far (:meth:`spikes` then returns the later ones)."""
        self._check_open()
        if self.device == "runtime":
            for view in self.b2c.monitors.values():
                view.clear()      # merged populations share a monitor: clearing twice is harmless
        else:
            self._spikes = {p: ([], []) for p in self.b2c.monitors}

    def state(self, population: str, variable: str) -> np.ndarray:
        """Recorded values of a state variable, shape ``(n_steps, n_neurons)``: row ``t`` is the
        value at the end of step ``t`` (see ``record_state``).

        Values are in the description's units: LoihiCompartment populations in the raw chip
        units the backend holds (threshold units x 64, integers held exactly as floats);
        equation neurons in SI base units (e.g. volt as float).
        """
        mons = self.b2c.state_monitors
        if population not in mons or variable not in mons[population].record_variables:
            raise UsageError(f"state {variable!r} of {population!r} was not recorded; pass "
                             f"record_state={{{population!r}: [{variable!r}]}}")
        if self.device == "runtime":
            return np.asarray(getattr(mons[population], variable)).T
        parts = [p[variable] for p in self._states[population]]
        n = self.circuit.size_of(population)
        return np.concatenate(parts) if parts else np.zeros((0, n))

    def _check_connection(self, connection: str):
        if connection not in self.circuit.connections:
            raise UsageError(f"unknown connection {connection!r}")
        return self.circuit.connections[connection]

    def weights(self, connection: str) -> np.ndarray:
        """Dense (pre, post) weights a spike delivers (Loihi targets: effective weights in
        threshold units, ``floor(M * 2**weight_exp)``; equation neurons: SI base units of the
        target variable)."""
        c = self._check_connection(connection)
        if self.device == "runtime":
            return self.b2c.weight_matrix(connection)
        w = self.mantissas(connection)
        if c.plastic and isinstance(self.circuit.populations[c.post].model, LoihiCompartment):
            from pulsegated.circuit.weights import effective_weights
            return effective_weights(w, c.weight_exp or 0)
        return w

    def mantissas(self, connection: str) -> np.ndarray:
        """Dense (pre, post) synapse values ``w``: a plastic Loihi connection's mantissas."""
        self._check_connection(connection)
        if self.device == "runtime":
            return self.b2c.mantissa_matrix(connection)
        return self.b2c.dense(connection, self._w[connection])

    def set_weights(self, connection: str, matrix) -> None:
        """Replace the weights of a connection by a dense (pre, post) ``matrix`` in the units
        :meth:`weights` returns (zeros where the connection has no synapse).

        Loihi targets take integers (threshold units); a plastic connection with a non-zero
        ``weight_exp`` holds mantissas and is refused.  Standalone: used from the next run on.
        """
        c = self._check_connection(connection)
        self._check_open()
        post = self.circuit.populations[c.post].model
        n_pre, n_post = self.circuit.size_of(c.pre), self.circuit.size_of(c.post)
        m = np.asarray(matrix)
        if m.shape != (n_pre, n_post):
            raise UsageError(f"set_weights({connection!r}): matrix must have shape "
                             f"{(n_pre, n_post)}, got {m.shape}")
        if not (np.issubdtype(m.dtype, np.integer) or np.issubdtype(m.dtype, np.floating)
                or m.dtype == np.bool_) or not np.all(np.isfinite(m)):
            raise UsageError(f"set_weights({connection!r}): matrix must hold finite numbers")
        loihi = isinstance(post, LoihiCompartment)
        if loihi and c.plastic and c.weight_exp:
            raise UsageError(f"set_weights({connection!r}): a plastic connection with "
                             f"weight_exp={c.weight_exp} holds mantissas, not weights")
        if loihi and not np.array_equal(m, np.round(m)):
            raise UsageError(f"set_weights({connection!r}): weights onto Loihi compartments are "
                             f"integers (threshold units)")
        i, j = self.b2c.synapse_indices(connection)
        outside = np.ones(m.shape, bool)
        outside[i, j] = False
        if np.any(m[outside] != 0):
            raise UsageError(f"set_weights({connection!r}): non-zero entries where the "
                             f"{c.pattern} connection has no synapse")
        values = m.astype(float)[i, j]
        if self.device == "runtime":
            self.b2c.synapses[connection].w = values * self.b2c.weight_units[connection]
        else:
            self._w[connection] = values
            self._given.add(connection)

    def set_delay(self, connection: str, steps: int) -> None:
        """Set a connection's delay (steps) for the next runs (runtime device).

        A connection whose delay equals that of the other connections sharing its ``Synapses``
        object at build time shares one delay with them and cannot change it alone
        (:class:`~pulsegated.errors.UsageError`): build a circuit with the delays instead.
        """
        self._check_connection(connection)
        self._check_runtime("set_delay")
        if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, (int, np.integer)) \
                or steps < 0:
            raise UsageError(f"set_delay({connection!r}): steps must be an integer >= 0, got "
                             f"{steps!r}")
        self.b2c.synapses[connection].delay = int(steps) * self.b2c.dt

    def set_state(self, population: str, variable: str, value) -> None:
        """Set a state variable of a population's neurons (a value, array or Brian2 expression
        string such as ``"rand()"``) for the next runs (runtime device)."""
        if population not in self.circuit.populations:
            raise UsageError(f"unknown population {population!r}")
        self._check_runtime("set_state")
        group = self.b2c.groups[population]
        if variable not in group.variables:
            raise UsageError(f"population {population!r} has no variable {variable!r}")
        setattr(group, variable, value)

    def set_spike_train(self, source: str, indices, steps) -> None:
        """Replace the spikes of a spike-train source for the next runs (runtime device):
        neuron ``indices[k]`` spikes at step ``steps[k]``."""
        self._check_runtime("set_spike_train")
        if source not in self.circuit.sources or self.circuit.sources[source].kind != "train":
            raise UsageError(f"{source!r} is not a spike-train source of this circuit")
        indices, steps = np.asarray(indices), np.asarray(steps)
        n = self.circuit.size_of(source)
        if indices.shape != steps.shape or indices.ndim != 1:
            raise UsageError("set_spike_train: indices and steps must be 1-d arrays of one length")
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            raise UsageError(f"set_spike_train: indices must lie in 0..{n - 1}")
        self.b2c.set_spike_train(source, indices, steps)

    def _check_runtime(self, what: str) -> None:
        self._check_open()
        if self.device != "runtime":
            raise UsageError(f"{what} needs device='runtime'")

    # ------------------------------------------------------------------ resources
    def _check_open(self):
        if self._closed:
            raise UsageError("this simulator was closed")

    def close(self) -> None:
        """Release the standalone project (its temporary folder is removed; a ``build_dir``
        given by the caller is kept).  The simulator cannot run afterwards."""
        self._closed = True
        self.b2c.close()
