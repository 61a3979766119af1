"""Synaptic operations (SynOps) of the spiking network, by the accounting of the authors' code.

A SynOp is one spike arriving at one synapse.  Per **training** sample (one hidden layer)::

    N_data * n_h  +  N_hid * n_c  +  2 * N_pred * n_c  +  (N_err+ + N_err-) * (n_c + n_h)

(``N_x``: spikes of population ``x`` in the sample, ``n_h`` hidden and ``n_c`` prediction
neurons): data spikes reach every hidden neuron, hidden spikes every prediction neuron, prediction
spikes are counted twice over the classes (towards error+ and error-, as the authors count them),
and error spikes reach every prediction neuron's and every hidden neuron's dendrite.  Label spikes
are not counted (the authors' accounting leaves them out).  With several hidden layers every layer
sends its spikes to the next one and the error spikes reach all of them.

Per **test** sample only the forward pass is counted: data spikes times the first layer's size,
plus each hidden layer's spikes times the next layer's size (the error pathway is off at test).

A GPU running ordinary backpropagation does ``2 * sum_l n_l * n_{l+1}`` multiply-accumulates per
training sample (forward and backward over every weight matrix), the comparison of the paper.
"""

from __future__ import annotations

__all__ = ["training_synops", "inference_synops", "gpu_macs"]


def training_synops(spikes: dict, hidden_spikes, sizes) -> int:
    """SynOps of training, for the spike counts of one or more samples (summed).

    Parameters
    ----------
    spikes : dict
        Spikes per population (``"data"``, ``"prediction"``, ``"error+"``, ``"error-"``), as
        returned by :meth:`pulsegated.erbp.network.ERBPNetwork.run_samples`.
    hidden_spikes : sequence of int
        Spikes of each hidden layer.
    sizes : sequence of int
        Layer sizes ``[n_in, h1, ..., n_c]``.

    Returns
    -------
    int
        Python int (no overflow).
    """
    sizes = [int(s) for s in sizes]
    n_c = sizes[-1]
    fan = sizes[1:]  # fan-out of data, then of each hidden layer
    total = int(spikes["data"]) * fan[0]
    total += sum(int(n) * fan[l + 1] for l, n in enumerate(hidden_spikes))
    total += 2 * int(spikes["prediction"]) * n_c
    total += (int(spikes["error+"]) + int(spikes["error-"])) * (n_c + sum(sizes[1:-1]))
    return total


def inference_synops(spikes: dict, hidden_spikes, sizes) -> int:
    """SynOps of the forward pass only (test), for the spike counts given (summed)."""
    sizes = [int(s) for s in sizes]
    fan = sizes[1:]
    return int(spikes["data"]) * fan[0] + sum(int(n) * fan[l + 1]
                                              for l, n in enumerate(hidden_spikes))


def gpu_macs(sizes) -> int:
    """Multiply-accumulates of one backpropagation training step on a GPU, ``2 sum n_l n_{l+1}``."""
    sizes = [int(s) for s in sizes]
    return 2 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
