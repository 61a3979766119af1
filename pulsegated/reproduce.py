"""Every figure and result file of the project from one command: ``pulsegated figures``.

Each :class:`FigureJob` names the files it writes (under ``figures/`` and ``results/`` of an
output folder) and the command that writes them, in a full and a ``--fast`` version (fewer seeds,
cycles and epochs: the same code on a smaller setting).  :func:`run_jobs` runs the jobs, each as
its own process in the output folder (``parallel`` of them at a time; jobs that write a common
file, or read another's, one after the other), checks that every file it names was written anew
and is not empty, and records in ``figures/MANIFEST.json`` which command made which file, when,
in how long, whether in fast mode, and the file's size and SHA-256.  A job that fails is recorded with
the end of its error output; the others still run.

Jobs that run the project's scripts (``scripts/*.py``) need a source checkout; jobs on the full
datasets need them (``pulsegated data``); both fail with a message saying so::

    pulsegated figures --list
    pulsegated figures --fast                     # every figure, small settings, into ./fast,
                                                  # two jobs at a time (--jobs N)
    pulsegated figures --only graded-linear-map   # one job, full settings, into .
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime
import hashlib
import json
import os
from pathlib import Path
import shlex
import subprocess
import sys
import time

from pulsegated.atomic import atomic_open
from pulsegated.errors import UsageError
from pulsegated.nbp.variants import ABLATION, record_name

__all__ = ["FigureJob", "JOBS", "run_jobs", "select_jobs", "chains", "MANIFEST"]

#: the manifest, relative to the output folder
MANIFEST = Path("figures") / "MANIFEST.json"


@dataclass(frozen=True)
class FigureJob:
    """One command that writes some of the project's figures and result files.

    Attributes
    ----------
    name : str
    about : str
        One line.
    outputs : tuple of str
        Files written, relative to the output folder.
    command : tuple of str
        Full-setting command (``python`` stands for the running interpreter; a first argument
        ``scripts/...`` is a script of the source checkout).
    fast : tuple of str
        The ``--fast`` command.
    needs_data : bool
        Needs the full MNIST / Fashion-MNIST files.
    reads : tuple of str
        Files of other jobs this one reads (it runs after them, see :func:`chains`).
    """

    name: str
    about: str
    outputs: tuple
    command: tuple
    fast: tuple
    needs_data: bool = False
    reads: tuple = ()


def _sgsc(part: str, outputs: tuple, about: str) -> FigureJob:
    cmd = ("python", "scripts/sgsc_figures.py", "--only", part)
    return FigureJob(f"sgsc-{part}", about, outputs, cmd, cmd + ("--fast",))


def _table(dataset: str) -> FigureJob:
    stem = f"nbp_{dataset}_reference"
    cmd = ("python", "scripts/reproduce_nbp_table.py", "--dataset", dataset)
    return FigureJob(f"nbp-table-{dataset}",
                     f"nBP accuracy on {dataset} (exact reference trainer, 3 seeds x 60 epochs)",
                     (f"figures/{stem}_accuracy.png", f"results/{stem}.jsonl",
                      f"results/{stem}_summary.json"),
                     cmd + ("--epochs", "60", "--seeds", "0", "1", "2"),
                     cmd + ("--epochs", "2", "--seeds", "0"), needs_data=True)


_GRADED = ("python", "-m", "pulsegated.gradedbp.figures")
_LINEAR = ("figures/graded_bp_weights.png", "figures/graded_bp_cycles_raster.png",
           "figures/graded_bp_cycle_raster.png", "results/graded_bp_linear_map.json")

def _variants() -> FigureJob:
    outs = ["figures/nbp_variants.png", "results/nbp_variants.json"]
    for ds in ("mnist", "fashion-mnist"):
        for variant, hidden in ABLATION.values():
            if (variant, hidden) == ("paper", 400):
                continue  # the nbp-table jobs' records
            stem = record_name(ds, variant, hidden)
            outs += [f"figures/{stem}_accuracy.png", f"results/{stem}.jsonl",
                     f"results/{stem}_summary.json"]
    cmd = ("python", "scripts/nbp_variants.py", "--run")
    return FigureJob("nbp-variants", "ablation of the nBP circuit variants (3 seeds x 60 "
                     "epochs, both datasets; the paper's row from the nbp-table jobs)",
                     tuple(outs), cmd + ("--workers", "2"),
                     cmd + ("--epochs", "1", "--seeds", "0"), needs_data=True,
                     reads=tuple(o for ds in ("mnist", "fashion-mnist")
                                 for o in _table(ds).outputs if o.startswith("results/")))


#: every job, in the order ``pulsegated figures`` runs them
JOBS = (
    _sgsc("meanfield", ("figures/sgsc_meanfield_traces.png",
                        "figures/sgsc_meanfield_transfer.png"),
          "graded transfer in the mean field: traces and transfer map"),
    _sgsc("transfer", ("figures/sgsc_transfer_spiking.png", "results/sgsc_robustness.json"),
          "graded transfer of the spiking chain against the mean field"),
    _sgsc("raster", ("figures/sgsc_raster.png",), "raster of spiking graded chains"),
    _sgsc("robustness", ("figures/sgsc_robustness.png", "results/sgsc_robustness.json"),
          "graded transfer against jitter, weight spread and population size"),
    _sgsc("copy", ("figures/sgsc_copy.png", "figures/sgsc_copy_spiking.png",
                   "results/sgsc_copy.json"), "synaptic copy, mean field and spiking"),
    _sgsc("synfire", ("figures/sgsc_synfire_baseline.png",),
          "the classic synfire chain: packets that propagate or die"),
    FigureJob("nbp-demo", "nBP on the built-in digits: accuracy curve and one learning cycle",
              ("figures/demo_accuracy.png", "figures/nbp_learning_cycle.png"),
              ("python", "scripts/nbp_figures.py"),
              ("python", "scripts/nbp_figures.py", "--epochs", "3", "--samples", "30")),
    _table("mnist"),
    _table("fashion-mnist"),
    _variants(),
    FigureJob("nbp-ceiling", "the nBP network's shape trained with float straight-through "
              "gradients (binary hidden units) and as a ReLU network, for comparison",
              ("results/nbp_ceiling.json",),
              ("python", "scripts/nbp_ceiling.py", "--seeds", "0", "1", "--models", "binary"),
              ("python", "scripts/nbp_ceiling.py", "--epochs", "10", "--seeds", "0",
               "--models", "binary", "--datasets", "mnist"), needs_data=True),
    FigureJob("graded-linear-map", "graded backprop learns a linear map (spiking and mean "
              "field), rasters", _LINEAR,
              _GRADED + ("--only", "linear-map", "--cycles", "300"),
              _GRADED + ("--only", "linear-map", "--cycles", "12")),
    FigureJob("graded-linear-map-chip", "graded backprop learns a linear map on Loihi integer "
              "arithmetic, beside the mean field (3 seeds)",
              ("figures/graded_bp_weights_chip.png", "results/graded_bp_linear_map_chip.json"),
              _GRADED + ("--only", "linear-map-chip", "--cycles", "300"),
              _GRADED + ("--only", "linear-map-chip", "--cycles", "20")),
    FigureJob("graded-xor", "graded backprop learns XOR (mean field, 10 seeds)",
              ("figures/graded_bp_xor.png", "results/graded_bp_xor.json"),
              _GRADED + ("--only", "xor", "--xor-cycles", "1500"),
              _GRADED + ("--only", "xor", "--xor-cycles", "200", "--xor-seeds", "2")),
    FigureJob("graded-xor-spiking", "graded backprop learns XOR (spiking, Brian2, 10 seeds)",
              ("figures/graded_bp_xor_spiking.png", "results/graded_bp_xor_spiking.json"),
              _GRADED + ("--only", "xor", "--xor-mode", "spiking", "--xor-cycles", "1500",
                         "--workers", "2"),
              _GRADED + ("--only", "xor", "--xor-mode", "spiking", "--xor-cycles", "30",
                         "--xor-seeds", "1")),
    FigureJob("nsat-gallery", "the Mihalas-Niebur behaviours of the NSAT library",
              ("figures/nsat_behaviours.png",),
              ("python", "-m", "pulsegated.plotting.nsat", "figures/nsat_behaviours.png"),
              ("python", "-m", "pulsegated.plotting.nsat", "figures/nsat_behaviours.png")),
    FigureJob("erbp-figures", "eRBP: one training sample (raster, I with the boxcar, U) of a "
              "briefly trained network (MNIST if present, else the built-in digits) and the "
              "learning curves of results/erbp_*/history.json",
              ("figures/erbp_sample_raster.png", "figures/erbp_learning_curves.png"),
              ("python", "-m", "pulsegated.erbp.figures", "--out", "figures"),
              ("python", "-m", "pulsegated.erbp.figures", "--out", "figures", "--fast")),
)


def select_jobs(only=None) -> list:
    """The jobs named in ``only`` (all when None); UsageError naming an unknown one."""
    if not only:
        return list(JOBS)
    known = {j.name: j for j in JOBS}
    unknown = [n for n in only if n not in known]
    if unknown:
        raise UsageError(f"--only: unknown figure job(s) {', '.join(map(repr, unknown))}; "
                         f"choose from: {', '.join(known)}")
    return [known[n] for n in dict.fromkeys(only)]


def source_root() -> Path:
    """The source checkout holding ``scripts/`` (the folder above the package)."""
    return Path(__file__).resolve().parent.parent


def _argv(command: tuple) -> list:
    argv = [sys.executable if command[0] == "python" else command[0]]
    for a in command[1:]:
        if a.startswith("scripts/"):
            script = source_root() / a
            if not script.exists():
                raise UsageError(f"{a} is part of the source checkout, not of an installed "
                                 f"package: run from a clone of the repository")
            a = str(script)
        argv.append(a)
    return argv


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def chains(jobs) -> list:
    """``jobs`` grouped into chains that may run at the same time: jobs that write a common file,
    or read one another's files, share a chain and keep their order within it."""
    groups: list[list] = []
    for job in jobs:
        touches = set(job.outputs) | set(job.reads)
        hit = [g for g in groups
               if any(touches & set(j.outputs) or set(job.outputs) & set(j.reads) for j in g)]
        merged = [j for g in hit for j in g] + [job]
        groups = [g for g in groups if g not in hit] + [merged]
    order = {job.name: i for i, job in enumerate(jobs)}
    groups = [sorted(g, key=lambda j: order[j.name]) for g in groups]
    return sorted(groups, key=lambda g: order[g[0].name])


