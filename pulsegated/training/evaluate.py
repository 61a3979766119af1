"""The readouts of the nBP network (spike argmax, potential argmax, exact one-hot, MSE) computed
from an inference pass."""

from __future__ import annotations

import numpy as np

from pulsegated.nbp.rule import first_spike_answer
from pulsegated.nbp.training import Inference


def readouts(inference: Inference, labels: np.ndarray) -> dict:
    """Accuracy of the three readouts and the MSE of the output spikes.

    Parameters
    ----------
    inference : Inference
        ``spikes`` (n, n_out) bool and ``potential`` (n, n_out) int.
    labels : (n,) int

    Returns
    -------
    dict
        ``acc_spikes``: argmax of the output spikes (ties, including no spike at all, go to the
        lowest index); ``acc_potential``: argmax of the output potential z2; ``exact``: the spike
        vector equals the one-hot target; ``mse``: mean squared error of the spikes against the
        one-hot target, averaged over samples and outputs; ``worst_class_potential``: the
        lowest per-class accuracy by potential (0 when a class is never answered: a silent
        output unit); ``acc_first_spike`` (only with a ramp readout, ``inference.first``): the
        readout neuron that spiked first (:func:`pulsegated.nbp.rule.first_spike_answer`).
    """
    spikes = np.asarray(inference.spikes, dtype=bool)
    potential = np.asarray(inference.potential)
    labels = np.asarray(labels)
    n, n_out = spikes.shape
    if n == 0:
        raise ValueError("readouts of an empty set")
    onehot = np.zeros((n, n_out), dtype=bool)
    onehot[np.arange(n), labels] = True
    right = np.argmax(potential, axis=1) == labels
    per_class = [float(np.mean(right[labels == k])) for k in range(n_out) if np.any(labels == k)]
    out = {
        "acc_spikes": float(np.mean(np.argmax(spikes, axis=1) == labels)),
        "acc_potential": float(np.mean(right)),
        "worst_class_potential": min(per_class),
        "exact": float(np.mean(np.all(spikes == onehot, axis=1))),
        "mse": float(np.mean(spikes != onehot)),
    }
    if inference.first is not None:
        out["acc_first_spike"] = float(np.mean(first_spike_answer(inference.first) == labels))
    return out
