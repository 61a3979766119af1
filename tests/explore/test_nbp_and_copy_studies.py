"""The ``nbp_accuracy`` and ``sgsc_copy`` studies equal their direct computations; specs load."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pulsegated.errors import UsageError
from pulsegated.explore import Grid, load_spec, plan, registered_studies, sweep
from pulsegated.explore.copy_study import copy_params, copy_target
from pulsegated.explore.nbp_study import history_from_metrics, summarise_history, train_config
from pulsegated.sgsc.copy import CopyParams, copy_constants, copy_matrix, cycles_needed
from pulsegated.training.trainer import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "reproduce_nbp_table.py"
SPECS = ("nbp_table_mnist.toml", "nbp_table_fashion_mnist.toml", "sgsc_copy_eta_window.toml")

#: a small nBP run on the built-in data (seconds)
TINY_NBP = {"epochs": 3, "n_hidden": 30, "max_samples": 400, "eval_train": 100,
            "eval_test": 300, "last": 2}


def _script():
    spec = importlib.util.spec_from_file_location("reproduce_nbp_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _without_timing(history):
    return [{k: v for k, v in r.items() if k not in ("samples_per_s", "compile_s")}
            for r in history]


def test_nbp_accuracy_equals_the_trainer_run_by_hand():
    df = sweep("nbp_accuracy", Grid(dataset=["builtin"]), fixed=TINY_NBP, seeds=[5],
               workers=1, progress=False)
    assert df.error.isna().all() and len(df) == 1
    row = df.iloc[0]
    config = TrainConfig(dataset="builtin", epochs=3, seed=5, n_hidden=30, max_samples=400,
                         eval_train=100, eval_test=300)
    history = Trainer(config, progress=False).run()
    for key in ("acc_potential", "acc_spikes", "exact", "mse"):
        assert row[key] == np.mean([r["test"][key] for r in history[-2:]])
    assert row.epochs_done == 3
    assert row.final_train_potential == history[-1]["train"]["acc_potential"]
    assert _without_timing(history_from_metrics(row.history)) == _without_timing(history)


def test_nbp_accuracy_resumes_and_records_a_failing_seed(tmp_path):
    store = tmp_path / "nbp.sqlite"
    fixed = {**TINY_NBP, "epochs": 1}
    # seed -1 fails inside the study (a seed is a non-negative integer)
    first = sweep("nbp_accuracy", Grid(dataset=["builtin"]), fixed=fixed, seeds=[0, -1],
                  store=store, workers=1, progress=False)
    ok, bad = first.set_index("seed").loc[0], first.set_index("seed").loc[-1]
    assert pd.isna(ok.error) and 0 < ok.acc_potential <= 1
    assert "seed: a non-negative integer" in bad.error
    again = sweep("nbp_accuracy", Grid(dataset=["builtin"]), fixed=fixed, seeds=[0, -1],
                  store=store, workers=1, progress=False).set_index("seed")
    assert again.loc[0].history == ok.history and again.loc[0].wall_s == ok.wall_s  # not rerun
    assert again.loc[0].attempts == 1 and again.loc[-1].attempts == 2  # the failure retried


def test_nbp_accuracy_bad_parameters_name_the_parameter():
    with pytest.raises(UsageError, match="threshold"):
        train_config({"dataset": "mnist", "threshold": 300})
    with pytest.raises(UsageError, match="n_hidden"):
        train_config({"dataset": "builtin", "n_hidden": 0})
    with pytest.raises(UsageError, match="unknown dataset"):
        train_config({"dataset": "cifar"})
    df = sweep("nbp_accuracy", Grid(dataset=["builtin"]), fixed={**TINY_NBP, "last": 0},
               workers=1, progress=False)
    assert "UsageError: last: a positive integer" in df.error[0]
    with pytest.raises(ValueError, match="empty"):
        summarise_history([])


def test_reproduce_nbp_table_runs_through_the_sweep_and_resumes(tmp_path):
    cmd = [sys.executable, str(SCRIPT), "--dataset", "builtin", "--epochs", "2",
           "--seeds", "0", "1", "--workers", "2"]
    first = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    records = (tmp_path / "results" / "nbp_builtin_reference.jsonl").read_text()
    assert [(r["seed"], r["epoch"]) for r in map(json.loads, records.splitlines())] == [
        (0, 1), (0, 2), (1, 1), (1, 2)]
    assert (tmp_path / "figures" / "nbp_builtin_reference_accuracy.png").is_file()
    summary = json.loads((tmp_path / "results" / "nbp_builtin_reference_summary.json")
                         .read_text())
    assert [r["seed"] for r in summary["per_seed"]] == [0, 1]
    # the rerun resumes: nothing retrained, the records (timings included) come from the store
    again = subprocess.run(cmd[:-2], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "results" / "nbp_builtin_reference.jsonl").read_text() == records
    table = [line for line in first.stdout.splitlines() if line.strip().startswith("mean")]
    assert table and table == [line for line in again.stdout.splitlines()
                               if line.strip().startswith("mean")]
    replot = subprocess.run([sys.executable, str(SCRIPT), "--dataset", "builtin",
                             "--from-results"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert replot.returncode == 0 and table[0] in replot.stdout


def test_sgsc_copy_meanfield_equals_copy_matrix():
    df = sweep("sgsc_copy", Grid(eta=[0.2, 0.5, 1.0]), fixed={"cycles": 12}, seeds=[4],
               workers=1, progress=False)
    assert df.error.isna().all()
    K = np.random.default_rng(3).uniform(0, 1, (8, 8))
    np.testing.assert_array_equal(copy_target(), K)
    for row in df.itertuples():
        res = copy_matrix(K, eta=row.eta, cycles=12, rng=4)
        assert row.final_error == res["errors"][-1]
        assert row.errors == res["errors"].tolist()
        np.testing.assert_array_equal(row.L, res["L"])
        np.testing.assert_array_equal(row.L0, res["L_history"][0])
        reached = int(np.argmax(res["errors"] <= 0.05))
        assert row.cycles_to_target == reached and row.converged
        if row.eta < 1:
            assert row.predicted_cycles == cycles_needed(row.eta, res["errors"][0])
        assert row.hebb_eta == copy_constants(CopyParams(eta=row.eta))["hebb_eta"]
    slow = sweep("sgsc_copy", Grid(eta=[0.05]), fixed={"cycles": 5}, seeds=[4], workers=1,
                 progress=False).iloc[0]
    assert slow.cycles_to_target is None and not slow.converged and slow.final_error > 0.05


def test_sgsc_copy_defaults_are_the_copy_params_and_windows_change_hebb_eta():
    assert copy_params({}) == CopyParams()
    df = sweep("sgsc_copy", Grid(T_ms=[16.0, 24.0, 40.0]), seeds=[0], workers=1,
               progress=False)
    assert df.final_error.nunique() == 1  # the mean field does not depend on the window
    assert df.hebb_eta.nunique() == 3  # the rate per spike that gives eta depends on the window


def test_sgsc_copy_bad_parameters_name_the_parameter():
    for params, name in (({"eta": 1.5}, "eta"), ({"T_ms": 1.0}, "T_ms"),
                         ({"amplitude": 2.0}, "amplitude"), ({"n": 0}, "n")):
        with pytest.raises(UsageError, match=f"^{name}:"):
            copy_params(params)
    with pytest.raises(UsageError, match="k_low"):
        copy_target(k_low=1.0, k_high=0.5)
    df = sweep("sgsc_copy", Grid(mode=["meanfield", "annealed"], eta=[0.3, 0.0]),
               workers=1, progress=False)
    errors = df.set_index(["mode", "eta"]).error
    assert pd.isna(errors.loc[("meanfield", 0.3)])
    assert "UsageError: eta: the copy rate per cycle lies in (0, 1]" in errors.loc[
        ("meanfield", 0.0)]
    assert "UsageError: mode: one of meanfield, spiking" in errors.loc[("annealed", 0.3)]


@pytest.mark.parametrize("name", SPECS)
def test_specs_load_and_name_a_registered_study(name):
    spec = load_spec(ROOT / "scripts" / "sweeps" / name)
    assert spec.study in registered_studies()
    jobs = plan(spec.study, spec.design, spec.fixed, spec.seeds).jobs
    if spec.study == "nbp_accuracy":
        assert spec.seeds == (0, 1, 2) and spec.fixed["epochs"] == 60 and len(jobs) == 3
        assert jobs[0].point["backend"] == "reference" and jobs[0].point["last"] == 10
        dataset = jobs[0].point["dataset"]
        assert name == f"nbp_table_{dataset.replace('-', '_')}.toml"
        # the script's sweep is this specification (a store of one serves the other)
        from pulsegated.explore import SweepSpec

        design, fixed = _script().table_sweep(dataset, 60, "reference")
        assert SweepSpec("nbp_accuracy", design, fixed, (0, 1, 2)).fingerprint() == \
            spec.fingerprint()
    else:
        assert spec.study == "sgsc_copy"
        assert {j.point["mode"] for j in jobs} == {"meanfield", "spiking"}
        assert len({j.point["T_ms"] for j in jobs}) > 1 and len({j.point["eta"] for j in jobs}) > 1


def test_reproduce_nbp_table_hidden_size_reaches_the_trainer(tmp_path):
    cmd = [sys.executable, str(SCRIPT), "--dataset", "builtin", "--epochs", "1", "--seeds", "3",
           "--hidden", "30"]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in
               (tmp_path / "results" / "nbp_builtin_reference_h30.jsonl").read_text()
               .splitlines()]
    summary = json.loads((tmp_path / "results" / "nbp_builtin_reference_h30_summary.json")
                         .read_text())
    assert summary["n_hidden"] == 30 and "30 hidden" in run.stdout
    config = TrainConfig(dataset="builtin", epochs=1, seed=3, n_hidden=30, eval_train=10000)
    history = Trainer(config, progress=False).run()
    assert _without_timing(records) == _without_timing(history)
    bad = subprocess.run(cmd[:-1] + ["0"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "--hidden" in bad.stderr
