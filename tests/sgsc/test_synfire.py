import numpy as np
import pytest
from brian2 import mV, ms

from pulsegated.sgsc.synfire import SynfireParams, propagation_grid, run_packet, synfire_circuit


def test_large_synchronous_packet_propagates():
    r = run_packet(100, 0.5 * ms, seed=1, codegen="numpy")
    assert r["propagates"]
    assert all(90 <= n <= 125 for n in r["counts"])
    assert max(r["spreads"][3:]) < 1.5 * ms  # a synchronous volley


def test_small_jittered_packet_dies():
    r = run_packet(35, 2 * ms, seed=1, codegen="numpy")
    assert not r["propagates"]
    assert r["counts"][-1] < 20


def test_grid_on_one_network_equals_runs_of_new_networks():
    """propagation_grid restores one network per point (random state included) and sets the
    packet: the same counts as a new network per packet."""
    p = SynfireParams(n_groups=3)
    grid = propagation_grid((30, 60), (0, 2) * ms, seed=4, params=p, codegen="numpy")
    assert sorted(grid) == [(30, 0.0), (30, 2.0), (60, 0.0), (60, 2.0)]
    for (a, s), r in grid.items():
        fresh = run_packet(a, s * ms, p, seed=4, codegen="numpy")
        assert r["counts"] == fresh["counts"]
        np.testing.assert_array_equal(np.asarray(r["spreads"]), np.asarray(fresh["spreads"]))


def test_circuit_is_a_description():
    c = synfire_circuit(50, 1 * ms, rng=0)
    assert len(c.populations) == 10 and c.n_neurons == 1000
    assert c.n_synapses() == 50 * 100 + 9 * 100 * 100
    with pytest.raises(ValueError, match="a >= 1"):
        synfire_circuit(0, 1 * ms)


@pytest.mark.parametrize("call, message", [
    (lambda: synfire_circuit(50, 1.0), r"sigma must be a time \(e.g. 5\*ms\), got 1.0"),
    (lambda: SynfireParams(Vt=-55), r"SynfireParams.Vt must be a voltage \(e.g. -70\*mV\)"),
    (lambda: SynfireParams(taum=10 * mV), r"SynfireParams.taum must be a time"),
    (lambda: SynfireParams(drift=25 * mV), r"SynfireParams.drift must be a voltage per time"),
    (lambda: propagation_grid(sigmas=(0, 1)), r"sigmas must be a time"),
])
def test_dimensioned_values_are_quantities(call, message):
    with pytest.raises(TypeError, match=message):
        call()
