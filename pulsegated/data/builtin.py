"""The built-in dataset: 6000 real MNIST digits shipped inside the package.

5000 training digits (500 per class, drawn with a fixed seed from the MNIST training set) and 1000
test digits (100 per class, from the MNIST test set), cropped 4 px on every side (20x20) and
binarised "any ink" (raw >= 1), stored bit-packed.  Made by ``scripts/make_builtin_dataset.py``; see
``pulsegated/data/builtin/README.md`` for the source and licence.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

import numpy as np

__all__ = ["load_builtin", "BUILTIN_FILE", "content_digest", "provenance"]

BUILTIN_FILE = "mnist20_builtin.npz"
N_PIXELS = 400


def content_digest(X: np.ndarray, labels: np.ndarray) -> str:
    """SHA-256 of the unpacked arrays (uint8 X, then int64 labels, little-endian)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(X, dtype=np.uint8).tobytes())
    h.update(np.ascontiguousarray(labels, dtype="<i8").tobytes())
    return h.hexdigest()


@functools.lru_cache(maxsize=2)
def _load(split: str):
    ref = resources.files("pulsegated.data").joinpath("builtin", BUILTIN_FILE)
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as z:
        n = int(z[f"{split}_count"])
        X = np.unpackbits(z[f"{split}_bits"], axis=1, count=N_PIXELS)[:n]
        labels = z[f"{split}_labels"].astype(np.int64)
        expected = str(z[f"{split}_sha256"])
        source_index = z[f"{split}_source_index"].astype(np.int64)
    if content_digest(X, labels) != expected:
        raise ValueError(f"built-in dataset {BUILTIN_FILE} ({split}) fails its checksum: the "
                         f"package installation is damaged; reinstall pulsegated")
    for a in (X, labels, source_index):
        a.setflags(write=False)
    return X, labels, source_index


def load_builtin(split: str = "train", with_source_index: bool = False):
    """Binary MNIST20 digits shipped with the package.

    Parameters
    ----------
    split : {"train", "test"}
    with_source_index : bool
        Also return the index of every digit in the original MNIST split.

    Returns
    -------
    X : uint8 (N, 400) of 0/1
    labels : int64 (N,)
    """
    if split not in ("train", "test"):
        raise ValueError(f"unknown split {split!r}; expected 'train' or 'test'")
    X, labels, idx = _load(split)
    return (X, labels, idx) if with_source_index else (X, labels)


def provenance() -> dict:
    """The package file of the built-in data and the verified SHA-256 of each split's content."""
    ref = resources.files("pulsegated.data").joinpath("builtin", BUILTIN_FILE)
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as z:
        digests = {split: str(z[f"{split}_sha256"]) for split in ("train", "test")}
        where = str(path)
    for split in digests:
        _load(split)  # verifies the content against the digest
    return {"dataset": "builtin", "path": where, "sha256": digests}
