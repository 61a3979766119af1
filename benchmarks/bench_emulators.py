"""Speed of the Loihi integer emulator against nengo-loihi's (and brian2-loihi's, if importable).

Two measurements, both printed with the machine:

1. **One generated random network, chip-sized, run by every emulator.**  3300 compartments and 100
   spike sources (3400 presynaptic neurons), 500 000 synapses: every presynaptic neuron reaches
   ``500 000 / 3400`` (rounded, the remainder spread) distinct random compartments; mixed-sign
   8-bit mantissas (even integers in [-254, 254]) with weight exponent 0, no synaptic delay
   (nengo-loihi's emulator has none); compartments with random current and voltage decays,
   thresholds, small positive or negative biases and refractory periods of 1-3 steps; the sources
   fire at random with probability 0.1 per step.  Everything is drawn from
   ``numpy.random.default_rng(seed)`` (``--seed``, default 0).  The emulators run it in turns
   (``--repeats`` rounds of ``--steps`` steps each, interleaved, all spikes recorded) and the spike
   rasters of the first round are compared (they must be identical).  Printed: ms per step
   (min and median over the rounds) and the ratio to this package's emulator.

2. **nBP training** on this package's emulator (the 12-phase 400-400-10 circuit, 3282
   compartments, built-in MNIST digits): ms per sample (min and median over ``--repeats`` rounds
   of ``--samples`` samples), beside the "1 ns per operation" bound computed from the operation
   counts of the same run (``LoihiSimulator.operation_counts()``): synaptic events + learning
   updates (the pre/post coincidences, the only synapses nBP's ``x0 y0`` rule changes) +
   compartment updates, at 1 ns each.

    python benchmarks/bench_emulators.py [--steps 200] [--repeats 5] [--samples 500] [--seed 0]
"""

import argparse
import os
import time
import warnings

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from machine import describe  # noqa: E402

N_COMP, N_SRC, N_SYN = 3300, 100, 500_000
SRC_RATE = 0.1


