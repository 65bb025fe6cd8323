"""``smsim client serve``: run the CleverTap-style Twilio provider integration.

Its settings are the rows of ``client/settings_table.py``: each is a key of ``--config``
(YAML or JSON), a ``SMSIM_CLIENT_*`` variable and, for most, a flag, with flags over
variables over the file over the defaults, as ``smsim serve`` takes its own.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from smsim.client.settings_table import DEFAULT_TWILIO_BASE_URL, SETTINGS
from smsim.commands import _startup_checks as checks
from smsim.commands._argtypes import readable_file
from smsim.commands._client_campaign import add_commands as add_campaign_commands
from smsim.commands._foreground import Foreground
from smsim.commands._safety_flags import add_safety_flags
from smsim.commands._setting_flags import add_setting_flags, environment_epilog, given_flags
from smsim.migrations import DatabaseRefused
from smsim.settings import SettingError

if TYPE_CHECKING:
    from smsim.client.config import ClientConfig

COMMAND = "smsim client serve"


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
        epilog=environment_epilog(SETTINGS, "Request bodies are limited to 2 MiB."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_setting_flags(serve, SETTINGS)
    serve.add_argument(
        "--config",
        type=readable_file,
        help="YAML or JSON file of the settings below (keys as in docs/client.md)",
    )
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


def run_serve(args: argparse.Namespace) -> int:
    """Start the server, print its URL, and serve until SIGINT/SIGTERM."""
    from smsim.client.config import load_settings
    from smsim.client.server import ClientServer

    foreground = Foreground(COMMAND, args.ready_file, "/api/health")
    try:
        foreground.prepare(args.log_level)
        settings = load_settings(args.config, given_flags(args, SETTINGS))
        checks.server_start(settings.host, settings.port, settings.store_target)
    except (checks.StartupError, SettingError) as exc:
        return foreground.refuse(exc)
    foreground.warn_if_exposed(settings.host, settings.control_token)
    server = ClientServer(
        settings.integration(),
        host=settings.host,
        port=settings.port,
        threads=settings.http_threads,
    )
    try:
        server.start()
    except DatabaseRefused as exc:
        return foreground.refuse(f"--db {exc}")
    except OSError as exc:  # the port was taken between the check and the bind
        return foreground.refuse(
            f"--port {settings.port}: cannot listen on {settings.host} ({exc.strerror})"
        )
    foreground.banner(_banner(server.url, server.config))
    extra: dict[str, Any] = {"callback_url": server.config.default_callback_url}
    return foreground.serve(server.url, extra, lambda: server.running, server.stop)


def _banner(url: str, config: ClientConfig) -> list[str]:
    lines = [
        f"smsim client listening on {url}",
        f"  callback receiver: {config.default_callback_url}",
        f"  twilio base URL: {config.twilio_base_url}",
    ]
    if config.twilio_base_url.rstrip("/") == DEFAULT_TWILIO_BASE_URL:
        lines.append(
            "  WARNING: this client talks to the REAL Twilio: messages are really sent and"
            " billed.\n  For offline work start the simulator (smsim serve) and pass"
            " --twilio-base-url http://127.0.0.1:8910, or run smsim up."
        )
    store = "in memory" if config.memory else config.db_path
    lines.append(f"  store: {store}; one process")
    if config.control_token:
        lines.append("  JSON API and UI: the control token is required")
    return lines
