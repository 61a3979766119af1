import json

import numpy as np
import pytest

from brian2 import mV, ms
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from pulsegated.cli import main
from pulsegated.sgsc.meanfield import ChainModel, exact_coupling, s_exact, stage_ratio


def _ratio_closed_form(S, T, tau=1.0):
    """One stage with square pulses, derived by hand: the gated stage j fires at its current
    ``A e^(-t/tau)`` for ``0 <= t < T``; stage j+1 obeys ``tau dI/dt = -I + S A e^(-t/tau)``
    from ``I = 0``, so ``I(t) = S A (t/tau) e^(-t/tau)`` and the stage multiplies by
    ``S (T/tau) e^(-T/tau)``."""
    return S * (T / tau) * np.exp(-T / tau)


@pytest.mark.parametrize("T", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("a", [0.05, 0.4, 0.95])
def test_exact_transfer_at_s_exact_over_ten_stages(T, a):
    S = np.exp(T) / T  # the closed form solved for a ratio of 1
    assert s_exact(T) == pytest.approx(S, rel=1e-12)
    amps = ChainModel(10, T=T).run(a)["amplitudes"]
    np.testing.assert_allclose(amps, a, rtol=1e-9)


@pytest.mark.parametrize("factor", [0.8, 0.95, 1.05])
@pytest.mark.parametrize("T, tau", [(1.3, 1.0), (2.0, 4.0)])
def test_mistuned_coupling_scales_by_the_stage_ratio(factor, T, tau):
    S = factor * s_exact(T, tau)
    amps = ChainModel(8, S=S, T=T, tau=tau).run(0.1)["amplitudes"]
    r = _ratio_closed_form(S, T, tau)
    assert r == pytest.approx(factor, rel=1e-12)  # S_exact makes the ratio exactly 1
    np.testing.assert_allclose(amps, 0.1 * r ** np.arange(8), rtol=1e-9)
    assert stage_ratio(S, T, tau) == pytest.approx(r, rel=1e-12)


def test_exact_coupling_of_brian2_times_is_that_of_their_ratio():
    assert s_exact(5 * ms, 5 * ms) == pytest.approx(np.e, rel=1e-12)
    assert s_exact(40 * ms, 20 * ms) == pytest.approx(np.exp(2) / 2, rel=1e-12)
    assert stage_ratio(2.0, 10 * ms, 5 * ms) == pytest.approx(4 * np.exp(-2), rel=1e-12)
    with pytest.raises(TypeError, match="all be Brian2 times or all plain numbers"):
        s_exact(5 * ms)
    with pytest.raises(TypeError, match="tau must be a time"):
        s_exact(5 * ms, 5 * mV)


def test_minimum_exact_coupling_is_e_at_T_equal_tau():
    # d/dT (e^T / T) = e^T (T - 1) / T^2 = 0 at T = 1, where e^T / T = e
    assert s_exact(1.0) == pytest.approx(np.e, rel=1e-12)
    for T in (0.5, 0.9, 1.1, 2.0):
        assert s_exact(T) > np.e


@pytest.mark.parametrize("S", [None, 0.9 * np.e])
def test_matrix_chain_computes_the_product_of_maps(S):
    rng = np.random.default_rng(0)
    Ks = [np.abs(rng.normal(0, 0.4, (3, 3))) for _ in range(5)]
    x = np.array([0.2, 0.05, 0.1])
    amps = ChainModel(6, S=S, K=Ks).run(x)["amplitudes"]
    r = 1.0 if S is None else _ratio_closed_form(S, 1.0)
    expected = x
    for j, k in enumerate(Ks):
        expected = r * (k @ expected)
        np.testing.assert_allclose(amps[j + 1], expected, rtol=1e-9)


def _overlap_ratio(S, D, n=8):
    """Steady per-stage ratio with pulses of length D (T = tau = 1), by integrating the rate
    equations with a general ODE solver (no matrix exponentials): stage j is gated on
    [j, j + D), its rate is its current while gated, and it drives stage j + 1."""
    def rhs(t, I):
        gated = (t >= np.arange(n)) & (t < np.arange(n) + D)
        m = np.where(gated, I, 0.0)
        dI = -I
        dI[1:] += S * m[:-1]
        return dI
    I0 = np.zeros(n)
    I0[0] = 1.0
    breaks = np.unique(np.concatenate([np.arange(n + 1), np.arange(n) + D]))
    breaks = breaks[breaks <= n - 1]
    amps, I = [1.0], I0
    for t0, t1 in zip(breaks[:-1], breaks[1:]):
        I = solve_ivp(rhs, (t0, t1), I, rtol=1e-11, atol=1e-14, method="DOP853").y[:, -1]
        if abs(t1 - round(t1)) < 1e-12:
            amps.append(I[int(round(t1))])
    return amps[-1] / amps[-2]


def test_overlapping_pulses_need_the_coupling_1_926():
    """Pulses of 1.5 T (T = tau): the coupling for a steady ratio of 1, found independently of
    the model's own integrator, is 1.926 (less than e)."""
    S_ind = brentq(lambda S: _overlap_ratio(S, 1.5) - 1.0, 1.5, 2.7, xtol=1e-10)
    assert S_ind == pytest.approx(1.926, abs=5e-4)
    assert exact_coupling(1.0, 1.5) == pytest.approx(S_ind, rel=1e-6)
    assert exact_coupling(1.0, 1.0) == pytest.approx(np.e, rel=1e-12)
    amps = ChainModel(10, S=S_ind, T=1.0, duration=1.5).run(0.3)["amplitudes"]
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


def test_transfer_map_figure_draws_the_model():
    """The transfer map's lines are the chain's amplitudes: at S_exact the identity, at
    0.95 S_exact the k-stage line is 0.95^k times the input."""
    import matplotlib
    matplotlib.use("Agg")
    from pulsegated.sgsc.figures import plot_transfer_map

    ax = plot_transfer_map(stages=(1, 4), factors=(0.95, 1.0))
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 39]
    (x1, y1), (x4, y4), (xe1, ye1), (xe4, ye4) = [(ln.get_xdata(), ln.get_ydata())
                                                  for ln in lines]
    np.testing.assert_allclose(y1, 0.95 * x1, rtol=1e-9)
    np.testing.assert_allclose(y4, 0.95 ** 4 * x4, rtol=1e-9)
    np.testing.assert_allclose(ye1, xe1, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ye4[xe4 < 0.9], xe4[xe4 < 0.9], rtol=1e-9, atol=1e-12)
