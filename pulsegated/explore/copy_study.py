"""The ``sgsc_copy`` study: does the pulse-gated synaptic copy converge, and how fast?

Circuit B learns a copy ``L`` of circuit A's matrix ``K`` (:mod:`pulsegated.sgsc.copy`).  Per
presentation of a column, the potentiation and depression windows move ``L e_i`` by the fraction
``eta`` of ``(K - L) e_i``, so in the mean field the error falls as ``(1 - eta)^cycles`` for any
``eta`` in (0, 1].  ``eta`` is the learning rate times the window length: for windows of
length ``T_ms`` the Hebbian rate per presynaptic spike that gives this ``eta`` is the metric
``hebb_eta`` (:func:`~pulsegated.sgsc.copy.copy_constants`; it depends on the window through
the expected pre/post pairing and the residual current).
In the spiking circuit (``mode = "spiking"``, Brian2) the window length also sets how many
spikes a window holds, hence how noisy each update is: short windows or large ``eta`` make
single weights jump and hit their bound.  The natural sweep for "which window length and
learning rate make the copy converge" is therefore ``eta`` x ``T_ms`` in spiking mode, with the
mean field (instant) as the reference.

Example::

    from pulsegated.explore import Grid, sweep

    df = sweep("sgsc_copy", Grid(eta=[0.1, 0.3, 0.6, 1.0]), fixed={"cycles": 20})
    df[["eta", "final_error", "cycles_to_target", "predicted_cycles"]]
"""

from __future__ import annotations

from pulsegated.errors import UsageError
from pulsegated.explore.study import Study

__all__ = ["SgscCopy", "copy_target", "copy_params", "first_below", "MODES"]

MODES = ("meanfield", "spiking")


def _is_int(v) -> bool:
    import numpy as np

    return not isinstance(v, bool) and isinstance(v, (int, np.integer))


def _is_number(v) -> bool:
    import numpy as np

    return not isinstance(v, bool) and isinstance(v, (int, float, np.integer, np.floating))


def _positive(params: dict, name: str) -> float:
    v = params[name]
    if not _is_number(v) or not v > 0:
        raise UsageError(f"{name}: a positive number, got {v!r}")
    return float(v)


def _positive_int(params: dict, name: str) -> int:
    v = params[name]
    if not _is_int(v) or v < 1:
        raise UsageError(f"{name}: a positive integer, got {v!r}")
    return int(v)


def copy_target(rows: int = 8, cols: int = 8, k_low: float = 0.0, k_high: float = 1.0,
                k_seed: int = 3):
    """Circuit A's matrix ``K``: uniform in ``[k_low, k_high)`` from ``default_rng(k_seed)``.

    Parameters
    ----------
    rows, cols : int
        Output and input units of the circuits.
    k_low, k_high : float
        Range of the weights (``0 <= k_low < k_high``).
    k_seed : int

    Returns
    -------
    (rows, cols) ndarray
    """
    import numpy as np

    params = {"rows": rows, "cols": cols, "k_low": k_low, "k_high": k_high, "k_seed": k_seed}
    rows, cols = _positive_int(params, "rows"), _positive_int(params, "cols")
    for name in ("k_low", "k_high"):
        if not _is_number(params[name]):
            raise UsageError(f"{name}: a number, got {params[name]!r}")
    if not 0 <= k_low < k_high:
        raise UsageError(f"k_low, k_high: weights are non-negative, 0 <= k_low < k_high; got "
                         f"k_low = {k_low!r}, k_high = {k_high!r}")
    if not _is_int(k_seed) or k_seed < 0:
        raise UsageError(f"k_seed: a non-negative integer, got {k_seed!r}")
    return np.random.default_rng(int(k_seed)).uniform(float(k_low), float(k_high), (rows, cols))


def copy_params(params: dict):
    """The :class:`~pulsegated.sgsc.copy.CopyParams` of a point (plain numbers, times in ms).

    Parameters
    ----------
    params : dict
        ``eta``, ``T_ms``, ``tau_ms``, ``dt_ms``, ``n``, ``n_gate``, ``g0_hz``, ``amplitude``,
        ``trace_tau_ms`` (missing ones take :attr:`SgscCopy.parameters`' defaults, which are
        those of ``CopyParams()``).

    Raises
    ------
    UsageError
        A bad value, naming the parameter.
    """
    from brian2 import Hz, ms

    from pulsegated.sgsc.copy import CopyParams
    from pulsegated.sgsc.graded import GradedChainParams

    p = {**SgscCopy.parameters, **params}
    eta = _check_eta(p["eta"])
    T, tau, dt, trace_tau, g0 = (_positive(p, k) for k in ("T_ms", "tau_ms", "dt_ms",
                                                            "trace_tau_ms", "g0_hz"))
    steps = T / dt
    if abs(steps - round(steps)) > 1e-9 * steps:
        raise UsageError(f"T_ms: a whole number of time steps dt_ms = {dt}, got {T}")
    if not 2 <= round(steps) <= 63:  # the gate chain's volley is one synaptic delay
        raise UsageError(f"T_ms: 2 to 63 time steps of dt_ms = {dt} (at most {63 * dt:g} ms), "
                         f"got {T}")
    if not dt < trace_tau:
        raise UsageError(f"trace_tau_ms: must exceed the time step dt_ms = {dt}, got {trace_tau}")
    amplitude = p["amplitude"]
    if not _is_number(amplitude) or not 0 < amplitude < 1:
        raise UsageError(f"amplitude: a fraction of g0 in (0, 1), got {amplitude!r}")
    chain = GradedChainParams(n=_positive_int(p, "n"), n_gate=_positive_int(p, "n_gate"),
                              T=T * ms, tau=tau * ms, g0=g0 * Hz, dt=dt * ms)
    return CopyParams(chain=chain, amplitude=float(amplitude), eta=eta,
                      trace_tau=trace_tau * ms)


