"""Circuit variants (pulsegated.nbp.variants): the rule each states, checked by hand, and every
variant bit-identical between the reference trainer and the spiking circuits."""

import dataclasses

import numpy as np
import pytest

from pulsegated.analysis.activity import activity_violations, format_activity
from pulsegated.errors import UsageError
from pulsegated.nbp import rule
from pulsegated.nbp.network import training_circuit
from pulsegated.nbp.reference import ReferenceBackend, negated_copy, train_epoch
from pulsegated.nbp.spiking import LoihiBackend
from pulsegated.nbp.variants import MAX_SHIFT, PAPER, VARIANTS, Variant, replay_masks, variant

#: every field away from the paper's value
EVERYTHING = Variant("everything", hidden_low=512, output_low=320, hidden_high=1024,
                     output_high=2048, margin=192, halve_at=(2, 3), readout_steps=5,
                     replay_keep=0.6)


def masks(v, X, seed=0):
    """The replay masks of ``X`` for variant ``v`` (None when it replays every pixel)."""
    return replay_masks(seed, 0, *X.shape, v.replay_keep) if v.replay_keep < 1 else None


# ------------------------------------------------------------------------- the rule, by hand
def split(total, n):
    """``n`` even integers in [-256, 254] summing to the even ``total``."""
    base = (total // n) // 2 * 2
    out = [base] * n
    rest = total - base * n
    for k in range(rest // 2):
        out[k] += 2
    assert sum(out) == total and max(out) <= 254 and min(out) >= -256
    return out


def one_step(z1, z2, label, v, n_in=6):
    """Weight changes of one sample with every input on: hidden unit j has ``z1[j]``; output k
    has ``z2[k]`` shared evenly by the hidden units that fire (those with z1 > 512)."""
    W1 = np.array([split(z, n_in) for z in z1], np.int64)
    active = [j for j, z in enumerate(z1) if z > 512]
    W2 = np.zeros((len(z2), len(z1)), np.int64)
    for k, z in enumerate(z2):
        W2[k, active] = split(z, len(active))
    B1, B2 = W1.copy(), W2.copy()
    rule.train_sample(B1, B2, np.ones(n_in, np.uint8), np.eye(len(z2), dtype=np.uint8)[label], v)
    return np.sign(B1 - W1)[:, 0].tolist(), np.sign(B2 - W2)[:, active[0]].tolist()


H = [600] * 8  # eight hidden units at z1 = 600: all fire


def test_margin_sends_errors_inside_the_margin_only():
    """Label 0; outputs (target, other) at the z2 given; the sign of each output's change."""
    m = Variant(margin=128)
    # target at 520: right side of 512 (no error in the paper), inside the margin (d+ = 1)
    assert one_step(H, [520, -100], 0, PAPER)[1] == [0, 0]
    assert one_step(H, [520, -100], 0, m)[1] == [1, 0]
    # target at 642 > 512 + 128: no error; at 640: error (strictly greater clears it)
    assert one_step(H, [642, -100], 0, m)[1] == [0, 0]
    assert one_step(H, [640, -100], 0, m)[1] == [1, 0]
    # other unit at 400 <= 512: fine in the paper, above 512 - 128 with the margin: d- = 1
    assert one_step(H, [700, 400], 0, PAPER)[1] == [0, 0]
    assert one_step(H, [700, 400], 0, m)[1] == [0, -1]
    assert one_step(H, [700, 384], 0, m)[1] == [0, 0]


def test_output_window_edges():
    lo, hi = Variant(output_low=128), Variant(output_high=1024)
    # target silent at -100: outside the paper's window (0, 1024], inside (-128, 1024]
    assert one_step(H, [-100, 0], 0, PAPER)[1] == [0, 0]
    assert one_step(H, [-100, 0], 0, lo)[1] == [1, 0]
    assert one_step(H, [-128, 0], 0, lo)[1] == [0, 0]
    # wrong unit far over threshold at 1500: outside (0, 1024], inside (0, 2048]
    assert one_step(H, [700, 1500], 0, PAPER)[1] == [0, 0]
    assert one_step(H, [700, 1500], 0, hi)[1] == [0, -1]


def test_hidden_window_edges():
    """Unit 0 fires and carries the target's error (z2 = 300 < 512) back; unit 1 sits at -100
    (below the paper's window (0, 1024]) or at 1100 (above it); both see W2 > 0."""
    def d1(z1_second, v):
        W1 = np.array([split(600, 6), split(z1_second, 6)], np.int64)
        W2 = np.array([[100, 200], [0, 0]], np.int64)
        if z1_second > 512:
            W2[0] = [100, 200]  # both fire: z2 = 300
        else:
            W2[0] = [254, 200]  # only unit 0 fires: z2 = 254
        B1 = W1.copy()
        rule.train_sample(B1, W2.copy(), np.ones(6, np.uint8), np.array([1, 0], np.uint8), v)
        return np.sign(B1 - W1)[:, 0].tolist()

    assert d1(-100, PAPER) == [1, 0]
    assert d1(-100, Variant(hidden_low=128)) == [1, 1]
    assert d1(1100, PAPER) == [1, 0]
    assert d1(1100, Variant(hidden_high=1024)) == [1, 1]


def test_halved_step_moves_the_delivered_weight_by_half():
    """With step_shift s a synapse delivers M >> s (floored, per synapse), so doubling the
    mantissas keeps the function (but where they clip) and a step of 2 on a mantissa moves
    the delivered weight by 1, or every other step after two halvings."""
    W1 = np.array([[100, 120, -30]])
    W2 = np.array([[240], [-60]])
    X = np.array([[1, 1, 1], [1, 1, 0]])
    f0 = rule.forward(W1, W2, X)
    f1 = rule.forward(rule.halve_step(W1), rule.halve_step(W2), X, 1)
    assert f0["z1"].tolist() == f1["z1"].tolist() == [[190], [220]]
    assert rule.halve_step(W2).tolist() == [[254], [-120]]  # 480 does not fit the 8-bit range
    # two halvings: 4 * 100 = 400 -> 100, -30 -> -120 -> -30; 402 >> 2 = 100, 406 >> 2 = 101
    M = np.array([[254, -2, 402, 406]])
    f = rule.forward(M, np.zeros((1, 1), np.int64), np.ones((1, 4)), 2)
    assert f["z1"].tolist() == [[63 - 1 + 100 + 101]]


# ------------------------------------------------------------------------- the variants
def test_named_variants_and_errors():
    assert variant(None) is PAPER and variant("paper").is_paper
    assert not any(VARIANTS[k].is_paper for k in VARIANTS if k != "paper")
    assert variant({"margin": 64}).margin == 64
    assert Variant(halve_at=5).halve_at == (5,) and Variant(halve_at=None).halve_at == ()
    for bad, match in [("fancy", "unknown variant 'fancy'; choose one of: paper"),
                       ({"margni": 64}, "unknown field"),
                       ({"margin": 512}, r"margin must be an integer in \[0, 512\)"),
                       ({"margin": 100}, "multiple of 64"),
                       ({"hidden_low": -64}, r"hidden_low must be an integer in \[0, 4096\]"),
                       ({"halve_at": (5, 3)}, "increasing epoch numbers"),
                       ({"halve_at": (1, 2, 3, 4)}, f"at most {MAX_SHIFT}"),
                       ({"readout_steps": -1}, r"readout_steps must be an integer in \[0, 32\]"),
                       ({"readout_steps": 33}, "readout_steps"),
                       ({"readout_steps": 2.0}, "readout_steps"),
                       (3.5, "a name")]:
        with pytest.raises(UsageError, match=match):
            variant(bad)


def test_step_shift_counts_halvings_started():
    v = Variant(halve_at=(3, 5))
    assert [v.step_shift(e, p) for e, p in [(1, 0), (2, 0), (2, 10), (4, 0), (4, 1), (9, 0)]] == \
        [0, 0, 1, 1, 2, 2]
    assert [e for e in range(8) if v.halves_before(e)] == [2, 4]


@pytest.mark.parametrize("name", ["wide", "margin", "halve", "all", "replay", "everything"])
def test_reference_equals_the_plain_rule(name):
    v = EVERYTHING if name == "everything" else VARIANTS[name]
    rng = np.random.default_rng(7)
    W1, W2 = rule.init_weights(40, 25, 6, rng)
    W1, W2 = np.clip(W1 * 3, -256, 254) // 2 * 2, np.clip(W2 * 3, -256, 254) // 2 * 2
    X = (rng.random((300, 40)) < 0.35).astype(np.uint8)
    y = rng.integers(0, 6, 300)
    R = masks(v, X)
    A1, A2, An = W1.copy(), W2.copy(), negated_copy(W2)
    B1, B2, Bn = W1.copy(), W2.copy(), negated_copy(W2)
    for shift, part in enumerate((slice(0, 150), slice(150, 300))):
        for k, (x, t) in enumerate(zip(X[part], np.eye(6, dtype=np.uint8)[y[part]])):
            rule.train_sample(A1, A2, x, t, v, shift, An,
                              replay=None if R is None else R[part][k])
        train_epoch(B1, B2, X[part], y[part], v, shift, Bn,
                    replay=None if R is None else R[part])
        A1, A2, B1, B2 = (rule.halve_step(w) for w in (A1, A2, B1, B2))
        An, Bn = negated_copy(A2), negated_copy(B2)
    np.testing.assert_array_equal(A1, B1)
    np.testing.assert_array_equal(A2, B2)
    P1, P2 = W1.copy(), W2.copy()
    train_epoch(P1, P2, X, y)
    assert (P1 != W1).any()
    assert not np.array_equal(rule.halve_step(rule.halve_step(P1)), A1), "the variant must matter"


def saturating_problem(seed=3, n=160, n_in=30, n_hidden=20, n_out=5):
    rng = np.random.default_rng(seed)
    W1, W2 = rule.init_weights(n_in, n_hidden, n_out, rng)
    W1, W2 = np.clip(W1 * 3, -240, 240), np.clip(W2 * 3, -240, 240)
    X = (rng.random((n, n_in)) < 0.4).astype(np.uint8)
    return W1, W2, X, rng.integers(0, n_out, n)


@pytest.mark.parametrize("name", ["paper", "wide", "margin", "all", "replay", "everything"])
def test_loihi_circuit_bit_identical_across_halvings(name):
    """Each variant on the Loihi emulator: weights equal to the reference (weights driven into
    saturation, two halvings on the way), populations fire only in their phases, and the
    inference circuit reads the reference forward pass."""
    v = EVERYTHING if name == "everything" else VARIANTS[name]
    W1, W2, X, y = saturating_problem()
    R = masks(v, X)
    pops = list(training_circuit(W1, W2, variant=v).populations)
    b = LoihiBackend(W1, W2, variant=v, record=pops)
    r = ReferenceBackend(W1, W2, variant=v)
    for k, part in enumerate((slice(0, 60), slice(60, 110), slice(110, 160))):
        if k:
            b.halve_step()
            r.halve_step()
            assert b.step_shift == r.step_shift == k
        kw = {} if R is None else {"replay": R[part]}
        b.train(X[part], y[part], **kw)
        r.train(X[part], y[part], **kw)
        c = b.circuit
        sp = {p: b.spikes(p) for p in c.populations}
        assert activity_violations(c, sp) == [], format_activity(c, sp)
    changed = (r.weights()[0] != rule.halve_step(rule.halve_step(W1))).sum()
    assert changed > 50, "the run must learn"
    for got, want in zip(b.weights(), r.weights()):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(b.plastic_state()["W2T_minus"],
                                  r.plastic_state().get("W2T_minus", negated_copy(r.weights()[1])))
    inf, ref = b.infer(X), r.infer(X)
    np.testing.assert_array_equal(inf.spikes, ref.spikes)
    np.testing.assert_array_equal(inf.potential, ref.potential)
    if v.readout_steps:
        np.testing.assert_array_equal(inf.first, ref.first)
    else:
        assert inf.first is None and ref.first is None


def test_margin_circuit_has_the_target_connection_and_gate():
    W1, W2, _, _ = saturating_problem()
    c = training_circuit(W1, W2, variant=Variant(margin=192, output_low=320, hidden_high=1024))
    assert c.connections["targets__o_margin"].weight == -384
    assert c.connections["g03__o_gate"].weight == 8704 + 192
    assert c.connections["g03__o_copy_minus_half"].weight == 512 + 320
    assert c.connections["g02__h1_copy2_plus_half"].weight == 8192 - 1024
    assert "targets__o_margin" not in training_circuit(W1, W2).connections
    assert training_circuit(W1, W2, step_shift=2).connections["W1"].weight_exp == -2


def test_brian2_circuit_bit_identical_with_a_halving():
    """The variant with every change on Brian2 (runtime, numpy code generation)."""
    from pulsegated.nbp.spiking import Brian2Backend

    W1, W2, X, y = saturating_problem(seed=4, n=80, n_in=24, n_hidden=16, n_out=4)
    v = EVERYTHING
    R = masks(v, X)
    b = Brian2Backend(W1, W2, variant=v, codegen="numpy", chunk=40)
    r = ReferenceBackend(W1, W2, variant=v)
    b.train(X[:40], y[:40], replay=R[:40])
    r.train(X[:40], y[:40], replay=R[:40])
    b.halve_step()
    r.halve_step()
    b.train(X[40:], y[40:], replay=R[40:])
    r.train(X[40:], y[40:], replay=R[40:])
    assert (r.weights()[0] != rule.halve_step(W1)).sum() > 50, "the run must learn"
    for got, want in zip(b.weights(), r.weights()):
        np.testing.assert_array_equal(got, want)
    inf, ref = b.infer(X, chunk=80), r.infer(X)
    np.testing.assert_array_equal(inf.potential, ref.potential)
    np.testing.assert_array_equal(inf.first, ref.first)
    b.close()


def test_mnist_1500_samples_bit_identical_with_every_change(data_dir):
    """Full-size 400-400-10 circuit on MNIST: 1500 samples with a halving after 800, every
    change on (the replay of half the pixels too)."""
    from pulsegated.data import load_preprocessed

    X, y = load_preprocessed("mnist", "train", data_dir=data_dir)
    order = np.random.default_rng(8).permutation(len(X))[:1500]
    W1, W2 = rule.init_weights(400, 400, 10, 8)
    v = dataclasses.replace(VARIANTS["all"], name="all_replay", replay_keep=0.5)
    R = replay_masks(8, 0, len(order), 400, v.replay_keep)
    b = LoihiBackend(W1, W2, variant=v)
    r = ReferenceBackend(W1, W2, variant=v)
    for part in (slice(0, 800), slice(800, 1500)):
        b.train(X[order[part]], y[order[part]], replay=R[part])
        r.train(X[order[part]], y[order[part]], replay=R[part])
        if b.step_shift == 0:
            b.halve_step()
            r.halve_step()
    L1, R1 = b.weights()[0], r.weights()[0]
    assert (R1 != rule.halve_step(W1)).sum() > 10000
    np.testing.assert_array_equal(L1, R1)
    np.testing.assert_array_equal(b.weights()[1], r.weights()[1])


def test_mnist_wide_windows_output_guard_keeps_the_circuit_exact(data_dir):
    """With the hidden window widened, the phase-7 hidden spikes (positive weights onto the
    erring output) summed past the output's bias in phase 8 on these samples (seed 0): the
    variants' guard gate silences the outputs there, and weights stay identical."""
    from pulsegated.data import load_preprocessed

    X, y = load_preprocessed("mnist", "train", data_dir=data_dir)
    order = np.random.default_rng(0).permutation(len(X))[:300]
    W1, W2 = rule.init_weights(400, 400, 10, 0)
    v = VARIANTS["wide"]
    b = LoihiBackend(W1, W2, variant=v, record=["o"])
    r = ReferenceBackend(W1, W2, variant=v)
    b.train(X[order], y[order])
    r.train(X[order], y[order])
    for got, want in zip(b.weights(), r.weights()):
        np.testing.assert_array_equal(got, want)
    sp = {"o": b.spikes("o")}
    assert activity_violations(b.circuit, sp) == [], format_activity(b.circuit, sp)
    assert "g08__o_guard" in b.circuit.connections
    assert "g08__o_guard" not in training_circuit(W1, W2).connections


# ------------------------------------------------------------------------- the ramp readout
def test_ramp_readout_by_hand():
    """v = max(0, 3 * 128 + z2) in the output phase, +128 per step after, spike when v > 1024
    (then from 0 again): the first spike's step for potentials worked out by hand."""
    z2 = np.array([[700, 600, 640, 641, 0, -500, 2000, -384]])
    # 700: 1084 > 1024 at once; 600: 984, 1112; 640: exactly 1024 does not fire, 1152 does;
    # 0: 384 + 128 k > 1024 first at k = 6; -500: 0 + 128 k > 1024 at k = 9 (after 8 steps);
    # 2000: at once (and again only 9 steps later); -384: the floor, like -500
    assert rule.ramp_readout(z2, 8).tolist() == [[0, 1, 1, 0, 6, -1, 0, -1]]
    assert rule.ramp_readout(z2, 9).tolist() == [[0, 1, 1, 0, 6, 9, 0, 9]]
    assert rule.ramp_readout(z2, 0).tolist() == [[0, -1, -1, 0, -1, -1, 0, -1]]
    assert rule.ramp_readout([[100, 300]], 8, ramp=256).tolist() == [[1, 0]]  # 868, 1124
    # the answer: the earliest neuron, ties and silence to the lowest index
    first = np.array([[3, 1, 1, -1], [-1, -1, -1, -1], [-1, 5, -1, 2]])
    assert rule.first_spike_answer(first).tolist() == [1, 0, 3]


def test_ramp_readout_answers_as_the_potential_does_where_they_differ_by_a_ramp():
    """With outputs far apart the first spike is the potential's argmax; the readout with no
    such gap (in a single step) is the paper's spike readout and can be wrong."""
    rng = np.random.default_rng(2)
    z2 = rng.integers(-400, 400, (500, 10))
    winner = rng.integers(0, 10, 500)
    z2[np.arange(500), winner] = z2.max(axis=1) + 200      # one output well ahead
    answer = rule.first_spike_answer(rule.ramp_readout(z2, 16))
    np.testing.assert_array_equal(answer, winner)


def test_ramp_readout_circuit():
    """The inference circuit's readout population: as documented, and off for the paper's."""
    from pulsegated.nbp.network import inference_circuit

    W1, W2, _, _ = saturating_problem()
    plain = inference_circuit(W1, W2)
    assert "r" not in plain.populations and plain.schedule.n_phases == 4
    c = inference_circuit(W1, W2, readout_steps=6)
    r = c.populations["r"].model
    assert (r.bias, r.decay_u, r.decay_v, r.v_min, r.threshold) == (rule.RAMP, 4096, 0, 0, 1024)
    assert c.schedule.n_phases == 10 and c.activity["r"] == tuple(range(3, 10))
    np.testing.assert_array_equal(c.connections["W2_r"].weight, W2.T)
    assert c.connections["g00__r_inhibit"].weight < -1024 - 3 * rule.RAMP
    with pytest.raises(Exception, match="readout_steps"):
        inference_circuit(W1, W2, readout_steps=-2)


def test_ramp_readout_on_the_emulator_fires_in_its_phases_only():
    from pulsegated.backends import Simulator
    from pulsegated.nbp.network import inference_circuit

    W1, W2, X, _ = saturating_problem()
    c = inference_circuit(W1, W2, readout_steps=8)
    sim = Simulator(c, backend="loihi", record=list(c.populations))
    sim.run_samples({"pixels": X})
    sp = {p: sim.spikes(p) for p in c.populations}
    assert activity_violations(c, sp) == [], format_activity(c, sp)
    assert len(sp["r"][0]) > len(X), "the readout must fire"


# ------------------------------------------------------------------------- replayed pixels
def test_replay_moves_only_the_replayed_columns_of_W1():
    """By hand: one sample with every pixel on and an error; W1 changes by the full step in
    the replayed pixels' columns of the hidden units with an error, nowhere else; W2 learns as
    without the mask."""
    v = VARIANTS["replay"]
    W1 = np.array([split(600, 6), split(600, 6), split(300, 6)], np.int64)  # 2 fire, 1 not
    W2 = np.zeros((2, 3), np.int64)
    W2[0] = [300, 300, 300]                                        # z2 = 600 > 512 on class 0
    x, t = np.ones(6, np.uint8), np.array([0, 1], np.uint8)        # but the target is class 1
    replay = np.array([1, 0, 1, 0, 0, 1], np.uint8)
    A1, A2, B1, B2 = W1.copy(), W2.copy(), W1.copy(), W2.copy()
    rule.train_sample(A1, A2, x, t, v, replay=replay)
    rule.train_sample(B1, B2, x, t, PAPER)
    np.testing.assert_array_equal(A2, B2)
    moved = A1 - W1
    assert (moved[:, replay == 0] == 0).all()
    np.testing.assert_array_equal(moved[:, replay == 1], (B1 - W1)[:, replay == 1])
    assert (moved[:, replay == 1] == -2).all()   # d1 = sign(-W2[0]) for every unit


def test_replay_masks_and_their_checks():
    a = replay_masks(3, 2, 5000, 40, 0.5)
    assert a.dtype == bool and a.shape == (5000, 40)
    assert abs(a.mean() - 0.5) < 0.01
    np.testing.assert_array_equal(a, replay_masks(3, 2, 5000, 40, 0.5))   # (seed, epoch) only
    assert not np.array_equal(a, replay_masks(3, 3, 5000, 40, 0.5))
    assert replay_masks(3, 2, 4, 40, 1.0).all()
    W1, W2, X, y = saturating_problem()
    with pytest.raises(UsageError, match="replay_keep 0.5.*pass replay="):
        ReferenceBackend(W1, W2, variant="replay").train(X, y)
    with pytest.raises(UsageError, match="replays every pixel"):
        ReferenceBackend(W1, W2).train(X, y, replay=np.ones_like(X))
    with pytest.raises(UsageError, match="replay must have the shape"):
        ReferenceBackend(W1, W2, variant="replay").train(X, y, replay=np.ones_like(X[:5]))
    with pytest.raises(UsageError, match="replay_keep must be a probability"):
        Variant(replay_keep=0)
    with pytest.raises(UsageError, match="pass replay="):
        LoihiBackend(W1, W2, variant="replay").train(X, y)


def test_replay_circuit_silences_the_memory_of_the_pixels_not_replayed():
    """On the emulator: m_x6 fires in phase 6 for exactly the active, replayed pixels, and x
    fires again in phases 7 and 11 for exactly those."""
    v = VARIANTS["replay"]
    W1, W2, X, y = saturating_problem(n=20)
    R = replay_masks(1, 0, *X.shape, v.replay_keep)
    c = training_circuit(W1, W2, variant=v)
    assert c.sources["replay_off"].data_phase == 5
    assert c.connections["replay_off__m_x6"].weight == -520
    b = LoihiBackend(W1, W2, variant=v, record=["m_x6", "x"])
    b.train(X, y, replay=R)
    sch = b.circuit.schedule
    for pop, phase in (("m_x6", 6), ("x", 7), ("x", 11)):
        steps, idx = b.spikes(pop)
        ph = (steps - sch.t0) % sch.n_phases
        sample = (steps - sch.t0) // sch.n_phases
        got = np.zeros(X.shape, bool)
        got[sample[ph == phase], idx[ph == phase]] = True
        np.testing.assert_array_equal(got, (X & R).astype(bool), err_msg=f"{pop} {phase}")
    assert (X & ~R.astype(bool)).sum() > 50
