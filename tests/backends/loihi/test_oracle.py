"""The emulator against nengo-loihi's integer emulator on random configurations.

Each batch is one run of both emulators over many compartments at once: single compartments driven
by random spike sources, and connected pairs (with synaptic delays; the oracle reproduces a delay by
a relay chain, see ``oracle.py``).  u, v and spikes must be identical at every step.

The effective weights given to the oracle are computed from our stored mantissas with nengo-loihi's
own functions (its ``SynapseConfig.shift_bits`` and the two-part ``shift`` of
``discretize_weights``), never with the package's formula.
"""

import warnings

import numpy as np
import pytest
from nengo_loihi.block import SynapseConfig
from nengo_loihi.builder.discretize import discretize_weights, shift

from pulsegated.backends.loihi import LoihiSimulator
from pulsegated.backends.loihi.emulator import Emulator
from pulsegated.backends.loihi.registers import program_from_synapses
from pulsegated.circuit import Circuit, LoihiCompartment

from pulsegated.backends.loihi.oracle import run_oracle

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

N_BATCHES = 10
PER_BATCH = 60          # configurations per batch: 600 in all
N_STEPS = 80


def random_batch(seed: int):
    rng = np.random.default_rng(seed)
    n = PER_BATCH
    pick = lambda choices, p=None: rng.choice(choices, size=n, p=p)  # noqa: E731
    comp = {
        # decays: extremes often (0, 4095/4096), otherwise anything
        "decayU": np.where(rng.random(n) < 0.3, pick([0, 4095]), rng.integers(0, 4096, n)),
        "decayV": np.where(rng.random(n) < 0.3, pick([0, 4096]), rng.integers(0, 4097, n)),
        "vthMant": np.where(rng.random(n) < 0.5, rng.integers(1, 2000, n),
                            rng.integers(1, 1 << 17, n)),
        "biasMant": np.where(rng.random(n) < 0.4, 0, rng.integers(-4096, 4096, n)),
        "biasExp": rng.integers(0, 8, n),
        "refractDelay": np.where(rng.random(n) < 0.5, rng.integers(1, 4, n),
                                 rng.integers(1, 64, n)),
    }
    # v saturation: a third of the compartments get a narrow range
    vmax = np.where(rng.random(n) < 0.33, (1 << rng.integers(8, 23, n)) - 1, (1 << 23) - 1)
    comp["vMax"] = vmax
    comp["vMin"] = -vmax
    n_src = 40
    pre, post, mant, wexp, delay, mixed = [], [], [], [], [], []
    for c in range(n):
        kind = rng.integers(0, 3)  # positive, negative or mixed weights
        # distinct sources per compartment: nengo-loihi's emulator adds the weights of one axon
        # with a fancy-indexed +=, which drops all but one of several synapses onto one target
        for src in rng.choice(n_src, size=rng.integers(1, 4), replace=False):
            # mixed: even mantissas in -254..254 (nengo-loihi cannot hold -256, see below)
            m = {0: rng.integers(0, 256), 1: -rng.integers(0, 256),
                 2: 2 * rng.integers(-127, 128)}[kind]
            pre.append(n + src)
            post.append(c)
            mant.append(m)
            mixed.append(kind == 2)
            wexp.append(random_exponent(rng))
            delay.append(rng.integers(0, 7) if rng.random() < 0.4 else 0)
    for c in range(0, n, 3):  # connected pairs c -> c+1 with delays, mixed weights
        if c + 1 < n:
            pre.append(c)
            post.append(c + 1)
            mant.append(2 * rng.integers(-127, 128))
            mixed.append(True)
            wexp.append(random_exponent(rng))
            delay.append(rng.integers(0, 6))
    rate = rng.uniform(0.05, 0.6, n_src)
    spikes = [(t, j) for t in range(N_STEPS - 1) for j in range(n_src) if rng.random() < rate[j]]
    return comp, n_src, (pre, post, mant, wexp, delay, mixed), spikes


