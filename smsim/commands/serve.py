"""``smsim serve``: run the Twilio simulator on a production WSGI server (waitress)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import Any

from smsim import websafety
from smsim.commands._safety_flags import add_safety_flags
from smsim.simulator.config import load_config
from smsim.simulator.errors import ConfigError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the Twilio SMS simulator",
        description="Run the Twilio Messages API simulator (state in an SQLite file).",
    )
    parser.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 8910; 0 picks a free one)")
    store = parser.add_mutually_exclusive_group()
    store.add_argument("--db", dest="db_path", help="SQLite file (default ./smsim.db)")
    store.add_argument("--memory", action="store_true", default=None, help="keep state in RAM")
    parser.add_argument("--config", help="YAML or JSON file: accounts, rules, delays, ...")
    parser.add_argument("--seed", type=int, help="seed for realistic outcomes (default 0)")
    parser.add_argument("--clock", choices=["real", "virtual"], help="default real")
    parser.add_argument("--speed", type=float, help="divide every lifecycle delay by this")
    parser.add_argument("--status-callback", help="server-wide default StatusCallback URL")
    parser.add_argument(
        "--carrier-profile", choices=["all-delivered", "realistic"], help="default all-delivered"
    )
    parser.add_argument("--threads", type=int, help="WSGI worker threads (default 16)")
    add_safety_flags(parser, "the control API (/_smsim/) and the web UI")
    parser.add_argument("--log-level", default="WARNING", help="Python log level")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from smsim.simulator.server import SimulatorServer

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s %(message)s")
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
        "allowed_hosts": args.allowed_hosts,
        "control_token": args.control_token,
    }
    try:
        config = load_config(args.config, overrides)
        warning = websafety.exposure_warning("smsim serve", config.host, config.control_token)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        server = SimulatorServer(config).start()
    except ConfigError as exc:
        print(f"smsim serve: config error: {exc}", file=sys.stderr)
        return 2
    assert server.engine is not None
    print(f"smsim simulator listening on {server.url}", flush=True)
    print(f"  store: {server.engine.store.path or 'in memory'}; clock: {config.clock}", flush=True)
    print("  accounts (use as Basic auth AccountSid:AuthToken):", flush=True)
    for account in server.engine.accounts.all():
        numbers = ", ".join(n.phone_number for n in server.engine.accounts.numbers(account.sid))
        print(
            f"    {account.type.lower():5} {account.sid} token {account.auth_token}"
            + (f" numbers {numbers}" if numbers else ""),
            flush=True,
        )
    if config.control_token:
        print("  control API and UI: the control token is required", flush=True)
    print(f"  SDK: client.api.base_url = {server.url!r}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.stop()
    return 0
