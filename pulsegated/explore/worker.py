"""What runs on a worker: one point of a study, with the study's set-up kept for the next points.

:func:`execute_point` is the task every executor sends (local process pool, dask.distributed or
the driver itself).  The set-up study instances live in a per-process cache keyed by the study's
name and its set-up configuration (fixed parameters and structural values): points of the same
structure on the same worker share one instance (e.g. one built Brian2 network, restored between
runs).  A study's optional ``prepare`` step (e.g. a calibration) runs once per sweep and
configuration (:func:`execute_prepare`), not once per worker.  At most :data:`CACHE_SIZE`
instances are kept (least recently used dropped).

A lock runs the points of one process one after the other: Brian2 networks and its random seed
are not thread-safe, so a dask worker with several threads gains nothing but stays correct (start
workers with ``--nthreads 1`` and one process per core).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import traceback
from collections import OrderedDict

__all__ = ["execute_point", "execute_prepare", "clear_cache", "CACHE_SIZE", "MAX_ERROR_CHARS"]

#: set-up study instances kept per worker process
CACHE_SIZE = 4
#: error texts are cut to their last this many characters
MAX_ERROR_CHARS = 8000

_CACHE: OrderedDict = OrderedDict()
_LOCK = threading.Lock()


def clear_cache() -> None:
    """Drop the set-up study instances of this process."""
    with _LOCK:
        _CACHE.clear()


def _study(ref: str, config: dict, prepared=None):
    """The set-up instance for ``config`` and the set-up time paid now (0 when reused)."""
    from pulsegated.explore.study import resolve_study

    key = (ref, json.dumps([config, prepared], sort_keys=True, default=str))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key], 0.0
    t0 = time.perf_counter()
    _, inst = resolve_study(ref)
    if hasattr(inst, "prepare"):
        inst.setup(dict(config), prepared)
    else:
        inst.setup(dict(config))
    _CACHE[key] = inst
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return inst, time.perf_counter() - t0


def _metrics(out) -> dict:
    from pulsegated.explore.store import jsonable

    if isinstance(out, dict):
        return jsonable(out)
    if isinstance(out, (int, float)) or hasattr(out, "item"):
        return {"value": jsonable(out)}
    raise TypeError(f"a study's run returns a dict of metrics or a number, got {type(out)}")


def execute_prepare(ref: str, config: dict) -> dict:
    """Run a study's ``prepare(config)`` (once per sweep and configuration, on any worker).

    Returns
    -------
    dict
        As :func:`execute_point`, with the prepared values (a JSON-safe dict) as ``metrics``.
    """
    from pulsegated.explore.store import jsonable
    from pulsegated.explore.study import resolve_study

    worker = f"{socket.gethostname()}:{os.getpid()}"
    with _LOCK:
        t0 = time.perf_counter()
        try:
            _, inst = resolve_study(ref)
            prepared, error = jsonable(inst.prepare(dict(config))), None
        except Exception:  # noqa: BLE001 - recorded with the points of this configuration
            prepared, error = None, traceback.format_exc()[-MAX_ERROR_CHARS:]
        wall = time.perf_counter() - t0
        return {"metrics": prepared, "error": error, "wall_s": wall, "setup_s": wall,
                "worker": worker}


def execute_point(ref: str, config: dict, point: dict, prepared=None) -> dict:
    """Run one point; never raises for an error of the study (it is returned as text).

    Parameters
    ----------
    ref : str
        The study (registered name or ``"module:attribute"``).
    config : dict
        What the study's ``setup`` receives.
    point : dict
        What its ``run`` receives (all parameters and ``seed``).
    prepared : dict, optional
        The study's ``prepare(config)`` result (studies with a ``prepare`` step).

    Returns
    -------
    dict
        ``metrics`` (dict or None), ``error`` (traceback text or None), ``wall_s`` (the point,
        set-up included), ``setup_s`` (set-up paid by this point), ``worker`` (``host:pid``).
    """
    worker = f"{socket.gethostname()}:{os.getpid()}"
    with _LOCK:
        t0 = time.perf_counter()
        setup_s = 0.0
        try:
            inst, setup_s = _study(ref, config, prepared)
            metrics, error = _metrics(inst.run(dict(point))), None
        except Exception:  # noqa: BLE001 - recorded with the point; the sweep goes on
            metrics, error = None, traceback.format_exc()[-MAX_ERROR_CHARS:]
        return {"metrics": metrics, "error": error, "wall_s": time.perf_counter() - t0,
                "setup_s": setup_s, "worker": worker}
