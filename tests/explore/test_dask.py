"""Sweeps on a real dask.distributed LocalCluster (2 worker processes), one killed mid-sweep."""

import os

import pytest

from pulsegated.explore import Grid, sweep
from tests.explore.helpers import calls

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, worker_dashboard_address=None,
                                  silence_logs=50) as c:
        yield c


def test_worker_killed_mid_sweep_loses_no_point(cluster, tmp_path):
    """A worker process exits (os._exit) inside a point: the scheduler reruns what it held on
    the other worker, every finished point is in the store once, and the sweep completes."""
    store = tmp_path / "s.sqlite"
    xs = list(range(1, 13))
    with distributed.Client(cluster) as client:
        pids_before = set(client.run(os.getpid).values())
        df = sweep("tests.explore.helpers:dies_once", Grid(x=xs),
                   fixed={"calls_dir": str(tmp_path), "die_at": 5, "sleep": 0.1},
                   store=store, client=client, progress=False)
        pids_after = set(client.run(os.getpid).values())
    assert (tmp_path / "died").exists() and len(pids_before - pids_after) == 1
    assert len(df) == len(xs) and df.error.isna().all(), df.error.dropna().tolist()
    assert list(df.value) == [x * x for x in xs]
    assert calls(tmp_path, "run-x5") == 2  # the killed point ran again, elsewhere
    assert all(calls(tmp_path, f"run-x{x}") >= 1 for x in xs)
    # the finished points are on disk: a rerun computes nothing
    n = calls(tmp_path)
    again = sweep("tests.explore.helpers:dies_once", Grid(x=xs),
                  fixed={"calls_dir": str(tmp_path), "die_at": 5, "sleep": 0.1},
                  store=store, client=cluster.scheduler_address, progress=False)
    assert calls(tmp_path) == n and again.equals(df)


def test_scheduler_address_and_setup_reuse(cluster, tmp_path):
    """By address: the same call as on a laptop; each worker sets a structure up once."""
    df = sweep("tests.explore.helpers:Counting", Grid(size=[1, 2], x=[0.1, 0.2, 0.3]),
               fixed={"calls_dir": str(tmp_path)}, seeds=[0, 1],
               client=cluster.scheduler_address, progress=False)
    assert len(df) == 12 and df.error.isna().all()
    assert calls(tmp_path, "setup") == df.groupby(["worker", "size"]).ngroups <= 4
