"""The ``nbp_accuracy`` study: test accuracy of the nBP rule per seed (the README's accuracy table).

One point trains the nBP network online with :class:`~pulsegated.training.trainer.Trainer`
(exactly as ``pulsegated train`` does: same seed, same sample orders, same initial weights) and
evaluates it after every epoch.  Its metrics are the means over the last ``last`` epochs of the
test-set readouts (:func:`summarise_history`) and the whole per-epoch history as a JSON string
(:func:`history_from_metrics` reads it back), so ``scripts/reproduce_nbp_table.py`` writes its
records, table and figure from the sweep's results.

The dataset (loaded and binarised once per worker process and configuration) is the structural
part: ``dataset``, ``threshold``, ``data_dir``.  Everything else, e.g. ``n_hidden`` or
``epochs``, may be swept without reloading the data.

Example (the table of ``scripts/sweeps/nbp_table_mnist.toml`` in Python)::

    from pulsegated.explore import Grid, sweep

    df = sweep("nbp_accuracy", Grid(dataset=["mnist"]),
               fixed={"epochs": 60, "backend": "reference"}, seeds=[0, 1, 2],
               store="results/nbp_mnist_reference.sqlite", workers=2)
    df[["seed", "acc_potential", "acc_spikes"]]
"""

from __future__ import annotations

import json
import sys

from pulsegated.errors import UsageError
from pulsegated.explore.study import Study

__all__ = ["NbpAccuracy", "summarise_history", "history_from_metrics", "train_config",
           "check_threshold", "READOUTS", "LAST"]

#: the test-set readouts averaged over the last epochs (keys of a record's ``"test"``)
READOUTS = ("acc_potential", "acc_spikes", "exact", "mse", "worst_class_potential",
            "acc_first_spike")
#: default number of final epochs averaged (the accuracy table's)
LAST = 10

#: TrainConfig fields taken from the study's parameters (same names)
_CONFIG_FIELDS = ("dataset", "backend", "epochs", "max_samples", "threshold", "n_hidden",
                  "data_dir", "eval_train", "eval_test")


def _is_int(v) -> bool:
    import numpy as np

    return not isinstance(v, bool) and isinstance(v, (int, np.integer))


def check_threshold(value):
    """``value`` as a binarisation threshold: None, ``"any"``, ``"half"`` or a level 1..255.

    A string holding a number (as a command line gives it) is turned into an int.

    Raises
    ------
    UsageError
        Naming the parameter ``threshold``.
    """
    if value is None or value in ("any", "half"):
        return value
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise UsageError(f"threshold: 'any', 'half' or a raw pixel level 1..255, "
                             f"got {value!r}") from None
    if not _is_int(value) or not 1 <= value <= 255:
        raise UsageError(f"threshold: 'any', 'half' or a raw pixel level 1..255, got {value!r}")
    return int(value)


def train_config(params: dict, seed: int = 0):
    """The validated :class:`~pulsegated.training.trainer.TrainConfig` of a point.

    Parameters
    ----------
    params : dict
        The study's parameters (:attr:`NbpAccuracy.parameters` names; missing ones take the
        defaults).
    seed : int

    Raises
    ------
    UsageError
        A bad value, naming the parameter.
    """
    from pulsegated.training.trainer import TrainConfig

    full = {**NbpAccuracy.parameters, **params}
    kw = {k: full[k] for k in _CONFIG_FIELDS}
    kw["variant"] = _variant_of(full)
    kw["threshold"] = check_threshold(kw["threshold"])
    if kw["data_dir"] == "":
        kw["data_dir"] = None
    if not _is_int(seed) or seed < 0:
        raise UsageError(f"seed: a non-negative integer, got {seed!r}")
    names = {k: k for k in _CONFIG_FIELDS}
    try:
        return TrainConfig(**kw, seed=int(seed)).validate(names)
    except UsageError as e:  # the TrainConfig's messages name the field; say it is a parameter
        raise UsageError(f"nbp_accuracy parameter: {e}") from None


#: parameters that override single fields of the point's ``variant``
VARIANT_FIELDS = ("hidden_low", "output_low", "hidden_high", "output_high", "margin", "halve_at",
                  "readout_steps")


def _variant_of(full: dict):
    """The point's circuit variant: the named ``variant`` with the fields given beside it."""
    from dataclasses import replace

    from pulsegated.nbp.variants import variant

    try:
        base = variant(full["variant"])
        over = {k: full[k] for k in VARIANT_FIELDS if full.get(k) is not None}
        if not over:
            return base
        if "halve_at" in over and over["halve_at"] in (0, []):  # 0 in a sweep file: never
            over["halve_at"] = ()
        name = base.name + "+" + ",".join(f"{k}={v}" for k, v in sorted(over.items()))
        return replace(base, name=name, **over).validate()
    except UsageError as e:
        raise UsageError(f"nbp_accuracy parameter: {e}") from None


