"""A plasticity rule added from outside the package: its class and one registered build function
are all it takes to run it on Brian2; a backend without a function refuses it by name."""

from dataclasses import dataclass

import numpy as np
import pytest

from pulsegated.backends.brian2 import Brian2Simulator
from pulsegated.backends.brian2.builder import Brian2Builder, SynapseCode
from pulsegated.backends.loihi import DiscretizeError, discretize
from pulsegated.backends.registry import backends_for
from pulsegated.circuit import Circuit, CircuitError, EquationNeuron, LoihiCompartment, Plasticity


@dataclass(frozen=True)
class CountPre(Plasticity):
    """Each presynaptic spike adds ``step`` to its weight, up to ``wmax``."""

    step: float
    wmax: float = np.inf

    def validate(self, owner):
        if not self.step > 0:
            raise CircuitError(f"{owner}: CountPre step must be positive, got {self.step!r}")


@pytest.fixture
def registered():
    @Brian2Builder.register(CountPre)
    def build_count_pre(rule, connection, ctx):
        return SynapseCode(on_pre="w = clip(w + step, -inf, count_wmax)",
                           namespace={"step": rule.step, "count_wmax": rule.wmax})

    yield build_count_pre
    del Brian2Builder.functions[CountPre]


PRE_STEPS = (2, 5, 6, 11)


def _circuit(model, w0, rule):
    c = Circuit("count")
    c.add_population("a", 2, model)
    c.add_population("b", 3, model)
    c.add_source("s", 2, steps=PRE_STEPS, indices=(0, 1, 0, 0))
    c.connect("s", "a", "one_to_one", 2 * 1024 if isinstance(model, LoihiCompartment) else 1.0)
    c.connect("a", "b", "all_to_all", w0, plasticity=rule, name="counted")
    return c


def test_a_rule_defined_here_runs_on_brian2(registered):
    relay = EquationNeuron("v : 1", threshold="v > 0.5", reset="v = 0", input_var="v",
                           method="exact")
    w0 = np.zeros((2, 3))
    sim = Brian2Simulator(_circuit(relay, w0, CountPre(0.125, wmax=0.3)), codegen="numpy")
    sim.run_steps(20)
    # neuron a0 fires once per spike of s0 (3 times), a1 once: + 0.125 each, clipped at 0.3
    steps, idx = sim.spikes("a")
    assert sorted(zip(steps, idx)) == [(3, 0), (6, 1), (7, 0), (12, 0)]
    np.testing.assert_allclose(sim.weights("counted"), [[0.3] * 3, [0.125] * 3])
    assert backends_for(CountPre) == ["brian2"]


def test_without_a_function_the_backends_refuse_it_by_name(registered):
    loihi = _circuit(LoihiCompartment(), np.zeros((2, 3), int), CountPre(2))
    with pytest.raises(DiscretizeError, match=r"^the loihi backend cannot run CountPre plasticity "
                                              r"\(connection 'counted'\); backends that can: "
                                              r"brian2$"):
        discretize(loihi)
    del Brian2Builder.functions[CountPre]
    try:
        relay = EquationNeuron("v : 1", threshold="v > 0.5", reset="v = 0")
        from pulsegated.errors import UsageError
        with pytest.raises(UsageError, match=r"the brian2 backend cannot run CountPre plasticity "
                                             r"\(connection 'counted'\); backends that can: none"):
            Brian2Simulator(_circuit(relay, np.zeros((2, 3)), CountPre(0.5)), codegen="numpy")
    finally:
        Brian2Builder.functions[CountPre] = registered


def test_the_rule_validates_itself():
    relay = EquationNeuron("v : 1", threshold="v > 0.5")
    with pytest.raises(CircuitError, match="connection 'counted' .*: CountPre step must be "
                                           "positive, got -1"):
        _circuit(relay, 0.0, CountPre(-1))
