"""Loihi-compartment fields on both backends: fractional biases, v_min/v_max, weight exponents and
float weights.  Each run is checked against the compartment update written out here, step by
step, and the two backends against each other."""

import warnings

import numpy as np
import pytest
from nengo_loihi.block import SynapseConfig
from nengo_loihi.builder.discretize import discretize_weights

from pulsegated.backends.brian2 import Brian2Simulator
from pulsegated.backends.loihi import LoihiSimulator
from pulsegated.circuit import Circuit, LoihiCompartment, SumOfProducts
from pulsegated.errors import UsageError

N_STEPS = 60


def trunc_decay(x: int, d: int) -> int:
    return int(np.sign(x)) * ((abs(int(x)) * (4096 - d)) >> 12)


def reference(m: LoihiCompartment, q: np.ndarray):
    """u, v (raw) and spikes of compartments with raw input q[t, i] arriving at step t."""
    bias = round(m.bias * 64)
    vmin = -(2 ** 23 - 1) if m.v_min is None else round(m.v_min * 64)
    vmax = 2 ** 23 - 1 if m.v_max is None else round(m.v_max * 64)
    n = q.shape[1]
    u, v, refc = [0] * n, [0] * n, [0] * n
    U, V, S = (np.zeros(q.shape, np.int64) for _ in range(3))
    for t in range(q.shape[0]):
        for i in range(n):
            u[i] = trunc_decay(u[i], m.decay_u) + int(q[t, i])
            v[i] = min(max(trunc_decay(v[i], m.decay_v) + u[i] + bias, vmin), vmax)
            if refc[i] > 0:
                v[i] = 0
            if v[i] > m.threshold * 64:
                S[t, i], v[i], refc[i] = 1, 0, m.refractory
            refc[i] = max(refc[i] - 1, 0)
            U[t, i], V[t, i] = u[i], v[i]
    return U, V, S


def input_of(spikes: np.ndarray, w_raw: np.ndarray) -> np.ndarray:
    """Raw input per step: a source spike at t arrives at t + 1."""
    q = np.zeros((N_STEPS, w_raw.shape[1]), np.int64)
    q[1:] = spikes[:-1].astype(np.int64) @ w_raw
    return q


def spike_matrix(sim, pop, n):
    s = np.zeros((N_STEPS, n), np.int64)
    t, i = sim.spikes(pop)
    s[t, i] = 1
    return s


def fields_circuit(seed=0):
    rng = np.random.default_rng(seed)
    spikes = rng.random((N_STEPS, 3)) < 0.4
    spikes[-1] = False
    st, ix = np.nonzero(spikes)
    c = Circuit("fields")
    c.add_source("s", 3, steps=tuple(int(x) for x in st), indices=tuple(int(x) for x in ix))
    # never fires (threshold above v_max): v saturates at both bounds
    sat = LoihiCompartment(threshold=200, bias=-0.984375, decay_u=900, decay_v=300,
                           v_min=-(2 ** 12 - 1) / 64, v_max=(2 ** 13 - 1) / 64)
    fire = LoihiCompartment(threshold=40, bias=3.015625, decay_u=1200, decay_v=500,
                            refractory=2, v_max=(2 ** 15 - 1) / 64)
    c.add_population("sat", 4, sat)
    c.add_population("fire", 4, fire)
    w_float = rng.normal(0, 30, (3, 4))
    w_float[0, 0] = 0.4  # becomes 0
    mant = 2 * rng.integers(-127, 128, (3, 4))
    c.connect("s", "sat", "all_to_all", w_float, name="float")
    c.connect("s", "fire", "all_to_all", mant, weight_exp=-2, name="mant")
    return c, spikes, w_float, mant


@pytest.fixture(scope="module")
def fields_runs():
    c, spikes, w_float, mant = fields_circuit()
    loihi = LoihiSimulator(c, probe_uv={"sat": range(4), "fire": range(4)})
    loihi.run_steps(N_STEPS)
    b2 = Brian2Simulator(c, codegen="numpy", record_state={"sat": ["u", "v"], "fire": ["u", "v"]})
    b2.run_steps(N_STEPS)
    return c, spikes, w_float, mant, loihi, b2


