import json
import subprocess
import sys

import pytest

from pulsegated.cli import main


@pytest.mark.parametrize("argv,message", [
    (["train", "--dataset", "cifar"], "invalid choice: 'cifar'"),
    (["train", "--backend", "tpu"], "invalid choice: 'tpu'"),
    (["train", "--epochs", "0"], "--epochs must be a positive integer, got 0"),
    (["train", "--epochs", "-1"], "--epochs must be a positive integer, got -1"),
    (["train", "--epochs", "two"], "invalid int value: 'two'"),
    (["train", "--max-samples", "0"], "--max-samples must be a positive integer, got 0"),
    (["train", "--hidden", "0"], "--hidden must be a positive integer, got 0"),
    (["train", "--eval-train", "-5"], "--eval-train must be a non-negative integer, got -5"),
    (["train", "--eval-test", "0"], "--eval-test must be a positive integer, got 0"),
    (["train", "--seed", "-2"], "--seed must be a non-negative integer, got -2"),
    (["train", "--threshold", "300", "--dataset", "mnist"], "raw level must be in 1..255"),
    (["train", "--threshold", "dark", "--dataset", "mnist"], "takes 'any', 'half'"),
    (["train", "--threshold", "any"], "already binarised; --threshold does not apply"),
    (["train", "--resume"], "--resume needs --checkpoint-dir"),
    (["train", "--overwrite"], "--overwrite needs --checkpoint-dir"),
    (["train", "--resume", "--overwrite", "--checkpoint-dir", "x"],
     "--resume and --overwrite exclude each other"),
    (["train", "--data-dir", "/nonexistent/pulsegated"],
     "--data-dir /nonexistent/pulsegated does not exist or is not a folder"),
    (["train", "--dataset", "mnist", "--hidden", "0"], "--hidden must be a positive integer"),
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
    assert out.stderr.strip() == "pulsegated: error: --epochs must be a positive integer, got -1"


def test_train_json_on_builtin(capsys):
    assert main(["train", "--epochs", "2", "--max-samples", "500", "--eval-train", "200",
                 "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    rec = [json.loads(line) for line in lines]
    assert rec[1]["epoch"] == 2 and rec[1]["samples"] == 1000
    assert rec[1]["samples_per_s"] > 0 and rec[1]["compile_s"] >= 0
    assert set(rec[1]["test"]) == {"acc_spikes", "acc_potential", "exact", "mse",
                                   "worst_class_potential"}
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


def _parsers():
    """Every parser of the command line: top level, sub-commands and their actions."""
    import argparse
    from pulsegated.cli import build_parser
    todo, out = [build_parser()], []
    while todo:
        p = todo.pop()
        out.append(p)
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                todo.extend(a.choices.values())
    return out


def test_help_shows_defaults_everywhere():
    import argparse
    parsers = _parsers()
    assert {p.prog for p in parsers} >= {"pulsegated train", "pulsegated data",
                                         "pulsegated data download", "pulsegated data info",
                                         "pulsegated demo", "pulsegated chain"}
    for p in parsers:
        assert issubclass(p.formatter_class, argparse.ArgumentDefaultsHelpFormatter), p.prog
    train = next(p for p in parsers if p.prog == "pulsegated train")
    text = " ".join(train.format_help().split())
    for flag in ("--epochs", "--seed", "--device", "--hidden", "--max-samples", "--data-dir",
                 "--checkpoint-dir", "--resume", "--overwrite", "--eval-train", "--eval-test"):
        action = next(a for a in train._actions if flag in a.option_strings)
        assert action.help, flag
    assert "(default: 1)" in text and "(default: 400)" in text and "(default: 10000)" in text
    assert "(default: reference)" in text
    info = next(p for p in parsers if p.prog == "pulsegated data info")
    assert "--data-dir" in info.format_help()
    # an option left out says what that means, never a bare "None"
    for p in parsers:
        assert "(default: None)" not in p.format_help(), p.prog
    assert "(default: all)" in text and "(default: runtime)" in text


def test_printed_and_bar_throughput_are_the_training_throughput(capsys):
    assert main(["train", "--max-samples", "400", "--eval-train", "0", "--eval-test", "50",
                 "--hidden", "40"]) == 0
    out, err = capsys.readouterr()
    assert "| training " in out and out.rstrip().endswith("samples/s")
    assert "training " in err and "samples/s" in err  # the bar's only rate is the same figure
    assert "sample/s" not in err and "it/s" not in err


def test_data_info_explains_the_environment_variable(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("PULSEGATED_DATA", raising=False)
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert "PULSEGATED_DATA is not set" in out and "export PULSEGATED_DATA=" in out
    monkeypatch.setenv("PULSEGATED_DATA", str(tmp_path))
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert f"PULSEGATED_DATA is set: {tmp_path}" in out


def fake_dataset(root, name="mnist", n=30):
    import numpy as np
    from pulsegated.data import write_idx
    rng = np.random.default_rng(0)
    folder = root / name
    for split in ("train", "t10k"):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz",
                  (rng.random((n, 28, 28)) < 0.3).astype(np.uint8) * 200)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", (np.arange(n) % 10).astype(np.uint8))
    return folder


def test_explicit_data_dir_is_honoured_never_bypassed(tmp_path, monkeypatch, capsys):
    fake_dataset(tmp_path / "env")
    monkeypatch.setenv("PULSEGATED_DATA", str(tmp_path / "env"))
    incomplete = tmp_path / "mine"
    (incomplete / "mnist").mkdir(parents=True)
    assert main(["train", "--dataset", "mnist", "--data-dir", str(incomplete), "--json"]) == 2
    err = capsys.readouterr().err
    assert str(incomplete / "mnist") in err and "given explicitly" in err
    assert str(tmp_path / "env") not in err


def test_data_provenance_in_json_and_run_json(tmp_path, capsys):
    from pulsegated.data.datasets import file_md5
    folder = fake_dataset(tmp_path / "data")
    ck = tmp_path / "run"
    assert main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "data"), "--hidden",
                 "20", "--eval-train", "0", "--json", "--checkpoint-dir", str(ck)]) == 0
    rec = json.loads(capsys.readouterr().out.splitlines()[0])
    data = rec["data"]
    assert data["path"] == str(folder.resolve()) and data["threshold"] == "any"
    md5 = file_md5(folder / "train-images-idx3-ubyte.gz")
    assert data["files"]["train-images-idx3-ubyte.gz"] == {"md5": md5, "canonical": False}
    assert len(data["files"]) == 4
    run = json.loads((ck / "run.json").read_text())
    assert run["started"]["data"] == data and run["config"]["data_dir"] == str(tmp_path / "data")


def test_concurrent_run_and_used_folder_exit_2_naming_the_folder(tmp_path, capsys):
    from pulsegated.training.rundir import open_run_dir
    held = open_run_dir(tmp_path)
    try:
        assert main(["train", "--checkpoint-dir", str(tmp_path), "--json"]) == 2
        assert f"--checkpoint-dir {tmp_path} is in use by another training run" in \
            capsys.readouterr().err
    finally:
        held.release()
    args = ["train", "--checkpoint-dir", str(tmp_path), "--max-samples", "50", "--hidden", "20",
            "--eval-train", "0", "--eval-test", "20", "--json"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert main(args + ["--overwrite"]) == 0
    assert main(args + ["--resume", "--backend", "loihi"]) == 2
    assert "written by the reference backend" in capsys.readouterr().err
