"""Mean-field (rate) simulation of a graded circuit, read from the same description Brian2 runs.

A circuit built by :func:`~pulsegated.sgsc.graded.graded_graph_circuit` is a network of graded
units (populations of ``n`` rectified integrators) opened in windows by a gating chain.  Its mean
field replaces every unit by its population rate and current::

    m_u(t)   = [I_u(t) - g0 + g0 * gated_u(t)]^+                 rate (Hz)
    dI_u/dt  = -I_u / tau + sum_pre n_pre * <w_pre,u> * m_pre     synaptic current (Hz)

with ``<w>`` the mean synaptic weight of a connection, data sources adding the mean weight of
every source neuron that fires, and a pulse-gated Hebbian connection
(:class:`~pulsegated.circuit.GatedTraceHebbian`) changing its mean weight by
``sign * eta * m_pre * a_post`` per unit time inside its learning windows, where ``a_post`` is the
postsynaptic rate (or the summed rate of the rule's teacher populations, ``trace=``) filtered with
the rule's trace time constant (the spiking trace's mean).

Everything is integrated with the circuit's time step, in the step order of the spiking network
(rates of this step, then the currents they drive in the next), so the two differ only by what the
mean field leaves out: finite-size spike-count noise and the spread of phases in a population.
The gating windows are the nominal ones of the description (``meta["window_open"]``, every
``steps_per_window`` steps long, repeating with the ring's period).

:class:`RateSimulator` has the simulator interface of the backends (``run_samples``,
``run_steps``, ``weights``, ``set_weights``, ``state``, ``t``), so code that drives a graded circuit
drives its mean field unchanged.
"""

from __future__ import annotations

import numpy as np

from pulsegated.circuit import GatedTraceHebbian
from pulsegated.errors import UsageError

__all__ = ["RateSimulator"]


