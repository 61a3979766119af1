import numpy as np
import pytest

from pulsegated.analysis.activity import activity_violations, format_activity
from pulsegated.circuit import CircuitError
from pulsegated.nbp import rule
from pulsegated.nbp.network import (PLASTIC, copies_consistent, inference_circuit,
                                    training_circuit)

from .dense_sim import simulate


def test_full_size_counts_match_the_paper():
    W1, W2 = rule.init_weights(400, 400, 10, 0)
    c = training_circuit(W1, W2)
    assert c.n_neurons == 3282
    assert c.n_synapses(plastic=True) == 500_000
    assert len([k for k in c.connections if c.connections[k].plastic]) == 8
    inf = inference_circuit(W1, W2)
    assert inf.n_neurons == 814
    layer_synapses = sum(inf.weight_matrix(k).size for k in ("W1", "W2"))
    assert layer_synapses == 164_000


def _problem(seed, n_in=24, n_hidden=16, n_out=4, n=40, scale=3):
    rng = np.random.default_rng(seed)
    W1, W2 = rule.init_weights(n_in, n_hidden, n_out, rng)
    # larger than the default init so that a short run learns a lot; within the init's +-240
    W1 = np.clip(W1 * scale, -240, 240)
    W2 = np.clip(W2 * scale, -240, 240)
    X = (rng.random((n, n_in)) < 0.4).astype(np.uint8)
    labels = rng.integers(0, n_out, n)
    return W1, W2, X, labels


@pytest.mark.parametrize("seed", [0, 1])
def test_circuit_description_computes_the_rule(seed):
    """The 12-phase circuit, run naively step by step, gives the rule's weights bit for bit."""
    W1, W2, X, labels = _problem(seed)
    c = training_circuit(W1, W2)
    T = np.eye(W2.shape[0], dtype=np.uint8)[labels]
    W, spikes = simulate(c, {"pixels": X, "targets": T}, len(X))
    R1, R2 = W1.copy(), W2.copy()
    for x, t in zip(X, T):
        rule.train_sample(R1, R2, x, t)
    assert (R1 != W1).sum() > 20 and (R2 != W2).sum() > 5, "the problem must actually learn"
    assert np.array_equal(W["W1"].T, R1)
    assert np.array_equal(W["W2"].T, R2)
    assert all(copies_consistent({k: W[k] for k in PLASTIC}).values())
    assert activity_violations(c, spikes) == [], format_activity(c, spikes)


def test_bad_weights_are_refused():
    W1, W2 = rule.init_weights(8, 6, 3, 0)
    with pytest.raises(CircuitError, match="even"):
        training_circuit(W1 + 1, W2)
    with pytest.raises(CircuitError, match=r"\[-256, 254\]"):
        training_circuit(W1, W2 + 1000)
    with pytest.raises(CircuitError, match="shape"):
        training_circuit(W1, W2[:, :-1])
    with pytest.raises(CircuitError, match="integer"):
        training_circuit(W1.astype(float), W2)


def test_saturated_w2_builds_with_the_chips_negated_copy_and_copies_override():
    W1, W2 = rule.init_weights(8, 6, 3, 0)
    W2[0, :3] = -256
    c = training_circuit(W1, W2)  # -(-256) = 256 does not fit: the chip's copy holds 254
    minus = c.connections["W2T_minus"].weight  # (pre oT_minus, post h1T): -W2
    assert minus[0, :3].tolist() == [254, 254, 254]
    np.testing.assert_array_equal(minus[1:], -W2[1:])
    np.testing.assert_array_equal(minus[0, 3:], -W2[0, 3:])
    ok = copies_consistent({k: c.connections[k].weight for k in PLASTIC})
    assert [k for k, v in ok.items() if not v] == ["W2T_minus"]
    explicit = minus.copy()
    explicit[0, 0] = 252  # a saturated copy that moved on: kept as given
    c2 = training_circuit(W1, W2, copies={"W2T_minus": explicit})
    assert c2.connections["W2T_minus"].weight[0, 0] == 252
    with pytest.raises(CircuitError, match="plastic copy W2T_minus: expected shape"):
        training_circuit(W1, W2, copies={"W2T_minus": explicit[:, :1]})
    with pytest.raises(CircuitError, match="unknown plastic connection"):
        training_circuit(W1, W2, copies={"W9": explicit})
