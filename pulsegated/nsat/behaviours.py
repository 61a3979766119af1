"""Spiking behaviours of the Mihalas--Niebur neuron: parameter sets, input currents, runs.

Each :class:`Behaviour` names the parameters that differ from the defaults of
:func:`~pulsegated.nsat.neurons.mihalas_niebur` (those of Mihalas & Niebur 2009) and the input
current: a step from 0 to ``amplitude`` at ``onset``, or a ramp from 0 at ``onset`` to
``amplitude`` at the end of the run.  Currents are divided by the capacitance (V/s), as in the
paper.

==============================  ==========================================  ===================
name                            parameters (others: defaults)               input current / C
==============================  ==========================================  ===================
``tonic_spiking``               a = 0                                       step 1.5 V/s
``phasic_spiking``              a = 20 s^-1, b = 20 s^-1 (*)                step 2 V/s (*)
``tonic_bursting``              a = 5 s^-1, A1 = 10 V/s, A2 = -0.6 V/s      step 2 V/s
``phasic_bursting``             a = 5 s^-1, A1 = 10 V/s, A2 = -0.6 V/s      step 1.5 V/s
``spike_frequency_adaptation``  a = 5 s^-1                                  step 2 V/s
``class_1_excitability``        a = 0                                       ramp 0 to 3 V/s (*)
==============================  ==========================================  ===================

Sources: the values Mihalas & Niebur (2009) give for the panels of their Figure 1 (A tonic
spiking, C adaptation, M tonic bursting, N phasic bursting), except where marked (*):

* phasic spiking -- the paper's set (a = 5 s^-1, step 1.5 V/s) gives, with the forward-Euler update
  at dt = 0.1 ms, 5 spikes over the first 180 ms before the threshold settles above the potential:
  a transient, but not one or two onset spikes.  With a = b = 20 s^-1 the threshold follows the
  potential one to one with a 50 ms time constant and settles 20 mV above it whatever the current;
  a step of 2 V/s then gives one spike about 20 ms after onset and none after it (V settles at
  -30 mV, Theta at -10 mV).  The response stays one or two spikes for steps within 5 % of 2 V/s;
  weaker steps give none, stronger ones more.
* class 1 excitability -- the paper holds the current at 1 + 1e-6 V/s, just above the rheobase of
  1 V/s (where the steady potential E_L + I_e / (G/C) reaches theta_inf), which gives a single spike
  after 276 ms.  A slow ramp shows the defining property in one run: firing starts at a low rate
  once the current passes the rheobase and the rate grows continuously with the current.

:func:`run_behaviour` builds a one-neuron circuit, runs it on the Brian2 backend through
:func:`pulsegated.backends.Simulator` and returns the spike times and traces.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
from brian2 import Hz, Quantity, ms, second, volt

from pulsegated.circuit import Circuit, CircuitError
from pulsegated.nsat.neurons import _quantity, mihalas_niebur

__all__ = ["Behaviour", "BehaviourRun", "BEHAVIOURS", "behaviour_parameters", "input_current",
           "add_current_input", "behaviour_circuit", "run_behaviour"]

#: volt per second: the unit of currents divided by the capacitance
VPS = volt / second


@dataclass(frozen=True)
class Behaviour:
    """A parameter set and input current of the Mihalas--Niebur neuron.

    Attributes
    ----------
    name : str
        Key in :data:`BEHAVIOURS`.
    title : str
        Short label (figure panels).
    params : Mapping
        Arguments of :func:`~pulsegated.nsat.neurons.mihalas_niebur` that differ from its defaults.
    amplitude : Quantity
        Current / C of the step, or at the end of the ramp (volt/second).
    duration : Quantity
        Default length of a run (time).
    shape : {"step", "ramp"}
        Input current shape.
    onset : Quantity
        When the step or the ramp starts (time; default 20 ms).
    source : str
        Where the values come from.
    """

    name: str
    title: str
    params: Mapping
    amplitude: Quantity
    duration: Quantity
    shape: str = "step"
    onset: Quantity = field(default_factory=lambda: 20 * ms)
    source: str = ""


_PAPER = "Mihalas & Niebur (2009), Figure 1"

#: The behaviours, by name (see the module docstring for the table and the sources).
BEHAVIOURS = {b.name: b for b in (
    Behaviour("tonic_spiking", "tonic spiking", {"a": 0 * Hz}, 1.5 * VPS,
              duration=200 * ms, source=f"{_PAPER}A"),
    Behaviour("phasic_spiking", "phasic spiking", {"a": 20 * Hz, "b": 20 * Hz}, 2 * VPS,
              duration=300 * ms,
              source="chosen here (the paper's Figure 1D with a = b = 20 s^-1, a 2 V/s step)"),
    Behaviour("tonic_bursting", "tonic bursting",
              {"a": 5 * Hz, "A1": 10 * VPS, "A2": -0.6 * VPS}, 2 * VPS,
              duration=500 * ms, source=f"{_PAPER}M"),
    Behaviour("phasic_bursting", "phasic bursting",
              {"a": 5 * Hz, "A1": 10 * VPS, "A2": -0.6 * VPS}, 1.5 * VPS,
              duration=300 * ms, source=f"{_PAPER}N"),
    Behaviour("spike_frequency_adaptation", "spike-frequency adaptation", {"a": 5 * Hz},
              2 * VPS, duration=500 * ms, source=f"{_PAPER}C"),
    Behaviour("class_1_excitability", "class 1 excitability", {"a": 0 * Hz}, 3 * VPS,
              shape="ramp", duration=500 * ms,
              source=f"{_PAPER}B, with a ramp instead of a constant current"),
)}

#: options of :func:`run_behaviour` besides the neuron's parameters
_RUN_OPTIONS = ("amplitude", "onset")


def _behaviour(name: str) -> Behaviour:
    if name not in BEHAVIOURS:
        raise ValueError(f"unknown behaviour {name!r}; choose one of: {', '.join(BEHAVIOURS)}")
    return BEHAVIOURS[name]


def behaviour_parameters(name: str) -> dict:
    """Every parameter of :func:`~pulsegated.nsat.neurons.mihalas_niebur` for behaviour ``name``
    (its defaults updated with the behaviour's values; ``I_e`` is the current at the start).

    Raises
    ------
    ValueError
        For an unknown name (listing the known ones).
    """
    b = _behaviour(name)
    sig = inspect.signature(mihalas_niebur)
    out = {k: p.default for k, p in sig.parameters.items()}
    out.update(b.params)
    return out


def _steps(owner: str, duration, dt) -> int:
    _quantity(owner, "dt", dt, "time", positive=True)
    _quantity(owner, "duration", duration, "time", positive=True)
    n = int(round(float(duration / dt)))
    if n < 1:
        raise ValueError(f"{owner}: duration {duration} is shorter than one step of {dt}")
    return n


def input_current(shape: str, amplitude, onset, duration, dt=0.1 * ms) -> Quantity:
    """The input current of every step: ``values[t]`` drives the update of step ``t``.

    Parameters
    ----------
    shape : {"step", "ramp"}
        ``step``: 0 before ``onset``, ``amplitude`` from it on.  ``ramp``: 0 before ``onset``,
        then rising linearly to ``amplitude`` at ``duration``.
    amplitude : Quantity
        Current / C (voltage per time, e.g. ``2*volt/second``).
    onset, duration, dt : Quantity
        Times (``dt > 0``, ``duration >= dt``, ``0 <= onset < duration``).

    Returns
    -------
    Quantity
        ``round(duration / dt)`` values in volt/second.
    """
    owner = "input_current"
    n = _steps(owner, duration, dt)
    _quantity(owner, "amplitude", amplitude, "voltage per time")
    _quantity(owner, "onset", onset, "time", non_negative=True)
    k0 = int(round(float(onset / dt)))
    if k0 >= n:
        raise ValueError(f"{owner}: onset {onset} is not before the end of the run ({duration})")
    steps = np.arange(n)
    if shape == "step":
        frac = (steps >= k0).astype(float)
    elif shape == "ramp":
        frac = np.clip((steps - k0) / max(n - 1 - k0, 1), 0.0, 1.0)
    else:
        raise ValueError(f"{owner}: shape must be 'step' or 'ramp', got {shape!r}")
    return frac * float(amplitude) * VPS


def add_current_input(circuit: Circuit, population: str, values, name: str | None = None,
                      target: str = "I_e") -> str | None:
    """Drive the state ``target`` of a population with a current given per step.

    The changes ``values[t] - values[t-1]`` are delivered as spikes of a
    :class:`~pulsegated.circuit.SpikeTrain` source at step ``t - 1`` (they arrive in step ``t - 1``
    after the update and are used from the update of step ``t`` on); equal changes share one
    source neuron, so a step needs one spike and a ramp one source neuron.  ``values[0]`` must be
    the population's own initial value of ``target``.

    Parameters
    ----------
    circuit : Circuit
        The circuit to add the source and connection to.
    population : str
        A population whose model has the state ``target`` (e.g. :func:`mihalas_niebur`'s
        ``I_e``).
    values : Quantity
        One value per step (here volt/second; the unit of ``target``).
    name : str, optional
        Name of the source (default ``f"{population}_{target}"``).
    target : str
        The state variable driven.

    Returns
    -------
    str or None
        Name of the source, or None when ``values`` never changes (nothing is added).

    Raises
    ------
    CircuitError
        Unknown population, or ``values[0]`` different from the population's initial value.
    TypeError
        ``values`` is not a 1-d Quantity array.
    """
    if population not in circuit.populations:
        raise CircuitError(f"add_current_input: unknown population {population!r}")
    if not isinstance(values, Quantity) or np.ndim(values) != 1 or len(values) < 1:
        raise TypeError(f"add_current_input: values must be a 1-d Quantity array, got "
                        f"{type(values).__name__}")
    model = circuit.populations[population].model
    start = getattr(model, "initial", {}).get(target)
    v = np.asarray(values, dtype=float)  # SI base units
    if start is None or not np.isclose(float(np.asarray(start)), v[0], rtol=1e-12, atol=0):
        raise CircuitError(f"add_current_input: values[0] = {values[0]!r} must be the initial "
                           f"{target} of population {population!r} ({start!r})")
    d = np.diff(v)
    changed = np.flatnonzero(d)
    if not len(changed):
        return None
    scale = np.max(np.abs(v)) * 1e-12
    keys = np.rint(d[changed] / scale).astype(np.int64)
    uniq, which = np.unique(keys, return_inverse=True)
    weights = np.array([d[changed][which == k].mean() for k in range(len(uniq))])
    name = name or f"{population}_{target}"
    n_post = circuit.size_of(population)
    circuit.add_source(name, len(uniq), steps=tuple(int(s) for s in changed),
                       indices=tuple(int(k) for k in which))
    circuit.connect(name, population, "all_to_all",
                    np.repeat(weights[:, None], n_post, axis=1), target=target)
    return name


def _split_options(name: str, options: dict):
    b = _behaviour(name)
    sig = inspect.signature(mihalas_niebur)
    unknown = [k for k in options if k not in sig.parameters and k not in _RUN_OPTIONS]
    if unknown:
        raise TypeError(f"run_behaviour: unknown option(s) {', '.join(map(repr, unknown))}; "
                        f"give parameters of mihalas_niebur or {', '.join(_RUN_OPTIONS)}")
    if "I_e" in options:
        raise TypeError("run_behaviour: the input current is set by amplitude and onset, "
                        "not I_e")
    params = {**b.params, **{k: v for k, v in options.items() if k not in _RUN_OPTIONS}}
    return b, params, options.get("amplitude", b.amplitude), options.get("onset", b.onset)


def behaviour_circuit(name: str, duration=None, dt=0.1 * ms, **options):
    """The one-neuron circuit of a behaviour and its input current.

    Parameters
    ----------
    name : str
        Key of :data:`BEHAVIOURS`.
    duration : Quantity, optional
        Length of the run (default: the behaviour's).
    dt : Quantity
        Step of the circuit.
    **options
        ``amplitude`` and ``onset`` of the input current, and any parameter of
        :func:`~pulsegated.nsat.neurons.mihalas_niebur` (except ``I_e``) replacing the
        behaviour's.

    Returns
    -------
    circuit : Circuit
        Population ``"neuron"`` (one Mihalas--Niebur neuron) driven by :func:`add_current_input`.
    current : Quantity
        The input current of every step (volt/second).
    """
    b, params, amplitude, onset = _split_options(name, options)
    duration = b.duration if duration is None else duration
    current = input_current(b.shape, amplitude, onset, duration, dt)
    model = mihalas_niebur(**params, I_e=current[0])
    c = Circuit(name=f"mn_{name}", dt=dt)
    c.add_population("neuron", 1, model, role=b.title)
    add_current_input(c, "neuron", current, name="current")
    return c, current


@dataclass(frozen=True)
class BehaviourRun:
    """What :func:`run_behaviour` recorded.

    Attributes
    ----------
    name : str
        The behaviour.
    dt : Quantity
        Step.
    t : Quantity
        Time of each recorded row, ``step * dt`` (second).
    V, theta : Quantity
        Membrane potential and threshold at the end of each step, after a reset (volt).
    I_e : Quantity
        Input current / C used by the update of each step (volt/second).
    spike_times : Quantity
        ``step * dt`` of each spike (second).
    params : dict
        The neuron's parameters (all of :func:`~pulsegated.nsat.neurons.mihalas_niebur`).
    """

    name: str
    dt: Quantity
    t: Quantity
    V: Quantity
    theta: Quantity
    I_e: Quantity
    spike_times: Quantity
    params: dict

    @property
    def isi(self) -> Quantity:
        """Inter-spike intervals (second)."""
        return np.diff(np.asarray(self.spike_times)) * second

    @property
    def n_spikes(self) -> int:
        return len(self.spike_times)


def run_behaviour(name: str, duration=None, dt=0.1 * ms, codegen: str = "numpy",
                  **options) -> BehaviourRun:
    """Run one Mihalas--Niebur neuron with the parameters and input current of a behaviour.

    The circuit of :func:`behaviour_circuit` runs on the Brian2 backend through
    :func:`pulsegated.backends.Simulator` (runtime device; Brian2's global state is left alone).

    Parameters
    ----------
    name : str
        Key of :data:`BEHAVIOURS`: ``"tonic_spiking"``, ``"phasic_spiking"``,
        ``"tonic_bursting"``, ``"phasic_bursting"``, ``"spike_frequency_adaptation"``,
        ``"class_1_excitability"``.
    duration : Quantity, optional
        Length of the run (default: the behaviour's ``duration``).
    dt : Quantity
        Step (default 0.1 ms, well below the fastest time constant, 1 / k1 = 5 ms).
    codegen : {"numpy", "cython"}
        Code generation of the Brian2 runtime device (numpy: nothing to compile).
    **options
        ``amplitude`` (volt/second) and ``onset`` (time) of the input current, and parameters of
        :func:`~pulsegated.nsat.neurons.mihalas_niebur` replacing the behaviour's.

    Returns
    -------
    BehaviourRun
        Spike times (second), ``V`` and ``theta`` (volt), ``I_e`` (volt/second) per step.

    Raises
    ------
    ValueError
        Unknown behaviour, bad times.
    TypeError
        Unknown option, or values of the wrong dimensions.

    Examples
    --------
    >>> from brian2 import ms
    >>> run = run_behaviour("tonic_bursting", duration=300 * ms)   # doctest: +SKIP
    >>> run.spike_times / ms                                       # doctest: +SKIP
    """
    from pulsegated.backends import Simulator

    b, params, _, _ = _split_options(name, options)
    circuit, current = behaviour_circuit(name, duration, dt, **options)
    n = len(current)
    sim = Simulator(circuit, backend="brian2", codegen=codegen,
                    record_state={"neuron": ["V", "Theta", "I_e"]})
    try:
        sim.run_steps(n)
        steps, _ = sim.spikes("neuron")
        V = sim.state("neuron", "V")[:, 0]
        theta = sim.state("neuron", "Theta")[:, 0]
        I_e = sim.state("neuron", "I_e")[:, 0]
    finally:
        sim.close()
    dt_s = float(dt)
    # the I_e row of step t is the value after step t's synaptic slot: the one step t + 1 uses
    used = np.concatenate([[float(np.asarray(current[0]))], I_e[:-1]])
    all_params = {**behaviour_parameters(name), **params, "I_e": current[0]}
    return BehaviourRun(name=name, dt=dt, t=np.arange(n) * dt_s * second, V=V * volt,
                        theta=theta * volt, I_e=used * VPS,
                        spike_times=np.sort(steps) * dt_s * second, params=all_params)
