"""Synaptic delays against the chip's documented rule, for every delay a description may use.

nengo-loihi's emulator has no delays, so these tests check the rule itself: a spike emitted at
step t through a synapse of delay d reaches u at step t + 1 + d, carrying the weight the synapse
has after the learning of step t.
"""

import numpy as np

from pulsegated.backends.loihi import LoihiSimulator
from pulsegated.backends.loihi.registers import MAX_DELAY
from pulsegated.circuit import Circuit, LoihiCompartment, SumOfProducts

DELAYS = range(MAX_DELAY + 1)
#: a compartment that never fires and whose u is this step's input only
QUIET = LoihiCompartment(threshold=(1 << 17) - 1)


def test_every_static_delay_from_a_source_and_from_a_compartment():
    c = Circuit("delays")
    c.add_source("s", 1, steps=(3,))
    c.add_source("kick", 1, steps=(10,))
    c.add_population("d", 1)                   # fires at 11 (kick at 10 arrives at 11)
    c.connect("kick", "d", "one_to_one", 2048)
    for dl in DELAYS:
        c.add_population(f"src{dl}", 1, QUIET)
        c.add_population(f"cmp{dl}", 1, QUIET)
        c.connect("s", f"src{dl}", "one_to_one", 1 + dl, delay=dl)
        c.connect("d", f"cmp{dl}", "one_to_one", -(100 + dl), delay=dl)
    probes = {f"{kind}{dl}": [0] for dl in DELAYS for kind in ("src", "cmp")}
    sim = LoihiSimulator(c, probe_uv=probes)
    n_steps = 11 + 1 + MAX_DELAY + 3
    sim.run_steps(n_steps)
    assert sim.spikes("d")[0].tolist() == [11]
    u, _ = sim.uv()
    for k, name in enumerate(probes):
        kind, dl = name[:3], int(name[3:])
        expected = np.zeros(n_steps, np.int64)
        if kind == "src":
            expected[3 + 1 + dl] = 64 * (1 + dl)
        else:
            expected[11 + 1 + dl] = -64 * (100 + dl)
        np.testing.assert_array_equal(u[:, k], expected, err_msg=name)


def test_every_delay_on_plastic_synapses_carries_the_weight_learnt_at_emission():
    """Pre fires at 5, 7, 9; post at 5 and 9; the reward arrives at 5.  The nBP rule (+2 on a
    rewarded coincidence, -2 on an unrewarded one) makes the spikes of 5 and 7 carry w0 + 2 and
    the spike of 9 carry w0.  Odd delays use weight exponent -1 (effective floor(M / 2))."""
    w0, drive = 101 * 2, 3072
    c = Circuit("plastic_delays")
    c.add_source("pre_src", 1, steps=(4, 6, 8))
    c.add_source("post_src", 1, steps=(4, 8))
    c.add_source("reward", 1, steps=(4,))
    rule = SumOfProducts.pulse_gated_hebbian(reward="reward")
    for dl in DELAYS:
        c.add_population(f"pre{dl}", 1)
        c.add_population(f"post{dl}", 1)
        c.connect("pre_src", f"pre{dl}", "one_to_one", drive)
        c.connect("post_src", f"post{dl}", "one_to_one", drive)
        c.connect(f"pre{dl}", f"post{dl}", "all_to_all", np.array([[w0]]), delay=dl,
                  plasticity=rule, name=f"w{dl}", weight_exp=-1 if dl % 2 else None)
    sim = LoihiSimulator(c, probe_uv={f"post{dl}": [0] for dl in DELAYS})
    n_steps = 9 + 1 + MAX_DELAY + 3
    sim.run_steps(n_steps)
    u, _ = sim.uv()
    for k, dl in enumerate(DELAYS):
        assert sim.spikes(f"pre{dl}")[0].tolist() == [5, 7, 9]
        assert sim.spikes(f"post{dl}")[0].tolist() == [5, 9]
        eff = (lambda m: m // 2) if dl % 2 else (lambda m: m)  # noqa: E731
        expected = np.zeros(n_steps, np.int64)
        expected[[5, 9]] += 64 * drive
        for emitted, mant in ((5, w0 + 2), (7, w0 + 2), (9, w0)):
            expected[emitted + 1 + dl] += 64 * eff(mant)
        np.testing.assert_array_equal(u[:, k], expected, err_msg=f"delay {dl}")
        assert sim.mantissas(f"w{dl}")[0, 0] == w0
        assert sim.weights(f"w{dl}")[0, 0] == eff(w0)
