"""nengo-loihi's integer emulator driven directly, as an independent oracle.

Needs the ``oracle`` extra (``pip install pulsegated[oracle]``: nengo 4.1.0, nengo-loihi 1.1.0).

Step convention: our step ``s`` is nengo-loihi's probe row ``s`` (its ``t = s + 1``); a source spike
that we emit at step ``s`` is added to nengo-loihi at ``t = s + 1`` (it arrives one step later in
both: at our step ``s + 1``).  nengo-loihi has no synaptic delays: a delay ``d`` between two
compartments is reproduced on the oracle side by a chain of ``d`` relay compartments (memoryless,
threshold 1, no refractory period, weight 2**12 raw), each adding exactly one step.
"""

import warnings

import numpy as np


def _run_oracle(comp: dict, n_sources: int, syn: list, source_spikes: list, n_steps: int):
    """Run nengo-loihi on raw registers (same arguments as
    :func:`~pulsegated.backends.loihi.registers.program_from_synapses`, weights effective raw).

    Note: nengo-loihi adds the weights of one axon with a fancy-indexed ``+=``, so two synapses
    from one presynaptic neuron onto one compartment count once there (the chip adds both): give
    such pairs distinct presynaptic neurons when comparing.

    ``syn``: list of (pre, post, effective raw weight, delay) with pre < n (compartment) or
    n + j (source j).  ``source_spikes``: list of (step, source index) in our convention.
    Returns u, v (n_steps, n) int64 and spiked (n_steps, n) bool for the n real compartments.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nengo_loihi.block import Axon, LoihiBlock, Synapse
        from nengo_loihi.builder import Model
        from nengo_loihi.emulator import EmulatorInterface
        from nengo_loihi.inputs import SpikeInput
        from nengo_loihi.probe import LoihiProbe

    n = len(comp["vthMant"])
    rec = {}       # compartment (or relay) -> list of (post, raw weight)
    src_rows = {}  # (source, delay) -> list of (post, raw weight)
    n_total = n
    for pre, post, w, d in syn:
        if pre >= n:
            src_rows.setdefault((pre - n, d), []).append((post, w))
            continue
        prev = pre
        for _ in range(d):  # relay chain: one step per relay
            rec.setdefault(prev, []).append((n_total, 1 << 12))
            prev = n_total
            n_total += 1
        rec.setdefault(prev, []).append((post, w))
    model = Model()
    blk = LoihiBlock(n_total)
    c = blk.compartment
    def fill(name, values, relay_value):
        arr = np.full(n_total, relay_value, dtype=np.int32)
        arr[:n] = values
        setattr(c, name, arr)
    fill("decay_u", comp["decayU"], 4095)
    fill("decay_v", comp["decayV"], 4096)
    fill("vth", np.asarray(comp["vthMant"]) << 6, 0)
    fill("bias", np.asarray(comp["biasMant"]) << np.asarray(comp["biasExp"]), 0)
    fill("refract_delay", comp["refractDelay"], 1)
    vmin = np.full(n_total, -(2 ** 23) + 1, dtype=np.int64)
    vmax = np.full(n_total, 2 ** 23 - 1, dtype=np.int64)
    vmin[:n] = comp["vMin"]
    vmax[:n] = comp["vMax"]
    c.vmin, c.vmax = vmin.astype(np.int32), vmax.astype(np.int32)
    c.scale_u = c.scale_v = False
    model.add_block(blk)

    def synapse(rows_w, rows_i):
        s = Synapse(len(rows_w))
        s._set_weights_indices([np.array([w], dtype=np.int32) for w in rows_w],
                               indices=[np.array([i], dtype=np.int32) for i in rows_i],
                               weight_dtype=np.int32)
        return s
    rw = [[w for _, w in rec.get(i, [(0, 0)])] for i in range(n_total)]
    ri = [[p for p, _ in rec.get(i, [(0, 0)])] for i in range(n_total)]
    s_rec = synapse(rw, ri)
    blk.add_synapse(s_rec)
    ax = Axon(n_total)
    ax.target = s_rec
    blk.add_axon(ax)

    # sources: one input axon per (source, delay) pair, spikes shifted by the delay
    keys = sorted(src_rows)
    if keys:
        inp = SpikeInput(len(keys))
        s_in = synapse([[w for _, w in src_rows[k]] for k in keys],
                       [[p for p, _ in src_rows[k]] for k in keys])
        blk.add_synapse(s_in)
        ax_in = Axon(len(keys))
        ax_in.target = s_in
        inp.add_axon(ax_in)
        model.add_input(inp)
        by_step = {}
        for step, j in source_spikes:
            for a, (src, d) in enumerate(keys):
                if src == j and step + d + 1 <= n_steps:
                    by_step.setdefault(step + d + 1, []).append(a)
        for t, idx in sorted(by_step.items()):
            inp.add_spikes(t, sorted(idx))
    probes = {k: LoihiProbe(target=blk, key=k) for k in ("current", "voltage", "spiked")}
    for p in probes.values():
        model.add_probe(p)
    with EmulatorInterface(model) as emu:
        emu.run_steps(n_steps)
        out = {k: np.asarray(emu.collect_probe_output(p)) for k, p in probes.items()}
    return (out["current"][:, :n].astype(np.int64), out["voltage"][:, :n].astype(np.int64),
            out["spiked"][:, :n].astype(bool))


def run_oracle(comp: dict, n_sources: int, syn: list, source_spikes: list, n_steps: int):
    """See :func:`_run_oracle`; nengo-loihi's own warnings (overflow notices, casts of its NaN
    placeholders) are silenced: the comparison itself is what counts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _run_oracle(comp, n_sources, syn, source_spikes, n_steps)
