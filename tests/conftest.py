import os

import matplotlib
import pytest

matplotlib.use("Agg")


def pytest_addoption(parser):
    parser.addoption("--runlong", action="store_true", default=False,
                     help="also run tests marked 'long' (minutes each)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runlong"):
        return
    skip_long = pytest.mark.skip(reason="long test: run with --runlong")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip_long)


@pytest.fixture(scope="session")
def data_dir():
    """Directory holding the real datasets (PULSEGATED_DATA); tests needing it fail loudly without it."""
    path = os.environ.get("PULSEGATED_DATA")
    if not path or not os.path.isdir(path):
        pytest.fail("PULSEGATED_DATA must point at a folder with mnist/ and fashion-mnist/ "
                    "(CI sets it to ../shared/data)")
    return path
