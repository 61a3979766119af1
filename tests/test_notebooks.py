"""Every notebook runs top to bottom (fast settings via PULSEGATED_FAST=1)."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: notebooks that take minutes even with fast settings run only with --runlong
LONG = set()


def _params():
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        marks = [pytest.mark.long] if nb.name in LONG else []
        yield pytest.param(nb, id=nb.stem, marks=marks)


@pytest.mark.parametrize("path", list(_params()))
def test_notebook_executes(path, monkeypatch):
    monkeypatch.setenv("PULSEGATED_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    root = str(NOTEBOOKS.parent)
    monkeypatch.setenv("PYTHONPATH", root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
