"""``pulsegated demo``: writes only into its own output folder, never over an earlier run."""

import json

import pytest

from pulsegated.cli import main
from pulsegated.demo import DEFAULT_OUT, output_folder
from pulsegated.errors import UsageError


def test_quick_demo_writes_its_folder_and_checks_bit_identity(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["demo_accuracy.png", "nbp_learning_cycle.png",
                                                     "summary.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # nothing else in the current folder
    s = json.loads((out / "summary.json").read_text())
    assert s["loihi"]["identical_to_reference"] and s["loihi"]["copies_consistent"]
    assert s["brian2"]["identical_to_reference"]
    # the printed speed is the warm figure of the summary, with what was timed
    warm = s["loihi"]["warm_ms_per_sample"]
    assert f"{warm:.2f} ms per sample over {200 - s['loihi']['warmup_samples']} samples" in printed
    assert "(discretize, compile or load the kernel)" in printed and "(warm-up)" in printed
    assert 0.5 < s["reference"]["test"]["acc_potential"] <= 1


def test_default_folder_is_new_each_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = output_folder(None, overwrite=False)
    (first / "demo_accuracy.png").write_bytes(b"x")
    second = output_folder(None, overwrite=False)
    assert (first.name, second.name) == (DEFAULT_OUT, f"{DEFAULT_OUT}-2")
    assert (first / "demo_accuracy.png").read_bytes() == b"x"


def test_refuses_a_used_folder_unless_overwrite(tmp_path):
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("earlier run")
    with pytest.raises(UsageError, match="--out .*already holds files.*--overwrite"):
        output_folder(str(used), overwrite=False)
    assert output_folder(str(used), overwrite=True) == used
    assert (used / "keep.txt").read_text() == "earlier run"


@pytest.mark.parametrize("argv,message", [
    (["--epochs", "0"], "--epochs must be at least 1, got 0"),
    (["--epochs", "-1"], "--epochs must be at least 1, got -1"),
    (["--seed", "-3"], "--seed must be a non-negative integer"),
])
def test_bad_flags_before_anything_runs(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", *argv]) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_out_naming_a_file_is_refused(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("")
    assert main(["demo", "--out", str(f)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "not a folder" in err
