"""Plasticity rules of plastic connections.

* :class:`SumOfProducts` -- the Loihi learning engine's form, ``dw = sum_i S_i * prod_j factor_ij``.
* :class:`GatedTraceHebbian` -- each presynaptic spike inside an open learning window changes its
  weight by +-eta times the postsynaptic trace (continuous-time circuits, Brian2).
* :class:`EquationSynapse` -- any rule written as Brian2 ``Synapses`` strings with units, to try a
  new rule without touching the package (Brian2).

A new rule subclasses :class:`Plasticity` and registers a build function with each backend that can
run it (see :mod:`pulsegated.backends.registry`); a backend without one refuses the circuit by name
before anything runs.  The description checks only what holds on every backend: what the chip's
learning engine can hold (factor names, register widths) is checked by the Loihi backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from pulsegated.circuit.errors import CircuitError, check_int, is_time
from pulsegated.circuit.weights import MIXED_WEIGHT_RANGE

__all__ = ["Plasticity", "SumOfProducts", "GatedTraceHebbian", "EquationSynapse"]


class Plasticity:
    """Base of plasticity rules (frozen dataclasses).

    :meth:`validate` checks the rule's own fields, :meth:`validate_in` what it needs from the
    circuit around its connection.
    """

    #: noun used in messages ("the loihi backend cannot run EquationSynapse plasticity ...")
    element_kind = "plasticity"

    def validate(self, owner: str) -> None:
        """Check the rule's own fields; raise :class:`CircuitError` naming ``owner``."""

    def validate_in(self, circuit, connection, owner: str) -> None:
        """Check the rule against its connection and the circuit (names it refers to exist)."""

    @staticmethod
    def _require_all_to_all(connection, owner: str) -> None:
        if connection.pattern != "all_to_all":
            raise CircuitError(f"{owner}: plastic connections must be all_to_all")

    @staticmethod
    def _require_name(circuit, name: str, what: str, owner: str) -> None:
        if name not in circuit.sources and name not in circuit.populations:
            raise CircuitError(f"{owner}: {what} {name!r} is not a source or population")


