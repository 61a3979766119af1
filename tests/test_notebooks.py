"""Every notebook runs top to bottom (fast settings via PULSEGATED_FAST=1), without warnings.

Also checked: each notebook opens with an introduction naming the notebook extra, followed by one
parameter cell (tagged ``parameters``) that states the run times of the fast and full settings; the
Loihi notebook says which extra to install when nengo-loihi is missing.
"""

import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: notebooks that take minutes even with fast settings run only with --runlong
LONG = set()
#: the install command every notebook's introduction names
EXTRA = 'pip install -e ".[notebooks]"'
#: a warning printed by Python's warnings module, a logger or tqdm (TqdmWarning)
WARNING = re.compile(r"warn", re.IGNORECASE)


def _paths():
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def _params(paths):
    for nb in paths:
        marks = [pytest.mark.long] if nb.name in LONG else []
        yield pytest.param(nb, id=nb.stem, marks=marks)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", list(_params(_paths())))
def test_notebook_executes(path, monkeypatch):
    monkeypatch.setenv("PULSEGATED_FAST", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend, as in Jupyter
    root = str(NOTEBOOKS.parent)
    monkeypatch.setenv("PYTHONPATH", root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [f"cell {k}: {o.ename}: {o.evalue}" for k, c in enumerate(nb.cells)
              if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors
    warnings = [f"cell {k}: {o.text.strip()[:400]}" for k, c in enumerate(nb.cells)
                if c.cell_type == "code" for o in c.get("outputs", [])
                if o.get("output_type") == "stream" and o.get("name") == "stderr"
                and WARNING.search(o.get("text", ""))]
    assert not warnings, "warnings in cell outputs:\n" + "\n".join(warnings)


@pytest.mark.parametrize("path", list(_params(_paths())))
def test_notebook_layout(path):
    """Intro markdown (with the extra), then the parameter cell before any other code."""
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown"
    assert EXTRA in nb.cells[0].source, f"the introduction should say: {EXTRA}"
    first = _code(nb)[0]
    assert "parameters" in first.metadata.get("tags", []), "first code cell must be the parameters"
    assert [c for c in _code(nb) if "parameters" in c.metadata.get("tags", [])] == [first]
    src = first.source
    assert re.search(r"^FAST = ", src, re.MULTILINE)
    assert 'os.environ.get("PULSEGATED_FAST"' in src
    for mode in ("fast", "full"):  # measured run times stated, e.g. "fast settings: ~40 s"
        assert re.search(mode + r"[a-z ]*:\s*~\s*\d", src, re.IGNORECASE), f"{mode} run time"


def test_loihi_notebook_names_the_extra(monkeypatch):
    """Without nengo-loihi the import cell stops with the install command, not a bare traceback."""
    nb = nbformat.read(NOTEBOOKS / "loihi_backend.ipynb", as_version=4)
    cell = next(c for c in _code(nb) if "nengo_loihi" in c.source)
    monkeypatch.setitem(sys.modules, "nengo_loihi", None)  # as if not installed
    with pytest.raises(ModuleNotFoundError, match=re.escape(EXTRA)):
        exec(compile(cell.source, "import cell", "exec"), {})
