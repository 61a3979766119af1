"""Activity per phase of a scheduled circuit, and the check against the circuit's activity table."""

from __future__ import annotations

import numpy as np


def phase_of(circuit, steps: np.ndarray) -> np.ndarray:
    """Phase of each absolute step (-1 for steps before the first sample)."""
    sch = circuit.schedule
    steps = np.asarray(steps, dtype=np.int64)
    return np.where(steps >= sch.t0, (steps - sch.t0) % sch.n_phases, -1)


def activity_table(circuit, spikes: dict) -> dict:
    """Spike counts per population and phase.

    Parameters
    ----------
    circuit : Circuit
        A scheduled circuit.
    spikes : dict
        ``{population: (steps, indices)}``.

    Returns
    -------
    dict
        ``{population: int array of length n_phases}``; spikes before the first sample (ring
        start-up) are not counted.
    """
    n = circuit.schedule.n_phases
    out = {}
    for pop, (steps, _) in spikes.items():
        ph = phase_of(circuit, steps)
        out[pop] = np.bincount(ph[ph >= 0], minlength=n)
    return out


def activity_violations(circuit, spikes: dict) -> list:
    """Spikes outside the phases the circuit's activity table allows.

    Returns a list of ``(population, phase, count)`` (empty when the run is clean).
    """
    table = activity_table(circuit, spikes)
    bad = []
    for pop, counts in table.items():
        allowed = set(circuit.activity.get(pop, ()))
        for phase, k in enumerate(counts):
            if k and phase not in allowed:
                bad.append((pop, phase, int(k)))
    return bad


def format_activity(circuit, spikes: dict) -> str:
    """The activity table as text: one row per population, one column per phase."""
    table = activity_table(circuit, spikes)
    n = circuit.schedule.n_phases
    width = max(len(p) for p in table) if table else 4
    head = " " * width + "".join(f"{p:>7d}" for p in range(n))
    rows = [head]
    for pop, counts in table.items():
        rows.append(f"{pop:<{width}}" + "".join(f"{int(k):>7d}" for k in counts))
    return "\n".join(rows)
