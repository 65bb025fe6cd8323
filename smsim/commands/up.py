"""``smsim up``: the simulator and the client integration in one process, wired together.

The client's Twilio base URL is the simulator; the client gets a provider ``main`` on the
simulator's full account and ``trial`` on its trial account (with a Twilio number and a
verified handset), so Send Test SMS and campaigns work at once from the dashboard. Every
number of both accounts has its SmsUrl on the client's receiver, so a handset's reply to
any of them is a "Notification Replied" for the campaign it answers. State
lives in one folder (``--data``, default ``./smsim-data``: ``simulator.db`` and
``client.db``), or in RAM with ``--memory``. ``--clock`` and ``--speed`` are the
simulator's, as ``smsim serve`` takes them. The client's other settings come from
``--client-config FILE`` and the ``SMSIM_CLIENT_*`` variables, as ``smsim client serve``
takes them (``--client-port`` over both), except the ones ``up`` itself sets
(:data:`SET_BY_UP`): a client file giving one of those is refused naming it. Ctrl-C or
SIGTERM stops both.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from smsim import settings
from smsim.commands import _startup_checks as checks
from smsim.commands._argtypes import readable_file
from smsim.commands._foreground import Foreground
from smsim.commands._safety_flags import add_safety_flags
from smsim.commands._setting_flags import add_flag
from smsim.commands._startup_checks import StartupError
from smsim.migrations import DatabaseRefused
from smsim.settings import SettingError
from smsim.simulator.settings_table import BY_KEY as SIMULATOR_SETTINGS

if TYPE_CHECKING:
    from smsim.client.config import ClientSettings

COMMAND = "smsim up"
# The client's settings `smsim up` decides, and what decides each.
SET_BY_UP = {
    "host": "--host",
    "db_path": "--data",
    "memory": "--memory",
    "twilio_base_url": "the simulator's URL",
    "inbox_url": "the simulator's URL",
    "allowed_hosts": "--allowed-host, for both servers",
    "control_token": "--control-token, for both servers",
}

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
    parser.add_argument(
        "--client-port",
        type=int,
        help="client port (default: SMSIM_CLIENT_PORT, --client-config's port, or 8911; 0=free)",
    )
    store = parser.add_mutually_exclusive_group()
    store.add_argument(
        "--data", default=DEFAULT_DATA, help=f"folder for both databases (./{DEFAULT_DATA})"
    )
    store.add_argument("--memory", action="store_true", help="keep all state in RAM (throwaway)")
    # The simulator's --clock and --speed, with their types and limits from its table.
    add_flag(
        parser,
        SIMULATOR_SETTINGS["clock"],
        "the simulator's clock, as smsim serve takes it (default real); virtual: time"
        " moves only from the inbox's Clock page or /_smsim/clock/*",
    )
    add_flag(
        parser,
        SIMULATOR_SETTINGS["speed"],
        "divide every lifecycle delay of the simulator by this (default 1)",
    )
    parser.add_argument(
        "--client-config",
        type=readable_file,
        metavar="FILE",
        help="YAML or JSON file of the client's settings, as smsim client serve --config takes"
        f" (all but {', '.join(SET_BY_UP)}, which smsim up sets)",
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


def _client_settings(args: argparse.Namespace, data: Path | None) -> ClientSettings:
    """The client's settings: defaults < ``--client-config`` < ``SMSIM_CLIENT_*`` <
    ``--client-port``, with what ``smsim up`` sets (:data:`SET_BY_UP`) over all of them;
    its Twilio base URL and inbox are the simulator's, filled in once it listens."""
    from smsim.client.config import load_settings
    from smsim.client.settings_table import SETTINGS

    if args.client_config is not None:
        given = settings.read_mapping_file(args.client_config)
        keys = settings.by_key(SETTINGS)
        for key in given:
            setting = keys.get(str(key)) or keys.get(str(key).replace("-", "_"))
            if setting is not None and setting.name in SET_BY_UP:
                raise SettingError(
                    f"--client-config {args.client_config}: {key}: smsim up sets it"
                    f" ({SET_BY_UP[setting.name]}); leave it out of the file"
                )
    up_sets = {
        "host": args.host,
        "memory": data is None,
        "db_path": None if data is None else str(data / "client.db"),
        "allowed_hosts": args.allowed_hosts,
        "control_token": args.control_token,
    }
    return load_settings(args.client_config, {"port": args.client_port, **up_sets})


def _check_arguments(args: argparse.Namespace, data: Path | None, client_port: int) -> None:
    """The mistakes ``smsim serve`` names in one line (port in use, ``--data`` not a
    folder), checked before anything is created."""
    checks.host(args.host)
    ports = (("--sim-port", args.sim_port), ("--client-port", client_port))
    for flag, port in ports:
        checks.port_number(port, flag)
    if args.sim_port and args.sim_port == client_port:
        raise StartupError(
            f"--client-port {client_port}: the same port as --sim-port; give each its own"
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


def run(args: argparse.Namespace) -> int:
    """Start both servers, provision, print the URLs and credentials, wait for a signal."""
    from requests import RequestException

    from smsim.client.server import ClientServer
    from smsim.simulator.config import load_config
    from smsim.simulator.errors import ConfigError
    from smsim.simulator.server import SimulatorServer

    foreground = Foreground(COMMAND)
    data = None if args.memory else Path(args.data)
    try:
        foreground.prepare(args.log_level)
        if args.client_port is not None:  # named as the flag, before the file and env
            checks.port_number(args.client_port, "--client-port")
        client_settings = _client_settings(args, data)
        _check_arguments(args, data, client_settings.port)
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
    except (StartupError, SettingError, ConfigError) as exc:
        return foreground.refuse(exc)
    # One token and one Host list for both servers (docs/security.md).
    foreground.warn_if_exposed(args.host, sim_config.control_token)
    sim = client = None
    try:
        if data is not None:  # after the settings: a refused start creates no folder
            data.mkdir(parents=True, exist_ok=True)
        sim = SimulatorServer(sim_config).start()
        wired_settings = replace(client_settings, twilio_base_url=sim.url, inbox_url=sim.url)
        client = ClientServer(
            wired_settings.integration(),
            host=args.host,
            port=client_settings.port,
            threads=client_settings.http_threads,
        ).start()
        wired = wire(sim, client, sim_config.control_token)
    except (DatabaseRefused, ValueError, OSError, RequestException) as exc:
        for server in (client, sim):
            if server is not None:
                server.stop()
        return foreground.refuse(exc)
    foreground.banner(
        _banner(sim.url, client.url, data, wired, _clock_words(sim_config.clock, sim_config.speed))
    )

    def shutdown() -> None:
        print("smsim up: stopping", flush=True)
        client.stop()
        sim.stop()

    return foreground.serve(client.url, {}, lambda: client.running and sim.running, shutdown)


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
) -> list[str]:
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
    return lines
