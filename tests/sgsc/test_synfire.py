import numpy as np
import pytest

from pulsegated.sgsc.synfire import run_packet, synfire_circuit


def test_large_synchronous_packet_propagates():
    r = run_packet(100, 0.5, seed=1, codegen="numpy")
    assert r["propagates"]
    assert all(90 <= n <= 125 for n in r["counts"])
    assert max(r["spreads"][3:]) < 1.5  # a synchronous volley (ms)


def test_small_jittered_packet_dies():
    r = run_packet(35, 2.0, seed=1, codegen="numpy")
    assert not r["propagates"]
    assert r["counts"][-1] < 20


def test_circuit_is_a_description():
    c = synfire_circuit(50, 1.0, rng=0)
    assert len(c.populations) == 10 and c.n_neurons == 1000
    assert c.n_synapses() == 50 * 100 + 9 * 100 * 100
    with pytest.raises(ValueError, match="a >= 1"):
        synfire_circuit(0, 1.0)
