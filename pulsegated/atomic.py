"""Durable atomic file writes: a temporary file in the target folder, fsync, then ``os.replace``.

A reader sees either the old file or the complete new one, never a half-written file, and after
:func:`atomic_open` returns the new file and its directory entry are on disk (a power cut does not
bring the old one back).  A process killed during a write leaves a ``<name>.<random>.tmp`` file;
:func:`remove_orphans` deletes those at the next start.
"""

from __future__ import annotations

import errno
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_open", "fsync_dir", "remove_orphans", "TMP_SUFFIX"]

#: Suffix of the temporary files written by :func:`atomic_open`.
TMP_SUFFIX = ".tmp"


def fsync_dir(folder) -> None:
    """Flush a directory's entries (a rename inside it) to disk; a no-op where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _named(e: OSError, path: Path) -> OSError:
    """``e`` with ``path`` in its message when the disk is full (ENOSPC / EDQUOT)."""
    if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return OSError(e.errno, f"no space left on the device to write {path}")
    return e


@contextmanager
def atomic_open(path, mode: int = 0o644, verify=None):
    """Open a temporary binary file next to ``path``; on success it replaces ``path``.

    Parameters
    ----------
    path : path-like
    mode : int
        Permissions of the final file.
    verify : callable, optional
        Called with the temporary file's path after it was written and flushed to disk, before
        the rename; an exception it raises aborts the write (``path`` is left as it was).

    On any error the temporary file is removed and ``path`` is left as it was: nothing is ever
    half-written.  A full disk raises an ``OSError`` naming ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        try:
            with os.fdopen(fd, "wb") as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            raise _named(e, path) from e
        if verify is not None:
            verify(Path(tmp))
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def remove_orphans(folder, names=None) -> list[Path]:
    """Delete temporary files left in ``folder`` by killed :func:`atomic_open` writes.

    Parameters
    ----------
    folder : path-like
    names : iterable of str, optional
        Only temporaries of these target file names (default: every ``*.tmp`` file).

    Returns
    -------
    list of Path
        The files removed.
    """
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    prefixes = None if names is None else tuple(n + "." for n in names)
    for p in folder.iterdir():
        if not p.name.endswith(TMP_SUFFIX) or not p.is_file():
            continue
        if prefixes is not None and not p.name.startswith(prefixes):
            continue
        try:
            p.unlink()
            removed.append(p)
        except FileNotFoundError:
            pass
    return removed
