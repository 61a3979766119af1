"""The package's own studies: the graded chain's robustness and maps, the copy, the nBP table.

* ``sgsc_robustness``: the robustness figure of the synfire-gated synfire chain
  (``scripts/sgsc_figures.py --only robustness``): mean absolute amplitude error of the
  calibrated 8-stage chain under onset jitter, weight spread and population size, per seed.
  :func:`robustness_design` is the figure's design, :func:`robustness_table` turns the results
  into the figure's table.
  The figure's sweep as a specification for ``pulsegated sweep`` is :data:`ROBUSTNESS_TOML`.
* ``graded_chain``: any of coupling, jitter, weight spread, phases, sizes and time constants of
  the calibrated graded chain, e.g. two of them for a heatmap.
* ``sgsc_copy``: the synaptic copy (:mod:`pulsegated.explore.copy_study`): final error and
  cycles to 5 % against the copy rate ``eta`` and the window length, mean field or spiking.
* ``nbp_accuracy``: the nBP accuracy table (:mod:`pulsegated.explore.nbp_study`): mean of the
  last 10 test accuracies after online training, one seed per point.

The two graded-chain studies calibrate each chain once per sweep (their ``prepare`` step, kept
in the result store) and evaluate a point with
:func:`pulsegated.sgsc.robustness.amplitude_error` on a network built once per worker and
structure (:class:`~pulsegated.sgsc.robustness.ChainErrorRunner`).  Parameters
are plain numbers (times in ms).
"""

from __future__ import annotations

from pulsegated.explore.design import Grid, Union
from pulsegated.explore.study import Study, register_study

__all__ = ["SgscRobustness", "GradedChainStudy", "robustness_design", "robustness_table",
           "remember_calibration", "ROBUSTNESS_TOML"]

#: The robustness figure's sweep (:func:`robustness_design` with 1000 neurons, 5 seeds) as a
#: TOML specification: save it as ``robustness.toml`` and run ``pulsegated sweep robustness.toml``.
ROBUSTNESS_TOML = """\
study = "sgsc_robustness"
seeds = [0, 1, 2, 3, 4]

[fixed]
base_n = 1000

[[design]]
kind = "grid"
parameters = {jitter_ms = [0.0, 0.05, 0.1, 0.2, 0.5], n = [1000]}

[[design]]
kind = "grid"
parameters = {weight_spread = [0.0, 0.1, 0.3, 0.5], n = [1000]}

[[design]]
kind = "grid"
parameters = {n = [100, 200, 500, 1000], phases = ["even", "random"]}
"""

#: calibrated couplings of this process: GradedChainParams (S = 1 start) -> calibrated params
_CALIBRATED: dict = {}


def _calibrated(p):
    """``p`` calibrated (:func:`~pulsegated.sgsc.graded.calibrate`, seed 0), once per process."""
    from pulsegated.sgsc.graded import calibrate

    if p not in _CALIBRATED:
        _CALIBRATED[p] = calibrate(p, codegen="numpy")
    return _CALIBRATED[p]


def remember_calibration(start, calibrated, history=()) -> None:
    """Tell this process that ``calibrate(start)`` gave ``calibrated`` (skips recomputing it).

    Parameters
    ----------
    start, calibrated : GradedChainParams
    history : list
        The calibration history returned with it.
    """
    _CALIBRATED[start] = (calibrated, list(history))


def _metrics(error: float, rows, p, history) -> dict:
    import numpy as np

    rows = np.asarray(rows)
    return {"mae": error, "max_error": float(rows.max()),
            "final_stage_error": float(rows[:, -1].mean()), "S": float(p.S),
            "calibration_slope": float(history[-1][1]) if history else None}


