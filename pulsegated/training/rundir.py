"""The checkpoint folder of a training run: checked before training, locked while the run lives.

:func:`open_run_dir` creates the folder and write-probes it (a file instead of a folder, missing
permissions or a full disk are reported before any training), takes an exclusive lock on
``run.lock`` (``fcntl.flock``: the operating system releases it when the process ends, even when it
is killed), removes temporary files left by a killed run, and refuses to start a fresh run in a
folder that already holds one unless asked to overwrite it.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from pulsegated.atomic import remove_orphans
from pulsegated.errors import UsageError

__all__ = ["RunDir", "open_run_dir", "LOCK_FILE", "RUN_FILE", "RUN_FILES"]

LOCK_FILE = "run.lock"
RUN_FILE = "run.json"
#: Files that make a folder hold a run (removed by ``overwrite``).
RUN_FILES = ("checkpoint.npz", "checkpoint.prev.npz", "final.npz", RUN_FILE)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock
    fcntl = None


class RunDir:
    """A locked checkpoint folder; :meth:`release` (or process exit) unlocks it."""

    def __init__(self, path: Path, lock_fd: int | None):
        self.path = path
        self._fd = lock_fd

    def release(self) -> None:
        """Unlock the folder (idempotent)."""
        if self._fd is not None:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __del__(self):
        self.release()


def _probe(path: Path, flag: str) -> None:
    """Create ``path`` and write, flush and delete a small file in it."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path} is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".write-probe.", dir=path)
        try:
            os.write(fd, b"\0" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as e:
        why = ("no space left on the device" if e.errno == errno.ENOSPC
               else e.strerror or str(e))
        raise UsageError(f"{flag} {path} is not writable: {why}") from None


def _lock(path: Path, flag: str) -> int | None:
    fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    if fcntl is None:  # pragma: no cover
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
        os.close(fd)
        raise UsageError(f"{flag} {path} is in use by another training run"
                         f"{f' (pid {holder})' if holder else ''}; wait for it to finish or use "
                         f"another folder") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def open_run_dir(path, *, resume: bool = False, overwrite: bool = False,
                 flag: str = "--checkpoint-dir") -> RunDir:
    """Check, lock and prepare a run's checkpoint folder.

    Parameters
    ----------
    path : path-like
    resume : bool
        The run continues the one in the folder (its files are kept).
    overwrite : bool
        A fresh run may replace the one in the folder (its run files are deleted, after locking).
    flag : str
        How the folder is called in messages.

    Raises
    ------
    UsageError
        The folder cannot be created or written, another process holds its lock, or it holds a
        run and neither ``resume`` nor ``overwrite`` is set.
    """
    path = Path(path).expanduser()
    _probe(path, flag)
    run_dir = RunDir(path, _lock(path, flag))
    try:
        remove_orphans(path)
        if not resume:
            found = [name for name in RUN_FILES if (path / name).exists()]
            if found and not overwrite:
                raise UsageError(f"{flag} {path} already holds a run ({', '.join(found)}); "
                                 f"continue it with --resume, or replace it with --overwrite")
            for name in found:
                (path / name).unlink()
    except BaseException:
        run_dir.release()
        raise
    return run_dir
