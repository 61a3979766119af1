"""``pulsegated figures``: jobs write their files, the manifest says which command made which file,
a failing job is recorded while the others run, bad input is refused before anything runs."""

import hashlib
import json

import pytest

from pulsegated import reproduce
from pulsegated.cli import main
from pulsegated.reproduce import FigureJob, MANIFEST, run_jobs, select_jobs


def test_fast_jobs_write_their_files_and_the_manifest(tmp_path, capsys):
    status = main(["figures", "--fast", "--only", "sgsc-meanfield", "--only", "nsat-gallery",
                   "--out", str(tmp_path)])
    assert status == 0
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    expected = [o for j in select_jobs(["sgsc-meanfield", "nsat-gallery"]) for o in j.outputs]
    assert sorted(manifest) == sorted(expected)
    for name, entry in manifest.items():
        path = tmp_path / name
        assert path.stat().st_size > 1000 and path.read_bytes()[:4] == b"\x89PNG"
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["fast"] is True and entry["bytes"] == path.stat().st_size
    assert manifest["figures/nsat_behaviours.png"]["command"] == \
        "python -m pulsegated.plotting.nsat figures/nsat_behaviours.png"
    assert "2 of 2 jobs done" in capsys.readouterr().out


def test_a_failing_job_is_recorded_and_the_others_run(tmp_path):
    bad = FigureJob("bad", "fails", ("figures/none.png",), ("python", "-c", "raise SystemExit(3)"),
                    ("python", "-c", "raise SystemExit(3)"))
    silent = FigureJob("silent", "writes nothing", ("figures/missing.png",),
                       ("python", "-c", "pass"), ("python", "-c", "pass"))
    good = FigureJob("good", "writes a file", ("results/x.json",),
                     ("python", "-c", "open('results/x.json', 'w').write('{}')"),
                     ("python", "-c", "open('results/x.json', 'w').write('{}')"))
    summary = run_jobs([bad, silent, good], tmp_path, echo=lambda *a, **k: None)
    assert not summary["bad"]["ok"] and "exit status 3" in summary["bad"]["error"]
    assert not summary["silent"]["ok"] and "did not write figures/missing.png" in \
        summary["silent"]["error"]
    assert summary["good"]["ok"]
    assert list(json.loads((tmp_path / MANIFEST).read_text())) == ["results/x.json"]


def test_unknown_job_is_refused_before_anything_runs(tmp_path, capsys):
    assert main(["figures", "--only", "nope", "--out", str(tmp_path)]) == 2
    assert "--only: unknown figure job(s) 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "figures").exists()


def test_every_figure_in_the_repository_has_a_job():
    figures = reproduce.source_root() / "figures"
    if not figures.exists():
        pytest.skip("no figures/ folder in this checkout")
    made = {o for j in reproduce.JOBS for o in j.outputs}
    missing = [f"figures/{p.name}" for p in figures.glob("*.png")
               if f"figures/{p.name}" not in made]
    assert missing == []


def _job(name, outputs, code, reads=()):
    return FigureJob(name, name, tuple(outputs), ("python", "-c", code), ("python", "-c", code),
                     reads=tuple(reads))


def test_jobs_that_share_a_file_or_read_one_run_in_order_in_one_chain():
    a = _job("a", ["results/a.json"], "")
    b = _job("b", ["results/b.json"], "")
    c = _job("c", ["results/c.json", "results/a.json"], "")  # rewrites a's file
    d = _job("d", ["results/d.json"], "", reads=["results/b.json"])  # reads b's file
    e = _job("e", ["results/e.json"], "")
    assert [[j.name for j in g] for g in reproduce.chains([a, b, c, d, e])] == \
        [["a", "c"], ["b", "d"], ["e"]]
    # the paper rows of the variant ablation come from the accuracy-table jobs
    groups = [[j.name for j in g] for g in reproduce.chains(reproduce.JOBS)]
    assert ["nbp-table-mnist", "nbp-table-fashion-mnist", "nbp-variants"] in groups
    assert ["sgsc-transfer", "sgsc-robustness"] in groups


def test_parallel_jobs_overlap_and_a_reader_waits_for_its_writer(tmp_path):
    # each job writes [start, end] to its own file; "late" reads "first"'s file
    code = ("import json, sys, time, pathlib; t = time.time(); time.sleep({s}); "
            "pathlib.Path('results/{n}.json').write_text(json.dumps([t, time.time()]))")
    first = _job("first", ["results/first.json"], code.format(s=1.0, n="first"))
    other = _job("other", ["results/other.json"], code.format(s=1.0, n="other"))
    late = _job("late", ["results/late.json"], code.format(s=0.1, n="late"),
                reads=["results/first.json"])
    summary = run_jobs([first, other, late], tmp_path, echo=lambda *a, **k: None, parallel=2)
    assert all(s["ok"] for s in summary.values()) and list(summary) == ["first", "other", "late"]
    span = {n: json.loads((tmp_path / f"results/{n}.json").read_text())
            for n in ("first", "other", "late")}
    assert span["other"][0] < span["first"][1]  # the two chains overlapped
    assert span["late"][0] >= span["first"][1]  # the reader started after its writer ended
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert sorted(manifest) == ["results/first.json", "results/late.json", "results/other.json"]


@pytest.mark.parametrize("value", ["0", "-1"])
def test_bad_jobs_count_is_refused_before_anything_runs(tmp_path, capsys, value):
    assert main(["figures", "--fast", "--jobs", value, "--only", "sgsc-meanfield",
                 "--out", str(tmp_path)]) == 2
    assert "--jobs must be a positive integer" in capsys.readouterr().err
    assert not (tmp_path / "figures").exists()
