import numpy as np

from pulsegated.data import load_builtin, load_dataset, load_preprocessed
from pulsegated.data.builtin import content_digest


def test_real_mnist_sanity_figures(data_dir):
    images, labels = load_dataset("mnist", "train", data_dir=data_dir, verify=True)
    assert images.shape == (60000, 28, 28) and labels.shape == (60000,)
    x = images / 255.0
    assert abs(x.mean() - 0.1307) < 5e-5 and abs(x.std() - 0.3081) < 5e-5
    assert np.bincount(labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                            5851, 5949]
    test_images, _ = load_dataset("mnist", "test", data_dir=data_dir, verify=True)
    assert test_images.shape == (10000, 28, 28)
    assert not images.flags.writeable


def test_real_fashion_mnist(data_dir):
    images, labels = load_dataset("fashion-mnist", "test", data_dir=data_dir, verify=True)
    assert images.shape == (10000, 28, 28) and np.bincount(labels).tolist() == [1000] * 10
    X, y = load_preprocessed("fashion-mnist", "test", data_dir=data_dir)
    assert X.shape == (10000, 784) and set(np.unique(X)) == {0, 1}
    np.testing.assert_array_equal(X, (images >= 128).reshape(10000, -1))


def test_preprocessed_mnist_defaults(data_dir):
    X, y = load_preprocessed("mnist", "test", data_dir=data_dir)
    images, labels = load_dataset("mnist", "test", data_dir=data_dir)
    assert X.shape == (10000, 400) and y.dtype == np.int64
    np.testing.assert_array_equal(X, (images[:, 4:24, 4:24] >= 1).reshape(10000, -1))


def test_builtin_is_real_mnist(data_dir):
    for split, n in (("train", 5000), ("test", 1000)):
        X, y, idx = load_builtin(split, with_source_index=True)
        assert X.shape == (n, 400) and X.dtype == np.uint8 and set(np.unique(X)) == {0, 1}
        assert np.bincount(y).tolist() == [n // 10] * 10
        assert len(np.unique(idx)) == n
        Xr, yr = load_preprocessed("mnist", split, data_dir=data_dir)
        np.testing.assert_array_equal(X, Xr[idx])
        np.testing.assert_array_equal(y, yr[idx])
    assert content_digest(X, y) == content_digest(Xr[idx], yr[idx])


def test_builtin_file_is_small():
    from importlib import resources
    ref = resources.files("pulsegated.data").joinpath("builtin", "mnist20_builtin.npz")
    assert ref.is_file()
    with resources.as_file(ref) as p:
        assert p.stat().st_size < 1_000_000


def test_empty_split_is_an_error_naming_the_file(tmp_path):
    import pytest
    from pulsegated.data import IDXFormatError, write_idx
    folder = tmp_path / "mnist"
    for split, n in (("train", 0), ("t10k", 3)):
        write_idx(folder / f"{split}-images-idx3-ubyte", np.zeros((n, 28, 28), np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte", np.zeros(n, np.uint8))
    with pytest.raises(IDXFormatError, match=f"{folder / 'train-images-idx3-ubyte'}: the header "
                                             f"declares 0 samples"):
        load_preprocessed("mnist", "train", data_dir=tmp_path)
    assert load_preprocessed("mnist", "test", data_dir=tmp_path)[0].shape == (3, 400)


def test_provenance_checksums_match_the_canonical_files(data_dir):
    from pulsegated.data.datasets import DATASETS, provenance
    info = provenance("mnist", data_dir)
    assert info["dataset"] == "mnist" and len(info["files"]) == 4
    for name, entry in info["files"].items():
        canonical = name[:-3] if name.endswith(".gz") else name
        assert entry == {"md5": DATASETS["mnist"].md5[canonical], "canonical": True}
