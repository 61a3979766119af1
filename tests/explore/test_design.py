"""Designs: grid size and order, random and Latin-hypercube samples, unions, bad input."""

import numpy as np
import pytest

from pulsegated.errors import UsageError
from pulsegated.explore.design import (Grid, LatinHypercube, RandomDesign, Range, Union,
                                       design_from_dict)


def test_grid_is_every_combination_last_fastest():
    g = Grid(a=[1, 2, 3], b=["x", "y"], c=[0.5])
    pts = g.points()
    assert len(g) == len(pts) == 3 * 2 * 1
    assert pts[0] == {"a": 1, "b": "x", "c": 0.5} and pts[1] == {"a": 1, "b": "y", "c": 0.5}
    assert len({tuple(p.values()) for p in pts}) == 6
    assert design_from_dict(g.to_dict()).points() == pts


def test_numpy_values_become_plain():
    pts = Grid(a=np.linspace(0, 1, 3), n=np.arange(2)).points()
    assert all(type(p["a"]) is float and type(p["n"]) is int for p in pts)


@pytest.mark.parametrize("n, d", [(10, 1), (7, 3), (50, 2)])
def test_lhs_one_point_in_each_stratum(n, d):
    ranges = {f"p{j}": Range(-1.0, 3.0) for j in range(d)}
    pts = LatinHypercube(ranges, samples=n, seed=4).points()
    assert len(pts) == n
    for name in ranges:
        strata = np.floor((np.array([p[name] for p in pts]) + 1.0) / 4.0 * n).astype(int)
        assert sorted(strata) == list(range(n)), name


def test_lhs_log_and_integer_strata():
    pts = LatinHypercube({"f": Range(1.0, 1000.0, log=True), "k": Range(1, 10, integer=True)},
                         samples=10, seed=0).points()
    logs = np.floor(np.log10([p["f"] for p in pts]) / 3 * 10).astype(int)
    assert sorted(logs) == list(range(10))
    assert sorted(p["k"] for p in pts) == list(range(1, 11))  # 10 integers, 10 strata


def test_random_is_seeded_and_in_range():
    a = RandomDesign({"x": (0.0, 2.0)}, samples=20, seed=1).points()
    assert a == RandomDesign({"x": (0.0, 2.0)}, samples=20, seed=1).points()
    assert a != RandomDesign({"x": (0.0, 2.0)}, samples=20, seed=2).points()
    assert all(0 <= p["x"] < 2 for p in a)


def test_union_and_from_dict_list():
    u = Grid(a=[1, 2]) + Grid(b=[3])
    assert isinstance(u, Union) and u.names == ("a", "b") and len(u) == 3
    d = design_from_dict([{"kind": "grid", "parameters": {"a": [1]}},
                          {"kind": "lhs", "samples": 4, "parameters": {"b": {"low": 0,
                                                                              "high": 1}}}])
    assert len(d) == 5


@pytest.mark.parametrize("make, message", [
    (lambda: Grid(a=[]), "'a': empty list"),
    (lambda: Grid(), "at least one parameter"),
    (lambda: Grid(a=[1, 1]), "repeated"),
    (lambda: LatinHypercube({"x": (1.0, 1.0)}, samples=3), r"'x': empty range"),
    (lambda: RandomDesign({"x": (2.0, 1.0)}), r"'x': empty range"),
    (lambda: LatinHypercube({"x": Range(0.0, 1.0, log=True)}), "positive bounds"),
    (lambda: LatinHypercube({"x": (0, 1)}, samples=0), "samples"),
    (lambda: design_from_dict({"kind": "sobol", "parameters": {"x": [1]}}), "kind"),
    (lambda: design_from_dict({"kind": "grid", "parameters": {"x": [1]}, "samples": 3}),
     "unknown keys"),
])
def test_bad_designs_raise_usage_errors(make, message):
    with pytest.raises(UsageError, match=message):
        make()


def test_the_bases_are_interfaces():
    """Design, its sampled designs and Study cannot be used without the methods they name."""
    from pulsegated.explore.design import Design, _Sampled
    from pulsegated.explore.study import Study

    for base in (Design, _Sampled, Study):
        with pytest.raises(TypeError, match="abstract"):
            base()
