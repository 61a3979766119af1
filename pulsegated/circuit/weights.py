"""The chip's weight rule for :class:`~pulsegated.circuit.LoihiCompartment` targets.

Every backend that runs Loihi compartments (the integer emulator, Brian2's Loihi-compartment model)
derives the weights it delivers from the functions here, so that they agree bit for bit.

A synapse stores an 8-bit *mantissa* ``M``; its connection has one *weight exponent* ``e`` in
-8..7 and a *sign mode*:

=============  ===================  =======================================
sign mode      mantissas            used when the connection's weights are
=============  ===================  =======================================
excitatory     0..255               all >= 0
inhibitory     -255..0              all <= 0
mixed          -256..254, even      of both signs
=============  ===================  =======================================

The chip applies the exponent to the mantissa first and scales by 2**6 after, so the weight a
spike adds to the input accumulator is, in threshold units (chip raw value / 64)::

    effective = M << e        for e >= 0      (exact)
    effective = M >> -e       for e <  0      (arithmetic right shift: floor toward -infinity)

i.e. ``floor(M * 2**e)``: always an integer number of threshold units.  A negative exponent does
not give finer weights; it drops the low ``-e`` bits of the mantissa.  The floor rounds positive
mantissas toward zero and negative ones away from zero (``-2 >> 2 == -1``).  With ``e < 0`` an
effective weight can only lie in ``-256 * 2**e .. 255 * 2**e``.

Float weights (in threshold units, connections without ``weight_exp``) are quantized on the host
by :func:`quantize_float`: the mantissa is rounded half-to-even to the sign mode's precision (even
steps in mixed mode) and, for a negative exponent, rounded half-to-even again to a multiple of
``2**-e`` so that the chip's floor shift is exact.  The exponent is the one of -8..7 with the
smallest maximum error (then the smallest rms error, then the one nearest 0).  Mixed-mode float
weights use mantissas in -254..254 only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SIGN_MODES", "MIXED_WEIGHT_RANGE", "WEIGHT_EXP_MIN", "WEIGHT_EXP_MAX", "WeightError",
           "Quantized",
           "sign_mode", "effective_weights", "exact_registers", "mantissa_registers",
           "quantize_float", "quantize_with_exponent", "connection_registers"]

#: sign mode -> (mantissa min, mantissa max, mantissa step)
SIGN_MODES = {"excitatory": (0, 255, 1), "inhibitory": (-255, 0, 1), "mixed": (-256, 254, 2)}
#: range of the per-connection weight exponent
WEIGHT_EXP_MIN, WEIGHT_EXP_MAX = -8, 7
#: range of the 8-bit mixed-sign mantissa (even steps only): plastic weights onto compartments
MIXED_WEIGHT_RANGE = SIGN_MODES["mixed"][:2]


class WeightError(ValueError):
    """Weights that the chip's mantissa/exponent format cannot hold; the message says why."""


@dataclass(frozen=True)
class Quantized:
    """Registers of one connection's weights.

    Attributes
    ----------
    mantissa : ndarray of int64
        The stored 8-bit mantissas (same shape as the weights given).
    weight_exp : int
        The connection's weight exponent, -8..7.
    sign_mode : str
        ``"excitatory"``, ``"inhibitory"`` or ``"mixed"``.
    error : ndarray of float64 or None
        ``effective - requested`` per synapse for quantized float weights, None when exact.
    """

    mantissa: np.ndarray
    weight_exp: int
    sign_mode: str
    error: np.ndarray | None = None

    @property
    def effective(self) -> np.ndarray:
        """Effective weights in threshold units (int64), see :func:`effective_weights`."""
        return effective_weights(self.mantissa, self.weight_exp)

    def report(self, requested=None) -> dict:
        """Quantization loss: ``max_abs_error``, ``rms_error`` (threshold units), ``zeroed``
        (nonzero requested weights that became 0) and the chosen ``weight_exp``."""
        if self.error is None or self.error.size == 0:
            return {"max_abs_error": 0.0, "rms_error": 0.0, "zeroed": 0,
                    "weight_exp": self.weight_exp}
        eff = self.effective
        req = eff - self.error
        return {"max_abs_error": float(np.abs(self.error).max()),
                "rms_error": float(np.sqrt(np.mean(self.error ** 2))),
                "zeroed": int(np.count_nonzero((req != 0) & (eff == 0))),
                "weight_exp": self.weight_exp}


def sign_mode(values) -> str:
    """The sign mode weights (or mantissas) need: excitatory, inhibitory or mixed."""
    v = np.asarray(values)
    if v.size == 0 or v.min() >= 0:
        return "excitatory"
    return "inhibitory" if v.max() <= 0 else "mixed"


def effective_weights(mantissa, weight_exp: int) -> np.ndarray:
    """``floor(mantissa * 2**weight_exp)`` in threshold units, as the chip computes it.

    Parameters
    ----------
    mantissa : array_like of int
        Stored mantissas.
    weight_exp : int
        Weight exponent, -8..7.

    Returns
    -------
    ndarray of int64
        ``mantissa << weight_exp`` for ``weight_exp >= 0``; otherwise ``mantissa >> -weight_exp``,
        an arithmetic right shift (floor toward -infinity: ``-2 >> 2 == -1``).
    """
    m = np.asarray(mantissa, dtype=np.int64)
    e = int(weight_exp)
    return m << e if e >= 0 else m >> -e


def _check_mantissas(m: np.ndarray, mode: str, owner: str) -> None:
    lo, hi, step = SIGN_MODES[mode]
    if m.size and (m.min() < lo or m.max() > hi or np.any(m % step)):
        raise WeightError(f"{owner}: {mode} weight mantissas must be "
                          f"{'even ' if step == 2 else ''}integers in [{lo}, {hi}], got "
                          f"[{m.min()}, {m.max()}]")


