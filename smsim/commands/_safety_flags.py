"""Flags both servers share (docs/security.md); a helper module, not a command."""

from __future__ import annotations

import argparse


def add_safety_flags(parser: argparse.ArgumentParser, protected: str) -> None:
    """``--allowed-host`` and ``--control-token`` (docs/security.md), for both servers."""
    parser.add_argument(
        "--allowed-host",
        dest="allowed_hosts",
        action="append",
        metavar="NAME",
        help=(
            f"a Host name {protected} answer besides loopback and the bound address "
            "(repeatable; .example.com includes subdomains; * allows any; "
            "env SMSIM_ALLOWED_HOSTS=a,b). Protects against DNS rebinding"
        ),
    )
    parser.add_argument(
        "--control-token",
        metavar="TOKEN",
        help=(
            f"require this token on {protected}: 'Authorization: Bearer TOKEN', header "
            "X-Smsim-Control-Token, or open a page once with ?token=TOKEN (sets a cookie). "
            "Prefer env SMSIM_CONTROL_TOKEN (a flag shows in ps). The Twilio API keeps Basic auth"
        ),
    )
