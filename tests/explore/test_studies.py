"""The package's studies: one network per worker, the robustness figure's numbers unchanged."""

import numpy as np
import pytest
from brian2 import ms

from pulsegated.explore import Grid, sweep
from pulsegated.explore import worker
from pulsegated.explore.studies import robustness_design, robustness_table
from pulsegated.sgsc.graded import GradedChainParams, calibrate, run_chain

TINY = {"n": 30, "n_gate": 20, "n_stages": 3, "inputs": [0.3, 0.7]}


def test_robustness_design_is_the_figures_points():
    from pulsegated.explore import plan

    design = robustness_design(base_n=300, fast=True)
    assert len(design.points()) == 3 + 3 + 3 * 2
    jobs = plan("sgsc_robustness", design, {"base_n": 300, "fast": True}, seeds=[0, 1]).jobs
    points = [j.params for j in jobs if j.seed == 0]
    assert len(points) == 3 + 3 - 1 + 3 * 2  # the unperturbed chain once
    assert points[0] == {"jitter_ms": 0.0, "n": 300, "weight_spread": 0.0, "phases": "even"}
    assert {"jitter_ms": 0.0, "n": 500, "weight_spread": 0.0, "phases": "random"} in points


def test_robustness_toml_is_the_figures_design(tmp_path):
    from pulsegated.explore import load_spec
    from pulsegated.explore.studies import ROBUSTNESS_TOML

    (tmp_path / "robustness.toml").write_text(ROBUSTNESS_TOML)
    spec = load_spec(tmp_path / "robustness.toml")
    assert spec.study == "sgsc_robustness" and spec.seeds == (0, 1, 2, 3, 4)
    assert spec.design.to_dict() == robustness_design(1000).to_dict()


def test_graded_chain_builds_one_network_for_all_points():
    worker.clear_cache()
    df = sweep("graded_chain", Grid(coupling=[1.05], jitter_ms=[0.0, 0.2],
                                    weight_spread=[0.0, 0.3]),
               fixed=TINY, workers=1, progress=False)
    assert df.error.isna().all() and len(df) == 4
    (inst,) = worker._CACHE.values()
    assert inst.runner.builds == 1
    assert (df.setup_s > 0).sum() == 1
    assert np.all(np.isfinite(df.mae)) and df.S.nunique() == 1
    # each point equals new builds of its chain (the runner resets it exactly)
    row = df[(df.coupling == 1.05) & (df.jitter_ms == 0.2) & (df.weight_spread == 0.3)].iloc[0]
    p = GradedChainParams(n=30, n_gate=20, n_stages=3, S=row.S, jitter=0.2 * ms,
                          weight_spread=0.3)
    fresh = np.mean([np.abs(run_chain(a, p, seed=200 + k, codegen="numpy") - a)
                     for k, a in enumerate((0.3, 0.7))])
    assert row.mae == fresh


@pytest.mark.long
def test_robustness_study_matches_the_figures_computation():
    """sgsc_robustness reproduces the per-point numbers the figure script computed before:
    base chain calibrated, a size or phase change calibrated from the base coupling, inputs
    0.1, 0.5, 0.9 (fast) with Brian2 seeds 200 + 100 s + k."""
    worker.clear_cache()
    design = Grid(jitter_ms=[0.0, 0.1], n=[30]) + Grid(n=[20], phases=["random"])
    fixed = {"base_n": 30, "n_stages": 3, "fast": True}
    df = sweep("sgsc_robustness", design, fixed=fixed, seeds=[1], workers=1, progress=False)
    assert df.error.isna().all() and len(df) == 3
    base, _ = calibrate(GradedChainParams(n=30, n_stages=3), codegen="numpy")
    small, _ = calibrate(GradedChainParams(n=20, n_stages=3, S=base.S, phases="random"),
                         codegen="numpy")
    amps = np.linspace(0.1, 0.9, 5)[::2]
    for p, sel in ((GradedChainParams(n=30, n_stages=3, S=base.S, jitter=0.1 * ms),
                    (df.jitter_ms == 0.1)),
                   (small, (df.n == 20))):
        old = float(np.mean([np.abs(run_chain(a, p, seed=300 + k, codegen="numpy") - a)
                             for k, a in enumerate(amps)]))
        assert df[sel].mae.iloc[0] == pytest.approx(old, abs=0, rel=1e-12)
    table = robustness_table(df, base_n=30, values={"n": (20, 30)})
    assert [r["value"] for r in table["jitter (ms) [even phases]"]] == [0.0, 0.1]
    assert [r["value"] for r in table["neurons per population [random phases]"]] == [20]
    assert [r["value"] for r in table["neurons per population [even phases]"]] == [30]
    assert table["jitter (ms) [even phases]"][0]["per_seed"] == [df.mae.iloc[0]]
