"""``smsim pact``: smsim as the provider of a consumer's pacts of Twilio (docs/pact.md).

``smsim pact verify PACT...`` replays the HTTP interactions on the Twilio surface and
produces the message interactions' webhooks as smsim sends them, with pact's verifier;
one line per interaction with the mismatch in words; exit 0 when all pass, 1 otherwise,
2 for a usage error. ``smsim pact states`` lists the provider states and their params.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any
from urllib.parse import urlsplit

from smsim import websafety
from smsim.commands import _startup_checks as checks

NAME = "smsim pact"
MISSING = "needs pact-python: pip install 'smsim[pact]'"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "pact",
        help="verify your pacts of Twilio against smsim (the provider side Twilio never gave)",
        description="Pact provider verification of Twilio's REST API and webhooks.",
    )
    commands = parser.add_subparsers(dest="pact_command", metavar="SUBCOMMAND")
    parser.set_defaults(handler=lambda args: _usage(parser))
    verify = commands.add_parser(
        "verify",
        help="verify pact files (HTTP and message interactions)",
        description=(
            "Replay each HTTP interaction on smsim's Twilio surface and produce each "
            "message interaction's webhook as smsim sends it, after setting up its provider "
            "states (smsim pact states); pact's verifier matches them. The simulator is reset "
            "after every interaction. Exit 0 when every interaction passes, 1 otherwise."
        ),
    )
    verify.add_argument("pacts", nargs="+", metavar="PACT", help="pact files or folders of them")
    verify.add_argument(
        "--against",
        metavar="URL",
        help="a running smsim (it is reset: use one of its own); default: an in-process one",
    )
    verify.add_argument("--provider-version", help="the provider version the results are for")
    verify.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    verify.add_argument(
        "--control-token",
        default=os.environ.get(websafety.TOKEN_ENV),
        help=f"the --against server's control token (default: ${websafety.TOKEN_ENV})",
    )
    verify.add_argument("--verbose", action="store_true", help="also print pact's own report")
    verify.set_defaults(handler=run_verify)
    states = commands.add_parser("states", help="list the provider states and their params")
    states.add_argument("--json", action="store_true", help="print them as JSON")
    states.set_defaults(handler=run_states)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_verify(args: argparse.Namespace) -> int:
    try:
        from smsim import pact
        from smsim.pact.provider import StateError
        from smsim.pact.report import lines, write_junit
    except ImportError:
        return checks.refuse(NAME, MISSING)
    if args.against is not None:
        parts = urlsplit(args.against)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            return checks.refuse(NAME, f"--against {args.against}: not an http(s) URL")
    try:
        if args.junit:
            checks.report_path(args.junit, "--junit")
        report = pact.verify(
            args.pacts,
            against=args.against,
            provider_version=args.provider_version,
            token=args.control_token or None,
        )
    except (checks.StartupError, pact.PactFileError) as exc:
        return checks.refuse(NAME, exc)
    except StateError as exc:  # the server itself did not answer
        return checks.refuse(NAME, f"--against {args.against}: {exc}")
    if args.verbose:
        print(report.verifier_output)
    for line in lines(report):
        print(line)
    if args.junit:
        write_junit(report, args.junit)
    return 0 if report.passed else 1


def run_states(args: argparse.Namespace) -> int:
    try:
        from smsim.pact.states import STATES
    except ImportError:
        return checks.refuse(NAME, MISSING)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": s.name,
                        "summary": s.summary,
                        "params": [
                            {"name": n.rstrip("?"), "required": not n.endswith("?"), "about": a}
                            for n, a in s.params
                        ],
                    }
                    for s in STATES.values()
                ],
                indent=2,
            )
        )
        return 0
    for state in STATES.values():
        print(f"{state.name}: {state.summary}")
        for name, about in state.params:
            optional = " (optional)" if name.endswith("?") else ""
            print(f"    {name.rstrip('?')}{optional}: {about}")
    return 0
