import os

import matplotlib
import pytest

matplotlib.use("Agg")

#: datasets a full-data test may ask for
FULL_DATASETS = ("mnist", "fashion-mnist")


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


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _find_full_data(names) -> str | None:
    """The first root of the package's search path that holds every dataset in ``names``."""
    from pulsegated.data.datasets import DATASETS, SPLITS
    from pulsegated.data.paths import find_file, search_path

    for root, _ in search_path():
        if all(find_file(root / name, f) is not None
               for name in names for s in SPLITS for f in DATASETS[name].files[s]):
            return str(root)
    return None


@pytest.fixture(scope="session")
def data_dir():
    """Root holding the full MNIST and Fashion-MNIST files, found on the package's search path.

    Without them the test is skipped with a message saying how to get them, except in CI
    (``CI=true``), where a missing dataset is a failure: CI must run every test.
    """
    root = _find_full_data(FULL_DATASETS)
    if root is None:
        msg = ("needs the full MNIST and Fashion-MNIST files: run `pulsegated data download mnist` "
               "and `pulsegated data download fashion-mnist` (into the user cache), or set "
               "PULSEGATED_DATA to a folder holding mnist/ and fashion-mnist/")
        if _in_ci():
            pytest.fail("CI=true but " + msg)
        pytest.skip(msg)
    return root
