import numpy as np
import pytest

from pulsegated.errors import UsageError
from pulsegated.nbp.reference import train_epoch
from pulsegated.training.checkpoint import Checkpoint
from pulsegated.training.trainer import TrainConfig, Trainer, sample_orders


def synthetic(seed=0, n=600, n_in=40):
    """Ten noisy binary prototypes: learnable, small and fast."""
    rng = np.random.default_rng(seed)
    protos = rng.random((10, n_in)) < 0.3
    def draw(m):
        y = rng.integers(0, 10, m)
        X = protos[y] ^ (rng.random((m, n_in)) < 0.05)
        return X.astype(np.uint8), y.astype(np.int64)
    return (*draw(n), *draw(200))


def cfg(tmp_path=None, **kw):
    base = dict(dataset="builtin", epochs=3, seed=7, n_hidden=30, eval_train=100,
                checkpoint_dir=str(tmp_path) if tmp_path else None)
    base.update(kw)
    return TrainConfig(**base)


def test_training_learns_and_reports_readouts():
    hist = Trainer(cfg(epochs=4), progress=False, data=synthetic()).run()
    assert [r["epoch"] for r in hist] == [1, 2, 3, 4]
    assert hist[-1]["samples"] == 4 * 600
    assert hist[-1]["test"]["acc_potential"] > 0.8
    for key in ("acc_spikes", "acc_potential", "exact", "mse"):
        assert 0 <= hist[-1]["test"][key] <= 1 and key in hist[-1]["train"]


def test_order_depends_only_on_seed_and_training_follows_it():
    data = synthetic()
    t = Trainer(cfg(epochs=2), progress=False, data=data)
    W1, W2 = t.W1_init.copy(), t.W2_init.copy()
    t.run()
    for order in sample_orders(7, 600, 2):
        train_epoch(W1, W2, data[0][order], data[1][order])
    got1, got2 = t.backend.weights()
    np.testing.assert_array_equal(got1, W1)
    np.testing.assert_array_equal(got2, W2)
    a, b = sample_orders(7, 600, 2), sample_orders(8, 600, 2)
    assert not np.array_equal(a[0], b[0]) and not np.array_equal(a[0], a[1])


@pytest.mark.parametrize("stop_after", [1, 2, 3])
def test_resume_gives_identical_weights(tmp_path, stop_after):
    data = synthetic()
    ref = Trainer(cfg(tmp_path / "ref"), progress=False, data=data)
    ref.run()
    part = tmp_path / "part"
    Trainer(cfg(part), progress=False, data=data).run(stop_after_checkpoints=stop_after)
    assert not (part / "final.npz").exists()
    resumed = Trainer(cfg(part, resume=True), progress=False, data=data)
    hist = resumed.run()
    for a, b in zip(ref.backend.weights(), resumed.backend.weights()):
        np.testing.assert_array_equal(a, b)
    assert [r["epoch"] for r in hist] == [1, 2, 3]
    final = Checkpoint.load(part / "final.npz")
    np.testing.assert_array_equal(final.W1, ref.backend.weights()[0])
    assert final.samples == 3 * 600 and final.W1.dtype == np.int64


def test_resume_refuses_a_different_run(tmp_path):
    data = synthetic()
    Trainer(cfg(tmp_path), progress=False, data=data).run(stop_after_checkpoints=1)
    with pytest.raises(UsageError, match="different run"):
        Trainer(cfg(tmp_path, resume=True, seed=8), progress=False, data=data)
    with pytest.raises(UsageError, match="written by the reference backend; resume it with the "
                                         "reference backend, not loihi"):
        Trainer(cfg(tmp_path, resume=True, backend="loihi"), progress=False, data=data)
    with pytest.raises(UsageError, match="no checkpoint"):
        Trainer(cfg(tmp_path / "empty", resume=True), progress=False, data=data)


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    ck = Checkpoint(W1=np.zeros((2, 2), np.int64), W2=np.zeros((1, 2), np.int64), epoch=0,
                    position=1, rng_state={"a": 1}, samples=1, run={})
    ck.save(tmp_path / "c.npz")
    before = (tmp_path / "c.npz").read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        ck.save(tmp_path / "c.npz")
    assert (tmp_path / "c.npz").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]


