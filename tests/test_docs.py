"""The documentation builds with Sphinx, its API reference covers the package, and its tables agree
with the code."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    import shutil

    sphinx = pytest.importorskip("sphinx.cmd.build", reason="the docs build needs the docs extra")
    # build a copy: autosummary writes its stub pages into the source folder
    src = tmp_path_factory.mktemp("docs") / "src"
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("_build", "generated"))
    out = tmp_path_factory.mktemp("html")
    warnings = out / "warnings.txt"
    code = sphinx.build_main(["-b", "html", "-q", "-d", str(out / ".doctrees"), "-w",
                              str(warnings), str(src), str(out)])
    return code, out, warnings.read_text()


def test_docs_build_without_errors(built):
    code, out, warnings = built
    assert code == 0, warnings
    bad = [w for w in warnings.splitlines()
           if re.search(r"ERROR|CRITICAL|failed to import|autodoc: failed", w)]
    assert not bad, "\n".join(bad)
    for page in ("index", "nbp_circuit", "loihi_arithmetic", "graded", "erbp", "api", "references"):
        assert (out / f"{page}.html").is_file()


def test_api_reference_covers_every_module(built):
    import pkgutil

    import pulsegated
    _, out, _ = built
    modules = {m.name for m in pkgutil.walk_packages(pulsegated.__path__, "pulsegated.")
               if not any(part.startswith("_") for part in m.name.split("."))}  # public only
    pages = {p.stem for p in (out / "generated").glob("pulsegated*.html")}
    missing = sorted(modules - pages)
    assert not missing, f"modules without an API page: {missing}"
    network = (out / "generated" / "pulsegated.nbp.network.html").read_text()
    assert "training_circuit" in network and "inference_circuit" in network


def test_activity_table_matches_the_circuit():
    from pulsegated.nbp.network import TRAINING_ACTIVITY

    text = (DOCS / "nbp_circuit.rst").read_text()
    table = text[text.index(":name: activity-table"):text.index("Learning rule")]
    rows = re.findall(r"\* - (\S+)\n\s+- ([\d, ]+)\n", table)
    documented = {pop: tuple(int(p) for p in phases.split(",")) for pop, phases in rows}
    expected = {p: ph for p, ph in TRAINING_ACTIVITY.items() if not re.fullmatch(r"g\d\d", p)}
    assert documented == expected
