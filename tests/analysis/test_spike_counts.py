"""Operation counts from spikes against the emulator's own counts and counts written by hand."""

import numpy as np
import pytest
from brian2 import Hz, ms

from pulsegated.analysis.energy import estimate
from pulsegated.analysis.spike_counts import operation_counts_from_spikes
from pulsegated.backends.brian2 import Brian2Simulator
from pulsegated.backends.loihi import LoihiSimulator
from pulsegated.circuit import Circuit, EquationNeuron, GatedTraceHebbian
from pulsegated.errors import UsageError

from tests.backends.loihi.test_counts import HAND, STEPS, tiny_circuit

KEYS = ("steps", "compartments", "spikes", "source_spikes", "synaptic_events",
        "compartment_updates", "active_updates", "learning_updates", "learning_coincidences")


@pytest.mark.parametrize("backend", ["loihi", "brian2"])
def test_counts_from_spikes_equal_the_emulators(backend):
    c = tiny_circuit()
    sim = LoihiSimulator(c) if backend == "loihi" else Brian2Simulator(c, codegen="numpy")
    sim.run_steps(STEPS)
    spikes = {p: sim.spikes(p) for p in c.populations}
    counts = operation_counts_from_spikes(c, spikes, STEPS)
    for key in KEYS:  # memoryless compartments: active updates equal too
        assert counts[key] == HAND[key], key
    emulated = LoihiSimulator(c)
    emulated.run_steps(STEPS)
    reference = emulated.operation_counts()
    for name, conn in reference["connections"].items():
        for key, value in conn.items():
            assert counts["connections"][name][key] == value, (name, key)
    for name, pop in reference["populations"].items():
        for key in ("synaptic_events_in", "learning_updates_in", "active_updates", "spikes"):
            assert counts["populations"][name][key] == pop[key], (name, key)
    assert estimate(counts)["energy_j"] == pytest.approx(estimate(reference)["energy_j"])


def _hebbian_circuit():
    relay = EquationNeuron("v : 1", threshold="v > 0.5", reset="v = 0", input_var="v",
                           method="exact")
    c = Circuit("hebb", dt=1 * ms)
    c.add_population("pre", 2, relay)
    c.add_population("post", 3, relay)
    c.add_population("gp", 1, relay)
    c.add_population("gd", 1, relay)
    c.connect("pre", "post", "all_to_all", 0.0, target="v",
              plasticity=GatedTraceHebbian(eta=0.1 * Hz, tau=5 * ms, window=2 * ms,
                                           potentiate=("gp",), depress=("gd",)))
    return c


def test_hebbian_updates_are_presynaptic_spikes_inside_the_windows():
    c = _hebbian_circuit()
    spikes = {"gp": ([3], [0]), "gd": ([10], [0]),            # windows: steps 3-5 and 10-12
              "pre": ([2, 3, 5, 6, 11, 11, 13], [0, 1, 0, 1, 0, 1, 0]),
              "post": ([], [])}
    counts = operation_counts_from_spikes(c, spikes, 20, samples=2)
    # in a window: pre spikes at 3, 5, 11, 11 -> 4 spikes x 3 synapses each
    assert counts["learning_updates"] == counts["learning_coincidences"] == 12
    assert counts["synaptic_events"] == 7 * 3
    # post neurons receive at steps 3, 4, 6, 7, 12, 14 (all three each time)
    assert counts["populations"]["post"]["active_updates"] == 6 * 3
    assert counts["samples"] == 2


def test_missing_spikes_are_named():
    c = _hebbian_circuit()
    with pytest.raises(UsageError, match="spikes of 'gd' are needed"):
        operation_counts_from_spikes(c, {"gp": ([], []), "pre": ([], []), "post": ([], [])}, 5)


def test_energy_command_prices_a_graded_circuit(capsys):
    import json

    from pulsegated.cli import main
    from pulsegated.gradedbp.circuit import linear_layer_circuit
    from pulsegated.gradedbp.params import GradedBPParams

    assert main(["energy", "--circuit", "graded-linear-map", "--cycles", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    c = linear_layer_circuit(np.zeros((3, 3)), GradedBPParams())
    neurons = sum(p.size for p in c.populations.values())
    per = out["counts_per_cycle"]
    assert per["compartment_updates"] == neurons * out["steps_per_cycle"]
    assert per["learning_updates"] > 0 and per["synaptic_events"] > per["spikes"]
    m = out["model"]
    assert m["energy_j"] == pytest.approx(m["dynamic_energy_j"] + m["static_energy_j"])
    assert out["network_time_per_cycle_s"] == pytest.approx(out["steps_per_cycle"] * 0.5e-3)
