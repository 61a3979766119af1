"""Initial weights, the feedback matrix G and stochastic rounding."""

import numpy as np
import pytest

from pulsegated.erbp.weights import (feedback_matrix, init_forward, levels_grid,
                                     stochastic_round)


def test_feedback_matrix_is_mean_centred_per_hidden_neuron():
    rng = np.random.default_rng(1)
    G = feedback_matrix(100, 10, rng)
    assert G.shape == (100, 10)
    np.testing.assert_allclose(G.mean(axis=1), 0.0, atol=1e-15)
    bound = np.sqrt(7 / 110)
    # centring moves a value by at most the row mean, itself within the bound
    assert np.abs(G).max() <= 2 * bound
    assert G.std() > 0.3 * bound  # not degenerate


def test_init_forward_shapes_and_bounds():
    W = init_forward([784, 100, 10], np.random.default_rng(0))
    assert [w.shape for w in W] == [(784, 100), (100, 10)]
    for w, (a, b) in zip(W, [(784, 100), (100, 10)]):
        bound = np.sqrt(7 / (a + b))
        assert np.abs(w).max() <= bound
        assert np.abs(w).max() > 0.95 * bound


def test_stochastic_rounding_is_unbiased_and_on_256_levels():
    rng = np.random.default_rng(2)
    lo, step = levels_grid(256, 1.0)
    w = rng.uniform(-0.9, 0.9, size=50)
    draws = np.stack([stochastic_round(w, 256, 1.0, rng) for _ in range(20000)])
    k = (draws - lo) / step
    np.testing.assert_allclose(k, np.rint(k), atol=1e-9)
    assert k.min() >= 0 and k.max() <= 255
    assert len(np.unique(np.rint(k))) <= 256
    # each draw is one of the two neighbouring levels, so its standard deviation is <= step / 2
    sem = (step / 2) / np.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - w) < 5 * sem)
    # and both neighbours occur (it is not round-to-nearest)
    assert np.all(draws.max(axis=0) - draws.min(axis=0) > step / 2)


def test_stochastic_rounding_keeps_grid_values_and_clips():
    rng = np.random.default_rng(3)
    lo, step = levels_grid(256, 0.5)
    grid = lo + step * np.arange(256)
    np.testing.assert_allclose(stochastic_round(grid, 256, 0.5, rng), grid, atol=1e-12)
    assert stochastic_round(np.array([5.0, -5.0]), 256, 0.5, rng).tolist() == \
        pytest.approx([0.5, -0.5])
