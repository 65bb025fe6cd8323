"""``smsim verify``: check a third party's Twilio callback endpoint against the catalogue.

Runs the cases described in ``smsim.contracts.verify`` (every status, every catalogued
async error code, a reply, duplicates, out-of-order delivery, forged and malformed
requests), prints one line per case with the reason, optionally writes JUnit XML, and
exits 1 when any case fails. The auth token is only used to sign; it is never printed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from smsim import websafety
from smsim.commands import _startup_checks as checks
from smsim.contracts import verify

TOKEN_ENV = "TWILIO_AUTH_TOKEN"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check an integration's Twilio callback endpoint against the catalogue",
        description=(
            "Post signed Twilio webhooks (statuses, every async error code, a reply, "
            "duplicates, out-of-order, forged and malformed requests) and judge the answers. "
            "With --stats-url, also check that the integration's counts grew as sent."
        ),
    )
    parser.add_argument("--callback-url", required=True, help="the integration's callback URL")
    parser.add_argument(
        "--auth-token",
        default=os.environ.get(TOKEN_ENV),
        help=f"Auth Token the integration verifies with (default: ${TOKEN_ENV}); never printed",
    )
    parser.add_argument("--account-sid", help="AC... (default: a fresh random one)")
    parser.add_argument("--messaging-service-sid", help="MG... to include in payloads")
    parser.add_argument(
        "--from", dest="from_", metavar="NUMBER", default="+15005550006", help="the Twilio number"
    )
    parser.add_argument("--to-number", default="+14155550100", help="the handset")
    parser.add_argument(
        "--stats-url", help='JSON stats endpoint: {"delivered", "failed", "errors", "replied"}'
    )
    parser.add_argument(
        "--control-token",
        default=os.environ.get(websafety.TOKEN_ENV),
        help=(
            "control token of an smsim client serving --stats-url "
            f"(default: ${websafety.TOKEN_ENV}); never printed"
        ),
    )
    parser.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.auth_token:
        return checks.refuse("smsim verify", f"--auth-token is required (or set ${TOKEN_ENV})")
    if args.junit:  # before any callback is posted: the run cannot be taken back
        try:
            checks.report_path(args.junit, "--junit")
        except checks.StartupError as exc:
            return checks.refuse("smsim verify", exc)
    options: dict[str, Any] = {
        "callback_url": args.callback_url,
        "auth_token": args.auth_token,
        "from_": args.from_,
        "to": args.to_number,
        "messaging_service_sid": args.messaging_service_sid,
        "stats_url": args.stats_url,
        "timeout": args.timeout,
        "control_token": args.control_token or None,
    }
    if args.account_sid:
        options["account_sid"] = args.account_sid
    try:
        report = verify.run(verify.VerifyConfig(**options))
    except ValueError as exc:  # a SID given in the wrong format
        return checks.refuse("smsim verify", exc)
    for result in report.results:
        print(f"{'PASS' if result.passed else 'FAIL'}  {result.name}: {result.reason}")
    failed = len(report.failures)
    print(f"{len(report.results) - failed}/{len(report.results)} cases passed")
    if args.junit:
        Path(args.junit).write_text(report.to_junit_xml(), encoding="utf-8")
    return 1 if failed else 0
