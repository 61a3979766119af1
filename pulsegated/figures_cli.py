"""``pulsegated figures``: regenerate every figure in figures/ and the numbers in results/.

The jobs and the manifest they update are described in :mod:`pulsegated.reproduce`.  Exit status
1 when a job failed (the others still ran), 2 for bad input (nothing runs).
"""

from __future__ import annotations

import time

HELP = "regenerate every figure and result file (figures/, results/) with a manifest"


def add_arguments(p) -> None:
    p.add_argument("--fast", action="store_true",
                   help="small settings (fewer seeds, cycles, epochs): every job in minutes")
    p.add_argument("--only", metavar="NAME", action="append", default=None,
                   help="run only this job (repeatable; see --list)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="folder holding figures/ and results/ (default: the current folder; "
                        "with --fast: ./fast, so that fast figures never replace full ones)")
    p.add_argument("--jobs", metavar="N", type=int, default=None,
                   help="jobs run at the same time, each its own process (default: 2 with "
                        "--fast, else 1: the full jobs use two worker processes themselves)")
    p.add_argument("--list", action="store_true", help="list the jobs and their files, and exit")


def run(args) -> int:
    from pulsegated.errors import UsageError
    from pulsegated.reproduce import run_jobs, select_jobs

    jobs = select_jobs(args.only)
    parallel = args.jobs if args.jobs is not None else (2 if args.fast else 1)
    if parallel < 1:
        raise UsageError(f"--jobs must be a positive integer, got {parallel}")
    if args.list:
        for job in jobs:
            data = " (full datasets)" if job.needs_data else ""
            print(f"{job.name}: {job.about}{data}")
            for o in job.outputs:
                print(f"    {o}")
        return 0
    out = args.out if args.out is not None else ("fast" if args.fast else ".")
    print(f"writing into {out}/figures and {out}/results"
          + (" (fast settings)" if args.fast else ""), flush=True)
    t0 = time.time()
    summary = run_jobs(jobs, out, fast=args.fast, parallel=parallel)
    wall = time.time() - t0
    failed = [name for name, s in summary.items() if not s["ok"]]
    total = sum(s["seconds"] for s in summary.values())
    print(f"{len(summary) - len(failed)} of {len(summary)} jobs done in {wall:.0f} s "
          f"({total:.0f} s of jobs, {parallel} at a time); manifest: "
          f"{out}/figures/MANIFEST.json" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0