class SgscRobustness(Study):
    """Robustness of the calibrated graded chain (spiking, Brian2): error per perturbation.

    Parameters of a point: ``jitter_ms`` (onset jitter, sd in ms), ``weight_spread`` (relative
    sd of the weights), ``n`` (neurons per population), ``phases`` (``"even"`` or
    ``"random"`` initial phases).  Fixed: ``base_n`` (the calibrated chain's size),
    ``n_stages``, ``fast`` (3 input amplitudes instead of 5).

    A chain that differs from the base chain in ``n`` or ``phases`` is calibrated itself,
    starting from the base chain's coupling (as the robustness figure does).  Seed ``s`` runs
    input ``k`` with the Brian2 seed ``200 + 100 s + k``.  Metrics: ``mae`` (mean absolute
    amplitude error over the stages and inputs, fraction of g0), ``max_error``,
    ``final_stage_error``, ``S`` (coupling, multiple of S_exact), ``calibration_slope``.
    """

    description = ("SGSC robustness: mean |amplitude error| of the calibrated graded chain under "
                   "jitter, weight spread, population size")
    parameters = {"jitter_ms": 0.0, "weight_spread": 0.0, "n": 1000, "phases": "even",
                  "base_n": 1000, "n_stages": 8, "fast": False}
    structural = ("n", "phases", "base_n", "n_stages", "fast")

    @staticmethod
    def _start(fixed: dict):
        from pulsegated.sgsc.graded import GradedChainParams

        return GradedChainParams(n=int(fixed["base_n"]), n_stages=int(fixed["n_stages"]))

    def prepare(self, fixed: dict) -> dict:
        """Calibrate the base chain and, for another size or phases, this chain from it."""
        from dataclasses import replace

        base, history = _calibrated(self._start(fixed))
        p = replace(base, n=int(fixed["n"]), phases=str(fixed["phases"]))
        if p != base:
            p, history = _calibrated(p)
        return {"S": p.S, "history": [list(h) for h in history]}

    def setup(self, fixed: dict, prepared: dict) -> None:
        from dataclasses import replace

        from pulsegated.sgsc.robustness import ChainErrorRunner, robustness_inputs

        self.p = replace(self._start(fixed), n=int(fixed["n"]), phases=str(fixed["phases"]),
                         S=float(prepared["S"]))
        self.history = prepared["history"]
        self.inputs = robustness_inputs(bool(fixed["fast"]))
        self.runner = ChainErrorRunner(codegen="numpy")

    def run(self, point: dict) -> dict:
        from dataclasses import replace

        from brian2 import ms

        from pulsegated.sgsc.robustness import amplitude_error, run_seed

        p = replace(self.p, jitter=float(point["jitter_ms"]) * ms,
                    weight_spread=float(point["weight_spread"]))
        error, rows = amplitude_error(p, self.inputs, seed=run_seed(point["seed"]),
                                      runner=self.runner)
        return _metrics(error, rows, p, self.history)


def robustness_design(base_n: int = 1000, fast: bool = False) -> Union:
    """The robustness figure's points: each perturbation of the base chain on its own.

    Jitter and weight spread at ``base_n`` neurons with even phases, population size with even
    and random phases (``fast``: the first three values of each).
    """
    from pulsegated.sgsc.robustness import SWEEPS

    cut = 3 if fast else None
    (_, jitters), (_, spreads), (_, sizes) = (SWEEPS[k] for k in SWEEPS)
    return (Grid(jitter_ms=list(jitters[:cut]), n=[int(base_n)])
            + Grid(weight_spread=list(spreads[:cut]), n=[int(base_n)])
            + Grid(n=list(sizes[:cut]), phases=["even", "random"]))


def robustness_table(df, base_n: int, values: dict | None = None) -> dict:
    """The robustness figure's table from ``sgsc_robustness`` results.

    Parameters
    ----------
    df : pandas.DataFrame
        Results of a sweep over :func:`robustness_design` (every seed).
    base_n : int
    values : dict, optional
        ``{field: values}`` of the rows (default: those of
        :data:`~pulsegated.sgsc.robustness.SWEEPS`; values without results are left out).

    Returns
    -------
    dict
        ``{"<perturbation> [<phases> phases]": [{"value", "mean", "sd", "per_seed"}, ...]}``
        (:func:`pulsegated.sgsc.figures.plot_robustness`); ``sd`` with ddof 1 (0 for one seed).
    """
    import numpy as np

    from pulsegated.sgsc.robustness import SWEEPS

    defaults = {"jitter_ms": 0.0, "weight_spread": 0.0, "phases": "even", "n": base_n}
    df = df.assign(**{k: v for k, v in defaults.items() if k not in df.columns})
    failed = df[df["error"].notna()]
    if len(failed):
        raise RuntimeError(f"{len(failed)} points failed, e.g.:\n{failed['error'].iloc[0]}")
    column = {"jitter": "jitter_ms", "weight_spread": "weight_spread", "n": "n"}
    out = {}
    for name, (field, default_values) in SWEEPS.items():
        for phases in ("even", "random") if field == "n" else ("even",):
            rows = []
            for v in (values or {}).get(field, default_values):
                sel = df[(df[column[field]] == v) & (df["phases"] == phases)]
                if field != "jitter":
                    sel = sel[sel["jitter_ms"] == 0]
                if field != "weight_spread":
                    sel = sel[sel["weight_spread"] == 0]
                if field != "n":
                    sel = sel[sel["n"] == base_n]
                if not len(sel):
                    continue
                per_seed = [float(x) for x in sel.sort_values("seed")["mae"]]
                rows.append({"value": v, "mean": float(np.mean(per_seed)),
                             "sd": float(np.std(per_seed, ddof=1)) if len(per_seed) > 1 else 0.0,
                             "per_seed": per_seed})
            out[f"{name} [{phases} phases]"] = rows
    return out


