"""The NSAT neuron models, each run on the Brian2 backend against an independent statement of its
per-step update (a numpy loop written here), or against its noise formula."""

import numpy as np
import pytest
from brian2 import Hz, ms, mV, second, volt

from pulsegated.backends import Simulator
from pulsegated.circuit import Circuit
from pulsegated.nsat import (dual_compartment_lif, escape_probability, lif_first_order,
                             lif_second_order, mihalas_niebur, run_behaviour, stochastic_lif)

DT = 0.1e-3  # s


def _run(circuit, n_steps, record_state, seed=None):
    sim = Simulator(circuit, backend="brian2", codegen="numpy", record_state=record_state,
                    seed=seed)
    sim.run_steps(n_steps)
    return sim


def _input_train(n_steps, rate_per_step, seed):
    """Steps of a random input spike train and the 0/1 input of every step."""
    rng = np.random.default_rng(seed)
    steps = np.flatnonzero(rng.random(n_steps) < rate_per_step)
    s = np.zeros(n_steps)
    s[steps] = 1
    return steps, s


def _lif_reference(n, s_in, w, tau_m, tau_syn, tau_rise, v_rest, v_reset, v_th, bias, R):
    """The per-step update of the LIF models in plain numpy (SI floats).

    tau_rise None: first-order synapse (inputs into I); else second-order (inputs into I_s).
    Order of a step: every state from the previous values, threshold, arriving spikes, reset.
    Refractoriness: a spike at step s holds v and forbids spikes in steps s+1 .. s+R-1.
    """
    v, I, Is, last = v_rest, 0.0, 0.0, -10**9
    vs, spikes = np.empty(n), []
    for t in range(n):
        free = t - last >= R
        v_new = v + DT * (v_rest + bias + I - v) / tau_m if free else v
        if tau_rise is None:
            I_new = I - DT * I / tau_syn
        else:
            I_new = I + DT * (Is - I) / tau_syn
            Is = Is - DT * Is / tau_rise
        v, I = v_new, I_new
        spike = free and v >= v_th
        if tau_rise is None:
            I += w * s_in[t]
        else:
            Is += w * s_in[t]
        if spike:
            spikes.append(t)
            last = t
            v = v_reset
        vs[t] = v
    return np.array(spikes), vs


@pytest.mark.parametrize("order", [1, 2])
def test_lif_with_kinetic_synapse_follows_its_discrete_update(order):
    """Brian2's run equals the numpy statement of the update: the same spike steps and the same
    potential (to float rounding) over 3000 steps with 20-40 spikes."""
    n = 3000
    steps, s_in = _input_train(n, 0.05, seed=order)
    w = 12e-3 if order == 1 else 40e-3  # volt
    kw = dict(tau_m=10 * ms, tau_syn=4 * ms, v_rest=-70 * mV, v_reset=-75 * mV,
              v_threshold=-55 * mV, bias=3 * mV, refractory=2 * ms)
    if order == 1:
        model = lif_first_order(**kw)
    else:
        model = lif_second_order(tau_rise=1.5 * ms, **kw)
    c = Circuit("lif", dt=DT * second)
    c.add_population("n", 1, model)
    c.add_source("in", 1, steps=tuple(int(x) for x in steps))
    c.connect("in", "n", "one_to_all", w)
    sim = _run(c, n, {"n": ["v"]})
    got, _ = sim.spikes("n")
    ref, v_ref = _lif_reference(n, s_in, w, 10e-3, 4e-3, None if order == 1 else 1.5e-3,
                                -70e-3, -75e-3, -55e-3, 3e-3, 20)
    assert len(ref) > 20
    assert len(got) == len(ref) and np.all(np.abs(got - ref) <= 1)
    np.testing.assert_allclose(sim.state("n", "v")[:, 0], v_ref, rtol=0, atol=1e-9)


