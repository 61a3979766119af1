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
