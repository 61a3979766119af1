"""A deliberately naive dense simulator of memoryless integer circuits (test helper only).

Every connection is a dense matrix; every step recomputes every input.  Slow and obvious: it checks
that the nBP circuit *description* computes the rule, independently of any backend.
"""

import numpy as np


def simulate(circuit, data: dict, n_samples: int):
    sch = circuit.schedule
    pops = circuit.populations
    for p in pops.values():
        assert p.model.memoryless, "dense_sim handles memoryless compartments only"
    n_steps = sch.t0 + n_samples * sch.n_phases
    W = {k: circuit.weight_matrix(k).copy() for k in circuit.connections}
    spikes = {p: np.zeros((n_steps, pops[p].size), bool) for p in pops}
    src = {s: np.zeros((n_steps, so.size), bool) for s, so in circuit.sources.items()}
    for s, so in circuit.sources.items():
        if so.kind == "data":
            for i in range(n_samples):
                src[s][sch.step(i, so.data_phase)] = data[s][i]
        elif so.kind == "pattern":
            for i in range(n_samples):
                for p in so.phases:
                    src[s][sch.step(i, p)] = True
        else:
            for k, st in enumerate(so.steps):
                src[s][st, so.indices[k] if so.indices else 0] = True
    refractory = {p: np.zeros(pops[p].size, int) for p in pops}
    for t in range(n_steps):
        q = {p: np.zeros(pops[p].size, np.int64) for p in pops}
        for name, con in circuit.connections.items():
            ts = t - 1 - con.delay
            if ts < 0:
                continue
            s = spikes[con.pre][ts] if con.pre in pops else src[con.pre][ts]
            q[con.post] += s.astype(np.int64) @ W[name]
        for p, pop in pops.items():
            m = pop.model
            v = m.bias + q[p]
            v[refractory[p] > 0] = 0
            sp = v > m.threshold
            spikes[p][t] = sp
            refractory[p] = np.maximum(np.where(sp, m.refractory, refractory[p]) - 1, 0)
        for name, con in circuit.connections.items():
            rule = con.plasticity
            if rule is None:
                continue
            rewarded, plain = rule.coincidence_steps()
            r1 = t >= 1 and src[rule.reward][t - 1].any()
            co = np.outer(spikes[con.pre][t], spikes[con.post][t])
            if co.any():
                dw = rewarded if r1 else plain
                W[name] = np.clip(W[name] + np.where(co, dw, 0), rule.wmin, rule.wmax)
    spike_lists = {}
    for p, arr in spikes.items():
        steps, idx = np.nonzero(arr)
        spike_lists[p] = (steps.astype(np.int64), idx.astype(np.int64))
    return W, spike_lists
