"""Neuron models: what a :class:`~pulsegated.circuit.Population` is made of.

* :class:`LoihiCompartment` -- the chip's integer CUBA LIF compartment, parameters in *threshold
  units*: integers in which the firing threshold of the nBP circuit is 1024 (on the chip every one of
  these values is further multiplied by 2**6, see :mod:`pulsegated.backends.loihi`).  Runs on every
  backend.
* :class:`EquationNeuron` -- a continuous-time model written in Brian2's equation language, with
  units.  Runs on the Brian2 backend only; the Loihi backend refuses it by name.

A new model subclasses :class:`NeuronModel` and registers a build function with each backend that
can run it (see :mod:`pulsegated.backends.registry`).  The description checks only what holds on
every backend; what a chip register can hold is checked by the Loihi backend when it discretizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from pulsegated.circuit import weights as _weights
from pulsegated.circuit.errors import CircuitError, check_int, check_raw

__all__ = ["NeuronModel", "LoihiCompartment", "EquationNeuron"]


class NeuronModel:
    """Base of neuron models.

    Subclasses are frozen dataclasses that implement :meth:`validate` (their own fields) and may
    override :meth:`validate_incoming` (what a connection onto the model must satisfy).
    """

    #: noun used in messages ("the loihi backend cannot run EquationNeuron neurons ...")
    element_kind = "neurons"

    def validate(self, owner: str) -> None:
        """Check the model's own fields; raise :class:`CircuitError` naming ``owner``."""

    def validate_incoming(self, connection, weights: np.ndarray, owner: str) -> None:
        """Check a connection onto a population of this model (``weights`` as given)."""


# --------------------------------------------------------------------------------- Loihi
@dataclass(frozen=True)
class LoihiCompartment(NeuronModel):
    """Loihi 1 CUBA LIF compartment in threshold units (chip raw value >> 6).

    Dynamics of one step, with ``decay(x, d) = sign(x) * floor(|x| * (4096 - d) / 4096)``::

        u[t] = decay(u[t-1], decay_u) + input[t]
        v[t] = clip(decay(v[t-1], decay_v) + u[t] + bias, v_min, v_max)
        spike iff v[t] > threshold; then v = 0 and v is held at 0 for refractory - 1 steps

    Synapses onto a compartment follow the chip's weight rule (:mod:`pulsegated.circuit.weights`).

    Parameters
    ----------
    threshold : int
        Firing threshold (strictly greater fires).  1024 in the nBP circuit.
    bias : int or float
        Constant added to v every step.  -8192 for nBP data neurons, 0 for gate neurons.  Any
        multiple of 1/64 (``bias * 64`` an exact integer: one chip raw unit is 1/64).
    decay_u, decay_v : int
        Effective decays in 0..4096 (4096: state forgotten every step, i.e. memoryless).
    refractory : int
        Refractory delay R >= 1: v is held at 0 for R - 1 steps after a spike (1: none).
    v_min, v_max : int or float or None
        Saturation bounds of v, multiples of 1/64 with ``v_min <= 0 <= v_max``.  None: no bound
        in the model (the Loihi backend then programs the chip's default, the 24-bit range).  The
        Loihi backend refuses bounds its per-core registers cannot hold (see
        :mod:`pulsegated.backends.loihi.registers`), as it refuses thresholds, biases and
        refractory delays wider than their registers.
    """

    threshold: int = 1024
    bias: int | float = 0
    decay_u: int = 4096
    decay_v: int = 4096
    refractory: int = 1
    v_min: int | float | None = None
    v_max: int | float | None = None

    def validate(self, owner: str) -> None:
        check_int(owner, "threshold", self.threshold, 0)
        check_raw(owner, "bias", self.bias)
        check_int(owner, "decay_u", self.decay_u, 0, 4096)
        check_int(owner, "decay_v", self.decay_v, 0, 4096)
        check_int(owner, "refractory", self.refractory, 1)
        if self.v_min is not None:
            check_raw(owner, "v_min", self.v_min, None, 0)
        if self.v_max is not None:
            check_raw(owner, "v_max", self.v_max, 0, None)

    def raw(self, name: str) -> int | float:
        """``bias``, ``v_min`` or ``v_max`` in raw units (threshold units x 64), exact.

        An unset bound is ``-inf`` (``v_min``) or ``inf`` (``v_max``): no bound.
        """
        owner = "LoihiCompartment"
        if name == "bias":
            return check_raw(owner, "bias", self.bias)
        if name == "v_min":
            return -math.inf if self.v_min is None else check_raw(owner, name, self.v_min, None, 0)
        if name == "v_max":
            return math.inf if self.v_max is None else check_raw(owner, name, self.v_max, 0, None)
        raise ValueError(f"raw() knows bias, v_min and v_max, not {name!r}")

    @property
    def memoryless(self) -> bool:
        """True when both decays are 4096: v is bias plus this step's input only."""
        return self.decay_u == 4096 and self.decay_v == 4096

    def validate_incoming(self, c, w: np.ndarray, owner: str) -> None:
        """Weights onto a compartment: integers where they are the chip's mantissas."""
        if c.target is not None:
            raise CircuitError(f"{owner}: Loihi compartments have a single input; no target")
        integer = np.issubdtype(w.dtype, np.integer)
        if c.plastic and not integer:
            raise CircuitError(f"{owner}: plastic weights are mantissas: integers, got dtype "
                               f"{w.dtype}")
        if c.weight_exp is not None:
            check_int(owner, "weight_exp", c.weight_exp, _weights.WEIGHT_EXP_MIN,
                      _weights.WEIGHT_EXP_MAX)
            if not integer:
                raise CircuitError(f"{owner}: with weight_exp the weights are the chip's "
                                   f"mantissas: integers, got dtype {w.dtype}")
        if c.plastic:
            lo, hi = _weights.MIXED_WEIGHT_RANGE
            if w.size and (w.min() < lo or w.max() > hi):
                raise CircuitError(f"{owner}: plastic weights must lie in the 8-bit mixed "
                                   f"range [{lo}, {hi}], got [{w.min()}, {w.max()}]")
            if w.size and np.any(w % 2):
                raise CircuitError(f"{owner}: plastic mixed-sign weights must be even integers")
        elif c.weight_exp is not None:
            try:
                _weights.mantissa_registers(w, c.weight_exp, owner, c.sign_mode)
            except _weights.WeightError as e:
                raise CircuitError(str(e)) from None


