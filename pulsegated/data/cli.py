"""``pulsegated data``: download datasets, show the search path."""

from __future__ import annotations

HELP = "download MNIST / Fashion-MNIST into the user cache, or show where data is looked for"


def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="data_command", metavar="ACTION")
    sub.required = True
    d = sub.add_parser("download", help="fetch a dataset's canonical files, verifying checksums")
    d.add_argument("name", choices=("mnist", "fashion-mnist"))
    d.add_argument("--data-dir", default=None, help="target root (default: the user cache)")
    i = sub.add_parser("info", help="show the search path and which datasets are found where")
    i.add_argument("--data-dir", default=None,
                   help="show only this root (as `train --data-dir` would use it)")


def run(args) -> int:
    from pulsegated.data.datasets import DATASETS, SPLITS
    from pulsegated.data.paths import ENV_VAR, find_file, search_path

    if args.data_command == "download":
        from pulsegated.data.download import download_dataset
        folder = download_dataset(args.name, data_dir=args.data_dir)
        print(f"{args.name} is in {folder}")
        return 0
    import os
    env = os.environ.get(ENV_VAR)
    if env:
        print(f"{ENV_VAR} is set: {env}")
    else:
        print(f"{ENV_VAR} is not set.")
    print(f"  Set it to a folder holding mnist/ and fashion-mnist/ to use that data, e.g. "
          f"`export {ENV_VAR}=/path/to/data`; --data-dir overrides it for one command.")
    print("Search path (first match wins):")
    for root, origin in search_path(args.data_dir):
        print(f"  {root}  ({origin})")
        for name, ds in DATASETS.items():
            files = [f for s in SPLITS for f in ds.files[s]]
            n = sum(find_file(root / name, f) is not None for f in files)
            state = "complete" if n == len(files) else (f"{n}/{len(files)} files" if n else "-")
            print(f"      {name:<14} {state}")
    from pulsegated.data.builtin import load_builtin
    Xtr, _ = load_builtin("train")
    Xte, _ = load_builtin("test")
    print(f"Built-in: MNIST20 subset, {len(Xtr)} train / {len(Xte)} test digits (in the package)")
    return 0
