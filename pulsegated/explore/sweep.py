"""The sweep driver: check, resume from the store, run the points, return a DataFrame.

The same call runs on a laptop (local processes) and on a cluster (dask.distributed)::

    from pulsegated.explore import Grid, sweep

    df = sweep("graded_chain", Grid(coupling=[0.9, 1.0, 1.1], jitter_ms=[0.0, 0.1, 0.2]),
               fixed={"n": 200}, seeds=[0, 1], store="results/heatmap.sqlite")
    df = sweep(..., client="tcp://scheduler:8786")     # or a distributed.Client
"""

from __future__ import annotations

import os
import sys

from pulsegated.errors import UsageError
from pulsegated.explore.spec import Plan, plan

__all__ = ["sweep", "run_plan", "available_cores"]


def available_cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _check_workers(workers):
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"workers: a positive integer, got {workers!r}")
    return workers


def sweep(study, design, *, fixed=None, seeds=(0,), store=None, client=None, workers=None,
          retry_failed: bool = True, progress: bool = True):
    """Run ``study`` at every point of ``design`` and seed; return the results.

    Parameters
    ----------
    study : str, class or function
        A registered study (:func:`~pulsegated.explore.study.registered_studies`),
        ``"module:attribute"``, a :class:`~pulsegated.explore.study.Study` subclass or a run
        function ``f(**params, seed)``; it must be importable by the workers.
    design : Design, dict or list
        The points (:mod:`pulsegated.explore.design`).
    fixed : dict, optional
        Parameters held for every point.
    seeds : sequence of int
        Every point runs once per seed.
    store : path-like, optional
        SQLite file of the results.  A rerun into the same store runs only the points not
        finished yet; a store of another sweep raises :class:`UsageError`.  Default: in memory
        (nothing kept).
    client : distributed.Client or str, optional
        Run on this dask.distributed cluster (a client, or a scheduler address such as
        ``"tcp://host:8786"``).  Default: local processes.
    workers : int, optional
        Local worker processes (default: the available cores); 1 runs every point in this
        process.  Not used with ``client``.
    retry_failed : bool
        Rerun the points that failed in an earlier run into the same store.
    progress : bool
        Show a tqdm progress bar (on stderr).

    Returns
    -------
    pandas.DataFrame
        One row per point and seed, in design order: swept parameters, ``seed``, metrics,
        ``wall_s``, ``setup_s``, ``error`` (``None`` for a finished point), ``worker``,
        ``attempts``.

    Raises
    ------
    UsageError
        Bad input (unknown study or parameter, empty range, bad seeds or workers, a store of
        another sweep), before any point runs.
    """
    p = plan(study, design, fixed, seeds)
    workers = _check_workers(workers)
    if client is not None and not isinstance(client, str) and not hasattr(client, "submit"):
        raise UsageError(f"client: a distributed.Client or a scheduler address, got {client!r}")
    return run_plan(p, store=store, client=client, workers=workers, retry_failed=retry_failed,
                    progress=progress)


def run_plan(p: Plan, store=None, client=None, workers=None, retry_failed: bool = True,
             progress: bool = True):
    """Run a checked :class:`~pulsegated.explore.spec.Plan` (see :func:`sweep`)."""
    from tqdm import tqdm

    from pulsegated.explore import executors
    from pulsegated.explore.store import ResultStore

    results = ResultStore(":memory:" if store is None else store, p.spec)
    try:
        finished = results.finished()
        failed = set() if retry_failed else set(results.attempts())
        todo = [j for j in p.jobs if j.key not in finished and j.key not in failed]
        own_client = None
        if todo and isinstance(client, str):
            from distributed import Client

            try:
                own_client = client = Client(client, set_as_default=False, timeout="30s")
            except (OSError, TimeoutError) as e:
                raise UsageError(f"scheduler: cannot connect to {client!r} ({e})") from None
        try:
            if not todo:
                runs = iter(())
            elif client is not None:
                runs = executors.run_dask(p.study_ref, todo, client)
            else:
                n = min(workers or available_cores(), len(todo))
                runs = (executors.run_serial(p.study_ref, todo) if n == 1 else
                        executors.run_local(p.study_ref, todo, n))
            bar = tqdm(total=len(p.jobs), initial=len(p.jobs) - len(todo), disable=not progress,
                       desc=p.study_ref, unit="point", file=sys.stderr, dynamic_ncols=True)
            errors = 0
            try:
                for job, r in runs:
                    results.record(job, metrics=r["metrics"], wall_s=r["wall_s"],
                                   error=r["error"], worker=r["worker"], setup_s=r["setup_s"])
                    errors += r["error"] is not None
                    bar.update(1)
                    if errors:
                        bar.set_postfix(failed=errors, refresh=False)
            finally:
                close = getattr(runs, "close", None)
                if close is not None:
                    close()
                bar.close()
        finally:
            if own_client is not None:
                own_client.close()
        return results.frame(list(p.names))
    finally:
        results.close()
