"""``smsim serve``: run the Twilio simulator on a production WSGI server (waitress)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Any

from smsim import websafety
from smsim.commands import _startup_checks as checks
from smsim.commands._argtypes import positive_number, readable_file
from smsim.commands._foreground import StopSignals, announce_or_report, clear_ready_file
from smsim.commands._safety_flags import add_safety_flags
from smsim.migrations import DatabaseRefused
from smsim.simulator.config import SimulatorConfig, load_config
from smsim.simulator.errors import ConfigError

if TYPE_CHECKING:
    from smsim.simulator.workers import AccountSummary

# Every setting the environment can give (SMSIM_<SETTING>); flags win over them, and
# they win over --config. tests/unit/test_serve_help.py keeps this list complete.
ENVIRONMENT_HELP = (
    ("SMSIM_HOST", "interface to bind"),
    ("SMSIM_PORT", "port (0 picks a free one)"),
    ("SMSIM_DB_PATH", "SQLite file"),
    ("SMSIM_MEMORY", "true: keep state in RAM"),
    ("SMSIM_SEED", "seed for realistic outcomes"),
    ("SMSIM_CLOCK", "real or virtual"),
    ("SMSIM_SPEED", "divide every lifecycle delay by this"),
    ("SMSIM_STATUS_CALLBACK", "server-wide default StatusCallback URL"),
    ("SMSIM_CARRIER_PROFILE", "all-delivered or realistic"),
    ("SMSIM_CREATE_DEFAULT_ACCOUNTS", "false: start with no accounts"),
    ("SMSIM_CALLBACK_ON_SENDING", "true: also call back for 'sending'"),
    ("SMSIM_LEGACY_MAX_PRICE", "true: MaxPrice fails a dearer message with 30010"),
    ("SMSIM_ENFORCE_THROUGHPUT", "false: no per-sender pacing (load tests)"),
    ("SMSIM_WORKERS", "HTTP worker processes (0: the cores delivery leaves)"),
    ("SMSIM_DELIVERY_PROCESSES", "delivery processes (0: one per two cores)"),
    ("SMSIM_THREADS", "WSGI worker threads per worker process"),
    ("SMSIM_WEBHOOK_WORKERS", "threads sending webhooks"),
    ("SMSIM_VALIDATE_CONTRACTS", "true: check every response and webhook against contracts/"),
    ("SMSIM_UI", "false: do not serve the web inbox"),
    ("SMSIM_DASHBOARD_URL", "the client's dashboard: the inbox links it and its campaigns"),
    ("SMSIM_ALLOWED_HOSTS", "comma-separated extra Host names for /_smsim/ and the UI"),
    ("SMSIM_CONTROL_TOKEN", "token that /_smsim/ and the UI then require"),
)


def _epilog() -> str:
    width = max(len(name) for name, _ in ENVIRONMENT_HELP)
    lines = [f"  {name.ljust(width)}  {meaning}" for name, meaning in ENVIRONMENT_HELP]
    return (
        "environment variables (between --config and the flags in precedence):\n"
        + "\n".join(lines)
        + "\n\nRequest bodies are limited to 2 MiB. Control API: /_smsim/ "
        "(OpenAPI at /_smsim/openapi.json)."
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the Twilio SMS simulator",
        description="Run the Twilio Messages API simulator (state in an SQLite file).",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8910; 0 picks a free one)")
    store = parser.add_mutually_exclusive_group()
    store.add_argument("--db", dest="db_path", help="SQLite file (default ./smsim.db)")
    store.add_argument("--memory", action="store_true", default=None, help="keep state in RAM")
    parser.add_argument(
        "--config", type=readable_file, help="YAML or JSON file: accounts, rules, delays, ..."
    )
    parser.add_argument("--seed", type=int, help="seed for realistic outcomes (default 0)")
    parser.add_argument("--clock", choices=["real", "virtual"], help="default real")
    parser.add_argument(
        "--speed", type=positive_number, help="divide every lifecycle delay by this"
    )
    parser.add_argument("--status-callback", help="server-wide default StatusCallback URL")
    parser.add_argument(
        "--carrier-profile", choices=["all-delivered", "realistic"], help="default all-delivered"
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="HTTP worker processes beside the delivery processes (default: the cores they"
        " leave, at least one); with --memory or the virtual clock smsim is one process",
    )
    parser.add_argument(
        "--delivery-processes",
        type=int,
        help="processes running lifecycle steps and sending webhooks (default: one per two"
        " cores, at least one)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="WSGI worker threads per HTTP process (default 4 per worker process, 16 in one)",
    )
    parser.add_argument(
        "--no-ui",
        dest="ui",
        action="store_false",
        default=None,
        help="do not serve the web inbox at /",
    )
    add_safety_flags(parser, "the control API (/_smsim/) and the web UI")
    parser.add_argument("--log-level", default="WARNING", help="Python log level")
    parser.add_argument(
        "--ready-file",
        metavar="PATH",
        help="once serving, write JSON here (url, pid, accounts) for tools to read",
    )
    parser.set_defaults(handler=run)


def _check_start(config: SimulatorConfig) -> None:
    """Every mistake a start can catch before it opens the database or binds the port."""
    checks.host(config.host)
    checks.port_number(config.port)
    if config.store_target:
        checks.database_path(config.store_target)
    checks.port_free(config.host, config.port)


def _refuse(message: str) -> int:
    return checks.refuse("smsim serve", message)


def run(args: argparse.Namespace) -> int:
    # imported here: `smsim --help` and the other commands need not load Flask
    from smsim.simulator.server import SimulatorServer
    from smsim.simulator.workers import account_summaries

    stop = StopSignals()  # before anything starts: a stop right after the banner is clean
    try:
        level = checks.log_level(args.log_level)
        if args.port is not None:  # named as the flag, before the file and env are merged
            checks.port_number(args.port)
        if args.ready_file:
            checks.report_path(args.ready_file, "--ready-file")
    except checks.StartupError as exc:
        return _refuse(str(exc))
    clear_ready_file(args.ready_file)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s %(message)s")
    # Under a load test every worker is busy by design; waitress would warn about its
    # task queue depth on every request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    overrides = {
        "host": args.host,
        "port": args.port,
        "db_path": args.db_path,
        "memory": args.memory,
        "seed": args.seed,
        "clock": args.clock,
        "speed": args.speed,
        "status_callback": args.status_callback,
        "carrier_profile": args.carrier_profile,
        "threads": args.threads,
        "workers": args.workers,
        "delivery_processes": args.delivery_processes,
        "ui": args.ui,
        "allowed_hosts": args.allowed_hosts,
        "control_token": args.control_token,
    }
    try:
        config = load_config(str(args.config) if args.config else None, overrides)
        _check_start(config)
        warning = websafety.exposure_warning("smsim serve", config.host, config.control_token)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        if config.multi_process:
            return _serve_processes(args, config, stop)
        server = SimulatorServer(config).start()
    except ConfigError as exc:
        return _refuse(f"config error: {exc}")
    except checks.StartupError as exc:
        return _refuse(str(exc))
    except DatabaseRefused as exc:
        return _refuse(f"--db {exc}")
    except OSError as exc:  # the port was taken between the check and the bind
        return _refuse(f"--port {config.port}: cannot listen on {config.host} ({exc.strerror})")
    assert server.engine is not None
    accounts = account_summaries(server.engine)
    _banner(server.url, server.engine.store_location, config, accounts, "one process")
    if not _announce(args, server.url, accounts):
        server.stop()
        return 1
    stop.wait(lambda: server.running)
    server.stop()
    clear_ready_file(args.ready_file)
    return 0


def _serve_processes(args: argparse.Namespace, config: SimulatorConfig, stop: StopSignals) -> int:
    """The real clock and a database file: HTTP worker processes and a delivery process."""
    from smsim.simulator.workers import SimulatorProcesses

    processes = SimulatorProcesses(config)
    if not processes.start():
        processes.stop()
        return _refuse(processes.failed)
    shape = _shape(processes.workers, config.delivery_process_count)
    _banner(processes.url, processes.store_location, config, processes.accounts, shape)
    if not _announce(args, processes.url, processes.accounts, processes.started()):
        processes.stop()
        return 1
    code = processes.supervise(lambda: stop.requested)
    clear_ready_file(args.ready_file)
    return code


def _shape(workers: int, deliverers: int) -> str:
    http = f"{workers} HTTP worker process" + ("es" if workers > 1 else "")
    delivery = "a delivery process" if deliverers == 1 else f"{deliverers} delivery processes"
    return f"{http} and {delivery}"


def _banner(
    url: str, store: str, config: SimulatorConfig, accounts: list[AccountSummary], shape: str
) -> None:
    print(f"smsim simulator listening on {url}", flush=True)
    print(f"  store: {store}; clock: {config.clock}; {shape}", flush=True)
    print("  accounts (use as Basic auth AccountSid:AuthToken):", flush=True)
    for account in accounts:
        numbers = ", ".join(account.numbers)
        print(
            f"    {account.type:5} {account.sid} token {account.auth_token}"
            + (f" numbers {numbers}" if numbers else ""),
            flush=True,
        )
    if config.control_token:
        print("  control API and UI: the control token is required", flush=True)
    print(f"  SDK: client.api.base_url = {url!r}", flush=True)


def _announce(
    args: argparse.Namespace,
    url: str,
    accounts: list[AccountSummary],
    processes: list[dict[str, Any]] | None = None,
) -> bool:
    """Write the ready file (when asked); False, with the reason printed, if it failed.
    With worker processes it also lists them as started (role and pid)."""
    extra = _ready_extra(accounts)
    if processes:
        extra["processes"] = processes
    return announce_or_report("smsim serve", args.ready_file, url, "/_smsim/health", extra)


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
