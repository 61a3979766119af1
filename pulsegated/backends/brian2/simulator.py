"""``Brian2Simulator``: the :class:`~pulsegated.backends.base.CircuitSimulator` of Brian2."""

from __future__ import annotations

import numpy as np

from pulsegated.backends.base import CircuitSimulator, check_n_steps, check_sample_data
from pulsegated.backends.brian2.builder import build
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


class Brian2Simulator(CircuitSimulator):
    """Runs a circuit with Brian2's runtime device (Cython), continuing across calls.

    Parameters
    ----------
    circuit : Circuit
    record : iterable of str or None
        Populations with spike monitors (None: all).
    record_state : dict, optional
        ``{population: variables}`` recorded every step.
    chunk_samples : int
        Samples per Brian2 ``run`` call (length of the stimulus TimedArrays).
    codegen : {"cython", "numpy"}
        Code generation target (see :func:`~pulsegated.backends.brian2.build`).
    seed : int, optional
        Seed of Brian2's random numbers (initial values, noise, Poisson sources).
    """

    name = "brian2"

    def __init__(self, circuit, record=None, record_state=None, chunk_samples: int = 200,
                 codegen: str = "cython", seed: int | None = None, **options):
        if options:
            raise UsageError(f"unknown option(s) for the brian2 simulator: {', '.join(options)}")
        self.circuit = circuit
        sch = circuit.schedule
        self.chunk_samples = int(chunk_samples)
        chunk_steps = (sch.t0 + self.chunk_samples * sch.n_phases) if sch else 1
        if seed is not None:
            import brian2 as b2
            b2.seed(int(seed))
        self.b2c = build(circuit, device="runtime", record=record, record_state=record_state,
                         chunk_steps=chunk_steps, codegen=codegen)
        self._sample = 0

    @property
    def t(self) -> int:
        return int(round(float(self.b2c.network.t / self.b2c.dt)))

    def run_steps(self, n_steps: int) -> None:
        n_steps = check_n_steps(n_steps)
        if n_steps:
            self.b2c.network.run(n_steps * self.b2c.dt, namespace={})

    def run_samples(self, data) -> None:
        n, data = check_sample_data(self.circuit, data)
        sch = self.circuit.schedule
        for a in range(0, n, self.chunk_samples):
            b = min(a + self.chunk_samples, n)
            t_start = self.t
            t_end = sch.step(self._sample + (b - a), 0)
            values = {name: ta.values for name, ta in self.b2c.stimuli.items()}
            fill_stimuli(self.circuit, values, {k: np.asarray(v)[a:b] for k, v in data.items()},
                         self._sample, b - a, t_start)
            for g in self.b2c.stim_groups.values():
                g.t_offset = t_start * self.b2c.dt
            self.b2c.network.run((t_end - t_start) * self.b2c.dt, namespace={})
            self._sample += b - a

    def spikes(self, population: str):
        if population not in self.b2c.monitors:
            raise UsageError(f"spikes of {population!r} were not recorded")
        m = self.b2c.monitors[population]
        steps = np.rint(np.asarray(m.t / self.b2c.dt)).astype(np.int64)
        return steps, np.asarray(m.i[:], dtype=np.int64)

    def weights(self, connection: str) -> np.ndarray:
        """Dense (pre, post) weights a spike delivers (Loihi targets: effective weights in
        threshold units, ``floor(M * 2**weight_exp)``)."""
        if connection not in self.circuit.connections:
            raise UsageError(f"unknown connection {connection!r}")
        return self.b2c.weight_matrix(connection)

    def mantissas(self, connection: str) -> np.ndarray:
        """Dense (pre, post) synapse values ``w``: a plastic Loihi connection's mantissas."""
        if connection not in self.circuit.connections:
            raise UsageError(f"unknown connection {connection!r}")
        return self.b2c.mantissa_matrix(connection)

    def state(self, population: str, variable: str) -> np.ndarray:
        """Recorded (steps, neurons) values of a state variable (see ``record_state``)."""
        return np.asarray(getattr(self.b2c.state_monitors[population], variable)).T
