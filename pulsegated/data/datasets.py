"""MNIST and Fashion-MNIST: registry, loading and checksum verification."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from pulsegated.data.idx import IDXFormatError, read_idx
from pulsegated.data.paths import find_dataset, find_file

__all__ = ["DATASETS", "SPLITS", "Dataset", "load_dataset", "load_mnist", "load_fashion_mnist",
           "provenance", "file_md5"]

SPLITS = ("train", "test")


@dataclass(frozen=True)
class Dataset:
    """A registered dataset: canonical files, their MD5s (uncompressed), sizes, provenance."""

    name: str
    files: dict          # split -> (images file, labels file)
    md5: dict            # file -> md5 of the uncompressed content
    urls: tuple          # base URLs of canonical mirrors, tried in order
    sizes: dict          # split -> number of samples
    classes: tuple
    source: str
    licence: str


DATASETS = {
    "mnist": Dataset(
        name="mnist",
        files={"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")},
        md5={"train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
             "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
             "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
             "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637"},
        urls=("https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        sizes={"train": 60000, "test": 10000},
        classes=tuple(str(d) for d in range(10)),
        source="Y. LeCun, C. Cortes and C. J. C. Burges, The MNIST database of handwritten digits",
        licence="Creative Commons Attribution-Share Alike 3.0 (CC BY-SA 3.0)",
    ),
    "fashion-mnist": Dataset(
        name="fashion-mnist",
        files={"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")},
        md5={"train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
             "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
             "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
             "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965"},
        urls=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        sizes={"train": 60000, "test": 10000},
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"),
        source="H. Xiao, K. Rasul and R. Vollgraf, Fashion-MNIST (Zalando Research, 2017)",
        licence="MIT",
    ),
}


def dataset_info(name: str) -> Dataset:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    return DATASETS[name]


def load_dataset(name: str, split: str = "train", data_dir=None,
                 verify: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of a dataset split.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}
    split : {"train", "test"}
    data_dir : path-like, optional
        First place to look (see :mod:`pulsegated.data.paths` for the search path).
    verify : bool
        Check the MD5 of every file against the canonical checksum.

    Returns
    -------
    images : uint8 (N, 28, 28)
    labels : uint8 (N,)

    Results are cached per process (read-only arrays).
    """
    ds = dataset_info(name)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    folder = find_dataset(name, [f for s in SPLITS for f in ds.files[s]], data_dir)
    return _load(str(folder), name, split, verify)


@functools.lru_cache(maxsize=8)
def _load(folder: str, name: str, split: str, verify: bool):
    from pathlib import Path
    ds = DATASETS[name]
    img_name, lab_name = ds.files[split]
    img_path = find_file(Path(folder), img_name)
    lab_path = find_file(Path(folder), lab_name)
    images = read_idx(img_path, ds.md5[img_name] if verify else None)
    labels = read_idx(lab_path, ds.md5[lab_name] if verify else None)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise IDXFormatError(f"{img_path}: expected uint8 images of shape (N, 28, 28), got "
                             f"{images.dtype} {images.shape}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise IDXFormatError(f"{lab_path}: expected a 1-D uint8 label vector, got "
                             f"{labels.dtype} {labels.shape}")
    if len(images) == 0:
        raise IDXFormatError(f"{img_path}: the header declares 0 samples; a {name} {split} split "
                             f"needs at least one (file damaged or not the canonical one)")
    if len(images) != len(labels):
        raise IDXFormatError(f"{img_path} holds {len(images)} images but {lab_path} holds "
                             f"{len(labels)} labels")
    if labels.size and labels.max() >= len(ds.classes):
        raise IDXFormatError(f"{lab_path}: label {labels.max()} out of range 0..{len(ds.classes) - 1}")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def load_mnist(split: str = "train", data_dir=None, verify: bool = False):
    """MNIST images (uint8, N×28×28) and labels; see :func:`load_dataset`."""
    return load_dataset("mnist", split, data_dir, verify)


def load_fashion_mnist(split: str = "train", data_dir=None, verify: bool = False):
    """Fashion-MNIST images (uint8, N×28×28) and labels; see :func:`load_dataset`."""
    return load_dataset("fashion-mnist", split, data_dir, verify)


def file_md5(path) -> str:
    """MD5 (hex) of the uncompressed content of an IDX file (cached per path, size and mtime)."""
    import os
    st = os.stat(path)
    return _md5(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _md5(path: str, size: int, mtime_ns: int) -> str:
    import hashlib

    from pulsegated.data.idx import read_idx_bytes
    return hashlib.md5(read_idx_bytes(path)).hexdigest()


def provenance(name: str, data_dir=None) -> dict:
    """Where a dataset is read from and the checksums of its files (a run's metadata).

    Returns
    -------
    dict
        ``{"dataset", "path", "files": {file name: {"md5", "canonical"}}}``: the folder actually
        used (resolved), and for each file the MD5 of its uncompressed content and whether it is
        the canonical one.  For ``"builtin"``: the package file and its content SHA-256s.
    """
    from pathlib import Path
    if name == "builtin":
        from pulsegated.data.builtin import provenance as builtin_provenance
        return builtin_provenance()
    ds = dataset_info(name)
    folder = find_dataset(name, [f for s in SPLITS for f in ds.files[s]], data_dir)
    files = {}
    for split in SPLITS:
        for canonical in ds.files[split]:
            path = find_file(Path(folder), canonical)
            md5 = file_md5(path)
            files[path.name] = {"md5": md5, "canonical": md5 == ds.md5[canonical]}
    return {"dataset": name, "path": str(Path(folder).resolve()), "files": files}