def test_fields_against_the_update_written_out(fields_runs):
    c, spikes, w_float, mant, loihi, b2 = fields_runs
    e = loihi.quantization_report()["float"]["weight_exp"]
    cfg = SynapseConfig(weight_bits=7, weight_exp=e, fanout_type=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w_sat = discretize_weights(cfg, w_float / 2.0 ** e, lossy_shift=True).astype(np.int64)
    w_fire = (mant // 4) * 64  # floor(M * 2**-2) threshold units, then raw
    u, v = loihi.uv()
    for k, (pop, w) in enumerate((("sat", w_sat), ("fire", w_fire))):
        U, V, S = reference(c.populations[pop].model, input_of(spikes, w))
        np.testing.assert_array_equal(u[:, 4 * k:4 * k + 4], U, err_msg=f"loihi u {pop}")
        np.testing.assert_array_equal(v[:, 4 * k:4 * k + 4], V, err_msg=f"loihi v {pop}")
        np.testing.assert_array_equal(spike_matrix(loihi, pop, 4), S, err_msg=f"loihi {pop}")
        np.testing.assert_array_equal(b2.state(pop, "u"), U, err_msg=f"brian2 u {pop}")
        np.testing.assert_array_equal(b2.state(pop, "v"), V, err_msg=f"brian2 v {pop}")
        np.testing.assert_array_equal(spike_matrix(b2, pop, 4), S, err_msg=f"brian2 {pop}")
    # the runs reach what they test: both bounds, spikes, a lossy exponent
    assert v[:, :4].max() == 2 ** 13 - 1 and v[:, :4].min() == -(2 ** 12 - 1)
    assert spike_matrix(loihi, "fire", 4).sum() > 5
    assert np.any(mant % 4) and loihi.quantization_report()["float"]["zeroed"] >= 1


def test_weights_read_back_as_effective_on_both_backends(fields_runs):
    c, _, _, mant, loihi, b2 = fields_runs
    for name in ("float", "mant"):
        np.testing.assert_array_equal(loihi.weights(name), b2.weights(name))
        np.testing.assert_array_equal(loihi.weights(name), c.effective_weight_matrix(name))
    np.testing.assert_array_equal(loihi.weights("mant"), mant // 4)
    np.testing.assert_array_equal(loihi.mantissas("mant"), mant)


def test_plastic_negative_exponent_same_on_both_backends():
    rng = np.random.default_rng(3)
    c = Circuit("plastic_exp")
    for name, n, p in (("pre_src", 4, 0.35), ("post_src", 3, 0.35), ("reward", 1, 0.3)):
        st, ix = np.nonzero(rng.random((N_STEPS - 2, n)) < p)
        c.add_source(name, n, steps=tuple(int(x) for x in st), indices=tuple(int(x) for x in ix))
    c.add_population("pre", 4)
    c.add_population("post", 3, LoihiCompartment(decay_u=4096, decay_v=4096))
    c.connect("pre_src", "pre", "one_to_one", 2048)
    c.connect("post_src", "post", "one_to_one", 2048)
    w0 = 2 * rng.integers(-100, 100, (4, 3))
    c.connect("pre", "post", "all_to_all", w0, weight_exp=-2, name="w",
              plasticity=SumOfProducts.pulse_gated_hebbian(reward="reward", step=2))
    loihi = LoihiSimulator(c, probe_uv={"post": range(3)})
    loihi.run_steps(N_STEPS)
    b2 = Brian2Simulator(c, codegen="numpy", record_state={"post": ["u"]})
    b2.run_steps(N_STEPS)
    m = loihi.mantissas("w")
    assert (m != w0).sum() >= 4                      # learning happened
    np.testing.assert_array_equal(b2.mantissas("w"), m)
    np.testing.assert_array_equal(loihi.weights("w"), m // 4)
    np.testing.assert_array_equal(b2.weights("w"), m // 4)
    np.testing.assert_array_equal(b2.state("post", "u"), loihi.uv()[0])
    for pop in ("pre", "post"):
        np.testing.assert_array_equal(spike_matrix(b2, pop, c.size_of(pop)),
                                      spike_matrix(loihi, pop, c.size_of(pop)))


def test_run_steps_needs_a_non_negative_integer():
    c = Circuit("tiny")
    c.add_population("p", 1)
    sims = [LoihiSimulator(c), Brian2Simulator(c, codegen="numpy")]
    for sim in sims:
        for bad in (1.5, 2.0, True, "3", None):
            with pytest.raises(UsageError, match="n_steps must be a non-negative integer"):
                sim.run_steps(bad)
        with pytest.raises(UsageError, match="n_steps must be a non-negative integer, got -1"):
            sim.run_steps(-1)
        sim.run_steps(np.int64(3))
        sim.run_steps(2)
        assert sim.t == 5


def test_brian2_refuses_delays_on_plastic_sum_of_products():
    c = Circuit("plastic_delay")
    c.add_source("r", 1, steps=(0,))
    c.add_population("a", 2)
    c.add_population("b", 2)
    c.connect("a", "b", "all_to_all", np.zeros((2, 2), int), delay=3, name="w",
              plasticity=SumOfProducts.pulse_gated_hebbian(reward="r"))
    with pytest.raises(UsageError, match="connection 'w': delay=3 on a plastic sum-of-products "
                                         "connection is not supported by the brian2 backend"):
        Brian2Simulator(c, codegen="numpy")
