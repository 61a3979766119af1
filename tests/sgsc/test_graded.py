import json

import numpy as np
import pytest

from pulsegated.cli import main
from pulsegated.sgsc.graded import (GradedChainParams, calibrate, graded_chain_circuit,
                                   run_chain, run_graph)


@pytest.fixture(scope="module")
def calibrated():
    return calibrate(GradedChainParams(n=500, n_stages=8), codegen="numpy")


def test_calibration_makes_the_one_stage_map_the_identity(calibrated):
    p, history = calibrated
    assert abs(history[-1][1] - 1) < 1e-6
    assert 0.9 < p.S < 1.1  # close to the mean-field exact coupling


def test_eight_stages_hold_the_amplitude(calibrated):
    p, _ = calibrated
    errors = []
    for k, a in enumerate((0.1, 0.5, 0.9)):
        amps = run_chain(a, p, seed=10 + k, codegen="numpy")
        errors.append(np.abs(amps - amps[0]))
    assert np.mean(errors) <= 0.05 and np.max(errors) < 0.05


@pytest.mark.long
def test_eight_stages_thousand_neurons_full_range():
    p, _ = calibrate(GradedChainParams(n=1000, n_stages=8), codegen="numpy")
    errors = [np.abs(run_chain(a, p, seed=100 + k, codegen="numpy")[1:] - a)
              for k, a in enumerate(np.linspace(0.1, 0.9, 9))]
    assert np.mean(errors) <= 0.05


def test_circuit_and_errors():
    c = graded_chain_circuit(0.4, GradedChainParams(n=20, n_gate=10, n_stages=3))
    assert list(c.populations) == ["gate0", "gate1", "gate2", "stage0", "stage1", "stage2"]
    assert c.connections["stage0__stage1"].target == "I"
    with pytest.raises(ValueError, match=r"fraction of g0 in \[0, 1\)"):
        graded_chain_circuit(1.2)
    with pytest.raises(ValueError, match="phases must be"):
        graded_chain_circuit(0.2, GradedChainParams(phases="sorted"))


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
