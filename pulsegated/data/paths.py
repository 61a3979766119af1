"""Where datasets are looked for.

An explicit ``data_dir`` argument (``--data-dir`` on the command line) is the only place looked in:
a dataset missing or incomplete there is an error naming it, never a silent fall-back elsewhere.
Without it, the search path is, in order:

1. the environment variable ``PULSEGATED_DATA``;
2. the per-user cache: ``$XDG_CACHE_HOME/pulsegated`` or ``~/.cache/pulsegated``
   (``~/Library/Caches/pulsegated`` on macOS, ``%LOCALAPPDATA%\\pulsegated`` on Windows), where
   ``pulsegated data download`` puts the files.

A dataset ``name`` lives in ``<root>/<name>/`` under its canonical file names, gzip-compressed
(``.gz``) or not.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["ENV_VAR", "user_cache_dir", "search_path", "find_dataset", "DatasetNotFoundError"]

ENV_VAR = "PULSEGATED_DATA"


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is in none of the places searched; the message lists them and how to get it."""

    def __str__(self):  # FileNotFoundError would prefix an errno
        return self.args[0] if self.args else ""


def user_cache_dir() -> Path:
    """The per-user cache folder of pulsegated."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "pulsegated"


def search_path(data_dir: str | os.PathLike | None = None) -> list[tuple[Path, str]]:
    """The roots searched, in order, each with where it came from.

    An explicit ``data_dir`` is the only root; one that is not a folder is an error (it is never
    silently skipped).
    """
    if data_dir is not None:
        p = Path(data_dir).expanduser()
        if not p.is_dir():
            raise DatasetNotFoundError(f"data directory {p} (given explicitly) does not exist "
                                       f"or is not a folder")
        return [(p, "data_dir argument")]
    roots = []
    env = os.environ.get(ENV_VAR)
    if env:
        roots.append((Path(env).expanduser(), f"${ENV_VAR}"))
    roots.append((user_cache_dir(), "user cache"))
    return roots


def find_file(folder: Path, name: str) -> Path | None:
    """``folder/name`` or ``folder/name.gz``, whichever exists."""
    for candidate in (folder / name, folder / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def find_dataset(name: str, files, data_dir=None) -> Path:
    """The folder holding all ``files`` of dataset ``name`` (first root on the search path).

    Raises
    ------
    DatasetNotFoundError
        One message listing every place searched, what was missing there, and how to get the data.
    """
    looked = []
    for root, origin in search_path(data_dir):
        folder = root / name
        missing = [f for f in files if find_file(folder, f) is None]
        if not missing:
            return folder
        what = "folder missing" if not folder.is_dir() else "missing " + ", ".join(missing)
        looked.append(f"  {folder}  ({origin}): {what}")
    if data_dir is not None:
        raise DatasetNotFoundError(
            f"dataset {name!r} not found in the data directory given explicitly "
            f"({looked[0].strip()}); it must hold {name}/ with its IDX files "
            f"(get them with `pulsegated data download {name} --data-dir {data_dir}`)")
    raise DatasetNotFoundError(
        f"dataset {name!r} not found. Looked in:\n" + "\n".join(looked) +
        f"\nGet it with `pulsegated data download {name}` (into the user cache), or set "
        f"{ENV_VAR} (or --data-dir) to a folder containing {name}/ with its IDX files.")
