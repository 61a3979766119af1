"""How far the nBP network's shape can go when trained without the chip's constraints.

The same inputs (the binarised images the nBP circuit learns from, with its cropping) and the
same shape (400 hidden units), trained with float weights, biases, softmax cross-entropy and Adam (learning
rate 1e-3, mini-batches of 100):

* ``binary``: Heaviside hidden units, as in the circuit, trained with straight-through gradients
  (the derivative of the step taken as 1 within one unit of the threshold, 0 elsewhere);
* ``relu``: ReLU hidden units (an upper reference: the hidden layer is no longer binary).

Test accuracy is read by the argmax of the output potential after every epoch; a run's figure is
the mean of its last 10 epochs, as in the nBP tables.  Every figure goes to
``results/nbp_ceiling.json`` (per dataset, model and seed, with the per-epoch curve).

    python scripts/nbp_ceiling.py --datasets mnist fashion-mnist --seeds 0 1 2 --epochs 40

The full MNIST and Fashion-MNIST files must be on the data search path (``PULSEGATED_DATA``).
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from pulsegated.atomic import atomic_open
from pulsegated.data import load_preprocessed

LAST = 10
MODELS = ("binary", "relu")


def train(X, y, Xte, yte, model: str, hidden: int, epochs: int, seed: int,
          lr: float = 1e-3, batch: int = 100, log=print) -> list[float]:
    """Test accuracy (fraction) after every epoch of one float network."""
    rng = np.random.default_rng(seed)
    n_in, n_out = X.shape[1], int(y.max()) + 1
    params = [rng.normal(0, np.sqrt(2 / (n_in + hidden)), (n_in, hidden)),
              np.zeros(hidden), rng.normal(0, np.sqrt(2 / (hidden + n_out)), (hidden, n_out)),
              np.zeros(n_out)]
    params = [p.astype(np.float32) for p in params]
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]

    def forward(A):
        z1 = A @ params[0] + params[1]
        h = (z1 > 0).astype(np.float32) if model == "binary" else np.maximum(z1, 0)
        return z1, h, h @ params[2] + params[3]

    step, curve = 0, []
    for epoch in range(epochs):
        order = rng.permutation(len(X))
        for a in range(0, len(order), batch):
            i = order[a:a + batch]
            A, t = X[i], y[i]
            z1, h, z2 = forward(A)
            p = np.exp(z2 - z2.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(t)), t] -= 1
            g2 = p / len(t)
            gz1 = g2 @ params[2].T
            gz1 *= (np.abs(z1) < 1) if model == "binary" else (z1 > 0)
            grads = [A.T @ gz1, gz1.sum(axis=0), h.T @ g2, g2.sum(axis=0)]
            step += 1
            for k, g in enumerate(grads):
                m1[k] = 0.9 * m1[k] + 0.1 * g
                m2[k] = 0.999 * m2[k] + 0.001 * g * g
                params[k] -= lr * (m1[k] / (1 - 0.9 ** step)) / (
                    np.sqrt(m2[k] / (1 - 0.999 ** step)) + 1e-8)
        acc = float((forward(Xte)[2].argmax(axis=1) == yte).mean())
        curve.append(acc)
        log(f"{model} seed {seed} epoch {epoch + 1}: test {100 * acc:.2f} %")
    return curve


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=["mnist", "fashion-mnist"],
                    choices=("mnist", "fashion-mnist"))
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--hidden", type=int, default=400)
    ap.add_argument("--out", default="results/nbp_ceiling.json",
                    help="the JSON file of the figures (default: results/nbp_ceiling.json); "
                         "runs already in it are kept, the same run is replaced")
    args = ap.parse_args(argv)
    if args.epochs < LAST:
        ap.error(f"--epochs must be at least {LAST} (the figure is the mean of the last {LAST})")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table = json.loads(out.read_text()) if out.is_file() else {}
    for dataset in args.datasets:
        X, y = load_preprocessed(dataset, "train")
        Xte, yte = load_preprocessed(dataset, "test")
        X, Xte = X.astype(np.float32), Xte.astype(np.float32)
        for model in args.models:
            for seed in args.seeds:
                t0 = time.perf_counter()
                curve = train(X, y, Xte, yte, model, args.hidden, args.epochs, seed,
                              log=lambda m: print(f"{dataset} {m}", flush=True))
                key = f"{dataset}/{model}/h{args.hidden}/seed{seed}"
                table[key] = {"last10": 100 * float(np.mean(curve[-LAST:])),
                              "best": 100 * max(curve), "epochs": args.epochs,
                              "curve": curve, "seconds": time.perf_counter() - t0}
                with atomic_open(out) as f:
                    f.write((json.dumps(table, indent=1, sort_keys=True) + "\n").encode())
            figs = [table[f"{dataset}/{model}/h{args.hidden}/seed{s}"]["last10"]
                    for s in args.seeds]
            print(f"{dataset} {model} {X.shape[1]}-{args.hidden}-10: last-{LAST} mean per seed "
                  f"{', '.join(f'{v:.2f}' for v in figs)} %; mean {np.mean(figs):.2f} %",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