# ---------------------------------------------------------------------------- sum of products
@dataclass(frozen=True)
class SumOfProducts(Plasticity):
    """Loihi's sum-of-products learning rule, ``dw = sum_i S_i * prod_j factor_ij``.

    Evaluated every ``t_epoch`` steps from what happened in the epoch: ``x0``/``y0`` are 1 if the
    pre/post neuron spiked in the epoch, ``r0`` 1 if the reward source spiked, ``r1`` the reward
    trace (1 in the step the reward spike arrives, no decay past it), ``x1, x2, y1, y2, y3`` traces.
    The new weight is clipped to ``[wmin, wmax]``.  The factors the chip knows, the widths of scales
    and trace impulses and the longest epoch are limits of the Loihi backend
    (:mod:`pulsegated.backends.loihi.registers`), checked when it discretizes the circuit.

    Parameters
    ----------
    terms : tuple of (int, tuple of str)
        ``((4, ("x0", "y0", "r1")), (-2, ("x0", "y0")))`` is the nBP rule.
    t_epoch : int
        Learning epoch length in steps (>= 1).
    reward : str or None
        Name of the source (or population) whose spikes form r0/r1.
    wmin, wmax : int
        Clip range (default: the 8-bit mixed range of plastic mantissas).
    traces : tuple of (name, impulse, decay)
        Trace parameters for ``x1, x2, y1, y2, y3, r1``: integer impulse added when the neuron
        (or the reward) spikes, and decay per step in 0..4096 (4096: gone after one step).  Traces
        not listed have impulse 0, except ``r1`` whose default is impulse 1 with full decay (on in
        the step the reward arrives, off after), as the nBP circuit uses it.
    """

    terms: tuple
    t_epoch: int = 1
    reward: str | None = None
    wmin: int = MIXED_WEIGHT_RANGE[0]
    wmax: int = MIXED_WEIGHT_RANGE[1]
    traces: tuple = ()

    def validate(self, owner: str) -> None:
        if not self.terms:
            raise CircuitError(f"{owner}: a sum-of-products rule needs at least one term")
        for term in self.terms:
            if len(term) != 2:
                raise CircuitError(f"{owner}: each term is (scale, factors), got {term!r}")
            scale, factors = term
            check_int(owner, "term scale", scale)
            if (isinstance(factors, str) or not factors
                    or not all(isinstance(f, str) for f in factors)):
                raise CircuitError(f"{owner}: the factors of a term are a tuple of factor names, "
                                   f"got {factors!r}")
            if any(f in ("r0", "r1") for f in factors) and self.reward is None:
                raise CircuitError(f"{owner}: terms use r0/r1 but no reward source is named")
        check_int(owner, "t_epoch", self.t_epoch, 1)
        for item in self.traces:
            if len(item) != 3 or not isinstance(item[0], str):
                raise CircuitError(f"{owner}: traces are (name, impulse, decay), got {item!r}")
            check_int(owner, f"{item[0]} impulse", item[1], 0)
            check_int(owner, f"{item[0]} decay", item[2], 0, 4096)
        check_int(owner, "wmin", self.wmin)
        check_int(owner, "wmax", self.wmax)
        if self.wmin > self.wmax:
            raise CircuitError(f"{owner}: wmin {self.wmin} > wmax {self.wmax}")

    def validate_in(self, circuit, connection, owner: str) -> None:
        self._require_all_to_all(connection, owner)
        if self.reward is not None:
            self._require_name(circuit, self.reward, "reward", owner)

    @classmethod
    def pulse_gated_hebbian(cls, reward: str, step: int = 2, wmin: int = MIXED_WEIGHT_RANGE[0],
                            wmax: int = MIXED_WEIGHT_RANGE[1]) -> "SumOfProducts":
        """The nBP rule: ``+step`` on a pre/post coincidence while rewarded, ``-step`` otherwise.

        ``dw = 2*step*x0*y0*r1 - step*x0*y0`` with ``t_epoch = 1`` (the paper's
        ``4*x0*y0*r1 - 2*x0*y0``).
        """
        return cls(terms=((2 * step, ("x0", "y0", "r1")), (-step, ("x0", "y0"))),
                   t_epoch=1, reward=reward, wmin=wmin, wmax=wmax)

    def coincidence_steps(self) -> tuple[int, int] | None:
        """``(rewarded, unrewarded)`` weight change of a pure pre/post coincidence rule, or None.

        Returns the increments for the rule's only two shapes that a simple backend needs:
        ``a*x0*y0*r1 + b*x0*y0`` (with ``t_epoch == 1``).  Anything else returns None.
        """
        if self.t_epoch != 1:
            return None
        rewarded = plain = 0
        for scale, factors in self.terms:
            fs = sorted(factors)
            if fs == ["r1", "x0", "y0"]:
                rewarded += scale
            elif fs == ["x0", "y0"]:
                rewarded += scale
                plain += scale
            else:
                return None
        return rewarded, plain


