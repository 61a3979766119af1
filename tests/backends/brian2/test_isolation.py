"""Builds and runs of one circuit never change another's clock, code generation target or device,
nor Brian2's global state; standalone projects go where the caller says."""

import os

import brian2 as b2
import numpy as np
import pytest

from pulsegated.backends.brian2 import Brian2Simulator, build
from pulsegated.circuit import Circuit, EquationNeuron, LoihiCompartment
from pulsegated.errors import UsageError
from pulsegated.nbp import rule
from pulsegated.nbp.network import PLASTIC, training_circuit
from pulsegated.nbp.reference import train_epoch


def lif_circuit(dt):
    """A driven LIF neuron: it spikes every ~11 ms, i.e. at step numbers that depend on dt."""
    c = Circuit(f"lif{int(round(float(dt / b2.us)))}", dt=dt)
    c.add_source("kick", 1, steps=(3,))
    lif = EquationNeuron(equations="dv/dt = (drive - v) / tau : volt", threshold="v > 10*mV",
                         reset="v = 0*mV", input_var="v",
                         namespace={"tau": 10 * b2.ms, "drive": 15 * b2.mV})
    c.add_population("n", 2, lif)
    c.connect("kick", "n", "all_to_all", np.array([[4e-3, 0.0]]))
    return c


def global_state():
    return (b2.get_device(), b2.prefs.codegen.target, float(b2.defaultclock.dt),
            list(b2.prefs.devices.cpp_standalone.extra_make_args_unix))


def spike_list(sim, pop="n"):
    steps, idx = sim.spikes(pop)
    return sorted(zip(steps.tolist(), idx.tolist()))


def test_two_circuits_at_different_dt_run_interleaved():
    before = global_state()
    alone = {}
    for dt in (1 * b2.ms, 0.1 * b2.ms):
        s = Brian2Simulator(lif_circuit(dt), codegen="numpy")
        s.run_steps(300)
        alone[float(dt)] = spike_list(s)
    fine = Brian2Simulator(lif_circuit(0.1 * b2.ms), codegen="numpy")
    fine.run_steps(100)
    coarse = Brian2Simulator(lif_circuit(1 * b2.ms), codegen="numpy")  # the sequence
    fine.run_steps(10)
    assert fine.t == 110
    for _ in range(3):
        coarse.run_steps(100)
        fine.run_steps(63)
    fine.run_steps(1)
    assert (coarse.t, fine.t) == (300, 300)
    # the kick at step 3 makes neuron 0 lead; each dt gives its own spike steps
    assert alone[1e-3] != alone[1e-4] and len(alone[1e-3]) > 40 and len(alone[1e-4]) >= 4
    assert spike_list(coarse) == alone[1e-3]
    assert spike_list(fine) == alone[1e-4]
    assert global_state() == before


def test_code_generation_target_is_per_build():
    from brian2.codegen.runtime.cython_rt import CythonCodeObject
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject
    before = global_state()
    first = Brian2Simulator(lif_circuit(1 * b2.ms), codegen="numpy")
    first.run_steps(30)
    second = Brian2Simulator(lif_circuit(1 * b2.ms), codegen="cython")
    second.run_steps(30)
    first.run_steps(30)
    assert global_state() == before
    for sim, cls in ((first, NumpyCodeObject), (second, CythonCodeObject)):
        group, syn = sim.b2c.groups["n"], sim.b2c.synapses["kick__n"].synapses
        assert group.codeobj_class is cls and syn.codeobj_class is cls
        assert type(group.thresholder["spike"].codeobj) is cls
        assert type(group.state_updater.codeobj) is cls
        assert type(syn.pre.codeobj) is cls
    assert first.t == 60 and second.t == 30
    assert [s for s in spike_list(first) if s[0] < 30] == spike_list(second) != []


def test_errors_name_the_argument_before_anything_runs():
    c = lif_circuit(1 * b2.ms)
    for kwargs, msg in [({"device": "gpu"}, "unknown device 'gpu'"),
                        ({"codegen": "c"}, "unknown codegen target 'c'"),
                        ({"chunk_samples": 0}, "chunk_samples must be a positive integer"),
                        ({"make_jobs": 1.5}, "make_jobs must be a positive integer"),
                        ({"record": ["nope"]}, "cannot record unknown population 'nope'"),
                        ({"record_state": {"n": ["w"]}}, r"has no variable\(s\) 'w'"),
                        ({"record_state": {"m": ["v"]}}, "unknown population 'm'"),
                        ({"device": "cpp_standalone"}, "runs scheduled circuits"),
                        ({"speed": 2}, "unknown option")]:
        with pytest.raises(UsageError, match=msg):
            Brian2Simulator(c, **{"codegen": "numpy", **kwargs})
    sim = Brian2Simulator(c, codegen="numpy", record_state={"n": ["v"]})
    with pytest.raises(UsageError, match="state 'u' of 'n' was not recorded"):
        sim.state("n", "u")
    with pytest.raises(UsageError, match="unknown connection 'x'"):
        sim.weights("x")


