"""The learning engine in its general sum-of-products form, against a plain model of the rule."""

import numpy as np
import pytest

from pulsegated.backends.loihi import LoihiSimulator
from pulsegated.circuit import Circuit, LoihiCompartment, SumOfProducts

N_PRE, N_POST, STEPS = 3, 4, 120


def build(rule, seed=0):
    rng = np.random.default_rng(seed)
    c = Circuit("learning")
    # pre/post fire exactly when their own source drove them (plastic input stays below threshold)
    c.add_population("pre", N_PRE, LoihiCompartment(threshold=1024))
    c.add_population("post", N_POST, LoihiCompartment(threshold=1024))
    trains = {}
    for name, n in (("pre_src", N_PRE), ("post_src", N_POST)):
        st, ix = np.nonzero(rng.random((STEPS - 2, n)) < 0.3)
        c.add_source(name, n, steps=tuple(int(s) for s in st), indices=tuple(int(i) for i in ix))
        trains[name] = (st, ix)
    st = np.flatnonzero(rng.random(STEPS - 2) < 0.2)
    c.add_source("reward", 1, steps=tuple(int(s) for s in st))
    c.connect("pre_src", "pre", "one_to_one", 3072)
    c.connect("post_src", "post", "one_to_one", 3072)
    w0 = rng.integers(-60, 60, (N_PRE, N_POST)) * 2
    c.connect("pre", "post", "all_to_all", w0, plasticity=rule, name="plastic")
    return c, trains, st, w0


def decay(x, d):
    return int(np.sign(x)) * ((abs(int(x)) * (4096 - d)) >> 12)


def plain_model(rule, trains, reward_steps, w0):
    """The rule spelled out step by step (spikes: a source spike at s makes its neuron fire at
    s + 1; the reward spike at s arrives at s + 1)."""
    pre = np.zeros((STEPS, N_PRE), bool)
    post = np.zeros((STEPS, N_POST), bool)
    pre[trains["pre_src"][0] + 1, trains["pre_src"][1]] = True
    post[trains["post_src"][0] + 1, trains["post_src"][1]] = True
    rew = np.zeros(STEPS, bool)
    rew[reward_steps + 1] = True
    tr = {n: (0, 4096) for n in ("x1", "x2", "y1", "y2", "y3")}
    tr["r1"] = (1, 4096)
    for name, imp, dec in rule.traces:
        tr[name] = (imp, dec)
    w = w0.astype(np.int64).copy()
    x = {"x1": np.zeros(N_PRE, int), "x2": np.zeros(N_PRE, int)}
    y = {"y1": np.zeros(N_POST, int), "y2": np.zeros(N_POST, int), "y3": np.zeros(N_POST, int)}
    r1 = 0
    x0 = np.zeros(N_PRE, bool)
    y0 = np.zeros(N_POST, bool)
    r0 = False
    for t in range(STEPS):
        x0 |= pre[t]
        y0 |= post[t]
        for k in x:
            x[k] = np.array([min(decay(v, tr[k][1]) + tr[k][0] * s, 127) for v, s in zip(x[k], pre[t])])
        for k in y:
            y[k] = np.array([min(decay(v, tr[k][1]) + tr[k][0] * s, 127) for v, s in zip(y[k], post[t])])
        r0 |= rew[t]
        r1 = min(decay(r1, tr["r1"][1]) + tr["r1"][0] * rew[t], 127)
        if (t + 1) % rule.t_epoch:
            continue
        for i in range(N_PRE):
            for j in range(N_POST):
                if not (x0[i] or y0[j]):
                    continue
                val = {"x0": int(x0[i]), "y0": int(y0[j]), "r0": int(r0), "r1": r1,
                       "x1": x["x1"][i], "x2": x["x2"][i], "y1": y["y1"][j], "y2": y["y2"][j],
                       "y3": y["y3"][j]}
                dw = sum(s * int(np.prod([val[f] for f in fs])) for s, fs in rule.terms)
                dw = int(np.sign(dw)) * (abs(dw) // 2) * 2
                w[i, j] = min(max(w[i, j] + dw, rule.wmin), rule.wmax)
        x0[:] = False
        y0[:] = False
        r0 = False
    return w


RULES = {
    "nbp": SumOfProducts.pulse_gated_hebbian(reward="reward"),
    "stdp_like": SumOfProducts(terms=((3, ("x0", "y1")), (-2, ("y0", "x1"))), t_epoch=1,
                               traces=(("x1", 40, 1024), ("y1", 30, 2048))),
    "epoch4_reward": SumOfProducts(terms=((2, ("x0", "y0", "r0")), (1, ("x0", "y2", "r1")),
                                          (-1, ("y0", "x2"))), t_epoch=4, reward="reward",
                                   traces=(("x2", 25, 512), ("y2", 17, 300), ("r1", 5, 1000))),
}


@pytest.mark.parametrize("name", list(RULES))
def test_sum_of_products_matches_plain_model(name):
    rule = RULES[name]
    c, trains, reward_steps, w0 = build(rule)
    sim = LoihiSimulator(c)
    sim.run_steps(STEPS)
    got = sim.weights("plastic")
    expected = plain_model(rule, trains, reward_steps, w0)
    assert (expected != w0).sum() >= 4, "the rule must actually change weights"
    np.testing.assert_array_equal(got, expected)


def test_stochastic_rounding_is_seeded():
    rule = SumOfProducts(terms=((3, ("x0", "y1")), (-5, ("y0", "x1"))), t_epoch=1,
                         traces=(("x1", 33, 700), ("y1", 21, 900)))
    c, *_ = build(rule)
    runs = []
    for seed in (1, 1, 2):
        sim = LoihiSimulator(c, rounding="stochastic", seed=seed)
        sim.run_steps(STEPS)
        runs.append(sim.weights("plastic"))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
    assert all(not np.any(w % 2) for w in runs)
    det = LoihiSimulator(c)
    det.run_steps(STEPS)
    assert not np.array_equal(det.weights("plastic"), runs[0])