def run_jobs(jobs, out=".", fast: bool = False, echo=print, parallel: int = 1) -> dict:
    """Run ``jobs`` in the folder ``out`` and update its manifest.

    Parameters
    ----------
    jobs : list of FigureJob
    out : path
    fast : bool
        The jobs' ``fast`` commands.
    echo : callable
        Progress lines (each starts with the job's name).
    parallel : int
        Jobs run at the same time (each is its own process); jobs writing a common file run one
        after the other (:func:`chains`).  The chains that took longest in the run the manifest
        recorded start first.

    Returns
    -------
    dict
        ``{job name: {"ok": bool, "seconds": float, "error": str or None}}``.
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise UsageError(f"parallel must be a positive integer, got {parallel!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(exist_ok=True)
    (out / "results").mkdir(exist_ok=True)
    manifest_path = out / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    env = {**os.environ, "MPLBACKEND": "Agg"}
    summary = {}
    lock = threading.Lock()

    def say(msg):
        with lock:
            echo(msg, flush=True)

    def one(job):
        command = job.fast if fast else job.command
        say(f"[{job.name}] {shlex.join(command)}")
        t0 = time.time()
        try:
            argv = _argv(command)
        except UsageError as e:
            summary[job.name] = {"ok": False, "seconds": 0.0, "error": str(e)}
            say(f"[{job.name}] FAILED: {e}")
            return
        proc = subprocess.run(argv, cwd=out, env=env, capture_output=True, text=True)
        seconds = time.time() - t0
        error = None
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-8:]
            error = f"exit status {proc.returncode}: " + "\n".join(tail)
        else:
            stale = [o for o in job.outputs if not (out / o).exists()
                     or (out / o).stat().st_mtime < t0 - 1 or (out / o).stat().st_size == 0]
            if stale:
                error = f"did not write {', '.join(stale)}"
        summary[job.name] = {"ok": error is None, "seconds": round(seconds, 1), "error": error}
        if error is not None:
            say(f"[{job.name}] FAILED after {seconds:.0f} s: {error}")
            return
        when = datetime.datetime.now().isoformat(timespec="seconds")
        entries = {o: {"job": job.name, "command": shlex.join(command), "fast": fast,
                       "written": when, "seconds": round(seconds, 1),
                       "bytes": (out / o).stat().st_size, "sha256": _digest(out / o)}
                   for o in job.outputs}
        with lock:
            manifest.update(entries)
            with atomic_open(manifest_path) as f:
                f.write((json.dumps(dict(sorted(manifest.items())), indent=1) + "\n").encode())
            echo(f"[{job.name}] {seconds:.0f} s: {', '.join(job.outputs)}", flush=True)

    def chain(group):
        for job in group:
            one(job)

    groups = chains(jobs)
    if parallel > 1:  # longest chains first, by the times the manifest recorded (if any)
        before = {e["job"]: e["seconds"] for e in manifest.values()
                  if isinstance(e, dict) and e.get("fast") == fast and "seconds" in e}
        groups.sort(key=lambda g: -sum(before.get(j.name, 0.0) for j in g))
    if parallel == 1 or len(groups) == 1:
        for group in groups:
            chain(group)
    else:
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            for f in [pool.submit(chain, g) for g in groups]:
                f.result()
    return {job.name: summary[job.name] for job in jobs}