def test_state_and_reset():
    c = lif_circuit(1 * b2.ms)
    sim = Brian2Simulator(c, codegen="numpy", record_state={"n": "v"})
    sim.run_steps(40)
    v = sim.state("n", "v")
    assert v.shape == (40, 2)
    # the kick at step 3 lifts neuron 0 by 4 mV in that step: it leads neuron 1 from then on
    assert v[2, 0] == v[2, 1] and v[3, 0] > v[3, 1] + 3.9e-3
    first = spike_list(sim)
    sim.reset()
    assert sim.t == 0 and spike_list(sim) == [] and sim.state("n", "v").shape == (0, 2)
    sim.run_steps(40)
    assert spike_list(sim) == first
    np.testing.assert_array_equal(sim.state("n", "v"), v)


def test_set_weights_runtime():
    c = Circuit("w")
    c.add_source("s", 2, steps=(0, 5), indices=(0, 1))
    c.add_population("a", 2, LoihiCompartment(threshold=100))
    c.add_population("b", 2, LoihiCompartment(threshold=100))
    c.connect("s", "a", "one_to_one", 50)
    c.connect("s", "b", "all_to_all", np.array([[0, 50], [50, 0]]))
    sim = Brian2Simulator(c, codegen="numpy")
    sim.set_weights("s__a", np.diag([150, 0]))
    sim.set_weights("s__b", np.array([[0, 0], [150, 0]]))
    np.testing.assert_array_equal(sim.weights("s__a"), np.diag([150, 0]))
    sim.run_steps(10)
    assert spike_list(sim, "a") == [(1, 0)]
    assert spike_list(sim, "b") == [(6, 0)]
    with pytest.raises(UsageError, match=r"matrix must have shape \(2, 2\)"):
        sim.set_weights("s__a", np.zeros((2, 3)))
    with pytest.raises(UsageError, match="no synapse"):
        sim.set_weights("s__a", np.ones((2, 2)))
    with pytest.raises(UsageError, match="integers"):
        sim.set_weights("s__b", np.full((2, 2), 0.5))


def test_build_keeps_its_call_forms():
    b2c = build(lif_circuit(1 * b2.ms), record=["n"], codegen="numpy")
    b2c.network.run(20 * b2c.dt, namespace={})
    assert float(b2c.network.t / b2c.dt) == 20 and len(b2c.monitors["n"].t) >= 1
    assert b2c.device == "runtime" and b2c.clock.dt == b2c.dt


# ----------------------------------------------------------------------- one small standalone build
def _nbp_case():
    rng = np.random.default_rng(5)
    W1, W2 = rule.init_weights(8, 6, 3, rng)
    W1, W2 = np.clip(W1 * 2, -240, 240), np.clip(W2 * 2, -240, 240)
    X = (rng.random((14, 8)) < 0.45).astype(np.uint8)
    y = rng.integers(0, 3, 14)
    return W1, W2, X, np.eye(3, dtype=np.uint8)[y], y


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    """A runtime simulator runs, a standalone one is built (in an empty working directory) and
    runs, then the runtime one runs on; the same runtime run without the standalone build and a
    runtime twin of the standalone run give the expected values."""
    W1, W2, X, T, y = _nbp_case()
    circuit = training_circuit(W1, W2)
    rec = dict(record=["h1", "o"], record_state={"o": ["u", "v"]}, chunk_samples=4)
    first = {"pixels": X[:6], "targets": T[:6]}
    rest = {"pixels": X[6:], "targets": T[6:]}
    before = global_state()

    ref = Brian2Simulator(circuit, codegen="numpy", **rec)
    ref.run_samples(first)
    ref.run_samples(rest)

    rt = Brian2Simulator(circuit, codegen="numpy", **rec)
    rt.run_samples(first)
    cwd, work = os.getcwd(), tmp_path_factory.mktemp("cwd")
    os.chdir(work)
    try:
        sa = Brian2Simulator(circuit, device="cpp_standalone", make_jobs=2, **rec)
        during = global_state()
        sa.run_samples(first)   # chunks of 4: the second is padded
        sa.run_samples(rest)
        left_in_cwd = sorted(os.listdir(work))
    finally:
        os.chdir(cwd)
    rt.run_samples(rest)
    yield dict(ref=ref, rt=rt, sa=sa, before=before, during=during, after=global_state(),
               left_in_cwd=left_in_cwd, W=(W1, W2), X=X, y=y, T=T, circuit=circuit)
    sa.close()


@pytest.mark.standalone
def test_standalone_build_leaves_cwd_and_global_state_alone(standalone):
    s = standalone
    assert s["left_in_cwd"] == []
    assert s["before"] == s["during"] == s["after"]
    from brian2.devices.device import runtime_device
    assert b2.get_device() is runtime_device
    d = s["sa"].build_dir
    assert os.path.isfile(os.path.join(d, "main"))
    assert not os.listdir(os.path.join(d, "static_arrays")) or all(
        not f.startswith("_timedarray") for f in os.listdir(os.path.join(d, "static_arrays")))


