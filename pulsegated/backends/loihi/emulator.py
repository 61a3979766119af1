"""The integer emulator: runs a :class:`~pulsegated.backends.loihi.registers.ChipProgram`.

Only integer arithmetic in the state path (int64 holding the chip's narrower registers, wrapped or
saturated exactly as the chip does; the 8-bit weight mantissas are stored as int16).  One compiled
call runs many steps: compartment update, then learning, then delivery of this step's spikes into
the delay-slot accumulators (so a spike at ``t`` arrives at ``t + 1 + delay``, and spikes emitted at
``t`` travel with the weights learnt at ``t``).

Speed without changing a bit (``tests/backends/loihi/test_kernel_equivalence.py`` checks every
result against the first version of the kernel): the compartment update is branch-free and
vectorized, its rare events (spikes, wraps, saturation) read back from per-step flags; the step's
spikes are listed once and drive the learning flags and the delivery (no scan of every neuron);
long synapse segments are added as contiguous, vectorized runs of int16 mantissas, the synapses of
short static ones from compact per-pre lists (uint16 targets and mantissa copies, grouped by delay
and exponent), with the delay slot's offset computed once per group; a rule's weight change is
computed once per epoch where it depends on a synapse only through its ``x0``/``y0`` flags (and per
term, pre and post factors apart, where traces enter).  Mantissas are written with
:meth:`Emulator.set_mantissas`, which keeps those copies.

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
 _XOFF, _YOFF, _TRACED) = range(16)
_NRULECOLS = 16

#: segments shorter than this are delivered synapse by synapse, from a per-pre target list
SHORT_SEGMENT = 4


@numba.njit(cache=True, inline="always")
def _wrap(x, bits):
    m = np.int64(1) << bits
    return ((x + m) & (2 * m - 1)) - m


@numba.njit(cache=True, inline="always")
def _decay(x, factor):
    """``sign(x) * ((|x| * factor) >> 12)``, without a branch on the sign."""
    s = x >> 63
    a = (x ^ s) - s
    r = (a * factor) >> 12
    return (r ^ s) - s


@numba.njit(cache=True, inline="always")
def _lower_bound(arr, hi, value):
    """First index in ``arr[:hi]`` (ascending) whose entry is >= ``value``."""
    lo = 0
    while lo < hi:
        mid = (lo + hi) >> 1
        if arr[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, inline="always")
def _round_det(dw, wstep):
    """Deterministic rounding of a weight change toward zero to the synapse precision."""
    if dw >= 0:
        return (dw // wstep) * wstep
    return -(((-dw) // wstep) * wstep)


@numba.njit(cache=True, inline="always")
def _apply(wmant, idx, dw, dw_det, wmin, wmax, wstep, stochastic, rng_state):
    """Add the (nonzero) raw change ``dw`` to synapse ``idx``: rounded (``dw_det`` when
    deterministic), then clipped to ``[wmin, wmax]``."""
    if stochastic:
        # seeded model: round down to the precision, then up with probability remainder/step
        rem = dw % wstep
        d = dw - rem
        rng_state[0] = rng_state[0] * 6364136223846793005 + 1442695040888963407
        draw = (rng_state[0] >> 33) % wstep
        if draw < rem:
            d += wstep
    else:
        d = dw_det
    w = wmant[idx] + d
    if w > wmax:
        w = wmax
    elif w < wmin:
        w = wmin
    wmant[idx] = w


@numba.njit(cache=True)
def _epoch_end(r, rule_int, term_scale, term_fact, x0, y0, xtr, ytr, r0, r1, wmant,
               apre, na, apost, nb, stochastic, rng_state, gz, xf, yf):  # pragma: no cover
    """Weight changes of rule ``r`` at the end of an epoch, over the synapses of its active pre
    (``apre[:na]``, ascending) and post (``apost[:nb]``) neurons, in the order a chip's engine
    visits them (that order only matters to the stochastic-rounding model's random numbers).

    A term's value is ``scale * (global factors r0, r1) * (pre factors) * (post factors)``; the
    global part is computed once per epoch.  A rule without traces depends on a synapse only
    through the flags ``x0``, ``y0``: its change takes three values (pre and post active, pre
    only, post only), computed once.  Integer products wrap modulo 2**64 and commute, so
    regrouping them changes no bit.
    """
    npre = rule_int[r, _NPRE]
    npost = rule_int[r, _NPOST]
    xo = rule_int[r, _XOFF]
    yo = rule_int[r, _YOFF]
    w0 = rule_int[r, _W0]
    wmin = rule_int[r, _WMIN]
    wmax = rule_int[r, _WMAX]
    wstep = rule_int[r, _WSTEP]
    t0 = rule_int[r, _TERM0]
    nt = rule_int[r, _NTERM]
    coinc = rule_int[r, _COINC] == 1
    traced = rule_int[r, _TRACED] == 1
    r0v = np.int64(1) if r0[r] else np.int64(0)
    for z in range(nt):
        g = term_scale[t0 + z]
        if term_fact[t0 + z, 2]:
            g *= r0v
        if term_fact[t0 + z, 3]:
            g *= r1[r]
        gz[z] = g
    if not traced:
        # traces stay 0 without impulses: a term with a trace factor is 0
        d11 = np.int64(0)
        d10 = np.int64(0)
        d01 = np.int64(0)
        for z in range(nt):
            has_trace = False
            for f in range(4, 9):
                if term_fact[t0 + z, f]:
                    has_trace = True
            if has_trace:
                continue
            d11 += gz[z]
            if not term_fact[t0 + z, 1]:
                d10 += gz[z]
            if not term_fact[t0 + z, 0]:
                d01 += gz[z]
        r11 = _round_det(d11, wstep)
        r10 = _round_det(d10, wstep)
        r01 = _round_det(d01, wstep)
        if coinc:
            if d11 == 0:
                return
            for ia in range(na):
                row = w0 + apre[ia] * npost
                for ib in range(nb):
                    _apply(wmant, row + apost[ib], d11, r11, wmin, wmax, wstep, stochastic,
                           rng_state)
            return
        for ia in range(na):
            row = w0 + apre[ia] * npost
            for b in range(npost):
                if y0[yo + b]:
                    if d11 != 0:
                        _apply(wmant, row + b, d11, r11, wmin, wmax, wstep, stochastic,
                               rng_state)
                elif d10 != 0:
                    _apply(wmant, row + b, d10, r10, wmin, wmax, wstep, stochastic, rng_state)
        if d01 != 0:
            for ib in range(nb):
                b = apost[ib]
                for a in range(npre):
                    if not x0[xo + a]:
                        _apply(wmant, w0 + a * npost + b, d01, r01, wmin, wmax, wstep,
                               stochastic, rng_state)
        return
    # traces: per-neuron factors of every term
    for a in range(npre):
        xa = np.int64(1) if x0[xo + a] else np.int64(0)
        for z in range(nt):
            p = np.int64(1)
            if term_fact[t0 + z, 0]:
                p *= xa
            if term_fact[t0 + z, 4]:
                p *= xtr[xo + a, 0]
            if term_fact[t0 + z, 5]:
                p *= xtr[xo + a, 1]
            xf[a, z] = p
    for b in range(npost):
        yb = np.int64(1) if y0[yo + b] else np.int64(0)
        for z in range(nt):
            p = np.int64(1)
            if term_fact[t0 + z, 1]:
                p *= yb
            for f in range(3):
                if term_fact[t0 + z, 6 + f]:
                    p *= ytr[yo + b, f]
            yf[b, z] = gz[z] * p
    if coinc:
        for ia in range(na):
            a = apre[ia]
            for ib in range(nb):
                _pair(wmant, w0, npost, a, apost[ib], nt, xf, yf, wmin, wmax, wstep, stochastic,
                      rng_state)
        return
    for ia in range(na):
        a = apre[ia]
        for b in range(npost):
            _pair(wmant, w0, npost, a, b, nt, xf, yf, wmin, wmax, wstep, stochastic, rng_state)
    for ib in range(nb):
        b = apost[ib]
        for a in range(npre):
            if not x0[xo + a]:
                _pair(wmant, w0, npost, a, b, nt, xf, yf, wmin, wmax, wstep, stochastic,
                      rng_state)


@numba.njit(cache=True, inline="always")
def _pair(wmant, w0, npost, a, b, nt, xf, yf, wmin, wmax, wstep, stochastic, rng_state):
    dw = np.int64(0)
    for z in range(nt):
        dw += xf[a, z] * yf[b, z]
    if dw != 0:
        _apply(wmant, w0 + a * npost + b, dw, 0 if stochastic else _round_det(dw, wstep), wmin,
               wmax, wstep, stochastic, rng_state)


@numba.njit(cache=True, inline="always")
def _deliver(p, base, total, lptr, lofs, lw, llen, ldrop, lshl, gptr, gofs, gdrop, gshl, gstart,
             spost, smant, wmant, acc):
    """Add the weights of pre ``p``'s synapses to the accumulator slots of their arrival step.

    ``acc`` is flat, one row of ``n`` compartments per delay slot; ``base`` is the offset of the
    row of step ``t + 1``, and a synapse's ``delay * n`` is added to it (modulo the ring).  The
    chip applies the weight exponent to the mantissa first: ``M << (6 + weightExp)`` for
    weightExp >= 0, ``(M >> -weightExp) << 6`` (an arithmetic right shift, flooring toward
    -infinity per synapse) for weightExp < 0; both as ``(M >> drop) << shl``.

    Long segments (all-to-all rows, one-to-all fans, and every segment of a plastic connection)
    are added as contiguous runs of ``wmant``.  The synapses of short static segments are grouped
    by (pre, delay, exponent) into compact lists of targets ``spost`` and mantissa copies
    ``smant`` (kept equal to ``wmant`` by :meth:`Emulator.set_mantissas`).
    """
    for k in range(lptr[p], lptr[p + 1]):
        i0 = base + lofs[k]
        if i0 >= total:
            i0 -= total
        w0 = lw[k]
        ln = llen[k]
        dr = ldrop[k]
        sh = lshl[k]
        # views: indices from 0 let the compiler drop negative-index handling and vectorize
        row = acc[i0:i0 + ln]
        ws = wmant[w0:w0 + ln]
        for m in range(ln):
            row[m] += (np.int64(ws[m]) >> dr) << sh
    for g in range(gptr[p], gptr[p + 1]):
        i0 = base + gofs[g]
        if i0 >= total:
            i0 -= total
        dr = gdrop[g]
        sh = gshl[g]
        row = acc[i0:]
        k0 = gstart[g]
        k1 = gstart[g + 1]
        ps = spost[k0:k1]
        ms = smant[k0:k1]
        for k in range(k1 - k0):
            row[ps[k]] += (np.int64(ms[k]) >> dr) << sh


@numba.njit(cache=True)
def _compartments(qrow, regs, state, cnt_act, flags):  # pragma: no cover - compiled
    """One step of every compartment, branch-free (vectorized): reads and clears the input
    accumulator row ``qrow``, updates u, v and the refractory counter in ``state``, counts active
    compartments, and sets per compartment the event bits of ``flags``: 1 spike, 2 accumulator
    wrapped, 4 u wrapped, 8 u + bias wrapped, 16 v saturated (the caller counts them)."""
    n = state.shape[1]
    fu = regs[0]
    fv = regs[1]
    vth = regs[2]
    bias = regs[3]
    refd = regs[4]
    vmin = regs[5]
    vmax = regs[6]
    u = state[0]
    v = state[1]
    refc = state[2]
    for i in range(n):
        q = qrow[i]
        qrow[i] = 0
        qw = _wrap(q, R_Q_BITS)
        ui = _decay(u[i], fu[i]) + qw
        uw = _wrap(ui, R_U_BITS)
        u[i] = uw
        u2 = uw + bias[i]
        u2w = _wrap(u2, R_U_BITS)
        vi = _decay(v[i], fv[i]) + u2w
        lo = vmin[i]
        hi = vmax[i]
        sat = (vi > hi) | (vi < lo)
        vc = min(max(vi, lo), hi)
        rc = refc[i]
        vc = 0 if rc > 0 else vc
        s = vc > vth[i]
        vc = 0 if s else vc
        rc = refd[i] if s else rc
        rc = rc - 1 if rc > 0 else rc
        refc[i] = rc
        v[i] = vc
        cnt_act[i] += s | (uw != 0)
        flags[i] = (np.uint8(s) | (np.uint8(qw != q) << 1) | (np.uint8(uw != ui) << 2)
                    | (np.uint8(u2w != u2) << 3) | (np.uint8(sat) << 4))


@numba.njit(cache=True, nogil=True)
def _run(t_start, n_steps,
         # compartment registers (rows: fu, fv, vth, bias, refd, vmin, vmax), state (rows: u, v,
         # refractory counter), spikes, event flags (bytes and words), accumulator (flat, n_slots
         # rows of n)
         regs, state, spiked, flags, flags64, acc,
         # synapses: long segments and per-synapse lists, both grouped by pre
         lptr, lofs, lw, llen, ldrop, lshl, gptr, gofs, gdrop, gshl, gstart, spost, smant, wmant,
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
    n = state.shape[1]
    u = state[0]
    v = state[1]
    total = acc.shape[0]
    n_slots = total // n if n > 0 else 1
    n_rules = rule_int.shape[0]
    n_pre_total = lptr.shape[0] - 1
    pre_spk = np.zeros(n_pre_total, np.bool_)
    # the step's spiking pre indices: compartments (ascending), then distinct sources (sorted)
    alist = np.zeros(n_pre_total + 1, np.int64)
    apre = np.zeros(max(1, x0.shape[0]), np.int64)
    apost = np.zeros(max(1, y0.shape[0]), np.int64)
    max_nt = 1
    max_pre = 1
    max_post = 1
    for r in range(n_rules):
        max_nt = max(max_nt, rule_int[r, _NTERM])
        if rule_int[r, _TRACED] == 1:
            max_pre = max(max_pre, rule_int[r, _NPRE])
            max_post = max(max_post, rule_int[r, _NPOST])
    gz = np.zeros(max_nt, np.int64)
    xf = np.zeros((max_pre, max_nt), np.int64)
    yf = np.zeros((max_post, max_nt), np.int64)
    sp = src_pos[0]
    n_src = src_step.shape[0]
    for k in range(n_steps):
        t = t_start + k
        if rec_n[0] + n > rec_cap:
            return k  # probe buffer full: caller grows it and continues
        off = (t % n_slots) * n
        _compartments(acc[off:off + n], regs, state, cnt_act, flags)
        # rare events, read from the flags a word (8 compartments) at a time
        spiked[:] = False
        nc = 0
        for w in range(flags64.shape[0]):
            if flags64[w] == 0:
                continue
            for i in range(8 * w, min(8 * w + 8, n)):
                f = flags[i]
                if f == 0:
                    continue
                if f & 1:
                    spiked[i] = True
                    cnt_spk[i] += 1
                    alist[nc] = i
                    nc += 1
                if f & 2:
                    cnt_q[i] += 1
                if f & 4:
                    cnt_u[i] += 1
                if f & 8:
                    cnt_u[i] += 1
                if f & 16:
                    cnt_v[i] += 1
        for j in range(nc):
            i = alist[j]
            pre_spk[i] = True
            if rec_mask[i]:
                m = rec_n[0]
                rec_t[m] = t
                rec_i[m] = i
                rec_n[0] = m + 1
        for j in range(uv_idx.shape[0]):
            u_out[k, j] = u[uv_idx[j]]
            v_out[k, j] = v[uv_idx[j]]
        # external spikes emitted at t
        while sp < n_src and src_step[sp] < t:
            sp += 1
        s0 = sp
        nall = nc
        ordered = True
        while sp < n_src and src_step[sp] == t:
            p = src_pre[sp]
            cnt_spk[p] += 1
            if not pre_spk[p]:
                pre_spk[p] = True
                if nall > nc and alist[nall - 1] > p:
                    ordered = False
                alist[nall] = p
                nall += 1
            sp += 1
        if not ordered:
            alist[nc:nall].sort()
        # ---------------------------------------------------------------- learning
        for r in range(n_rules):
            npre = rule_int[r, _NPRE]
            npost = rule_int[r, _NPOST]
            pre0 = rule_int[r, _PRE0]
            post0 = rule_int[r, _POST0]
            xo = rule_int[r, _XOFF]
            yo = rule_int[r, _YOFF]
            tep = rule_int[r, _TEPOCH]
            traced = rule_int[r, _TRACED] == 1
            lo = _lower_bound(alist, nall, pre0)
            hi = _lower_bound(alist, nall, pre0 + npre)
            lo2 = _lower_bound(alist, nc, post0)
            hi2 = _lower_bound(alist, nc, post0 + npost)
            # epoch flags (from the step's spike list) and traces (every neuron decays)
            for j in range(lo, hi):
                x0[xo + alist[j] - pre0] = True
            for j in range(lo2, hi2):
                y0[yo + alist[j] - post0] = True
            if traced:
                for a in range(npre):
                    fired = pre_spk[pre0 + a]
                    for m in range(2):
                        val = _decay(xtr[xo + a, m], 4096 - tr_dec[r, m])
                        if fired:
                            val += tr_imp[r, m]
                        xtr[xo + a, m] = min(val, R_TRACE_MAX)
                for b in range(npost):
                    fired = spiked[post0 + b]
                    for m in range(3):
                        val = _decay(ytr[yo + b, m], 4096 - tr_dec[r, 2 + m])
                        if fired:
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
            if (t + 1) % tep != 0:
                continue
            if tep == 1:
                # the epoch is this step: its active neurons are this step's spikes
                na = hi - lo
                for ia in range(na):
                    apre[ia] = alist[lo + ia] - pre0
                nb = hi2 - lo2
                for ib in range(nb):
                    apost[ib] = alist[lo2 + ib] - post0
            else:
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
            if na or nb:
                _epoch_end(r, rule_int, term_scale, term_fact, x0, y0, xtr, ytr, r0, r1, wmant,
                           apre, na, apost, nb, stochastic, rng_state, gz, xf, yf)
            for ia in range(na):
                x0[xo + apre[ia]] = False
            for ib in range(nb):
                y0[yo + apost[ib]] = False
            r0[r] = False
        # ---------------------------------------------------------------- delivery
        base = ((t + 1) % n_slots) * n
        for j in range(nc):
            _deliver(alist[j], base, total, lptr, lofs, lw, llen, ldrop, lshl, gptr, gofs,
                     gdrop, gshl, gstart, spost, smant, wmant, acc)
        for e2 in range(s0, sp):
            _deliver(src_pre[e2], base, total, lptr, lofs, lw, llen, ldrop, lshl, gptr, gofs,
                     gdrop, gshl, gstart, spost, smant, wmant, acc)
        for j in range(nall):
            pre_spk[alist[j]] = False
    src_pos[0] = sp
    return n_steps


def _synapse_lists(p: R.ChipProgram, n: int):
    """The program's segments split for delivery (see :func:`_deliver`).

    Returns ``(long, short, short_w)``: ``long = (lptr, lofs, lw, llen, ldrop, lshl)``, the long
    segments and those of plastic connections grouped by pre, with ``delay * n + post`` offsets;
    ``short = (gptr, gofs, gdrop, gshl, gstart, spost, smant)``, the synapses of the other
    segments grouped by (pre, delay, exponent): per group the offset ``delay * n``, the shifts and
    the first synapse, per synapse the target (uint16 when ``n`` allows) and a copy of its
    mantissa; ``short_w`` the weight index of every short synapse.
    """
    n_pre = p.n_pre
    seg_pre = np.repeat(np.arange(n_pre), np.diff(p.seg_ptr))
    shift = p.seg_shift.astype(np.int64)
    drop = np.where(shift >= 6, 0, 6 - shift)
    shl = np.where(shift >= 6, shift, 6)
    plastic = np.zeros(len(p.weightMant) + 1, bool)
    for lr in p.learning:
        plastic[lr.w_start:lr.w_start + lr.n_pre * lr.n_post] = True
    long_ = (p.seg_len >= SHORT_SEGMENT) | plastic[p.seg_w]
    lidx = np.flatnonzero(long_)
    lptr = np.zeros(n_pre + 1, np.int64)
    np.cumsum(np.bincount(seg_pre[lidx], minlength=n_pre), out=lptr[1:])
    long_lists = (lptr, (p.seg_delay[lidx] * n + p.seg_post[lidx]).astype(np.int64),
                  p.seg_w[lidx].astype(np.int64), p.seg_len[lidx].astype(np.int64),
                  drop[lidx].astype(np.int64), shl[lidx].astype(np.int64))
    sidx = np.flatnonzero(~long_)
    slen = p.seg_len[sidx]
    rep = lambda x: np.repeat(x[sidx], slen)  # noqa: E731
    within = np.arange(int(slen.sum())) - np.repeat(np.cumsum(slen) - slen, slen)
    spre, sdelay, sshift = rep(seg_pre), rep(p.seg_delay), rep(shift)
    order = np.lexsort((sshift, sdelay, spre))
    spre, sdelay, sshift = spre[order], sdelay[order], sshift[order]
    spost = (rep(p.seg_post) + within)[order]
    short_w = (rep(p.seg_w) + within)[order].astype(np.int64)
    # a group starts where pre, delay or exponent changes
    first = np.ones(len(spre), bool)
    first[1:] = ((spre[1:] != spre[:-1]) | (sdelay[1:] != sdelay[:-1])
                 | (sshift[1:] != sshift[:-1]))
    gfirst = np.flatnonzero(first)
    gptr = np.zeros(n_pre + 1, np.int64)
    np.cumsum(np.bincount(spre[gfirst], minlength=n_pre), out=gptr[1:])
    gstart = np.append(gfirst, len(spre)).astype(np.int64)
    gshift = sshift[gfirst]
    short_lists = (gptr, (sdelay[gfirst] * n).astype(np.int64),
                   np.where(gshift >= 6, 0, 6 - gshift).astype(np.int64),
                   np.where(gshift >= 6, gshift, 6).astype(np.int64), gstart,
                   spost.astype(np.uint16 if n <= 1 << 16 else np.int64),
                   np.asarray(p.weightMant)[short_w].astype(np.int16))
    return long_lists, short_lists, short_w


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

    Attributes
    ----------
    wmant : ndarray of int16
        The weight mantissas (layout of :attr:`ChipProgram.weightMant`); read it freely, write it
        with :meth:`set_mantissas` only.
    """

    def __init__(self, program: R.ChipProgram, record=(), probe_uv=(), rounding="deterministic",
                 seed: int = 0):
        if rounding not in ("deterministic", "stochastic"):
            raise ValueError(f"rounding must be 'deterministic' or 'stochastic', got {rounding!r}")
        p = self.program = program
        n = p.n_compartments
        # registers and state as rows of two arrays (fewer arrays: the compiled compartment
        # update checks fewer of them for overlap and runs vectorized)
        self._regs = np.array([4096 - (p.decayU + 1), 4096 - p.decayV, p.vthMant << R.VTH_SHIFT,
                               p.biasMant << p.biasExp, p.refractDelay, p.vMin, p.vMax],
                              dtype=np.int64).reshape(7, n)
        self.fu, self.fv, self.vth, self.bias, self.refd, self.vmin, self.vmax = self._regs
        self._state = np.zeros((3, n), np.int64)
        self.u, self.v, self.refc = self._state
        self.spiked = np.zeros(n, np.bool_)
        # per-step event flags of the compartments (spike, wraps, saturation), padded to words
        self._flags = np.zeros(-(-n // 8) * 8, np.uint8)
        self.acc = np.zeros(p.n_delay_slots * n, np.int64)   # one row of n per delay slot
        # mantissas are 8-bit (-256..255): int16 halves the memory the delivery streams
        if p.weightMant.size and (p.weightMant.min() < -256 or p.weightMant.max() > 255):
            raise ValueError("weight mantissas are 8-bit: -256..255")
        self.wmant = p.weightMant.astype(np.int16)
        self._long, self._short, self._short_w = _synapse_lists(p, n)
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
            if lr.w_min < -256 or lr.w_max > 255:
                raise ValueError(f"learning rule of {lr.connection!r}: weights are clipped to "
                                 f"[{lr.w_min}, {lr.w_max}], outside the 8-bit range -256..255")
            self.rule_int[r] = [lr.w_start, lr.pre_start, lr.post_start, lr.n_pre, lr.n_post,
                                lr.t_epoch, lr.reward_pre, lr.w_min, lr.w_max, lr.w_step,
                                int(lr.coincidence_only), toff, len(lr.term_scale), xoff, yoff,
                                int(np.any(np.asarray(lr.trace_impulse)[:5] != 0))]
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
            k = _run(self.t, remaining, self._regs, self._state, self.spiked, self._flags,
                     self._flags.view(np.uint64), self.acc,
                     *self._long, *self._short, self.wmant,
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

    def set_mantissas(self, start: int, mantissas) -> None:
        """Store weight mantissas from index ``start`` on (the layout of
        :attr:`ChipProgram.weightMant`).  Write mantissas through this method, not into
        :attr:`wmant` directly: the delivery keeps copies of the static short-segment ones."""
        m = np.asarray(mantissas)
        if m.size and (m.min() < -256 or m.max() > 255):
            raise ValueError("weight mantissas are 8-bit: -256..255")
        stop = start + m.size
        self.wmant[start:stop] = m
        sel = np.flatnonzero((self._short_w >= start) & (self._short_w < stop))
        self._short[-1][sel] = self.wmant[self._short_w[sel]]

    def mantissa_matrix(self, connection: str) -> np.ndarray:
        """Dense (pre, post) matrix of the stored weight mantissas (what learning changes)."""
        start, n_pre, n_post, pattern = self.program.conn_weights[connection]
        if pattern == "all_to_all":
            return self.wmant[start:start + n_pre * n_post].reshape(n_pre, n_post).astype(np.int64)
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
