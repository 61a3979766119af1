"""Sphinx configuration of the pulsegated documentation (``sphinx-build docs docs/_build``)."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "pulsegated"
author = "the pulsegated authors"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
templates_path = ["_templates"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = []
nitpicky = False
