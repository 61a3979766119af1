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
    """Run a checked :class:`~pulsegated.explore.spec.Plan` (see :func:`sweep`).

    A study with a ``prepare`` step has it run first, once per configuration still needed (on
    the workers, in parallel; results kept in the store); then the points run.
    """
    from contextlib import ExitStack

    from pulsegated.explore.store import ResultStore

    results = ResultStore(":memory:" if store is None else store, p.spec)
    try:
        finished = results.finished()
        failed = set() if retry_failed else set(results.attempts())
        todo = [j for j in p.jobs if j.key not in finished and j.key not in failed]
        with ExitStack() as stack:
            run = _executor(stack, client, workers, len(todo)) if todo else None
            prepared, prepare_errors = (_prepare(p, todo, results, run, progress)
                                        if todo and p.prepare else ({}, {}))
            _run_points(p, todo, results, run, prepared, prepare_errors, progress)
        return results.frame(list(p.names))
    finally:
        results.close()


def _executor(stack, client, workers, n_tasks):
    """``run(tasks)``: the executor chosen by ``client`` / ``workers``, closed with ``stack``."""
    from pulsegated.explore import executors

    if isinstance(client, str):
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("scheduler: dask.distributed is not installed; "
                             'pip install -e ".[explore]"') from None
        try:
            client = stack.enter_context(Client(client, set_as_default=False, timeout="30s"))
        except (OSError, TimeoutError) as e:
            raise UsageError(f"scheduler: cannot connect to {client!r} ({e})") from None
    if client is not None:
        return lambda tasks: executors.run_dask(tasks, client)
    n = min(workers or available_cores(), n_tasks)
    if n == 1:
        return executors.run_serial
    pool = stack.enter_context(executors.LocalPool(n))
    return lambda tasks: executors.run_local(tasks, pool)


def _consume(runs, bar):
    """Iterate over ``runs``, updating ``bar``; the generator and the bar are closed after."""
    try:
        for item, r in runs:
            yield item, r
            bar.update(1)
    finally:
        close = getattr(runs, "close", None)
        if close is not None:
            close()
        bar.close()


def _bar(p: Plan, total: int, initial: int, progress: bool, what: str):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, disable=not progress, desc=f"{p.study_ref}{what}",
                unit="point" if not what else "step", file=sys.stderr, dynamic_ncols=True)


def _prepare(p: Plan, todo, results, run, progress: bool):
    """Run the study's ``prepare`` for every configuration of ``todo`` not in the store."""
    from pulsegated.explore.executors import Task
    from pulsegated.explore.spec import config_key
    from pulsegated.explore.worker import execute_prepare

    configs = {}
    for j in todo:
        configs.setdefault(config_key(j.config), j.config)
    prepared = {k: v for k in configs if (v := results.prepared(k)) is not None}
    missing = [Task(k, execute_prepare, (p.study_ref, c)) for k, c in configs.items()
               if k not in prepared]
    errors = {}
    if missing:
        bar = _bar(p, len(missing), 0, progress, ": prepare")
        for k, r in _consume(run(missing), bar):
            if r["error"] is None:
                results.record_prepared(k, r["metrics"])
                prepared[k] = r["metrics"]
            else:
                errors[k] = r["error"]
    return prepared, errors


def _run_points(p: Plan, todo, results, run, prepared, prepare_errors, progress: bool):
    from pulsegated.explore.executors import Task
    from pulsegated.explore.spec import config_key
    from pulsegated.explore.worker import execute_point

    bar = _bar(p, len(p.jobs), len(p.jobs) - len(todo), progress, "")
    tasks, errors = [], 0
    for j in todo:
        k = config_key(j.config)
        if k in prepare_errors:  # nothing to run: the study's prepare step failed
            results.record(j, error="prepare step failed:\n" + prepare_errors[k])
            errors += 1
            bar.update(1)
        else:
            tasks.append(Task(j, execute_point, (p.study_ref, j.config, j.point,
                                                 prepared.get(k)), group=k))
    if errors:
        bar.set_postfix(failed=errors, refresh=False)
    if not tasks:
        bar.close()
        return
    for job, r in _consume(run(tasks), bar):
        results.record(job, metrics=r["metrics"], wall_s=r["wall_s"], error=r["error"],
                       worker=r["worker"], setup_s=r["setup_s"])
        if r["error"] is not None:
            errors += 1
            bar.set_postfix(failed=errors, refresh=False)
