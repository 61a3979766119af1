"""The spiking nBP backends' own checks (pulsegated.nbp.spiking), on every simulator."""

import numpy as np
import pytest

from pulsegated.errors import UsageError
from pulsegated.nbp import kinds, rule
from pulsegated.nbp.network import training_circuit
from pulsegated.nbp.spiking import (BIAS_BOUND, INHIBITED_BOUND, Brian2Backend, LoihiBackend,
                                    WATCHED, check_bias_bound, check_output_phases)


def _backend(name, W1, W2, **kw):
    if name == "brian2":
        return Brian2Backend(W1, W2, codegen="numpy", chunk=4, **kw)
    return LoihiBackend(W1, W2, chunk=4, **kw)


def _replay_case():
    """One sample whose phase-7 replay lifts output 1 over its bias, all forward sums in range.

    3 active inputs x 200 put all 80 hidden units at z1 = 600 (on, inside the derivative window).
    Output 0 (the target) sums 40 x 10 - 40 x 8 = 80: below half a threshold, inside its window,
    so it sends d+; after the W2 update the first 40 hidden units have a positive error (d1+) and
    are replayed onto the outputs in phase 7.  Output 1 has +254 from those 40 and -254 from the
    other 40: its forward sum is 0, its phase-7 input 40 x 254 = 10160.
    """
    W1 = np.full((80, 3), 200, dtype=np.int64)
    W2 = np.zeros((2, 80), dtype=np.int64)
    W2[0, :40], W2[0, 40:] = 10, -8
    W2[1, :40], W2[1, 40:] = 254, -254
    return W1, W2, np.ones((1, 3), np.uint8), np.array([0])


def test_replay_case_by_hand():
    W1, W2, X, y = _replay_case()
    check_bias_bound(W1, W2, X)  # every forward sum is within the gate bias bound
    f = rule.forward(W1, W2, X)
    assert (f["z1"] == 600).all() and f["h"].all() and list(f["z2"][0]) == [80, 0]
    # the published circuit holds output 1 in phase 8 by its bias alone: 10160 is over it
    assert 40 * 254 > -kinds.BIAS_DATA + kinds.THRESHOLD


def test_bias_bounds_by_hand():
    # ungated arrivals: W2 h in phase 8 of the published circuit (the bias alone), W1 x in phase
    # 8 (the bias and the inhibitory gate); a neuron fires when its potential exceeds 1024
    assert BIAS_BOUND == 8192 + 1024 and INHIBITED_BOUND == 8192 + 8128 + 1024
    W1 = np.full((40, 3), 200, dtype=np.int64)  # every hidden unit at 600: on
    W2 = np.zeros((2, 40), dtype=np.int64)
    W2[0, :36], W2[0, 36] = 254, 72  # 36 x 254 + 72 = 9216
    X = np.ones((1, 3), np.uint8)
    check_bias_bound(W1, W2, X)
    W2[0, 36] = 74
    with pytest.raises(UsageError, match=r"output \(W2 h\) input reaches 9218 > 9216"):
        check_bias_bound(W1, W2, X)
    W1 = np.zeros((2, 69), dtype=np.int64)
    W1[0, :68], W1[0, 68] = 254, 72  # 68 x 254 + 72 = 17344
    X = np.ones((1, 69), np.uint8)
    check_bias_bound(W1, np.zeros((2, 2), np.int64), X)
    W1[0, 68] = 74
    with pytest.raises(UsageError, match=r"hidden \(W1 x\) input reaches 17346 > 17344"):
        check_bias_bound(W1, np.zeros((2, 2), np.int64), X)
    W1[0, 68] = -74  # a negative sum of that size is refused too (the input accumulator)
    W1[0, :68] = -256
    with pytest.raises(UsageError, match=r"hidden \(W1 x\) input reaches 17482 > 17344"):
        check_bias_bound(W1, np.zeros((2, 2), np.int64), X)


@pytest.mark.parametrize("simulator", ["loihi", "brian2"])
def test_output_firing_out_of_phase_is_refused(simulator):
    W1, W2, X, y = _replay_case()
    b = _backend(simulator, W1, W2)
    with pytest.raises(UsageError, match=r"training sample 0: output unit 1 fired in phase 8"):
        b.train(X, y)


@pytest.mark.parametrize("simulator", ["loihi", "brian2"])
def test_a_clean_run_passes_and_keeps_what_the_user_records(simulator):
    W1, W2, X, y = _replay_case()
    W2[1, :40] = 100  # phase-7 input 4000: under the bias
    b = _backend(simulator, W1, W2, record=[WATCHED])
    b.train(np.repeat(X, 3, axis=0), np.repeat(y, 3))
    steps, _ = b.spikes(WATCHED)
    assert len(steps) > 0  # the user's record is not cleared by the check
    W1r, W2r = W1.copy(), W2.copy()
    for _ in range(3):
        rule.train_sample(W1r, W2r, X[0], np.eye(2, dtype=np.uint8)[0])
    assert all(np.array_equal(a, b_) for a, b_ in zip(b.weights(), (W1r, W2r)))


def test_check_output_phases_names_the_sample_the_unit_and_the_phase():
    W1, W2, _, _ = _replay_case()
    c = training_circuit(W1, W2)
    t0, n = c.schedule.t0, c.schedule.n_phases
    ok = np.array([t0 + 3, t0 + n + 5, t0 + 2 * n + 9])
    check_output_phases(c, ok, np.zeros(3, int))  # phases 3, 5, 9: allowed
    check_output_phases(c, np.array([t0 - 1]), np.array([0]))  # ring start-up: not counted
    with pytest.raises(UsageError, match=r"training sample 12: output unit 1 fired in phase 0"):
        check_output_phases(c, np.array([t0 + 3, t0 + 2 * n]), np.array([0, 1]), first_sample=10)
