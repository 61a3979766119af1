"""The linear-map circuit on Loihi integer arithmetic (``pulsegated.gradedbp.chip``)."""

import numpy as np
import pytest
from brian2 import Hz, ms

from pulsegated.errors import UsageError
from pulsegated.gradedbp.chip import (OPEN_WINDOW, SHUT_BIAS, ChipCycleRunner, ChipGradedParams,
                                      chip_linear_circuit, learn_linear_map_chip,
                                      plastic_exponent)
from pulsegated.gradedbp.tasks import LinearMapTask

P = ChipGradedParams()


def mean_amplitudes(runner, x, t, repeats=40):
    """Mean amplitudes of every role over ``repeats`` cycles without learning (the phases
    rotate from cycle to cycle)."""
    acc = [runner.run_cycle(np.asarray(x, float), np.asarray(t, float), learn=False)
           for _ in range(repeats)]
    return {r: np.mean([a[r] for a in acc], axis=0) for r in acc[0]}


def test_registers_follow_from_the_parameters():
    """Threshold = u_unit / (g0 dt); the current decay is 4096 dt / tau; the plastic matrix's
    exponent is the smallest whose 255 mantissas reach w_bound."""
    assert P.threshold == 122880
    assert P.decay_u == 41
    e = plastic_exponent(P)
    w = P.unit_weight("x")
    assert 255 * 2 ** e >= P.w_bound * w and (e == 0 or 255 * 2 ** (e - 1) < P.w_bound * w)
    c = chip_linear_circuit(3, 2, P)
    m = c.populations["o"].model
    assert (m.threshold, m.bias, m.decay_u, m.decay_v, m.v_min) == (122880, SHUT_BIAS, 41, 0, 0)
    assert c.connections["x__o_neg"].sign_mode == "inhibitory"


def test_relay_weight_sets_the_receiving_current():
    """A coupling of factor 1 makes the receiving unit's current, in the chip's own integer
    state when its window opens, equal to the sender's amplitude times u_unit -- for a sender at
    a constant rate (xs -> x) and one at its decaying current (x -> o)."""
    r = ChipCycleRunner([[1.0]], P, seed=3, record_state={"x": "u", "o": "u"})
    s = P.steps
    ratios = {"x": [], "o": []}
    for k in range(12):
        t0 = r.sim.t
        a = r.run_cycle(np.array([0.45]), np.array([0.0]), learn=False)
        for recv, sender in (("x", "xs"), ("o", "x")):
            u = r.sim.state(recv, "u")
            row = t0 + OPEN_WINDOW[recv] * s - 1   # after the last step before its window
            got = u[row].mean() / 64.0 / P.u_unit
            ratios[recv].append(got / a[sender][0])
    for recv in ratios:
        assert np.mean(ratios[recv]) == pytest.approx(1.0, abs=0.03), recv


@pytest.mark.parametrize("amp", [0.1, 0.3, 0.6])
def test_identity_map_carries_the_amplitude(amp):
    """W = 1: a sender at a constant rate carries its amplitude to within the reset's
    compression (each spike loses its overshoot: about g0 dt / 2 per unit amplitude, 2.5 % at
    1) and a spike of rounding; each relay of a decaying unit adds up to 9 % (README: the spike
    times of the phase ramp)."""
    r = ChipCycleRunner([[1.0]], P, seed=1)
    m = mean_amplitudes(r, [amp], [0.0])
    assert m["xs"][0] == pytest.approx(amp, abs=0.005 + 0.025 * amp)
    assert m["x"][0] == pytest.approx(m["xs"][0], rel=0.09)
    assert m["o"][0] == pytest.approx(m["x"][0], rel=0.09)
    assert r.stray_spikes == 0


