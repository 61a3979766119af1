"""The graded backprop circuit's mechanisms and the linear map, on the circuit's mean field."""

import numpy as np
import pytest

from pulsegated.errors import UsageError
from pulsegated.gradedbp.circuit import encode_amplitudes, linear_layer_circuit
from pulsegated.gradedbp.learn import CycleRunner, calibrated, learn_linear_map
from pulsegated.gradedbp.params import GradedBPParams
from pulsegated.gradedbp.tasks import LinearMapTask
from pulsegated.sgsc.graded import chain_graph, graded_graph_circuit
from pulsegated.sgsc.meanfield import s_exact, stage_ratio
from pulsegated.sgsc.rates import RateSimulator


@pytest.fixture(scope="module")
def p():
    return calibrated(GradedBPParams(), "meanfield")


def one_cycle(p, W0, x, t, record=()):
    c = linear_layer_circuit(np.atleast_2d(W0), p, rng=1)
    r = CycleRunner(c, "meanfield", record=list(record))
    out = r.run(np.atleast_2d(x), np.atleast_2d(t))
    return c, r, out


def test_rates_transfer_matches_exact_stage_ratio():
    """One stage of the rate model scales an amplitude by S' (T/tau) exp(-T/tau), S' the coupling
    (``S`` times the exact value; the continuous-time statement), up to the Euler step's error."""
    chain = GradedBPParams().chain
    units, edges = chain_graph(2)
    for S in (0.9, 1.0, 1.1):
        from dataclasses import replace
        q = replace(chain, S=S)
        c = graded_graph_circuit(units, edges, {"stage0": 0.4}, q, rng=0)
        sim = RateSimulator(c, record_state=list(units))
        sim.run_steps(2 + 3 * c.meta["steps_per_window"])
        I1 = sim.state("stage1", "I")[c.meta["window_open"][1] - 1, 0] / float(q.g0)
        I0 = sim.state("stage0", "I")[c.meta["window_open"][0] - 1, 0] / float(q.g0)
        assert I1 / I0 == pytest.approx(stage_ratio(S * s_exact(q.T, q.tau), q.T, q.tau),
                                        rel=0.03)


@pytest.mark.parametrize("o_minus_t", [0.15, -0.1])
def test_split_error_signs(p, o_minus_t):
    W, x = 0.5, 0.4
    t = W * x - o_minus_t
    c, r, _ = one_cycle(p, W, x, t, record=["dp0", "dn0"])
    dp = r.amplitudes("dp0", 3, 0, 1)[0]
    dn = r.amplitudes("dn0", 3, 0, 1)[0]
    assert dp == pytest.approx(max(-o_minus_t, 0), abs=0.01)
    assert dn == pytest.approx(max(o_minus_t, 0), abs=0.01)


def test_memory_holds_input_across_phases(p):
    x = 0.37
    c, r, _ = one_cycle(p, 0.3, x, 0.1, record=[f"m{i}0" for i in range(1, 4)] + ["x0"])
    for i, w in zip(range(1, 4), range(2, 5)):
        assert r.amplitudes(f"m{i}0", w, 0, 1)[0] == pytest.approx(x, abs=0.01)
    g = p.learn_gain
    L = c.meta["windows"]
    for w in (L["potentiate"], L["depress"]):
        # the input fires again, at the learning gain, in both learning windows
        assert r.amplitudes("x0", w, 0, 1)[0] == pytest.approx(g * x, abs=0.01)


@pytest.mark.parametrize("W0,x,t", [(0.3, 0.4, 0.3), (0.8, 0.4, 0.1), (0.5, 0.2, 0.5)])
def test_one_cycle_change_is_the_lms_rule(p, W0, x, t):
    """One cycle's weight change against the rule written out: eta (t - o) x."""
    c, r, out = one_cycle(p, W0, x, t)
    o = out["outputs"][0, 0]
    assert o == pytest.approx(W0 * x, abs=0.01)
    dW = r.weights()[0, 0] - W0
    assert dW == pytest.approx(p.eta * (t - o) * x, abs=0.15 * abs(p.eta * (t - o) * x) + 0.003)


def test_linear_map_meanfield_converges_within_5_percent():
    res = learn_linear_map(cycles=300, mode="meanfield", seed=0)
    assert res["records"][-1]["max_weight_error"] < 0.05
    loss = np.array([r["loss"] for r in res["records"]])
    assert loss[-50:].mean() < 0.05 * loss[:50].mean()


def test_bad_input_is_refused_before_running(p):
    from brian2 import ms
    from dataclasses import replace
    with pytest.raises(UsageError, match="too short"):
        GradedBPParams(chain=replace(GradedBPParams().chain, T=15 * ms))
    with pytest.raises(UsageError, match="graded range"):
        LinearMapTask(A=((-1.0, -1.0),))
    with pytest.raises(UsageError, match="shape"):
        learn_linear_map(W0=np.zeros((2, 2)), cycles=1)
    with pytest.raises(UsageError, match="w_bound"):
        linear_layer_circuit(np.full((1, 1), 5.0), p)


def test_encode_amplitudes_rounds_to_bits():
    bits = encode_amplitudes([[0.5, 0.25, 0.999]], 4)
    assert bits.tolist() == [[1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1]]
