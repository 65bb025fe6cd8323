"""The argument parser every ``smsim`` command is built with: a mistake is one line.

argparse answers a mistake with the whole usage block and, for an option it does not know
after a subcommand (``smsim codes --jsn``), with the *top-level* usage, as if the command
were wrong. :class:`SmsimParser` instead prints one line on stderr naming the command, the
mistake and where the options are listed, and exits 2::

    smsim codes: error: unknown option --jsn (did you mean --json?); see 'smsim codes --help'

Subparsers inherit the class (``add_subparsers`` builds them with the parent's type), so
every command gets this without doing anything.
"""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Sequence
from typing import NoReturn

USAGE_ERROR = 2

_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<given>[^']*)' \(choose from (?P<choices>.*)\)")


class SmsimParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``<prog>: error: <message>; see '<prog> --help'`` on one line; exit 2."""
        line = " ".join(message.split())  # argparse's messages never need their newlines
        hint = f"see '{self.prog} --help'"
        self.exit(USAGE_ERROR, f"{self.prog}: error: {_reworded(line)}; {hint}\n")

    # typeshed types parse_known_args as overloads keyed on the namespace type; this one
    # keeps argparse's behaviour for both, so the single signature is enough.
    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse, and refuse what is left over *here*, so the command it was typed after
        is the one named (argparse would hand it up to ``smsim`` itself)."""
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(self._leftover(extras))
        return parsed, extras

    def _leftover(self, extras: list[str]) -> str:
        first = extras[0]
        if not first.startswith("-") or first == "-":
            return f"unexpected argument {first!r}"
        name = first.split("=", 1)[0]
        known = [s for action in self._actions for s in action.option_strings]
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"unknown option {name}{hint}"


def _reworded(message: str) -> str:
    """argparse's message, shorter, with the closest choice offered for a wrong one:
    ``argument --clock: invalid choice: 'fake' (choose from 'real', 'virtual')`` becomes
    ``--clock fake: choose from real, virtual``."""
    if message.startswith("argument "):
        message = message[len("argument ") :]
    found = _INVALID_CHOICE.search(message)
    if found is None:
        return message
    flag = message[: found.start()].rstrip(": ")
    given = found["given"]
    choices = re.findall(r"'([^']*)'", found["choices"])
    close = difflib.get_close_matches(given, choices, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    if flag.isupper():  # the COMMAND / SUBCOMMAND positional of a parser with subcommands
        return f"unknown command {given!r}{hint}; commands: {', '.join(choices)}"
    return f"{flag} {given}: choose from {', '.join(choices)}{hint}"
