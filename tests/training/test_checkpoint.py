import errno
import os

import numpy as np
import pytest

from pulsegated import atomic
from pulsegated.errors import UsageError
from pulsegated.training.checkpoint import Checkpoint, CheckpointError, load_latest
from pulsegated.training.trainer import Trainer
from tests.training.test_trainer import cfg, synthetic


def small(epoch=0, position=1, samples=1, **kw):
    return Checkpoint(W1=np.zeros((2, 3), np.int64), W2=np.full((1, 2), -256, np.int64),
                      epoch=epoch, position=position, rng_state={"a": 1}, samples=samples,
                      run={}, **kw)


def run_part(folder, stop_after, data):
    Trainer(cfg(folder), progress=False, data=data).run(stop_after_checkpoints=stop_after)


def finish(folder, data, log=None):
    t = Trainer(cfg(folder, resume=True), progress=False, data=data, log=log)
    t.run()
    return t.backend.weights()


@pytest.fixture(scope="module")
def reference_weights(tmp_path_factory):
    data = synthetic()
    t = Trainer(cfg(tmp_path_factory.mktemp("ref")), progress=False, data=data)
    t.run()
    return data, t.backend.weights()


def test_save_keeps_the_previous_checkpoint(tmp_path):
    data = synthetic()
    run_part(tmp_path, 3, data)
    ck, prev = (Checkpoint.load(tmp_path / n) for n in ("checkpoint.npz", "checkpoint.prev.npz"))
    assert (ck.epoch, ck.position) == (1, 300) and (prev.epoch, prev.position) == (1, 0)
    assert ck.backend == prev.backend == "reference" and set(ck.plastic) <= {"W2T_minus"}
    assert ck.data["note"] == "arrays passed to the Trainer"


