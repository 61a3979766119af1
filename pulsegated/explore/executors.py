"""Where the points run: the driver itself, a local process pool, or a dask.distributed cluster.

Each executor is a generator over ``(job, result)`` pairs in the order the points finish
(``result`` as returned by :func:`~pulsegated.explore.worker.execute_point`); the driver writes
each to the store as it arrives, so a point finished is a point kept.

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

from pulsegated.explore.worker import execute_point

__all__ = ["run_serial", "run_local", "run_dask", "MAX_DEATHS", "START_METHOD"]

#: times a point may take a local worker process down with it before it is recorded as failed
MAX_DEATHS = 3
#: start method of the local worker processes ("spawn": no state inherited from the driver, the
#: same on every platform; the study must be importable, as on a cluster)
START_METHOD = "spawn"


def _died(job, n: int) -> dict:
    return {"metrics": None, "wall_s": None, "setup_s": None, "worker": None,
            "error": f"the worker process died while running this point ({n} times: killed, "
                     "out of memory, os._exit, or it could not start; a script that runs a "
                     "sweep on local processes must do so under if __name__ == '__main__':)"}


def run_serial(ref: str, jobs):
    """Run the jobs one after the other in this process."""
    for job in jobs:
        yield job, execute_point(ref, job.config, job.point)


def run_local(ref: str, jobs, workers: int):
    """Run the jobs on ``workers`` local processes, at most ``workers`` points in flight.

    Parameters
    ----------
    ref : str
        The study.
    jobs : sequence of Job
    workers : int
    """
    queue, suspects = deque(jobs), deque()
    deaths = {}
    ctx = multiprocessing.get_context(START_METHOD)
    while queue or suspects:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        try:
            if suspects:  # a point that was running when a process died: run it alone
                job = suspects.popleft()
                try:
                    yield job, pool.submit(execute_point, ref, job.config, job.point).result()
                except BrokenProcessPool:
                    deaths[job.key] = deaths.get(job.key, 0) + 1
                    if deaths[job.key] >= MAX_DEATHS:
                        yield job, _died(job, deaths[job.key])
                    else:
                        suspects.appendleft(job)
                continue
            running = {}
            broken = False
            while (queue or running) and not broken:
                while queue and len(running) < workers:
                    job = queue.popleft()
                    running[pool.submit(execute_point, ref, job.config, job.point)] = job
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = running.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        suspects.append(job)
                        broken = True
                        continue
                    yield job, result
            if broken:  # every point in flight may have been the one that killed the process
                suspects.extend(running.values())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def run_dask(ref: str, jobs, client):
    """Run the jobs on a dask.distributed cluster.

    Parameters
    ----------
    ref : str
    jobs : sequence of Job
    client : distributed.Client
    """
    from uuid import uuid4

    from distributed import as_completed

    run_id = uuid4().hex[:12]
    futures = {}
    for job in jobs:
        fut = client.submit(execute_point, ref, job.config, job.point, pure=False,
                            key=f"pulsegated-point-{run_id}-{job.index}")
        futures[fut] = job
    try:
        for fut in as_completed(futures, loop=client.loop):
            job = futures[fut]
            try:
                result = fut.result()
            except Exception as err:  # noqa: BLE001 - KilledWorker, a lost result, ...
                result = {"metrics": None, "wall_s": None, "setup_s": None, "worker": None,
                          "error": f"{type(err).__name__}: {err}"}
            fut.release()
            yield job, result
    finally:
        client.cancel(list(futures))