def test_dual_compartment_dendrite_does_not_drive_the_soma():
    """Same soma input to three neurons; errors into the dendrite U of two.  Without coupling the
    soma of the neuron with a driven dendrite is identical to the one without; U follows
    U[t+1] = (1 - dt/tau_U) U[t] + inputs; with dendrite_to_soma > 0 the soma changes."""
    n = 2000
    soma_steps, _ = _input_train(n, 0.05, seed=3)
    err_steps, err_in = _input_train(n, 0.02, seed=4)
    kw = dict(tau_m=1 * ms, tau_syn=4 * ms, tau_dendrite=5 * ms, v_threshold=0.1 * volt,
              refractory=3.9 * ms)
    c = Circuit("dual", dt=DT * second)
    c.add_population("plain", 1, dual_compartment_lif(**kw))
    c.add_population("driven", 1, dual_compartment_lif(**kw))
    c.add_population("coupled", 1, dual_compartment_lif(dendrite_to_soma=500 * Hz, **kw))
    c.add_source("x", 1, steps=tuple(int(x) for x in soma_steps))
    c.add_source("err", 1, steps=tuple(int(x) for x in err_steps))
    for p in ("plain", "driven", "coupled"):
        c.connect("x", p, "one_to_all", 0.04)
    for p in ("driven", "coupled"):
        c.connect("err", p, "one_to_all", 0.05, target="U")
    sim = _run(c, n, {p: ["v", "U"] for p in ("plain", "driven", "coupled")})
    np.testing.assert_array_equal(sim.state("plain", "v"), sim.state("driven", "v"))
    np.testing.assert_array_equal(sim.spikes("plain")[0], sim.spikes("driven")[0])
    assert len(sim.spikes("plain")[0]) > 5
    U = sim.state("driven", "U")[:, 0]
    assert np.all(sim.state("plain", "U") == 0) and U.max() > 0.05
    u, U_ref = 0.0, np.empty(n)
    for t in range(n):
        u = u - DT * u / 5e-3 + 0.05 * err_in[t]
        U_ref[t] = u
    np.testing.assert_allclose(U, U_ref, rtol=0, atol=1e-12)
    assert not np.array_equal(sim.state("coupled", "v"), sim.state("plain", "v"))


def test_escape_noise_rate_matches_its_formula():
    """Potential held at v (reset = rest = v): every free step spikes with probability
    p = 1 - exp(-rho(v) dt), and refractoriness R steps gives intervals R - 1 + Geometric(p), so
    the rate is 1 / (dt (R - 1 + 1/p)).  400 neurons x 4000 steps per potential; the spike count
    is compared with a tolerance of 4 standard errors of a renewal count (CV of the interval
    sqrt(1 - p) / (p (R - 1 + 1/p)))."""
    dt, n_steps, n, R = 1e-3, 4000, 400, 4
    c = Circuit("escape", dt=dt * second)
    levels = {"low": -60 * mV, "high": -55 * mV}
    kw = dict(v_threshold=-55 * mV, escape_width=2 * mV, rate_at_threshold=200 * Hz,
              refractory=R * ms)
    for name, v in levels.items():
        c.add_population(name, n, stochastic_lif(v_rest=v, v_reset=v, **kw))
    sim = _run(c, n_steps, None, seed=11)
    for name, v in levels.items():
        p = float(escape_probability(v, -55 * mV, 2 * mV, 200 * Hz, dt * second))
        mean_isi = R - 1 + 1 / p  # steps
        expected = n * n_steps / mean_isi
        cv = np.sqrt(1 - p) / p / mean_isi
        se = cv * np.sqrt(expected)
        count = len(sim.spikes(name)[0])
        assert abs(count - expected) < 4 * se, (name, count, expected, se)
        isi = np.concatenate([np.diff(np.sort(sim.spikes(name)[0][sim.spikes(name)[1] == i]))
                              for i in range(n)])
        assert isi.min() == R  # never inside the dead time


def test_additive_noise_has_its_stationary_spread():
    """Euler--Maruyama with sigma: stationary sd sigma / sqrt(1 - dt / (2 tau_m)) (threshold out
    of reach).  2000 neurons after 10 tau_m; tolerance 4 standard errors (sd / sqrt(2N) for the
    sd, sd / sqrt(N) for the mean)."""
    n, tau, sigma = 2000, 10e-3, 4e-3
    c = Circuit("noise", dt=DT * second)
    c.add_population("n", n, stochastic_lif(tau_m=tau * second, sigma=sigma * volt,
                                            v_threshold=0 * mV))
    sim = _run(c, 1000, {"n": ["v"]}, seed=5)
    v = sim.state("n", "v")[-1]
    sd = sigma / np.sqrt(1 - DT / (2 * tau))
    assert abs(v.std() - sd) < 4 * sd / np.sqrt(2 * n)
    assert abs(v.mean() + 70e-3) < 4 * sd / np.sqrt(n)
    assert len(sim.spikes("n")[0]) == 0


def _mn_reference(n, I_e, a, b, A1, A2, R1=0.0, R2=1.0, k1=200.0, k2=20.0, G=50.0,
                  E_L=-70e-3, V_r=-70e-3, th_r=-60e-3, th_inf=-50e-3):
    """Mihalas--Niebur, forward Euler, in plain numpy (SI floats); I_e[t] drives step t."""
    I1 = I2 = 0.0
    V, th = E_L, th_inf
    spikes, Vs = [], np.empty(n)
    for t in range(n):
        I1, I2, V, th = (I1 - DT * k1 * I1, I2 - DT * k2 * I2,
                         V + DT * (I_e[t] + I1 + I2 - G * (V - E_L)),
                         th + DT * (a * (V - E_L) - b * (th - th_inf)))
        if V >= th:
            spikes.append(t)
            I1, I2, V, th = R1 * I1 + A1, R2 * I2 + A2, V_r, max(th_r, th)
        Vs[t] = V
    return np.array(spikes), Vs


