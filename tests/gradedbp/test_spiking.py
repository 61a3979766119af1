"""The graded backprop circuit spiking in Brian2, against its mean field."""

from dataclasses import replace

import numpy as np
import pytest

from pulsegated.gradedbp.circuit import linear_layer_circuit
from pulsegated.gradedbp.learn import CycleRunner, calibrated
from pulsegated.gradedbp.params import GradedBPParams


def test_spiking_cycle_matches_mean_field():
    """Forward output, split errors and the weight change of two spiking cycles against the
    mean field of the same circuit (finite-size tolerance: 100 neurons per unit)."""
    W0, x, t = 0.5, 0.4, 0.35
    got = {}
    for mode in ("spiking", "meanfield"):
        p = calibrated(GradedBPParams(), mode)
        c = linear_layer_circuit(np.array([[W0]]), p, rng=1)
        opts = {"codegen": "numpy"} if mode == "spiking" else {}
        r = CycleRunner(c, mode, record=["dp0", "dn0"], **opts)
        out = r.run([[x], [x]], [[t], [t]])["outputs"][:, 0]
        got[mode] = (out, r.amplitudes("dp0", 3, 0, 2), r.amplitudes("dn0", 3, 0, 2),
                     r.weights()[0, 0] - W0)
        r.close()
    (o_s, dp_s, dn_s, dW_s), (o_m, dp_m, dn_m, dW_m) = got["spiking"], got["meanfield"]
    assert o_s == pytest.approx(o_m, abs=0.02)
    assert dp_s == pytest.approx(dp_m, abs=0.03)
    assert dn_s == pytest.approx(dn_m, abs=0.03)
    assert dW_m > 0 and dW_s == pytest.approx(dW_m, rel=0.35)


@pytest.mark.long
@pytest.mark.standalone
def test_standalone_cycles_carry_weights_in_hz(tmp_path):
    """cpp_standalone: each cycle is a run of the compiled project; the plastic weights (onto a
    current in Hz) are carried from run to run, and two cycles learn as on the mean field."""
    W0, x, t = 0.5, 0.4, 0.35
    got = {}
    for mode, opts in (("spiking", {"device": "cpp_standalone",
                                    "build_dir": str(tmp_path / "project")}),
                       ("meanfield", {})):
        p = calibrated(GradedBPParams(), mode)
        c = linear_layer_circuit(np.array([[W0]]), p, rng=1)
        r = CycleRunner(c, mode, **opts)
        for _ in range(2):
            out = r.run([[x]], [[t]])["outputs"][0, 0]
        got[mode] = (out, r.weights()[0, 0] - W0)
        r.close()
    (o_s, dW_s), (o_m, dW_m) = got["spiking"], got["meanfield"]
    assert o_s == pytest.approx(o_m, abs=0.02)
    assert dW_m > 0 and dW_s == pytest.approx(dW_m, rel=0.35)