# ------------------------------------------------------------------------ gated trace Hebbian
@dataclass(frozen=True)
class GatedTraceHebbian(Plasticity):
    """Pulse-gated Hebbian rule: presynaptic spike x postsynaptic trace, inside learning windows.

    Learning happens only inside *learning windows*: a spike of a population or source named in
    ``potentiate`` (``depress``) opens a potentiation (depression) window of length ``window`` for
    the postsynaptic population.  Inside a window every presynaptic spike changes its synapse by
    ``sign * eta * a_post`` (then clipped to ``[wmin, wmax]``), where ``a_post`` is the
    postsynaptic neuron's spike trace (``da/dt = -a / tau``, ``a += 1 / tau`` per spike: its
    rate estimate in Hz) and ``sign`` is +1 in a potentiation window, -1 in a depression window.
    On average ``dw/dt = +-eta * r_pre * r_post``: the product of the two rates, so a synapse only
    learns while pre and post fire together, and a sign is carried by *which* window the
    coincidence falls in (rates are positive).

    Parameters
    ----------
    eta : float
        Weight change per presynaptic spike per Hz of postsynaptic trace, in the SI base unit of
        the weight divided by Hz (dimensionless for weights onto a current in Hz).
    tau : Quantity
        Time constant of the postsynaptic trace.
    potentiate, depress : tuple of str
        Gate populations (or sources) whose spikes open potentiation / depression windows.
    window : Quantity
        Length of a learning window from the gate spike that opens it.
    wmin, wmax : float
        Bounds of the weight (SI base units), applied after each change.
    epoch : Quantity or None
        None: each change applies at once.  Otherwise changes accumulate in the synapse and are
        applied (then clipped) together at every multiple of ``epoch`` (time 0, epoch, ...),
        like the chip's learning epoch: every window of an epoch then sees the same weights, so
        the weights that carry a window's own spikes do not move under it.
    trace : "neuron", "population" or tuple of str
        What raises the postsynaptic trace ``a_post`` that a presynaptic spike is paired with.
        ``"neuron"``: each synapse reads the trace of its own postsynaptic neuron.
        ``"population"``: every synapse reads the trace of the whole postsynaptic population
        (``a += 1 / (tau N)`` per spike of any of its ``N`` neurons: the population rate
        estimate), so every postsynaptic neuron of a presynaptic neuron gets the same change
        and the learnt coupling stays one number per population pair (the
        ``dK/dt = eta m_post m_pre`` of the rate model).  A tuple of population names: the
        postsynaptic population's trace is raised by the spikes of those populations instead
        of its own (``1 / (tau N_src)`` per spike) -- a teaching signal delivered to the
        postsynaptic side, e.g. an error population, so that ``dw/dt = eta r_pre r_teacher``
        inside the learning windows whatever the postsynaptic neurons do.
    """

    eta: float
    tau: object
    potentiate: tuple = ()
    depress: tuple = ()
    window: object = None
    wmin: float = -np.inf
    wmax: float = np.inf
    epoch: object = None
    trace: str = "neuron"

    def validate(self, owner: str) -> None:
        name = type(self).__name__
        if not (self.trace in ("neuron", "population") or (
                isinstance(self.trace, tuple) and self.trace
                and all(isinstance(x, str) for x in self.trace))):
            raise CircuitError(f"{owner}: {name} trace must be 'neuron', 'population' or a "
                               f"tuple of population names, got {self.trace!r}")
        if not np.isfinite(self.eta) or self.eta <= 0:
            raise CircuitError(f"{owner}: eta must be a positive number, got {self.eta!r}")
        for what in ("tau", "window"):
            v = getattr(self, what)
            if not is_time(v) or float(v) <= 0:
                raise CircuitError(f"{owner}: {name} {what} must be a positive time "
                                   f"(a Brian2 quantity in seconds), got {v!r}")
        for what in ("potentiate", "depress"):
            g = getattr(self, what)
            if not isinstance(g, tuple) or not all(isinstance(x, str) for x in g):
                raise CircuitError(f"{owner}: {name} {what} must be a tuple of gate names, "
                                   f"got {g!r}")
        if set(self.potentiate) & set(self.depress):
            raise CircuitError(f"{owner}: a gate cannot open both potentiation and depression "
                               f"windows: {sorted(set(self.potentiate) & set(self.depress))}")
        if not self.potentiate and not self.depress:
            raise CircuitError(f"{owner}: {name} needs at least one learning gate")
        if not self.wmin < self.wmax:
            raise CircuitError(f"{owner}: wmin must be below wmax, got [{self.wmin}, {self.wmax}]")
        if self.epoch is not None and (not is_time(self.epoch) or float(self.epoch) <= 0):
            raise CircuitError(f"{owner}: {name} epoch must be None or a positive time, "
                               f"got {self.epoch!r}")

    def validate_in(self, circuit, connection, owner: str) -> None:
        self._require_all_to_all(connection, owner)
        for g in self.gates:
            self._require_name(circuit, g, "learning gate", owner)
        if isinstance(self.trace, tuple):
            for src in self.trace:
                if src not in circuit.populations:
                    raise CircuitError(f"{owner}: trace source {src!r} is not a population "
                                       f"of the circuit")

    @property
    def trace_sources(self) -> tuple:
        """Populations whose spikes raise the trace, given the postsynaptic population's name
        (``()`` for ``"neuron"``: each neuron's own spikes)."""
        return self.trace if isinstance(self.trace, tuple) else ()

    @property
    def gates(self) -> dict:
        """``{gate: sign}`` of every learning gate."""
        return {**{g: 1 for g in self.potentiate}, **{g: -1 for g in self.depress}}


