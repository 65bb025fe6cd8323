"""The `smsim` command line.

Each subcommand lives in its own module under ``smsim.commands`` and exposes
``register(subparsers)``; this file only discovers and dispatches them, so adding a
command never touches another command's code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from smsim import __version__, commands
from smsim.commands._parser import SmsimParser


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every discovered subcommand."""
    parser = SmsimParser(
        prog="smsim",
        description="An offline stand-in for Twilio SMS: simulator, client, contracts, scenarios.",
    )
    parser.add_argument("--version", action="version", version=f"smsim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (2 for usage and config errors)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code = int(handler(args) or 0)
        # Flush here, not at exit: output that fit in the buffer meets a gone reader only
        # now, and at exit the interpreter would print "Exception ignored ... BrokenPipeError".
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # The reader went away (`smsim codes --json | head`): stop quietly, as other
        # command-line tools do, instead of a traceback. Pointing stdout at /dev/null keeps
        # the interpreter's final flush from raising again at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
