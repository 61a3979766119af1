"""Datasets: IDX reading, the search path, MNIST / Fashion-MNIST, preprocessing, built-in data."""

from pulsegated.data.builtin import load_builtin
from pulsegated.data.datasets import (DATASETS, load_dataset, load_fashion_mnist,
                                      load_mnist)
from pulsegated.data.idx import ChecksumError, IDXFormatError, read_idx, write_idx
from pulsegated.data.paths import (ENV_VAR, DatasetNotFoundError, find_dataset, search_path,
                                   user_cache_dir)
from pulsegated.data.preprocess import (DATASET_PREPROCESSING, binarize, crop, flatten,
                                        load_preprocessed, preprocess)

__all__ = ["load_builtin", "DATASETS", "load_dataset", "load_mnist", "load_fashion_mnist",
           "ChecksumError", "IDXFormatError", "read_idx", "write_idx", "ENV_VAR",
           "DatasetNotFoundError", "find_dataset", "search_path", "user_cache_dir",
           "DATASET_PREPROCESSING", "binarize", "crop", "flatten", "load_preprocessed",
           "preprocess"]
