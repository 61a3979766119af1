import json

import numpy as np
import pytest

from brian2 import Hz, mV, ms

from pulsegated.cli import main
from pulsegated.sgsc.graded import (GradedChainParams, _GraphRunner, calibrate, chain_graph,
                                    graded_chain_circuit, run_chain, run_graph)


@pytest.fixture(scope="module")
def calibrated():
    return calibrate(GradedChainParams(n=500, n_stages=8), codegen="numpy")


def test_calibration_makes_the_one_stage_map_the_identity(calibrated):
    p, history = calibrated
    assert abs(history[-1][1] - 1) < 1e-6
    assert 0.9 < p.S < 1.1  # close to the mean-field exact coupling


def test_eight_stages_hold_the_amplitude(calibrated):
    """Measured at 500 neurons (seeds 10 + k, inputs 0.1 .. 0.9): mean absolute error over the
    7 later stages 0.23-1.14 % of g0 per input, at most 2.1 % at any stage.  A coupling off by
    1 % would already give about 4 % at stage 7."""
    p, _ = calibrated
    for k, a in ((0, 0.1), (4, 0.5), (8, 0.9)):  # input k of 0.1, 0.2, .., 0.9
        err = np.abs(run_chain(a, p, seed=10 + k, codegen="numpy")[1:] - a)
        assert np.mean(err) < 0.0125 and np.max(err) < 0.025, (a, err)


@pytest.mark.long
def test_readme_claim_thousand_neurons_eight_stages():
    """README: after calibration (one-stage slope 1.0100 -> 1.0000, S = 0.990 S_exact) the
    mean absolute amplitude error is 0.06-0.29 % of g0 per input over inputs 0.1-0.9 g0, max
    over stages < 1 % (1000 neurons, 8 stages, input k run with seed 50 + k)."""
    p, history = calibrate(GradedChainParams(n=1000, n_stages=8), codegen="numpy")
    assert history[0][1] == pytest.approx(1.0100, abs=5e-5)
    assert abs(history[-1][1] - 1) < 1e-6 and p.S == pytest.approx(0.990, abs=5e-4)
    for k, a in enumerate(np.linspace(0.1, 0.9, 9)):
        err = np.abs(run_chain(a, p, seed=50 + k, codegen="numpy")[1:] - a)
        assert 0.0005 <= np.mean(err) <= 0.0030 and np.max(err) < 0.01, (a, err)


def test_built_once_runs_equal_new_builds():
    """calibrate reruns one network (restore, new weights, initial values and delays): every
    run equals a new build with the same seed, bit for bit, also with jitter, weight spread
    and random phases."""
    p = GradedChainParams(n=60, n_gate=20, n_stages=2, jitter=0.1 * ms, weight_spread=0.2,
                          phases="random")
    units, edges = chain_graph(2)
    runner = _GraphRunner(units, edges, p, codegen="numpy")
    for a, S, seed in ((0.3, 1.0, 1), (0.7, 0.9, 2), (0.5, 1.1, 3)):
        again = runner.run({"stage0": a}, S=S, seed=seed)
        fresh = run_chain(a, GradedChainParams(**{**p.__dict__, "S": S}), seed=seed,
                          codegen="numpy")
        assert [again["stage0"], again["stage1"]] == fresh.tolist()


@pytest.mark.parametrize("kwargs, message", [
    (dict(T=5), r"GradedChainParams.T must be a time \(e.g. 5\*ms\), got 5"),
    (dict(g0=200 * mV), r"GradedChainParams.g0 must be a rate \(e.g. 200\*Hz\)"),
    (dict(dt=0.1), r"GradedChainParams.dt must be a time"),
    (dict(jitter=0), r"GradedChainParams.jitter must be a time"),
    (dict(tau=-5 * ms), r"GradedChainParams.tau must be positive"),
    (dict(S=1 * Hz), r"GradedChainParams.S is dimensionless"),
])
def test_params_take_quantities(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        GradedChainParams(**kwargs)


def test_params_hash_and_compare_by_value():
    p = GradedChainParams(n=100)
    assert p == GradedChainParams(n=100, T=5 * ms, g0=200 * Hz)
    assert {p: 1}[GradedChainParams(n=100)] == 1
    assert p != GradedChainParams(n=100, T=6 * ms)


def test_circuit_and_errors():
    c = graded_chain_circuit(0.4, GradedChainParams(n=20, n_gate=10, n_stages=3))
    assert list(c.populations) == ["gate0", "gate1", "gate2", "stage0", "stage1", "stage2"]
    assert c.connections["stage0__stage1"].target == "I"
    with pytest.raises(ValueError, match=r"fraction of g0 in \[0, 1\)"):
        graded_chain_circuit(1.2)
    with pytest.raises(ValueError, match="phases must be"):
        graded_chain_circuit(0.2, GradedChainParams(phases="sorted"))
    with pytest.raises(ValueError, match="jitter 10. ms is too large"):
        graded_chain_circuit(0.2, GradedChainParams(jitter=10 * ms))


def test_chain_command_spiking(capsys):
    assert main(["chain", "--stages", "4", "--amplitudes", "0.3,0.8", "--spiking", "--neurons",
                 "300", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["model"] for r in rows] == ["spiking", "spiking"]
    for r in rows:
        assert np.max(np.abs(np.array(r["stages"]) - r["input"])) < 0.05


def test_matrix_chain_computes_the_maps(calibrated):
    """Two-unit stages coupled by K: the spiking chain computes I(j+1) = K I(j)."""
    p, _ = calibrated
    K = np.array([[0.6, 0.3], [0.2, 0.5]])
    units = {f"{s}{j}": j for j in range(3) for s in "ab"}
    edges = [(f"{s}{j}", f"{t}{j + 1}", K["ab".index(t), "ab".index(s)])
             for j in range(2) for s in "ab" for t in "ab"]
    amps = run_graph(units, edges, {"a0": 0.8, "b0": 0.4}, p, codegen="numpy")
    x = np.array([amps["a0"], amps["b0"]])
    for j in (1, 2):
        x = K @ x
        np.testing.assert_allclose([amps[f"a{j}"], amps[f"b{j}"]], x, atol=0.02)


def test_routing_follows_the_gate(calibrated):
    """Stage 0 feeds two branches; only the gated branch passes the amplitude on."""
    p, _ = calibrated
    units = {"s0": 0, "x1": 1, "y1": None, "x2": 2, "y2": 2}
    edges = [("s0", "x1", 1.0), ("s0", "y1", 1.0), ("x1", "x2", 1.0), ("y1", "y2", 1.0)]
    amps = run_graph(units, edges, {"s0": 0.6}, p, codegen="numpy")
    assert abs(amps["x2"] - 0.6) < 0.02
    assert amps["y2"] == 0.0           # the ungated branch never fired
    assert amps["y1"] > 0.03           # although it received the input (now decayed)
