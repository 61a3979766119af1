import numpy as np
import pytest

from pulsegated.data import DatasetNotFoundError, load_dataset, search_path, write_idx
from pulsegated.data.paths import user_cache_dir

FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte"]


def fake_mnist(root, n=7, value=1, gz=True):
    folder = root / "mnist"
    imgs = np.full((n, 28, 28), value, np.uint8)
    labs = (np.arange(n) % 10).astype(np.uint8)
    suffix = ".gz" if gz else ""
    for split, m in (("train", n), ("t10k", n - 2)):
        write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", imgs[:m])
        write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}", labs[:m])
    return folder


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.delenv("PULSEGATED_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr("sys.platform", "linux")
    return tmp_path


def test_order_explicit_then_env_then_cache(isolated, monkeypatch):
    fake_mnist(isolated / "explicit", value=1)
    fake_mnist(isolated / "env", value=2, gz=False)
    fake_mnist(isolated / "xdg" / "pulsegated", value=3)
    assert user_cache_dir() == isolated / "xdg" / "pulsegated"
    assert load_dataset("mnist", data_dir=isolated / "explicit")[0][0, 0, 0] == 1
    monkeypatch.setenv("PULSEGATED_DATA", str(isolated / "env"))
    assert load_dataset("mnist")[0][0, 0, 0] == 2
    assert load_dataset("mnist", data_dir=isolated / "explicit")[0][0, 0, 0] == 1
    monkeypatch.setenv("PULSEGATED_DATA", str(isolated / "nowhere"))
    assert load_dataset("mnist")[0][0, 0, 0] == 3
    assert [o for _, o in search_path()] == ["$PULSEGATED_DATA", "user cache"]


def test_missing_dataset_message_lists_every_place(isolated, monkeypatch):
    (isolated / "env" / "fashion-mnist").mkdir(parents=True)
    write_idx(isolated / "env" / "fashion-mnist" / "train-images-idx3-ubyte.gz",
              np.zeros((1, 28, 28), np.uint8))
    monkeypatch.setenv("PULSEGATED_DATA", str(isolated / "env"))
    with pytest.raises(DatasetNotFoundError) as e:
        load_dataset("fashion-mnist")
    msg = str(e.value)
    lines = msg.splitlines()
    assert "$PULSEGATED_DATA" in lines[1] and "missing train-labels-idx1-ubyte" in lines[1]
    assert "train-images-idx3-ubyte," not in lines[1]
    assert "user cache" in lines[2]
    assert "pulsegated data download fashion-mnist" in msg


def test_explicit_dir_is_the_only_place_looked_in(isolated, monkeypatch):
    fake_mnist(isolated / "env", value=2)
    monkeypatch.setenv("PULSEGATED_DATA", str(isolated / "env"))
    (isolated / "explicit" / "mnist").mkdir(parents=True)
    write_idx(isolated / "explicit" / "mnist" / "train-images-idx3-ubyte.gz",
              np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(DatasetNotFoundError) as e:
        load_dataset("mnist", data_dir=isolated / "explicit")
    msg = str(e.value)
    assert msg.count("\n") == 0, "one line"
    assert "given explicitly" in msg and str(isolated / "explicit" / "mnist") in msg
    assert "missing train-labels-idx1-ubyte" in msg and str(isolated / "env") not in msg
    assert search_path(isolated / "explicit") == [(isolated / "explicit", "data_dir argument")]


def test_explicit_dir_must_exist(isolated):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        load_dataset("mnist", data_dir=isolated / "typo")


def test_images_labels_mismatch(isolated):
    folder = fake_mnist(isolated / "d")
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="holds 7 images but .* holds 3 labels"):
        load_dataset("mnist", data_dir=isolated / "d")


def test_unknown_name_and_split(isolated):
    with pytest.raises(ValueError, match="unknown dataset 'emnist'"):
        load_dataset("emnist")
    with pytest.raises(ValueError, match="unknown split 'val'"):
        load_dataset("mnist", "val", data_dir=isolated)
