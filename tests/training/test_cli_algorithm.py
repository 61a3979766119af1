"""``pulsegated train --algorithm erbp|perbp`` is ``pulsegated erbp`` under train's flags."""

import pytest

from pulsegated.cli import build_parser, main
from pulsegated.erbp import cli as erbp_cli
from pulsegated.training import cli as train_cli


def _train_args(argv):
    return build_parser().parse_args(["train", *argv])


def _erbp_config(argv):
    return erbp_cli.config_from_args(build_parser().parse_args(["erbp", *argv]))


@pytest.mark.parametrize("train, erbp", [
    (["--algorithm", "erbp", "--dataset", "mnist"], ["--dataset", "mnist"]),
    (["--algorithm", "perbp", "--hidden", "200", "--hidden", "200", "--dataset", "builtin",
      "--epochs", "3", "--seed", "4", "--dt", "1", "--eta", "2e-4", "--bits", "8",
      "--max-samples", "500", "--eval-test", "100", "--checkpoint-dir", "runs/x"],
     ["--algorithm", "perbp", "--hidden", "200", "--hidden", "200", "--dataset", "builtin",
      "--epochs", "3", "--seed", "4", "--dt", "1", "--eta", "2e-4", "--bits", "8",
      "--max-samples", "500", "--eval-test", "100", "--out", "runs/x"]),
    (["--algorithm", "erbp", "--device", "cpp_standalone", "--dataset", "builtin"],
     ["--device", "cpp_standalone", "--chunk", "1000", "--dataset", "builtin"]),
    (["--algorithm", "erbp", "--eta-halve-at", "3", "5", "--dataset", "mnist"],
     ["--eta-halve-at", "3", "5"]),
    (["--algorithm", "erbp", "--output-dendrite-weight", "authors", "--dataset", "mnist"],
     ["--output-dendrite-weight", "authors"]),
    (["--algorithm", "erbp", "--output-dendrite-weight", "0.5", "--resume", "--json",
      "--dataset", "mnist", "--checkpoint-dir", "runs/y"],
     ["--output-dendrite-weight", "0.5", "--resume", "--out", "runs/y"]),
])
def test_train_flags_make_the_erbp_config(train, erbp):
    mapped = erbp_cli.config_from_args(train_cli.erbp_args(_train_args(train)))
    assert mapped == _erbp_config(erbp)


@pytest.mark.parametrize("argv, message", [
    (["--algorithm", "erbp", "--backend", "loihi"], "--backend loihi: eRBP runs on brian2 only"),
    (["--algorithm", "erbp", "--threshold", "half"], "--threshold applies to --algorithm nbp"),
    (["--dt", "1"], "--dt applies to --algorithm erbp or perbp, not nbp"),
    (["--bits", "8"], "--bits applies to --algorithm erbp or perbp"),
    (["--eta-halve-at", "3"], "--eta-halve-at applies to --algorithm erbp or perbp"),
    (["--hidden", "100", "--hidden", "50"], "the nBP circuit has one hidden layer"),
    (["--output-dendrite-weight", "authors"],
     "--output-dendrite-weight applies to --algorithm erbp"),
    (["--algorithm", "erbp", "--output-dendrite-weight", "-1"], "--output-dendrite-weight"),
    (["--algorithm", "erbp", "--dataset", "fashion-mnist"], "--dataset: invalid choice"),
    (["--algorithm", "erbp", "--device", "gpu"], "--device: invalid choice"),
])
def test_flags_of_the_other_algorithm_are_refused(argv, message, capsys):
    assert main(["train", *argv]) == 2
    assert message in capsys.readouterr().err


def test_nbp_defaults_are_unchanged():
    config = train_cli.config_from_args(_train_args([]))
    assert config.backend == "reference" and config.n_hidden == 400
    assert train_cli.config_from_args(_train_args(["--hidden", "100"])).n_hidden == 100
