"""The eRBP network compiled as a Brian2 ``cpp_standalone`` program.

The program runs the same model as the runtime device, with its own random numbers: it is checked
against the runtime device in distribution (spike totals, weight changes), exactly against itself
(a seed reproduces a run; blank rows that pad a short chunk change nothing), and for what stays
off at test time.
"""

import gc
import os

import numpy as np
import pytest

pytest.importorskip("brian2")

from pulsegated.erbp.network import ERBPNetwork  # noqa: E402
from pulsegated.erbp.params import ERBPParams  # noqa: E402
from pulsegated.erbp.weights import feedback_matrix, init_forward  # noqa: E402
from pulsegated.errors import UsageError  # noqa: E402

pytestmark = pytest.mark.standalone

# short samples, 1 ms steps; 64 inputs, 20 hidden, 4 classes
P = ERBPParams(dt=1e-3, sample_duration=0.1, learn_off=0.02, eta=2e-3)
SIZES = [64, 20, 4]


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % SIZES[-1]
    # each class lights its own quarter of the inputs
    X = rng.uniform(0.0, 0.3, (n, SIZES[0]))
    for k in range(SIZES[-1]):
        X[y == k, k * 16:(k + 1) * 16] = rng.uniform(0.6, 1.0, ((y == k).sum(), 16))
    return X, y


def _init(seed=1):
    rng = np.random.default_rng(seed)
    return init_forward(SIZES, rng), feedback_matrix(SIZES[1], SIZES[-1], rng)


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """One compiled program of 10-sample chunks, shared by the tests that only run it."""
    W, G = _init()
    d = tmp_path_factory.mktemp("erbp_standalone")
    return ERBPNetwork(W, G, P, chunk=10, seed=5, device="cpp_standalone",
                       directory=d / "project", name="erbp_sa")


def test_runs_like_the_runtime_device(program):
    """Spike totals per population and the weight change after 40 training samples, standalone
    against the runtime device (numpy): equal within the spread of the runtime device over
    seeds (or of Poisson counts: the difference of two has the sd sqrt(n0 + n1))."""
    W, G = _init()
    X, y = _data(40)
    program.set_weights(W)
    sa = program.run_samples(X, y, train=True)
    dw_sa = [np.abs(a - b).sum() for a, b in zip(program.weights(), W)]
    runs = []
    for seed in (5, 6):
        rt = ERBPNetwork(W, G, P, codegen="numpy", chunk=10, seed=seed, name=f"erbp_rt{seed}")
        r = rt.run_samples(X, y, train=True)
        runs.append((r, [np.abs(a - b).sum() for a, b in zip(rt.weights(), W)]))
    (r0, dw0), (r1, dw1) = runs
    for pop in ("data", "label", "hidden", "prediction", "error+", "error-"):
        spread = max(abs(r0.spikes[pop] - r1.spikes[pop]), 0.02 * r0.spikes[pop],
                     np.sqrt(r0.spikes[pop] + r1.spikes[pop]), 5)
        assert abs(sa.spikes[pop] - r0.spikes[pop]) <= 3 * spread, (pop, sa.spikes, r0.spikes)
    for layer in range(2):
        assert dw0[layer] > 0 and dw_sa[layer] > 0
        spread = max(abs(dw0[layer] - dw1[layer]), 0.05 * dw0[layer])
        assert abs(dw_sa[layer] - dw0[layer]) <= 3 * spread, (layer, dw_sa, dw0, dw1)
    # and the readout agrees with the prediction spikes it counts
    assert sa.counts.shape == (40, SIZES[-1]) and sa.counts.sum() == sa.spikes["prediction"]


def test_test_samples_change_nothing_and_silence_label_and_errors(program):
    W, _ = _init(2)
    X, _ = _data(7)
    program.set_weights(W)
    r = program.run_samples(X, train=False)
    for a, b in zip(program.weights(), W):
        np.testing.assert_array_equal(a, b)
    assert r.spikes["label"] == 0 and r.spikes["error+"] == 0 and r.spikes["error-"] == 0
    assert r.spikes["data"] > 0 and r.counts.shape == (7, SIZES[-1])


def test_a_seed_reproduces_the_runs_and_a_short_chunk_is_padded_without_trace(tmp_path):
    """Same seed: identical weights and counts.  A chunk of 6 samples run in a program of 8
    (two blank rows: no input, no learning) ends with exactly the weights of a program of 6.
    The three networks build into one folder (a project folder is reused: only what changed is
    compiled again)."""
    W, G = _init()
    X, y = _data(6)
    out = {}
    for name, chunk in (("a", 8), ("b", 8), ("c", 6)):
        net = ERBPNetwork(W, G, P, chunk=chunk, seed=9, device="cpp_standalone",
                          directory=tmp_path / "project", name="erbp_pad")
        r = net.run_samples(X, y, train=True)
        r2 = net.run_samples(X, y, train=True)  # the second run draws other random numbers
        out[name] = (net.weights(), r.counts, r2.counts)
    for k in range(2):
        np.testing.assert_array_equal(out["a"][0][k], out["b"][0][k])
        np.testing.assert_array_equal(out["a"][0][k], out["c"][0][k])
    np.testing.assert_array_equal(out["a"][1], out["c"][1])
    assert not np.array_equal(out["a"][1], out["a"][2])
    assert np.abs(out["a"][0][0] - W[0]).max() > 0


def test_a_foreign_folder_is_refused_and_a_temporary_one_removed(tmp_path):
    W, G = _init()
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty and holds no Brian2 standalone project"):
        ERBPNetwork(W, G, P, chunk=2, device="cpp_standalone", directory=foreign)
    assert sorted(os.listdir(foreign)) == ["keep.txt"]
    with pytest.raises(UsageError, match="unknown device 'gpu'"):
        ERBPNetwork(W, G, P, device="gpu")
    net = ERBPNetwork(W, G, P, chunk=2, seed=1, device="cpp_standalone", name="erbp_tmp")
    project = net.directory
    assert os.path.exists(os.path.join(project, "main.cpp"))
    del net
    gc.collect()
    assert not os.path.exists(project)
