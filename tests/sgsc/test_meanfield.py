import json

import numpy as np
import pytest

from pulsegated.cli import main
from pulsegated.sgsc.meanfield import ChainModel, exact_coupling, s_exact, stage_ratio


@pytest.mark.parametrize("T", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("a", [0.05, 0.4, 0.95])
def test_exact_transfer_over_ten_stages(T, a):
    amps = ChainModel(10, T=T).run(a)["amplitudes"]
    np.testing.assert_allclose(amps, a, atol=1e-6)


@pytest.mark.parametrize("factor", [0.8, 0.95, 1.05])
def test_mistuned_coupling_scales_by_the_stage_ratio(factor):
    S = factor * s_exact(1.3)
    amps = ChainModel(8, S=S, T=1.3).run(0.1)["amplitudes"]
    np.testing.assert_allclose(amps[1:] / amps[:-1], stage_ratio(S, 1.3), rtol=1e-9)
    assert stage_ratio(s_exact(1.3), 1.3) == pytest.approx(1.0)


def test_minimum_exact_coupling_is_e_at_T_equal_tau():
    Ts = np.linspace(0.2, 3, 200)
    S = [s_exact(T) for T in Ts]
    assert Ts[np.argmin(S)] == pytest.approx(1.0, abs=0.02) and min(S) == pytest.approx(np.e, 1e-3)


def test_matrix_chain_computes_the_product_of_maps():
    rng = np.random.default_rng(0)
    Ks = [np.abs(rng.normal(0, 0.4, (3, 3))) for _ in range(5)]
    x = np.array([0.2, 0.05, 0.1])
    amps = ChainModel(6, K=Ks).run(x)["amplitudes"]
    expected = x
    for j, k in enumerate(Ks):
        expected = k @ expected
        np.testing.assert_allclose(amps[j + 1], expected, rtol=1e-9)


def test_overlapping_pulses_need_less_coupling():
    S_sq = exact_coupling(1.0, 1.0)
    S_ov = exact_coupling(1.0, 1.5)
    assert S_sq == pytest.approx(np.e, rel=1e-6)
    assert S_ov < S_sq
    amps = ChainModel(10, S=S_ov, T=1.0, duration=1.5).run(0.3)["amplitudes"]
    np.testing.assert_allclose(amps[-4:] / amps[-5:-1], 1.0, atol=1e-6)


def test_leaving_the_graded_range_is_an_error():
    with pytest.raises(ValueError, match="graded range"):
        ChainModel(3).run(1.2)
    with pytest.raises(ValueError, match="reached g0"):
        ChainModel(6, S=1.5 * s_exact(1.0)).run(0.9)
    with pytest.raises(ValueError, match="n_stages must be a positive integer"):
        ChainModel(0)


def test_chain_command_json(capsys):
    assert main(["chain", "--stages", "5", "--amplitudes", "0.1,0.5", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["input"] for r in rows] == [0.1, 0.5]
    np.testing.assert_allclose(rows[1]["stages"], [0.5] * 5, atol=1e-6)
    assert main(["chain", "--stages", "4", "--amplitudes", "0.2", "--coupling", "0.9",
                 "--json"]) == 0
    stages = json.loads(capsys.readouterr().out)["stages"]
    np.testing.assert_allclose(np.array(stages[1:]) / stages[:-1], 0.9, rtol=1e-6)


@pytest.mark.parametrize("argv,message", [
    (["chain", "--stages", "3", "--amplitudes", "0.2,1.3"], "in [0, 1), got [1.3]"),
    (["chain", "--stages", "0", "--amplitudes", "0.2"], "--stages must be at least 1"),
    (["chain", "--stages", "3", "--amplitudes", "a,b"], "comma-separated numbers"),
    (["chain", "--stages", "3", "--amplitudes", "0.2", "--overlap", "1.5"], "--overlap"),
    (["chain", "--stages", "8", "--amplitudes", "0.9", "--coupling", "1.5"], "reached g0"),
])
def test_chain_command_bad_arguments(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_figures_are_written(tmp_path):
    from pulsegated.sgsc.figures import make_figures
    paths = make_figures(tmp_path)
    assert [p.name for p in paths] == ["sgsc_meanfield_traces.png", "sgsc_meanfield_transfer.png"]
    assert all(p.stat().st_size > 20000 for p in paths)
