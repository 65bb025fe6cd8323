"""``smsim up``: the simulator and the client integration in one process, wired together.

The client's Twilio base URL is the simulator; the client gets a provider ``main`` on the
simulator's full account and ``trial`` on its trial account (with a Twilio number and a
verified handset), so Send Test SMS and campaigns work at once from the dashboard. Every
number of both accounts has its SmsUrl on the client's receiver, so a handset's reply to
any of them is a "Notification Replied" for the campaign it answers. State
lives in one folder (``--data``, default ``./smsim-data``: ``simulator.db`` and
``client.db``), or in RAM with ``--memory``. ``--clock`` and ``--speed`` are the
simulator's, as ``smsim serve`` takes them. Ctrl-C or SIGTERM stops both.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from smsim.commands import _startup_checks as checks
from smsim.commands._argtypes import positive_number
from smsim.commands._safety_flags import add_safety_flags
from smsim.commands._startup_checks import StartupError, refuse
from smsim.migrations import DatabaseRefused
from smsim.websafety import exposure_warning

DEFAULT_DATA = "smsim-data"
TRIAL_NUMBER = "+15017250605"
TRIAL_VERIFIED = "+14155550100"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "up",
        help="run the simulator and the client dashboard together, wired to each other",
        description=(
            "Start the Twilio simulator and the CleverTap-style client in one process: the "
            "client sends to the simulator, providers 'main' (full account) and 'trial' "
            "(trial account) are ready, and both web UIs are served."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--sim-port", type=int, default=8910, help="simulator port (8910; 0=free)")
    parser.add_argument("--client-port", type=int, default=8911, help="client port (8911; 0=free)")
    store = parser.add_mutually_exclusive_group()
    store.add_argument(
        "--data", default=DEFAULT_DATA, help=f"folder for both databases (./{DEFAULT_DATA})"
    )
    store.add_argument("--memory", action="store_true", help="keep all state in RAM (throwaway)")
    parser.add_argument(
        "--clock",
        choices=["real", "virtual"],
        default="real",
        help="the simulator's clock, as smsim serve takes it (default real); virtual: time"
        " moves only from the inbox's Clock page or /_smsim/clock/*",
    )
    parser.add_argument(
        "--speed",
        type=positive_number,
        default=1.0,
        help="divide every lifecycle delay of the simulator by this (default 1)",
    )
    add_safety_flags(parser, "both servers' control APIs and web UIs")
    parser.add_argument("--log-level", default="WARNING", help="Python log level")
    parser.set_defaults(handler=run)


def _needs_receiver(sms_url: str | None, receiver: str) -> bool:
    """A number is (re)wired when it has no SmsUrl or still points at the receiver of an
    earlier ``smsim up`` (another port); an SmsUrl the user chose is left alone."""
    if sms_url == receiver:
        return False
    return not sms_url or urlsplit(sms_url).path == urlsplit(receiver).path


def wire(
    sim: Any, client: Any, control_token: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Make the two servers one product: the inbox links the dashboard, and the accounts
    and providers are provisioned (:func:`_provision`)."""
    sim.link_dashboard(client.url)
    return _provision(sim.url, client, control_token)


