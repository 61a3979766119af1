"""``LoihiSimulator``: runs a circuit description on the integer emulator."""

from __future__ import annotations

import time

import numpy as np

from pulsegated.backends.base import CircuitSimulator, check_n_steps, check_sample_data
from pulsegated.backends.loihi.discretize import bias_registers, discretize
from pulsegated.backends.loihi.registers import DiscretizeError
from pulsegated.backends.loihi.emulator import Emulator
from pulsegated.circuit.weights import SIGN_MODES as W_SIGN_MODES
from pulsegated.circuit.weights import effective_weights
from pulsegated.errors import UsageError

__all__ = ["LoihiSimulator"]


class LoihiSimulator(CircuitSimulator):
    """Bit-exact Loihi 1 run of a circuit.

    Parameters
    ----------
    circuit : Circuit
        All populations :class:`~pulsegated.circuit.LoihiCompartment`.
    record : iterable of str or None
        Populations whose spikes are recorded (None: all).
    record_state : dict, optional
        ``{population: variables}`` recorded every step for every neuron of the population and read
        with :meth:`state`; the variables are ``"u"`` (synaptic current) and ``"v"`` (membrane
        voltage) in raw chip units (threshold units times 2**6).
    probe_uv : dict, optional
        ``{population: neuron indices}`` whose raw u and v are recorded every step and read with
        :meth:`uv` (a subset of neurons; :meth:`state` is the interface shared by every backend).
    rounding : {"deterministic", "stochastic"}
        Rounding of learning updates (see :mod:`pulsegated.backends.loihi.emulator`).
    seed : int
        Seed of the stochastic-rounding model.
    """

    name = "loihi"

    #: Variables :meth:`state` can record.
    STATE_VARIABLES = ("u", "v")

    def __init__(self, circuit, record=None, record_state=None, probe_uv=None,
                 rounding="deterministic", seed=0, **options):
        if options:
            raise UsageError(f"unknown option(s) for the loihi simulator: {', '.join(options)}")
        self.circuit = circuit
        t0 = time.perf_counter()
        self.program = discretize(circuit)
        self.discretize_time = time.perf_counter() - t0
        record = list(circuit.populations) if record is None else list(record)
        self._probe_index = []
        for pop, idx in (probe_uv or {}).items():
            a, b = self.program.pop_slices[pop]
            for i in np.atleast_1d(idx):
                if not 0 <= i < b - a:
                    raise UsageError(f"probe index {i} out of range for {pop!r} (size {b - a})")
                self._probe_index.append(a + int(i))
        self._n_uv = len(self._probe_index)
        # record_state: whole populations, probed after the probe_uv indices
        self._state_columns, self._state_variables = {}, {}
        for pop, variables in (record_state or {}).items():
            if pop not in self.program.pop_slices:
                raise UsageError(f"record_state: unknown population {pop!r}; the circuit has "
                                 f"{', '.join(self.program.pop_slices)}")
            variables = [variables] if isinstance(variables, str) else list(variables)
            bad = [v for v in variables if v not in self.STATE_VARIABLES]
            if bad:
                raise UsageError(f"record_state: the loihi simulator records "
                                 f"{' and '.join(self.STATE_VARIABLES)} of {pop!r}, not "
                                 f"{', '.join(map(repr, bad))}")
            a, b = self.program.pop_slices[pop]
            start = len(self._probe_index)
            self._probe_index.extend(range(a, b))
            self._state_columns[pop] = slice(start, start + b - a)
            self._state_variables[pop] = tuple(variables)
        self.emulator = Emulator(self.program, record=record, probe_uv=self._probe_index,
                                 rounding=rounding, seed=seed)
        self._sample = 0
        self._started = False
        self._count_base = self.emulator.operation_counters()
        self._count_base_sample = 0

    # ------------------------------------------------------------------------------ running
    @property
    def t(self) -> int:
        return self.emulator.t

    def _train_spikes(self, t_from: int, t_to: int):
        steps, pres = [], []
        for name, src in self.circuit.sources.items():
            if src.kind != "train":
                continue
            base = self.program.src_slices[name][0]
            st = np.asarray(src.steps, dtype=np.int64)
            idx = np.asarray(src.indices if src.indices else [0] * len(st), dtype=np.int64)
            m = (st >= t_from) & (st < t_to)
            steps.append(st[m])
            pres.append(base + idx[m])
        return steps, pres

    def prepare(self) -> None:
        """Compile the emulator kernel (or load it from numba's cache) on a throwaway copy of the
        program: one empty step, this simulator's state untouched."""
        Emulator(self.program, record=()).run(1)

    def run_steps(self, n_steps: int) -> None:
        n_steps = check_n_steps(n_steps)
        steps, pres = self._train_spikes(self.t, self.t + n_steps)
        self._run(n_steps, steps, pres)

    def run_samples(self, data) -> None:
        n, arrays = check_sample_data(self.circuit, data)
        sch = self.circuit.schedule
        if not n:
            return
        first = self._sample
        t_from = self.t
        t_to = sch.step(first + n, 0)
        steps, pres = self._train_spikes(t_from, t_to)
        for s in self.circuit.sources.values():
            base = self.program.src_slices[s.name][0]
            if s.kind == "data":
                smp, idx = np.nonzero(arrays[s.name])
                steps.append(sch.t0 + (first + smp) * sch.n_phases + s.data_phase)
                pres.append(base + idx)
            elif s.kind == "pattern":
                for ph in s.phases:
                    st = sch.t0 + (first + np.arange(n)) * sch.n_phases + ph
                    for i in range(s.size):
                        steps.append(st)
                        pres.append(np.full(n, base + i))
        self._run(t_to - t_from, steps, pres)
        self._sample += n

    def _run(self, n_steps, steps, pres) -> None:
        if steps:
            st = np.concatenate(steps).astype(np.int64)
            pr = np.concatenate(pres).astype(np.int64)
            order = np.argsort(st, kind="stable")
            st, pr = st[order], pr[order]
        else:
            st = pr = np.zeros(0, np.int64)
        self.emulator.run(n_steps, st, pr)

    # ------------------------------------------------------------------------------ probes
    def spikes(self, population: str):
        if population not in self.circuit.populations:
            raise UsageError(f"unknown population {population!r}")
        return self.emulator.spikes(population)

    def clear_spikes(self) -> None:
        """Forget the spikes recorded so far (:meth:`spikes` then returns the later ones only)."""
        self.emulator.clear_spikes()

    def weights(self, connection: str) -> np.ndarray:
        """Dense (pre, post) effective weights in threshold units: ``floor(M * 2**weight_exp)``."""
        if connection not in self.circuit.connections:
            raise UsageError(f"unknown connection {connection!r}")
        return self.emulator.weight_matrix(connection)

    def set_weights(self, connection: str, weights) -> None:
        """Replace a connection's dense (pre, post) effective weights (threshold units).

        The connection keeps its weight exponent ``e`` and sign mode: every weight must be an
        integer that a mantissa of the sign mode represents exactly (``M * 2**e``).  Entries outside
        the connection's pattern must be 0.

        Raises
        ------
        UsageError
            Naming the connection and the first weight that cannot be held.
        """
        if connection not in self.circuit.connections:
            raise UsageError(f"unknown connection {connection!r}")
        start, n_pre, n_post, pattern = self.program.conn_weights[connection]
        W = np.asarray(weights)
        if W.shape != (n_pre, n_post):
            raise UsageError(f"weights of {connection!r} must have shape {(n_pre, n_post)}, got "
                             f"{W.shape}")
        if not (np.issubdtype(W.dtype, np.integer)
                or (np.issubdtype(W.dtype, np.floating) and np.all(W == np.round(W)))):
            raise UsageError(f"weights of {connection!r} must be integers (threshold units), got "
                             f"{W.dtype} values such as {W.flat[0]!r}")
        W = W.astype(np.int64)
        regs = self.program.conn_registers[connection]
        e = int(regs["weightExp"])
        if pattern == "all_to_all":
            eff = W.ravel()
        else:
            rows = np.arange(n_post) if pattern == "one_to_one" else np.zeros(n_post, np.int64)
            eff = W[rows, np.arange(n_post)]
            outside = W.copy()
            outside[rows, np.arange(n_post)] = 0
            if outside.any():
                raise UsageError(f"weights of {connection!r} ({pattern}) must be 0 outside the "
                                 f"pattern")
        mant = eff << -e if e <= 0 else eff >> e
        lo, hi, step = W_SIGN_MODES[regs["signMode"]]
        bad = (effective_weights(mant, e) != eff) | (mant < lo) | (mant > hi) | (mant % step != 0)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise UsageError(f"weight {int(eff[k])} of {connection!r} cannot be held with its "
                             f"exponent {e} and {regs['signMode']} mantissas in [{lo}, {hi}]")
        self.emulator.set_mantissas(start, mant)

    def set_bias(self, population: str, bias) -> None:
        """Write the bias registers of a population, as the host (or an embedded snip) can between
        two runs.

        Parameters
        ----------
        population : str
        bias : number or array_like
            Threshold units, one value for every neuron or one per neuron; each must be a
            multiple of 1/64 that a 13-bit bias mantissa shifted by 0..7 holds exactly.

        Raises
        ------
        UsageError
            Naming the population and the first value the registers cannot hold.
        """
        if population not in self.circuit.populations:
            raise UsageError(f"unknown population {population!r}")
        a, b = self.program.pop_slices[population]
        values = np.broadcast_to(np.asarray(bias, dtype=float), (b - a,)) \
            if np.ndim(bias) == 0 else np.asarray(bias, dtype=float)
        if values.shape != (b - a,):
            raise UsageError(f"bias of {population!r} must be one value or {b - a} values, got "
                             f"shape {values.shape}")
        raw = values * 64.0
        if not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw)):
            raise UsageError(f"bias of {population!r} must be multiples of 1/64 threshold "
                             f"units")
        raw = raw.astype(np.int64)
        for r in np.unique(raw):
            try:
                bias_registers(int(r), population)
            except DiscretizeError as err:
                raise UsageError(str(err)) from None
        self.emulator.bias[a:b] = raw

    def mantissas(self, connection: str) -> np.ndarray:
        """Dense (pre, post) stored weight mantissas (what learning changes; the connection's
        exponent is ``quantization_report()[connection]["weight_exp"]``)."""
        if connection not in self.circuit.connections:
            raise UsageError(f"unknown connection {connection!r}")
        return self.emulator.mantissa_matrix(connection)

    def quantization_report(self) -> dict:
        """``{connection: {"max_abs_error", "rms_error", "zeroed", "weight_exp"}}``.

        The loss of discretizing each connection's weights, in threshold units (errors are
        effective minus requested weight; ``zeroed`` counts nonzero requested weights that became
        0).  Zero for weights held exactly: integer weights and explicit mantissas.
        """
        return {k: dict(v) for k, v in self.program.quantization.items()}

    def state(self, population: str, variable: str) -> np.ndarray:
        """Recorded raw ``(n_steps, n_neurons)`` int64 values of ``u`` or ``v`` (see
        ``record_state``); row ``s`` is the value after step ``s``."""
        if population not in self._state_variables:
            raise UsageError(f"the state of {population!r} was not recorded; pass "
                             f"record_state={{{population!r}: [{variable!r}]}}")
        if variable not in self._state_variables[population]:
            raise UsageError(f"{variable!r} of {population!r} was not recorded (recorded: "
                             f"{', '.join(self._state_variables[population])})")
        u, v = self.emulator.uv()
        return (u if variable == "u" else v)[:, self._state_columns[population]].copy()

    def uv(self):
        """Raw ``(u, v)`` arrays of shape (steps, probes) for the neurons given in ``probe_uv``
        (in that order); :meth:`state` reads whole populations recorded with ``record_state``."""
        u, v = self.emulator.uv()
        return u[:, :self._n_uv], v[:, :self._n_uv]

    def operation_counts(self) -> dict:
        """What the chip did since construction (or :meth:`reset_operation_counts`), counted.

        Counted for any circuit, in the emulator's kernel (spikes, active compartments, learning
        visits) and from the discretized connectivity (synaptic events): the inputs of the energy
        and time model :func:`pulsegated.analysis.energy.estimate`.

        Returns
        -------
        dict
            Every count an ``np.int64``:

            ``steps``, ``samples``
                time steps run; samples run with :meth:`run_samples` (0 if only
                :meth:`run_steps` was used).  Divide by ``samples`` for counts per sample.
            ``compartments``
                compartments of the circuit.
            ``spikes``
                spikes emitted by compartments.
            ``source_spikes``
                external spikes fed in through the circuit's sources.
            ``synaptic_events``
                synapses reached by spikes, compartments' and sources' alike: every spike adds one
                per synapse of its fan-out (all of a pre neuron's synapses are read, zero weights
                included), i.e. the sum over spiking pre neurons of their fan-out.
            ``compartment_updates``
                compartments times steps (each compartment is updated every step).
            ``active_updates``
                compartment updates in which the compartment spiked or its synaptic current
                ``u`` after the update was nonzero (it received input, or still integrates
                earlier input); the others (``compartment_updates - active_updates``) only
                carried their constant state.
            ``learning_updates``
                synaptic updates of the learning engine: at the end of every learning epoch of a
                plastic connection, each synapse whose pre or post neuron spiked in the epoch
                (every product term of a sum-of-products rule carries ``x0`` or ``y0``, so these
                are the only synapses a rule can change; a learning engine visits them all).
            ``learning_coincidences``
                the part of ``learning_updates`` whose pre and post both spiked in the epoch (the
                only synapses a rule whose every term carries ``x0 y0``, such as nBP's, changes).
            ``populations``
                ``{population: {"compartments", "spikes", "compartment_updates",
                "active_updates", "synaptic_events_in", "learning_updates_in",
                "learning_coincidences_in"}}``, where the ``_in`` counts are those of the
                synapses onto the population.
            ``sources``
                ``{source: {"spikes"}}``.
            ``connections``
                ``{connection: {"synapses", "pre_spikes", "synaptic_events", "learning_updates",
                "learning_coincidences"}}``; ``pre_spikes`` counts the spikes of the connection's
                pre neurons (the spikes the connection carries).
        """
        now = self.emulator.operation_counters()
        base = self._count_base
        spk = now["spikes"] - base["spikes"]
        act = now["active"] - base["active"]
        lrn = now["learning"] - base["learning"]
        steps = np.int64(now["steps"] - base["steps"])
        i64 = np.int64
        prog = self.program
        rule_row = {lr.connection: k for k, lr in enumerate(prog.learning)}
        pre_start = {**{k: a for k, (a, _) in prog.pop_slices.items()},
                     **{k: a for k, (a, _) in prog.src_slices.items()}}
        conns = {}
        for name, c in self.circuit.connections.items():
            n_pre, n_post = self.circuit.size_of(c.pre), self.circuit.size_of(c.post)
            a = pre_start[c.pre]
            pre_spikes = i64(spk[a:a + n_pre].sum())
            fan_out = 1 if c.pattern == "one_to_one" else n_post
            k = rule_row.get(name)
            conns[name] = {
                "synapses": i64(n_post if c.pattern != "all_to_all" else n_pre * n_post),
                "pre_spikes": pre_spikes,
                "synaptic_events": i64(pre_spikes * fan_out),
                "learning_updates": i64(0 if k is None else lrn[k, 0]),
                "learning_coincidences": i64(0 if k is None else lrn[k, 1])}
        pops = {}
        for name, (a, b) in prog.pop_slices.items():
            into = [conns[k] for k, c in self.circuit.connections.items() if c.post == name]
            pops[name] = {
                "compartments": i64(b - a), "spikes": i64(spk[a:b].sum()),
                "compartment_updates": i64((b - a) * steps),
                "active_updates": i64(act[a:b].sum()),
                "synaptic_events_in": i64(sum(int(x["synaptic_events"]) for x in into)),
                "learning_updates_in": i64(sum(int(x["learning_updates"]) for x in into)),
                "learning_coincidences_in": i64(sum(int(x["learning_coincidences"])
                                                    for x in into))}
        srcs = {name: {"spikes": i64(spk[a:b].sum())} for name, (a, b) in prog.src_slices.items()}
        n = prog.n_compartments
        return {
            "steps": steps, "samples": i64(self._sample - self._count_base_sample),
            "compartments": i64(n),
            "spikes": i64(spk[:n].sum()), "source_spikes": i64(spk[n:].sum()),
            "synaptic_events": i64(sum(int(x["synaptic_events"]) for x in conns.values())),
            "compartment_updates": i64(n * steps), "active_updates": i64(act.sum()),
            "learning_updates": i64(lrn[:, 0].sum()),
            "learning_coincidences": i64(lrn[:, 1].sum()),
            "populations": pops, "sources": srcs, "connections": conns}

    def reset_operation_counts(self) -> None:
        """Start :meth:`operation_counts` afresh from here (e.g. after warm-up samples)."""
        self._count_base = self.emulator.operation_counters()
        self._count_base_sample = self._sample

    def overflow_report(self) -> dict:
        """``{population: {"q_wraps", "u_wraps", "v_saturations"}}`` counted so far."""
        return self.emulator.overflow_report()
