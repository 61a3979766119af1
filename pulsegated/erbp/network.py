"""The eRBP / peRBP network in Brian2: built once, then run over chunks of samples.

:class:`ERBPNetwork` builds one explicit :class:`brian2.Network` from the models of
:mod:`pulsegated.erbp.model`:

=======================  ======================================================================
Brian2 object            holds
=======================  ======================================================================
``{name}_input``         data and label neurons (one model; subgroups: data, label)
``{name}_units``         hidden layers and prediction neurons (one subgroup per layer)
``{name}_error``         error+ and error- neurons (subgroups: error+, error-)
``{name}_w_in``          plastic synapses data -> first layer
``{name}_w_units``       plastic synapses layer -> next layer (all layers in one object)
``{name}_label_err``     label -> error+ (+error_weight) and error- (-error_weight)
``{name}_pred_err``      prediction -> error+ (-error_weight) and error- (+error_weight)
``{name}_err_dend``      error± -> dendrites: prediction ±output_dendrite_weight one to one,
                         hidden ±G
``poissoninput*``        eRBP's shot noise into ``v`` (eRBP only; Brian2 names it itself)
=======================  ======================================================================

plus one code runner per group at the start of every sample (loads the sample, clears the
state) and a monitor of the prediction neurons' spike counts per sample.  A few large objects keep
the number of compiled Cython modules small; nothing is rebuilt between samples or chunks.

A chunk of samples is one ``Network.run``: the intensities of the chunk are a 2-D ``TimedArray``
(one row per sample, updated in place between chunks so that the compiled code is reused; its
last column marks training samples).  Every sample starts from rest (``v = I = U = 0``, error
integrators 0).  In training the true label's neuron fires and learning is on after
``learn_off``; at test the label neurons are silent, learning is off and the error neurons do not
fire (the runtime device also switches the error pathway off: it cannot change anything then).

Devices: the runtime device (``device="runtime"``, Cython or numpy per object), or
``device="cpp_standalone"``: the network is compiled once into a C++ program (in ``directory``,
default a temporary folder removed with the network) that runs one chunk per run, from the
weights passed to it (``run_args``), which are read back after the run.  A chunk shorter than the
program's table is padded with blank test rows (no input, no learning: they change nothing).  The
program draws its own random numbers (not numpy's): each run is seeded from ``(seed, run
number)``, so a seed reproduces a sequence of runs, and the runtime device and the program agree
in distribution, not spike for spike.  Several times faster than the runtime device, whose
per-step cost is the Python loop over about twenty code objects (``benchmarks/bench_erbp.py``).

Isolation: every object has the network's own clocks (``dt`` and one tick per sample), an
explicit namespace and its own code-generation target (``codeobj_class``); Brian2's global
device, ``defaultclock`` and ``prefs`` are never changed (a standalone build makes its own
device active only while it builds).  On the runtime device a ``seed`` calls ``brian2.seed`` (the
generator Brian2's ``rand()`` draws from) once, when the network is built.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass

import numpy as np

from pulsegated.erbp import model as _model
from pulsegated.erbp.params import ERBPParams
from pulsegated.errors import UsageError

__all__ = ["ERBPNetwork", "ChunkResult", "CODEGEN", "DEVICES", "POPULATIONS"]

#: code generation targets of the runtime device
CODEGEN = ("cython", "numpy")
#: Brian2 devices: the runtime device (one ``Network.run`` per chunk) or a compiled
#: ``cpp_standalone`` program (one run of the program per chunk, weights passed in and read back)
DEVICES = ("runtime", "cpp_standalone")
#: order of the spike deliveries within one step: the error neurons take the label's spikes,
#: then the prediction's; the plastic synapses update and deliver; the error spikes reach the
#: dendrites last (so the rule reads U before this step's error spikes)
PATHWAY_ORDER = {"label_err": -4, "pred_err": -3, "w_in": -2, "w_units": -2, "err_dend": 1}
#: populations whose spikes :meth:`ERBPNetwork.run_samples` counts
POPULATIONS = ("data", "label", "hidden", "prediction", "error+", "error-")


def _codeobj_class(codegen: str):
    if codegen == "numpy":
        from brian2.codegen.runtime.numpy_rt import NumpyCodeObject
        return NumpyCodeObject
    from brian2.codegen.runtime.cython_rt import CythonCodeObject
    return CythonCodeObject


class _OrderNote(logging.Filter):
    """Drops Brian2's note that the plastic synapses' code may depend on the order of execution.

    The rule reads the postsynaptic current that the same code adds to; processing the spikes of
    a step one after the other is the intended semantics (see :mod:`pulsegated.erbp.model`).
    """

    def filter(self, record) -> bool:
        return "order of execution" not in record.getMessage()


@contextlib.contextmanager
def _quiet_order_note():
    """Install :class:`_OrderNote` on Brian2's code-generation logger inside the block only."""
    logger = logging.getLogger("brian2.codegen.generators.base")
    note = _OrderNote()
    logger.addFilter(note)
    try:
        yield
    finally:
        logger.removeFilter(note)


