"""A frozen copy of the integer emulator as it was before its kernel was optimised (commit ffa7461).

The reference of ``test_kernel_equivalence.py``: the optimised kernel must reproduce every result
of this one bit for bit (u, v, spikes, weights, traces, overflow and operation counters).  Do not
edit it.

The integer emulator: runs a :class:`~pulsegated.backends.loihi.registers.ChipProgram`.

Only integer arithmetic in the state path (int64 holding the chip's narrower registers, wrapped or
saturated exactly as the chip does).  One compiled call runs many steps: compartment update, then
learning, then delivery of this step's spikes into the delay-slot accumulators (so a spike at ``t``
arrives at ``t + 1 + delay``, and spikes emitted at ``t`` travel with the weights learnt at ``t``).

Stochastic rounding (``rounding="stochastic"``) of learning updates is a seeded model of the chip's
behaviour, not bit-exact to silicon (no public record of its random numbers exists); the default
``"deterministic"`` rounds weight changes toward zero to the synapse precision and is exact for the
rules whose changes are already multiples of it, such as nBP's.
"""

from __future__ import annotations

import numba
import numpy as np

from pulsegated.backends.loihi import registers as R
from pulsegated.circuit.weights import effective_weights

__all__ = ["Emulator"]

R_Q_BITS = R.Q_BITS
R_U_BITS = R.U_BITS
R_TRACE_MAX = R.TRACE_MAX

# rule_int columns
(_W0, _PRE0, _POST0, _NPRE, _NPOST, _TEPOCH, _REW, _WMIN, _WMAX, _WSTEP, _COINC, _TERM0, _NTERM,
 _XOFF, _YOFF) = range(15)
_NRULECOLS = 15


@numba.njit(cache=True, inline="always")
def _wrap(x, bits):
    m = np.int64(1) << bits
    return ((x + m) & (2 * m - 1)) - m


@numba.njit(cache=True, inline="always")
def _decay(x, factor):
    if x >= 0:
        return (x * factor) >> 12
    return -(((-x) * factor) >> 12)


