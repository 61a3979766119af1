"""The README's code blocks run as written.

* Python blocks are executed, top to bottom, in a fresh namespace inside a temporary folder.
* Shell blocks and commands quoted inline: every ``pulsegated ...`` line is parsed by the real command-line parser (the
  commands themselves train for minutes to hours); every ``python scripts/...`` or
  ``python benchmarks/...`` line names a file that exists and only flags its ``--help`` lists.
* The README opens with the two commands of a fresh clone: install + main job, install + tests.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(lang: str) -> list:
    return [body for kind, body in FENCE.findall(README.read_text()) if kind == lang]


INLINE = re.compile(r"`((?:python3?|pulsegated) [^`]+)`")


def shell_lines() -> list:
    """Commands of the shell blocks (comments stripped, ``&&`` chains split) and the commands
    quoted inline in the text (``python scripts/...``, ``pulsegated ...``)."""
    out = []
    for body in blocks("bash"):
        for line in body.splitlines():
            line = line.split(" #")[0].strip()
            if line and not line.startswith("#"):
                out += [part.strip() for part in line.split("&&")]
    text = FENCE.sub("", README.read_text())
    for cmd in INLINE.findall(text):
        if " --" in cmd or cmd.startswith("python"):  # not a bare command name in prose
            out += [part.strip() for part in cmd.split("&&")]
    return out


def test_readme_opens_with_the_two_fresh_clone_commands():
    first, second = blocks("bash")[:2]
    assert "pip install -e ." in first and "pulsegated demo" in first
    assert "pip install -e \".[test]\"" in second and "python -m pytest" in second
    text = README.read_text()
    assert text.index(first) < text.index("## ")  # before any section


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_block_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    code = blocks("python")[index]
    exec(compile(code, f"README.md python block {index}", "exec"), {"__name__": "__readme__"})
    import matplotlib.pyplot as plt
    plt.close("all")


def test_pulsegated_commands_parse():
    from pulsegated.cli import build_parser
    from pulsegated.errors import UsageError

    lines = [c for c in shell_lines() if c.startswith("pulsegated ")]
    assert len(lines) >= 5
    parser = build_parser()
    for line in lines:
        try:
            parser.parse_args(shlex.split(line)[1:])
        except (UsageError, SystemExit) as e:
            pytest.fail(f"README command does not parse: {line}: {e}")


def test_script_commands_name_existing_files_and_flags():
    lines = [c for c in shell_lines()
             if re.match(r"python3? (scripts|benchmarks)/", c)]
    assert lines
    helps = {}
    for line in lines:
        argv = shlex.split(line)
        script = ROOT / argv[1]
        assert script.is_file(), f"README names a missing file: {argv[1]}"
        if script not in helps:
            helps[script] = subprocess.run([sys.executable, str(script), "--help"],
                                           capture_output=True, text=True, cwd=ROOT,
                                           timeout=120).stdout
        for flag in (a.split("=")[0] for a in argv[2:] if a.startswith("--")):
            assert flag in helps[script], f"{argv[1]} has no flag {flag} (README: {line})"
