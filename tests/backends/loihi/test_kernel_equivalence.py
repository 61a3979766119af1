"""The emulator's kernel against a frozen copy of its first version, on random chip programs.

Every result must be identical bit for bit: u and v of every compartment at every step, recorded
spikes, weight mantissas, learning flags and traces, overflow counters, operation counters and the
state of the stochastic-rounding model; runs are split into chunks of random lengths (so that
learning epochs and delays cross the boundaries of ``run`` calls).  The random programs cover what
the kernel distinguishes: segment lengths 1 to 60 (one-to-one, one-to-all, all-to-all), delays
0..6, weight exponents -8..7 (with accumulator and current wrap-around and voltage saturation),
refractory periods, learning rules with and without traces, coincidence-only or not, epochs of 1 to
5 steps, reward channels, clipping, weight precisions 1, 2 and 4, deterministic and stochastic
rounding, plastic connections from sources and compartments.
"""

import numpy as np
import pytest

from pulsegated.backends.loihi import LoihiSimulator
from pulsegated.backends.loihi import registers as R
from pulsegated.backends.loihi.emulator import Emulator
from pulsegated.nbp import rule
from pulsegated.nbp.network import training_circuit

from tests.backends.loihi.frozen_emulator import Emulator as FrozenEmulator


def random_compartments(rng, n, lively):
    """Raw registers; ``lively``: low thresholds and positive biases (many spikes)."""
    vth = rng.integers(1, 200, n) if lively else np.where(rng.random(n) < 0.5,
                                                         rng.integers(1, 2000, n),
                                                         rng.integers(1, 1 << 17, n))
    bias = np.where(rng.random(n) < 0.5, 0, rng.integers(-300 if lively else -4096, 4096, n))
    comp = {
        "decayU": np.where(rng.random(n) < 0.3, rng.choice([0, 4095], n),
                           rng.integers(0, 4096, n)),
        "decayV": np.where(rng.random(n) < 0.3, rng.choice([0, 4096], n),
                           rng.integers(0, 4097, n)),
        "vthMant": vth, "biasMant": bias, "biasExp": rng.integers(0, 8, n),
        "refractDelay": np.where(rng.random(n) < 0.6, rng.integers(1, 4, n),
                                 rng.integers(1, 64, n)),
    }
    vmax = np.where(rng.random(n) < 0.3, (1 << rng.integers(8, 23, n)) - 1, (1 << 23) - 1)
    vmin = np.where(rng.random(n) < 0.3, -((1 << rng.integers(0, 23, n)) - 1), -vmax)
    comp["vMax"], comp["vMin"] = vmax, vmin
    return {k: np.asarray(v, dtype=np.int64) for k, v in comp.items()}


def random_rule(rng, name, w_start, pre0, post0, n_pre, n_post, reward_pre):
    n_terms = int(rng.integers(1, 5))
    scales, facts = [], np.zeros((n_terms, len(R.FACTORS)), np.int8)
    traced = rng.random() < 0.5
    coinc = rng.random() < 0.4
    for z in range(n_terms):
        scales.append(int(rng.choice([rng.integers(-300, 300), rng.integers(-32768, 32768),
                                      rng.choice([-2, 4, 1, -1])])))
        if coinc:
            facts[z, 0] = facts[z, 1] = 1
        else:
            facts[z, rng.integers(0, 2)] = 1
            facts[z, 0] |= rng.random() < 0.3
            facts[z, 1] |= rng.random() < 0.3
        # trace factors also in rules without trace impulses (their traces stay 0)
        for f in (2, 3, 4, 5, 6, 7, 8):
            if rng.random() < (0.3 if traced or f < 4 else 0.05):
                facts[z, f] = 1
    imp = np.zeros(6, np.int64)
    dec = np.full(6, 4096, np.int64)
    imp[5] = 1
    if traced:
        imp[:5] = rng.integers(0, 128, 5) * (rng.random(5) < 0.8)
        dec[:5] = rng.choice([0, 4096, 100, 1000, 3000], 5)
    if rng.random() < 0.5:
        imp[5] = rng.integers(0, 128)
        dec[5] = rng.choice([0, 4096, 2048, 500])
    step = int(rng.choice([1, 2, 4]))
    lo, hi = (-256, 254) if rng.random() < 0.6 else (-100, 120)
    return R.LearningRule(connection=name, w_start=w_start, pre_start=pre0, post_start=post0,
                          n_pre=n_pre, n_post=n_post, t_epoch=int(rng.choice([1, 1, 2, 3, 5])),
                          term_scale=np.array(scales, np.int64), term_factors=facts,
                          reward_pre=reward_pre, w_min=lo, w_max=hi, w_step=step,
                          trace_impulse=imp, trace_decay=dec)