# ------------------------------------------------------------------------------ equations
@dataclass(frozen=True)
class EquationNeuron(NeuronModel):
    """A continuous-time neuron model in Brian2's equation language (with units).

    Parameters
    ----------
    equations : str
        Model equations, e.g. ``"dv/dt = (I - v)/tau : volt (unless refractory)"``.
    threshold, reset : str
        Threshold condition and reset statements.
    refractory : str or Quantity or None
        Refractory period (a Brian2 quantity or expression).
    input_var : str
        The variable a spike arriving through a connection is added to (``input_var += w``).
    namespace : Mapping
        Constants used by the equations (values with units).
    initial : Mapping
        Initial values of state variables (value with units, or a Brian2 expression string).
    method : str
        Integration method name (Brian2's ``method=``).
    """

    equations: str
    threshold: str
    reset: str = ""
    refractory: object = None
    input_var: str = "v"
    namespace: Mapping = field(default_factory=dict)
    initial: Mapping = field(default_factory=dict)
    method: str = "euler"

    def validate(self, owner: str) -> None:
        if not isinstance(self.equations, str) or not self.equations.strip():
            raise CircuitError(f"{owner}: equations must be a non-empty string")
        if not isinstance(self.threshold, str) or not self.threshold.strip():
            raise CircuitError(f"{owner}: threshold must be a non-empty condition string")
        if not isinstance(self.input_var, str) or not self.input_var.isidentifier():
            raise CircuitError(f"{owner}: input_var must be a variable name, got {self.input_var!r}")

    def validate_incoming(self, c, w: np.ndarray, owner: str) -> None:
        if c.weight_exp is not None:
            raise CircuitError(f"{owner}: weight_exp applies to LoihiCompartment targets "
                               f"only; {c.post!r} is a {type(self).__name__}")
        if c.target is not None and (not isinstance(c.target, str)
                                     or not c.target.isidentifier()):
            raise CircuitError(f"{owner}: target must be a variable name, got {c.target!r}")

    def __repr__(self) -> str:
        first = self.equations.strip().splitlines()[0].strip()
        more = " ..." if len(self.equations.strip().splitlines()) > 1 else ""
        return f"EquationNeuron({first!r}{more}, threshold={self.threshold!r})"
