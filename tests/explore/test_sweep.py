"""Sweeps with cheap studies: resume, failures, spec checks, set-up reuse, local worker death."""

import pytest

from pulsegated.errors import UsageError
from pulsegated.explore import Grid, ResultStore, plan, sweep
from tests.explore.helpers import calls

QUAD = "tests.explore.helpers:quadratic"


def test_results_frame_one_row_per_point_and_seed(tmp_path):
    df = sweep(QUAD, Grid(x=[1, 2, 3], y=[0.5, 1.5]), seeds=[0, 7], workers=1, progress=False)
    assert len(df) == 12
    assert list(df.columns[:3]) == ["x", "y", "seed"]
    assert {"f", "wall_s", "setup_s", "error", "worker", "attempts"} <= set(df.columns)
    row = df[(df.x == 3) & (df.y == 1.5) & (df.seed == 7)].iloc[0]
    assert row.f == pytest.approx(9 + 1.5 + 0.007) and row.error is None


def test_resume_runs_only_unfinished_points(tmp_path):
    store = tmp_path / "s.sqlite"
    kw = dict(fixed={"calls_dir": str(tmp_path)}, seeds=[0, 1], store=store, workers=1,
              progress=False)
    sweep(QUAD, Grid(x=[1, 2]), **kw)
    assert calls(tmp_path) == 4
    df = sweep(QUAD, Grid(x=[1, 2]), **kw)  # everything done: nothing runs
    assert calls(tmp_path) == 4 and len(df) == 4 and df.error.isna().all()
    # a driver killed half-way: the store holds some points; the rerun does only the others
    with ResultStore(store, plan(QUAD, Grid(x=[1, 2]), {"calls_dir": str(tmp_path)},
                                 [0, 1]).spec) as st:
        st._db.execute("DELETE FROM results WHERE seed = 1")
    df = sweep(QUAD, Grid(x=[1, 2]), **kw)
    assert calls(tmp_path) == 6 and len(df) == 4 and df.error.isna().all()


def test_failing_point_recorded_others_finish_then_retried(tmp_path):
    store = tmp_path / "s.sqlite"
    fixed = {"calls_dir": str(tmp_path), "fail_at": 2}
    df = sweep(QUAD, Grid(x=[1, 2, 3]), fixed=fixed, store=store, workers=2, progress=False)
    bad = df[df.x == 2].iloc[0]
    assert "ValueError: cannot evaluate x = 2" in bad.error
    assert df[df.x != 2].error.isna().all() and list(df[df.x != 2].f) == [1, 9]
    n = calls(tmp_path)
    df = sweep(QUAD, Grid(x=[1, 2, 3]), fixed=fixed, store=store, workers=1, progress=False,
               retry_failed=False)
    assert calls(tmp_path) == n
    df = sweep(QUAD, Grid(x=[1, 2, 3]), fixed=fixed, store=store, workers=1, progress=False)
    assert calls(tmp_path) == n + 1  # only the failed point again
    assert int(df[df.x == 2].attempts.iloc[0]) == 2


def test_other_spec_into_same_store_is_refused(tmp_path):
    store = tmp_path / "s.sqlite"
    sweep(QUAD, Grid(x=[1, 2]), store=store, workers=1, progress=False)
    before = store.read_bytes()
    for kw, what in ((dict(design=Grid(x=[1, 3])), "design"),
                     (dict(design=Grid(x=[1, 2]), seeds=[0, 1]), "seeds"),
                     (dict(design=Grid(x=[1, 2]), fixed={"y": 1.0}), "fixed")):
        with pytest.raises(UsageError, match=f"store: .*another sweep .*{what}"):
            sweep(QUAD, store=store, workers=1, progress=False, **kw)
    assert store.read_bytes() == before
    (tmp_path / "notes.txt").write_text("not a database")
    with pytest.raises(UsageError, match="store: .*not a sweep result store"):
        sweep(QUAD, Grid(x=[1]), store=tmp_path / "notes.txt", workers=1, progress=False)


@pytest.mark.parametrize("kw, message", [
    (dict(design=Grid(z=[1])), r"design: unknown parameter 'z'"),
    (dict(design=Grid(x=[1]), fixed={"w": 2}), r"fixed: unknown parameter 'w'"),
    (dict(design=Grid(x=[1]), fixed={"x": 2}), r"fixed: \['x'\] also swept"),
    (dict(design=Grid(y=[1.0])), r"fixed: .*needs a value for \['x'\]"),
    (dict(design=Grid(x=[1]), seeds=[]), "seeds: empty"),
    (dict(design=Grid(x=[1]), seeds=[1, 1]), "seeds: repeated"),
    (dict(design=Grid(seed=[1])), "'seed' is not a parameter"),
    (dict(design=Grid(x=[1]), workers=0), "workers"),
    (dict(design={"kind": "lhs", "parameters": {"x": {"low": 1.0, "high": 0.0}}}),
     "'x': empty range"),
])
def test_bad_input_raises_before_running(tmp_path, kw, message):
    with pytest.raises(UsageError, match=message):
        sweep(QUAD, store=tmp_path / "s.sqlite", progress=False,
              **{"fixed": {"calls_dir": str(tmp_path)}, **kw})
    assert calls(tmp_path) == 0


