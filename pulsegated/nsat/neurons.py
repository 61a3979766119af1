"""The NSAT neuron models as :class:`~pulsegated.circuit.EquationNeuron` descriptions.

Each function returns a Brian2 equation description that a :class:`~pulsegated.circuit.Circuit`
population runs on the Brian2 backend.  Parameters are Brian2 Quantities; a plain number, a value of
the wrong dimensions or a negative time constant raises an error naming the argument.

Discrete time
-------------
NSAT neurons are discrete-time systems: every tick (one step ``dt`` of the circuit) applies
``x[t+1] = A x[t] + b + inputs``.  Every model here is written so that Brian2 performs exactly
such an update: the equations are integrated with the **explicit forward-Euler** step
(``method="euler"``), ``x[t+1] = x[t] + dt * f(x[t])``, which for these linear equations *is*
the NSAT update with

* per-step decay ``alpha = 1 - dt / tau`` of each state with time constant ``tau``;
* coupling ``dt / tau`` from a driving state into the driven one;
* a constant ``dt * f(0)`` per step (bias, rest potential).

With additive noise (``sigma > 0``) the step is the explicit Euler--Maruyama step, which adds
``sigma * sqrt(2 dt / tau) * N(0, 1)`` per step.  The update is stable and monotone for
``dt <= tau`` (``dt = tau`` makes the state memoryless); choose ``dt`` well below the smallest
time constant.

Order within one step (the backend's convention): all states are updated from their values of the
previous step, then the threshold is tested on the new values, then spikes arriving in this step are
added to the input variables (``input_var += w``; a spike emitted at step ``t`` arrives at step
``t + 1 + delay``), then spiking neurons are reset.

Models
------
============================  ===============================================================
function                      NSAT model
============================  ===============================================================
:func:`stochastic_lif`        leaky stochastic integrate-and-fire (escape / additive noise)
:func:`lif_first_order`       LIF with a first-order kinetic synapse
:func:`lif_second_order`      LIF with a second-order kinetic synapse, bias and noise
:func:`dual_compartment_lif`  soma + dendrite ``U`` (the eRBP neuron: ``U`` does not drive v)
:func:`mihalas_niebur`        Mihalas--Niebur neuron with adaptive threshold
============================  ===============================================================
"""

from __future__ import annotations

import numbers

import numpy as np
from brian2 import Hz, Quantity, mV, ms, second, volt

from pulsegated.circuit import EquationNeuron

__all__ = ["stochastic_lif", "lif_first_order", "lif_second_order", "dual_compartment_lif",
           "mihalas_niebur", "escape_probability", "escape_rate"]

#: kind name -> (unit the dimensions are compared with, example shown in messages)
_KINDS = {
    "time": (ms, "20*ms"),
    "voltage": (mV, "-70*mV"),
    "rate": (Hz, "50*Hz"),
    "voltage per time": (mV / ms, "1.5*mV/ms"),
}


def _quantity(owner: str, name: str, value, kind: str, positive: bool = False,
              non_negative: bool = False) -> Quantity:
    """``value`` if it is a single Brian2 Quantity of dimensions ``kind``; else raise.

    Raises
    ------
    TypeError
        Plain number, array, or other dimensions: ``"lif_first_order: tau_m must be a time
        (e.g. 20*ms), got 20"``.
    ValueError
        ``positive`` / ``non_negative`` violated, or not finite.
    """
    unit, example = _KINDS[kind]
    if (not isinstance(value, Quantity) or value.dim != unit.dim) or np.ndim(value) != 0:
        raise TypeError(f"{owner}: {name} must be a single {kind} (e.g. {example}), "
                        f"got {value!r}")
    x = float(np.asarray(value))
    if not np.isfinite(x):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    if positive and x <= 0:
        raise ValueError(f"{owner}: {name} must be positive, got {value!r}")
    if non_negative and x < 0:
        raise ValueError(f"{owner}: {name} must not be negative, got {value!r}")
    return value