class RateSimulator:
    """Mean-field rates of a graded circuit (see the module documentation).

    Parameters
    ----------
    circuit : Circuit
        Built by :func:`~pulsegated.sgsc.graded.graded_graph_circuit` (``meta`` names the units,
        their windows and the chain's parameters).
    record_state : iterable of str or dict, optional
        Units whose current ``I`` and rate ``rate`` (both in Hz) are recorded at every step
        (``{unit: variables}`` is accepted as the backends take it; both variables are kept).
    record, seed
        Accepted for the spiking backends' signature; the mean field has neither spikes nor
        random numbers.

    Notes
    -----
    ``state(unit, "I")`` returns an ``(n_steps, 1)`` array in Hz (the population mean), recorded at
    the end of every step as the spiking backends record it; ``state(unit, "rate")`` is the rate
    during each step (what the spike count of a population of ``n`` neurons in that step is
    ``n * rate * dt`` of, in the mean).  ``weights(connection)`` is the mean
    weight broadcast to the connection's ``(pre, post)`` shape, in the description's units.
    """

    name = "meanfield"

    def __init__(self, circuit, record_state=None, record=None, seed=None):
        meta = circuit.meta
        if meta.get("units") is None or meta.get("params") is None:
            raise UsageError("RateSimulator needs a graded circuit (built by "
                             "graded_graph_circuit: its meta names units and params)")
        circuit.validate()
        self.circuit = c = circuit
        p = meta["params"]
        self.units = list(meta["units"])
        self._index = {u: k for k, u in enumerate(self.units)}
        nu = len(self.units)
        self.dt = float(p.dt)
        self.tau = float(p.tau)
        self.g0 = float(p.g0)
        s = int(meta["steps_per_window"])
        opens = list(meta["window_open"])
        self.period = len(opens) * s if c.schedule is not None else None
        # gating: for each unit, the (first-period) steps at which its windows open
        self._opens = [[opens[w] for w in _windows(meta["units"][u])] for u in self.units]
        self._s = s
        self._gate_cache = {}
        self._open_step = opens
        # couplings: C[post, pre] * m_pre * dt is the current added to post per step
        self.C = np.zeros((nu, nu))
        self._conn_pair = {}
        self._plastic = []
        for name, conn in c.connections.items():
            if conn.target != "I" or conn.pre not in self._index:
                continue
            k_pre, k_post = self._index[conn.pre], self._index[conn.post]
            mean_w = float(np.mean(np.asarray(conn.weight, dtype=float)))
            self._conn_pair[name] = (k_pre, k_post, c.size_of(conn.pre), c.size_of(conn.post))
            self.C[k_post, k_pre] += c.size_of(conn.pre) * mean_w
            rule = conn.plasticity
            if rule is None:
                continue
            if not isinstance(rule, GatedTraceHebbian):
                raise UsageError(f"RateSimulator: connection {name!r} has "
                                 f"{type(rule).__name__} plasticity; the mean field knows "
                                 f"GatedTraceHebbian only")
            windows = []
            for gate, sign in rule.gates.items():
                if not gate.startswith("gate") or not gate[4:].isdigit():
                    raise UsageError(f"RateSimulator: learning gate {gate!r} of {name!r} is "
                                     f"not a window of the gating chain")
                windows.append((opens[int(gate[4:])], sign))
            self._plastic.append({
                "name": name, "pre": k_pre, "post": k_post, "n_pre": c.size_of(conn.pre),
                "w": mean_w, "acc": 0.0, "eta": float(rule.eta), "windows": windows,
                "window": int(round(float(rule.window) / self.dt)),
                "wmin": float(rule.wmin), "wmax": float(rule.wmax),
                "epoch": (None if rule.epoch is None
                          else int(round(float(rule.epoch) / self.dt)))})
        self._trace_tau = {pl["post"]: float(c.connections[pl["name"]].plasticity.tau)
                           for pl in self._plastic}
        # what raises each trace: the unit's own rate, or its teachers' rates
        self._trace_src = {}
        for pl in self._plastic:
            rule = c.connections[pl["name"]].plasticity
            srcs = rule.trace_sources
            unknown = [u for u in srcs if u not in self._index]
            if unknown:
                raise UsageError(f"RateSimulator: trace sources {unknown} of {pl['name']!r} "
                                 f"are not graded units")
            self._trace_src[pl["post"]] = ([self._index[u] for u in srcs] if srcs
                                           else [pl["post"]])
        # data sources: per source neuron, the mean current it adds to each unit (Hz)
        self._inject = {}
        for name, conn in c.connections.items():
            src = c.sources.get(conn.pre)
            if src is None or src.kind != "data" or conn.post not in self._index:
                continue
            W = np.broadcast_to(np.asarray(conn.weight, dtype=float),
                                (src.size, c.size_of(conn.post)))
            vec = self._inject.setdefault(src.name, np.zeros((src.size, nu)))
            vec[:, self._index[conn.post]] += W.mean(axis=1)
        self.I = np.array([float(np.mean(_initial_current(c.populations[u].model)))
                           for u in self.units])
        self.a = np.zeros(nu)  # Hebbian traces (Hz) of the postsynaptic units
        self._t = 0
        self._pending = {}     # step -> current injected at the end of that step
        self._sample = 0
        if isinstance(record_state, dict):
            record_state = list(record_state)
        self._record = [self._index[u] for u in (record_state or []) if u in self._index]
        unknown = [u for u in (record_state or []) if u not in self._index]
        if unknown:
            raise UsageError(f"record_state names units the circuit does not have: {unknown}")
        self._rec_I, self._rec_m = [], []
        self._stacked = {}

    # -- interface ----------------------------------------------------------------------------
    @property
    def t(self) -> int:
        """Steps run so far."""
        return self._t

    def run_samples(self, data) -> None:
        """Run one schedule period per row of every data source's ``(n, size)`` 0/1 array."""
        from pulsegated.backends.base import check_sample_data

        n, data = check_sample_data(self.circuit, data)
        sch = self.circuit.schedule
        for name, arr in data.items():
            phase = self.circuit.sources[name].data_phase
            for r in range(n):
                step = sch.step(self._sample + r, phase)
                add = arr[r].astype(float) @ self._inject.get(name, np.zeros((arr.shape[1],
                                                                                len(self.units))))
                self._pending[step] = self._pending.get(step, 0.0) + add
        end = sch.step(self._sample + n, 0)
        self.run_steps(end - self._t)
        self._sample += n

    def run_steps(self, n_steps: int) -> None:
        """Advance ``n_steps`` steps."""
        dt, g0 = self.dt, self.g0
        decay = 1.0 - dt / self.tau
        post_traces = {k: 1.0 - dt / tau for k, tau in self._trace_tau.items()}
        for _ in range(int(n_steps)):
            t = self._t
            gated = self._gated(t)
            m = np.clip(self.I - g0 + g0 * gated, 0.0, None)
            for pl in self._plastic:
                sign = self._learning_sign(pl, t)
                if sign:
                    pl["acc"] += sign * pl["eta"] * m[pl["pre"]] * dt * self.a[pl["post"]]
            for k, d in post_traces.items():
                self.a[k] = self.a[k] * d + m[self._trace_src[k]].sum() * dt / self._trace_tau[k]
            self.I = self.I * decay + self.C @ m * dt
            add = self._pending.pop(t, None)
            if add is not None:
                self.I = self.I + add
            self._t = t + 1
            for pl in self._plastic:
                if pl["epoch"] is None or self._t % pl["epoch"] == 0:
                    self._apply(pl)
            if self._record:
                self._rec_I.append(self.I[self._record].copy())
                self._rec_m.append(m[self._record].copy())

    def weights(self, connection: str) -> np.ndarray:
        """Mean weight of ``connection`` broadcast to its ``(pre, post)`` shape."""
        k_pre, k_post, n_pre, n_post = self._pair(connection)
        return np.full((n_pre, n_post), self.C[k_post, k_pre] / n_pre)

    def set_weights(self, connection: str, weights) -> None:
        """Set the mean weight of ``connection`` to the mean of ``weights``."""
        k_pre, k_post, n_pre, _ = self._pair(connection)
        mean_w = float(np.mean(np.asarray(weights, dtype=float)))
        self.C[k_post, k_pre] = n_pre * mean_w
        for pl in self._plastic:
            if pl["name"] == connection:
                pl["w"], pl["acc"] = mean_w, 0.0

    def state(self, population: str, variable: str) -> np.ndarray:
        """``(n_steps, 1)`` trace of a recorded unit's ``"I"`` or ``"rate"`` (Hz)."""
        if population not in self._index or self._index[population] not in self._record:
            raise UsageError(f"unit {population!r} was not recorded (record_state=)")
        if variable not in ("I", "rate"):
            raise UsageError(f"the mean field records I and rate, not {variable!r}")
        col = self._record.index(self._index[population])
        for var, rec in (("I", self._rec_I), ("rate", self._rec_m)):
            if rec:  # stack what was recorded since the last read onto the stacked part
                old = self._stacked.get(var, np.zeros((0, len(self._record))))
                self._stacked[var] = np.vstack([old, np.array(rec)])
                rec.clear()
        stacked = self._stacked.get(variable, np.zeros((0, len(self._record))))
        return stacked[:, col:col + 1].copy()

    def spikes(self, population: str):
        raise UsageError("the mean field has rates, not spikes: read state(unit, 'rate')")

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- internals ----------------------------------------------------------------------------
    def _pair(self, connection):
        if connection not in self._conn_pair:
            raise UsageError(f"no graded connection {connection!r} in the mean field")
        return self._conn_pair[connection]

    def _phase(self, t: int, open_step: int) -> int:
        """Steps since the latest opening of a window that first opens at ``open_step``."""
        if self.period is None:
            return t - open_step
        return (t - open_step) % self.period if t >= open_step else -1

    def _gated(self, t: int) -> np.ndarray:
        periodic = self.period is not None and t >= max(self._open_step)
        if periodic and t % self.period in self._gate_cache:
            return self._gate_cache[t % self.period]
        out = np.zeros(len(self.units))
        for k, opens in enumerate(self._opens):
            for o in opens:
                if 0 <= self._phase(t, o) < self._s:
                    out[k] = 1.0
                    break
        if periodic:
            self._gate_cache[t % self.period] = out
        return out

    def _learning_sign(self, pl, t: int) -> int:
        for o, sign in pl["windows"]:
            if 0 <= self._phase(t, o) < pl["window"]:
                return sign
        return 0

    def _apply(self, pl) -> None:
        if pl["acc"] == 0.0:
            return
        pl["w"] = float(np.clip(pl["w"] + pl["acc"], pl["wmin"], pl["wmax"]))
        pl["acc"] = 0.0
        self.C[pl["post"], pl["pre"]] = pl["n_pre"] * pl["w"]


def _windows(window) -> tuple:
    if window is None:
        return ()
    return tuple(window) if isinstance(window, (tuple, list)) else (window,)


def _initial_current(model) -> float:
    value = model.initial.get("I", 0.0)
    return float(np.asarray(value))