@dataclass
class ChunkResult:
    """What one chunk of samples produced.

    Attributes
    ----------
    counts : int64 array (n_samples, n_classes)
        Spikes of each prediction neuron in each sample (the readout is their argmax).
    spikes : dict of str -> int
        Spikes per population over the chunk (keys :data:`POPULATIONS`; ``"hidden"`` sums all
        hidden layers), as Python ints.
    hidden_spikes : list of int
        Spikes per hidden layer over the chunk.
    seconds : float
        Wall time of the ``Network.run`` call(s).
    """

    counts: np.ndarray
    spikes: dict
    hidden_spikes: list
    seconds: float


class ERBPNetwork:
    """The spiking eRBP / peRBP network, built once and reused for every sample.

    Parameters
    ----------
    weights : list of float arrays
        Forward weights ``W[l]`` of shape ``(n_l, n_{l+1})`` (pre, post), in the model's voltage
        unit, from :func:`pulsegated.erbp.weights.init_forward` or a checkpoint.  The last layer
        is the prediction layer (one neuron per class).
    G : float array (max hidden size, n_classes)
        Fixed random feedback (:func:`pulsegated.erbp.weights.feedback_matrix`); hidden layer of
        size ``h`` receives ``±G[:h]`` from error±.  Ignored without hidden layers.
    params : ERBPParams
    codegen : {"cython", "numpy"}
        Code generation target of every object (runtime device).  Cython compiles each model once
        (cached on disk by Brian2) and then runs much faster.
    chunk : int
        Samples per ``Network.run`` (the size of the intensity table).
    seed : int or None
        Runtime device: seeds Brian2's random numbers (``brian2.seed``, which seeds numpy's
        legacy global generator that Brian2's ``rand()`` draws from) once, at build time.
        Standalone: seeds every run of the program (with the run's number); None: fresh entropy.
    name : str
        Prefix of every Brian2 object's name.
    device : {"runtime", "cpp_standalone"}
    directory : str or path, optional
        Standalone project folder (new, empty, or one this class built before: only what
        changed is compiled again); default a temporary folder removed with the network.
    make_jobs : int
        Parallel compiler jobs of the standalone build (``make -j``).

    Raises
    ------
    UsageError
        Inconsistent weight shapes, a bad ``codegen`` or ``chunk``.
    """

    def __init__(self, weights, G, params: ERBPParams, codegen: str = "cython", chunk: int = 100,
                 seed: int | None = None, name: str = "erbp", device: str = "runtime",
                 directory=None, make_jobs: int = 1):
        if codegen not in CODEGEN:
            raise UsageError(f"unknown codegen {codegen!r}; choose one of {', '.join(CODEGEN)}")
        if device not in DEVICES:
            raise UsageError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}")
        if not isinstance(chunk, (int, np.integer)) or isinstance(chunk, bool) or chunk < 1:
            raise UsageError(f"chunk must be a positive integer, got {chunk!r}")
        if isinstance(make_jobs, bool) or not isinstance(make_jobs, (int, np.integer)) \
                or make_jobs < 1:
            raise UsageError(f"make_jobs must be a positive integer, got {make_jobs!r}")
        self.device = device
        self.make_jobs = int(make_jobs)
        self.directory = None if directory is None else os.path.abspath(os.fspath(directory))
        self.seed = None if seed is None else int(seed)
        self.runs = 0  # Network runs so far (standalone: runs of the compiled program)
        weights = [np.asarray(w, dtype=np.float64) for w in weights]
        for a, b in zip(weights[:-1], weights[1:]):
            if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
                raise UsageError(f"weight shapes do not chain: {[w.shape for w in weights]}")
        self.params = params
        self.codegen = codegen
        self.chunk = int(chunk)
        self.name = name
        self.n_in = weights[0].shape[0]
        self.hidden = [w.shape[1] for w in weights[:-1]]
        self.n_classes = weights[-1].shape[1]
        G = np.asarray(G, dtype=np.float64)
        if self.hidden and (G.ndim != 2 or G.shape[0] < max(self.hidden)
                            or G.shape[1] != self.n_classes):
            raise UsageError(f"G must have shape (>= {max(self.hidden)}, {self.n_classes}), "
                             f"got {G.shape}")
        self.G = G
        self.samples_run = 0
        t0 = time.perf_counter()
        self._build(weights, seed)
        self.build_seconds = time.perf_counter() - t0
        self.compile_seconds = None  # first run (includes Cython compilation), set by run_samples

    # ------------------------------------------------------------------------------ build
    def _build(self, weights, seed) -> None:
        import brian2 as b2
        from pulsegated.backends.brian2.builder import _make_jobs, active_device
        from brian2.devices.device import runtime_device

        p = self.params
        standalone = self.device == "cpp_standalone"
        if standalone:
            from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
            self._device = CPPStandaloneDevice()
            if self.directory is None:
                self.directory = tempfile.mkdtemp(prefix="pulsegated_erbp_")
                # removed with the network
                weakref.finalize(self, shutil.rmtree, self.directory, True)
            elif os.path.exists(self.directory) and os.listdir(self.directory) \
                    and not os.path.exists(os.path.join(self.directory, "main.cpp")):
                raise UsageError(f"directory {self.directory!r} is not empty and holds no "
                                 f"Brian2 standalone project: choose an empty or new folder")
            cls = None
        else:
            if seed is not None:
                b2.seed(int(seed))
            self._device = runtime_device
            cls = _codeobj_class(self.codegen)
        n, nc = self.name, self.n_classes
        objects = []
        with active_device(self._device):
            self.clock = b2.Clock(dt=p.dt * b2.second, name=f"{n}_clock")
            self.sample_clock = b2.Clock(dt=p.sample_duration * b2.second,
                                         name=f"{n}_sample_clock")
            kw = dict(clock=self.clock, codeobj_class=cls)
            # -- neurons
            m_in = _model.input_model(p)
            # one row per sample: intensities of the data and label neurons, then the learning
            # column (1: a training sample)
            self._learn_col = self.n_in + nc
            self._stim_values = np.zeros((self.chunk, self.n_in + nc + 1), dtype=np.float64)
            self._stim = b2.TimedArray(self._stim_values, dt=p.sample_duration * b2.second,
                                       name=f"{n}_stim")
            # the TimedArray reads this very buffer: it is filled in place for every chunk
            # (runtime; standalone: passed as a run argument)
            assert standalone or self._stim.values is self._stim_values or np.shares_memory(
                self._stim.values, self._stim_values)
            table = {"stim": self._stim, "learn_col": self._learn_col}
            self.inputs = b2.NeuronGroup(self.n_in + nc, m_in.equations, threshold=m_in.threshold,
                                         reset=m_in.reset, refractory=m_in.refractory,
                                         method=m_in.method,
                                         namespace={**m_in.namespace, "stim": self._stim},
                                         name=f"{n}_input", **kw)
            m_u = _model.unit_model(p)
            n_units = sum(self.hidden) + nc
            self.units = b2.NeuronGroup(n_units, m_u.equations, threshold=m_u.threshold,
                                        reset=m_u.reset, refractory=m_u.refractory,
                                        method=m_u.method, namespace={**m_u.namespace, **table},
                                        name=f"{n}_units", **kw)
            lo, hi = p.box
            self.units.b_lo = lo * b2.volt
            self.units.b_hi = hi * b2.volt
            m_e = _model.error_model(p)
            self.errors = b2.NeuronGroup(2 * nc, m_e.equations, threshold=m_e.threshold,
                                         reset=m_e.reset, refractory=False, method=m_e.method,
                                         namespace={**m_e.namespace, **table},
                                         name=f"{n}_error", **kw)
            objects += [self.inputs, self.units, self.errors]
            # -- layer offsets inside units
            self.offsets = np.cumsum([0] + self.hidden + [nc])
            self.pred_slice = slice(int(self.offsets[-2]), int(self.offsets[-1]))
            # -- plastic synapses
            sc = _model.plastic_synapse(p)
            self.w_in = b2.Synapses(self.inputs, self.units, model=sc.model, on_pre=sc.on_pre,
                                    namespace=dict(sc.namespace), name=f"{n}_w_in", **kw)
            i0, j0 = np.meshgrid(np.arange(self.n_in), np.arange(weights[0].shape[1]),
                                 indexing="ij")
            self._idx_in = (i0.ravel(), j0.ravel())
            self.w_in.connect(i=self._idx_in[0], j=self._idx_in[1])
            objects.append(self.w_in)
            self._idx_units = []  # per layer l >= 1: (pre index in units, post index in units)
            self.w_units = None
            if len(weights) > 1:
                pre, post = [], []
                for layer in range(1, len(weights)):
                    a, b = weights[layer].shape
                    ii, jj = np.meshgrid(np.arange(a) + self.offsets[layer - 1],
                                         np.arange(b) + self.offsets[layer], indexing="ij")
                    pre.append(ii.ravel())
                    post.append(jj.ravel())
                    self._idx_units.append((ii.ravel(), jj.ravel()))
                self.w_units = b2.Synapses(self.units, self.units, model=sc.model,
                                           on_pre=sc.on_pre, namespace=dict(sc.namespace),
                                           name=f"{n}_w_units", **kw)
                self.w_units.connect(i=np.concatenate(pre), j=np.concatenate(post))
                objects.append(self.w_units)
            self.set_weights(weights)
            # -- error pathway
            ew = p.error_weight
            se = _model.error_input_synapse()
            k = np.arange(nc)
            self.label_err = b2.Synapses(self.inputs, self.errors, model=se.model,
                                         on_pre=se.on_pre, namespace={},
                                         name=f"{n}_label_err", **kw)
            self.label_err.connect(i=np.concatenate([self.n_in + k, self.n_in + k]),
                                   j=np.concatenate([k, nc + k]))
            self.label_err.w = np.concatenate([np.full(nc, ew), np.full(nc, -ew)]) * b2.volt
            self.pred_err = b2.Synapses(self.units, self.errors, model=se.model, on_pre=se.on_pre,
                                        namespace={}, name=f"{n}_pred_err", **kw)
            self.pred_err.connect(i=np.concatenate([self.pred_slice.start + k] * 2),
                                  j=np.concatenate([k, nc + k]))
            self.pred_err.w = np.concatenate([np.full(nc, -ew), np.full(nc, ew)]) * b2.volt
            sd = _model.dendrite_synapse()
            pre = [k, nc + k]
            post = [self.pred_slice.start + k] * 2
            od = p.out_dendrite
            wd = [np.full(nc, od), np.full(nc, -od)]
            for layer, h in enumerate(self.hidden):
                kk, jj = np.meshgrid(k, np.arange(h), indexing="ij")  # error unit major
                for sign, base in ((1.0, 0), (-1.0, nc)):
                    pre.append(kk.ravel() + base)
                    post.append(jj.ravel() + self.offsets[layer])
                    wd.append(sign * self.G[:h].T.ravel())
            self.err_dend = b2.Synapses(self.errors, self.units, model=sd.model, on_pre=sd.on_pre,
                                        namespace={}, name=f"{n}_err_dend", **kw)
            self.err_dend.connect(i=np.concatenate(pre), j=np.concatenate(post))
            self.err_dend.w = np.concatenate(wd) * b2.volt
            objects += [self.label_err, self.pred_err, self.err_dend]
            # order of the spike deliveries within a step (the "synapses" slot)
            for syn in (self.label_err, self.pred_err, self.w_in, self.w_units, self.err_dend):
                if syn is not None:
                    syn.pre.order = PATHWAY_ORDER[syn.name[len(n) + 1:]]
            self.error_objects = [self.errors, self.label_err, self.pred_err, self.err_dend]
            # -- eRBP shot noise
            self.noise = None
            if p.algorithm == "erbp" and p.noise_rate > 0 and p.noise_weight > 0:
                self.noise = b2.PoissonInput(self.units, "v", N=1, rate=p.noise_rate * b2.Hz,
                                             weight=_model.noise_weight_expr(p))
                if cls is not None:
                    self.noise.codeobj_class = cls  # runs on the units' clock
                objects.append(self.noise)
            # -- sample start: load the sample and clear the state of every group
            sk = dict(clock=self.sample_clock, when="start", codeobj_class=cls)
            for group, m in ((self.inputs, m_in), (self.units, m_u), (self.errors, m_e)):
                objects.append(group.run_regularly(m.sample_start, name=f"{group.name}_start",
                                                   **sk))
            # -- readout: prediction spike counts of the sample that just ended
            self.readout = b2.StateMonitor(self.units, "nsmp",
                                           record=np.arange(self.pred_slice.start,
                                                            self.pred_slice.stop),
                                           clock=self.sample_clock, when="before_start",
                                           codeobj_class=cls, name=f"{n}_readout")
            objects.append(self.readout)
            self.net = b2.Network(*objects, name=f"{n}_network")
            if standalone:
                # every run of the program seeds its generator from this file (written before
                # each run), so that runs differ and a seed reproduces them
                self._device.insert_code(
                    "before_network_run",
                    '{std::ifstream _pg_f("pulsegated_seed.txt"); unsigned long _pg_s; '
                    'if (_pg_f >> _pg_s) brian::_random_generators[0].seed(_pg_s);}')
                with _quiet_order_note():
                    self.net.run(self.chunk * p.sample_duration * b2.second, namespace={})
                with _make_jobs(self.make_jobs):
                    self._device.build(directory=self.directory, compile=True, run=False,
                                       with_output=False)
            self._built = True

    # ------------------------------------------------------------------------------ weights
    def weights(self) -> list[np.ndarray]:
        """Current forward weights, ``W[l]`` of shape ``(n_l, n_{l+1})`` (float64 copies)."""
        out = []
        values = self._w_values if self.device == "cpp_standalone" else self._read_synapses()
        w = values[0]
        W = np.zeros((self.n_in, self.hidden[0] if self.hidden else self.n_classes))
        W[self._idx_in] = w
        out.append(W)
        if self.w_units is not None:
            wu = values[1]
            start = 0
            for layer, (ii, jj) in enumerate(self._idx_units, start=1):
                a = self.offsets[layer] - self.offsets[layer - 1]
                b = self.offsets[layer + 1] - self.offsets[layer]
                Wl = np.zeros((a, b))
                Wl[ii - self.offsets[layer - 1], jj - self.offsets[layer]] = \
                    wu[start:start + len(ii)]
                start += len(ii)
                out.append(Wl)
        return out

    def set_weights(self, weights) -> None:
        """Set every forward weight from ``W[l]`` matrices (shapes as :meth:`weights`)."""
        weights = [np.asarray(w, dtype=np.float64) for w in weights]
        expect = [(a, b) for a, b in zip([self.n_in] + self.hidden, self.hidden + [self.n_classes])]
        if [w.shape for w in weights] != expect:
            raise UsageError(f"weights must have shapes {expect}, got {[w.shape for w in weights]}")
        values = [weights[0][self._idx_in]]
        if self.w_units is not None:
            values.append(np.concatenate(
                [weights[layer][ii - self.offsets[layer - 1], jj - self.offsets[layer]]
                 for layer, (ii, jj) in enumerate(self._idx_units, start=1)]))
        if self.device == "cpp_standalone":
            self._w_values = [v.copy() for v in values]  # given to the next run
            if getattr(self, "_built", False):
                return
        self.w_in.w_[:] = values[0]
        if self.w_units is not None:
            self.w_units.w_[:] = values[1]

    # ------------------------------------------------------------------------------ running
    def run_samples(self, X, labels=None, train: bool = False,
                    eta_scale: float = 1.0) -> ChunkResult:
        """Present samples one after the other (chunks of :attr:`chunk` per ``Network.run``).

        Parameters
        ----------
        X : array (n, n_in)
            Pixel intensities in [0, 1] (``uint8`` images are divided by 255).
        labels : int array (n,) or None
            True classes; needed for training (they drive the label neurons).
        train : bool
            Learning on (label neurons on, error pathway on) or test (all three off).
        eta_scale : float
            With ``train``: the learning rate of these samples is ``eta * eta_scale`` (a schedule
            set from the host between runs: it is the samples' learning column, so the compiled
            standalone program needs no rebuild), in (0, 1].

        Returns
        -------
        ChunkResult
            Summed over all chunks of this call.
        """
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_in:
            raise UsageError(f"X must have shape (n, {self.n_in}), got {X.shape}")
        if X.dtype == np.uint8:
            X = X / 255.0
        X = np.asarray(X, dtype=np.float64)
        if X.size and (X.min() < 0 or X.max() > 1 or not np.isfinite(X).all()):
            raise UsageError("intensities must lie in [0, 1]")
        if train:
            if not (isinstance(eta_scale, (int, float)) and 0 < eta_scale <= 1):
                raise UsageError(f"eta_scale must lie in (0, 1], got {eta_scale!r}")
            if labels is None:
                raise UsageError("training needs labels")
            labels = np.asarray(labels, dtype=np.int64)
            if labels.shape != (len(X),) or labels.min(initial=0) < 0 \
                    or labels.max(initial=0) >= self.n_classes:
                raise UsageError(f"labels must be {len(X)} integers in [0, {self.n_classes})")
        total = ChunkResult(np.zeros((0, self.n_classes), np.int64),
                            {k: 0 for k in POPULATIONS}, [0] * len(self.hidden), 0.0)
        parts = []
        for a in range(0, len(X), self.chunk):
            b = min(a + self.chunk, len(X))
            r = self._run_chunk(X[a:b], None if labels is None else labels[a:b], train,
                                float(eta_scale))
            parts.append(r.counts)
            for k in POPULATIONS:
                total.spikes[k] += r.spikes[k]
            total.hidden_spikes = [x + y for x, y in zip(total.hidden_spikes, r.hidden_spikes)]
            total.seconds += r.seconds
        if parts:
            total.counts = np.concatenate(parts)
        return total

    def _run_chunk(self, X, labels, train, eta_scale: float = 1.0) -> ChunkResult:
        import brian2 as b2
        from pulsegated.backends.brian2.builder import active_device

        p, nc, n = self.params, self.n_classes, len(X)
        standalone = self.device == "cpp_standalone"
        self._stim_values[:] = 0.0
        self._stim_values[:n, :self.n_in] = X
        if train:
            self._stim_values[np.arange(n), self.n_in + labels] = p.label_intensity
            self._stim_values[:n, self._learn_col] = eta_scale
        t0 = time.perf_counter()
        if standalone:
            # the program runs a whole table; rows past n are blank test samples (no spikes in,
            # no learning) whose counts are dropped
            self._run_program()
            before = 0
        else:
            for obj in self.error_objects:
                obj.active = bool(train)
            before = self.readout.nsmp.shape[1]
            # rows of the table count from the chunk's start
            for group in (self.inputs, self.units, self.errors):
                group.chunk_start = self.net.t
            with active_device(self._device), _quiet_order_note():
                self.net.run(n * p.sample_duration * b2.second, namespace={})
        seconds = time.perf_counter() - t0
        self.runs += 1
        if self.compile_seconds is None:
            self.compile_seconds = seconds
        self.samples_run += n
        rec = np.asarray(self.readout.nsmp[:, before:before + n]).T.astype(np.int64)
        if standalone and n < self.chunk:
            last = np.asarray(self.readout.nsmp[:, n]).astype(np.int64)
        else:
            last = np.asarray(self.units.nsmp[self.pred_slice]).astype(np.int64)
        counts = np.vstack([rec[1:], last[None, :]]) if n else rec
        # spike counters: read as int64 (int32 in Brian2; a chunk cannot overflow it); the
        # runtime clears them, a standalone run starts from 0
        nin = np.asarray(self.inputs.nspk[:]).astype(np.int64)
        nu = np.asarray(self.units.nspk[:]).astype(np.int64)
        ne = np.asarray(self.errors.nspk[:]).astype(np.int64)
        if not standalone:
            self.inputs.nspk = 0
            self.units.nspk = 0
            self.errors.nspk = 0
        hidden = [int(nu[self.offsets[l]:self.offsets[l + 1]].sum())
                  for l in range(len(self.hidden))]
        spikes = {"data": int(nin[:self.n_in].sum()), "label": int(nin[self.n_in:].sum()),
                  "hidden": int(sum(hidden)), "prediction": int(nu[self.pred_slice].sum()),
                  "error+": int(ne[:nc].sum()), "error-": int(ne[nc:].sum())}
        return ChunkResult(counts, spikes, hidden, seconds)

    def _run_program(self) -> None:
        """One run of the compiled standalone program over the whole table, from the current
        weights; reads the weights it ends with."""
        path = os.path.join(self.directory, "pulsegated_seed.txt")
        if self.seed is None:
            value = int(np.random.SeedSequence().generate_state(1, np.uint32)[0])
        else:
            value = int(np.random.SeedSequence([self.seed, self.runs])
                        .generate_state(1, np.uint32)[0])
        with open(path, "w") as f:
            f.write(f"{value}\n")
        from brian2 import volt
        run_args = {self._stim: self._stim_values, self.w_in.w: self._w_values[0] * volt}
        if self.w_units is not None:
            run_args[self.w_units.w] = self._w_values[1] * volt
        self._device.run(run_args=run_args, with_output=False)
        # the run arguments written into the project (one file per value array)
        self._device.delete(code=False, data=False, run_args=True, directory=False)
        self._w_values = self._read_synapses()

    def _read_synapses(self) -> list[np.ndarray]:
        """Per-synapse weights of ``w_in`` (and ``w_units``) as the device holds them (copies)."""
        return [np.array(self.w_in.w_[:])] + (
            [np.array(self.w_units.w_[:])] if self.w_units is not None else [])

    # ------------------------------------------------------------------------------ info
    @property
    def n_objects(self) -> int:
        """Number of Brian2 objects in the network (groups, synapses, runners, monitors)."""
        return len(self.net.objects)

    def __repr__(self) -> str:
        sizes = "-".join(map(str, [self.n_in, *self.hidden, self.n_classes]))
        return (f"ERBPNetwork({sizes}, {self.params.algorithm}, dt={self.params.dt * 1e3:g} ms, "
                f"codegen={self.codegen})")