def test_unknown_study():
    with pytest.raises(UsageError, match="study: unknown study 'nope'"):
        sweep("nope", Grid(x=[1]))


def test_setup_once_per_worker_and_structure(tmp_path):
    """A study's setup runs once per worker process and structural value, not per point."""
    df = sweep("tests.explore.helpers:Counting", Grid(size=[1, 2], x=[0.1, 0.2, 0.3, 0.4]),
               fixed={"calls_dir": str(tmp_path)}, seeds=[0, 1], workers=1, progress=False)
    assert len(df) == 16 and df.error.isna().all()
    assert calls(tmp_path, "setup") == 2 and calls(tmp_path, "run") == 16
    assert (df.setup_s > 0).sum() == 2
    assert list(df.value) == [s * x for s in (1, 2) for x in (0.1, 0.2, 0.3, 0.4)
                              for _ in (0, 1)]
    other = tmp_path / "pool"
    other.mkdir()
    df = sweep("tests.explore.helpers:Counting", Grid(size=[1, 2], x=[0.1, 0.2, 0.3, 0.4]),
               fixed={"calls_dir": str(other)}, seeds=[0, 1], workers=2, progress=False)
    assert df.error.isna().all() and calls(other, "run") == 16
    # one set-up per worker process and size: at most 2 x 2 for 16 points
    assert calls(other, "setup") == df.groupby(["worker", "size"]).ngroups <= 4


def test_local_pool_survives_a_dying_worker(tmp_path):
    """A worker process exits inside a point: the pool is renewed, the point rerun, none lost."""
    df = sweep("tests.explore.helpers:dies_once", Grid(x=[1, 2, 3, 4, 5]),
               fixed={"calls_dir": str(tmp_path), "die_at": 3}, workers=2, progress=False)
    assert df.error.isna().all() and list(df.value) == [1, 4, 9, 16, 25]
    assert (tmp_path / "died").exists()


def test_local_point_that_always_kills_its_worker_is_recorded(tmp_path):
    df = sweep("tests.explore.helpers:always_dies", Grid(x=[1, 2, 3]), fixed={"die_at": 2},
               workers=2, progress=False)
    assert df[df.x != 2].error.isna().all()
    assert "worker process died" in df[df.x == 2].error.iloc[0]


def test_prepare_once_per_configuration_and_kept_in_the_store(tmp_path):
    """A study's prepare step (e.g. a calibration) runs once per configuration and sweep, on
    any worker, not once per worker; a rerun into the same store does not repeat it."""
    store = tmp_path / "s.sqlite"
    kw = dict(fixed={"calls_dir": str(tmp_path)}, seeds=[0, 1], store=store, workers=2,
              progress=False)
    design = Grid(size=[1, 2, 3], x=[0.5, 1.0])
    df = sweep("tests.explore.helpers:Prepared", design, **kw)
    assert df.error.isna().all() and list(df.value) == [10 * s * x for s in (1, 2, 3)
                                                        for x in (0.5, 1.0) for _ in (0, 1)]
    assert calls(tmp_path, "prepare") == 3
    assert calls(tmp_path, "setup") == df.groupby(["worker", "size"]).ngroups
    with ResultStore(store, plan("tests.explore.helpers:Prepared", design, kw["fixed"],
                                 [0, 1]).spec) as st:
        st._db.execute("DELETE FROM results WHERE seed = 1")
    sweep("tests.explore.helpers:Prepared", design, **kw)
    assert calls(tmp_path, "prepare") == 3 and calls(tmp_path, "run") == 18


def test_failed_prepare_fails_its_points_only(tmp_path):
    df = sweep("tests.explore.helpers:Prepared", Grid(size=[1, 2], x=[1.0, 2.0]),
               fixed={"calls_dir": str(tmp_path), "fail_size": 2}, workers=1, progress=False)
    assert df[df["size"] == 1].error.isna().all()
    assert all("prepare step failed" in e and "calibration diverged" in e
               for e in df[df["size"] == 2].error)
    assert calls(tmp_path, "run") == 2


def test_local_processes_keep_to_their_group():
    """A free process takes its last group's next task, else a group nobody works on."""
    from pulsegated.explore.executors import Task, _Queue

    q = _Queue([Task(i, None, (), group=g) for i, g in enumerate("AAABBC")])
    a = q.pop(None, busy=set())
    b = q.pop(None, busy={"A"})
    assert (a.item, b.item) == (0, 3)
    assert q.pop("A", busy={"B"}).item == 1 and q.pop("B", busy={"A"}).item == 4
    assert q.pop("B", busy={"A"}).item == 5  # B done: C, which nobody works on
    q.push_front(b)
    assert q.pop("C", busy={"A"}).item == 3  # C done: the task pushed back, in B (free)
    assert q.pop("C", busy={"A"}).item == 2 and not q


def test_metric_named_like_a_column_gets_a_prefix():
    df = sweep("tests.explore.helpers:echo", Grid(x=[1, 2]), seeds=[5], workers=1,
               progress=False)
    assert list(df.x) == [1, 2] and list(df.seed) == [5, 5]
    assert list(df.metric_x) == [2, 4] and list(df.metric_seed) == [6, 6]
