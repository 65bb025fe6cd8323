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
from smsim.simulator.settings_table import SETTINGS, Setting

if TYPE_CHECKING:
    from smsim.simulator.workers import AccountSummary

# Every setting the environment can give (SMSIM_<SETTING>); flags win over them, and
# they win over --config.
ENVIRONMENT_HELP = tuple((setting.env, setting.environment_help) for setting in SETTINGS)


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
        description="Run the Twilio Messages API simulator (state in an SQLite file or a"
        " PostgreSQL database).",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    store = parser.add_mutually_exclusive_group()  # --db or --memory
    for setting in SETTINGS:
        if setting.flag is not None:
            _add_flag(store if setting.name in {"db_path", "memory"} else parser, setting)
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


def _add_flag(parser: Any, setting: Setting) -> None:
    """The flag of one setting, its type, choices and --help from the settings table.
    Every flag defaults to None: a flag not given leaves the file and environment's value."""
    assert setting.flag is not None
    text = setting.flag_help or setting.help
    if setting.kind is bool:  # a switch away from the default: --memory, --no-ui
        action = "store_false" if setting.default else "store_true"
        parser.add_argument(setting.flag, dest=setting.name, action=action, default=None, help=text)
        return
    if setting.default is not None and setting.flag_help is None:
        text = f"{text} (default {setting.default})"
    parser.add_argument(
        setting.flag,
        dest=setting.name,
        # a speed of 0 or "inf" is refused as the line is parsed, naming the flag
        type=positive_number if setting.kind is float else setting.kind,
        choices=setting.choices or None,
        help=text,
    )


def _check_start(config: SimulatorConfig) -> None:
    """Every mistake a start can catch before it opens the database or binds the port."""
    checks.host(config.host)
    checks.port_number(config.port)
    if config.store_target:
        checks.database_target(config.store_target)
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
    overrides = {setting.name: getattr(args, setting.name, None) for setting in SETTINGS}
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