@pytest.mark.parametrize("x,t", [(0.2, 0.5), (0.5, 0.2), (0.35, 0.35)])
def test_split_errors(x, t):
    """d+ = [t - o]^+ and d- = [o - t]^+ with positive rates; the unit of the wrong sign stays
    (nearly) silent."""
    r = ChipCycleRunner([[1.0]], P, seed=2)
    m = mean_amplitudes(r, [x], [t])
    o, tt = m["o"][0], m["t"][0]
    assert m["dp"][0] == pytest.approx(max(tt - o, 0.0), abs=0.01 + 0.09 * abs(tt - o))
    assert m["dn"][0] == pytest.approx(max(o - tt, 0.0), abs=0.01 + 0.09 * abs(tt - o))
    wrong = m["dn"][0] if t > x else m["dp"][0] if t < x else 0.0
    assert wrong < 0.005


def test_host_update_is_the_rounded_rule():
    """After a cycle every mantissa moved by eta (d+ - d-) x w, rounded down or up (stochastic
    rounding), w the mantissas per coupling factor; the chip holds what the host wrote."""
    W0 = np.array([[0.1, -0.2], [0.3, 0.0]])
    r = ChipCycleRunner(W0, P, seed=4)
    for x, t in (([0.5, 0.2], [0.1, 0.6]), ([0.1, 0.4], [0.5, 0.05])):
        M0 = r.M.copy()
        a = r.run_cycle(np.array(x), np.array(t))
        dm = P.eta * np.outer(a["dp"] - a["dn"], x) * r.w
        step = r.M - M0
        assert np.all((step == np.floor(dm)) | (step == np.ceil(dm)))
        assert np.any(step != 0)
        n = P.n
        held = (r.sim.weights("x__o_pos") + r.sim.weights("x__o_neg"))[::n, ::n]
        assert np.array_equal(held, r.M.T << r.circuit.meta["plastic_exp"])


def test_learns_the_linear_map_near_the_mean_field():
    """300 cycles: every weight within 6 % of max |A| of its target (README: 3.0-5.1 % over
    seeds 0-2), and of the float mean field's weights after the same inputs."""
    from pulsegated.gradedbp.learn import learn_linear_map

    chip = learn_linear_map_chip(cycles=300, seed=0)
    mf = learn_linear_map(cycles=300, mode="meanfield", seed=0)
    A = chip["A"]
    scale = np.abs(A).max()
    assert np.array_equal(chip["x"], mf["x"])       # the same inputs, cycle by cycle
    # the same initial weights, on the chip rounded to a mantissa (1 / w coupling factors)
    w = P.unit_weight("x") / 2 ** plastic_exponent(P)
    assert np.abs(chip["W_history"][0] - mf["W_history"][0]).max() <= 0.5 / w + 1e-12
    assert np.abs(chip["W_history"][-1] - A).max() / scale < 0.06
    assert np.abs(chip["W_history"][-1] - mf["W_history"][-1]).max() / scale < 0.06
    assert chip["stray_spikes"] == 0
    losses = [r["loss"] for r in chip["records"]]
    assert np.mean(losses[-50:]) < 0.05 * np.mean(losses[:10])


def test_bad_input_is_refused_before_running():
    r = ChipCycleRunner([[0.5]], P)
    with pytest.raises(UsageError, match="x must lie in"):
        r.run_cycle(np.array([1.5]), np.array([0.2]))
    with pytest.raises(UsageError, match="x must have 1"):
        r.run_cycle(np.array([0.1, 0.2]), np.array([0.2]))
    assert r.sim.t == 0
    with pytest.raises(UsageError, match="W0 must lie in"):
        ChipCycleRunner([[2.0]], P)
    with pytest.raises(UsageError, match="W0 must have A's shape"):
        learn_linear_map_chip(LinearMapTask(), cycles=2, W0=np.zeros((2, 2)))
    with pytest.raises(UsageError, match="u_unit"):
        ChipGradedParams(u_unit=6145)
    with pytest.raises(UsageError, match="whole number of steps"):
        ChipGradedParams(T=20.05 * ms)
    with pytest.raises(UsageError, match="threshold"):
        ChipGradedParams(g0=400 * Hz)
