"""On-disk results of a sweep: one SQLite row per point, written by the driver process only.

A store belongs to one sweep specification (its fingerprint is stored with it): opening it for
another specification raises :class:`~pulsegated.errors.UsageError` instead of mixing or
overwriting results.  Every row is its own SQLite transaction, so a killed driver leaves every
finished point on disk and nothing half-written; a rerun skips the finished points.

The results of a study's ``prepare`` step (one per configuration, e.g. a calibration) are kept
too, so a rerun does not repeat them.

Row: the point's key, its position, swept values (JSON), seed, metrics (JSON), wall time (s),
set-up time paid by the point (s), error text (empty for a finished point), worker
(``host:pid``), attempts, time stamp.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from pathlib import Path

from pulsegated.errors import UsageError

__all__ = ["ResultStore", "jsonable"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY, idx INTEGER NOT NULL, params TEXT NOT NULL, seed INTEGER NOT NULL,
    metrics TEXT, wall_s REAL, setup_s REAL, error TEXT, worker TEXT,
    attempts INTEGER NOT NULL DEFAULT 1, finished REAL NOT NULL);
"""


def jsonable(value):
    """``value`` with numpy scalars and arrays turned into Python numbers and lists."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else value
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)


class ResultStore:
    """The SQLite file of one sweep.

    Parameters
    ----------
    path : path-like
        The file (created with its folder if missing).
    spec : SweepSpec
        The sweep the store belongs to.

    Raises
    ------
    UsageError
        ``path`` holds another sweep's results, or is not a result store.
    """

    def __init__(self, path, spec):
        self.path = Path(path)
        if self.path.is_dir():
            raise UsageError(f"store: {self.path} is a folder; give a file (e.g. "
                             f"{self.path / 'results.sqlite'})")
        self.spec = spec
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self._db.execute("PRAGMA synchronous=FULL")
            self._check(spec)
        except sqlite3.DatabaseError as e:
            raise UsageError(f"store: {self.path} is not a sweep result store ({e})") from None

    def _check(self, spec) -> None:
        db = self._db
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and not {"meta", "results"} <= tables:
            raise UsageError(f"store: {self.path} is an SQLite file but not a sweep result store")
        fingerprint = spec.fingerprint()
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            row = db.execute("SELECT value FROM meta WHERE key='fingerprint'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fingerprint,))
                db.execute("INSERT INTO meta VALUES ('spec', ?)", (json.dumps(spec.to_dict()),))
                db.execute("INSERT INTO meta VALUES ('created', ?)", (str(time.time()),))
            elif row[0] != fingerprint:
                other = json.loads(db.execute(
                    "SELECT value FROM meta WHERE key='spec'").fetchone()[0])
                differ = [k for k in ("study", "design", "fixed", "seeds")
                          if other.get(k) != spec.to_dict().get(k)]
                raise UsageError(f"store: {self.path} holds the results of another sweep "
                                 f"(different {', '.join(differ) or 'specification'}); give "
                                 "another store (--out) or remove this one")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def stored_spec(self) -> dict:
        """The specification the store belongs to, as stored."""
        return json.loads(self._db.execute("SELECT value FROM meta WHERE key='spec'").fetchone()[0])

    def prepared(self, key: str):
        """The stored result of the study's ``prepare`` step for configuration ``key``, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?",
                               ("prepared:" + key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def record_prepared(self, key: str, value: dict) -> None:
        """Keep the result of the study's ``prepare`` step for configuration ``key``."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                         ("prepared:" + key, json.dumps(jsonable(value))))

    def finished(self) -> set:
        """Keys of the points finished without error."""
        return {r[0] for r in self._db.execute("SELECT key FROM results WHERE error IS NULL")}

    def attempts(self) -> dict:
        """``{key: attempts}`` of the points that failed so far."""
        return dict(self._db.execute("SELECT key, attempts FROM results "
                                     "WHERE error IS NOT NULL"))

    def record(self, job, metrics=None, wall_s=None, error=None, worker=None,
               setup_s=None) -> None:
        """Write one point in its own transaction; a finished point is never overwritten.

        Parameters
        ----------
        job : Job
        metrics : dict, optional
        wall_s : float, optional
            Wall time of the point on its worker (set-up included).
        error : str, optional
            Error text of a failed point (``None``: finished).
        worker : str, optional
        setup_s : float, optional
            Set-up time the point paid (0 when it reused the worker's set-up).
        """
        values = (job.key, job.index, json.dumps(jsonable(job.params), sort_keys=True), job.seed,
                  None if metrics is None else json.dumps(jsonable(metrics)), wall_s, setup_s,
                  error, worker, time.time())
        self._db.execute(
            "INSERT INTO results (key, idx, params, seed, metrics, wall_s, setup_s, error, "
            "worker, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE "
            "SET metrics=excluded.metrics, wall_s=excluded.wall_s, setup_s=excluded.setup_s, "
            "error=excluded.error, "
            "worker=excluded.worker, finished=excluded.finished, "
            "attempts=results.attempts + 1 WHERE results.error IS NOT NULL", values)

    def rows(self) -> list:
        """Every stored row as a dict, in sweep order."""
        cur = self._db.execute("SELECT key, idx, params, seed, metrics, wall_s, setup_s, error, "
                               "worker, attempts FROM results ORDER BY idx")
        out = []
        for key, idx, params, seed, metrics, wall_s, setup_s, error, worker, attempts in cur:
            out.append({"key": key, "index": idx, "params": json.loads(params), "seed": seed,
                        "metrics": json.loads(metrics) if metrics else {}, "wall_s": wall_s,
                        "setup_s": setup_s, "error": error, "worker": worker,
                        "attempts": attempts})
        return out

    def frame(self, names=None):
        """The results as a :class:`pandas.DataFrame`, one row per point and seed.

        Columns: the swept parameters, ``seed``, the metrics (``metric_<name>`` for a metric
        named like another column), ``wall_s``, ``setup_s``, ``error`` (``None`` for a finished
        point), ``worker``, ``attempts``.
        """
        import pandas as pd

        rows = self.rows()
        if names is None:
            names = list(dict.fromkeys(n for r in rows for n in r["params"]))
        metric_names = list(dict.fromkeys(m for r in rows for m in r["metrics"]))
        taken = {*names, "seed", "wall_s", "setup_s", "error", "worker", "attempts"}
        column = {m: f"metric_{m}" if m in taken else m for m in metric_names}  # no clashes
        records = [{**{n: r["params"].get(n) for n in names}, "seed": r["seed"],
                    **{column[m]: r["metrics"].get(m) for m in metric_names},
                    "wall_s": r["wall_s"],
                    "setup_s": r["setup_s"], "error": r["error"], "worker": r["worker"],
                    "attempts": r["attempts"]}
                   for r in rows]
        columns = [*names, "seed", *column.values(), "wall_s", "setup_s", "error", "worker",
                   "attempts"]
        return pd.DataFrame.from_records(records, columns=columns)

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
