"""Robustness of the spiking graded chain: the amplitude error of one perturbed chain, per point.

The one piece of code behind the robustness figure (``scripts/sgsc_figures.py``) and the
``sgsc_robustness`` and ``graded_chain`` parameter sweeps (:mod:`pulsegated.explore.studies`).

A point is a chain (:class:`~pulsegated.sgsc.graded.GradedChainParams`) and a seed; its value is
the mean absolute amplitude error over the stages and a set of input amplitudes
(:func:`amplitude_error`).  :class:`ChainErrorRunner` evaluates many points of the same structure
(sizes, time constants, step) on one built Brian2 network, restored between runs
(:meth:`brian2.Network.store` / ``restore``); the numbers equal those of a new build per run.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from pulsegated.sgsc._units import hashable
from pulsegated.sgsc.graded import _GraphRunner, chain_graph

__all__ = ["SWEEPS", "STRUCTURAL_FIELDS", "ChainErrorRunner", "amplitude_error", "run_seed",
           "robustness_inputs", "perturbed"]

#: Perturbation sweeps of the robustness figure: label -> (field, values in the field's plain
#: unit: ms for ``jitter``).  Every point of a sweep changes one field of the calibrated chain.
SWEEPS = {"jitter (ms)": ("jitter", (0.0, 0.05, 0.1, 0.2, 0.5)),
          "weight spread (relative sd)": ("weight_spread", (0.0, 0.1, 0.3, 0.5)),
          "neurons per population": ("n", (100, 200, 500, 1000))}

#: Fields of :class:`~pulsegated.sgsc.graded.GradedChainParams` that change the built network;
#: the others (``S``, ``weight_spread``, ``jitter``, ``phases``) are written into a restored one.
STRUCTURAL_FIELDS = ("n_stages", "n", "n_gate", "T", "tau", "g0", "dt")


def robustness_inputs(fast: bool = False) -> np.ndarray:
    """Input amplitudes (fractions of g0) of the robustness sweep: 0.1 ... 0.9."""
    return np.linspace(0.1, 0.9, 5 if fast else 9)[::2]


def run_seed(seed: int, k: int = 0) -> int:
    """Brian2 seed of input ``k`` of robustness seed ``seed``: ``200 + 100 seed + k``."""
    return 200 + 100 * int(seed) + int(k)


def _structure(p) -> tuple:
    return tuple(hashable(getattr(p, f)) for f in STRUCTURAL_FIELDS)


class _ChainRunner(_GraphRunner):
    """A graph runner that also rewrites the gate-to-unit delays on every reset.

    The base class writes them for a chain with jitter only; the chains run on one network here
    change their jitter (to 0 too), so the delays of the previous chain must not stay; the
    network is built with a delay per synapse (``variable_delays``) so that every connection's
    delay can change."""

    def __init__(self, *args, **options):
        super().__init__(*args, **options)
        if self.backend == "brian2":
            self.options.setdefault("variable_delays", True)

    def _reset(self, c, seed):
        super()._reset(c, seed)
        for name, conn in c.connections.items():
            if conn.target == "gd":
                self.sim.set_delay(name, conn.delay)


class ChainErrorRunner:
    """Runs linear graded chains of one structure on one network built on first use.

    Parameters
    ----------
    options
        Simulator options (e.g. ``codegen="numpy"``).

    Notes
    -----
    The first :meth:`run` builds the network; a later run with a chain of the same
    :data:`STRUCTURAL_FIELDS` restores it and writes the chain's couplings, weights, delays and
    initial values into it (bit for bit the result of a new build with the same seed).  A chain
    of another structure builds a new network.  Brian2's global state (device, clock, prefs) is
    not changed; :func:`brian2.seed` is set per run, as by every Brian2 simulator of the package.
    """

    def __init__(self, **options):
        self.options = options
        self._runner = None
        self._structure = None
        self.builds = 0  #: networks built so far

    def run(self, amplitude: float, p, seed: int = 0) -> np.ndarray:
        """Amplitude of every stage (fractions of g0) for one input ``amplitude`` and ``seed``."""
        structure = _structure(p)
        if self._runner is None or structure != self._structure:
            units, edges = chain_graph(p.n_stages)
            self._runner = _ChainRunner(units, edges, p, **self.options)
            self._structure = structure
            self.builds += 1
        # the restored network takes this chain's S, weight spread, jitter and phases
        self._runner.p = p
        amps = self._runner.run({"stage0": float(amplitude)}, seed=int(seed))
        return np.array([amps[f"stage{j}"] for j in range(p.n_stages)])


def amplitude_error(p, amplitudes, seed: int = 0, runner: ChainErrorRunner | None = None):
    """Mean absolute amplitude error (fraction of g0) over all stages and inputs, and per input.

    Parameters
    ----------
    p : GradedChainParams
        The chain (dimensioned values as Brian2 Quantities).
    amplitudes : sequence of float
        Input amplitudes, fractions of g0; input ``k`` runs with the Brian2 seed ``seed + k``.
    seed : int
    runner : ChainErrorRunner, optional
        Reuse its network (default: a new one, numpy code generation).

    Returns
    -------
    error : float
        Mean of ``|amplitude - input|`` over the stages and inputs.
    rows : list of numpy.ndarray
        ``|amplitude - input|`` per stage, one array per input.
    """
    runner = runner if runner is not None else ChainErrorRunner(codegen="numpy")
    rows = [np.abs(runner.run(a, p, seed=seed + k) - a) for k, a in enumerate(amplitudes)]
    return float(np.mean(rows)), rows


def perturbed(base, field: str, value, phases: str = "even"):
    """``base`` with one field set from its plain value (``jitter`` in ms) and ``phases``."""
    from brian2 import ms

    if field == "jitter":
        value = float(value) * ms
    elif field == "n":
        value = int(value)
    else:
        value = float(value)
    return replace(base, **{field: value}, phases=phases)