def random_network(seed: int) -> dict:
    """The generated network: raw registers, synapses (pre, post, mantissa), source spikes."""
    rng = np.random.default_rng(seed)
    n = N_COMP
    comp = {
        "decayU": rng.integers(200, 2000, n),            # register; effective decay is + 1
        "decayV": rng.integers(100, 1000, n),
        "vthMant": rng.integers(3000, 6000, n),
        "biasMant": rng.integers(-200, 300, n),
        "biasExp": np.full(n, 4),
        "refractDelay": rng.integers(1, 4, n),
        "vMin": np.full(n, -(2 ** 23 - 1)),
        "vMax": np.full(n, 2 ** 23 - 1),
    }
    n_pre = N_COMP + N_SRC
    fan = np.full(n_pre, N_SYN // n_pre)
    fan[: N_SYN - fan.sum()] += 1
    pre = np.repeat(np.arange(n_pre), fan)
    # distinct targets per presynaptic neuron (nengo-loihi adds the weights of one axon with a
    # fancy-indexed +=, which would count a repeated target once)
    post = np.concatenate([rng.choice(n, size=f, replace=False) for f in fan])
    mant = 2 * rng.integers(-127, 128, N_SYN)
    return {"comp": {k: np.asarray(v, np.int64) for k, v in comp.items()}, "pre": pre,
            "post": post, "mant": mant, "rng": rng}


def source_spikes(rng, n_steps: int):
    st, ix = np.nonzero(rng.random((n_steps, N_SRC)) < SRC_RATE)
    return st.astype(np.int64), ix.astype(np.int64)


class Ours:
    name = "pulsegated (this package)"

    def __init__(self, net, st, ix):
        from pulsegated.backends.loihi.emulator import Emulator
        from pulsegated.backends.loihi.registers import program_from_synapses
        prog = program_from_synapses(net["comp"], N_SRC, net["pre"], net["post"], net["mant"],
                                     0, 0)
        self.emu = Emulator(prog, record=("c",))
        self.st, self.sp = st, N_COMP + ix
        Emulator(prog).run(1)  # compile, or load from numba's cache

    def run(self, n_steps):
        e = self.emu
        m = (self.st >= e.t) & (self.st < e.t + n_steps)
        e.run(n_steps, self.st[m], self.sp[m])

    def raster(self, n_steps):
        t, i = self.emu.spikes("c")
        out = np.zeros((n_steps, N_COMP), bool)
        keep = t < n_steps
        out[t[keep], i[keep]] = True
        return out


class NengoLoihi:
    """nengo-loihi 1.1.0's ``EmulatorInterface`` driven directly (as in
    :mod:`pulsegated.backends.loihi.oracle`): one block of raw registers, the compartments' axon
    and an input axon from a ``SpikeInput``; a source spike we emit at step ``s`` is added to it at
    ``t = s + 1``, and its probe row ``s`` is our step ``s``."""

    name = "nengo-loihi 1.1.0 EmulatorInterface"

    def __init__(self, net, st, ix):
        with warnings.catch_warnings():  # its casts of NaN placeholders warn
            warnings.simplefilter("ignore")
            self._build(net, st, ix)

    def _build(self, net, st, ix):
        from nengo_loihi.block import Axon, LoihiBlock, Synapse
        from nengo_loihi.builder import Model
        from nengo_loihi.emulator import EmulatorInterface
        from nengo_loihi.inputs import SpikeInput
        from nengo_loihi.probe import LoihiProbe
        comp, n = net["comp"], N_COMP
        model = Model()
        blk = LoihiBlock(n)
        c = blk.compartment
        c.decay_u = comp["decayU"].astype(np.int32)
        c.decay_v = comp["decayV"].astype(np.int32)
        c.vth = (comp["vthMant"] << 6).astype(np.int32)
        c.bias = (comp["biasMant"] << comp["biasExp"]).astype(np.int32)
        c.refract_delay = comp["refractDelay"].astype(np.int32)
        c.vmin, c.vmax = comp["vMin"].astype(np.int32), comp["vMax"].astype(np.int32)
        c.scale_u = c.scale_v = False
        model.add_block(blk)
        eff = (net["mant"] << 6).astype(np.int32)  # weight exponent 0
        bounds = np.searchsorted(net["pre"], np.arange(N_COMP + N_SRC + 1))

        def synapse(pres):
            s = Synapse(len(pres))
            s._set_weights_indices(
                [eff[bounds[p]:bounds[p + 1]] for p in pres],
                indices=[net["post"][bounds[p]:bounds[p + 1]].astype(np.int32) for p in pres],
                weight_dtype=np.int32)
            return s
        s_rec = synapse(range(n))
        blk.add_synapse(s_rec)
        ax = Axon(n)
        ax.target = s_rec
        blk.add_axon(ax)
        inp = SpikeInput(N_SRC)
        s_in = synapse(range(n, n + N_SRC))
        blk.add_synapse(s_in)
        ax_in = Axon(N_SRC)
        ax_in.target = s_in
        inp.add_axon(ax_in)
        model.add_input(inp)
        for t in np.unique(st):
            inp.add_spikes(int(t) + 1, ix[st == t].tolist())
        self.probe = LoihiProbe(target=blk, key="spiked")
        model.add_probe(self.probe)
        self.emu = EmulatorInterface(model)
        self.emu.__enter__()

    def run(self, n_steps):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.emu.run_steps(n_steps)

    def raster(self, n_steps):
        return np.asarray(self.emu.collect_probe_output(self.probe))[:n_steps].astype(bool)


def brian2_loihi_status() -> str | None:
    try:
        import brian2_loihi  # noqa: F401
    except ImportError:
        return "brian2-loihi: not importable here (not installed); not measured"
    return None


def bench_network(args):
    net = random_network(args.seed)
    total = args.steps * (args.repeats + 1)
    st, ix = source_spikes(net["rng"], total)
    t0 = time.perf_counter()
    emus = [Ours(net, st, ix)]
    build = {emus[0].name: time.perf_counter() - t0}
    t0 = time.perf_counter()
    emus.append(NengoLoihi(net, st, ix))
    build[emus[1].name] = time.perf_counter() - t0
    times = {e.name: [] for e in emus}
    for r in range(args.repeats + 1):  # round 0: warm-up, compared spike for spike
        for e in emus:
            t0 = time.perf_counter()
            e.run(args.steps)
            dt = time.perf_counter() - t0
            if r:
                times[e.name].append(1000 * dt / args.steps)
    rasters = [e.raster(args.steps) for e in emus]
    same = all(np.array_equal(rasters[0], x) for x in rasters[1:])
    rate = rasters[0].mean()
    events = N_SYN / (N_COMP + N_SRC) * (rasters[0].sum() / args.steps + N_SRC * SRC_RATE)
    print(f"random network (seed {args.seed}): {N_COMP} compartments, {N_SRC} sources, {N_SYN} "
          f"synapses; {100 * rate:.1f} % of compartments fire per step, ~{events:.0f} synaptic "
          f"events per step; {args.repeats} rounds of {args.steps} steps, interleaved")
    print(f"spike rasters of the first {args.steps} steps identical: {same}")
    ours = np.median(times[emus[0].name])
    print(f"{'emulator':<40}{'ms/step min':>12}{'median':>10}{'x slower':>10}{'build s':>9}")
    for e in emus:
        v = times[e.name]
        print(f"{e.name:<40}{min(v):>12.4f}{np.median(v):>10.4f}{np.median(v) / ours:>10.1f}"
              f"{build[e.name]:>9.1f}")
    ratios = np.array(times[emus[1].name]) / np.array(times[emus[0].name])
    print(f"nengo-loihi / pulsegated per round: min {ratios.min():.1f}x, median "
          f"{np.median(ratios):.1f}x")
    status = brian2_loihi_status()
    if status:
        print(status)
    return same


def bench_nbp(args):
    from pulsegated.backends.loihi import LoihiSimulator
    from pulsegated.data.builtin import load_builtin
    from pulsegated.nbp import rule
    from pulsegated.nbp.network import training_circuit

    X, y = load_builtin("train")
    need = args.samples * (args.repeats + 1)
    X, y = np.resize(X, (need, X.shape[1])), np.resize(y, need)
    T = np.eye(10, dtype=np.uint8)[y]
    W1, W2 = rule.init_weights(400, 400, 10, 0)
    sim = LoihiSimulator(training_circuit(W1, W2), record=[])
    sim.prepare()
    times = []
    for r in range(args.repeats + 1):
        a, b = r * args.samples, (r + 1) * args.samples
        if r == 1:
            sim.reset_operation_counts()
        t0 = time.perf_counter()
        sim.run_samples({"pixels": X[a:b], "targets": T[a:b]})
        if r:
            times.append(1000 * (time.perf_counter() - t0) / args.samples)
    oc = sim.operation_counts()
    n = int(oc["samples"])
    ev, lu, cu = (int(oc[k]) / n for k in ("synaptic_events", "learning_coincidences",
                                           "compartment_updates"))
    bound = (ev + lu + cu) * 1e-6
    print(f"nBP training, 400-400-10 (3282 compartments), built-in MNIST digits, {args.repeats} "
          f"rounds of {args.samples} samples after one warm-up round")
    print(f"per sample: {ev:.0f} synaptic events + {lu:.0f} learning updates (coincidences) + "
          f"{cu:.0f} compartment updates -> 1-ns bound {bound:.3f} ms")
    print(f"emulator: {min(times):.3f} ms/sample min, {np.median(times):.3f} median = "
          f"{min(times) / bound:.2f}x / {np.median(times) / bound:.2f}x the 1-ns bound")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200, help="steps per round (default: 200)")
    ap.add_argument("--repeats", type=int, default=5, help="timed rounds (default: 5)")
    ap.add_argument("--samples", type=int, default=500,
                    help="nBP samples per round (default: 500)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the network (default: 0)")
    args = ap.parse_args()
    print(describe())
    bench_network(args)
    bench_nbp(args)


if __name__ == "__main__":
    main()
