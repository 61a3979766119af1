import numpy as np
import pytest

from pulsegated.sgsc.copy import copy_matrix, cycles_needed


def test_copy_error_falls_geometrically_below_five_percent():
    """Per column and cycle L e_i <- L e_i + eta (K - L) e_i, so |L - K| = (1 - eta)^c |L0 - K|."""
    K = np.random.default_rng(0).uniform(0, 1, (6, 6))
    res = copy_matrix(K, eta=0.3, cycles=12, rng=1)
    e = res["errors"]
    np.testing.assert_allclose(e, e[0] * 0.7 ** np.arange(13), rtol=1e-9)
    n = cycles_needed(0.3, e[0])
    assert n == int(np.ceil(np.log(0.05 / e[0]) / np.log(0.7)))
    assert e[n] <= 0.05 < e[n - 1]


def test_copy_rejects_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        copy_matrix(-np.ones((2, 2)))
    with pytest.raises(ValueError, match="eta"):
        copy_matrix(np.ones((2, 2)), eta=1.5)


# ------------------------------------------------------------------------------ spiking copy
from dataclasses import replace  # noqa: E402

from brian2 import Hz, ms  # noqa: E402

from pulsegated.sgsc.copy import (CopyParams, copy_circuit, copy_constants,  # noqa: E402
                                  run_copy)

#: documented in the README: the spiking copy is below 5 % after this many cycles
DOCUMENTED_CYCLES = 10
#: documented in the README: measured decay per cycle (the mean field's is 1 - eta = 0.7)
DOCUMENTED_DECAY = 0.75


@pytest.fixture(scope="module")
def spiking_copy():
    """The default circuit (200 neurons per unit) copying a 3 x 3 matrix, 12 cycles."""
    K = np.random.default_rng(0).uniform(0.1, 1.0, (3, 3))
    return run_copy(K, cycles=12, seed=1, codegen="numpy", progress=False)


def test_spiking_copy_falls_below_five_percent(spiking_copy):
    e = spiking_copy["errors"]
    assert e[0] > 0.4
    assert np.all(e[DOCUMENTED_CYCLES:] <= 0.05)
    # every entry, not only the norm
    np.testing.assert_allclose(spiking_copy["L"], spiking_copy["K"], atol=0.05)


def test_spiking_copy_follows_the_mean_field_decay(spiking_copy):
    """Against the mean field's statement |L - K| = (1 - eta)^c |L0 - K| (from the same L0):
    the spiking error decays geometrically by the README's 0.75 per cycle (nominal 0.7)."""
    e = spiking_copy["errors"][:9]
    mf = copy_matrix(spiking_copy["K"], eta=0.3, cycles=8, L0=spiking_copy["L0"])["errors"]
    np.testing.assert_allclose(mf, mf[0] * 0.7 ** np.arange(9), rtol=1e-9)
    assert e[0] == pytest.approx(mf[0], rel=0.02)  # the same start, as the circuit holds it
    rate = np.exp(np.polyfit(np.arange(9), np.log(e), 1)[0])
    assert rate == pytest.approx(DOCUMENTED_DECAY, abs=0.04)
    # never faster than the mean field, and within a factor (0.75 / 0.7)^c of it
    c = np.arange(9)
    assert np.all(e[1:] >= 0.9 * mf[1:])
    assert np.all(e <= 1.15 * mf * (DOCUMENTED_DECAY / 0.7) ** c)


def test_copy_constants_follow_the_euler_decay():
    """Independent statements: a unit's current decays by d = 1 - dt/tau per step, s = T/dt steps
    per window (d^s = 0.96^50 here); B's input is topped up to the amplitude before each of its
    openings in windows 1, 2 and 5; q keeps (1 + d^s) d^(2s) of its depression-window current
    in the potentiation window; the relay passes the rest."""
    q = CopyParams()
    const = copy_constants(q)
    ds = 0.96 ** 50
    assert const["steps_per_window"] == 50
    assert const["injection"][1] == pytest.approx(0.4, rel=1e-12)
    assert const["injection"][2] == pytest.approx(0.4 * (1 - ds), rel=1e-9)
    assert const["injection"][5] == pytest.approx(0.4 * (1 - ds ** 3), rel=1e-9)
    assert const["residual"] == pytest.approx((1 + ds) * ds ** 2, rel=1e-9)
    assert const["relay"] == pytest.approx(1 - (1 + ds) * ds ** 2, rel=1e-12)


def test_copy_params_take_quantities():
    with pytest.raises(TypeError, match=r"CopyParams.trace_tau must be a time \(e.g. 5\*ms\)"):
        CopyParams(trace_tau=5.0)
    assert CopyParams().chain.T == 40 * ms and CopyParams().chain.g0 == 1000 * Hz


def test_copy_circuit_describes_both_circuits():
    K = np.array([[0.2, 0.5], [0.7, 0.1], [0.3, 0.3]])
    c = copy_circuit(K, np.zeros_like(K))
    plastic = [n for n, conn in c.connections.items() if conn.plastic]
    assert sorted(plastic) == sorted(f"x{j}__q{k}" for k in range(3) for j in range(2))
    w = c.connections["xa1__ya0"].weight
    assert np.allclose(w, w.flat[0]) and w.flat[0] > 0
    assert c.schedule.n_phases == 8 * c.meta["steps_per_window"]
    assert set(c.sources) >= {"present_w1", "present_w2", "present_w5", "present_a"}


@pytest.mark.parametrize("kwargs, message", [
    (dict(K=-np.ones((2, 2))), "non-negative"),
    (dict(L0=np.zeros((3, 2))), "L0 must be non-negative with K's shape"),
    (dict(K=np.full((2, 2), 1.5)), "must stay below 0.5"),
    (dict(q=replace(CopyParams(), eta=0.0)), "eta must lie in"),
    (dict(q=replace(CopyParams(), amplitude=1.2)), "amplitude must lie in"),
    (dict(q=replace(CopyParams(), chain=replace(CopyParams().chain, jitter=0.5 * ms))),
     "without jitter"),
    (dict(q=replace(CopyParams(), trace_tau=0.5 * ms)), "trace_tau must exceed the time step"),
])
def test_copy_circuit_rejects_bad_input(kwargs, message):
    args = dict(K=np.full((2, 2), 0.5), L0=np.zeros((2, 2)), q=CopyParams())
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        copy_circuit(**args)


def test_run_copy_rejects_bad_cycles():
    with pytest.raises(ValueError, match="cycles must be a positive integer"):
        run_copy(np.full((2, 2), 0.5), cycles=0)