def random_exponent(rng) -> int:
    """Half negative (-8..-1), a quarter 0..6, a quarter 7 (drives q and u into wrap-around)."""
    r = rng.random()
    if r < 0.5:
        return int(rng.integers(-8, 0))
    return int(rng.integers(0, 7)) if r < 0.75 else 7


def nengo_effective(mant: int, wexp: int, mixed: bool) -> int:
    """Raw effective weight of a stored mantissa, computed by nengo-loihi's own functions.

    nengo-loihi stores ``mant / 2**shift_bits`` (half the mantissa in mixed mode), shifts it by
    ``shift_bits + weight_exp`` (its ``shift``: right shift for negative amounts), then by 6.
    """
    cfg = SynapseConfig(weight_bits=7, weight_exp=int(wexp), fanout_type=int(mixed))
    s = cfg.shift_bits
    stored = np.array([mant], dtype=np.int32) // (1 << s)
    assert stored[0] * (1 << s) == mant, "mixed mantissas are even"
    assert -(2 ** (8 - s) - 1) <= stored[0] <= 2 ** (8 - s) - 1, "in nengo-loihi's range"
    w = shift(stored, s + cfg.weight_exp)
    return int(np.left_shift(w, 6)[0])


def run_ours(comp, n_src, syn, spikes):
    pre, post, mant, wexp, delay, _ = syn
    prog = program_from_synapses(comp, n_src, pre, post, mant, wexp, delay)
    n = len(comp["vthMant"])
    emu = Emulator(prog, record=("c",), probe_uv=range(n))
    st = np.array([s for s, _ in spikes], dtype=np.int64)
    sp = np.array([n + j for _, j in spikes], dtype=np.int64)
    emu.run(N_STEPS, st, sp)
    u, v = emu.uv()
    t, i = emu.spikes("c")
    spiked = np.zeros((N_STEPS, n), bool)
    spiked[t, i] = True
    return u, v, spiked, emu


@pytest.mark.parametrize("batch", range(N_BATCHES))
def test_identical_to_nengo_loihi(batch):
    comp, n_src, syn, spikes = random_batch(1000 + batch)
    u, v, s, emu = run_ours(comp, n_src, syn, spikes)
    pre, post, mant, wexp, delay, mixed = syn
    w_eff = [nengo_effective(m, e, x) for m, e, x in zip(mant, wexp, mixed)]
    ou, ov, os_ = run_oracle(comp, n_src, list(zip(pre, post, w_eff, delay)), spikes, N_STEPS)
    for name, a, b in (("u", u, ou), ("v", v, ov), ("spikes", s, os_)):
        bad = np.argwhere(a != b)
        assert bad.size == 0, (f"{name} differs first at step {bad[0][0]}, compartment "
                               f"{bad[0][1]}: ours {a[tuple(bad[0])]}, nengo-loihi "
                               f"{b[tuple(bad[0])]}")


def test_batches_cover_the_hard_cases():
    """The random batches really exercise wrap-around, saturation, refractoriness and delays.

    Saturation is read off nengo-loihi's v (compartments whose v sits at a bound of a narrow
    range) and must be what our emulator counted; the configurations compared are distinct.
    """
    totals = {"q": 0, "u": 0, "v": 0, "spikes": 0, "refractory_spikers": 0, "saturated": 0}
    configurations = set()
    for batch in range(N_BATCHES):
        comp, n_src, syn, spikes = random_batch(1000 + batch)
        u, v, s, emu = run_ours(comp, n_src, syn, spikes)
        totals["q"] += emu.cnt_q.sum()
        totals["u"] += emu.cnt_u.sum()
        totals["v"] += emu.cnt_v.sum()
        totals["spikes"] += s.sum()
        totals["refractory_spikers"] += int(((comp["refractDelay"] > 2) & s.any(0)).sum())
        pre, post, mant, wexp, delay, mixed = syn
        w_eff = [nengo_effective(m, e, x) for m, e, x in zip(mant, wexp, mixed)]
        _, ov, _ = run_oracle(comp, n_src, list(zip(pre, post, w_eff, delay)), spikes, N_STEPS)
        narrow = comp["vMax"] < (1 << 23) - 1
        at_bound = narrow & ((ov == comp["vMax"]) | (ov == comp["vMin"])).any(axis=0)
        assert np.all(emu.cnt_v[at_bound] > 0), "a v at its bound that was never clipped"
        totals["saturated"] += int(at_bound.sum())
        for c in range(len(comp["vthMant"])):
            inputs = tuple(sorted((int(p), int(m), int(e), int(d))
                                  for p, q, m, e, d in zip(pre, post, mant, wexp, delay) if q == c))
            configurations.add((tuple(int(comp[k][c]) for k in sorted(comp)), inputs))
    assert len(configurations) >= 500
    assert totals["q"] > 10 and totals["u"] > 10 and totals["v"] > 100
    assert totals["saturated"] > 20
    assert totals["spikes"] > 1000 and totals["refractory_spikers"] > 20


