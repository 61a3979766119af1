"""The emulator against nengo-loihi's integer emulator on random configurations.

Each batch is one run of both emulators over many compartments at once: single compartments driven
by random spike sources, and connected pairs (with synaptic delays; the oracle reproduces a delay by
a relay chain, see ``oracle.py``).  u, v and spikes must be identical at every step.
"""

import numpy as np
import pytest

from pulsegated.backends.loihi.emulator import Emulator
from pulsegated.backends.loihi.registers import program_from_synapses

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
    pre, post, mant, wexp, delay = [], [], [], [], []
    for c in range(n):
        kind = rng.integers(0, 3)  # positive, negative or mixed weights
        # distinct sources per compartment: nengo-loihi's emulator adds the weights of one axon
        # with a fancy-indexed +=, which drops all but one of several synapses onto one target
        for src in rng.choice(n_src, size=rng.integers(1, 4), replace=False):
            m = {0: rng.integers(0, 256), 1: -rng.integers(0, 257), 2: rng.integers(-256, 256)}[kind]
            pre.append(n + src)
            post.append(c)
            mant.append(m)
            # large exponents drive the accumulator and u into wrap-around
            wexp.append(rng.integers(-8, 8) if rng.random() < 0.7 else 7)
            delay.append(rng.integers(0, 7) if rng.random() < 0.4 else 0)
    for c in range(0, n, 3):  # connected pairs c -> c+1 with delays
        if c + 1 < n:
            pre.append(c)
            post.append(c + 1)
            mant.append(rng.integers(-256, 256))
            wexp.append(rng.integers(-4, 8))
            delay.append(rng.integers(0, 6))
    rate = rng.uniform(0.05, 0.6, n_src)
    spikes = [(t, j) for t in range(N_STEPS - 1) for j in range(n_src) if rng.random() < rate[j]]
    return comp, n_src, (pre, post, mant, wexp, delay), spikes


def effective(mant, wexp):
    s = 6 + np.asarray(wexp)
    m = np.asarray(mant, dtype=np.int64)
    return np.where(s >= 0, m << np.maximum(s, 0), m >> np.maximum(-s, 0))


def run_ours(comp, n_src, syn, spikes):
    pre, post, mant, wexp, delay = syn
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
    pre, post, mant, wexp, delay = syn
    w_eff = effective(mant, wexp)
    ou, ov, os_ = run_oracle(comp, n_src, list(zip(pre, post, w_eff, delay)), spikes, N_STEPS)
    for name, a, b in (("u", u, ou), ("v", v, ov), ("spikes", s, os_)):
        bad = np.argwhere(a != b)
        assert bad.size == 0, (f"{name} differs first at step {bad[0][0]}, compartment "
                               f"{bad[0][1]}: ours {a[tuple(bad[0])]}, nengo-loihi "
                               f"{b[tuple(bad[0])]}")


def test_batches_cover_the_hard_cases():
    """The random batches really exercise wrap-around, saturation, refractoriness and delays."""
    totals = {"q": 0, "u": 0, "v": 0, "spikes": 0, "refractory_spikers": 0}
    for batch in range(N_BATCHES):
        comp, n_src, syn, spikes = random_batch(1000 + batch)
        u, v, s, emu = run_ours(comp, n_src, syn, spikes)
        totals["q"] += emu.cnt_q.sum()
        totals["u"] += emu.cnt_u.sum()
        totals["v"] += emu.cnt_v.sum()
        totals["spikes"] += s.sum()
        totals["refractory_spikers"] += int(((comp["refractDelay"] > 2) & s.any(0)).sum())
    assert N_BATCHES * PER_BATCH >= 500
    assert totals["q"] > 10 and totals["u"] > 10 and totals["v"] > 100
    assert totals["spikes"] > 1000 and totals["refractory_spikers"] > 20
