"""The energy and time model against hand computations, and the ``pulsegated energy`` command."""

import json

import pytest

from pulsegated.analysis import energy
from pulsegated.analysis.energy import LoihiCosts, estimate, layout
from pulsegated.backends.loihi import LoihiSimulator
from tests.backends.loihi.test_counts import STEPS, tiny_circuit

pJ, ns = 1e-12, 1e-9


def hand_counts():
    """One population, one connection; 2 samples of 5 steps."""
    pop = {"compartments": 20, "spikes": 40, "compartment_updates": 200, "active_updates": 50,
           "synaptic_events_in": 1000, "learning_updates_in": 300,
           "learning_coincidences_in": 30}
    return {"steps": 10, "samples": 2, "compartments": 20, "spikes": 40, "source_spikes": 0,
            "synaptic_events": 1000, "compartment_updates": 200, "active_updates": 50,
            "learning_updates": 300, "learning_coincidences": 30, "populations": {"p": pop},
            "sources": {}, "connections": {"c": {"synapses": 25, "pre_spikes": 40,
                                                 "synaptic_events": 1000,
                                                 "learning_updates": 300,
                                                 "learning_coincidences": 30}}}


def test_published_costs():
    c = LoihiCosts()
    assert (c.synaptic_op_energy, c.synaptic_op_time) == (23.6e-12, 3.5e-9)
    assert (c.learning_update_energy, c.learning_update_time) == (120e-12, 6.1e-9)
    assert (c.neuron_update_energy_active, c.neuron_update_energy_inactive) == (81e-12, 52e-12)
    assert (c.neuron_update_time_active, c.neuron_update_time_inactive) == (8.4e-9, 5.3e-9)
    assert (c.spike_energy, c.hop_energy_ew, c.hop_energy_ns) == (1.7e-12, 3.0e-12, 4.0e-12)
    assert c.barrier_time(1) == pytest.approx(113 * ns)
    assert c.barrier_time(32) == pytest.approx(465 * ns)
    assert c.barrier_time(100) == pytest.approx(465 * ns)


def test_estimate_by_hand_without_layout():
    costs = LoihiCosts(static_power=0.1)
    e = estimate(hand_counts(), costs, n_cores=2)
    # per run: 1000 syn ops, 300 learning updates, 50 active + 150 inactive updates, 40 messages
    dyn = (1000 * 23.6 + 300 * 120 + 50 * 81 + 150 * 52 + 40 * 1.7) * pJ      # 71518 pJ
    work = (1000 * 3.5 + 300 * 6.1 + 50 * 8.4 + 150 * 5.3) * ns                # 6545 ns
    t_run = work / 2 + 10 * 113 * ns                                           # 4402.5 ns
    assert e["per"] == "sample" and e["samples"] == 2
    assert e["dynamic_energy_j"] == pytest.approx(dyn / 2)
    assert e["time_s"] == pytest.approx(t_run / 2)
    assert e["static_energy_j"] == pytest.approx(0.1 * t_run / 2)
    assert e["energy_j"] == pytest.approx((dyn + 0.1 * t_run) / 2)
    b = e["energy_breakdown_j"]
    assert b["synaptic_ops"] == pytest.approx(1000 * 23.6 * pJ / 2)
    assert b["learning_updates"] == pytest.approx(300 * 120 * pJ / 2)
    assert b["neuron_updates"] == pytest.approx((50 * 81 + 150 * 52) * pJ / 2)
    assert b["spike_routing"] == pytest.approx(40 * 1.7 * pJ / 2)
    assert e["time_breakdown_s"]["barrier_sync"] == pytest.approx(10 * 113 * ns / 2)
    assert sum(e["busiest_core_s"].values()) == pytest.approx(work / 2 / 2)
    assert (e["n_cores"], e["n_tiles"], e["n_chips"]) == (2, 1, 1)
    # coincidences only: 30 learning updates instead of 300
    c = estimate(hand_counts(), costs, n_cores=2, learning="coincident")
    assert c["energy_breakdown_j"]["learning_updates"] == pytest.approx(30 * 120 * pJ / 2)
    with pytest.raises(ValueError, match="not both"):
        estimate(hand_counts(), n_cores=2, layout=layout(tiny_circuit()))
    with pytest.raises(ValueError, match="learning"):
        estimate(hand_counts(), learning="all")


# two compartments a core, one core a tile, tiles two a row: core k sits at (k % 2, k // 2)
SMALL = LoihiCosts(compartments_per_core=2, cores_per_tile=1, mesh_width=2, static_power=0.0)