def test_batches_cover_negative_exponents_and_signs():
    """Plenty of negative exponents, with mantissas whose low bits the chip drops, of each sign."""
    wexp, mant, mixed = [], [], []
    for batch in range(N_BATCHES):
        syn = random_batch(1000 + batch)[2]
        mant += list(syn[2])
        wexp += list(syn[3])
        mixed += list(syn[5])
    wexp, mant, mixed = np.array(wexp), np.array(mant), np.array(mixed)
    neg = wexp < 0
    assert set(wexp[neg]) == set(range(-8, 0)) and neg.sum() > 0.4 * len(wexp)
    lossy = neg & (mant % (1 << np.maximum(-wexp, 0)) != 0)
    for sel in (mant > 0, (mant < 0) & ~mixed, (mant < 0) & mixed, (mant > 0) & mixed):
        assert (lossy & sel).sum() > 30


def one_spike_u(mant, wexp) -> np.ndarray:
    """Our u (raw) one step after one spike through each (mantissa, exponent) synapse."""
    n = len(mant)
    comp = {"decayU": [4095] * n, "decayV": [4096] * n, "vthMant": [(1 << 17) - 1] * n,
            "biasMant": [0] * n, "biasExp": [0] * n, "refractDelay": [1] * n,
            "vMin": [-(1 << 23) + 1] * n, "vMax": [(1 << 23) - 1] * n}
    prog = program_from_synapses(comp, n, n + np.arange(n), np.arange(n), mant, wexp, 0)
    emu = Emulator(prog, probe_uv=range(n))
    emu.run(2, np.zeros(n, np.int64), n + np.arange(n))
    return emu.uv()[0][1]


def test_issue_table_and_floor_direction():
    """The chip shifts the mantissa first (floor), then scales by 2**6."""
    cases = [(2, -2, 0), (6, -2, 64), (-2, -2, -64), (254, -7, 64), (100, -8, 0),
             (-1, -1, -64), (-255, -8, -64), (255, -8, 0), (3, 1, 384)]
    mant, wexp, chip = (list(x) for x in zip(*cases))
    np.testing.assert_array_equal(one_spike_u(mant, wexp), chip)
    nengo = [nengo_effective(m, e, False) for m, e in zip(mant, wexp)]
    np.testing.assert_array_equal(nengo, chip)