def _check_eta(eta) -> float:
    if not _is_number(eta) or not 0 < eta <= 1:
        raise UsageError(f"eta: the copy rate per cycle lies in (0, 1], got {eta!r}")
    return float(eta)


def first_below(errors, target: float):
    """The first cycle whose error is at most ``target`` (None if none is)."""
    for k, e in enumerate(errors):
        if e <= target:
            return k
    return None


class SgscCopy(Study):
    """Synaptic copy ``K -> L``: final error and cycles to reach the target, per eta and window.

    Parameters of a point (plain numbers, times in ms):

    * ``mode``: ``"meanfield"`` (:func:`~pulsegated.sgsc.copy.copy_matrix`, instant) or
      ``"spiking"`` (:func:`~pulsegated.sgsc.copy.run_copy`, Brian2, ``codegen``);
    * ``eta``: copy rate per cycle in (0, 1] (learning rate times window length);
    * ``cycles``: cycles over the columns; ``target``: the error counted as copied (0.05);
    * ``rows``, ``cols``, ``k_low``, ``k_high``, ``k_seed``: circuit A's matrix
      (:func:`copy_target`);
    * ``T_ms`` (window length), ``tau_ms`` (unit time constant), ``dt_ms``, ``n`` (neurons per
      unit), ``n_gate``, ``g0_hz``, ``amplitude``, ``trace_tau_ms``: the spiking circuit
      (:func:`copy_params`; defaults those of ``CopyParams()``).  The mean field does not use
      them except through the metrics ``hebb_eta`` and ``residual``.

    Seed ``s`` draws B's initial matrix ``L0`` uniform in ``[0, max K]`` (``default_rng(s)``,
    as ``copy_matrix(..., rng=s)`` and ``run_copy(..., seed=s)`` do) and, spiking, seeds the
    network.

    Metrics: ``final_error`` (``|L - K| / |K|`` after the last cycle), ``initial_error``,
    ``cycles_to_target`` (first cycle at or below ``target``; None if not reached),
    ``predicted_cycles`` (the geometric law, :func:`~pulsegated.sgsc.copy.cycles_needed`),
    ``converged`` (``final_error <= target``), ``decay_per_cycle`` (geometric mean of the
    error's ratio per cycle), ``hebb_eta`` (Hebbian rate per presynaptic spike for this eta and
    window) and ``residual``, ``errors`` (per cycle), ``K``, ``L0``, ``L`` (matrices); spiking
    also ``meanfield_errors`` (the mean field from the same ``L0``).
    """

    description = ("SGSC synaptic copy: final error |L-K|/|K| and cycles to 5 % against the copy "
                   "rate eta and the window length (mean field or spiking)")
    parameters = {"mode": "meanfield", "eta": 0.3, "cycles": 12, "target": 0.05,
                  "rows": 8, "cols": 8, "k_low": 0.0, "k_high": 1.0, "k_seed": 3,
                  "T_ms": 40.0, "tau_ms": 20.0, "dt_ms": 0.8, "n": 200, "n_gate": 50,
                  "g0_hz": 1000.0, "amplitude": 0.4, "trace_tau_ms": 5.0, "codegen": "numpy"}
    structural = ()

    def run(self, point: dict) -> dict:
        import numpy as np

        from pulsegated.sgsc.copy import copy_constants, copy_matrix, cycles_needed, run_copy

        p = {**self.parameters, **point}
        if p["mode"] not in MODES:
            raise UsageError(f"mode: one of {', '.join(MODES)}, got {p['mode']!r}")
        eta = _check_eta(p["eta"])
        cycles = _positive_int(p, "cycles")
        target = p["target"]
        if not _is_number(target) or not 0 < target < 1:
            raise UsageError(f"target: a relative error in (0, 1), got {target!r}")
        seed = p["seed"]
        if not _is_int(seed) or seed < 0:
            raise UsageError(f"seed: a non-negative integer, got {seed!r}")
        K = copy_target(p["rows"], p["cols"], p["k_low"], p["k_high"], p["k_seed"])
        q = copy_params(p)
        constants = copy_constants(q)
        out = {}
        if p["mode"] == "meanfield":
            res = copy_matrix(K, eta=eta, cycles=cycles, rng=int(seed))
            L0 = res["L_history"][0]
        else:
            res = run_copy(K, cycles=cycles, q=q, seed=int(seed), progress=False,
                           codegen=str(p["codegen"]))
            L0 = res["L0"]
            out["meanfield_errors"] = copy_matrix(K, eta=eta, cycles=cycles, L0=L0)["errors"]
        errors = np.asarray(res["errors"], dtype=float)
        final, initial = float(errors[-1]), float(errors[0])
        decay = float((final / initial) ** (1.0 / cycles)) if initial > 0 and final > 0 else 0.0
        return {"final_error": final, "initial_error": initial,
                "cycles_to_target": first_below(errors, target),
                "predicted_cycles": cycles_needed(eta, initial, target) if eta < 1 else
                int(initial > target),
                "converged": bool(final <= target), "decay_per_cycle": decay,
                "hebb_eta": constants["hebb_eta"], "residual": constants["residual"],
                "errors": errors, **out, "K": K, "L0": np.asarray(L0), "L": np.asarray(res["L"])}
