"""Parameter exploration at scale: sweeps of a study over grid, random and Latin-hypercube designs.

Run on local processes by default and on a dask.distributed cluster when given a ``Client`` or
a scheduler address; each worker sets a study up once (e.g. builds a Brian2 network) and reuses
it across points; results go to an SQLite store a rerun resumes from, and come back as a pandas
DataFrame.

* :mod:`~pulsegated.explore.design`: :class:`Grid`, :class:`RandomDesign`,
  :class:`LatinHypercube`, :class:`Range`
* :mod:`~pulsegated.explore.study`: :class:`Study` (``prepare`` / ``setup`` / ``run``), the
  study registry
* :mod:`~pulsegated.explore.spec`: :class:`SweepSpec`, TOML specifications, checks
* :mod:`~pulsegated.explore.store`: :class:`ResultStore`
* :mod:`~pulsegated.explore.worker`, :mod:`~pulsegated.explore.executors`: where points run
* :mod:`~pulsegated.explore.driver`: :func:`sweep`, the driver
* :mod:`~pulsegated.explore.studies`: the package's studies (``sgsc_robustness``,
  ``graded_chain``)
* :mod:`~pulsegated.explore.plotting`: :func:`~pulsegated.explore.plotting.plot_heatmap`
* :mod:`~pulsegated.explore.cli`: ``pulsegated sweep SPEC.toml``

Example::

    from pulsegated.explore import Grid, sweep

    df = sweep("graded_chain", Grid(coupling=[0.95, 1.0, 1.05], jitter_ms=[0.0, 0.1]),
               fixed={"n": 200, "n_stages": 4}, seeds=[0, 1], store="heatmap.sqlite")
"""

from pulsegated.explore.design import Grid, LatinHypercube, RandomDesign, Range, Union
from pulsegated.explore.spec import SweepSpec, load_spec, plan
from pulsegated.explore.store import ResultStore
from pulsegated.explore.study import Study, register_study, registered_studies
from pulsegated.explore.driver import sweep

__all__ = ["Grid", "LatinHypercube", "RandomDesign", "Range", "Union", "SweepSpec", "load_spec",
           "plan", "ResultStore", "Study", "register_study", "registered_studies", "sweep"]
