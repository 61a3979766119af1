import errno
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from pulsegated.errors import UsageError
from pulsegated.training import trainer as trainer_module
from pulsegated.training.rundir import open_run_dir
from pulsegated.training.trainer import Trainer
from tests.training.test_trainer import cfg, synthetic


def test_fresh_run_into_a_used_folder_is_refused_unless_overwrite(tmp_path):
    data = synthetic()
    Trainer(cfg(tmp_path, epochs=1), progress=False, data=data).run()
    before = (tmp_path / "final.npz").read_bytes()
    with pytest.raises(UsageError, match=f"{tmp_path} already holds a run .*checkpoint.npz.*; "
                                         f"continue it with --resume, or replace it with "
                                         f"--overwrite"):
        Trainer(cfg(tmp_path, epochs=1, seed=3), progress=False, data=data)
    assert (tmp_path / "final.npz").read_bytes() == before
    t = Trainer(cfg(tmp_path, epochs=1, seed=3, overwrite=True), progress=False, data=data)
    assert not (tmp_path / "final.npz").exists() and not (tmp_path / "checkpoint.npz").exists()
    t.run()
    assert (tmp_path / "final.npz").read_bytes() != before


def test_a_second_run_in_the_same_folder_is_refused(tmp_path):
    data = synthetic()
    first = Trainer(cfg(tmp_path), progress=False, data=data)  # holds the lock until run() ends
    with pytest.raises(UsageError, match=f"--checkpoint-dir {tmp_path} is in use by another "
                                         f"training run \\(pid {os.getpid()}\\)"):
        Trainer(cfg(tmp_path, overwrite=True), progress=False, data=data)
    first.run()
    Trainer(cfg(tmp_path, resume=True), progress=False, data=data).close()  # released


def test_the_lock_of_a_killed_process_is_released(tmp_path):
    code = ("import sys, time; from pulsegated.training.rundir import open_run_dir; "
            "d = open_run_dir(sys.argv[1]); print('locked', flush=True); time.sleep(60)")
    p = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE,
                         text=True)
    try:
        assert p.stdout.readline().strip() == "locked"
        with pytest.raises(UsageError, match=f"in use by another training run \\(pid {p.pid}\\)"):
            open_run_dir(tmp_path)
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    open_run_dir(tmp_path).release()


def test_bad_checkpoint_dir_is_found_before_any_data_is_loaded(tmp_path, monkeypatch):
    def no_data(config):
        raise AssertionError("data loaded before the checkpoint folder was checked")
    monkeypatch.setattr(trainer_module, "load_training_data", no_data)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(UsageError, match=f"^--checkpoint-dir {a_file} is not a folder$"):
        Trainer(cfg(a_file), progress=False)
    with pytest.raises(UsageError, match=f"--checkpoint-dir {a_file / 'sub'} is not writable"):
        Trainer(cfg(a_file / "sub"), progress=False)

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("pulsegated.training.rundir.os.write", full)
    with pytest.raises(UsageError, match=f"--checkpoint-dir {tmp_path / 'd'} is not writable: "
                                         f"no space left on the device"):
        Trainer(cfg(tmp_path / "d"), progress=False)
    assert [p.name for p in (tmp_path / "d").iterdir()] == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_checkpoint_dir(tmp_path):  # pragma: no cover - not as root
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    with pytest.raises(UsageError, match=f"--checkpoint-dir {ro} is not writable"):
        Trainer(cfg(ro), progress=False, data=synthetic())


def test_run_json_records_settings_data_and_resumes(tmp_path):
    data = synthetic()
    Trainer(cfg(tmp_path), progress=False, data=data).run(stop_after_checkpoints=1)
    Trainer(cfg(tmp_path, resume=True), progress=False, data=data).run()
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["backend"] == "reference" and info["config"]["seed"] == 7
    assert info["started"]["data"]["note"] == "arrays passed to the Trainer"
    assert [(r["epoch"], r["position"], r["samples"]) for r in info["resumed"]] == [(0, 300, 300)]


def test_builtin_run_records_its_data(tmp_path):
    t = Trainer(cfg(tmp_path, epochs=1, max_samples=50, eval_train=0), progress=False)
    t.run()
    from pulsegated.data.builtin import provenance
    expected = provenance()
    assert t.data_info == expected and expected["path"].endswith("mnist20_builtin.npz")
    assert len(expected["sha256"]["train"]) == 64
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["started"]["data"] == expected
    from pulsegated.training.checkpoint import Checkpoint
    assert Checkpoint.load(tmp_path / "final.npz").data == expected
    assert np.array_equal(Checkpoint.load(tmp_path / "final.npz").W1, t.backend.weights()[0])