def random_program(seed):
    """A random chip program laid out as :func:`discretize` lays one out (segments by pre)."""
    rng = np.random.default_rng(seed)
    lively = rng.random() < 0.7
    pop_sizes = rng.integers(1, 45, int(rng.integers(2, 6)))
    src_sizes = rng.integers(1, 20, int(rng.integers(1, 4)))
    n = int(pop_sizes.sum())
    comp = random_compartments(rng, n, lively)
    pop_start = np.concatenate([[0], np.cumsum(pop_sizes)])[:-1]
    src_start = n + np.concatenate([[0], np.cumsum(src_sizes)])[:-1]
    groups = [(int(a), int(s)) for a, s in zip(pop_start, pop_sizes)] + \
             [(int(a), int(s)) for a, s in zip(src_start, src_sizes)]
    n_pre_total = n + int(src_sizes.sum())
    pre_l, post_l, w_l, len_l, delay_l, shift_l, mant_l, learning = [], [], [], [], [], [], [], []
    w_start = 0
    max_delay = 0
    for ci in range(int(rng.integers(3, 12))):
        pre0, n_pre = groups[rng.integers(0, len(groups))]
        pi = int(rng.integers(0, len(pop_sizes)))
        post0, n_post = int(pop_start[pi]), int(pop_sizes[pi])
        pattern = rng.choice(["all_to_all", "all_to_all", "one_to_one", "one_to_all"])
        if pattern == "one_to_one" and n_pre != n_post:
            pattern = "all_to_all"
        if pattern == "one_to_all" and n_pre != 1:
            n_pre = 1
        delay = int(rng.integers(0, 7)) if rng.random() < 0.5 else 0
        max_delay = max(max_delay, delay)
        wexp = int(rng.choice([rng.integers(-8, 8), 0, 7]))
        mode = rng.integers(0, 3)
        k = n_pre * n_post if pattern == "all_to_all" else n_post
        mant = {0: rng.integers(0, 256, k), 1: -rng.integers(0, 256, k),
                2: 2 * rng.integers(-128, 128, k)}[int(mode)]
        if rng.random() < 0.3:
            mant = mant * (rng.random(k) < 0.2)
        if pattern == "all_to_all":
            pre = pre0 + np.arange(n_pre)
            post = np.full(n_pre, post0)
            wseg = w_start + np.arange(n_pre) * n_post
            length = np.full(n_pre, n_post)
            if rng.random() < 0.4:
                reward = int(rng.integers(-1, n_pre_total))
                learning.append(random_rule(rng, f"c{ci}", w_start, pre0, post0, n_pre, n_post,
                                            reward))
        elif pattern == "one_to_one":
            pre = pre0 + np.arange(n_post)
            post = post0 + np.arange(n_post)
            wseg = w_start + np.arange(n_post)
            length = np.ones(n_post, np.int64)
        else:
            pre, post = np.array([pre0]), np.array([post0])
            wseg, length = np.array([w_start]), np.array([n_post])
        pre_l.append(pre)
        post_l.append(post)
        w_l.append(wseg)
        len_l.append(length)
        delay_l.append(np.full(len(pre), delay))
        shift_l.append(np.full(len(pre), 6 + wexp))
        mant_l.append(np.asarray(mant, np.int64))
        w_start += k
    pre = np.concatenate(pre_l)
    order = np.argsort(pre, kind="stable")
    ptr = np.zeros(n_pre_total + 1, np.int64)
    np.cumsum(np.bincount(pre, minlength=n_pre_total), out=ptr[1:])
    cat = lambda lst: np.concatenate(lst)[order].astype(np.int64)  # noqa: E731
    pop_slices = {f"p{i}": (int(a), int(a + s)) for i, (a, s) in
                  enumerate(zip(pop_start, pop_sizes))}
    src_slices = {f"s{i}": (int(a), int(a + s)) for i, (a, s) in
                  enumerate(zip(src_start, src_sizes))}
    prog = R.ChipProgram(**comp, seg_ptr=ptr, seg_post=cat(post_l), seg_w=cat(w_l),
                         seg_len=cat(len_l), seg_delay=cat(delay_l), seg_shift=cat(shift_l),
                         weightMant=np.concatenate(mant_l), pop_slices=pop_slices,
                         src_slices=src_slices, learning=learning, n_delay_slots=max_delay + 2)
    rate = rng.uniform(0.02, 0.5, n_pre_total - n)
    n_steps = int(rng.integers(60, 160))
    st, ix = np.nonzero(rng.random((n_steps, n_pre_total - n)) < rate)
    return prog, n_steps, st.astype(np.int64), (n + ix).astype(np.int64), rng


