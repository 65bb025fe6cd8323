"""``smsim serve``: run the Twilio simulator on a production WSGI server (waitress)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from smsim.commands import _startup_checks as checks
from smsim.commands._argtypes import readable_file
from smsim.commands._foreground import Foreground
from smsim.commands._safety_flags import add_safety_flags
from smsim.commands._setting_flags import add_setting_flags, environment_epilog, given_flags
from smsim.migrations import DatabaseRefused
from smsim.simulator.config import SimulatorConfig, load_config
from smsim.simulator.errors import ConfigError
from smsim.simulator.settings_table import SETTINGS

if TYPE_CHECKING:
    from smsim.simulator.workers import AccountSummary

COMMAND = "smsim serve"
EPILOG_TAIL = (
    "Request bodies are limited to 2 MiB. Control API: /_smsim/ (OpenAPI at /_smsim/openapi.json)."
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the Twilio SMS simulator",
        description="Run the Twilio Messages API simulator (state in an SQLite file or a"
        " PostgreSQL database).",
        # every setting the environment can give (SMSIM_<SETTING>); flags win over them,
        # and they win over --config
        epilog=environment_epilog(SETTINGS, EPILOG_TAIL),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_setting_flags(parser, SETTINGS)
    parser.add_argument(
        "--config", type=readable_file, help="YAML or JSON file: accounts, rules, delays, ..."
    )
    add_safety_flags(parser, "the control API (/_smsim/) and the web UI")
    parser.add_argument("--log-level", default="WARNING", help="Python log level")
    parser.add_argument(
        "--ready-file",
        metavar="PATH",
        help="once serving, write JSON here (url, pid, accounts) for tools to read",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # imported here: `smsim --help` and the other commands need not load Flask
    from smsim.simulator.server import SimulatorServer
    from smsim.simulator.workers import account_summaries

    foreground = Foreground(COMMAND, args.ready_file, "/_smsim/health")
    try:
        foreground.prepare(args.log_level)
        if args.port is not None:  # named as the flag, before the file and env are merged
            checks.port_number(args.port)
    except checks.StartupError as exc:
        return foreground.refuse(exc)
    try:
        config = load_config(str(args.config) if args.config else None, given_flags(args, SETTINGS))
        checks.server_start(config.host, config.port, config.store_target)
        foreground.warn_if_exposed(config.host, config.control_token)
        if config.multi_process:
            return _serve_processes(foreground, config)
        server = SimulatorServer(config).start()
    except ConfigError as exc:
        return foreground.refuse(f"config error: {exc}")
    except checks.StartupError as exc:
        return foreground.refuse(exc)
    except DatabaseRefused as exc:
        return foreground.refuse(f"--db {exc}")
    except OSError as exc:  # the port was taken between the check and the bind
        return foreground.refuse(
            f"--port {config.port}: cannot listen on {config.host} ({exc.strerror})"
        )
    assert server.engine is not None
    accounts = account_summaries(server.engine)
    foreground.banner(
        _banner(server.url, server.engine.store_location, config, accounts, "one process")
    )
    return foreground.serve(server.url, _ready_extra(accounts), lambda: server.running, server.stop)


def _serve_processes(foreground: Foreground, config: SimulatorConfig) -> int:
    """The real clock on PostgreSQL: HTTP worker processes and delivery processes."""
    from smsim.simulator.workers import SimulatorProcesses

    processes = SimulatorProcesses(config)
    if not processes.start():
        processes.stop()
        return foreground.refuse(processes.failed)
    shape = _shape(processes.workers, config.delivery_process_count)
    foreground.banner(
        _banner(processes.url, processes.store_location, config, processes.accounts, shape)
    )
    extra = {**_ready_extra(processes.accounts), "processes": processes.started()}
    return foreground.supervise(processes.url, extra, processes.supervise, processes.stop)


def _shape(workers: int, deliverers: int) -> str:
    http = f"{workers} HTTP worker process" + ("es" if workers > 1 else "")
    delivery = "a delivery process" if deliverers == 1 else f"{deliverers} delivery processes"
    return f"{http} and {delivery}"


def _banner(
    url: str, store: str, config: SimulatorConfig, accounts: list[AccountSummary], shape: str
) -> list[str]:
    lines = [
        f"smsim simulator listening on {url}",
        f"  store: {store}; clock: {config.clock}; {shape}",
        "  accounts (use as Basic auth AccountSid:AuthToken):",
    ]
    for account in accounts:
        numbers = ", ".join(account.numbers)
        lines.append(
            f"    {account.type:5} {account.sid} token {account.auth_token}"
            + (f" numbers {numbers}" if numbers else "")
        )
    if config.control_token:
        lines.append("  control API and UI: the control token is required")
    lines.append(f"  SDK: client.api.base_url = {url!r}")
    return lines


def _ready_extra(accounts: list[AccountSummary]) -> dict[str, Any]:
    """The simulator's part of the ready file: every account with its credentials."""
    return {
        "accounts": [
            {
                "sid": account.sid,
                "auth_token": account.auth_token,
                "type": account.type,
                "numbers": list(account.numbers),
            }
            for account in accounts
        ]
    }