def test_mixed_minus_256_follows_the_rule_for_every_exponent():
    """nengo-loihi's mixed mode holds -254..254 only; -256 against the rule written out:
    floor(-256 * 2**e) * 64 with Python's floor division."""
    exps = list(range(-8, 8))
    rule = [(-256 * 2 ** e) * 64 if e >= 0 else (-256 // 2 ** -e) * 64 for e in exps]
    np.testing.assert_array_equal(one_spike_u([-256] * len(exps), exps), rule)
    # and -254 (nengo-loihi can hold it) agrees with nengo-loihi for every exponent
    np.testing.assert_array_equal(one_spike_u([-254] * len(exps), exps),
                                  [nengo_effective(-254, e, True) for e in exps])


# ----------------------------------------------------------------- float weights: the discretizer
def nengo_quantize(W: np.ndarray, wexp: int) -> np.ndarray:
    """nengo-loihi's raw effective weights for float threshold-unit weights W at exponent wexp."""
    mixed = bool(W.min() < 0 < W.max())
    cfg = SynapseConfig(weight_bits=7, weight_exp=wexp, fanout_type=int(mixed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Lost N extra bits in weight rounding"
        return discretize_weights(cfg, W / 2.0 ** wexp, lossy_shift=True).astype(np.int64)


@pytest.mark.parametrize("seed", range(8))
def test_float_weights_quantized_like_nengo_loihi(seed):
    rng = np.random.default_rng(seed)
    n_pre, n_post = 6, 7
    c = Circuit("floats")
    c.add_population("p", n_post, LoihiCompartment(threshold=(1 << 17) - 1))
    c.add_source("s", n_pre, steps=(0,) * n_pre, indices=tuple(range(n_pre)))
    scales = [0.3, 1.7, 3.7, 40.0, 127.4, 300.0, 5000.0, 30000.0]
    sign = (1, -1, 0, 0, 1, 0, -1, 0)[seed]
    W = rng.normal(0, scales[seed], (n_pre, n_post))
    W = np.abs(W) * sign if sign else W
    W[rng.random(W.shape) < 0.1] = 0.0
    c.connect("s", "p", "all_to_all", W, name="w")
    sim = LoihiSimulator(c, probe_uv={"p": range(n_post)})
    rep = sim.quantization_report()["w"]
    e = rep["weight_exp"]
    eff = sim.weights("w")
    ref = nengo_quantize(W, e)
    np.testing.assert_array_equal(eff * 64, ref)
    # the exponent chosen has the smallest maximum error of all that nengo-loihi could use
    errors = {x: np.abs(nengo_quantize(W, x) / 64 - W).max() for x in range(-8, 8)}
    assert errors[e] == min(errors.values())
    # the report against the loss computed from nengo-loihi's weights
    err = ref / 64 - W
    assert rep["max_abs_error"] == pytest.approx(np.abs(err).max())
    assert rep["rms_error"] == pytest.approx(np.sqrt(np.mean(err ** 2)))
    assert rep["zeroed"] == int(((W != 0) & (ref == 0)).sum())
    # delivered: one spike of every source; u one step later is the column sum, wrapped like the
    # chip's input accumulator (22-bit signed) and u (24-bit signed)
    sim.run_steps(2)
    wrap = lambda x, bits: (x + 2 ** (bits - 1)) % 2 ** bits - 2 ** (bits - 1)  # noqa: E731
    np.testing.assert_array_equal(sim.uv()[0][1], wrap(wrap(ref.sum(axis=0), 22), 24))


def test_float_weight_report_shows_the_loss():
    c = Circuit("lossy")
    c.add_population("p", 3, LoihiCompartment())
    c.add_source("s", 1, steps=(0,))
    c.connect("s", "p", "one_to_all", np.array([0.3, 2.5, 700.0]), name="w")
    c.connect("s", "p", "one_to_all", np.array([3, -5, 7]), name="odd_mixed")
    sim = LoihiSimulator(c)
    rep = sim.quantization_report()
    # 700 needs exponent >= 2 (700 / 4 = 175): 0.3 -> 0, 2.5 -> 4 (round(0.625) = 1), 700 -> 700
    assert rep["w"] == {"max_abs_error": 1.5, "rms_error": pytest.approx(np.sqrt((0.09 + 2.25) / 3)),
                        "zeroed": 1, "weight_exp": 2}
    np.testing.assert_array_equal(sim.weights("w")[0], [0, 4, 700])
    # odd mixed integers: exponent -1, mantissas 2w, exact
    assert rep["odd_mixed"] == {"max_abs_error": 0.0, "rms_error": 0.0, "zeroed": 0,
                                "weight_exp": -1}
    np.testing.assert_array_equal(sim.mantissas("odd_mixed")[0], [6, -10, 14])
    np.testing.assert_array_equal(sim.weights("odd_mixed")[0], [3, -5, 7])
