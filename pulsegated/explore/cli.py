"""``pulsegated sweep SPEC.toml``: run a parameter sweep described by a TOML file.

The file names a registered study and its design (:mod:`pulsegated.explore.spec`).  Results go
to ``OUT/results.sqlite`` (resumed by a rerun) and ``OUT/results.csv`` (written atomically at the
end); ``OUT`` defaults to ``<SPEC folder>/<SPEC name>-results``.  The exit status is 1 when a
point failed (its error text is in the results), 2 for bad input (nothing runs).

Example (the SGSC robustness figure's sweep,
:data:`pulsegated.explore.studies.ROBUSTNESS_TOML`)::

    pulsegated sweep robustness.toml --workers 2
    pulsegated sweep robustness.toml --scheduler tcp://host:8786   # a dask.distributed cluster
"""

from __future__ import annotations

import json
import sys

HELP = "parameter sweep of a registered study, described by a TOML file (local or dask cluster)"


def add_arguments(p) -> None:
    p.add_argument("spec", metavar="SPEC.toml", nargs="?",
                   help="sweep specification: study, [fixed], [design], seeds")
    p.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default: the available cores; 1: in this "
                        "process)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="dask.distributed scheduler address, e.g. tcp://host:8786 (default: "
                        "local processes)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="folder of results.sqlite and results.csv (default: "
                        "<SPEC folder>/<SPEC name>-results)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object per point and seed instead of a table")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--list", action="store_true", help="list the registered studies and exit")


def run(args) -> int:
    from pathlib import Path

    from pulsegated.errors import UsageError
    from pulsegated.explore.spec import load_spec, plan
    from pulsegated.explore.study import registered_studies
    from pulsegated.explore.driver import run_plan

    if args.list:
        studies = registered_studies()
        if args.json:
            print(json.dumps(studies))
        else:
            for name, text in studies.items():
                print(f"{name}: {text}")
        return 0
    if args.spec is None:
        raise UsageError("SPEC.toml is required (or --list)")
    if args.workers is not None and args.scheduler is not None:
        raise UsageError("--workers applies to local processes; a --scheduler has its own")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    spec_path = Path(args.spec)
    spec = load_spec(spec_path)
    p = plan(spec.study, spec.design, spec.fixed, spec.seeds)
    out = Path(args.out) if args.out else spec_path.parent / f"{spec_path.stem}-results"
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {out} is a file, not a folder")
    df = run_plan(p, store=out / "results.sqlite", client=args.scheduler, workers=args.workers,
                  progress=not args.no_progress)
    _write_csv(df, out / "results.csv")
    failed = int(df["error"].notna().sum())
    if args.json:
        for row in df.to_dict(orient="records"):
            print(json.dumps({k: _plain(v) for k, v in row.items()}))
    else:
        shown = df.drop(columns=["error", "worker", "attempts"])
        # long metrics (histories, matrices as JSON text, lists) stay in the CSV and --json
        wide = [c for c in shown.columns if shown[c].map(
            lambda v: isinstance(v, (list, tuple, dict)) or (isinstance(v, str) and len(v) > 40)
        ).any()]
        shown = shown.drop(columns=wide)
        print(shown.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
        if wide:
            print(f"(not shown: {', '.join(wide)}; see {out / 'results.csv'} or --json)",
                  file=sys.stderr)
        print(f"{len(df) - failed} of {len(df)} points finished, {failed} failed; results in "
              f"{out / 'results.sqlite'} and {out / 'results.csv'}", file=sys.stderr)
        if failed:
            first = df[df["error"].notna()].iloc[0]
            print(f"first error: {first['error'].strip().splitlines()[-1]}", file=sys.stderr)
    return 1 if failed else 0


def _plain(v):
    import math

    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _write_csv(df, path) -> None:
    from pulsegated.atomic import atomic_open

    with atomic_open(path) as f:
        f.write(df.to_csv(index=False).encode())