STATE = ("u", "v", "refc", "spiked", "wmant", "x0", "y0", "xtr", "ytr", "r1", "r0", "rew_prev",
         "cnt_q", "cnt_u", "cnt_v", "cnt_spk", "cnt_act", "cnt_lrn", "rng_state", "t")


def assert_same(new, old, where):
    for name in STATE:
        a, b = getattr(new, name), getattr(old, name)
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=f"{name} {where}")
    np.testing.assert_array_equal(new.rec_n, old.rec_n, err_msg=f"rec_n {where}")
    k = int(old.rec_n[0])
    np.testing.assert_array_equal(new.rec_t[:k], old.rec_t[:k], err_msg=f"rec_t {where}")
    np.testing.assert_array_equal(new.rec_i[:k], old.rec_i[:k], err_msg=f"rec_i {where}")
    for x, y in zip(new.uv(), old.uv()):
        np.testing.assert_array_equal(x, y, err_msg=f"u/v {where}")


@pytest.mark.parametrize("seed", range(60))
def test_random_programs_identical_to_frozen_kernel(seed):
    prog, n_steps, st, sp, rng = random_program(seed)
    n = prog.n_compartments
    if seed % 2:  # repeated source spikes, in random order within a step (only steps are sorted)
        dup = rng.integers(0, len(st), len(st) // 10)
        st, sp = np.concatenate([st, st[dup]]), np.concatenate([sp, sp[dup]])
        order = np.lexsort((rng.random(len(st)), st))
        st, sp = st[order], sp[order]
    rounding = "stochastic" if seed % 3 == 2 else "deterministic"
    record = [p for p in prog.pop_slices if rng.random() < 0.7]
    probe = rng.choice(n, size=int(rng.integers(0, n + 1)), replace=False)
    emus = [cls(prog, record=record, probe_uv=probe, rounding=rounding, seed=seed)
            for cls in (Emulator, FrozenEmulator)]
    t = 0
    while t < n_steps:
        k = int(min(n_steps - t, rng.choice([1, 2, 7, 30, 200])))
        m = (st >= t) & (st < t + k)
        for e in emus:
            e.run(k, st[m], sp[m])
        t += k
        assert_same(*emus, f"after step {t} (seed {seed})")
        if rng.random() < 0.3:  # new mantissas for a random range (static or plastic synapses)
            nw = len(prog.weightMant)
            a = int(rng.integers(0, nw))
            b = int(rng.integers(a, nw + 1))
            m = 2 * rng.integers(-128, 128, b - a)
            emus[0].set_mantissas(a, m)
            emus[1].wmant[a:b] = m
    assert emus[1].cnt_spk.sum() > 0


def test_nbp_training_circuit_identical_to_frozen_kernel():
    """The full 400-400-10 training circuit, 40 random samples in chunks: same weights, counts."""
    rng = np.random.default_rng(7)
    W1, W2 = rule.init_weights(400, 400, 10, 3)
    c = training_circuit(W1, W2)
    sims = [LoihiSimulator(c, record=["h1", "o"], record_state={"o": ["u", "v"]})
            for _ in range(2)]
    old = sims[1]
    old.emulator = FrozenEmulator(old.program, record=["h1", "o"], probe_uv=old._probe_index)
    X = (rng.random((40, 400)) < 0.36).astype(np.uint8)
    T = np.eye(10, dtype=np.uint8)[rng.integers(0, 10, 40)]
    for a, b in ((0, 1), (1, 13), (13, 40)):
        for s in sims:
            s.run_samples({"pixels": X[a:b], "targets": T[a:b]})
        assert_same(sims[0].emulator, old.emulator, f"after sample {b}")
    assert sims[0].operation_counts()["learning_coincidences"] > 1000


def test_weights_outside_8_bits_are_refused():
    """Mantissas are stored as int16: programs and rules that could leave 8 bits are refused."""
    prog, *_ = random_program(1)
    prog.weightMant = prog.weightMant.copy()
    prog.weightMant[0] = 300
    with pytest.raises(ValueError, match="8-bit"):
        Emulator(prog)
    prog, *_ = random_program(3)
    assert prog.learning
    prog.learning[0].w_max = 1000
    with pytest.raises(ValueError, match="8-bit"):
        Emulator(prog)
