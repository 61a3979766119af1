"""SIGKILL a training process at random points, resume it until it completes: same weights."""

import random
import signal
import subprocess
import sys

import numpy as np
import pytest

from pulsegated.training.checkpoint import Checkpoint


def command(folder, epochs, resume=False):
    cmd = [sys.executable, "-m", "pulsegated", "train", "--epochs", str(epochs),
           "--max-samples", "100", "--hidden", "40", "--eval-train", "0", "--eval-test", "20",
           "--seed", "5", "--json", "--checkpoint-dir", str(folder)]
    return cmd + ["--resume"] if resume else cmd


def kill_after(cmd, records: int, delay: float) -> bool:
    """Start ``cmd``; SIGKILL it ``delay`` s after its ``records``-th JSON line.  True if killed."""
    import time
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(records):
            if not p.stdout.readline():
                break
        time.sleep(delay)
        killed = p.poll() is None
        p.send_signal(signal.SIGKILL)
        p.wait()
        return killed
    finally:
        p.stdout.close()
        p.stderr.close()


def run_with_kills(tmp_path, epochs, kills, seed):
    rng = random.Random(seed)
    ref = tmp_path / "ref"
    done = subprocess.run(command(ref, epochs), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "killed"
    n_killed = 0
    for k in range(kills):
        # the first start is fresh; every later one resumes (a checkpoint exists after a record)
        if kill_after(command(folder, epochs, resume=k > 0), rng.randint(1, epochs // kills),
                      rng.uniform(0, 0.04)):
            n_killed += 1
    assert n_killed >= kills - 1, "the kills must interrupt the runs"
    done = subprocess.run(command(folder, epochs, resume=True), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    a, b = Checkpoint.load(ref / "final.npz"), Checkpoint.load(folder / "final.npz")
    np.testing.assert_array_equal(a.W1, b.W1)
    np.testing.assert_array_equal(a.W2, b.W2)
    assert b.samples == a.samples == epochs * 100
    assert [r["epoch"] for r in b.history] == list(range(1, epochs + 1))
    assert [r["test"] for r in b.history] == [r["test"] for r in a.history]
    assert not list(folder.glob("*.tmp"))


def test_sigkilled_runs_resume_to_identical_weights(tmp_path):
    run_with_kills(tmp_path, epochs=40, kills=4, seed=1)


@pytest.mark.long
def test_sigkilled_runs_resume_to_identical_weights_many_kills(tmp_path):
    run_with_kills(tmp_path, epochs=200, kills=25, seed=2)
