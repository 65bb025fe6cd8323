"""``smsim client serve``: run the CleverTap-style Twilio provider integration."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from smsim import websafety
from smsim.commands import _startup_checks as checks
from smsim.commands._client_campaign import add_commands as add_campaign_commands
from smsim.commands._safety_flags import add_safety_flags
from smsim.migrations import DatabaseRefused

if TYPE_CHECKING:
    from smsim.client.config import ClientConfig

DEFAULT_PORT = 8911
DEFAULT_DB = "smsim-client.db"
DEFAULT_TWILIO_BASE_URL = "https://api.twilio.com"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "client",
        help="the CleverTap-style Twilio provider integration",
        description="The reference SMS provider integration (providers, campaigns, stats).",
    )
    sub = parser.add_subparsers(dest="client_command", metavar="SUBCOMMAND")
    serve = sub.add_parser(
        "serve",
        help="serve the integration's JSON API, callback receiver and click redirects",
        description=(
            "Serve the integration: /api/providers, /api/campaigns, /api/events, the Twilio "
            "callback receiver POST /sms/twilio and tracked links GET /c/<code>."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = free)"
    )
    store = serve.add_mutually_exclusive_group()
    store.add_argument("--db", dest="db_path", help=f"SQLite file (default ./{DEFAULT_DB})")
    store.add_argument("--memory", action="store_true", help="keep state in RAM (throwaway)")
    serve.add_argument(
        "--twilio-base-url",
        default=DEFAULT_TWILIO_BASE_URL,
        help="Twilio REST base URL; point it at smsim (default https://api.twilio.com)",
    )
    serve.add_argument(
        "--public-url",
        help="base URL Twilio and handsets reach this integration at (default: its own URL)",
    )
    serve.add_argument(
        "--account-id", default="smsim-client", help="integration account id (callback account=)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="HTTP worker processes: 1 only; the client keeps its state in SQLite, and"
        " SQLite is one process (HTTP threads and the campaign sender)",
    )
    serve.add_argument(
        "--senders",
        type=int,
        default=8,
        help="concurrent Create Message requests per campaign (default 8)",
    )
    serve.add_argument("--threads", type=int, default=8, help="WSGI worker threads (default 8)")
    add_safety_flags(serve, "the JSON API (/api/) and the web UI")
    serve.add_argument("--log-level", default="WARNING", help="Python log level")
    serve.add_argument(
        "--ready-file",
        metavar="PATH",
        help="once serving, write JSON here (url, pid, callback_url) for tools to read",
    )
    serve.set_defaults(handler=run_serve)
    add_campaign_commands(sub)
    parser.set_defaults(handler=lambda _args: parser.print_help() or 2)


def _check_start(args: argparse.Namespace) -> None:
    """Every mistake a start can catch before it opens the database or binds the port."""
    checks.host(args.host)
    checks.port_number(args.port)
    if args.workers is not None:
        checks.at_least_one(args.workers, "--workers")
        if args.workers > 1:
            raise checks.StartupError(
                f"--workers {args.workers}: several processes need PostgreSQL (smsim serve --db"
                " postgresql://...); the client keeps its state in SQLite and runs one process"
            )
    checks.at_least_one(args.senders, "--senders")
    checks.at_least_one(args.threads, "--threads")
    checks.http_url(args.twilio_base_url, "--twilio-base-url")
    if args.public_url:
        checks.public_url(args.public_url, "--public-url")
    if not args.memory:
        checks.database_path(args.db_path or DEFAULT_DB)
    checks.port_free(args.host, args.port)


def _refuse(message: str) -> int:
    return checks.refuse("smsim client serve", message)


def run_serve(args: argparse.Namespace) -> int:
    """Start the server, print its URL, and serve until SIGINT/SIGTERM."""
    from smsim.client.config import ClientConfig
    from smsim.client.server import ClientServer
    from smsim.commands._foreground import StopSignals, clear_ready_file

    stop = StopSignals()  # before anything starts: a stop right after the banner is clean
    try:
        level = checks.log_level(args.log_level)
        if args.ready_file:
            checks.report_path(args.ready_file, "--ready-file")
    except checks.StartupError as exc:
        return _refuse(str(exc))
    clear_ready_file(args.ready_file)
    try:
        _check_start(args)
    except checks.StartupError as exc:
        return _refuse(str(exc))
    logging.basicConfig(level=level, format="%(levelname)s %(name)s %(message)s")
    try:
        config = ClientConfig(
            db_path=None if args.memory else (args.db_path or DEFAULT_DB),
            memory=bool(args.memory),
            twilio_base_url=args.twilio_base_url,
            public_url=args.public_url,
            account_id=args.account_id,
            concurrent_sends=args.senders,
            allowed_hosts=websafety.parse_host_list(
                args.allowed_hosts or os.environ.get(websafety.ALLOWED_HOSTS_ENV)
            ),
            control_token=args.control_token or os.environ.get(websafety.TOKEN_ENV) or None,
        )
        warning = websafety.exposure_warning("smsim client serve", args.host, config.control_token)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        server = ClientServer(config, host=args.host, port=args.port, threads=args.threads)
        server.start()
    except DatabaseRefused as exc:
        return _refuse(f"--db {exc}")
    except (ValueError, OSError) as exc:
        return _refuse(str(exc))
    _banner(server.url, server.config, "one process")
    if not _announce(args, server.url, server.config):
        server.stop()
        return 1
    stop.wait(lambda: server.running)
    server.stop()
    clear_ready_file(args.ready_file)
    return 0


def _banner(url: str, config: ClientConfig, shape: str) -> None:
    print(f"smsim client listening on {url}", flush=True)
    print(f"  callback receiver: {config.default_callback_url}", flush=True)
    print(f"  twilio base URL: {config.twilio_base_url}", flush=True)
    if config.twilio_base_url.rstrip("/") == DEFAULT_TWILIO_BASE_URL:
        print(
            "  WARNING: this client talks to the REAL Twilio: messages are really sent and"
            " billed.\n  For offline work start the simulator (smsim serve) and pass"
            " --twilio-base-url http://127.0.0.1:8910, or run smsim up.",
            flush=True,
        )
    store = "in memory" if config.memory else config.db_path
    print(f"  store: {store}; {shape}", flush=True)
    if config.control_token:
        print("  JSON API and UI: the control token is required", flush=True)


def _announce(args: argparse.Namespace, url: str, config: ClientConfig) -> bool:
    """Write the ready file (when asked); False, with the reason printed, if it failed."""
    from smsim.commands._foreground import announce_or_report

    extra: dict[str, Any] = {"callback_url": config.default_callback_url}
    return announce_or_report("smsim client serve", args.ready_file, url, "/api/health", extra)
