"""Connections: synapses from a population or source onto a population."""

from __future__ import annotations

from dataclasses import dataclass

from pulsegated.circuit.errors import short_array

__all__ = ["Connection", "CONNECTION_PATTERNS"]

#: Connection patterns a description may use.
CONNECTION_PATTERNS = ("one_to_one", "one_to_all", "all_to_all")


@dataclass(frozen=True)
class Connection:
    """Synapses from ``pre`` (a population or source) to ``post`` (a population).

    Parameters
    ----------
    pre, post : str
        Names of the presynaptic population/source and the postsynaptic population.
    pattern : {"one_to_one", "one_to_all", "all_to_all"}
        ``one_to_one`` needs equal sizes; ``one_to_all`` needs ``pre`` of size 1 (a gate).
    weight : int or float or ndarray
        Scalar for every synapse, or a matrix of shape ``(pre.size, post.size)`` for
        ``all_to_all`` (a vector of length ``size`` for ``one_to_one``).  Finite numbers.  For
        Loihi populations see ``weight_exp``.
    delay : int
        Synaptic delay in steps >= 0 (spike at t arrives at t + 1 + delay).  The Loihi backend
        refuses delays longer than the chip's (``registers.MAX_DELAY``).
    plasticity : Plasticity or None
        A :class:`~pulsegated.circuit.Plasticity` rule
        (:class:`~pulsegated.circuit.SumOfProducts`, :class:`~pulsegated.circuit.GatedTraceHebbian`,
        :class:`~pulsegated.circuit.EquationSynapse`, ...); None for a static connection.
    name : str or None
        Unique identifier; defaults to ``"{pre}__{post}"`` plus a suffix when needed.
    sign : int
        +1, or -1 for a connection whose weights are the negation of the shared matrix it copies
        (informational: used to check that copies stay identical up to sign and transpose).
    copy_of : str or None
        Name of the connection whose matrix this one copies (transposed when shapes say so).
    target : str or None
        For :class:`EquationNeuron` posts: the variable a spike adds ``w`` to (default: the model's
        ``input_var``).  Loihi compartments have one input (None).
    weight_exp : int or None
        Loihi populations only: the chip's weight exponent, -8..7.  A synapse delivers
        ``floor(M * 2**weight_exp)`` threshold units, where ``M`` is its 8-bit mantissa (see
        :mod:`pulsegated.circuit.weights`).

        * None (static connections): ``weight`` is the effective weight in threshold units.
          Integers are held exactly (the backend picks the exponent) or refused; floats are
          quantized (rounding half to even, exponent chosen for the smallest error) and the loss
          is reported by the backend (``LoihiSimulator.quantization_report()``).
        * An int: ``weight`` holds the mantissas themselves, integers in the sign mode's range
          (0..255 when all are >= 0, -255..0 when all are <= 0, even -256..254 otherwise).
        * Plastic connections: ``weight`` is always the mantissa (even, -256..254: the mixed
          mode) and None means 0.  Learning changes the mantissa; with a negative exponent it
          moves in steps finer than the effective weight's.
    sign_mode : {"excitatory", "inhibitory", "mixed"} or None
        Loihi populations with ``weight_exp`` set: the sign mode of the mantissas, fixed
        whatever the initial weights (None: the mode the weights need, mixed for plastic
        connections).  Set it on a connection whose weights the host rewrites between runs
        (``LoihiSimulator.set_weights``), so that weights of its sign still fit when all of the
        initial ones are 0.
    """

    pre: str
    post: str
    pattern: str
    weight: object
    delay: int = 0
    plasticity: object = None
    name: str | None = None
    sign: int = 1
    copy_of: str | None = None
    target: str | None = None
    weight_exp: int | None = None
    sign_mode: str | None = None

    @property
    def plastic(self) -> bool:
        return self.plasticity is not None

    def __repr__(self) -> str:
        rule = "" if self.plasticity is None else f", plasticity={type(self.plasticity).__name__}"
        delay = f", delay={self.delay}" if self.delay else ""
        return (f"Connection({self.name!r}: {self.pre} -> {self.post}, {self.pattern}, "
                f"weight {short_array(self.weight)}{delay}{rule})")
