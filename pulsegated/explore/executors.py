"""Where the points run: the driver itself, a local process pool, or a dask.distributed cluster.

Each executor runs :class:`Task` s (a function of :mod:`pulsegated.explore.worker` and its
arguments: a point, or a study's ``prepare`` step) and is a generator over ``(task.item, result)``
pairs in the order the tasks finish (``result`` as returned by
:func:`~pulsegated.explore.worker.execute_point`); the driver writes each to the store as it
arrives, so a point finished is a point kept.

Worker deaths (a process killed, out of memory, ``os._exit`` inside a point):

* **dask**: the scheduler reruns the points the dead worker held on the others (and the
  nanny starts a new worker); a point that took ``distributed.scheduler.allowed-failures``
  workers down with it comes back as ``KilledWorker`` and is recorded as failed.
* **local pool**: a dead process breaks the whole :class:`~concurrent.futures.ProcessPoolExecutor`;
  a new pool reruns each point that was running then, one at a time, and a point that kills
  the pool :data:`MAX_DEATHS` times on its own is recorded as failed.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, NamedTuple

__all__ = ["Task", "LocalPool", "run_serial", "run_local", "run_dask", "MAX_DEATHS",
           "START_METHOD"]


class Task(NamedTuple):
    """``fn(*args)`` to run on a worker; ``item`` (e.g. the job) comes back with the result."""

    item: Any
    fn: Callable
    args: tuple

#: times a point may take a local worker process down with it before it is recorded as failed
MAX_DEATHS = 3
#: start method of the local worker processes ("spawn": no state inherited from the driver, the
#: same on every platform; the study must be importable, as on a cluster)
START_METHOD = "spawn"


def _died(n: int) -> dict:
    return {"metrics": None, "wall_s": None, "setup_s": None, "worker": None,
            "error": f"the worker process died while running this task ({n} times: killed, "
                     "out of memory, os._exit, or it could not start; a script that runs a "
                     "sweep on local processes must do so under if __name__ == '__main__':)"}


def run_serial(tasks):
    """Run the tasks one after the other in this process."""
    for task in tasks:
        yield task.item, task.fn(*task.args)


class LocalPool:
    """Local worker processes, kept across calls of :func:`run_local` and renewed when broken.

    Parameters
    ----------
    workers : int
        Number of processes.
    """

    def __init__(self, workers: int):
        self.workers = workers
        self._pool = None

    def get(self) -> ProcessPoolExecutor:
        """The pool (started on first use)."""
        if self._pool is None:
            ctx = multiprocessing.get_context(START_METHOD)
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
        return self._pool

    def renew(self) -> ProcessPoolExecutor:
        """A new pool in place of a broken one."""
        self.close()
        return self.get()

    def close(self) -> None:
        """Stop the processes (running tasks finish, queued ones are dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run_local(tasks, pool: LocalPool):
    """Run the tasks on a :class:`LocalPool`, at most one task per process in flight.

    Parameters
    ----------
    tasks : sequence of Task
    pool : LocalPool
    """
    queue, suspects = deque(tasks), deque()
    deaths = {}
    while queue or suspects:
        executor = pool.get()
        if suspects:  # a task that was running when a process died: run it alone
            task = suspects.popleft()
            try:
                result = executor.submit(task.fn, *task.args).result()
            except BrokenProcessPool:
                pool.renew()
                deaths[id(task)] = deaths.get(id(task), 0) + 1
                if deaths[id(task)] >= MAX_DEATHS:
                    yield task.item, _died(deaths[id(task)])
                else:
                    suspects.appendleft(task)
                continue
            yield task.item, result
            continue
        running = {}
        broken = False
        while (queue or running) and not broken:
            while queue and len(running) < pool.workers:
                task = queue.popleft()
                running[executor.submit(task.fn, *task.args)] = task
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                task = running.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    suspects.append(task)
                    broken = True
                    continue
                yield task.item, result
        if broken:  # every task in flight may have been the one that killed the process
            suspects.extend(running.values())
            pool.renew()


def run_dask(tasks, client):
    """Run the tasks on a dask.distributed cluster.

    Parameters
    ----------
    tasks : sequence of Task
    client : distributed.Client
    """
    from uuid import uuid4

    from distributed import as_completed

    run_id = uuid4().hex[:12]
    futures = {}
    for k, task in enumerate(tasks):
        fut = client.submit(task.fn, *task.args, pure=False,
                            key=f"pulsegated-{task.fn.__name__}-{run_id}-{k}")
        futures[fut] = task
    try:
        for fut in as_completed(futures, loop=client.loop):
            task = futures[fut]
            try:
                result = fut.result()
            except Exception as err:  # noqa: BLE001 - KilledWorker, a lost result, ...
                result = {"metrics": None, "wall_s": None, "setup_s": None, "worker": None,
                          "error": f"{type(err).__name__}: {err}"}
            fut.release()
            yield task.item, result
    finally:
        client.cancel(list(futures))