class GradedChainStudy(Study):
    """The calibrated spiking graded chain at any coupling, perturbation, size or time constant.

    Parameters (plain numbers, times in ms): ``coupling`` (multiple of the calibrated S),
    ``jitter_ms``, ``weight_spread``, ``phases``, ``n`` (neurons per population),
    ``n_stages``, ``n_gate``, ``T_ms`` (window), ``tau_ms`` (synaptic time constant),
    ``inputs`` (input amplitudes, fractions of g0).  The chain of each
    (``n``, ``n_stages``, ``n_gate``, ``T_ms``, ``tau_ms``) is calibrated (even phases, no
    perturbation) and built once per worker; the other parameters change a restored network.
    Seed ``s`` runs input ``k`` with the Brian2 seed ``200 + 100 s + k``.  Metrics as
    ``sgsc_robustness``.
    """

    description = ("graded chain: mean |amplitude error| against coupling, jitter, weight "
                   "spread, phases, sizes, T and tau (e.g. a two-parameter heatmap)")
    parameters = {"coupling": 1.0, "jitter_ms": 0.0, "weight_spread": 0.0, "phases": "even",
                  "n": 300, "n_stages": 8, "n_gate": 100, "T_ms": 5.0, "tau_ms": 5.0,
                  "inputs": [0.1, 0.5, 0.9]}
    structural = ("n", "n_stages", "n_gate", "T_ms", "tau_ms")

    @staticmethod
    def _start(fixed: dict):
        from brian2 import ms

        from pulsegated.sgsc.graded import GradedChainParams

        return GradedChainParams(n=int(fixed["n"]), n_stages=int(fixed["n_stages"]),
                                 n_gate=int(fixed["n_gate"]), T=float(fixed["T_ms"]) * ms,
                                 tau=float(fixed["tau_ms"]) * ms)

    def prepare(self, fixed: dict) -> dict:
        """Calibrate the chain of this size and time constants (even phases, no perturbation)."""
        p, history = _calibrated(self._start(fixed))
        return {"S": p.S, "history": [list(h) for h in history]}

    def setup(self, fixed: dict, prepared: dict) -> None:
        from dataclasses import replace

        import numpy as np

        from pulsegated.errors import UsageError
        from pulsegated.sgsc.robustness import ChainErrorRunner

        self.p = replace(self._start(fixed), S=float(prepared["S"]))
        self.history = prepared["history"]
        self.inputs = np.atleast_1d(np.asarray(fixed["inputs"], dtype=float))
        if not len(self.inputs) or np.any((self.inputs < 0) | (self.inputs >= 1)):
            raise UsageError(f"inputs: amplitudes in [0, 1), got {fixed['inputs']!r}")
        self.runner = ChainErrorRunner(codegen="numpy")

    def run(self, point: dict) -> dict:
        from dataclasses import replace

        from brian2 import ms

        from pulsegated.sgsc.robustness import amplitude_error, run_seed

        p = replace(self.p, S=self.p.S * float(point["coupling"]),
                    jitter=float(point["jitter_ms"]) * ms,
                    weight_spread=float(point["weight_spread"]), phases=str(point["phases"]))
        error, rows = amplitude_error(p, self.inputs, seed=run_seed(point["seed"]),
                                      runner=self.runner)
        return _metrics(error, rows, p, self.history)


register_study("sgsc_robustness", "pulsegated.explore.studies:SgscRobustness")
register_study("graded_chain", "pulsegated.explore.studies:GradedChainStudy")
register_study("sgsc_copy", "pulsegated.explore.copy_study:SgscCopy")
register_study("nbp_accuracy", "pulsegated.explore.nbp_study:NbpAccuracy")