def test_layout_by_hand():
    lay = layout(tiny_circuit(), SMALL)
    # a (3) splits over cores 0, 1; b (2) does not fit beside a's third neuron: core 2; c: core 3
    assert lay.parts == {"a": [(0, 2), (1, 1)], "b": [(2, 2)], "c": [(3, 2)]}
    assert (lay.n_cores, lay.n_tiles) == (4, 4)
    m = lay.messages
    assert m["src_a"] == (1.0, 0.0, 0.0) and m["kick_c"] == (1.0, 0.0, 0.0)
    # a -> b: from core 0 (0,0) or 1 (1,0) to core 2 (0,1): EW hops 0, 0, 1; NS 1 each
    assert m["plastic"] == pytest.approx((1.0, 1 / 3, 1.0))
    # b -> c one to one: core 2 (0,1) to core 3 (1,1): one EW hop
    assert m["b_c"] == (1.0, 1.0, 0.0)
    # everything fits one core with the chip's sizes
    assert layout(tiny_circuit()).n_cores == 1


def test_estimate_with_layout_by_hand():
    sim = LoihiSimulator(tiny_circuit())
    sim.run_steps(STEPS)
    e = estimate(sim.operation_counts(), SMALL, layout=layout(tiny_circuit(), SMALL))
    assert e["per"] == "run"
    # messages: src_a 4, bsrc_b 2, plastic 4, b_c 2, kick_c 1; hops: plastic 4 x (1/3 EW, 1 NS),
    # b_c 2 x 1 EW
    assert e["operations"]["spike_messages"] == pytest.approx(13)
    assert e["operations"]["tile_hops_ew"] == pytest.approx(4 / 3 + 2)
    assert e["operations"]["tile_hops_ns"] == pytest.approx(4)
    assert e["energy_breakdown_j"]["spike_routing"] == pytest.approx(
        (13 * 1.7 + (4 / 3 + 2) * 3.0 + 4 * 4.0) * pJ)
    # busiest core: b alone on core 2 (10 syn events, 12 learning updates, 8 active, 10 inactive)
    b_work = (10 * 3.5 + 12 * 6.1 + 8 * 8.4 + 10 * 5.3) * ns
    assert e["time_breakdown_s"]["busiest_core"] == pytest.approx(b_work)
    assert e["busiest_core_s"]["learning_updates"] == pytest.approx(12 * 6.1 * ns)
    barrier = SMALL.barrier_time(4)
    assert barrier == pytest.approx((113 + 3 / 31 * (465 - 113)) * ns)
    assert e["time_s"] == pytest.approx(b_work + STEPS * barrier)
    assert e["static_energy_j"] == 0.0


# ------------------------------------------------------------------------------ the command
def energy_main(monkeypatch, argv):
    from pulsegated.cli import COMMANDS, main
    monkeypatch.setitem(COMMANDS, "energy", "pulsegated.analysis.energy_cli")
    return main(["energy", *argv])


@pytest.mark.parametrize("argv, flag", [
    (["--backend", "brian2"], "--backend"),
    (["--max-samples", "0"], "--max-samples"),
    (["--mode", "all"], "--mode"),
    (["--static-power", "-1"], "--static-power"),
    (["--dataset", "builtin", "--threshold", "half"], "--threshold"),
])
def test_cli_bad_input_exits_2_naming_the_flag(monkeypatch, capsys, argv, flag):
    assert energy_main(monkeypatch, argv) == 2
    err = capsys.readouterr().err
    assert flag in err and err.count("\n") == 1


def test_cli_json_on_builtin_data(monkeypatch, capsys):
    from pulsegated.analysis.energy_cli import COUNT_KEYS, MODE_KEYS
    assert energy_main(monkeypatch, ["--max-samples", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)  # one JSON object and nothing else
    assert {"backend", "dataset", "seed", "max_samples", "learning", "costs", "modes"} <= set(out)
    assert set(out["modes"]) == {"train", "infer"}
    for mode, steps in (("train", 12), ("infer", 4)):
        rec = out["modes"][mode]
        assert set(MODE_KEYS) <= set(rec)
        assert rec["samples"] == 5
        assert rec["steps_per_sample"] == pytest.approx(steps, abs=1)
        assert set(rec["counts_per_sample"]) == set(COUNT_KEYS)
        assert rec["chip"] == energy.CHIP_FIGURES[mode]
        model = rec["model"]
        assert model["energy_j"] > model["dynamic_energy_j"] > 0 and model["time_s"] > 0
        assert rec["ratio"]["time"] == pytest.approx(model["time_s"] / rec["chip"]["time_s"])
    assert out["modes"]["train"]["counts_per_sample"]["learning_updates"] > 0
    assert out["modes"]["infer"]["counts_per_sample"]["learning_updates"] == 0
