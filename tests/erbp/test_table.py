"""The eRBP results table from run folders (``pulsegated.erbp.table``)."""

import json

import numpy as np
import pytest

from pulsegated.erbp.table import build_table, collect_runs, main, markdown


def _run(root, folder, seed, errors, eta=None, halve=()):
    d = root / folder
    d.mkdir()
    hist = [{"epoch": i + 1, "algorithm": "erbp", "network": "784-100-10", "dt_ms": 0.1,
             "bits": None, "seed": seed, "test_error": e} for i, e in enumerate(errors)]
    (d / "history.json").write_text(json.dumps(hist))
    cfg = {"dataset": "mnist", "param_overrides": {} if eta is None else {"eta": eta},
           "max_samples": None}
    if halve:
        cfg["eta_halve_at"] = list(halve)
    (d / "run.json").write_text(json.dumps({"config": cfg}))


@pytest.fixture
def records(tmp_path):
    _run(tmp_path, "erbp_a", 0, [0.12, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04])
    _run(tmp_path, "erbp_a_short", 0, [0.12])            # the same seed, fewer epochs
    _run(tmp_path, "erbp_b", 1, [0.10, 0.09, 0.08])
    _run(tmp_path, "erbp_c", 0, [0.2, 0.1], eta=2e-4, halve=(2,))
    ref = tmp_path / "erbp_reference"
    ref.mkdir()
    for seed in (0, 1):
        rows = [{"epoch": e, "algorithm": alg, "test_error": 0.1 / e + (0.01 if alg == "rbp"
                                                                         else 0.0)}
                for alg in ("rbp", "bp") for e in range(1, 9)]
        (ref / f"784-100-10_seed{seed}_8ep.json").write_text(json.dumps(rows))
    return tmp_path


def test_figures_follow_the_last_five_convention(records):
    table = build_table(records, reference_epochs=8, seeds=(0, 1))
    e = table["784-100-10"]
    assert e["published"] == {"erbp": 3.94, "rbp_gpu": 2.74, "bp_gpu": 2.19}
    base = next(s for s in e["spiking"] if s["setting"] == "erbp, dt 0.1 ms, eta 0.0006")
    by_seed = {r["seed"]: r for r in base["seeds"]}
    # seed 0: the longer of its two runs, the mean of its last five; seed 1: its last one
    assert by_seed[0]["error"] == pytest.approx(100 * np.mean([0.08, 0.07, 0.06, 0.05, 0.04]))
    assert by_seed[0]["epochs"] == 7 and by_seed[0]["last5"]
    assert by_seed[1]["error"] == pytest.approx(8.0) and not by_seed[1]["last5"]
    assert base["mean"] == pytest.approx((6.0 + 8.0) / 2)
    # the numpy rows after as many epochs as the longest run (7), mean of their last five
    want = 100 * np.mean([0.1 / k + 0.01 for k in range(3, 8)])
    assert base["reference"]["rbp"] == pytest.approx(want)
    assert e["reference"]["epochs"] == 8
    other = [s["setting"] for s in e["spiking"]]
    assert "erbp, dt 0.1 ms, eta 0.0002 halved at epochs 2" in other
    text = markdown(table)
    assert "3.94 %" in text and "784-200-10" in text and "6.00 % (7)" in text
    assert "8.00 % (3*)" in text


def test_runs_elsewhere_are_ignored(records, tmp_path_factory):
    other = tmp_path_factory.mktemp("builtin")
    _run(other, "erbp_x", 0, [0.5])
    cfg = json.loads((other / "erbp_x" / "run.json").read_text())
    cfg["config"]["dataset"] = "builtin"
    (other / "erbp_x" / "run.json").write_text(json.dumps(cfg))
    assert collect_runs(other) == []
    assert len(collect_runs(records)) == 4


def test_command_writes_the_json(records, capsys):
    assert main(["--records", str(records)]) == 0
    out = json.loads((records / "erbp_table.json").read_text())
    assert "784-100-10" in out["table"] and out["command"].startswith("python -m")
    assert "| network |" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="--records"):
        main(["--records", str(records / "missing")])


def test_learning_curves_draw_the_stored_reference_rows(records, tmp_path_factory):
    """The curves figure takes the numpy rows the table stored (mean over seeds) and draws them
    over the runs' epochs."""
    from pulsegated.erbp.figures import curves_figure, reference_curves

    curves = reference_curves(records, "784-100-10")
    ep, err = curves["numpy random BP, same network (2 seeds)"]
    assert list(ep) == list(range(1, 9))
    assert err[1] == pytest.approx(100 * (0.1 / 2 + 0.01))
    assert reference_curves(records, "784-200-10") == {}
    out = curves_figure(tmp_path_factory.mktemp("fig") / "c.png", records, log=lambda m: None)
    assert out.stat().st_size > 0
