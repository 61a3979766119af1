"""Dimension checks of the public sgsc API: dimensioned values are Brian2 Quantities.

Plain numbers are refused for dimensioned parameters (Brian2's own style): ``T=5`` is an error,
``T=5 * ms`` is not.  Dimensionless values (amplitudes in units of g0, couplings, learning rates)
stay plain numbers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["KINDS", "check_quantity", "hashable"]

#: kind name -> (the unit the dimensions are compared with, an example in the error message)
KINDS = {
    "time": ("ms", "5*ms"),
    "rate": ("Hz", "200*Hz"),
    "voltage": ("mV", "-70*mV"),
    "voltage per time": ("mV / ms", "25.27*mV/ms"),
    "voltage per square root of time": ("mV / ms ** 0.5", "39.24*mV/ms**0.5"),
}


def _unit(kind: str):
    import brian2 as b2

    return {"time": b2.ms, "rate": b2.Hz, "voltage": b2.mV, "voltage per time": b2.mV / b2.ms,
            "voltage per square root of time": b2.mV / b2.ms ** 0.5}[kind]


def check_quantity(value, kind: str, name: str, positive: bool = False,
                   non_negative: bool = False, array: bool = False):
    """Return ``value`` if it is a Brian2 Quantity of the dimensions ``kind``; else raise.

    Parameters
    ----------
    value : object
        The value given.
    kind : str
        One of :data:`KINDS` (``"time"``, ``"rate"``, ``"voltage"``, ...).
    name : str
        The parameter's name in the message, e.g. ``"GradedChainParams.T"``.
    positive, non_negative : bool
        Also require ``value > 0`` (``>= 0``) everywhere.
    array : bool
        Accept an array Quantity (default: a scalar).

    Raises
    ------
    TypeError
        If ``value`` is a plain number or has other dimensions: "GradedChainParams.T must be a
        time (e.g. 5*ms), got 5".
    ValueError
        If the sign condition fails.
    """
    import brian2 as b2

    example = KINDS[kind][1]
    if not isinstance(value, b2.Quantity) or not b2.have_same_dimensions(value, _unit(kind)):
        raise TypeError(f"{name} must be a {kind} (e.g. {example}), got {value!r}")
    if not array and np.ndim(value) != 0:
        raise TypeError(f"{name} must be a single {kind} (e.g. {example}), got {value!r}")
    if positive and np.any(np.asarray(value) <= 0):
        raise ValueError(f"{name} must be positive, got {value!r}")
    if non_negative and np.any(np.asarray(value) < 0):
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return value


def hashable(value):
    """A hashable stand-in for a field value (Quantities are numpy arrays, which do not hash)."""
    import brian2 as b2

    if isinstance(value, b2.Quantity):
        return (float(np.asarray(value)), repr(value.dim))
    return value
