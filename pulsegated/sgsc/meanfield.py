"""Mean-field model of graded transfer in a pulse-gated chain (Sornborger, Wang & Tao 2015).

For populations ``j = 0, 1, 2, ...``::

    tau dI_j/dt = -I_j + S m_(j-1)(t)           synaptic current of population j
    m_j(t)      = [I_j(t) - g0 + p_j(t)]^+      firing rate, threshold-linear
    p_j(t)      = g0 on [j T, j T + D), else 0  gating pulse (D = T: square, D > T: overlapping)

Population 0 starts with current ``A`` at ``t = 0``.  While the rates are in the graded range
(``0 <= I < g0``: a gated population's rate equals its current, an ungated one is silent) the system
is linear between the instants where the gating changes, and is integrated *exactly* there with the
matrix exponential.  The amplitude of stage ``j`` is its current when its window opens, ``I_j(jT)``;
with square pulses it is multiplied by ``r = S (T/tau) exp(-T/tau)`` per stage, so transfer is exact at
``S_exact = (tau/T) exp(T/tau)``.  With a connectivity matrix ``K`` per stage (populations of ``n``
units) the chain computes ``I^(j+1) = r K I^(j)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import expm

__all__ = ["s_exact", "stage_ratio", "ChainModel", "exact_coupling"]


def _times(**values) -> list:
    """The given times as plain numbers of one unit: all Brian2 times (converted to seconds) or
    all plain numbers (taken as they are); a mixture is an error."""
    from brian2 import Quantity, second

    quantities = [isinstance(v, Quantity) for v in values.values()]
    if all(quantities):
        for name, v in values.items():
            if not v.dim == second.dim:
                raise TypeError(f"{name} must be a time (e.g. 5*ms), got {v!r}")
        return [float(v / second) for v in values.values()]
    if any(quantities):
        names = ", ".join(values)
        raise TypeError(f"{names} must all be Brian2 times or all plain numbers (in one unit), "
                        f"got {values}")
    return [float(v) for v in values.values()]


def s_exact(T, tau=1.0) -> float:
    """Coupling for exact transfer with square pulses: ``(tau/T) exp(T/tau)`` (minimum e at T = tau).

    ``T`` and ``tau`` are both Brian2 times (e.g. ``5 * ms``) or both plain numbers in one unit
    (default ``tau = 1``: ``T`` in units of tau); only their ratio matters.
    """
    T, tau = _times(T=T, tau=tau)
    if T <= 0 or tau <= 0:
        raise ValueError(f"T and tau must be positive, got T={T}, tau={tau}")
    return tau / T * np.exp(T / tau)


def stage_ratio(S: float, T, tau=1.0) -> float:
    """Per-stage amplitude factor ``S (T/tau) exp(-T/tau)`` of square-pulse gating.

    ``S`` is a plain number; ``T`` and ``tau`` as in :func:`s_exact`.
    """
    T, tau = _times(T=T, tau=tau)
    return S * (T / tau) * np.exp(-T / tau)


@dataclass
class ChainModel:
    """A pulse-gated chain of ``n_stages`` populations (each ``n_units`` wide).

    The model is scale-free: its values are plain numbers, times in any one unit (conventionally
    ``tau = 1``, times in units of tau) and currents and rates in any one unit (conventionally
    ``g0 = 1``); amplitudes are in the unit of ``g0``.  For Brian2 times use ``T = float(T_q /
    tau_q)`` with ``tau = 1``.

    Parameters
    ----------
    n_stages : int
    S : float or None
        Scalar coupling (None: :func:`s_exact`).  With ``K``, the coupling of stage j -> j+1 is
        ``S * K[j]``.
    T, tau, g0 : float
        Pulse period, synaptic time constant, threshold (gate height).
    duration : float or None
        Pulse duration D (None: T, square pulses; D > T: overlapping pulses).
    K : sequence of (n, n) arrays, optional
        Connectivity per stage (length ``n_stages - 1``).
    """

    n_stages: int
    S: float | None = None
    T: float = 1.0
    tau: float = 1.0
    g0: float = 1.0
    duration: float | None = None
    K: tuple | None = None

    def __post_init__(self):
        if isinstance(self.n_stages, bool) or int(self.n_stages) != self.n_stages or self.n_stages < 1:
            raise ValueError(f"n_stages must be a positive integer, got {self.n_stages!r}")
        if self.T <= 0 or self.tau <= 0 or self.g0 <= 0:
            raise ValueError("T, tau and g0 must be positive")
        if self.S is None:
            self.S = s_exact(self.T, self.tau)
        if self.duration is None:
            self.duration = self.T
        if not self.T <= self.duration < 2 * self.T:
            raise ValueError(f"pulse duration must lie in [T, 2T), got {self.duration}")
        if self.K is None:
            self.n_units = 1
            self.K = tuple(np.ones((1, 1)) for _ in range(self.n_stages - 1))
        else:
            self.K = tuple(np.asarray(k, dtype=float) for k in self.K)
            if len(self.K) != self.n_stages - 1:
                raise ValueError(f"K needs {self.n_stages - 1} matrices, got {len(self.K)}")
            self.n_units = self.K[0].shape[0] if self.K else 1
            for k in self.K:
                if k.shape != (self.n_units, self.n_units):
                    raise ValueError(f"every K must be {self.n_units}x{self.n_units}, got {k.shape}")

    # ----------------------------------------------------------------------------------------
    def _gated(self, t: float) -> np.ndarray:
        j = np.arange(self.n_stages)
        return (t >= j * self.T - 1e-12) & (t < j * self.T + self.duration - 1e-12)

    def _matrix(self, gated: np.ndarray) -> np.ndarray:
        n, u = self.n_stages, self.n_units
        A = -np.eye(n * u)
        for j in range(1, n):
            if gated[j - 1]:
                A[j * u:(j + 1) * u, (j - 1) * u:j * u] += self.S * self.K[j - 1]
        return A / self.tau

    def _breakpoints(self, t_end: float) -> np.ndarray:
        j = np.arange(self.n_stages + 1)
        pts = np.concatenate([j * self.T, j * self.T + self.duration, [t_end]])
        return np.unique(pts[(pts >= 0) & (pts <= t_end)])

    def run(self, amplitude, t_end: float | None = None, samples_per_T: int = 0):
        """Integrate from ``I_0(0) = amplitude`` (scalar or vector of ``n_units``).

        Returns
        -------
        dict
            ``amplitudes`` (n_stages, n_units): current of each stage when its window opens;
            with ``samples_per_T > 0`` also ``t``, ``I`` and ``m`` (n_points, n_stages, n_units) and
            ``p`` (gating) on a grid, for plots.

        Raises
        ------
        ValueError
            If a current leaves the graded range (negative while gated, or above g0), where the
            threshold-linear rate is no longer linear in the current.
        """
        u = self.n_units
        a = np.broadcast_to(np.asarray(amplitude, dtype=float), (u,)).copy()
        if np.any(a < 0) or np.any(a >= self.g0):
            raise ValueError(f"amplitudes must lie in the graded range [0, g0={self.g0})")
        t_end = self.n_stages * self.T if t_end is None else t_end
        I = np.zeros(self.n_stages * u)
        I[:u] = a
        amps = np.full((self.n_stages, u), np.nan)
        amps[0] = a
        grid = []
        bps = self._breakpoints(t_end)
        cache = {}
        for t0, t1 in zip(bps[:-1], bps[1:]):
            gated = self._gated(0.5 * (t0 + t1))
            key = gated.tobytes()
            if key not in cache:
                cache[key] = self._matrix(gated)
            A = cache[key]
            if samples_per_T:
                n_pts = max(2, int(np.ceil((t1 - t0) / self.T * samples_per_T)))
                for s in np.linspace(t0, t1, n_pts, endpoint=False):
                    Is = expm(A * (s - t0)) @ I
                    grid.append((s, Is.reshape(self.n_stages, u), gated.copy()))
            I = expm(A * (t1 - t0)) @ I
            self._check_range(I, self._gated(t1) | gated, t1)
            for j in range(self.n_stages):
                if abs(t1 - j * self.T) < 1e-9:
                    amps[j] = I.reshape(self.n_stages, u)[j]
        out = {"amplitudes": amps if u > 1 else amps[:, 0]}
        if samples_per_T:
            t = np.array([g[0] for g in grid])
            Ig = np.array([g[1] for g in grid])
            p = np.array([g[2] for g in grid])
            m = np.where(p[:, :, None], np.maximum(Ig, 0), np.maximum(Ig - self.g0, 0))
            out.update(t=t, I=Ig if u > 1 else Ig[:, :, 0], m=m if u > 1 else m[:, :, 0], p=p)
        return out

    def _check_range(self, I, gated, t) -> None:
        Ir = I.reshape(self.n_stages, self.n_units)
        if np.any(Ir[gated] < -1e-12):
            raise ValueError(f"a gated current became negative at t={t:.3g}: the rate is "
                             f"rectified there and the linear (graded) regime is left")
        if np.any(Ir >= self.g0):
            raise ValueError(f"a current reached g0={self.g0} at t={t:.3g}: ungated populations "
                             f"would fire; lower the amplitude or the coupling")


def exact_coupling(T, duration, tau=1.0, n_stages: int = 12) -> float:
    """Coupling S for which the amplitude is copied unchanged, for pulses of any duration in [T, 2T).

    Found by bisection on the steady per-stage ratio (the last stages of an ``n_stages`` chain).
    For square pulses it equals :func:`s_exact`; overlapping pulses need less.  ``T``,
    ``duration`` and ``tau`` are all Brian2 times or all plain numbers in one unit.
    """
    T, duration, tau = _times(T=T, duration=duration, tau=tau)
    if abs(duration - T) < 1e-12:
        return s_exact(T, tau)

    def ratio(S):
        amps = ChainModel(n_stages, S=S, T=T, tau=tau, duration=duration, g0=1e9).run(1.0)
        return amps["amplitudes"][-1] / amps["amplitudes"][-2]
    lo, hi = 1e-3, s_exact(T, tau) * 1.5
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if ratio(mid) < 1:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
