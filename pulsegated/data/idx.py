"""Reader and writer of the IDX format (MNIST's file format), gzip-compressed or plain.

Layout: two zero bytes, a type code, the number of dimensions, one big-endian 32-bit size per
dimension, then the data (big-endian).  Every defect is reported as :class:`IDXFormatError` naming
the file and saying what was expected.

A header with a zero dimension (e.g. 0 samples) is valid IDX: :func:`read_idx` returns an empty
array of that shape.  Whether an empty file is acceptable is up to the caller
(:func:`pulsegated.data.load_dataset` refuses a dataset split without samples, naming the file).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from pulsegated.atomic import atomic_open

__all__ = ["IDXFormatError", "ChecksumError", "read_idx", "write_idx", "read_idx_bytes"]

#: IDX type code -> big-endian numpy dtype
TYPE_CODES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODE_OF = {dt.newbyteorder("=").str if dt.itemsize > 1 else dt.str: code
            for code, dt in TYPE_CODES.items()}
MAX_DIMS = 4


class IDXFormatError(ValueError):
    """A file is not a valid IDX file; the message names the file and the defect."""


class ChecksumError(IDXFormatError):
    """The uncompressed content of a file does not have the expected MD5."""


def read_idx_bytes(path: str | os.PathLike) -> bytes:
    """Uncompressed content of an IDX file (gzip detected by its magic bytes, not its name)."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise IDXFormatError(f"{path}: corrupt gzip stream ({e})") from None
    return raw


def read_idx(path: str | os.PathLike, expected_md5: str | None = None) -> np.ndarray:
    """Read an IDX file into a native-endian array.

    Parameters
    ----------
    path : path-like
        Plain or gzip-compressed IDX file.
    expected_md5 : str, optional
        MD5 (hex) of the *uncompressed* content; a mismatch raises :class:`ChecksumError`.

    Raises
    ------
    IDXFormatError
        Bad magic number, unknown element type, implausible dimensions, truncated or overlong
        data, corrupt gzip stream.
    """
    path = Path(path)
    data = read_idx_bytes(path)
    if expected_md5 is not None:
        got = hashlib.md5(data).hexdigest()
        if got != expected_md5.lower():
            raise ChecksumError(f"{path}: MD5 of the uncompressed content is {got}, expected "
                                f"{expected_md5.lower()} (file damaged or not the canonical one)")
    if len(data) < 4:
        raise IDXFormatError(f"{path}: truncated: {len(data)} bytes, an IDX header needs at least 4")
    if data[0] != 0 or data[1] != 0:
        raise IDXFormatError(f"{path}: bad magic number: the first two bytes are "
                             f"{data[0]:#04x} {data[1]:#04x}, expected 0x00 0x00")
    code, ndim = data[2], data[3]
    if code not in TYPE_CODES:
        raise IDXFormatError(f"{path}: unknown element type code {code:#04x}; expected one of "
                             + ", ".join(f"{c:#04x}" for c in TYPE_CODES))
    if not 1 <= ndim <= MAX_DIMS:
        raise IDXFormatError(f"{path}: {ndim} dimensions in the header, expected 1 to {MAX_DIMS}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXFormatError(f"{path}: truncated header: {len(data)} bytes, {ndim} dimensions "
                             f"need {header}")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = TYPE_CODES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header
    if actual < expected:
        raise IDXFormatError(f"{path}: truncated: header promises {expected} data bytes "
                             f"(shape {dims}), file has {actual}")
    if actual > expected:
        raise IDXFormatError(f"{path}: {actual - expected} trailing bytes after the {expected} "
                             f"data bytes the header promises (shape {dims})")
    arr = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize,
                        offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write ``array`` as IDX, atomically (temporary file, then rename).

    ``compress=None`` compresses when the name ends in ``.gz``.
    """
    path = Path(path)
    a = np.asarray(array)
    key = a.dtype.newbyteorder("=").str if a.dtype.itemsize > 1 else a.dtype.str
    if key not in _CODE_OF:
        raise ValueError(f"IDX cannot hold dtype {a.dtype}")
    if not 1 <= a.ndim <= MAX_DIMS:
        raise ValueError(f"IDX holds 1 to {MAX_DIMS} dimensions, got {a.ndim}")
    code = _CODE_OF[key]
    payload = (bytes([0, 0, code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
               + a.astype(TYPE_CODES[code]).tobytes())
    if compress is None:
        compress = path.name.endswith(".gz")
    if compress:
        payload = gzip.compress(payload, mtime=0)
    with atomic_open(path) as f:
        f.write(payload)
    return path
