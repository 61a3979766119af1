"""``pulsegated sweep SPEC.toml`` (the sub-command module) on a tiny TOML file."""

import argparse
import csv
import json

import pytest

from pulsegated.errors import UsageError
from pulsegated.explore import cli
from tests.explore.helpers import calls

SPEC = """\
study = "tests.explore.helpers:quadratic"
repeats = 2

[fixed]
calls_dir = "{calls}"
fail_at = 3

[design]
kind = "grid"
[design.parameters]
x = [1, 2, 3]
y = [0.5]
"""


def _run(*argv):
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    return cli.run(p.parse_args([str(a) for a in argv]))


def test_module_is_a_subcommand():
    assert isinstance(cli.HELP, str) and callable(cli.add_arguments) and callable(cli.run)


def test_sweep_tiny_toml(tmp_path, capsys):
    spec = tmp_path / "tiny.toml"
    spec.write_text(SPEC.format(calls=tmp_path))
    out = tmp_path / "out"
    assert _run(spec, "--workers", 1, "--out", out, "--json", "--no-progress") == 1  # x=3 fails
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["x"], r["seed"]) for r in rows] == [(1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (3, 1)]
    assert rows[2]["f"] == pytest.approx(4.5) and rows[2]["error"] is None
    assert "cannot evaluate x = 3" in rows[4]["error"] and rows[4]["f"] is None
    assert (out / "results.sqlite").exists() and (out / "results.csv").exists()
    with open(out / "results.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 6 and table[0]["x"] == "1" and "ValueError" in table[4]["error"]
    n = calls(tmp_path)
    # rerun: only the failed points again; the table goes to stdout, the summary to stderr
    assert _run(spec, "--workers", 1, "--out", out, "--no-progress") == 1
    assert calls(tmp_path) == n + 2
    captured = capsys.readouterr()
    assert "4 of 6 points finished, 2 failed" in captured.err
    assert "coupling" not in captured.out and "x" in captured.out.splitlines()[0]


def test_default_out_next_to_spec_and_spec_change_refused(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_text(SPEC.format(calls=tmp_path).replace("fail_at = 3", "fail_at = 9"))
    assert _run(spec, "--workers", 1, "--no-progress") == 0
    assert (tmp_path / "tiny-results" / "results.sqlite").exists()
    spec.write_text(SPEC.format(calls=tmp_path).replace("fail_at = 3", "fail_at = 8"))
    with pytest.raises(UsageError, match="store: .*another sweep"):
        _run(spec, "--workers", 1, "--no-progress")


@pytest.mark.parametrize("text, message", [
    ("study = 'tests.explore.helpers:quadratic'\n[design]\nkind = 'grid'\n"
     "[design.parameters]\nq = [1]\n", "unknown parameter 'q'"),
    ("study = 'nope'\n[design]\n[design.parameters]\nx = [1]\n", "unknown study 'nope'"),
    ("study = 'tests.explore.helpers:quadratic'\n[design]\nkind = 'lhs'\n"
     "[design.parameters]\nx = {low = 2, high = 2}\n", "'x': empty range"),
    ("study = 'tests.explore.helpers:quadratic'\n", r"\[design\] table is required"),
    ("study = 'tests.explore.helpers:quadratic'\nrepeat = 2\n", "unknown keys"),
    ("study = [", "not valid TOML"),
])
def test_bad_spec_is_a_usage_error(tmp_path, text, message):
    spec = tmp_path / "bad.toml"
    spec.write_text(text)
    with pytest.raises(UsageError, match=message):
        _run(spec, "--workers", 1)
    assert not (tmp_path / "bad-results").exists()


def test_workers_and_scheduler_exclusive(tmp_path):
    with pytest.raises(UsageError, match="--workers"):
        _run(tmp_path / "x.toml", "--workers", 2, "--scheduler", "tcp://127.0.0.1:1")


def test_list_studies(capsys):
    assert _run("--list", "--json") == 0
    studies = json.loads(capsys.readouterr().out)
    assert {"sgsc_robustness", "graded_chain"} <= set(studies)
