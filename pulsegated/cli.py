"""The ``pulsegated`` command: one sub-command per module.

Each sub-command module defines ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``, and keeps its heavy imports inside ``run`` so that ``pulsegated --help``
stays fast.  Every parser (sub-commands and their actions included) shows the default of each
option in its help.  Bad input exits with status 2 and one line on stderr saying what was expected.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from pulsegated import __version__
from pulsegated.errors import UsageError

#: sub-command -> module
COMMANDS = {
    "train": "pulsegated.training.cli",
    "demo": "pulsegated.demo",
    "data": "pulsegated.data.cli",
    "chain": "pulsegated.sgsc.cli",
    "graded-bp": "pulsegated.gradedbp.cli",
    "energy": "pulsegated.analysis.energy_cli",
    "sweep": "pulsegated.explore.cli",
    "erbp": "pulsegated.erbp.cli",
    "figures": "pulsegated.figures_cli",
}


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends ``(default: ...)`` to every option's help, except where there is nothing to show
    (flags, and options whose help already says what leaving them out means)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or "(default:" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """Argument parser of every (sub-)command: help shows defaults; errors are one line."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _DefaultsFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):  # one line, exit 2
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pulsegated", description="Backpropagation with spikes: pulse-gated "
                     "circuits on Brian2 and a bit-exact Loihi integer emulator.")
    parser.add_argument("--version", action="version", version=f"pulsegated {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv=None) -> int:
    from pulsegated.circuit import CircuitError

    try:
        args = build_parser().parse_args(argv)
        return int(args._run(args) or 0)
    except (UsageError, CircuitError) as e:
        print(f"pulsegated: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (``| head``): not an error
        sys.stderr.close()
        return 0
    except (OSError, ValueError) as e:  # missing datasets, bad files, offline downloads
        print(f"pulsegated: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pulsegated: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
