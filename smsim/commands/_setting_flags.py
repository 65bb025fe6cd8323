"""A server command's flags, ``--help`` and environment epilog, from its settings table.

``smsim serve`` (the simulator's table) and ``smsim client serve`` (the client's) build
their parsers here, so a row of a table is a flag with its type, choices and help, a line
of the epilog naming its variable, and a key the command's ``--config`` file takes. Every
flag defaults to None: a flag not given leaves the file's and the environment's value.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from smsim.commands._argtypes import positive_number
from smsim.settings import Setting

STORE_SETTINGS = frozenset({"db_path", "memory"})  # --db or --memory, not both
# Their flags come from _safety_flags, with the same --help for both servers.
SAFETY_SETTINGS = frozenset({"allowed_hosts", "control_token"})


def add_setting_flags(parser: argparse.ArgumentParser, settings: Iterable[Setting]) -> None:
    """One flag per setting that has one; ``--db`` and ``--memory`` exclude each other.
    (The safety settings' flags are ``add_safety_flags``'s.)"""
    store = parser.add_mutually_exclusive_group()
    for setting in settings:
        if setting.flag is not None and setting.name not in SAFETY_SETTINGS:
            add_flag(store if setting.name in STORE_SETTINGS else parser, setting)


def add_flag(parser: Any, setting: Setting, help_text: str | None = None) -> None:
    """The flag of one setting: its type, choices and --help from the table (or
    ``help_text``, where a command says more)."""
    assert setting.flag is not None
    text = help_text or setting.flag_help or setting.help
    if setting.kind is bool:  # a switch away from the default: --memory, --no-ui
        action = "store_false" if setting.default else "store_true"
        parser.add_argument(setting.flag, dest=setting.name, action=action, default=None, help=text)
        return
    if setting.default is not None and setting.flag_help is None and help_text is None:
        text = f"{text} (default {setting.default})"
    parser.add_argument(
        setting.flag,
        dest=setting.name,
        # a speed of 0 or "inf" is refused as the line is parsed, naming the flag
        type=positive_number if setting.kind is float else setting.kind,
        choices=setting.choices or None,
        help=text,
    )


def environment_epilog(settings: Iterable[Setting], tail: str) -> str:
    """The ``--help`` epilog: every variable with its meaning, then ``tail``."""
    rows = [
        (name, setting.environment_help if name == setting.env else f"the same as {setting.env}")
        for setting in settings
        for name in (setting.env, *setting.env_aliases)
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"  {name.ljust(width)}  {meaning}" for name, meaning in rows]
    return (
        "environment variables (between --config and the flags in precedence):\n"
        + "\n".join(lines)
        + "\n\n"
        + tail
    )


def given_flags(args: argparse.Namespace, settings: Iterable[Setting]) -> dict[str, Any]:
    """``{key: value}`` of every setting the command line gave (None where it gave none;
    the safety flags of ``_safety_flags`` have their settings' names as destinations)."""
    return {setting.name: getattr(args, setting.name, None) for setting in settings}