@pytest.mark.parametrize("damage", ["truncate", "garble", "empty"])
def test_damaged_checkpoint_falls_back_to_the_previous_one(tmp_path, damage, reference_weights):
    data, ref = reference_weights
    run_part(tmp_path, 3, data)
    path = tmp_path / "checkpoint.npz"
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[:len(raw) // 2])
    elif damage == "garble":  # flip bytes inside the W1 member: the zip CRC-32 check fails
        mid = raw.find(b"W1.npy") + 400
        path.write_bytes(raw[:mid] + bytes(b ^ 0xFF for b in raw[mid:mid + 64]) + raw[mid + 64:])
    else:
        path.write_bytes(b"")
    with pytest.raises(CheckpointError, match=f"^{path} is damaged or not a checkpoint"):
        Checkpoint.load(path)
    notes = []
    got = finish(tmp_path, data, log=notes.append)
    assert len(notes) == 1 and str(path) in notes[0]
    assert "resuming from the previous checkpoint" in notes[0] and "checkpoint.prev.npz" in notes[0]
    for a, b in zip(got, ref):  # the previous checkpoint continues to the same weights
        np.testing.assert_array_equal(a, b)


def test_both_checkpoints_damaged_is_an_error_naming_both(tmp_path):
    run_part(tmp_path, 3, synthetic())
    for name in ("checkpoint.npz", "checkpoint.prev.npz"):
        (tmp_path / name).write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(CheckpointError) as e:
        load_latest(tmp_path)
    assert str(tmp_path / "checkpoint.npz") in str(e.value)
    assert str(tmp_path / "checkpoint.prev.npz") in str(e.value)


def test_missing_newest_uses_the_previous_one(tmp_path):
    small().save(tmp_path / "checkpoint.prev.npz")
    ck, note = load_latest(tmp_path)
    assert ck.position == 1 and "no checkpoint at" in note


@pytest.mark.parametrize("field,value,message", [
    ("position", 10**9, "field 'position' is 1000000000, more than the 1 samples trained"),
    ("epoch", -3, "field 'epoch' is -3, must be >= 0"),
    ("samples", -1, "field 'samples' is -1, must be >= 0"),
    ("W1", np.full((2, 3), 300), r"field 'W1' holds values in \[300, 300\], outside"),
    ("W2", np.full((1, 2), 3), "field 'W2' holds odd weights"),
    ("format_version", 99, "field 'format_version' is 99"),
    ("run", np.array("[1]"), "field 'run' must be a JSON dict"),
])
def test_hand_edited_fields_are_refused(tmp_path, field, value, message):
    path = small().save(tmp_path / "c.npz")
    with np.load(path) as z:
        fields = dict(z)
    fields[field] = np.asarray(value)
    np.savez(path, **fields)
    with pytest.raises(CheckpointError, match=f"^{path}: {message}"):
        Checkpoint.load(path)


def test_counters_are_checked_against_the_run(tmp_path):
    data = synthetic()
    run_part(tmp_path, 1, data)
    path = tmp_path / "checkpoint.npz"
    ck = Checkpoint.load(path)
    ck.samples = ck.position = 2 * 600  # beyond a 600-sample epoch, consistent with each other
    ck.save(path)
    with pytest.raises(UsageError, match=r"field 'position' is 1200, outside \[0, 600\)"):
        Trainer(cfg(tmp_path, resume=True), progress=False, data=data)
    ck.samples, ck.position, ck.epoch = 905, 300, 1  # 1 * 600 + 300 != 905
    ck.save(path)
    with pytest.raises(UsageError, match="field 'samples' is 905, but epoch 1 and position 300"):
        Trainer(cfg(tmp_path, resume=True), progress=False, data=data)


def test_verification_failure_keeps_the_old_file(tmp_path, monkeypatch):
    path = small().save(tmp_path / "checkpoint.npz")
    before = path.read_bytes()
    monkeypatch.setattr(Checkpoint, "same_as", lambda self, other: False)
    with pytest.raises(CheckpointError, match="read back differs"):
        small(position=0).save(path, keep_previous=tmp_path / "checkpoint.prev.npz")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz"]


def test_disk_full_names_the_file(tmp_path, monkeypatch):
    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(np, "savez", full)
    with pytest.raises(OSError, match=f"no space left on the device to write {tmp_path / 'c.npz'}"):
        small().save(tmp_path / "c.npz")
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_fsyncs_file_and_folder(tmp_path, monkeypatch):
    synced = []
    real = os.fsync

    def spy(fd):
        synced.append(os.path.realpath(f"/proc/self/fd/{fd}"))
        real(fd)
    monkeypatch.setattr(os, "fsync", spy)
    with atomic.atomic_open(tmp_path / "f.bin") as f:
        f.write(b"x")
    assert len(synced) == 2
    assert synced[0].endswith(".tmp") and synced[1] == str(tmp_path.resolve())


def test_orphaned_temporaries_are_removed_at_the_next_start(tmp_path):
    data = synthetic()
    run_part(tmp_path, 1, data)
    orphan = tmp_path / "checkpoint.npz.k2j4l1.tmp"
    orphan.write_bytes(b"half a checkpoint")
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    Trainer(cfg(tmp_path, resume=True), progress=False, data=data).close()
    assert not orphan.exists() and keep.exists()


@pytest.fixture
def saturated_init(monkeypatch):
    """Initial weights with 30 % of W2 at -256 (where the chip's negated copy holds 254)."""
    from pulsegated.nbp import rule
    real = rule.init_weights

    def init(n_in, n_hidden, n_out, rng):
        W1, W2 = real(n_in, n_hidden, n_out, rng)
        W1, W2 = np.clip(W1 * 3, -240, 240), np.clip(W2 * 3, -240, 240)
        return W1, np.where(np.random.default_rng(0).random(W2.shape) < 0.3, -256, W2)
    monkeypatch.setattr(rule, "init_weights", init)


@pytest.mark.parametrize("stop_after", [1, 2])
def test_loihi_run_past_saturation_resumes_bit_identical(tmp_path, saturated_init, stop_after):
    from pulsegated.nbp.network import PLASTIC
    data = synthetic(n=300)
    kw = dict(epochs=2, backend="loihi", n_hidden=20, eval_train=0)
    whole = Trainer(cfg(tmp_path / "whole", **kw), progress=False, data=data)
    whole.run()
    Trainer(cfg(tmp_path / "part", **kw), progress=False, data=data).run(
        stop_after_checkpoints=stop_after)
    ck = Checkpoint.load(tmp_path / "part" / "checkpoint.npz")
    assert ck.backend == "loihi" and set(ck.plastic) == set(PLASTIC)
    assert (ck.plastic["W2T_minus"] != -ck.W2).any()  # the saturated copy is what is stored
    resumed = Trainer(cfg(tmp_path / "part", resume=True, **kw), progress=False, data=data)
    resumed.run()
    for name, w in whole.backend.plastic_state().items():
        np.testing.assert_array_equal(resumed.backend.plastic_state()[name], w, err_msg=name)
    final = Checkpoint.load(tmp_path / "part" / "final.npz")
    np.testing.assert_array_equal(final.W1, whole.backend.weights()[0])
    assert [r["test"] for r in resumed.history] == [r["test"] for r in whole.history]