def mantissa_registers(mantissa, weight_exp: int, owner: str, mode: str | None = None) -> Quantized:
    """Registers of explicit mantissas with an explicit exponent (``Connection.weight_exp`` set).

    ``mode`` defaults to :func:`sign_mode` of the mantissas; plastic connections pass ``"mixed"``.
    """
    m = np.asarray(mantissa, dtype=np.int64)
    if not WEIGHT_EXP_MIN <= int(weight_exp) <= WEIGHT_EXP_MAX:
        raise WeightError(f"{owner}: weight_exp={weight_exp} is outside "
                          f"{WEIGHT_EXP_MIN}..{WEIGHT_EXP_MAX}")
    mode = mode or sign_mode(m)
    _check_mantissas(m, mode, owner)
    return Quantized(m.copy(), int(weight_exp), mode)


def exact_registers(weights, owner: str) -> Quantized:
    """Registers holding integer threshold-unit weights exactly.

    The smallest exponent in 0..7 that holds every weight exactly; mixed-sign weights with odd
    values (``|w| <= 128``) use exponent -1 with mantissa ``2 * w`` (``floor(2w / 2) == w``).

    Raises
    ------
    WeightError
        When no exponent holds the weights exactly.
    """
    w = np.asarray(weights, dtype=np.int64)
    mode = sign_mode(w)
    lo, hi, step = SIGN_MODES[mode]
    for exp in range(0, WEIGHT_EXP_MAX + 1):
        if np.any(w % (1 << exp)):
            break
        mant = w >> exp
        if mant.min(initial=0) >= lo and mant.max(initial=0) <= hi and not np.any(mant % step):
            return Quantized(mant, exp, mode)
    if mode == "mixed" and w.min() * 2 >= lo and w.max() * 2 <= hi:
        return Quantized(w * 2, -1, mode)
    raise WeightError(
        f"{owner}: weights in [{w.min()}, {w.max()}] cannot be held exactly as 8-bit "
        f"{mode} mantissas ({lo}..{hi}{', even' if step == 2 else ''}) times 2**weightExp with "
        f"weightExp in {'-1..' if mode == 'mixed' else '0..'}{WEIGHT_EXP_MAX}; give float "
        f"weights to have them quantized")


def _round_half_even(x: np.ndarray) -> np.ndarray:
    return np.round(x)  # numpy rounds halves to the even neighbour


def quantize_with_exponent(weights, weight_exp: int, mode: str | None = None) -> Quantized:
    """Quantize float threshold-unit weights with a given exponent (see the module docstring).

    Steps, with ``s = 1`` in mixed mode (mantissas stored at half precision) and 0 otherwise,
    ``lim = 2**(8 - s) - 1``:

    1. ``h = clip(round_half_even(w / 2**(e + s)), -lim, lim)``;
    2. if ``e + s < 0``: ``h = clip(round_half_even(h * 2**(e + s)) * 2**-(e + s), -lim, lim)``
       (a multiple of ``2**-(e + s)`` unless clipped);
    3. mantissa ``M = h * 2**s``; effective ``floor(M * 2**e)``.
    """
    w = np.asarray(weights, dtype=np.float64)
    mode = mode or sign_mode(w)
    s = 1 if mode == "mixed" else 0
    lim = float(2 ** (8 - s) - 1)
    e = int(weight_exp)
    h = np.clip(_round_half_even(w / 2.0 ** (e + s)), -lim, lim)
    if e + s < 0:
        q = 2.0 ** -(e + s)
        h = np.clip(_round_half_even(h / q) * q, -lim, lim)
    mant = h.astype(np.int64) << s
    return Quantized(mant, e, mode, effective_weights(mant, e) - w)


def quantize_float(weights, owner: str) -> Quantized:
    """Quantize float threshold-unit weights, choosing the exponent (see the module docstring).

    Raises
    ------
    WeightError
        For NaN or infinite weights.
    """
    w = np.asarray(weights, dtype=np.float64)
    if not np.all(np.isfinite(w)):
        raise WeightError(f"{owner}: weights must be finite, got NaN or infinity")
    mode = sign_mode(w)
    if w.size == 0 or not np.any(w):
        return Quantized(np.zeros(w.shape, np.int64), 0, mode, np.zeros(w.shape))
    best, best_key = None, None
    for e in range(WEIGHT_EXP_MIN, WEIGHT_EXP_MAX + 1):
        q = quantize_with_exponent(w, e, mode)
        err = np.abs(q.error)
        key = (float(err.max()), float(np.mean(err ** 2)), abs(e), e < 0)
        if best_key is None or key < best_key:
            best, best_key = q, key
    return best


def connection_registers(weights, weight_exp: int | None, plastic: bool, owner: str,
                         sign_mode: str | None = None) -> Quantized:
    """Registers of a connection's weights onto Loihi compartments (one entry per synapse).

    * plastic: the weights are mixed-mode mantissas, exponent ``weight_exp`` (None: 0);
    * ``weight_exp`` given: the weights are mantissas (:func:`mantissa_registers`), in
      ``sign_mode`` when given;
    * integer weights: threshold units held exactly (:func:`exact_registers`);
    * float weights: threshold units, quantized (:func:`quantize_float`).
    """
    w = np.asarray(weights)
    if plastic:
        return mantissa_registers(w, 0 if weight_exp is None else weight_exp, owner, "mixed")
    if weight_exp is not None:
        return mantissa_registers(w, weight_exp, owner, sign_mode)
    if np.issubdtype(w.dtype, np.integer):
        return exact_registers(w, owner)
    return quantize_float(w, owner)
