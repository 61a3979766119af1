"""Operation counts of the Loihi emulator against counts written out by hand."""

import numpy as np
import pytest

from pulsegated.backends.loihi import LoihiSimulator
from pulsegated.circuit import Circuit, LoihiCompartment, SumOfProducts

STEPS = 9
W0 = 20  # plastic mantissas: small and positive (b fires only when its own source drives it)


def tiny_circuit():
    """Three populations driven by known spike trains.

    A source spike at step s makes its target fire at s + 1, a compartment's spike at t reaches
    its targets at t + 1.  ``a`` fires at 1 (a0, a1), 3 (a2), 5 (a0); ``b`` at 3 (b0), 5 (b1);
    ``c`` never fires (inputs at 4, 6, 7 stay below threshold).
    """
    c = Circuit("counts")
    c.add_population("a", 3, LoihiCompartment(threshold=1024))
    c.add_population("b", 2, LoihiCompartment(threshold=1024))
    c.add_population("c", 2, LoihiCompartment(threshold=1024))
    c.add_source("src", 3, steps=(0, 0, 2, 4), indices=(0, 1, 2, 0))
    c.add_source("bsrc", 2, steps=(2, 4), indices=(0, 1))
    c.add_source("kick", 1, steps=(6,))
    c.connect("src", "a", "one_to_one", 3072, name="src_a")
    c.connect("bsrc", "b", "one_to_one", 3072, name="bsrc_b")
    c.connect("a", "b", "all_to_all", np.full((3, 2), W0), name="plastic",
              plasticity=SumOfProducts(terms=((-2, ("x0", "y0")),), t_epoch=1))
    c.connect("b", "c", "one_to_one", 100, name="b_c")
    c.connect("kick", "c", "one_to_all", 200, name="kick_c")
    return c


# counts written out by hand (see tiny_circuit for the spike times)
HAND = {
    "steps": STEPS,
    "samples": 0,
    "compartments": 7,
    "spikes": 4 + 2 + 0,                 # a: 4, b: 2, c: 0
    "source_spikes": 4 + 2 + 1,          # src, bsrc, kick
    # src->a 4x1, bsrc->b 2x1, a->b 4x2, b->c 2x1, kick->c 1x2
    "synaptic_events": 4 + 2 + 8 + 2 + 2,
    "compartment_updates": 7 * STEPS,
    # a: inputs at 1 (a0, a1), 3 (a2), 5 (a0) -> 4
    # b: 2 (b0, b1 from a0, a1), 3 (b0), 4 (b0, b1 from a2), 5 (b1), 6 (b0, b1 from a0) -> 8
    # c: 4 (c0 from b0), 6 (c1 from b1), 7 (c0, c1 from kick) -> 4
    "active_updates": 4 + 8 + 4,
    # epochs of one step on a (3) -> b (2): pre-or-post active synapses
    # step 1: na=2, nb=0 -> 2*2 = 4; step 3: na=1, nb=1 -> 1*2 + 1*(3-1) = 4; step 5: same, 4
    "learning_updates": 12,
    "learning_coincidences": 2,          # (a2, b0) at step 3, (a0, b1) at step 5
}


@pytest.fixture
def sim():
    s = LoihiSimulator(tiny_circuit())
    s.run_steps(STEPS)
    return s


def test_totals_match_hand_counts(sim):
    counts = sim.operation_counts()
    for key, value in HAND.items():
        assert counts[key] == value, key
        assert isinstance(counts[key], np.int64), key
    # the rule ran: each coincidence took 2 off its synapse
    W = sim.weights("plastic")
    expected = np.full((3, 2), W0)
    expected[2, 0] -= 2
    expected[0, 1] -= 2
    np.testing.assert_array_equal(W, expected)


def test_breakdowns_match_hand_counts(sim):
    counts = sim.operation_counts()
    pops = counts["populations"]
    assert {k: int(v["spikes"]) for k, v in pops.items()} == {"a": 4, "b": 2, "c": 0}
    assert {k: int(v["active_updates"]) for k, v in pops.items()} == {"a": 4, "b": 8, "c": 4}
    assert {k: int(v["compartment_updates"]) for k, v in pops.items()} == {
        "a": 3 * STEPS, "b": 2 * STEPS, "c": 2 * STEPS}
    assert {k: int(v["synaptic_events_in"]) for k, v in pops.items()} == {
        "a": 4, "b": 2 + 8, "c": 2 + 2}
    assert {k: int(v["learning_updates_in"]) for k, v in pops.items()} == {"a": 0, "b": 12, "c": 0}
    assert {k: int(v["spikes"]) for k, v in counts["sources"].items()} == {
        "src": 4, "bsrc": 2, "kick": 1}
    conns = counts["connections"]
    assert {k: (int(v["synapses"]), int(v["pre_spikes"]), int(v["synaptic_events"]))
            for k, v in conns.items()} == {
        "src_a": (3, 4, 4), "bsrc_b": (2, 2, 2), "plastic": (6, 4, 8), "b_c": (2, 2, 2),
        "kick_c": (2, 1, 2)}
    assert (int(conns["plastic"]["learning_updates"]),
            int(conns["plastic"]["learning_coincidences"])) == (12, 2)
    assert int(conns["b_c"]["learning_updates"]) == 0


def test_synaptic_events_are_spikes_times_fan_out(sim):
    """The same total from the discretized segments: sum over pre neurons of spikes x fan-out."""
    prog = sim.program
    fan_out = np.add.reduceat(prog.seg_len, prog.seg_ptr[:-1]) * (np.diff(prog.seg_ptr) > 0)
    spikes = sim.emulator.operation_counters()["spikes"]
    assert int(spikes @ fan_out) == sim.operation_counts()["synaptic_events"]


def test_counts_continue_across_calls_and_reset(sim):
    sim.run_steps(3)  # nothing more happens: only updates are added
    counts = sim.operation_counts()
    assert counts["steps"] == STEPS + 3
    assert counts["compartment_updates"] == 7 * (STEPS + 3)
    assert counts["spikes"] == HAND["spikes"]
    sim.reset_operation_counts()
    counts = sim.operation_counts()
    assert all(counts[k] == 0 for k in HAND if k != "compartments")
    assert counts["compartments"] == 7


def test_counts_per_sample_of_a_scheduled_circuit():
    """run_samples: the nBP inference circuit (4 steps a sample) counts its samples."""
    from pulsegated.nbp import rule
    from pulsegated.nbp.network import inference_circuit

    W1, W2 = rule.init_weights(400, 400, 10, 0)
    circuit = inference_circuit(W1, W2)
    sim = LoihiSimulator(circuit, record=["o"])
    X = (np.random.default_rng(0).random((3, 400)) < 0.3).astype(np.uint8)
    sim.run_samples({"pixels": X})
    counts = sim.operation_counts()
    assert counts["samples"] == 3
    assert counts["compartment_updates"] == circuit.n_neurons * counts["steps"]
    # every pixel spike reaches its x neuron, and x fires once per pixel spike
    assert counts["sources"]["pixels"]["spikes"] == X.sum()
    assert counts["populations"]["x"]["spikes"] == X.sum()
    assert counts["learning_updates"] == 0  # no plastic connection