@pytest.mark.parametrize("kw,message", [
    (dict(dataset="cifar"), "unknown dataset 'cifar'"),
    (dict(epochs=0), "epochs must be a positive integer, got 0"),
    (dict(epochs=-1), "epochs must be a positive integer, got -1"),
    (dict(n_hidden=0), "n_hidden must be a positive integer, got 0"),
    (dict(max_samples=0), "max_samples must be a positive integer"),
    (dict(resume=True), "resume needs checkpoint_dir"),
    (dict(overwrite=True), "overwrite needs checkpoint_dir"),
    (dict(backend="tpu"), "unknown backend 'tpu'"),
    (dict(threshold="any"), "already binarised; threshold does not apply"),
    (dict(data_dir="/nonexistent/pulsegated-data"), "data_dir /nonexistent/pulsegated-data does "
                                                    "not exist"),
])
def test_bad_config(kw, message):
    with pytest.raises(UsageError, match=message):
        Trainer(cfg(**kw), progress=False, data=synthetic())


def test_validate_names_fields_as_told():
    with pytest.raises(UsageError, match="^--hidden must be a positive integer, got 0$"):
        cfg(n_hidden=0).validate({"n_hidden": "--hidden"})
    with pytest.raises(UsageError, match="^--resume needs --checkpoint-dir$"):
        cfg(resume=True).validate({"resume": "--resume", "checkpoint_dir": "--checkpoint-dir"})


VARIANT = {"name": "t", "hidden_low": 512, "output_low": 512, "margin": 128, "halve_at": [2, 3],
           "replay_keep": 0.5}


@pytest.mark.parametrize("keep", [1.0, 0.5])
def test_variant_halves_the_step_when_its_epochs_start(keep):
    """Records carry the variant and the halvings; the weights are those of the reference rule
    trained epoch by epoch with the halvings applied by hand (and the replay masks drawn from
    the run's seed and each epoch's number)."""
    from pulsegated.nbp import rule
    from pulsegated.nbp.reference import negated_copy
    from pulsegated.nbp.variants import Variant, replay_masks

    data = synthetic()
    t = Trainer(cfg(epochs=4, variant={**VARIANT, "replay_keep": keep}), progress=False,
                data=data)
    W1, W2 = t.W1_init.copy(), t.W2_init.copy()
    hist = t.run()
    assert [(r["variant"], r["step_shift"]) for r in hist] == [("t", 0), ("t", 1), ("t", 2),
                                                               ("t", 2)]
    v, neg = Variant(**{**VARIANT, "replay_keep": keep}), negated_copy(W2)
    for epoch, order in enumerate(sample_orders(7, 600, 4)):
        if epoch in (1, 2):
            W1, W2 = rule.halve_step(W1), rule.halve_step(W2)
            neg = negated_copy(W2)
        R = replay_masks(7, epoch, 600, W1.shape[1], keep) if keep < 1 else None
        train_epoch(W1, W2, data[0][order], data[1][order], v, min(epoch, 2), neg, replay=R)
    for got, want in zip(t.backend.weights(), (W1, W2)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("stop_after", [2, 3, 4, 5])
def test_variant_resume_across_halvings_gives_identical_weights(tmp_path, stop_after):
    """Checkpoints on either side of a halving (half epochs: 2 per epoch) resume exactly."""
    data = synthetic()
    ref = Trainer(cfg(tmp_path / "ref", epochs=3, variant=VARIANT), progress=False, data=data)
    ref.run()
    part = tmp_path / "part"
    Trainer(cfg(part, epochs=3, variant=VARIANT), progress=False,
            data=data).run(stop_after_checkpoints=stop_after)
    resumed = Trainer(cfg(part, epochs=3, variant=VARIANT, resume=True), progress=False,
                      data=data)
    resumed.run()
    assert resumed.backend.step_shift == 2
    for a, b in zip(ref.backend.weights(), resumed.backend.weights()):
        np.testing.assert_array_equal(a, b)
    # a run of another variant cannot resume it
    with pytest.raises(UsageError, match="different run"):
        Trainer(cfg(part, epochs=3, resume=True), progress=False, data=data)


def test_variant_errors_name_the_setting():
    with pytest.raises(UsageError, match="--variant: unknown variant 'x'"):
        cfg(variant="x").validate({"variant": "--variant"})
    with pytest.raises(UsageError, match="set by the run"):
        cfg(backend_options={"variant": "all"}).validate()
