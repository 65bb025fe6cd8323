"""``smsim verify``: check a third party's Twilio callback endpoint.

Runs the checks of ``smsim.contracts.verify_plan`` (every status Twilio calls back for,
every catalogued error code in every arrival order, retries, handset replies, forged and
malformed requests), prints one line per class of check and, for each failure, what the
receiver did, what Twilio would do next and what production would show; optionally
writes JUnit XML (one testcase per check). Exits 1 when a check fails, 2 (one line, nothing
sent) when the target or the stats URL cannot be used. The auth token is only used to
sign; it is never printed.
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
            "Post signed Twilio webhooks (every status Twilio calls back for, every catalogued "
            "error code in every arrival order, retries, handset replies, forged and malformed "
            "requests) and judge the answers and their speed. With --stats-url, also check "
            "after every check that the integration's counts grew exactly as Twilio's "
            "final-status rules say."
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
    parser.add_argument(
        "--timeout",
        type=float,
        default=verify.TWILIO_READ_TIMEOUT,
        metavar="SECONDS",
        help=(
            "Twilio's limit for a webhook answer; a slower one fails as the 11205 Twilio "
            "would log (default: %(default)g, Twilio's)"
        ),
    )
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
        config = verify.VerifyConfig(**options)
        report = verify.run(config)
    except (ValueError, verify.Unreachable) as exc:  # a bad SID or timeout; a dead target
        return checks.refuse("smsim verify", exc)
    print("\n".join(report.lines()))
    if args.junit:
        Path(args.junit).write_text(report.to_junit_xml(), encoding="utf-8")
    return 0 if report.passed else 1
