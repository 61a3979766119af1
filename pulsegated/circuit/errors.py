"""The error a circuit description raises, and the small checks that raise it."""

from __future__ import annotations

import numpy as np

__all__ = ["CircuitError", "RAW_PER_UNIT"]

#: Raw units per threshold unit of a :class:`~pulsegated.circuit.LoihiCompartment`: every value
#: of the model is a multiple of 1/64 threshold unit (one raw unit).
RAW_PER_UNIT = 64


class CircuitError(ValueError):
    """A circuit description is inconsistent; the message says which element and why."""


def check_name(owner: str, name) -> None:
    """Refuse a name that is not a valid Python identifier."""
    if not isinstance(name, str) or not name.isidentifier():
        raise CircuitError(f"{owner}: name must be a valid identifier")


def check_int(owner: str, name: str, value, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as an int, refused unless it is an integer in ``[lo, hi]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise CircuitError(f"{owner}: {name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if lo is not None and value < lo:
        raise CircuitError(f"{owner}: {name}={value} is below the allowed minimum {lo}")
    if hi is not None and value > hi:
        raise CircuitError(f"{owner}: {name}={value} is above the allowed maximum {hi}")
    return value


def check_raw(owner: str, name: str, value, lo_raw: int | None = None,
              hi_raw: int | None = None) -> int:
    """``value`` (threshold units, a multiple of 1/64) as an exact integer of raw units."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                      np.floating)):
        raise CircuitError(f"{owner}: {name} must be a number, got {value!r} "
                           f"({type(value).__name__})")
    if isinstance(value, (int, np.integer)):
        raw = int(value) * RAW_PER_UNIT
    else:
        scaled = float(value) * RAW_PER_UNIT
        if not np.isfinite(scaled) or scaled != np.floor(scaled):
            raise CircuitError(f"{owner}: {name}={value!r} is not a multiple of 1/64 threshold "
                               f"unit (one raw unit): {name} * 64 must be an integer")
        raw = int(scaled)
    if (lo_raw is not None and raw < lo_raw) or (hi_raw is not None and raw > hi_raw):
        lo = "-inf" if lo_raw is None else lo_raw / RAW_PER_UNIT
        hi = "inf" if hi_raw is None else hi_raw / RAW_PER_UNIT
        raise CircuitError(f"{owner}: {name}={value!r} is outside the allowed range [{lo}, {hi}]")
    return raw


def is_time(v) -> bool:
    """True for a scalar Brian2 quantity in seconds."""
    dim = getattr(v, "dim", None)
    return dim is not None and str(dim) == "s" and np.size(v) == 1


def short_array(w) -> str:
    """A one-line summary of an array: dtype, shape and range (never the values)."""
    a = np.asarray(w)
    if a.ndim == 0:
        return repr(a.item())
    if a.size == 0:
        return f"{a.dtype} {a.shape} (empty)"
    if np.issubdtype(a.dtype, np.number) and not np.issubdtype(a.dtype, np.complexfloating):
        return f"{a.dtype} {a.shape} in [{a.min():g}, {a.max():g}]"
    return f"{a.dtype} {a.shape}"
