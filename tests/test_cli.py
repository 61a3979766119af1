import json
import subprocess
import sys

import pytest

from pulsegated.cli import main


@pytest.mark.parametrize("argv,message", [
    (["train", "--dataset", "cifar"], "invalid choice: 'cifar'"),
    (["train", "--backend", "tpu"], "invalid choice: 'tpu'"),
    (["train", "--epochs", "0"], "epochs must be at least 1"),
    (["train", "--epochs", "two"], "invalid int value: 'two'"),
    (["train", "--max-samples", "0"], "max_samples must be a positive integer"),
    (["train", "--threshold", "300", "--dataset", "mnist"], "raw level must be in 1..255"),
    (["train", "--threshold", "dark", "--dataset", "mnist"], "takes 'any', 'half'"),
    (["train", "--resume"], "resume needs a checkpoint directory"),
    (["train", "--device", "gpu"], "the reference backend takes no options"),
    (["train", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["nosuchcommand"], "invalid choice: 'nosuchcommand'"),
    ([], "the following arguments are required: COMMAND"),
])
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("pulsegated: error: ") and err.count("\n") == 1
    assert message in err


def test_missing_dataset_lists_where_it_looked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PULSEGATED_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "env").mkdir()
    assert main(["train", "--dataset", "fashion-mnist", "--json"]) == 2
    err = capsys.readouterr().err
    assert "fashion-mnist" in err and str(tmp_path / "env") in err and "download" in err


def test_console_entry_point_runs_as_module():
    out = subprocess.run([sys.executable, "-m", "pulsegated", "train", "--epochs", "-1"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip() == "pulsegated: error: epochs must be a non-negative integer, got -1"


def test_train_json_on_builtin(capsys):
    assert main(["train", "--epochs", "2", "--max-samples", "500", "--eval-train", "200",
                 "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    rec = [json.loads(line) for line in lines]
    assert rec[1]["epoch"] == 2 and rec[1]["samples"] == 1000
    assert rec[1]["samples_per_s"] > 0 and rec[1]["compile_s"] >= 0
    assert set(rec[1]["test"]) == {"acc_spikes", "acc_potential", "exact", "mse"}
    assert set(rec[1]["train"]) == set(rec[1]["test"])
    assert rec[1]["test"]["acc_potential"] > 0.5


def test_backend_options_reach_the_backend(capsys):
    assert main(["train", "--backend", "brian2", "--device", "gpu"]) == 2
    assert "unknown device 'gpu'; choose one of: runtime, cpp_standalone" in capsys.readouterr().err
    assert main(["train", "--backend", "loihi", "--device", "runtime"]) == 2
    assert "unknown option(s) for the loihi backend: device" in capsys.readouterr().err


def test_train_on_the_loihi_backend(capsys):
    assert main(["train", "--backend", "loihi", "--epochs", "1", "--max-samples", "300",
                 "--eval-train", "100", "--eval-test", "200", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rec["backend"] == "loihi" and rec["samples"] == 300 and rec["samples_per_s"] > 0