@pytest.mark.parametrize("name, a, b, A1, A2", [
    ("tonic_bursting", 5.0, 10.0, 10.0, -0.6),
    ("spike_frequency_adaptation", 5.0, 10.0, 0.0, 0.0),
])
def test_mihalas_niebur_follows_its_discrete_update(name, a, b, A1, A2):
    """The Brian2 run of a behaviour equals the numpy statement of the model's update and reset
    rules (I_j <- R_j I_j + A_j, V <- V_r, Theta <- max(theta_r, Theta)), input current included."""
    run = run_behaviour(name, duration=300 * ms)
    I_e = np.asarray(run.I_e)
    ref, V_ref = _mn_reference(len(I_e), I_e, a, b, A1, A2)
    got = np.rint(np.asarray(run.spike_times) / DT).astype(int)
    assert len(ref) > 5
    assert len(got) == len(ref) and np.all(np.abs(got - ref) <= 1)
    np.testing.assert_allclose(np.asarray(run.V), V_ref, rtol=0, atol=1e-9)


def test_mihalas_niebur_threshold_is_never_reset_below_theta_r():
    """Theta <- max(theta_r, Theta): with a < 0 the threshold falls under theta_r while the cell
    is depolarized; each spike lifts it back to exactly theta_r."""
    c = Circuit("mn", dt=DT * second)
    c.add_population("n", 1, mihalas_niebur(a=-50 * Hz, theta_r=-55 * mV,
                                            I_e=1.8 * volt / second))
    sim = _run(c, 2000, {"n": ["Theta"]})
    steps, _ = sim.spikes("n")
    theta = sim.state("n", "Theta")[:, 0]
    low = steps[theta[steps - 1] < -56e-3]  # well under the floor one step before the spike
    assert len(low) >= 3
    np.testing.assert_array_equal(theta[low], -55e-3)


@pytest.mark.parametrize("call, message", [
    (lambda: lif_first_order(tau_m=20), r"lif_first_order: tau_m must be a single time"),
    (lambda: lif_first_order(tau_syn=-5 * ms), r"lif_first_order: tau_syn must be positive"),
    (lambda: lif_second_order(tau_rise=0 * ms), r"lif_second_order: tau_rise must be positive"),
    (lambda: stochastic_lif(v_threshold=-50), r"stochastic_lif: v_threshold must be a single "
                                              r"voltage"),
    (lambda: stochastic_lif(sigma=-1 * mV), r"stochastic_lif: sigma must not be negative"),
    (lambda: stochastic_lif(escape_width=2 * mV), r"escape noise needs rate_at_threshold"),
    (lambda: stochastic_lif(rate_at_threshold=10 * Hz), r"rate_at_threshold needs escape_width"),
    (lambda: stochastic_lif(refractory=-1 * ms), r"stochastic_lif: refractory must not be "
                                                 r"negative"),
    (lambda: dual_compartment_lif(tau_dendrite=5 * mV), r"tau_dendrite must be a single time"),
    (lambda: dual_compartment_lif(dendrite_to_soma=-1 * Hz), r"dendrite_to_soma must not be "
                                                             r"negative"),
    (lambda: mihalas_niebur(k1=-200 * Hz), r"mihalas_niebur: k1 must not be negative"),
    (lambda: mihalas_niebur(A1=10 * mV), r"mihalas_niebur: A1 must be a single voltage per time"),
    (lambda: mihalas_niebur(R1=0.5 * mV), r"mihalas_niebur: R1 is dimensionless"),
    (lambda: mihalas_niebur(I_e=1.5), r"mihalas_niebur: I_e must be a single voltage per time"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


def test_models_describe_their_variables():
    assert lif_first_order().input_var == "I"
    assert lif_second_order().input_var == "I_s"
    assert dual_compartment_lif().input_var == "I"
    assert "U" in dual_compartment_lif().initial
    assert stochastic_lif().input_var == "v"
    m = mihalas_niebur(I_e=2 * volt / second)
    assert m.input_var == "V" and m.method == "euler" and m.initial["I_e"] == 2 * volt / second
    assert "xi" not in stochastic_lif().equations and "xi" in stochastic_lif(sigma=1 * mV).equations