@pytest.mark.standalone
def test_runtime_simulator_runs_on_unchanged_by_a_standalone_build(standalone):
    ref, rt = standalone["ref"], standalone["rt"]
    assert rt.t == ref.t == 2 + 14 * 12
    for p in ("h1", "o"):
        np.testing.assert_array_equal(rt.spikes(p)[0], ref.spikes(p)[0])
        np.testing.assert_array_equal(rt.spikes(p)[1], ref.spikes(p)[1])
    np.testing.assert_array_equal(rt.state("o", "u"), ref.state("o", "u"))
    for c in PLASTIC:
        np.testing.assert_array_equal(rt.weights(c), ref.weights(c))


@pytest.mark.standalone
def test_standalone_run_samples_matches_runtime_and_reference(standalone):
    sa, ref = standalone["sa"], standalone["ref"]
    (W1, W2), X, y = standalone["W"], standalone["X"], standalone["y"]
    R1, R2 = W1.copy(), W2.copy()
    train_epoch(R1, R2, X, y)
    assert (R1 != W1).sum() > 5
    np.testing.assert_array_equal(sa.weights("W1").T, R1)
    np.testing.assert_array_equal(sa.weights("W2").T, R2)
    for c in PLASTIC:
        np.testing.assert_array_equal(sa.weights(c), ref.weights(c), err_msg=c)
    assert sa.t == ref.t
    # lead-in spikes of later chunks are a restart and not reported: the first 2 steps only
    for p in ("h1", "o"):
        np.testing.assert_array_equal(sa.spikes(p)[0], ref.spikes(p)[0], err_msg=p)
        np.testing.assert_array_equal(sa.spikes(p)[1], ref.spikes(p)[1], err_msg=p)
    u_sa, u_ref = sa.state("o", "u"), ref.state("o", "u")
    assert u_sa.shape == u_ref.shape == (ref.t, 3)
    # a restart differs only at the first step of a later chunk (sample 4, 6 and 10 here):
    # inputs from the previous sample's last phase are not carried over, the gate's are rebuilt
    sch = standalone["circuit"].schedule
    rows = sorted(set(np.nonzero(u_sa != u_ref)[0].tolist()))
    assert set(rows) <= {sch.step(4, 0), sch.step(6, 0), sch.step(10, 0)}
    keep = np.setdiff1d(np.arange(ref.t), rows)
    np.testing.assert_array_equal(u_sa[keep], u_ref[keep])
    v_sa, v_ref = sa.state("o", "v"), ref.state("o", "v")
    assert set(np.nonzero(v_sa != v_ref)[0].tolist()) <= set(rows)


@pytest.mark.standalone
def test_standalone_set_weights_and_close(standalone):
    sa, circuit = standalone["sa"], standalone["circuit"]
    X, T = standalone["X"], standalone["T"]
    W2 = sa.weights("W2")
    new = np.where(W2 > 0, W2 - 2, W2)
    sa.set_weights("W2", new)
    np.testing.assert_array_equal(sa.weights("W2"), new)
    twin = Brian2Simulator(circuit, codegen="numpy", chunk_samples=4)
    for c in PLASTIC:
        twin.set_weights(c, sa.weights(c))
    sa.run_samples({"pixels": X[:4], "targets": T[:4]})
    twin.run_samples({"pixels": X[:4], "targets": T[:4]})
    for c in PLASTIC:
        np.testing.assert_array_equal(sa.weights(c), twin.weights(c), err_msg=c)
    with pytest.raises(UsageError, match="run_steps needs device='runtime'"):
        sa.run_steps(3)
    d = sa.build_dir
    sa.close()
    assert not os.path.exists(d)
    with pytest.raises(UsageError, match="closed"):
        sa.run_samples({"pixels": X[:1], "targets": T[:1]})


@pytest.mark.standalone
def test_standalone_clear_spikes(standalone, tmp_path):
    """A standalone simulator that forgets its spikes after the first samples reports exactly
    the runtime run's later spikes."""
    ref, X, T = standalone["ref"], standalone["X"], standalone["T"]
    sa = Brian2Simulator(standalone["circuit"], device="cpp_standalone", make_jobs=2,
                         record=["h1", "o"], chunk_samples=4, build_dir=str(tmp_path))
    try:
        sa.run_samples({"pixels": X[:6], "targets": T[:6]})
        boundary = sa.t
        sa.clear_spikes()
        assert all(len(sa.spikes(p)[0]) == 0 for p in ("h1", "o"))
        sa.run_samples({"pixels": X[6:], "targets": T[6:]})
        for p in ("h1", "o"):
            steps, idx = ref.spikes(p)
            later = steps >= boundary
            assert later.sum() > 0
            np.testing.assert_array_equal(sa.spikes(p)[0], steps[later], err_msg=p)
            np.testing.assert_array_equal(sa.spikes(p)[1], idx[later], err_msg=p)
    finally:
        sa.close()
