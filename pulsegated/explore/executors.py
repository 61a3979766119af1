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
* **local processes**: each worker process is its own one-process executor, so a death names
  the task that was running on it; a new process replaces it, the task is rerun, and a task
  that kills its process :data:`MAX_DEATHS` times is recorded as failed.

Local processes keep **affinity**: a free process takes the next task of the group (set-up
configuration) it ran last, then a group no other process is working on, so each structure is
set up on as few processes as possible (dask places tasks by its own rules).
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
    """``fn(*args)`` to run on a worker; ``item`` (e.g. the job) comes back with the result.

    ``group``: tasks of one group share a worker's set-up (local processes keep them together).
    """

    item: Any
    fn: Callable
    args: tuple
    group: Any = None

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
    """Local worker processes, each a one-process executor, kept across :func:`run_local` calls.

    Parameters
    ----------
    workers : int
        Number of processes (started on first use, replaced when one dies).
    """

    def __init__(self, workers: int):
        self.workers = workers
        self._slots = [None] * workers

    def get(self, k: int) -> ProcessPoolExecutor:
        """The executor of process ``k``."""
        if self._slots[k] is None:
            ctx = multiprocessing.get_context(START_METHOD)
            self._slots[k] = ProcessPoolExecutor(max_workers=1, mp_context=ctx)
        return self._slots[k]

    def renew(self, k: int) -> None:
        """Replace process ``k`` (after it died)."""
        if self._slots[k] is not None:
            self._slots[k].shutdown(wait=True, cancel_futures=True)
            self._slots[k] = None

    def close(self) -> None:
        """Stop the processes (running tasks finish first)."""
        for k in range(self.workers):
            self.renew(k)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Queue:
    """Tasks by group, in order; hands a free process a task of its own group if it can."""

    def __init__(self, tasks):
        self.groups = {}
        for task in tasks:
            self.groups.setdefault(task.group, deque()).append(task)

    def __bool__(self):
        return bool(self.groups)

    def push_front(self, task) -> None:
        self.groups[task.group] = deque([task, *self.groups.get(task.group, ())])

    def pop(self, last, busy) -> Task:
        """Next task for a process whose last group was ``last``; ``busy``: others' groups."""
        if last in self.groups:
            group = last
        else:  # a group nobody works on, else share the first one
            group = next((g for g in self.groups if g not in busy), next(iter(self.groups)))
        tasks = self.groups[group]
        task = tasks.popleft()
        if not tasks:
            del self.groups[group]
        return task


def run_local(tasks, pool: LocalPool):
    """Run the tasks on a :class:`LocalPool`, one task per process at a time, with affinity.

    Parameters
    ----------
    tasks : sequence of Task
    pool : LocalPool
    """
    queue = _Queue(tasks)
    deaths = {}
    last = [None] * pool.workers
    running = {}  # future -> (process, task)
    while queue or running:
        free = [k for k in range(pool.workers) if k not in {v[0] for v in running.values()}]
        for k in free:
            if not queue:
                break
            busy = {t.group for _, t in running.values()}
            task = queue.pop(last[k], busy)
            running[pool.get(k).submit(task.fn, *task.args)] = (k, task)
            last[k] = task.group
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for fut in done:
            k, task = running.pop(fut)
            try:
                result = fut.result()
            except BrokenProcessPool:  # the process died running this task
                pool.renew(k)
                last[k] = None
                deaths[id(task)] = deaths.get(id(task), 0) + 1
                if deaths[id(task)] >= MAX_DEATHS:
                    yield task.item, _died(deaths[id(task)])
                else:
                    queue.push_front(task)
                continue
            yield task.item, result


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