def _number(owner: str, name: str, value) -> float:
    """A plain real number (dimensionless parameter)."""
    if isinstance(value, Quantity):
        if value.dim.is_dimensionless and np.ndim(value) == 0:
            value = float(np.asarray(value))
        else:
            raise TypeError(f"{owner}: {name} is dimensionless (a plain number), got {value!r}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not np.isfinite(float(value)):
        raise TypeError(f"{owner}: {name} must be a finite real number, got {value!r}")
    return float(value)


def _refractory(owner: str, value):
    """None or a non-negative time; zero means none."""
    if value is None:
        return None
    _quantity(owner, "refractory", value, "time", non_negative=True)
    return value if float(value) > 0 else None


def _flag(refractory) -> str:
    return " (unless refractory)" if refractory is not None else ""


def _noise(sigma, tau_name: str) -> str:
    return f" + sigma * sqrt(2 / {tau_name}) * xi" if float(sigma) > 0 else ""


def _threshold_code(owner, v_threshold, escape_width, rate_at_threshold, ns) -> str:
    """Deterministic ``v >= v_threshold`` or escape noise; fills ``ns``."""
    ns["v_threshold"] = _quantity(owner, "v_threshold", v_threshold, "voltage")
    if escape_width is None:
        if rate_at_threshold is not None:
            raise ValueError(f"{owner}: rate_at_threshold needs escape_width (escape noise); "
                             f"without it the threshold is deterministic")
        return "v >= v_threshold"
    ns["escape_width"] = _quantity(owner, "escape_width", escape_width, "voltage", positive=True)
    if rate_at_threshold is None:
        raise ValueError(f"{owner}: escape noise needs rate_at_threshold (the hazard at "
                         f"v = v_threshold, e.g. 100*Hz) with escape_width")
    ns["rate_at_threshold"] = _quantity(owner, "rate_at_threshold", rate_at_threshold, "rate",
                                        non_negative=True)
    return ("rand() < 1 - exp(-rate_at_threshold * exp((v - v_threshold) / escape_width)"
            " * dt)")


def escape_rate(v, v_threshold, escape_width, rate_at_threshold):
    """Escape-noise hazard ``rho(v) = rate_at_threshold * exp((v - v_threshold) / escape_width)``.

    Parameters
    ----------
    v, v_threshold, escape_width : Quantity
        Membrane potential(s), threshold and width of the escape noise (volt).
    rate_at_threshold : Quantity
        Hazard at ``v = v_threshold`` (Hz).

    Returns
    -------
    Quantity
        The hazard in Hz (same shape as ``v``).
    """
    return rate_at_threshold * np.exp(np.asarray((v - v_threshold) / escape_width, float))


def escape_probability(v, v_threshold, escape_width, rate_at_threshold, dt):
    """Probability of a spike in one step of ``dt`` at potential ``v``: ``1 - exp(-rho(v) dt)``.

    This is exactly what the threshold of :func:`stochastic_lif` draws against in every step
    (the hazard held constant over the step).  Outside refractoriness and for a potential held at
    ``v``, the inter-spike intervals are ``R - 1 + G`` steps, ``R = refractory / dt`` and ``G``
    geometric with mean ``1 / p``: the mean rate is ``1 / (dt * (R - 1 + 1 / p))``.

    Returns
    -------
    float or numpy.ndarray
        Dimensionless probability in [0, 1].
    """
    rho = escape_rate(v, v_threshold, escape_width, rate_at_threshold)
    return 1.0 - np.exp(-np.asarray(rho * dt, float))


# ----------------------------------------------------------------------------------- (a)
def stochastic_lif(tau_m=20 * ms, v_rest=-70 * mV, v_reset=-70 * mV, v_threshold=-50 * mV,
                   bias=0 * mV, refractory=2 * ms, escape_width=None, rate_at_threshold=None,
                   sigma=0 * mV) -> EquationNeuron:
    """Leaky stochastic integrate-and-fire neuron (NSAT's stochastic I&F).

    Update of one step (explicit forward Euler; Euler--Maruyama with ``sigma > 0``)::

        v[t+1] = alpha * v[t] + (1 - alpha) * (v_rest + bias)
                 [+ sigma * sqrt(2 dt / tau_m) * N(0, 1)]      alpha = 1 - dt / tau_m
        v += w                 for each arriving spike (input_var "v": delta synapses)
        spike  if v >= v_threshold                                   (deterministic), or
               with probability 1 - exp(-rho(v) dt),
               rho(v) = rate_at_threshold * exp((v - v_threshold) / escape_width)  (escape noise)
        then   v = v_reset; v is held for ``refractory`` and cannot spike before it has passed

    Parameters
    ----------
    tau_m : Quantity
        Membrane time constant (time, > 0).
    v_rest, v_reset, v_threshold : Quantity
        Resting, reset and threshold potentials (voltage).
    bias : Quantity
        Constant drive as the shift of the resting potential it causes (voltage); NSAT's bias.
    refractory : Quantity or None
        Dead time after a spike (time, >= 0; 0 or None: none).  A spike at step ``s`` allows the
        next at step ``s + refractory / dt`` at the earliest.
    escape_width : Quantity or None
        Width of the exponential escape noise (voltage, > 0).  None: deterministic threshold.
    rate_at_threshold : Quantity or None
        Hazard at ``v = v_threshold`` (rate, >= 0); required with ``escape_width``.
    sigma : Quantity
        Additive white noise: the standard deviation the free membrane potential would have in
        continuous time (voltage, >= 0; 0: none).  In steps of ``dt`` the stationary standard
        deviation is ``sigma / sqrt(1 - dt / (2 tau_m))``.

    Returns
    -------
    EquationNeuron
        State ``v`` (volt); spikes through connections add their weight (volt) to ``v``.

    Raises
    ------
    TypeError, ValueError
        For a parameter of the wrong dimensions (or a plain number), a non-positive time
        constant, negative refractoriness or noise, or escape-noise parameters given alone.

    Notes
    -----
    The per-synapse transmission noise of NSAT (``xi_j`` in ``sum_j xi_j w_j s_j``) belongs to the
    connection, not to this neuron.

    Examples
    --------
    >>> from brian2 import ms, mV, Hz
    >>> m = stochastic_lif(escape_width=2 * mV, rate_at_threshold=100 * Hz)
    """
    owner = "stochastic_lif"
    ns = {"tau_m": _quantity(owner, "tau_m", tau_m, "time", positive=True),
          "v_rest": _quantity(owner, "v_rest", v_rest, "voltage"),
          "v_reset": _quantity(owner, "v_reset", v_reset, "voltage"),
          "bias": _quantity(owner, "bias", bias, "voltage"),
          "sigma": _quantity(owner, "sigma", sigma, "voltage", non_negative=True)}
    refractory = _refractory(owner, refractory)
    threshold = _threshold_code(owner, v_threshold, escape_width, rate_at_threshold, ns)
    eqs = (f"dv/dt = (v_rest + bias - v) / tau_m{_noise(sigma, 'tau_m')} : volt"
           f"{_flag(refractory)}")
    return EquationNeuron(eqs, threshold=threshold, reset="v = v_reset", refractory=refractory,
                          input_var="v", namespace=ns, initial={"v": v_rest}, method="euler")


# ----------------------------------------------------------------------------------- (b)
def lif_first_order(tau_m=20 * ms, tau_syn=5 * ms, v_rest=-70 * mV, v_reset=-70 * mV,
                    v_threshold=-50 * mV, bias=0 * mV, refractory=2 * ms,
                    escape_width=None, rate_at_threshold=None) -> EquationNeuron:
    """LIF neuron with a first-order kinetic (exponentially decaying) synapse.

    Update of one step (explicit forward Euler)::

        v[t+1] = alpha * v[t] + (1 - alpha) * (v_rest + bias + I[t])   alpha = 1 - dt / tau_m
        I[t+1] = a1 * I[t]                                              a1 = 1 - dt / tau_syn
        I += w                 for each arriving spike (input_var "I")
        spike if v >= v_threshold (or escape noise, see stochastic_lif); v = v_reset,
        v held for ``refractory``

    ``I`` is the synaptic current expressed as the potential it would hold ``v`` at (volt): a
    constant ``I`` moves the steady state of ``v`` by ``I``.

    Parameters
    ----------
    tau_m, tau_syn : Quantity
        Membrane and synaptic time constants (time, > 0).
    v_rest, v_reset, v_threshold, bias, refractory, escape_width, rate_at_threshold
        As in :func:`stochastic_lif`.

    Returns
    -------
    EquationNeuron
        States ``v`` and ``I`` (volt); spikes add their weight (volt) to ``I``.

    Raises
    ------
    TypeError, ValueError
        For parameters of the wrong dimensions or sign (the message names the argument).
    """
    owner = "lif_first_order"
    ns = {"tau_m": _quantity(owner, "tau_m", tau_m, "time", positive=True),
          "tau_syn": _quantity(owner, "tau_syn", tau_syn, "time", positive=True),
          "v_rest": _quantity(owner, "v_rest", v_rest, "voltage"),
          "v_reset": _quantity(owner, "v_reset", v_reset, "voltage"),
          "bias": _quantity(owner, "bias", bias, "voltage")}
    refractory = _refractory(owner, refractory)
    threshold = _threshold_code(owner, v_threshold, escape_width, rate_at_threshold, ns)
    eqs = (f"dv/dt = (v_rest + bias + I - v) / tau_m : volt{_flag(refractory)}\n"
           "dI/dt = -I / tau_syn : volt")
    return EquationNeuron(eqs, threshold=threshold, reset="v = v_reset", refractory=refractory,
                          input_var="I", namespace=ns, initial={"v": v_rest, "I": 0 * volt},
                          method="euler")


# ----------------------------------------------------------------------------------- (c)
def lif_second_order(tau_m=20 * ms, tau_syn=5 * ms, tau_rise=1 * ms, v_rest=-70 * mV,
                     v_reset=-70 * mV, v_threshold=-50 * mV, bias=0 * mV, refractory=2 * ms,
                     sigma=0 * mV, escape_width=None,
                     rate_at_threshold=None) -> EquationNeuron:
    """LIF neuron with a second-order kinetic synapse, bias and additive noise.

    A spike enters a rise state ``I_s`` which feeds the synaptic current ``I`` which feeds ``v``
    (a difference-of-exponentials postsynaptic current).  Update of one step (explicit forward
    Euler; Euler--Maruyama with ``sigma > 0``)::

        v[t+1]   = alpha * v[t] + (1 - alpha) * (v_rest + bias + I[t])
                   [+ sigma * sqrt(2 dt / tau_m) * N(0, 1)]           alpha = 1 - dt / tau_m
        I[t+1]   = a1 * I[t] + (1 - a1) * I_s[t]                      a1 = 1 - dt / tau_syn
        I_s[t+1] = a2 * I_s[t]                                        a2 = 1 - dt / tau_rise
        I_s += w               for each arriving spike (input_var "I_s")
        spike if v >= v_threshold (or escape noise); v = v_reset, v held for ``refractory``

    Parameters
    ----------
    tau_m, tau_syn, tau_rise : Quantity
        Membrane, synaptic (decay) and rise time constants (time, > 0).
    sigma : Quantity
        Additive white noise on ``v`` (voltage, >= 0), as in :func:`stochastic_lif`.
    v_rest, v_reset, v_threshold, bias, refractory, escape_width, rate_at_threshold
        As in :func:`stochastic_lif`.

    Returns
    -------
    EquationNeuron
        States ``v``, ``I``, ``I_s`` (volt); spikes add their weight (volt) to ``I_s``.

    Raises
    ------
    TypeError, ValueError
        For parameters of the wrong dimensions or sign (the message names the argument).
    """
    owner = "lif_second_order"
    ns = {"tau_m": _quantity(owner, "tau_m", tau_m, "time", positive=True),
          "tau_syn": _quantity(owner, "tau_syn", tau_syn, "time", positive=True),
          "tau_rise": _quantity(owner, "tau_rise", tau_rise, "time", positive=True),
          "v_rest": _quantity(owner, "v_rest", v_rest, "voltage"),
          "v_reset": _quantity(owner, "v_reset", v_reset, "voltage"),
          "bias": _quantity(owner, "bias", bias, "voltage"),
          "sigma": _quantity(owner, "sigma", sigma, "voltage", non_negative=True)}
    refractory = _refractory(owner, refractory)
    threshold = _threshold_code(owner, v_threshold, escape_width, rate_at_threshold, ns)
    eqs = (f"dv/dt = (v_rest + bias + I - v) / tau_m{_noise(sigma, 'tau_m')} : volt"
           f"{_flag(refractory)}\n"
           "dI/dt = (I_s - I) / tau_syn : volt\n"
           "dI_s/dt = -I_s / tau_rise : volt")
    return EquationNeuron(eqs, threshold=threshold, reset="v = v_reset", refractory=refractory,
                          input_var="I_s", namespace=ns,
                          initial={"v": v_rest, "I": 0 * volt, "I_s": 0 * volt}, method="euler")


# ----------------------------------------------------------------------------------- (d)
def dual_compartment_lif(tau_m=20 * ms, tau_syn=4 * ms, tau_dendrite=5 * ms, v_rest=0 * mV,
                         v_reset=0 * mV, v_threshold=20 * mV, bias=0 * mV, refractory=2 * ms,
                         dendrite_to_soma=0 * Hz, soma_to_dendrite=0 * Hz, escape_width=None,
                         rate_at_threshold=None) -> EquationNeuron:
    """Two-compartment LIF neuron: a spiking soma ``v`` and a dendrite ``U``.

    With the default couplings (both 0 Hz) the dendrite does not drive the soma: ``U`` only
    low-pass filters the spikes sent to it, as in event-driven random backpropagation (eRBP),
    where ``U`` is the error a plastic synapse reads while ``v`` computes the forward pass.
    Update of one step (explicit forward Euler)::

        v[t+1] = alpha * v[t] + (1 - alpha) * (v_rest + bias + I[t])
                 + dt * dendrite_to_soma * U[t]                       alpha = 1 - dt / tau_m
        I[t+1] = a1 * I[t]                                            a1 = 1 - dt / tau_syn
        U[t+1] = aU * U[t] + dt * soma_to_dendrite * (v[t] - v_rest)  aU = 1 - dt / tau_dendrite
        I += w   for each spike of a connection onto the neuron (input_var "I")
        U += w   for each spike of a connection with ``target="U"``
        spike if v >= v_threshold (or escape noise); then v = v_reset (U and I are not reset),
        v held for ``refractory``

    The NSAT dual-compartment form ``V1[t+1] = a V1 + a21 V2``, ``V2[t+1] = a V2 + a12 V1 + I``
    is the case ``dendrite_to_soma = a21 / dt``, ``soma_to_dendrite = a12 / dt``.

    Parameters
    ----------
    tau_m, tau_syn, tau_dendrite : Quantity
        Time constants of the soma, its synaptic current and the dendrite (time, > 0).  eRBP's
        hidden neurons: ``tau_m`` 1 ms, ``tau_syn`` 4 ms, ``tau_dendrite`` 5 ms.
    v_rest, v_reset, v_threshold, bias, refractory, escape_width, rate_at_threshold
        As in :func:`stochastic_lif` (``U`` rests at 0).
    dendrite_to_soma, soma_to_dendrite : Quantity
        Coupling rates (rate, >= 0): per step ``dt * rate`` of the other compartment is added.

    Returns
    -------
    EquationNeuron
        States ``v``, ``I``, ``U`` (volt).

    Raises
    ------
    TypeError, ValueError
        For parameters of the wrong dimensions or sign (the message names the argument).
    """
    owner = "dual_compartment_lif"
    ns = {"tau_m": _quantity(owner, "tau_m", tau_m, "time", positive=True),
          "tau_syn": _quantity(owner, "tau_syn", tau_syn, "time", positive=True),
          "tau_dendrite": _quantity(owner, "tau_dendrite", tau_dendrite, "time", positive=True),
          "v_rest": _quantity(owner, "v_rest", v_rest, "voltage"),
          "v_reset": _quantity(owner, "v_reset", v_reset, "voltage"),
          "bias": _quantity(owner, "bias", bias, "voltage"),
          "k_vu": _quantity(owner, "dendrite_to_soma", dendrite_to_soma, "rate",
                            non_negative=True),
          "k_uv": _quantity(owner, "soma_to_dendrite", soma_to_dendrite, "rate",
                            non_negative=True)}
    refractory = _refractory(owner, refractory)
    threshold = _threshold_code(owner, v_threshold, escape_width, rate_at_threshold, ns)
    to_soma = " + k_vu * U" if float(dendrite_to_soma) > 0 else ""
    to_dendrite = " + k_uv * (v - v_rest)" if float(soma_to_dendrite) > 0 else ""
    eqs = (f"dv/dt = (v_rest + bias + I - v) / tau_m{to_soma} : volt{_flag(refractory)}\n"
           "dI/dt = -I / tau_syn : volt\n"
           f"dU/dt = -U / tau_dendrite{to_dendrite} : volt")
    return EquationNeuron(eqs, threshold=threshold, reset="v = v_reset", refractory=refractory,
                          input_var="I", namespace=ns,
                          initial={"v": v_rest, "I": 0 * volt, "U": 0 * volt}, method="euler")


# ----------------------------------------------------------------------------------- (e)
def mihalas_niebur(E_L=-70 * mV, V_r=-70 * mV, theta_r=-60 * mV, theta_inf=-50 * mV,
                   leak_rate=50 * Hz, k1=200 * Hz, k2=20 * Hz, a=0 * Hz, b=10 * Hz,
                   R1=0.0, R2=1.0, A1=0 * volt / second, A2=0 * volt / second,
                   I_e=0 * volt / second) -> EquationNeuron:
    """The Mihalas--Niebur neuron: linear dynamics, adaptive threshold, spike-induced currents.

    Mihalas & Niebur (2009), "A generalized linear integrate-and-fire neural model produces
    diverse spiking behaviors", Neural Computation 21:704--718.  With all currents and conductances
    divided by the capacitance C::

        dI_1/dt   = -k1 I_1
        dI_2/dt   = -k2 I_2
        dV/dt     = I_e + I_1 + I_2 - (G/C) (V - E_L)
        dTheta/dt = a (V - E_L) - b (Theta - theta_inf)

        spike when V >= Theta, then   I_j <- R_j I_j + A_j,   V <- V_r,
                                      Theta <- max(theta_r, Theta)

    Update of one step (explicit forward Euler, the NSAT form
    ``V[t+1] = alpha V[t] + dt (I_e + G/C E_L + I_1 + I_2)``, ``alpha = 1 - dt G/C``)::

        I_j[t+1]   = (1 - dt k_j) I_j[t]
        V[t+1]     = V[t] + dt (I_e[t] + I_1[t] + I_2[t] - G/C (V[t] - E_L))
        Theta[t+1] = (1 - dt b) Theta[t] + dt (a (V[t] - E_L) + b theta_inf)
        then the threshold test on the new values and the reset rules above

    Parameters
    ----------
    E_L, V_r : Quantity
        Leak reversal and reset potentials (voltage).
    theta_r, theta_inf : Quantity
        Threshold floor after a spike and resting threshold (voltage).
    leak_rate : Quantity
        G/C (rate, >= 0): 1 / membrane time constant.
    k1, k2 : Quantity
        Decay rates of the spike-induced currents (rate, >= 0).
    a : Quantity
        Dependence of the threshold on the potential (rate; any sign: a < 0 lowers the threshold
        when the neuron is depolarized).
    b : Quantity
        Rate at which the threshold returns to ``theta_inf`` (rate, >= 0).
    R1, R2 : float
        Fraction of the spike-induced currents kept at a spike (dimensionless).
    A1, A2 : Quantity
        Increments of the spike-induced currents at a spike (current / C: voltage per time, e.g.
        ``10*volt/second``).
    I_e : Quantity
        External current / C at the start (voltage per time).  ``I_e`` is a state variable:
        connections with ``target="I_e"`` change it (see
        :func:`pulsegated.nsat.behaviours.add_current_input`).

    Returns
    -------
    EquationNeuron
        States ``V``, ``Theta`` (volt), ``I1``, ``I2``, ``I_e`` (volt/second); starts at
        ``V = E_L``, ``Theta = theta_inf``, ``I1 = I2 = 0``.  Spikes through connections add
        their weight (volt) to ``V``.

    Raises
    ------
    TypeError, ValueError
        For a parameter of the wrong dimensions (or a plain number where a Quantity is expected)
        or a negative rate (``leak_rate``, ``k1``, ``k2``, ``b``); the message names it.

    Notes
    -----
    Defaults: the paper's default values (G/C = 50 s^-1, k1 = 200 s^-1, k2 = 20 s^-1, b = 10 s^-1,
    R1 = 0, R2 = 1, E_L = V_r = -70 mV, theta_r = -60 mV, theta_inf = -50 mV).  Parameter sets of
    its behaviours are in :mod:`pulsegated.nsat.behaviours`.
    """
    owner = "mihalas_niebur"
    ns = {"E_L": _quantity(owner, "E_L", E_L, "voltage"),
          "V_r": _quantity(owner, "V_r", V_r, "voltage"),
          "theta_r": _quantity(owner, "theta_r", theta_r, "voltage"),
          "theta_inf": _quantity(owner, "theta_inf", theta_inf, "voltage"),
          "leak_rate": _quantity(owner, "leak_rate", leak_rate, "rate", non_negative=True),
          "k1": _quantity(owner, "k1", k1, "rate", non_negative=True),
          "k2": _quantity(owner, "k2", k2, "rate", non_negative=True),
          "a_theta": _quantity(owner, "a", a, "rate"),
          "b_theta": _quantity(owner, "b", b, "rate", non_negative=True),
          "R1": _number(owner, "R1", R1), "R2": _number(owner, "R2", R2),
          "A1": _quantity(owner, "A1", A1, "voltage per time"),
          "A2": _quantity(owner, "A2", A2, "voltage per time")}
    _quantity(owner, "I_e", I_e, "voltage per time")
    eqs = ("dV/dt = I_e + I1 + I2 - leak_rate * (V - E_L) : volt\n"
           "dTheta/dt = a_theta * (V - E_L) - b_theta * (Theta - theta_inf) : volt\n"
           "dI1/dt = -k1 * I1 : volt/second\n"
           "dI2/dt = -k2 * I2 : volt/second\n"
           "I_e : volt/second")
    reset = ("I1 = R1 * I1 + A1\n"
             "I2 = R2 * I2 + A2\n"
             "V = V_r\n"
             "Theta = clip(Theta, theta_r, inf * volt)")
    initial = {"V": E_L, "Theta": theta_inf, "I1": 0 * volt / second, "I2": 0 * volt / second,
               "I_e": I_e}
    return EquationNeuron(eqs, threshold="V >= Theta", reset=reset, input_var="V", namespace=ns,
                          initial=initial, method="euler")
