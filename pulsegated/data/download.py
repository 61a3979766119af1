"""Download of the canonical dataset files into the user cache (machines that are online)."""

from __future__ import annotations

import gzip
import hashlib
import urllib.error
import urllib.request
from pathlib import Path

from pulsegated.atomic import atomic_open
from pulsegated.data.datasets import SPLITS, dataset_info
from pulsegated.data.idx import read_idx_bytes
from pulsegated.data.paths import find_file, user_cache_dir

__all__ = ["download_dataset", "DownloadError"]


class DownloadError(OSError):
    """A dataset file could not be fetched or failed its checksum; nothing was left behind."""


def _valid(path: Path, md5: str) -> bool:
    try:
        return hashlib.md5(read_idx_bytes(path)).hexdigest() == md5
    except (OSError, ValueError):
        return False


def download_dataset(name: str, data_dir=None, urls=None, timeout: float = 60.0,
                     log=print) -> Path:
    """Fetch the four IDX files of ``name`` into ``<data_dir or user cache>/<name>/``.

    Files already present with the right checksum are kept.  Each file is fetched gzip-compressed,
    its *uncompressed* MD5 checked against the canonical one, and only then moved into place
    (temporary file + rename): a failed or interrupted download leaves nothing half-written.

    Parameters
    ----------
    urls : sequence of str, optional
        Base URLs to try in order (default: the dataset's canonical mirrors).

    Returns
    -------
    Path
        The dataset folder.
    """
    ds = dataset_info(name)
    root = Path(data_dir).expanduser() if data_dir is not None else user_cache_dir()
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    bases = list(urls) if urls is not None else list(ds.urls)
    for fname in [f for s in SPLITS for f in ds.files[s]]:
        md5 = ds.md5[fname]
        present = find_file(folder, fname)
        if present is not None and _valid(present, md5):
            log(f"{present}: present, checksum ok")
            continue
        errors = []
        for base in bases:
            url = base.rstrip("/") + "/" + fname + ".gz"
            try:
                with urllib.request.urlopen(url, timeout=timeout) as r:
                    blob = r.read()
            except (urllib.error.URLError, OSError) as e:
                errors.append(f"{url}: {e}")
                continue
            try:
                content = gzip.decompress(blob)
            except (OSError, EOFError) as e:
                errors.append(f"{url}: not a gzip file ({e})")
                continue
            got = hashlib.md5(content).hexdigest()
            if got != md5:
                errors.append(f"{url}: MD5 {got}, expected {md5}")
                continue
            target = folder / (fname + ".gz")
            with atomic_open(target) as f:
                f.write(blob)
            log(f"{target}: downloaded, checksum ok")
            break
        else:
            raise DownloadError(f"could not download {fname} of {name} (offline?):\n  "
                                + "\n  ".join(errors))
    return folder
