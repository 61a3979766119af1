import gzip

import numpy as np
import pytest

from pulsegated.data.idx import ChecksumError, IDXFormatError, read_idx, write_idx


@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip_plain_and_gzip(tmp_path, name, dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / name, a)
    raw = (tmp_path / name).read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == name.endswith(".gz")
    b = read_idx(tmp_path / name)
    assert b.dtype == a.dtype and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_gzip_detected_by_content_not_name(tmp_path):
    a = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "misnamed", a, compress=True)
    np.testing.assert_array_equal(read_idx(tmp_path / "misnamed"), a)


def _raw(tmp_path, blob, name="bad-idx1-ubyte"):
    p = tmp_path / name
    p.write_bytes(blob)
    return p


HEADER = bytes([0, 0, 8, 1]) + (5).to_bytes(4, "big")


@pytest.mark.parametrize("blob,message", [
    (HEADER + b"\x01\x02", "truncated: header promises 5 data bytes (shape (5,)), file has 2"),
    (HEADER + b"\x00" * 7, "2 trailing bytes after the 5 data bytes"),
    (bytes([1, 0, 8, 1]) + (5).to_bytes(4, "big") + b"\x00" * 5, "bad magic number"),
    (bytes([0, 0, 0x42, 1]) + (5).to_bytes(4, "big") + b"\x00" * 5, "unknown element type code 0x42"),
    (bytes([0, 0, 8, 0]), "0 dimensions in the header, expected 1 to 4"),
    (bytes([0, 0, 8, 3, 0, 0]), "truncated header"),
    (b"\x00\x00", "truncated: 2 bytes"),
])
def test_defects_are_named(tmp_path, blob, message):
    p = _raw(tmp_path, blob)
    with pytest.raises(IDXFormatError) as e:
        read_idx(p)
    assert str(p) in str(e.value) and message in str(e.value)


def test_corrupt_gzip(tmp_path):
    blob = gzip.compress(HEADER + b"\x00" * 5)
    p = _raw(tmp_path, blob[:-12] + b"garbage!garbage", "x.gz")
    with pytest.raises(IDXFormatError, match="corrupt gzip stream"):
        read_idx(p)


def test_md5_verification(tmp_path):
    import hashlib
    p = _raw(tmp_path, gzip.compress(HEADER + b"\x01" * 5), "x.gz")
    good = hashlib.md5(HEADER + b"\x01" * 5).hexdigest()
    assert read_idx(p, expected_md5=good).tolist() == [1] * 5
    with pytest.raises(ChecksumError, match=f"expected {'0' * 32}"):
        read_idx(p, expected_md5="0" * 32)


def test_write_is_atomic(tmp_path):
    with pytest.raises(ValueError, match="cannot hold dtype"):
        write_idx(tmp_path / "c.idx", np.zeros(3, dtype=np.complex64))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("shape", [(0, 28, 28), (0,), (3, 0)])
def test_zero_sample_files_are_valid_idx(tmp_path, shape):
    for name in ("z.idx", "z.idx.gz"):
        write_idx(tmp_path / name, np.zeros(shape, np.uint8))
        a = read_idx(tmp_path / name)
        assert a.shape == shape and a.dtype == np.uint8