def _check_last(last) -> int:
    if not _is_int(last) or last < 1:
        raise UsageError(f"last: a positive integer (epochs averaged), got {last!r}")
    return int(last)


def summarise_history(history: list, last: int = LAST) -> dict:
    """Means over the last ``last`` evaluations of a training history.

    Parameters
    ----------
    history : list of dict
        Per-epoch records of :meth:`~pulsegated.training.trainer.Trainer.run` (epoch order).
    last : int
        Number of final epochs averaged (all of them when the run has fewer).

    Returns
    -------
    dict
        ``acc_potential``, ``acc_spikes``, ``exact``, ``mse`` (test set, means over the last
        ``last`` epochs), ``final_train_potential`` (training-set accuracy by potential after
        the last epoch, None without training-set evaluation), ``samples_per_s`` (mean
        training throughput over the epochs).
    """
    import numpy as np

    if not history:
        raise ValueError("summarise_history: empty history")
    last = _check_last(last)
    tail = history[-last:]
    # (records written before a readout existed lack it: it is left out)
    out = {k: float(np.mean([r["test"][k] for r in tail])) for k in READOUTS
           if all(k in r["test"] for r in tail)}
    out["final_train_potential"] = history[-1].get("train", {}).get("acc_potential")
    rates = [r["samples_per_s"] for r in history if r.get("samples_per_s") is not None]
    out["samples_per_s"] = float(np.mean(rates)) if rates else None
    return out


def history_from_metrics(value) -> list:
    """The per-epoch records of a point from its ``history`` metric (a JSON string)."""
    if isinstance(value, list):
        return value
    if not isinstance(value, str):
        raise ValueError(f"history: a JSON list of records expected, got {type(value).__name__}")
    return json.loads(value)


class NbpAccuracy(Study):
    """Test accuracy of the nBP rule after online training (one seed per point).

    Parameters of a point (the :class:`~pulsegated.training.trainer.TrainConfig` fields of the
    same names): ``dataset`` (``"mnist"``, ``"fashion-mnist"`` or ``"builtin"``), ``backend``
    (a training backend, default ``"reference"``), ``epochs``, ``n_hidden``, ``threshold``
    (None: the dataset's; ``"any"``, ``"half"`` or a raw level), ``max_samples`` (None: the
    whole training set per epoch), ``eval_train``, ``eval_test`` (None: the whole test set),
    ``data_dir`` (None: ``$PULSEGATED_DATA``, then the user cache), ``last`` (final epochs
    averaged by the metrics), ``variant`` (a name of :data:`pulsegated.nbp.variants.VARIANTS`,
    default ``"paper"``) and the variant's fields ``hidden_low``, ``output_low``,
    ``hidden_high``, ``output_high``, ``margin``, ``halve_at``, ``readout_steps`` (None: the
    named variant's; a ``halve_at`` of 0 means never).  Seed ``s`` is the Trainer's seed
    (initial weights and sample orders).

    Metrics: ``acc_potential``, ``acc_spikes``, ``exact``, ``mse``, and with a ramp readout
    ``acc_first_spike`` (test set, mean of the last ``last`` epochs), ``final_train_potential``,
    ``samples_per_s``, ``epochs_done`` and ``history`` (every evaluation record as a JSON
    string, see :func:`history_from_metrics`).
    Each finished epoch is logged to stderr.
    """

    description = ("nBP accuracy table: mean of the last 10 test accuracies (potential, spikes) "
                   "after online training, per seed")
    parameters = {"dataset": "mnist", "backend": "reference", "epochs": 60, "n_hidden": 400,
                  "threshold": None, "max_samples": None, "eval_train": 10000,
                  "eval_test": None, "data_dir": None, "last": LAST, "variant": "paper",
                  **{k: None for k in VARIANT_FIELDS}}
    structural = ("dataset", "threshold", "data_dir")

    def setup(self, fixed: dict) -> None:
        """Check the fixed parameters and load the dataset (once per worker and dataset)."""
        from pulsegated.training.trainer import load_training_data

        config = train_config(fixed)
        _check_last(fixed.get("last", LAST))
        self.data = load_training_data(config)

    def run(self, point: dict) -> dict:
        from pulsegated.explore.store import jsonable
        from pulsegated.training.trainer import Trainer

        last = _check_last(point.get("last", LAST))
        config = train_config(point, point["seed"])

        def log(record):
            te = record["test"]
            print(f"nbp_accuracy {config.dataset} seed {config.seed}: epoch {record['epoch']}/"
                  f"{config.epochs}  test potential {100 * te['acc_potential']:.2f}%  spikes "
                  f"{100 * te['acc_spikes']:.2f}%"
                  + (f"  first spike {100 * te['acc_first_spike']:.2f}%"
                     if "acc_first_spike" in te else ""), file=sys.stderr, flush=True)

        history = Trainer(config, progress=False, data=self.data).run(on_eval=log)
        return {**summarise_history(history, last), "epochs_done": len(history),
                "history": json.dumps(jsonable(history))}
