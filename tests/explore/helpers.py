"""Cheap studies for the sweep tests (importable by worker processes: ``tests.explore.helpers``).

Calls are counted by files written into ``calls_dir`` (one file per call, from any process).
"""

import os
import time
import uuid
from pathlib import Path

from pulsegated.explore.study import Study


def _mark(folder, kind):
    if folder:
        (Path(folder) / f"{kind}-{os.getpid()}-{uuid.uuid4().hex}").touch()


def calls(folder, kind="run"):
    """Number of ``kind`` calls recorded in ``folder``."""
    return len(list(Path(folder).glob(f"{kind}-*")))


def quadratic(x, y=0.0, seed=0, calls_dir="", fail_at=None, sleep=0.0):
    """x^2 + y + seed / 1000; raises at x == fail_at."""
    _mark(calls_dir, "run")
    if sleep:
        time.sleep(sleep)
    if fail_at is not None and x == fail_at:
        raise ValueError(f"cannot evaluate x = {x}")
    return {"f": x * x + y + seed / 1000}


def dies_once(x, seed=0, calls_dir="", die_at=None, sleep=0.0):
    """x^2; the worker process exits (os._exit) the first time it runs x == die_at."""
    _mark(calls_dir, f"run-x{x}-s{seed}")
    if die_at is not None and x == die_at:
        marker = Path(calls_dir) / "died"
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        else:
            os.close(fd)
            time.sleep(0.2)  # let the other worker finish points meanwhile
            os._exit(3)
    if sleep:
        time.sleep(sleep)
    return x * x


def always_dies(x, seed=0, die_at=None):
    """The worker process exits whenever x == die_at."""
    if x == die_at:
        os._exit(3)
    return x


class Counting(Study):
    """setup counted per call; ``size`` is structural."""

    parameters = {"size": 1, "x": 0.0, "calls_dir": ""}
    structural = ("size",)
    description = "test study"

    def setup(self, fixed):
        _mark(fixed["calls_dir"], "setup")
        self.size = fixed["size"]
        self.calls_dir = fixed["calls_dir"]

    def run(self, point):
        _mark(self.calls_dir, "run")
        return {"value": self.size * point["x"], "pid": os.getpid()}


class Prepared(Study):
    """A ``prepare`` step per size (counted), given to ``setup``; fails for ``fail_size``."""

    parameters = {"size": 1, "x": 0.0, "calls_dir": "", "fail_size": -1}
    structural = ("size",)

    def prepare(self, fixed):
        _mark(fixed["calls_dir"], "prepare")
        if fixed["size"] == fixed["fail_size"]:
            raise RuntimeError("calibration diverged")
        return {"scale": 10 * fixed["size"]}

    def setup(self, fixed, prepared):
        _mark(fixed["calls_dir"], "setup")
        self.scale, self.calls_dir = prepared["scale"], fixed["calls_dir"]

    def run(self, point):
        _mark(self.calls_dir, "run")
        return {"value": self.scale * point["x"]}


def echo(x, seed=0):
    """Metrics named like the parameter and the seed."""
    return {"x": 2 * x, "seed": seed + 1}