def _provision(
    sim_url: str, client: Any, control_token: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Give the trial account a number and a verified handset, point every number of both
    accounts at the client's receiver, and make sure the client has providers ``main`` and
    ``trial`` for the two accounts (kept across restarts)."""
    import requests

    from smsim.websafety import control_headers

    control = sim_url + "/_smsim"
    with requests.Session() as http:
        http.trust_env = False  # loopback: never through a proxy
        http.headers.update(control_headers(control_token))

        def call(method: str, path: str, body: Any = None) -> Any:
            resp = http.request(method, control + path, json=body, timeout=30)
            resp.raise_for_status()
            return resp.json()

        receiver = client.config.default_callback_url
        listed = call("GET", "/accounts")["accounts"]
        full = next(a for a in listed if a["type"] == "full")
        trial = next(a for a in listed if a["type"] == "trial")
        if not trial["numbers"]:
            number = {"phone_number": TRIAL_NUMBER, "sms_url": receiver}
            call("POST", f"/accounts/{trial['sid']}/numbers", number)
        for account in (full, trial):
            for owned in account["numbers"]:
                if _needs_receiver(owned["sms_url"], receiver):
                    path = f"/accounts/{account['sid']}/numbers/{owned['sid']}"
                    call("POST", path, {"sms_url": receiver})
        if TRIAL_VERIFIED not in trial["verified_numbers"]:
            verified = {"phone_number": TRIAL_VERIFIED}
            call("POST", f"/accounts/{trial['sid']}/verified_numbers", verified)
        accounts = {a["sid"]: a for a in call("GET", "/accounts")["accounts"]}
    integration = client.integration
    existing = {p["nickname"] for p in integration.list_providers()}
    wired = []
    for nickname, sid in (("main", full["sid"]), ("trial", trial["sid"])):
        account = accounts[sid]
        if nickname not in existing:
            integration.add_provider(
                nickname=nickname,
                account_sid=account["sid"],
                auth_token=account["auth_token"],
                from_numbers=[n["phone_number"] for n in account["numbers"]],
                is_default=nickname == "main",
            )
        wired.append((nickname, account))
    return wired


def _check_arguments(args: argparse.Namespace, data: Path | None) -> int:
    """The mistakes ``smsim serve`` names in one line (bad level, port in use, ``--data``
    not a folder), checked before anything is created; returns the log level."""
    level = checks.log_level(args.log_level)
    checks.host(args.host)
    ports = (("--sim-port", args.sim_port), ("--client-port", args.client_port))
    for flag, port in ports:
        checks.port_number(port, flag)
    if args.sim_port and args.sim_port == args.client_port:
        raise StartupError(
            f"--client-port {args.client_port}: the same port as --sim-port; give each its own"
        )
    for flag, port in ports:
        checks.port_free(args.host, port, port_flag=flag)
    if data is not None and data.exists():
        if not data.is_dir():
            raise StartupError(
                f"--data {data}: is a file, not a folder; give a folder for both databases"
            )
        for name in ("simulator.db", "client.db"):
            checks.database_path(str(data / name), "--data")
    return level


def run(args: argparse.Namespace) -> int:
    """Start both servers, provision, print the URLs and credentials, wait for a signal."""
    from requests import RequestException

    from smsim.client.config import ClientConfig
    from smsim.client.server import ClientServer
    from smsim.commands._foreground import StopSignals
    from smsim.simulator.config import load_config
    from smsim.simulator.errors import ConfigError
    from smsim.simulator.server import SimulatorServer

    data = None if args.memory else Path(args.data)
    try:
        level = _check_arguments(args, data)
    except StartupError as exc:
        return refuse("smsim up", exc)
    stop = StopSignals()  # before anything starts: a stop right after the banner is clean
    logging.basicConfig(level=level, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    sim = client = None
    try:
        sim_config = load_config(
            None,
            {
                "host": args.host,
                "port": args.sim_port,
                "memory": True if data is None else None,
                "db_path": None if data is None else str(data / "simulator.db"),
                "clock": args.clock,
                "speed": args.speed,
                "allowed_hosts": args.allowed_hosts,
                "control_token": args.control_token,
            },
        )
        if data is not None:  # after the config: a refused start creates no folder
            data.mkdir(parents=True, exist_ok=True)
        # One token and one Host list for both servers (docs/security.md).
        warning = exposure_warning("smsim up", args.host, sim_config.control_token)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        sim = SimulatorServer(sim_config).start()
        client_config = ClientConfig(
            memory=data is None,
            db_path=None if data is None else str(data / "client.db"),
            twilio_base_url=sim.url,
            allowed_hosts=sim_config.allowed_hosts,
            control_token=sim_config.control_token or None,
            inbox_url=sim.url,
        )
        client = ClientServer(client_config, host=args.host, port=args.client_port).start()
        wired = wire(sim, client, sim_config.control_token)
    except (ConfigError, DatabaseRefused, ValueError, OSError, RequestException) as exc:
        for server in (client, sim):
            if server is not None:
                server.stop()
        return refuse("smsim up", exc)
    _banner(sim.url, client.url, data, wired, _clock_words(args.clock, args.speed))
    stop.wait(lambda: client.running and sim.running)
    print("smsim up: stopping", flush=True)
    client.stop()
    sim.stop()
    return 0


def _clock_words(clock: str, speed: float) -> str:
    """The banner's clock line: what a person needs to know to see messages move."""
    if clock == "virtual":
        return "virtual: time moves only from the inbox's Clock page"
    return "real" if speed == 1 else f"real, lifecycle delays divided by {speed:g}"


def _banner(
    sim_url: str,
    client_url: str,
    data: Path | None,
    wired: list[tuple[str, dict[str, Any]]],
    clock: str,
) -> None:
    lines = [
        "smsim up: the simulator and the client, wired together",
        f"  client dashboard    {client_url}/",
        f"  simulator inbox     {sim_url}/   (Twilio API base URL {sim_url})",
        f"  state               {'in memory' if data is None else data}",
        f"  simulator clock     {clock}",
        "  client providers (Twilio credentials at the simulator):",
    ]
    for nickname, account in wired:
        numbers = ", ".join(n["phone_number"] for n in account["numbers"])
        verified = ", ".join(account["verified_numbers"])
        lines.append(
            f"    {nickname:5} {account['type']:5} {account['sid']} token {account['auth_token']}"
            f" from {numbers}" + (f" verified {verified}" if verified else "")
        )
    lines.append("  Ctrl-C stops both.")
    print("\n".join(lines), flush=True)
