"""The training driver and the ``erbp`` sub-command: checks before any simulation, resume, and
learning end to end."""

import json
from pathlib import Path

import numpy as np
import pytest

from pulsegated.cli import _Parser
from pulsegated.erbp import cli
from pulsegated.erbp.training import (ERBPConfig, ERBPTrainer, balanced_order, readout_errors)
from pulsegated.errors import UsageError

RESULTS = Path(__file__).resolve().parents[2] / "results"


def _args(*argv):
    p = _Parser(prog="pulsegated erbp")
    cli.add_arguments(p)
    return p.parse_args(list(argv))


@pytest.mark.parametrize("argv, flag", [
    (["--hidden", "0"], "--hidden"),
    (["--epochs", "0"], "--epochs"),
    (["--max-samples", "-3"], "--max-samples"),
    (["--seed", "-1"], "--seed"),
    (["--dt", "2"], "--dt"),
    (["--dt", "0.3"], "--dt"),
    (["--dt", "-1"], "--dt"),
    (["--resume"], "--resume"),
    (["--chunk", "0"], "--chunk"),
    (["--eval-test", "0"], "--eval-test"),
    (["--data-dir", "/nonexistent/folder"], "--data-dir"),
    (["--eta", "-1"], "--eta"),
    (["--checkpoint-every", "0"], "--checkpoint-every"),
    (["--eta-halve-at", "1"], "--eta-halve-at"),
    (["--eta-halve-at", "5", "3"], "--eta-halve-at"),
    (["--eta-halve-at", "4", "4"], "--eta-halve-at"),
])
def test_bad_input_names_the_flag_before_anything_runs(argv, flag):
    with pytest.raises(UsageError, match=flag):
        cli.config_from_args(_args(*argv))


def test_eta_schedule_halves_from_the_listed_epochs():
    c = cli.config_from_args(_args("--eta-halve-at", "4", "6"))
    assert [c.eta_scale(e) for e in range(1, 8)] == [1, 1, 1, 0.5, 0.5, 0.25, 0.25]
    assert c.identity()["eta_halve_at"] == [4, 6]
    # a constant rate keeps the identity of runs from before the schedule existed
    assert "eta_halve_at" not in cli.config_from_args(_args()).identity()


def test_output_dendrite_weight_flag():
    default = cli.config_from_args(_args())
    assert default.params().output_dendrite_weight is None       # the authors' 0.09
    assert default.params().out_dendrite == 0.09
    assert "output_dendrite_weight" not in default.param_overrides
    authors = cli.config_from_args(_args("--output-dendrite-weight", "authors"))
    assert authors.param_overrides == {}
    assert authors.identity() == default.identity()
    one = cli.config_from_args(_args("--output-dendrite-weight", "1"))
    assert one.param_overrides == {"output_dendrite_weight": 1.0}
    assert one.identity() != default.identity()
    # a run made when weight 1 was the default resumes with --output-dendrite-weight 1
    old = json.loads((RESULTS / "erbp_784-100-10_dt0.5ms_seed0_halve3-13" / "run.json")
                     .read_text())["identity"]
    again = cli.config_from_args(_args("--hidden", "100", "--dt", "0.5", "--dataset", "mnist",
                                       "--eta-halve-at", "3", "5", "7", "9", "11", "13",
                                       "--output-dendrite-weight", "1"))
    assert json.loads(json.dumps(again.identity())) == old
    half = cli.config_from_args(_args("--output-dendrite-weight", "0.5"))
    assert half.params().output_dendrite_weight == 0.5
    for bad in ("-1", "x", "inf", "nan"):
        with pytest.raises(UsageError, match="--output-dendrite-weight"):
            _args("--output-dendrite-weight", bad)


def test_parser_refuses_unknown_choices():
    for argv in (["--algorithm", "bp"], ["--bits", "4"], ["--dataset", "cifar"]):
        with pytest.raises(UsageError):
            _args(*argv)


def test_defaults_are_the_authors_784_100_10_at_01_ms():
    c = cli.config_from_args(_args())
    assert c.hidden == (100,) and c.algorithm == "erbp" and c.dataset == "mnist"
    assert c.dt == pytest.approx(1e-4)
    assert c.params().steps_per_sample == 2500
    assert c.params().eta == pytest.approx(6e-4)
    c2 = cli.config_from_args(_args("--hidden", "200", "--hidden", "200", "--bits", "8",
                                    "--eta", "1e-4", "--algorithm", "perbp"))
    assert c2.hidden == (200, 200) and c2.params().levels == 256
    assert c2.params().eta == pytest.approx(1e-4) and c2.params().box == (-0.6, 0.6)


def test_balanced_order_and_readout():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 30)
    o = balanced_order(rng, y, 100)
    assert len(o) == 100 and len(set(o)) == 100
    assert np.all(np.bincount(y[o], minlength=10) == 10)
    counts = np.array([[0, 3, 1], [2, 2, 0], [0, 0, 0], [5, 1, 1]])
    np.testing.assert_array_equal(readout_errors(counts, np.array([1, 0, 0, 0])),
                                  [False, True, True, False])  # ties and silence are errors


def _small(tmp_path, **kw):
    base = dict(dataset="builtin", hidden=(20,), epochs=2, max_samples=20, dt=1e-3,
                eval_test=10, chunk=10, checkpoint_every=10, codegen="numpy",
                out=str(tmp_path / "run"))
    base.update(kw)
    return ERBPConfig(**base)


def test_interrupted_run_resumes_where_it_stopped(tmp_path):
    t = ERBPTrainer(_small(tmp_path), log=lambda m: None)
    t.run(stop_after_samples=30)  # epoch 1 (20) + half of epoch 2
    ck_run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert ck_run["identity"]["hidden"] == [20]
    with pytest.raises(UsageError, match="already holds a run"):
        ERBPTrainer(_small(tmp_path), log=lambda m: None)
    with pytest.raises(UsageError, match="different run"):
        ERBPTrainer(_small(tmp_path, resume=True, seed=1), log=lambda m: None)
    t2 = ERBPTrainer(_small(tmp_path, resume=True), log=lambda m: None)
    assert (t2.epoch, t2.position, t2.samples) == (1, 10, 30)
    hist = t2.run()
    assert [h["epoch"] for h in hist] == [1, 2]
    assert hist[-1]["samples"] == 40
    for key in ("test_error", "synops_per_train_sample", "synops_per_test_sample",
                "ms_per_train_sample", "test_error_last5", "train_seconds"):
        assert key in hist[-1]
    assert (tmp_path / "run" / "final.npz").is_file()
    assert hist[-1]["synops_per_train_sample"] > hist[-1]["synops_per_test_sample"] * 0.5


@pytest.mark.long
def test_spiking_network_learns_builtin_digits():
    """1000 samples of the built-in 20x20 digits: the test error must fall far below chance
    (90 %); it does not without learning (eta = 0 stays near chance)."""
    cfg = ERBPConfig(dataset="builtin", hidden=(100,), epochs=1, max_samples=1000, dt=1e-3,
                     eval_test=300, chunk=100, checkpoint_every=1000)
    rec = ERBPTrainer(cfg, log=lambda m: None).run()[-1]
    assert rec["test_error"] < 0.5, rec["test_error"]
    still = ERBPConfig(dataset="builtin", hidden=(100,), epochs=1, max_samples=100, dt=1e-3,
                       eval_test=300, chunk=100, param_overrides={"eta": 0.0})
    rec0 = ERBPTrainer(still, log=lambda m: None).run()[-1]
    assert rec0["test_error"] > 0.7, rec0["test_error"]
