"""SynOps accounting."""

from pulsegated.erbp.synops import gpu_macs, inference_synops, training_synops


def test_training_synops_follow_the_authors_formula():
    spikes = {"data": 3000, "prediction": 70, "error+": 20, "error-": 10}
    n_h, n_c = 100, 10
    expected = 3000 * n_h + 400 * n_c + 2 * 70 * n_c + (20 + 10) * (n_c + n_h)
    assert training_synops(spikes, [400], [784, n_h, n_c]) == expected


def test_two_hidden_layers_and_inference_synops():
    spikes = {"data": 10, "prediction": 1, "error+": 1, "error-": 0}
    sizes = [784, 200, 200, 10]
    assert training_synops(spikes, [5, 7], sizes) == 10 * 200 + 5 * 200 + 7 * 10 + 2 * 10 \
        + 1 * (10 + 400)
    assert inference_synops(spikes, [5, 7], sizes) == 10 * 200 + 5 * 200 + 7 * 10
    assert gpu_macs([784, 100, 10]) == 2 * (78400 + 1000)
