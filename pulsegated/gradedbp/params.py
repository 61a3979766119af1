"""Constants of the graded pulse-gated backpropagation circuit."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from brian2 import Hz, Quantity, ms

from pulsegated.errors import UsageError
from pulsegated.sgsc._units import check_quantity, hashable
from pulsegated.sgsc.graded import GradedChainParams

__all__ = ["GradedBPParams", "MIN_WINDOW_OVER_TAU"]

#: shortest window the circuit accepts, in units of the synaptic time constant: what a unit's
#: current keeps from one window to the one after next, ``exp(-2 T / tau)``, stays below 2 %
MIN_WINDOW_OVER_TAU = 2.0


def _default_chain() -> GradedChainParams:
    return GradedChainParams(n=100, n_gate=50, T=20 * ms, tau=10 * ms, g0=1000 * Hz,
                             dt=0.5 * ms)


@dataclass(frozen=True)
class GradedBPParams:
    """Sizes, time constants and learning rate of the graded backprop circuit.

    Parameters
    ----------
    chain : GradedChainParams
        The graded units (``n`` neurons each, time constant ``tau``, threshold rate ``g0``), the
        window length ``T`` of the gating ring, the time step ``dt``.  ``chain.S`` is the relay
        coupling as a multiple of the exact-transfer value (calibrate it with
        :func:`~pulsegated.sgsc.graded.calibrate`; :func:`~pulsegated.gradedbp.calibrated`
        does so per model).  ``T`` must be at least :data:`MIN_WINDOW_OVER_TAU` times ``tau``.
    eta : float
        Learning rate per learning cycle: the mean change of a weight in one cycle is
        ``eta * d_k * x_j`` (``d`` the output error, ``x`` the layer's input, both as fractions
        of ``g0``), the rate of the least-mean-squares rule the circuit implements.
    trace_tau : Quantity
        Time constant of the postsynaptic spike trace of the Hebbian rule (a Brian2 time).
    w_bound : float
        Every synapse of a plastic coupling stays in ``[-w_bound, w_bound]`` (as a coupling
        factor, a multiple of the exact-transfer weight).
    bits : int
        Resolution of the inputs and targets the host sends: an amplitude is sent as ``bits``
        binary spikes onto its unit (weights ``g0 / 2, g0 / 4, ...``), i.e. rounded to
        ``2**-bits`` of ``g0``.
    learn_gain : float
        Amplitude at which a layer's input fires again in the learning windows, relative to its
        forward amplitude (the Hebbian rate is divided by it).  While the input fires there it
        also drives the layer's output through ``W``; the output is closed then and its current
        dies out before its next window, but that drive must stay below the threshold ``g0``
        (an ungated unit fires above it): a small gain keeps it well inside the graded range.
    relu_threshold : float
        Hidden units count as active (their ReLU derivative is 1) above this amplitude, a
        fraction of ``g0``.
    """

    chain: GradedChainParams = field(default_factory=_default_chain)
    eta: float = 0.8
    trace_tau: Quantity = field(default_factory=lambda: 5 * ms)
    w_bound: float = 2.0
    bits: int = 8
    learn_gain: float = 0.5
    relu_threshold: float = 0.02

    def __post_init__(self):
        if not isinstance(self.chain, GradedChainParams):
            raise UsageError(f"GradedBPParams.chain must be a GradedChainParams, got "
                             f"{self.chain!r}")
        check_quantity(self.trace_tau, "time", "GradedBPParams.trace_tau", positive=True)
        c = self.chain
        ratio = float(c.T / c.tau)
        if ratio < MIN_WINDOW_OVER_TAU:
            raise UsageError(f"window T = {c.T} is too short for tau = {c.tau}: the circuit "
                             f"needs T >= {MIN_WINDOW_OVER_TAU} tau (a unit's current must die "
                             f"out between the windows it is used in), got T / tau = "
                             f"{ratio:.3g}")
        if not c.dt < self.trace_tau:
            raise UsageError(f"trace_tau must exceed the time step {c.dt}, got {self.trace_tau}")
        if c.jitter > 0 * ms:
            raise UsageError("the learning windows need a gating ring without onset jitter "
                             "(chain.jitter = 0 ms)")
        if not 0 < self.eta <= 2:
            raise UsageError(f"eta must lie in (0, 2], got {self.eta}")
        if not 0 < self.w_bound <= 10:
            raise UsageError(f"w_bound must lie in (0, 10], got {self.w_bound}")
        if not isinstance(self.bits, int) or not 2 <= self.bits <= 16:
            raise UsageError(f"bits must be an integer in 2..16, got {self.bits!r}")
        if not 0 < self.learn_gain <= 1:
            raise UsageError(f"learn_gain must lie in (0, 1], got {self.learn_gain}")
        if not 0 < self.relu_threshold < 0.5:
            raise UsageError(f"relu_threshold must lie in (0, 0.5), got {self.relu_threshold}")

    def __hash__(self):
        return hash(tuple(hashable(getattr(self, f.name)) for f in fields(self)))
