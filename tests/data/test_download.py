import gzip

import numpy as np
import pytest

from pulsegated.data import download as dl
from pulsegated.data import load_dataset, write_idx
from pulsegated.data.datasets import DATASETS, Dataset


@pytest.fixture
def tiny_registry(tmp_path, monkeypatch):
    """A registered dataset whose canonical files are served from a local folder (file://)."""
    import hashlib
    server = tmp_path / "server"
    imgs = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    labs = np.array([1, 2, 3], np.uint8)
    md5 = {}
    for split in ("train", "t10k"):
        for kind, arr in (("images-idx3", imgs), ("labels-idx1", labs)):
            name = f"{split}-{kind}-ubyte"
            write_idx(server / (name + ".gz"), arr)
            md5[name] = hashlib.md5(gzip.decompress((server / (name + ".gz")).read_bytes())
                                    ).hexdigest()
    base = DATASETS["mnist"]
    monkeypatch.setitem(DATASETS, "mnist", Dataset(**{**base.__dict__, "md5": md5,
                                                     "urls": (server.as_uri(),)}))
    return server


def test_download_verifies_and_places_files(tmp_path, tiny_registry):
    folder = dl.download_dataset("mnist", data_dir=tmp_path / "cache", log=lambda m: None)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f + ".gz" for f in DATASETS["mnist"].md5)
    images, labels = load_dataset("mnist", "test", data_dir=tmp_path / "cache", verify=True)
    assert labels.tolist() == [1, 2, 3]
    seen = []
    dl.download_dataset("mnist", data_dir=tmp_path / "cache", log=seen.append)
    assert all("present, checksum ok" in m for m in seen) and len(seen) == 4


def test_bad_checksum_leaves_nothing(tmp_path, tiny_registry):
    write_idx(tiny_registry / "train-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(dl.DownloadError, match="MD5 .* expected"):
        dl.download_dataset("mnist", data_dir=tmp_path / "cache", log=lambda m: None)
    assert list((tmp_path / "cache" / "mnist").iterdir()) == []


def test_offline_is_a_clear_error(tmp_path, tiny_registry):
    with pytest.raises(dl.DownloadError, match="could not download train-images-idx3-ubyte"):
        dl.download_dataset("mnist", data_dir=tmp_path / "c", urls=[(tmp_path / "no").as_uri()],
                            log=lambda m: None)