@numba.njit(cache=True, inline="always")
def _learn_one(a, b, r, npost, xo, yo, w0, wmin, wmax, wstep, t0, nt, term_scale, term_fact,
               x0, y0, xtr, ytr, r0, r1, wmant, stochastic, rng_state):
    xa = x0[xo + a]
    yb = y0[yo + b]
    dw = np.int64(0)
    for z in range(nt):
        prod = term_scale[t0 + z]
        for f in range(9):
            if term_fact[t0 + z, f]:
                if f == 0:
                    prod *= 1 if xa else 0
                elif f == 1:
                    prod *= 1 if yb else 0
                elif f == 2:
                    prod *= 1 if r0[r] else 0
                elif f == 3:
                    prod *= r1[r]
                elif f <= 5:
                    prod *= xtr[xo + a, f - 4]
                else:
                    prod *= ytr[yo + b, f - 6]
        dw += prod
    if dw == 0:
        return
    if stochastic:
        # seeded model: round down to the precision, then up with probability remainder/step
        rem = dw % wstep
        dw -= rem
        rng_state[0] = rng_state[0] * 6364136223846793005 + 1442695040888963407
        draw = (rng_state[0] >> 33) % wstep
        if draw < rem:
            dw += wstep
    elif dw >= 0:
        dw = (dw // wstep) * wstep
    else:
        dw = -(((-dw) // wstep) * wstep)
    idx = w0 + a * npost + b
    w = wmant[idx] + dw
    if w > wmax:
        w = wmax
    elif w < wmin:
        w = wmin
    wmant[idx] = w


@numba.njit(cache=True, inline="always")
def _deliver(p, t, n_slots, ptr, spost, sw, slen, sdelay, sshift, wmant, acc):
    """Add the weights of pre ``p``'s segments to the accumulator slot of their arrival step.

    ``sshift[k] = 6 + weightExp`` of segment k (one connection, one exponent, so the branch is
    taken per segment).  weightExp >= 0: ``M << (6 + weightExp)``, exact.  weightExp < 0: the
    chip shifts the mantissa first, ``(M >> -weightExp) << 6``: an arithmetic right shift that
    floors toward -infinity per synapse (positive mantissas toward zero, negative ones away from
    zero), before the scaling by 2**6.  No rounding happens here otherwise: the host's rounding of
    float weights is done once, in the discretizer.
    """
    for k in range(ptr[p], ptr[p + 1]):
        row = acc[(t + 1 + sdelay[k]) % n_slots]
        sh = sshift[k]
        b0 = spost[k]
        w0 = sw[k]
        if sh >= 6:
            for m in range(slen[k]):
                row[b0 + m] += wmant[w0 + m] << sh
        else:
            drop = 6 - sh
            for m in range(slen[k]):
                row[b0 + m] += (wmant[w0 + m] >> drop) << 6


@numba.njit(cache=True, nogil=True)
def _run(t_start, n_steps,
         # compartment registers
         fu, fv, vth, bias, refd, vmin, vmax,
         # state
         u, v, refc, spiked, acc,
         # synapse segments
         ptr, spost, sw, slen, sdelay, sshift, wmant,
         # external spikes (absolute steps, pre indices), sorted by step
         src_step, src_pre, src_pos,
         # learning
         rule_int, term_scale, term_fact, tr_imp, tr_dec,
         x0, y0, xtr, ytr, r1, r0, rew_prev,
         stochastic, rng_state,
         # overflow counters
         cnt_q, cnt_u, cnt_v,
         # operation counters
         cnt_spk, cnt_act, cnt_lrn,
         # probes
         rec_mask, rec_t, rec_i, rec_n, rec_cap,
         uv_idx, u_out, v_out):  # pragma: no cover - compiled
    n = u.shape[0]
    n_slots = acc.shape[0]
    n_rules = rule_int.shape[0]
    n_pre_total = ptr.shape[0] - 1
    pre_spk = np.zeros(n_pre_total, np.bool_)
    apre = np.zeros(max(1, x0.shape[0]), np.int64)
    apost = np.zeros(max(1, y0.shape[0]), np.int64)
    qmax = np.int64(1) << R_Q_BITS
    umax = np.int64(1) << R_U_BITS
    sp = src_pos[0]
    for k in range(n_steps):
        t = t_start + k
        if rec_n[0] + n > rec_cap:
            return k  # probe buffer full: caller grows it and continues
        slot = t % n_slots
        # ---------------------------------------------------------------- compartments
        for i in range(n):
            q = acc[slot, i]
            acc[slot, i] = 0
            if q < -qmax or q >= qmax:
                cnt_q[i] += 1
                q = _wrap(q, R_Q_BITS)
            ui = _decay(u[i], fu[i]) + q
            if ui < -umax or ui >= umax:
                cnt_u[i] += 1
                ui = _wrap(ui, R_U_BITS)
            u[i] = ui
            u2 = ui + bias[i]
            if u2 < -umax or u2 >= umax:
                cnt_u[i] += 1
                u2 = _wrap(u2, R_U_BITS)
            vi = _decay(v[i], fv[i]) + u2
            if vi > vmax[i]:
                vi = vmax[i]
                cnt_v[i] += 1
            elif vi < vmin[i]:
                vi = vmin[i]
                cnt_v[i] += 1
            if refc[i] > 0:
                vi = 0
            s = vi > vth[i]
            if s:
                vi = 0
                refc[i] = refd[i]
                cnt_spk[i] += 1
            if s or ui != 0:
                cnt_act[i] += 1
            if refc[i] > 0:
                refc[i] -= 1
            v[i] = vi
            spiked[i] = s
            pre_spk[i] = s
            if s and rec_mask[i]:
                j = rec_n[0]
                rec_t[j] = t
                rec_i[j] = i
                rec_n[0] = j + 1
        for j in range(uv_idx.shape[0]):
            u_out[k, j] = u[uv_idx[j]]
            v_out[k, j] = v[uv_idx[j]]
        # external spikes emitted at t
        for p in range(n, n_pre_total):
            pre_spk[p] = False
        while sp < src_step.shape[0] and src_step[sp] < t:
            sp += 1
        s0 = sp
        while sp < src_step.shape[0] and src_step[sp] == t:
            pre_spk[src_pre[sp]] = True
            cnt_spk[src_pre[sp]] += 1
            sp += 1
        # ---------------------------------------------------------------- learning
        for r in range(n_rules):
            npre = rule_int[r, _NPRE]
            npost = rule_int[r, _NPOST]
            pre0 = rule_int[r, _PRE0]
            post0 = rule_int[r, _POST0]
            xo = rule_int[r, _XOFF]
            yo = rule_int[r, _YOFF]
            # epoch flags and traces
            traced = False
            for m in range(5):
                if tr_imp[r, m] != 0:
                    traced = True
            for a in range(npre):
                if pre_spk[pre0 + a]:
                    x0[xo + a] = True
                if not traced:
                    continue
                for m in range(2):
                    val = _decay(xtr[xo + a, m], 4096 - tr_dec[r, m])
                    if pre_spk[pre0 + a]:
                        val += tr_imp[r, m]
                    xtr[xo + a, m] = min(val, R_TRACE_MAX)
            for b in range(npost):
                if spiked[post0 + b]:
                    y0[yo + b] = True
                if not traced:
                    continue
                for m in range(3):
                    val = _decay(ytr[yo + b, m], 4096 - tr_dec[r, 2 + m])
                    if spiked[post0 + b]:
                        val += tr_imp[r, 2 + m]
                    ytr[yo + b, m] = min(val, R_TRACE_MAX)
            rp = rule_int[r, _REW]
            arrived = False
            if rp >= 0:
                arrived = rew_prev[r]
                rew_prev[r] = pre_spk[rp]
            if arrived:
                r0[r] = True
            r1[r] = min(_decay(r1[r], 4096 - tr_dec[r, 5]) + (tr_imp[r, 5] if arrived else 0),
                        R_TRACE_MAX)
            tep = rule_int[r, _TEPOCH]
            if (t + 1) % tep != 0:
                continue
            w0 = rule_int[r, _W0]
            wmin = rule_int[r, _WMIN]
            wmax = rule_int[r, _WMAX]
            wstep = rule_int[r, _WSTEP]
            t0 = rule_int[r, _TERM0]
            nt = rule_int[r, _NTERM]
            coinc = rule_int[r, _COINC] == 1
            na = 0
            for a in range(npre):
                if x0[xo + a]:
                    apre[na] = a
                    na += 1
            nb = 0
            for b in range(npost):
                if y0[yo + b]:
                    apost[nb] = b
                    nb += 1
            # synapses with an active pre or post (a chip's visits), and coincidences
            cnt_lrn[r, 0] += na * npost + nb * (npre - na)
            cnt_lrn[r, 1] += na * nb
            # synapses to visit: coincidences only, or every synapse of an active pre or post
            if coinc:
                for ia in range(na):
                    for ib in range(nb):
                        _learn_one(apre[ia], apost[ib], r, npost, xo, yo, w0, wmin, wmax, wstep,
                                   t0, nt, term_scale, term_fact, x0, y0, xtr, ytr, r0, r1,
                                   wmant, stochastic, rng_state)
            else:
                for ia in range(na):
                    for b in range(npost):
                        _learn_one(apre[ia], b, r, npost, xo, yo, w0, wmin, wmax, wstep,
                                   t0, nt, term_scale, term_fact, x0, y0, xtr, ytr, r0, r1,
                                   wmant, stochastic, rng_state)
                for ib in range(nb):
                    for a in range(npre):
                        if not x0[xo + a]:
                            _learn_one(a, apost[ib], r, npost, xo, yo, w0, wmin, wmax, wstep,
                                       t0, nt, term_scale, term_fact, x0, y0, xtr, ytr, r0, r1,
                                       wmant, stochastic, rng_state)
            for a in range(npre):
                x0[xo + a] = False
            for b in range(npost):
                y0[yo + b] = False
            r0[r] = False
        # ---------------------------------------------------------------- delivery
        for p in range(n):
            if spiked[p]:
                _deliver(p, t, n_slots, ptr, spost, sw, slen, sdelay, sshift, wmant, acc)
        for e2 in range(s0, sp):
            _deliver(src_pre[e2], t, n_slots, ptr, spost, sw, slen, sdelay, sshift, wmant, acc)
    src_pos[0] = sp
    return n_steps



class Emulator:
    """State and stepping of a chip program.

    Parameters
    ----------
    program : ChipProgram
    record : iterable of str
        Populations whose spikes are recorded.
    probe_uv : iterable of int
        Compartment indices whose u and v are recorded every step (raw units).
    rounding : {"deterministic", "stochastic"}
    seed : int
        Seed of the stochastic-rounding model.
    """

    def __init__(self, program: R.ChipProgram, record=(), probe_uv=(), rounding="deterministic",
                 seed: int = 0):
        if rounding not in ("deterministic", "stochastic"):
            raise ValueError(f"rounding must be 'deterministic' or 'stochastic', got {rounding!r}")
        p = self.program = program
        n = p.n_compartments
        self.fu = (4096 - (p.decayU + 1)).astype(np.int64)
        self.fv = (4096 - p.decayV).astype(np.int64)
        self.vth = (p.vthMant << R.VTH_SHIFT).astype(np.int64)
        self.bias = (p.biasMant << p.biasExp).astype(np.int64)
        self.refd = p.refractDelay.astype(np.int64)
        self.vmin = p.vMin.astype(np.int64)
        self.vmax = p.vMax.astype(np.int64)
        self.u = np.zeros(n, np.int64)
        self.v = np.zeros(n, np.int64)
        self.refc = np.zeros(n, np.int64)
        self.spiked = np.zeros(n, np.bool_)
        self.acc = np.zeros((p.n_delay_slots, n), np.int64)
        self.wmant = p.weightMant.astype(np.int64).copy()
        self.cnt_q = np.zeros(n, np.int64)
        self.cnt_u = np.zeros(n, np.int64)
        self.cnt_v = np.zeros(n, np.int64)
        # operation counters (see operation_counters)
        self.cnt_spk = np.zeros(p.n_pre, np.int64)
        self.cnt_act = np.zeros(n, np.int64)
        self.cnt_lrn = np.zeros((len(p.learning), 2), np.int64)
        self.t = 0
        self.stochastic = rounding == "stochastic"
        self.rng_state = np.array([np.uint64(seed) * np.uint64(2654435761) + np.uint64(1)],
                                  dtype=np.uint64).view(np.int64)
        self._setup_learning()
        self.rec_mask = np.zeros(n, np.bool_)
        for name in record:
            if name not in p.pop_slices:
                raise ValueError(f"cannot record unknown population {name!r}")
            a, b = p.pop_slices[name]
            self.rec_mask[a:b] = True
        self.rec_t = np.zeros(max(4 * n, 1024), np.int64)
        self.rec_i = np.zeros_like(self.rec_t)
        self.rec_n = np.zeros(1, np.int64)
        self.uv_idx = np.asarray(list(probe_uv), dtype=np.int64)
        if self.uv_idx.size and (self.uv_idx.min() < 0 or self.uv_idx.max() >= n):
            raise ValueError(f"u/v probe indices must lie in [0, {n})")
        self.u_trace: list = []
        self.v_trace: list = []

    def _setup_learning(self):
        rules = self.program.learning
        k = len(rules)
        self.rule_int = np.zeros((k, _NRULECOLS), np.int64)
        scales, facts = [], []
        xoff = yoff = toff = 0
        self.tr_imp = np.zeros((k, 6), np.int64)
        self.tr_dec = np.full((k, 6), 4096, np.int64)
        for r, lr in enumerate(rules):
            self.rule_int[r] = [lr.w_start, lr.pre_start, lr.post_start, lr.n_pre, lr.n_post,
                                lr.t_epoch, lr.reward_pre, lr.w_min, lr.w_max, lr.w_step,
                                int(lr.coincidence_only), toff, len(lr.term_scale), xoff, yoff]
            scales.append(lr.term_scale)
            facts.append(lr.term_factors)
            self.tr_imp[r] = lr.trace_impulse
            self.tr_dec[r] = lr.trace_decay
            xoff += lr.n_pre
            yoff += lr.n_post
            toff += len(lr.term_scale)
        self.term_scale = np.concatenate(scales) if scales else np.zeros(0, np.int64)
        self.term_fact = (np.concatenate(facts) if facts else np.zeros((0, 9), np.int8)
                          ).astype(np.int8)
        self.x0 = np.zeros(xoff, np.bool_)
        self.y0 = np.zeros(yoff, np.bool_)
        self.xtr = np.zeros((xoff, 2), np.int64)
        self.ytr = np.zeros((yoff, 3), np.int64)
        self.r1 = np.zeros(k, np.int64)
        self.r0 = np.zeros(k, np.bool_)
        self.rew_prev = np.zeros(k, np.bool_)

    def run(self, n_steps: int, src_step=None, src_pre=None) -> None:
        """Advance ``n_steps`` steps; external spikes ``(src_step, src_pre)`` sorted by step."""
        if src_step is None:
            src_step = np.zeros(0, np.int64)
            src_pre = np.zeros(0, np.int64)
        src_step = np.ascontiguousarray(src_step, dtype=np.int64)
        src_pre = np.ascontiguousarray(src_pre, dtype=np.int64)
        pos = np.zeros(1, np.int64)
        done = 0
        while done < n_steps:
            remaining = n_steps - done
            if self.uv_idx.size:
                u_out = np.zeros((remaining, self.uv_idx.size), np.int64)
                v_out = np.zeros_like(u_out)
            else:
                u_out = v_out = np.zeros((0, 0), np.int64)
            k = _run(self.t, remaining, self.fu, self.fv, self.vth, self.bias, self.refd,
                     self.vmin, self.vmax, self.u, self.v, self.refc, self.spiked, self.acc,
                     self.program.seg_ptr, self.program.seg_post, self.program.seg_w,
                     self.program.seg_len, self.program.seg_delay, self.program.seg_shift,
                     self.wmant,
                     src_step, src_pre, pos, self.rule_int, self.term_scale, self.term_fact,
                     self.tr_imp, self.tr_dec, self.x0, self.y0, self.xtr, self.ytr, self.r1,
                     self.r0, self.rew_prev, self.stochastic, self.rng_state, self.cnt_q,
                     self.cnt_u, self.cnt_v, self.cnt_spk, self.cnt_act, self.cnt_lrn,
                     self.rec_mask, self.rec_t, self.rec_i, self.rec_n,
                     len(self.rec_t), self.uv_idx, u_out, v_out)
            if self.uv_idx.size:
                self.u_trace.append(u_out[:k].copy())
                self.v_trace.append(v_out[:k].copy())
            self.t += k
            done += k
            if k < remaining:  # grow the spike record buffer
                new = len(self.rec_t) * 2
                self.rec_t = np.resize(self.rec_t, new)
                self.rec_i = np.resize(self.rec_i, new)

    # ----------------------------------------------------------------------- read-out
    def spikes(self, population: str) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.program.pop_slices[population]
        if not self.rec_mask[a]:
            raise ValueError(f"spikes of {population!r} were not recorded")
        n = self.rec_n[0]
        t, i = self.rec_t[:n], self.rec_i[:n]
        m = (i >= a) & (i < b)
        return t[m].copy(), i[m] - a

    def clear_spikes(self) -> None:
        self.rec_n[0] = 0

    def weight_matrix(self, connection: str) -> np.ndarray:
        """Dense (pre, post) matrix of the effective weights, in threshold units (int64).

        ``floor(M * 2**weightExp)`` per synapse: what one spike adds to the input accumulator,
        divided by 2**6.  For a negative exponent the low bits of the mantissa do not show here;
        see :meth:`mantissa_matrix`.
        """
        exp = self.program.conn_registers[connection]["weightExp"]
        return effective_weights(self.mantissa_matrix(connection), exp)

    def mantissa_matrix(self, connection: str) -> np.ndarray:
        """Dense (pre, post) matrix of the stored weight mantissas (what learning changes)."""
        start, n_pre, n_post, pattern = self.program.conn_weights[connection]
        if pattern == "all_to_all":
            return self.wmant[start:start + n_pre * n_post].reshape(n_pre, n_post).copy()
        out = np.zeros((n_pre, n_post), np.int64)
        vals = self.wmant[start:start + n_post]
        if pattern == "one_to_one":
            out[np.arange(n_post), np.arange(n_post)] = vals
        else:
            out[0] = vals
        return out

    def overflow_report(self) -> dict:
        """Per population: how often the input accumulator or u wrapped, and v saturated."""
        out = {}
        for name, (a, b) in self.program.pop_slices.items():
            out[name] = {"q_wraps": int(self.cnt_q[a:b].sum()), "u_wraps": int(self.cnt_u[a:b].sum()),
                         "v_saturations": int(self.cnt_v[a:b].sum())}
        return out

    def operation_counters(self) -> dict:
        """Copies of the cumulative operation counters (int64 arrays), counted since construction.

        ``"spikes"``
            per presynaptic index (compartments, then source neurons): spikes emitted by the
            compartment, or external spikes fed through the source neuron;
        ``"active"``
            per compartment: steps in which it was active, i.e. it spiked or its synaptic
            current ``u`` after the step's update was nonzero (it received input, or still
            integrates earlier input);
        ``"learning"``
            per learning rule (rows in :attr:`ChipProgram.learning` order): column 0 the
            synapses with an active pre or post neuron at an epoch end (what a learning engine
            that visits every synapse of an active neuron evaluates; every product term
            carries ``x0`` or ``y0``, so no other synapse can change), column 1 the synapses whose
            pre and post were both active (pre/post coincidences);
        ``"steps"``
            steps run (int64).
        """
        return {"spikes": self.cnt_spk.copy(), "active": self.cnt_act.copy(),
                "learning": self.cnt_lrn.copy(), "steps": np.int64(self.t)}

    def uv(self) -> tuple[np.ndarray, np.ndarray]:
        """Recorded (steps, n_probe) raw u and v of the probed compartments."""
        if not self.u_trace:
            z = np.zeros((0, self.uv_idx.size), np.int64)
            return z, z
        return np.concatenate(self.u_trace), np.concatenate(self.v_trace)
