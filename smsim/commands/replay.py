"""``smsim replay``: post signed Twilio webhooks (status callbacks, replies) at a URL.

For QA: check what an integration shows for each Twilio error code without sending a
real SMS. ``--code`` takes any Twilio error code, ``--field`` adds or overrides payload
fields, ``--payload`` replays a captured payload; every request is checked against its
contract and signed for the target URL. ``--curl`` prints the equivalent commands instead
of sending. The auth token is only used to sign; it is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from smsim.commands._argtypes import http_url, readable_file
from smsim.commands._startup_checks import refuse
from smsim.commands._target import connect_problem
from smsim.contracts import catalogue
from smsim.contracts.payloads import CALLBACK_STATUSES, FAILURE_STATUSES, new_sid
from smsim.contracts.replay import (
    Identity,
    Outcome,
    SignedRequest,
    callback_status_for,
    full_run,
    parse_payload,
    payload_request,
    reply_request,
    send,
    status_request,
    to_curl,
    with_fields,
)

TOKEN_ENV = "TWILIO_AUTH_TOKEN"
BODY_PREVIEW = 300


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="post signed Twilio status callbacks / replies at an integration",
        description=(
            "Post one signed, schema-valid Twilio webhook to URL: a status callback "
            "(--code for any Twilio error code, else --status), an incoming message "
            "(--reply), a captured payload (--payload), or the whole catalogue (--all). "
            "Exit status 1 when any POST fails, 2 when nothing was sent: a usage error, or "
            "URL cannot be reached (checked once, before the first POST)."
        ),
        epilog=(
            "An error code smsim does not catalogue is reported as undelivered when it is "
            "a 30xxx delivery error, else as failed; --status chooses. `smsim codes` lists "
            "the catalogue."
        ),
    )
    parser.add_argument(
        "--to", required=True, dest="url", type=http_url, metavar="URL", help="callback URL"
    )
    parser.add_argument(
        "--auth-token",
        default=os.environ.get(TOKEN_ENV),
        help=f"Auth Token to sign with (default: ${TOKEN_ENV}); never printed",
    )
    parser.add_argument("--account-sid", help="AC... (default: a fresh random one)")
    parser.add_argument(
        "--message-sid", help="SM... for a single post (default: fresh); --all uses fresh SIDs"
    )
    parser.add_argument("--messaging-service-sid", help="MG... (default: none)")
    parser.add_argument(
        "--from",
        dest="from_",
        metavar="NUMBER",
        default="+15005550006",
        help="the Twilio number (From)",
    )
    parser.add_argument(
        "--to-number", default="+14155550100", help="the handset (To; From of a --reply)"
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--code", type=int, help="any Twilio error code, e.g. 30005 (see `smsim codes`)"
    )
    what.add_argument("--reply", metavar="TEXT", help="post an incoming message instead")
    what.add_argument(
        "--all", action="store_true", help="post delivered, every async code, and a reply"
    )
    what.add_argument(
        "--payload",
        metavar="FILE",
        type=readable_file,
        help="replay a captured payload (form-encoded or a JSON object), signed for URL",
    )
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        type=_field,
        metavar="NAME=VALUE",
        help="add or override one payload field (repeatable); the result must stay valid",
    )
    parser.add_argument(
        "--status",
        choices=CALLBACK_STATUSES,
        help="status to report (default: the code's terminal status, else delivered)",
    )
    parser.add_argument("--reply-text", default="STOP", help="reply text used by --all")
    parser.add_argument("--curl", action="store_true", help="print curl commands, send nothing")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per POST")
    parser.set_defaults(handler=run)


def _field(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{raw!r} is not NAME=VALUE")
    return name.strip(), value


def _usage_error(message: str) -> int:
    return refuse("smsim replay", message)


def _plan(args: argparse.Namespace) -> list[SignedRequest]:
    fields = dict(args.field)
    planned: list[SignedRequest] = [
        with_fields(r, fields, args.auth_token) for r in _base_plan(args)
    ]
    return planned


def _base_plan(args: argparse.Namespace) -> list[SignedRequest]:
    who = Identity(
        account_sid=args.account_sid or new_sid("AC"),
        from_=args.from_,
        to=args.to_number,
        messaging_service_sid=args.messaging_service_sid,
        message_sid=args.message_sid,
    )
    if args.payload is not None:
        try:
            text = args.payload.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read --payload {args.payload}: {exc}") from None
        return [payload_request(args.url, args.auth_token, parse_payload(text))]
    if args.all:
        return full_run(args.url, args.auth_token, who, args.reply_text)
    if args.reply is not None:
        return [reply_request(args.url, args.auth_token, who, args.reply)]
    if args.code is not None:
        if not 10000 <= args.code <= 999999:
            raise ValueError(f"{args.code} is not a Twilio error code (5 or 6 digits)")
        if args.status is not None and args.status not in FAILURE_STATUSES:
            raise ValueError("an error code goes with --status failed or undelivered")
        if catalogue.get(args.code) is None or not catalogue.require(args.code).is_async:
            print(
                f"smsim replay: {args.code} is not one of smsim's callback codes; "
                f"reporting it as {args.status or callback_status_for(args.code)}",
                file=sys.stderr,
            )
        return [status_request(args.url, args.auth_token, who, args.status, code=args.code)]
    status = args.status or "delivered"
    if status in FAILURE_STATUSES:
        raise ValueError(f"--status {status} needs --code (Twilio always sends ErrorCode)")
    return [status_request(args.url, args.auth_token, who, status)]


def _describe(request: SignedRequest) -> str:
    fields = "\n".join(f"    {name}={value}" for name, value in request.form)
    return f"POST {request.url}  [{request.label}]\n{fields}"


def _report(outcome: Outcome) -> str:
    if outcome.error is not None:
        return f"  -> FAILED: {outcome.error}"
    body = outcome.body.strip()
    if len(body) > BODY_PREVIEW:
        body = body[:BODY_PREVIEW] + "..."
    verdict = "ok" if outcome.ok else "FAILED (not 2xx)"
    return f"  -> {outcome.status_code} {verdict}" + (f"\n     {body}" if body else "")


def run(args: argparse.Namespace) -> int:
    if not args.auth_token:
        return _usage_error(f"--auth-token is required (or set ${TOKEN_ENV})")
    try:
        planned = _plan(args)
    except ValueError as exc:  # includes ContractError: a SID given in the wrong format
        return _usage_error(str(exc))
    if args.curl:
        print("\n\n".join(to_curl(r) for r in planned))
        return 0
    problem = connect_problem(args.url, args.timeout)
    if problem:  # once, here: not a payload and a connection error per planned POST
        return refuse("smsim replay", f"--to {args.url}: {problem}; nothing was sent")
    failures = 0
    for request in planned:
        print(_describe(request))
        outcome = send(request, timeout=args.timeout)
        print(_report(outcome), flush=True)
        failures += not outcome.ok
    print(f"{len(planned) - failures}/{len(planned)} accepted (2xx)")
    return 1 if failures else 0