# ---------------------------------------------------------------------------- equation strings
@dataclass(frozen=True)
class EquationSynapse(Plasticity):
    """A synapse model written in Brian2's ``Synapses`` language (with units): a new learning rule
    without touching the package.

    The backend declares the weight ``w`` (in the unit of the postsynaptic input variable,
    dimensionless onto Loihi compartments) and delivers every presynaptic spike as
    ``<input>_post += w`` *after* ``on_pre`` has run, as the package's own rules do: a change
    ``on_pre`` makes to ``w`` is carried by the spike that caused it.  The statements may use
    ``w``, the synapse variables declared in ``model``, the pre- and postsynaptic neurons'
    variables (``v_post``, ``lastspike_pre``, ...), ``t``, ``dt`` and the constants in
    ``namespace``.

    Parameters
    ----------
    model : str
        Further synapse variables and their equations, e.g.
        ``"dapre/dt = -apre / taupre : 1 (event-driven)"`` (may be empty).
    on_pre : str
        Statements run on each presynaptic spike, before the spike is delivered.
    on_post : str or None
        Statements run on each postsynaptic spike.
    namespace : Mapping
        Constants used by the strings (values with units).
    initial : Mapping
        Initial values of the variables declared in ``model`` (value with units, or an expression).
    method : str or None
        Integration method of continuous synapse variables (Brian2's ``method=``).

    Examples
    --------
    Pair-based STDP (Song, Miller & Abbott 2000) onto an equation neuron::

        EquationSynapse(
            model="dapre/dt = -apre / taupre : 1 (event-driven)\\n"
                  "dapost/dt = -apost / taupost : 1 (event-driven)",
            on_pre="apre += 1\\nw = clip(w + Am * apost, 0, wmax)",
            on_post="apost += 1\\nw = clip(w + Ap * apre, 0, wmax)",
            namespace={"taupre": 20 * ms, "taupost": 20 * ms, "Ap": 0.01, "Am": -0.012,
                       "wmax": 1.0})
    """

    model: str = ""
    on_pre: str = ""
    on_post: str | None = None
    namespace: Mapping = field(default_factory=dict)
    initial: Mapping = field(default_factory=dict)
    method: str | None = None

    def validate(self, owner: str) -> None:
        for what in ("model", "on_pre"):
            if not isinstance(getattr(self, what), str):
                raise CircuitError(f"{owner}: EquationSynapse {what} must be a string, got "
                                   f"{getattr(self, what)!r}")
        if self.on_post is not None and not isinstance(self.on_post, str):
            raise CircuitError(f"{owner}: EquationSynapse on_post must be a string or None, got "
                               f"{self.on_post!r}")
        if not self.on_pre.strip() and not (self.on_post or "").strip():
            raise CircuitError(f"{owner}: EquationSynapse needs on_pre or on_post statements")
        for what in ("namespace", "initial"):
            m = getattr(self, what)
            if not isinstance(m, Mapping) or not all(isinstance(k, str) and k.isidentifier()
                                                     for k in m):
                raise CircuitError(f"{owner}: EquationSynapse {what} must map variable names to "
                                   f"values, got {m!r}")
        if "w" in self.namespace or "w" in self.initial:
            raise CircuitError(f"{owner}: EquationSynapse: w is the connection's weight; give it "
                               f"as the connection's weight, not in namespace or initial")
