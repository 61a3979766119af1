"""The gating ring and its phase schedule."""

from __future__ import annotations

from dataclasses import dataclass

from pulsegated.circuit.errors import CircuitError, check_int

__all__ = ["Schedule"]


@dataclass(frozen=True)
class Schedule:
    """The gating ring and its phase schedule.

    ``ring[k]`` is the name of the size-1 gate population that opens phase ``k``: it spikes at step
    ``t0 + n*n_phases + k - 1`` of sample ``n`` so that its gate input arrives at phase ``k``.  The
    ring drives itself (``ring[k] -> ring[k+1 mod n]`` connections in the circuit) once ``kick``
    (a one-spike source) has started it.  Sample ``n`` occupies steps
    ``[t0 + n*n_phases, t0 + (n+1)*n_phases)``.
    """

    n_phases: int
    ring: tuple
    kick: str | None = None
    t0: int = 2

    def step(self, sample: int, phase: int) -> int:
        """Absolute step of ``phase`` of ``sample``."""
        return self.t0 + sample * self.n_phases + phase

    def validate(self) -> None:
        check_int("schedule", "n_phases", self.n_phases, 1)
        check_int("schedule", "t0", self.t0, 0)
        if self.ring and len(self.ring) != self.n_phases:
            raise CircuitError(f"schedule: ring has {len(self.ring)} gates for "
                               f"{self.n_phases} phases")
