"""The top-level package: the user-facing names, imported lazily."""

import subprocess
import sys

import pytest

import pulsegated as pg


def test_every_listed_name_resolves_to_its_definition():
    import pulsegated.backends
    import pulsegated.circuit
    import pulsegated.nbp.network
    import pulsegated.training.trainer

    for name in pg.__all__:
        assert getattr(pg, name) is not None, name
    assert pg.Circuit is pulsegated.circuit.Circuit
    assert pg.Simulator is pulsegated.backends.Simulator
    assert pg.training_circuit is pulsegated.nbp.network.training_circuit
    assert pg.Trainer is pulsegated.training.trainer.Trainer
    assert set(pg.__all__) <= set(dir(pg))
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        pg.Nothing  # noqa: B018


def test_notebook_first_cell_from_the_top_level():
    """A small circuit built, run and read with top-level names only."""
    import numpy as np

    W1, W2 = pg.init_weights(6, 4, 3, 0)
    sim = pg.Simulator(pg.inference_circuit(W1, W2), backend="loihi", record=["o"],
                       record_state={"o": ["u"]})
    X = np.eye(6, dtype=np.uint8)[:2]
    sim.run_samples({"pixels": X})
    u = sim.state("o", "u")
    assert u.shape == (sim.t, 3)
    # the output input in the output phase is z2 = W2 h, h = W1 x > 512 (chip scale 2**6, gate)
    ref = pg.ReferenceBackend(W1, W2).infer(X)
    steps = sim.circuit.schedule.step(np.arange(2), 3)
    from pulsegated.nbp import kinds
    np.testing.assert_array_equal((u[steps] >> 6) - kinds.GATE, ref.potential)


def test_import_is_light():
    code = ("import sys, pulsegated; heavy = [m for m in ('brian2', 'numba', 'matplotlib', "
            "'scipy') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
