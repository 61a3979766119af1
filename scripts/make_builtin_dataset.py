"""Make ``pulsegated/data/builtin/mnist20_builtin.npz`` from the MNIST IDX files.

    python scripts/make_builtin_dataset.py --data-dir /path/to/data

Draws, with a fixed seed, 500 digits per class from MNIST train and 100 per class from MNIST test,
crops them to 20x20, binarises "any ink", and stores them bit-packed with their labels, their index
in the original split and a SHA-256 of the unpacked arrays.
"""

import argparse
from pathlib import Path

import numpy as np

from pulsegated.atomic import atomic_open
from pulsegated.data.builtin import BUILTIN_FILE, content_digest
from pulsegated.data.datasets import load_dataset
from pulsegated.data.preprocess import preprocess

SEED = 20201231
PER_CLASS = {"train": 500, "test": 100}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "pulsegated" /
                                         "data" / "builtin" / BUILTIN_FILE))
    args = ap.parse_args()
    rng = np.random.default_rng(SEED)
    payload = {}
    for split, k in PER_CLASS.items():
        images, labels = load_dataset("mnist", split, args.data_dir, verify=True)
        picks = np.concatenate([rng.choice(np.flatnonzero(labels == c), k, replace=False)
                                for c in range(10)])
        picks = picks[rng.permutation(len(picks))]
        X = preprocess(images[picks], crop=4, threshold="any")
        y = labels[picks].astype(np.int64)
        payload[f"{split}_bits"] = np.packbits(X, axis=1)
        payload[f"{split}_labels"] = y.astype(np.uint8)
        payload[f"{split}_source_index"] = picks.astype(np.int32)
        payload[f"{split}_count"] = np.int64(len(picks))
        payload[f"{split}_sha256"] = np.array(content_digest(X, y))
        print(f"{split}: {len(picks)} digits, sha256 {content_digest(X, y)}")
    out = Path(args.out)
    with atomic_open(out) as f:
        np.savez_compressed(f, **payload)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
