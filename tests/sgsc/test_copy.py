import numpy as np
import pytest

from pulsegated.sgsc.copy import copy_matrix, cycles_needed


def test_copy_error_falls_geometrically_below_five_percent():
    K = np.random.default_rng(0).uniform(0, 1, (6, 6))
    res = copy_matrix(K, eta=0.3, cycles=12, rng=1)
    e = res["errors"]
    np.testing.assert_allclose(e[1:] / e[:-1], 0.7, rtol=1e-9)
    n = cycles_needed(0.3, e[0])
    assert e[n] <= 0.05 < e[n - 1]


def test_copy_rejects_bad_input():
    with pytest.raises(ValueError, match="non-negative"):
        copy_matrix(-np.ones((2, 2)))
    with pytest.raises(ValueError, match="eta"):
        copy_matrix(np.ones((2, 2)), eta=1.5)
