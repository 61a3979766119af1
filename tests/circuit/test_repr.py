"""Short reprs for the console and an HTML table for notebooks."""

import re

import numpy as np

from pulsegated.circuit import Circuit, EquationNeuron, SpikeTrain
from pulsegated.nbp import rule
from pulsegated.nbp.network import training_circuit


def test_training_circuit_repr_is_short_and_counts_right():
    W1, W2 = rule.init_weights(784, 100, 10, 0)
    c = training_circuit(W1, W2)
    text = repr(c)
    assert len(text) < 400
    assert "\n" not in text
    assert f"{len(c.populations)} populations ({c.n_neurons} neurons)" in text
    assert f"{len(c.sources)} sources, {len(c.connections)} connections" in text
    assert f"({c.n_synapses(plastic=True)} plastic synapses)" in text
    # 784 x 100 + 100 x 10, each with its copies: the plastic synapse count is not a guess
    assert c.n_synapses(plastic=True) > 784 * 100
    assert "12 phases" in text and "'nbp_training'" in text


def test_html_lists_every_population_and_connection():
    W1, W2 = rule.init_weights(20, 6, 3, 0)
    c = training_circuit(W1, W2)
    html = c._repr_html_()
    rows = re.findall(r"<tr><td>(.*?)</td>", html)
    names = list(c.populations) + list(c.sources) + list(c.connections)
    assert rows == names  # one row each, in circuit order
    w1 = c.connections["W1"]
    lo, hi = int(np.min(w1.weight)), int(np.max(w1.weight))
    assert (f"<td>W1</td><td>{w1.pre} \u2192 {w1.post}</td><td>all_to_all</td>"
            f"<td>int64 (20, 6) in [{lo}, {hi}]</td><td>0</td><td>SumOfProducts</td>") in html
    assert "<td>x</td><td>20</td><td>LoihiCompartment</td><td>input</td>" in html


def test_big_arrays_stay_out_of_element_reprs():
    c = Circuit("big")
    c.add_population("a", 500)
    c.add_population("b", 400)
    w = np.arange(500 * 400, dtype=float).reshape(500, 400)
    conn = c.connect("a", "b", "all_to_all", w, delay=3)
    assert repr(conn) == ("Connection('a__b': a -> b, all_to_all, weight float64 (500, 400) in "
                          "[0, 199999], delay=3)")
    train = c.add_source(SpikeTrain("s", 500, steps=tuple(range(1000)),
                                    indices=tuple(i % 500 for i in range(1000))))
    assert repr(train) == "SpikeTrain('s', size=500, 1000 spike(s) in steps [0, 999])"
    m = EquationNeuron("dv/dt = -v / tau : 1\ntau : second", threshold="v > 1")
    assert repr(m) == "EquationNeuron('dv/dt = -v / tau : 1' ..., threshold='v > 1')"
    assert len(repr(c)) < 200
