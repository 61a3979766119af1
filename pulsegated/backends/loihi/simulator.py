"""``LoihiSimulator``: runs a circuit description on the integer emulator."""

from __future__ import annotations

import time

import numpy as np

from pulsegated.backends.base import CircuitSimulator, check_n_steps, check_sample_data
from pulsegated.backends.loihi.discretize import discretize
from pulsegated.backends.loihi.emulator import Emulator
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
    probe_uv : dict, optional
        ``{population: neuron indices}`` whose raw u and v are recorded every step.
    rounding : {"deterministic", "stochastic"}
        Rounding of learning updates (see :mod:`pulsegated.backends.loihi.emulator`).
    seed : int
        Seed of the stochastic-rounding model.
    """

    name = "loihi"

    def __init__(self, circuit, record=None, probe_uv=None, rounding="deterministic", seed=0,
                 **options):
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
        self.emulator = Emulator(self.program, record=record, probe_uv=self._probe_index,
                                 rounding=rounding, seed=seed)
        self._sample = 0
        self._started = False

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

    def weights(self, connection: str) -> np.ndarray:
        """Dense (pre, post) effective weights in threshold units: ``floor(M * 2**weight_exp)``."""
        if connection not in self.circuit.connections:
            raise UsageError(f"unknown connection {connection!r}")
        return self.emulator.weight_matrix(connection)

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

    def uv(self):
        """Raw ``(u, v)`` arrays of shape (steps, probes) for the probed neurons."""
        return self.emulator.uv()

    def overflow_report(self) -> dict:
        """``{population: {"q_wraps", "u_wraps", "v_saturations"}}`` counted so far."""
        return self.emulator.overflow_report()
